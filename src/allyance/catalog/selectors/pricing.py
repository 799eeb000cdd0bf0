"""Reads of price lists: what the gate shows a user, and which list an account buys at.

Staff read every list; a partner reads the active lists assigned to its organisation and a
portal customer those assigned to its account (`PriceList.shared_with`).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import F, Prefetch, Q, QuerySet
from django.utils import timezone

from allyance.catalog.models import PriceList, PriceListItem, Product, VolumeBreak
from allyance.core.visibility import visible_to


def price_lists_visible_to(user) -> QuerySet[PriceList]:
    """The price lists `user` may read, through the visibility gate."""
    return visible_to(user, PriceList.objects.select_related("owner"))


def products_priceable_by(user) -> QuerySet[Product]:
    """Products `user` may read (staff: all; others: the active catalog)."""
    return visible_to(user, Product.objects.select_related("tax_class"))


def price_list_items_visible_to(user) -> QuerySet[PriceListItem]:
    """Prices on the lists `user` may read, of the products `user` may read; breaks loaded."""
    return (
        PriceListItem.objects.filter(
            price_list__in=price_lists_visible_to(user).values("pk"),
            product__in=products_priceable_by(user).values("pk"),
        )
        .select_related("price_list", "product")
        .prefetch_related(Prefetch("breaks", queryset=VolumeBreak.objects.order_by("min_quantity")))
    )


def valid_on(on: datetime.date) -> Q:
    """Lists whose validity dates include `on` (an open end is no limit)."""
    return (Q(valid_from__isnull=True) | Q(valid_from__lte=on)) & (
        Q(valid_until__isnull=True) | Q(valid_until__gte=on)
    )


def price_list_for(
    account, *, currency: str | None = None, on: datetime.date | None = None
) -> PriceList | None:
    """The list `account` buys at on `on` (default today).

    The account's own active list valid that day (in `currency` if given; the one that
    started last wins), else the default list of the currency (`settings.DEFAULT_CURRENCY`
    when none is given), else None.
    """
    on = on or timezone.localdate()
    usable = PriceList.objects.filter(valid_on(on), active=True)
    if account is not None and account.pk is not None:
        own = usable.filter(accounts=account)
        if currency:
            own = own.filter(currency=currency)
        found = own.order_by(F("valid_from").desc(nulls_last=True), "name", "pk").first()
        if found is not None:
            return found
    return usable.filter(is_default=True, currency=currency or settings.DEFAULT_CURRENCY).first()


def product_prices_for(user, product: Product) -> list[PriceListItem]:
    """The product's prices on every list `user` may read, with the volume breaks."""
    return list(
        price_list_items_visible_to(user)
        .filter(product=product)
        .order_by("price_list__currency", "price_list__name")
    )
