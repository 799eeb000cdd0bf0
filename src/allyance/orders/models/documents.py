"""Document templates (HTML with placeholders, per language) and the PDFs made from them."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    PROPOSAL = "proposal", _("Proposal")
    QUOTE = "quote", _("Quote")
    CONTRACT = "contract", _("Sales contract")
    INVOICE = "invoice", _("Invoice")


class DocumentTemplate(models.Model):
    """An editable HTML template for one kind of document in one language."""

    kind = models.CharField(_("document"), max_length=20, choices=DocumentKind.choices)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    name = models.CharField(_("name"), max_length=200)
    body = models.TextField(
        _("template"), help_text=_("HTML with placeholders such as {{ account.name }}.")
    )
    is_default = models.BooleanField(
        _("default"), default=True, help_text=_("Used for this document and language.")
    )
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    audited = True

    class Meta:
        verbose_name = _("document template")
        verbose_name_plural = _("document templates")
        ordering = ["kind", "language", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "language"],
                condition=Q(is_default=True),
                name="one_default_template_per_kind_language",
            )
        ]

    def __str__(self) -> str:
        return self.name


class GeneratedDocument(models.Model):
    """A PDF made from a template for a quote, order or invoice; the file is an attachment."""

    kind = models.CharField(_("document"), max_length=20, choices=DocumentKind.choices)
    template = models.ForeignKey(
        DocumentTemplate,
        verbose_name=_("template"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="documents",
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.CharField(max_length=64)
    target = GenericForeignKey("content_type", "object_id")
    attachment = models.ForeignKey(
        "core.Attachment",
        verbose_name=_("file"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    emailed_to = models.CharField(_("e-mailed to"), max_length=500, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)

    audited = True

    class Meta:
        verbose_name = _("generated document")
        verbose_name_plural = _("generated documents")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d}"
