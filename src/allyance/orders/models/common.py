"""What quotes, orders and invoices share: a priced document with lines, and numbering."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from allyance.core.models import BusinessModel
from allyance.sales.models.money import currency_choices, default_currency

PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


def money_field(label, **extra) -> models.DecimalField:
    """An amount rounded to the currency's minor unit by the services (2 places kept)."""
    return models.DecimalField(
        label, max_digits=16, decimal_places=2, default=Decimal("0"), **extra
    )


class PricedDocument(BusinessModel):
    """A quote, order or invoice: for an account, in one currency, with stored totals.

    Totals are computed from the lines by the services (`orders.services.totals`) and
    stored, so lists and reports read them without summing lines.
    """

    number = models.CharField(_("number"), max_length=40, editable=False)
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        null=True,  # kept when the account is deleted; required by the forms and the API
        on_delete=models.SET_NULL,
        related_name="+",
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    currency = models.CharField(
        _("currency"), max_length=3, choices=currency_choices, default=default_currency
    )
    discount_percent = models.DecimalField(
        _("overall discount (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=PERCENT,
    )
    subtotal = money_field(_("subtotal"))
    discount_total = money_field(_("discount"))
    tax_total = money_field(_("tax"))
    total = money_field(_("total"))
    notes = models.TextField(_("notes"), blank=True)

    visibility_territory_path = "account__territory"
    visibility_account_path = "account"

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.number or str(self.pk)


class LineItem(models.Model):
    """One line of a priced document: a (configured) product or free text, priced and taxed.

    `configuration` keeps the chosen option values and `adjustments` the explained steps
    from list price to unit price, as the configurator returned them.
    """

    position = models.PositiveIntegerField(_("position"), default=0)
    product = models.ForeignKey(
        "catalog.Product",
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    description = models.CharField(_("description"), max_length=500, blank=True)
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=12,
        decimal_places=3,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.001"))],
    )
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    list_price = models.DecimalField(
        _("list price"), max_digits=18, decimal_places=4, default=Decimal("0")
    )
    unit_price = models.DecimalField(
        _("unit price"), max_digits=18, decimal_places=4, default=Decimal("0")
    )
    discount_percent = models.DecimalField(
        _("discount (%)"), max_digits=5, decimal_places=2, default=Decimal("0"), validators=PERCENT
    )
    tax_rate = models.DecimalField(
        _("tax rate (%)"), max_digits=5, decimal_places=2, default=Decimal("0"), validators=PERCENT
    )
    configuration = models.JSONField(_("configuration"), default=dict, blank=True)
    adjustments = models.JSONField(_("price adjustments"), default=list, blank=True)
    subtotal = money_field(_("subtotal"))
    discount_amount = money_field(_("discount"))
    tax_amount = money_field(_("tax"))
    total = money_field(_("total"))

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.description or str(self.product or "")


class NumberSequence(models.Model):
    """The last number handed out per kind and year: Q-2026-00042. Locked while in use."""

    kind = models.CharField(_("kind"), max_length=20)
    year = models.PositiveIntegerField(_("year"))
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")
        constraints = [
            models.UniqueConstraint(fields=["kind", "year"], name="one_sequence_per_kind_year")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.year}: {self.last}"


class OrderSettings(models.Model):
    """The one row of quote and invoice settings; `OrderSettings.current()` creates it."""

    discount_approval_percent = models.DecimalField(
        _("discounts above this need approval (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("15"),
        validators=PERCENT,
        help_text=_(
            "A quote whose line or overall discount is above this needs a manager's approval "
            "before it is sent."
        ),
    )
    quote_validity_days = models.PositiveIntegerField(_("quotes valid for (days)"), default=30)
    payment_terms_days = models.PositiveIntegerField(_("payment terms (days)"), default=30)
    default_terms = models.TextField(_("default terms"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    audited = True

    class Meta:
        verbose_name = _("quote and invoice settings")
        verbose_name_plural = _("quote and invoice settings")

    def __str__(self) -> str:
        return str(_("quote and invoice settings"))

    @classmethod
    def current(cls) -> OrderSettings:
        row = cls.objects.order_by("pk").first()
        if row is None:
            row, _created = cls.objects.get_or_create(pk=1)
        return row
