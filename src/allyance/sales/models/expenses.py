"""Sales expenses: what a rep spent on a deal or a customer, with receipts and an approval step."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from allyance.core.models import BusinessModel
from allyance.core.record_urls import record_url
from allyance.sales.models.money import currency_choices, default_currency


class Expense(BusinessModel):
    """Money a rep (the owner) spent against an opportunity or an account.

    It moves draft → submitted → approved / rejected only through
    `sales.services.expenses.expense_transition` (the table `ALLOWED_TRANSITIONS`
    there); an approved expense is locked. Receipts are attachments.
    """

    class Category(models.TextChoices):
        TRAVEL = "travel", _("Travel")
        MEALS = "meals", _("Meals")
        ENTERTAINMENT = "entertainment", _("Entertainment")
        GIFTS = "gifts", _("Gifts")
        SAMPLES = "samples", _("Samples")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    date = models.DateField(_("date"))
    category = models.CharField(
        _("category"), max_length=20, choices=Category.choices, default=Category.OTHER
    )
    amount = models.DecimalField(
        _("amount"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    currency = models.CharField(
        _("currency"), max_length=3, choices=currency_choices, default=default_currency
    )
    description = models.TextField(_("description"), blank=True)
    opportunity = models.ForeignKey(
        "sales.Opportunity",
        verbose_name=_("opportunity"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="expenses",
    )
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="expenses",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    # Who decides: the owner's team manager once submitted (empty when any sales manager
    # may); who decided once approved or rejected.
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approver"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_comment = models.TextField(_("decision comment"), blank=True)

    # Expenses are personal: staff see their own and their team's (and admins all), never
    # by territory, and portal customers never see what was spent on them.
    visibility_territory_path = None
    visibility_account_path = None
    search_fields = ("description",)

    class Meta:
        verbose_name = _("expense")
        verbose_name_plural = _("expenses")
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["owner", "-date", "-id"]),
            models.Index(fields=["organisation", "-date", "-id"]),
            models.Index(fields=["status", "-date"]),
            models.Index(fields=["-updated_at", "-id"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(opportunity__isnull=False) | models.Q(account__isnull=False),
                name="expense_against_opportunity_or_account",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="expense_amount_positive"
            ),
        ]

    def files_locked(self) -> bool:
        """Receipts are what the approver decides on: fixed once submitted, until rejected."""
        return self.status in (self.Status.SUBMITTED, self.Status.APPROVED)

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.amount} {self.currency} ({self.date})"

    def get_absolute_url(self) -> str:
        return record_url("sales:expense-detail", self.pk)

    @property
    def is_locked(self) -> bool:
        """Submitted expenses wait for a decision; approved ones never change again."""
        return self.status in (self.Status.SUBMITTED, self.Status.APPROVED)
