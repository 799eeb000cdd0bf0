"""List filters for cases, shared by the web page and the API."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from allyance.core.filters import GatedFilterSet
from allyance.customers.filters import account_id_filter
from allyance.service.models import Case

ID_RANGE = {"min_value": 1, "max_value": 2**63 - 1}


class CaseFilter(GatedFilterSet):
    account = account_id_filter("account", _("Account (id)"))
    order = django_filters.NumberFilter(field_name="order", label=_("Order (id)"), **ID_RANGE)
    warranty_valid = django_filters.BooleanFilter(label=_("Under warranty"))
    opened_from = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", label=_("Opened from")
    )
    opened_to = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", label=_("Opened to")
    )

    class Meta:
        model = Case
        fields = ["kind", "status", "owner"]
