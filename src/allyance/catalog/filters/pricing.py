"""List filters for price lists and their prices, shared by the web pages and the API."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from allyance.catalog.models import PriceList, PriceListItem
from allyance.core.filters import GatedFilterSet


class PriceListFilter(GatedFilterSet):
    class Meta:
        model = PriceList
        fields = ["currency", "active", "is_default"]


class PriceListItemFilter(GatedFilterSet):
    """Prices by list and by product (ids the user may not see are refused like unknown ones)."""

    sku = django_filters.CharFilter(
        field_name="product__sku", lookup_expr="iexact", label=_("SKU"), max_length=64
    )

    class Meta:
        model = PriceListItem
        fields = ["price_list", "product"]
