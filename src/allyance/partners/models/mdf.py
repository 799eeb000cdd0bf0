"""Marketing development funds: allocations, fund requests, claims with their expense invoice.

The ledger (allocated, requested, approved, claimed, paid, remaining) is computed from these
rows by `partners.selectors.mdf`; the services keep it consistent (nothing above what was
allocated or approved, every change audited).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from allyance.core.models import BusinessModel
from allyance.core.record_urls import record_url
from allyance.sales.models.money import currency_choices, default_currency

POSITIVE = [MinValueValidator(Decimal("0"))]


def money_field(label, **kwargs) -> models.DecimalField:
    return models.DecimalField(
        label, max_digits=14, decimal_places=2, default=Decimal("0"), validators=POSITIVE, **kwargs
    )


class MdfAllocation(BusinessModel):
    """Funds set aside for one partner for one period, in one currency.

    In a two-tier channel a distributor passes part of its funds down to a reseller below it:
    the reseller's allocation has `source` PARENT and `parent_allocation` the distributor's,
    and what is passed down no longer remains to the distributor.
    """

    class Source(models.TextChoices):
        TIER = "tier", _("Tier share")
        MANUAL = "manual", _("Set by hand")
        PARENT = "parent", _("From the partner above")

    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    amount = money_field(_("amount"))
    currency = models.CharField(
        _("currency"), max_length=3, choices=currency_choices, default=default_currency
    )
    source = models.CharField(
        _("source"), max_length=10, choices=Source.choices, default=Source.MANUAL
    )
    note = models.CharField(_("note"), max_length=255, blank=True)
    parent_allocation = models.ForeignKey(
        "self",
        verbose_name=_("passed down from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="passed_down",
    )

    class Meta:
        verbose_name = _("MDF allocation")
        verbose_name_plural = _("MDF allocations")
        ordering = ["-period_start", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "period_start", "currency"],
                name="one_mdf_allocation_per_partner_period",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="mdf_period_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} {self.period_start:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return record_url("partners:mdf-allocation-detail", self.pk)


class MdfRequest(BusinessModel):
    """A partner asks for funds for a marketing activity: submitted → approved / rejected."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")

    class ActivityType(models.TextChoices):
        EVENT = "event", _("Event")
        TRADE_SHOW = "trade_show", _("Trade show")
        DIGITAL = "digital", _("Digital advertising")
        PRINT = "print", _("Print")
        EMAIL = "email", _("E-mail campaign")
        TELEMARKETING = "telemarketing", _("Telemarketing")
        OTHER = "other", _("Other")

    allocation = models.ForeignKey(
        MdfAllocation,
        verbose_name=_("allocation"),
        on_delete=models.PROTECT,
        related_name="requests",
    )
    activity_name = models.CharField(_("activity"), max_length=200)
    activity_type = models.CharField(
        _("activity type"), max_length=20, choices=ActivityType.choices, default=ActivityType.EVENT
    )
    plan = models.TextField(_("plan"))
    starts_on = models.DateField(_("starts"), null=True, blank=True)
    ends_on = models.DateField(_("ends"), null=True, blank=True)
    amount = money_field(_("amount requested"))
    expected_leads = models.PositiveIntegerField(_("expected leads"), default=0)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED
    )
    approved_amount = money_field(_("amount approved"))
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
    leads = models.ManyToManyField(
        "sales.Lead",
        verbose_name=_("leads from this activity"),
        blank=True,
        related_name="mdf_requests",
    )

    search_fields = ("activity_name", "plan")

    class Meta:
        verbose_name = _("MDF request")
        verbose_name_plural = _("MDF requests")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "status", "-created_at"])]

    def __str__(self) -> str:
        return self.activity_name

    def get_absolute_url(self) -> str:
        return record_url("partners:mdf-request-detail", self.pk)


class MdfClaim(BusinessModel):
    """After the activity, the partner claims the funds with proof and its expense invoice.

    submitted → approved (in full or in part) / rejected → paid. The claimed amount is the sum
    of the invoice lines; proof (receipts, photos) is attached to the claim.
    """

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        PAID = "paid", _("Paid")

    request = models.ForeignKey(
        MdfRequest, verbose_name=_("fund request"), on_delete=models.PROTECT, related_name="claims"
    )
    invoice_number = models.CharField(_("invoice number"), max_length=60)
    invoice_date = models.DateField(_("invoice date"))
    amount = money_field(_("amount claimed"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED
    )
    approved_amount = money_field(_("amount approved"))
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
    paid_amount = money_field(_("amount paid"))
    paid_at = models.DateField(_("paid on"), null=True, blank=True)
    payment_reference = models.CharField(_("payment reference"), max_length=80, blank=True)

    search_fields = ("invoice_number",)

    class Meta:
        verbose_name = _("MDF claim")
        verbose_name_plural = _("MDF claims")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "status", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(approved_amount__lte=F("amount")), name="mdf_claim_approved_le_claimed"
            ),
            models.CheckConstraint(
                condition=Q(paid_amount__lte=F("approved_amount")),
                name="mdf_claim_paid_le_approved",
            ),
        ]

    def __str__(self) -> str:
        return self.invoice_number

    def get_absolute_url(self) -> str:
        return record_url("partners:mdf-claim-detail", self.pk)

    def files_locked(self) -> bool:
        return self.status in (self.Status.APPROVED, self.Status.PAID)


class MdfClaimLine(models.Model):
    """One line of the expense invoice a claim carries."""

    claim = models.ForeignKey(
        MdfClaim, verbose_name=_("claim"), on_delete=models.CASCADE, related_name="lines"
    )
    position = models.PositiveSmallIntegerField(_("line"), default=1)
    description = models.CharField(_("description"), max_length=255)
    amount = money_field(_("amount"))

    class Meta:
        verbose_name = _("MDF claim line")
        verbose_name_plural = _("MDF claim lines")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.description
