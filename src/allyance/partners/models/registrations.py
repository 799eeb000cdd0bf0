"""Deal registration: a partner claims an opportunity it found; the company approves or not.

The conflicts found when it was submitted (the same customer in an open company deal or in
another partner's active registration) are kept with it for the channel manager to judge.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from allyance.core.models import BusinessModel
from allyance.core.record_urls import record_url
from allyance.sales.models.money import currency_choices, default_currency


class DealRegistration(BusinessModel):
    """A partner's registered deal: submitted → approved (protected until a date) / rejected."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        EXPIRED = "expired", _("Protection ended")

    customer_name = models.CharField(_("customer"), max_length=200)
    customer_key = models.CharField(_("customer key"), max_length=200, editable=False, default="")
    tax_id = models.CharField(_("tax id"), max_length=40, blank=True)
    domain = models.CharField(_("web domain"), max_length=120, blank=True)
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The partner's own account for this customer, if it has one."),
    )
    contact_name = models.CharField(_("contact"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    products = models.ManyToManyField(
        "catalog.Product", verbose_name=_("products of interest"), blank=True, related_name="+"
    )
    product_interest = models.CharField(_("product interest"), max_length=255, blank=True)
    estimated_amount = models.DecimalField(
        _("estimated amount"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    currency = models.CharField(
        _("currency"), max_length=3, choices=currency_choices, default=default_currency
    )
    expected_close = models.DateField(_("expected close"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED
    )
    # [{"kind": "opportunity"|"registration", "id": …, "label": …, "why": …}, …]
    conflicts = models.JSONField(_("conflicts"), default=list, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decision_reason = models.CharField(_("reason"), max_length=255, blank=True)
    protected_until = models.DateField(_("protected until"), null=True, blank=True)
    opportunity = models.OneToOneField(
        "sales.Opportunity",
        verbose_name=_("opportunity"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="registration",
    )

    search_fields = ("customer_name", "tax_id", "domain", "product_interest")
    # Conflicts name other partners' registrations: the audit trail, which the partner
    # reads, must not repeat them.
    audit_ignored_fields = ("conflicts", "customer_key")

    class Meta:
        verbose_name = _("deal registration")
        verbose_name_plural = _("deal registrations")
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["organisation", "-updated_at", "-id"]),
            models.Index(fields=["status", "-updated_at"]),
            models.Index(fields=["customer_key"]),
            models.Index(fields=["tax_id"]),
            models.Index(fields=["domain"]),
        ]

    def __str__(self) -> str:
        return self.customer_name

    def get_absolute_url(self) -> str:
        return record_url("partners:registration-detail", self.pk)
