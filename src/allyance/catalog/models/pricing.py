"""Price lists: one currency each, validity dates, a price per product with volume breaks.

Centrally maintained: staff read every list; a partner reads the lists assigned to its
organisation and a portal customer the lists assigned to its account.
"""

from __future__ import annotations

from decimal import Decimal

from django.apps import apps
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from allyance.catalog.models.products import Product
from allyance.core.models import BusinessModel, Organisation
from allyance.core.record_urls import record_url
from allyance.sales.models.money import currency_choices, default_currency

PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class PriceList(BusinessModel):
    """A list of prices in one currency, valid between two dates, with a list-level discount."""

    name = models.CharField(_("name"), max_length=200)
    currency = models.CharField(
        _("currency"), max_length=3, choices=currency_choices, default=default_currency
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    is_default = models.BooleanField(
        _("default"), default=False, help_text=_("Used when an account has no list of its own.")
    )
    discount_percent = models.DecimalField(
        _("list discount (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=PERCENT,
        help_text=_("Taken off every price on this list."),
    )
    active = models.BooleanField(_("active"), default=True)
    description = models.TextField(_("description"), blank=True)
    accounts = models.ManyToManyField(
        "customers.Account",
        verbose_name=_("accounts"),
        blank=True,
        related_name="price_lists",
        help_text=_("Accounts that buy at this list."),
    )
    partners = models.ManyToManyField(
        Organisation,
        verbose_name=_("partners"),
        blank=True,
        related_name="price_lists",
        help_text=_("Partner organisations that buy at this list."),
    )

    centrally_maintained = True
    search_fields = ("name", "description")

    class Meta:
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["currency"],
                condition=Q(is_default=True),
                name="one_default_price_list_per_currency",
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_until__gte=models.F("valid_from")),
                name="price_list_valid_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.currency})"

    def get_absolute_url(self) -> str:
        return record_url("catalog:price-list-detail", self.pk)

    @classmethod
    def shared_with(cls, user) -> Q:
        """A partner reads the lists assigned to it and its tier's list; a portal customer its
        account's lists."""
        if user.is_partner and user.organisation_id:
            shared = PriceList.partners.through.objects.filter(organisation_id=user.organisation_id)
            tier_lists = apps.get_model("partners", "Tier").objects.filter(
                organisations=user.organisation_id, price_list__isnull=False
            )
            return Q(active=True) & (
                Q(pk__in=shared.values("pricelist_id"))
                | Q(pk__in=tier_lists.values("price_list_id"))
            )
        elif user.is_customer and user.customer_account_id:
            shared = PriceList.accounts.through.objects.filter(account_id=user.customer_account_id)
        else:
            return Q(pk__in=[])
        return Q(active=True, pk__in=shared.values("pricelist_id"))


class PriceListItem(models.Model):
    """A product's unit price on one list."""

    price_list = models.ForeignKey(
        PriceList, verbose_name=_("price list"), on_delete=models.CASCADE, related_name="items"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="prices"
    )
    price = models.DecimalField(
        _("unit price"),
        max_digits=18,
        decimal_places=4,
        validators=[MinValueValidator(Decimal("0"))],
    )

    audited = True

    class Meta:
        verbose_name = _("price")
        verbose_name_plural = _("prices")
        ordering = ["price_list", "product__name"]
        constraints = [
            models.UniqueConstraint(fields=["price_list", "product"], name="one_price_per_list")
        ]

    def __str__(self) -> str:
        return f"{self.product} @ {self.price} {self.price_list.currency}"


class VolumeBreak(models.Model):
    """From `min_quantity` units on, the unit price is `price`."""

    item = models.ForeignKey(
        PriceListItem, verbose_name=_("price"), on_delete=models.CASCADE, related_name="breaks"
    )
    min_quantity = models.DecimalField(
        _("from quantity"),
        max_digits=12,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001"))],
    )
    price = models.DecimalField(
        _("unit price"),
        max_digits=18,
        decimal_places=4,
        validators=[MinValueValidator(Decimal("0"))],
    )

    audited = True

    class Meta:
        verbose_name = _("volume break")
        verbose_name_plural = _("volume breaks")
        ordering = ["item", "min_quantity"]
        constraints = [
            models.UniqueConstraint(fields=["item", "min_quantity"], name="one_break_per_quantity")
        ]

    def __str__(self) -> str:
        return f"≥ {self.min_quantity}: {self.price}"
