"""Quotes: priced offers to an account, revised in versions, approved when discounted deeply."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from allyance.core.record_urls import record_url
from allyance.orders.models.common import LineItem, PricedDocument


class Quote(PricedDocument):
    """One version of a quote. A revision is a new row with the same number, revision + 1."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING_APPROVAL = "pending_approval", _("Pending approval")
        APPROVED = "approved", _("Approved")
        SENT = "sent", _("Sent")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        EXPIRED = "expired", _("Expired")
        SUPERSEDED = "superseded", _("Superseded by a revision")

    title = models.CharField(_("title"), max_length=200, blank=True)
    revision = models.PositiveIntegerField(_("revision"), default=1, editable=False)
    previous = models.OneToOneField(
        "self",
        verbose_name=_("previous revision"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="next_revision",
        editable=False,
    )
    opportunity = models.ForeignKey(
        "sales.Opportunity",
        verbose_name=_("opportunity"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="quotes",
    )
    price_list = models.ForeignKey(
        "catalog.PriceList",
        verbose_name=_("price list"),
        on_delete=models.PROTECT,
        related_name="quotes",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    terms = models.TextField(_("terms"), blank=True)
    approval_requested_at = models.DateTimeField(_("approval requested"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    approval_comment = models.TextField(_("approval comment"), blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    decided_at = models.DateTimeField(_("accepted or rejected"), null=True, blank=True)
    rejection_reason = models.CharField(_("rejection reason"), max_length=255, blank=True)

    search_fields = ("number", "title", "account__name")

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["number", "revision"], name="unique_quote_revision")
        ]
        indexes = [
            models.Index(fields=["owner", "-updated_at", "-id"]),
            models.Index(fields=["organisation", "-updated_at", "-id"]),
            models.Index(fields=["account", "-updated_at", "-id"]),
            models.Index(fields=["-updated_at", "-id"]),
            models.Index(fields=["status", "valid_until"]),
        ]

    def __str__(self) -> str:
        if self.revision > 1:
            return f"{self.number} r{self.revision}"
        return self.number or str(self.pk)

    def get_absolute_url(self) -> str:
        return record_url("orders:quote-detail", self.pk)

    def files_locked(self) -> bool:
        """A superseded revision is kept as it was, files included."""
        return self.status == self.Status.SUPERSEDED

    @property
    def net_total(self):
        """What the customer pays before tax: the subtotal less every discount."""
        return self.subtotal - self.discount_total


class QuoteLine(LineItem):
    quote = models.ForeignKey(
        Quote, verbose_name=_("quote"), on_delete=models.CASCADE, related_name="lines"
    )

    class Meta(LineItem.Meta):
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")
