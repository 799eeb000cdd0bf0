"""Reads of indirect ordering: the catalog a partner orders from, at the partner's prices."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import QuerySet

from allyance.catalog.models import PriceList, PriceListItem, Product
from allyance.core.models import Organisation
from allyance.core.money import round_money
from allyance.core.search import search_queryset
from allyance.core.visibility import visible_to
from allyance.customers.models import Account
from allyance.partners.services.ordering import partner_extra_discount, partner_price_list

HUNDRED = Decimal("100")


@dataclass
class CatalogRow:
    """A product the partner can order, its unit price on the list and the partner's price
    after the tier's extra discount (per unit, before volume breaks, options and tax)."""

    product: Product
    list_price: Decimal
    partner_price: Decimal
    currency: str


def end_customers_for(user) -> QuerySet[Account]:
    """Accounts a partner user may order for: those it sees, less its own house account."""
    return (
        visible_to(user, Account.objects.all()).filter(house_of__isnull=True).order_by("name", "pk")
    )


def portal_catalog(
    user, *, query: str = "", limit: int = 200
) -> tuple[PriceList | None, Decimal, list[CatalogRow]]:
    """The partner's price list, its tier discount, and the active products on that list that
    the partner may read (matching `query`), with prices. No list: nothing to order."""
    organisation = (
        Organisation.objects.select_related("tier").filter(pk=user.organisation_id).first()
    )
    if organisation is None:
        return None, Decimal("0"), []
    price_list = partner_price_list(organisation)
    discount = partner_extra_discount(organisation)
    if price_list is None:
        return None, discount, []
    products = visible_to(user, Product.objects.filter(active=True))
    if query.strip():
        products = search_queryset(products, query.strip())
    items = (
        PriceListItem.objects.filter(price_list=price_list, product__in=products.values("pk"))
        .select_related("product", "product__tax_class")
        .order_by("product__name", "product__pk")[:limit]
    )
    rows = []
    for item in items:
        unit = Decimal(item.price)
        if price_list.discount_percent:
            unit -= unit * Decimal(price_list.discount_percent) / HUNDRED
        unit = unit.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
        rows.append(
            CatalogRow(
                product=item.product,
                list_price=round_money(unit, price_list.currency),
                partner_price=round_money(
                    unit * (HUNDRED - discount) / HUNDRED, price_list.currency
                ),
                currency=price_list.currency,
            )
        )
    return price_list, discount, rows
