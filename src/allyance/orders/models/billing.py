"""Invoices and payments received (回款): what the customer owes, and what came in.

Not an accounting system: it records what sales needs and exports what accounting imports.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from allyance.core.models import BusinessModel
from allyance.core.record_urls import record_url
from allyance.orders.models.common import LineItem, PricedDocument, money_field
from allyance.sales.models.money import currency_choices, default_currency


class Invoice(PricedDocument):
    """A bill for all or part of an order (or on its own), due by a date."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("Issued")
        PARTLY_PAID = "partly_paid", _("Partly paid")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")

    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ISSUED
    )
    issue_date = models.DateField(_("issue date"))
    payment_terms_days = models.PositiveIntegerField(_("payment terms (days)"), default=30)
    due_date = models.DateField(_("due date"))
    amount_paid = money_field(_("paid"))
    terms = models.TextField(_("terms"), blank=True)

    search_fields = ("number", "account__name")

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issue_date", "-id"]
        constraints = [models.UniqueConstraint(fields=["number"], name="unique_invoice_number")]
        indexes = [
            models.Index(fields=["owner", "-updated_at", "-id"]),
            models.Index(fields=["organisation", "-updated_at", "-id"]),
            models.Index(fields=["account", "-updated_at", "-id"]),
            models.Index(fields=["-updated_at", "-id"]),
            models.Index(fields=["status", "due_date"]),
        ]

    @property
    def balance(self) -> Decimal:
        """What is still owed on this invoice."""
        if self.status == self.Status.CANCELLED:
            return Decimal("0.00")
        return self.total - self.amount_paid

    def get_absolute_url(self) -> str:
        return record_url("orders:invoice-detail", self.pk)


class InvoiceLine(LineItem):
    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.CASCADE, related_name="lines"
    )
    order_line = models.ForeignKey(
        "orders.OrderLine",
        verbose_name=_("order line"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoice_lines",
    )

    class Meta(LineItem.Meta):
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")


class Payment(BusinessModel):
    """Money received from an account, allocated to one or several of its invoices."""

    class Method(models.TextChoices):
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")
        CASH = "cash", _("Cash")
        CHEQUE = "cheque", _("Cheque")
        CARD = "card", _("Card")
        ONLINE = "online", _("Online payment")
        OTHER = "other", _("Other")

    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    received_on = models.DateField(_("received on"))
    amount = models.DecimalField(
        _("amount"),
        max_digits=16,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    currency = models.CharField(
        _("currency"), max_length=3, choices=currency_choices, default=default_currency
    )
    method = models.CharField(
        _("method"), max_length=20, choices=Method.choices, default=Method.BANK_TRANSFER
    )
    reference = models.CharField(_("reference"), max_length=120, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    visibility_territory_path = "account__territory"
    visibility_account_path = "account"
    search_fields = ("reference", "account__name")

    class Meta:
        verbose_name = _("payment received")
        verbose_name_plural = _("payments received")
        ordering = ["-received_on", "-id"]
        indexes = [
            models.Index(fields=["owner", "-updated_at", "-id"]),
            models.Index(fields=["organisation", "-updated_at", "-id"]),
            models.Index(fields=["account", "-received_on"]),
            models.Index(fields=["-updated_at", "-id"]),
        ]

    def __str__(self) -> str:
        return f"{self.received_on} {self.amount} {self.currency}"

    def get_absolute_url(self) -> str:
        return record_url("orders:payment-detail", self.pk)

    @property
    def allocated_amount(self) -> Decimal:
        """The sum of the allocations, from the selector's `allocated` annotation if present."""
        from allyance.core.money import round_money

        allocated = getattr(self, "allocated", None)
        if allocated is None:
            allocated = self.allocations.aggregate(total=models.Sum("amount"))["total"] or 0
        return round_money(allocated, self.currency)

    @property
    def unallocated_amount(self) -> Decimal:
        """What is left to allocate: the account's credit."""
        return self.amount - self.allocated_amount


class PaymentAllocation(models.Model):
    """The part of a payment that settles one invoice."""

    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), on_delete=models.CASCADE, related_name="allocations"
    )
    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="allocations"
    )
    amount = models.DecimalField(
        _("amount"),
        max_digits=16,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )

    audited = True

    class Meta:
        verbose_name = _("payment allocation")
        verbose_name_plural = _("payment allocations")
        constraints = [
            models.UniqueConstraint(
                fields=["payment", "invoice"], name="one_allocation_per_invoice"
            )
        ]

    def __str__(self) -> str:
        return f"{self.payment} → {self.invoice}: {self.amount}"
