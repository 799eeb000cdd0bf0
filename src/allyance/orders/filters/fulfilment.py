"""List filters for orders and shipments, shared by the web page and the API."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from allyance.core.filters import GatedFilterSet
from allyance.customers.filters import account_id_filter
from allyance.orders.models import Order, OrderLine, Shipment

ID_RANGE = {"min_value": 1, "max_value": 2**63 - 1}


class OrderFilter(GatedFilterSet):
    account = account_id_filter("account", _("Account (id)"))
    quote = django_filters.NumberFilter(field_name="quote", label=_("Quote (id)"), **ID_RANGE)
    opportunity = django_filters.NumberFilter(
        field_name="opportunity", label=_("Opportunity (id)"), **ID_RANGE
    )
    date_from = django_filters.DateFilter(
        field_name="order_date", lookup_expr="gte", label=_("Ordered from")
    )
    date_to = django_filters.DateFilter(
        field_name="order_date", lookup_expr="lte", label=_("Ordered to")
    )

    class Meta:
        model = Order
        fields = ["status", "owner", "currency"]


class OrderLineFilter(GatedFilterSet):
    order = django_filters.NumberFilter(field_name="order", label=_("Order (id)"), **ID_RANGE)

    class Meta:
        model = OrderLine
        fields: list[str] = []


class ShipmentFilter(GatedFilterSet):
    order = django_filters.NumberFilter(field_name="order", label=_("Order (id)"), **ID_RANGE)
    delivered = django_filters.BooleanFilter(
        field_name="delivered_on", lookup_expr="isnull", exclude=True, label=_("Delivered")
    )

    class Meta:
        model = Shipment
        fields: list[str] = []
