"""List filters for invoices and payments received, shared by the web pages and the API."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from allyance.core.filters import GatedFilterSet
from allyance.customers.filters import account_id_filter
from allyance.orders.models import Invoice, Payment
from allyance.orders.selectors.billing import overdue_condition


class InvoiceFilter(GatedFilterSet):
    account = account_id_filter("account", _("Account (id)"))
    order = django_filters.NumberFilter(
        field_name="order", label=_("Order (id)"), min_value=1, max_value=2**63 - 1
    )
    overdue = django_filters.BooleanFilter(
        label=_("Overdue"),
        method="filter_overdue",
        widget=django_filters.widgets.BooleanWidget,
    )
    issued_from = django_filters.DateFilter(
        field_name="issue_date", lookup_expr="gte", label=_("Issued from")
    )
    issued_to = django_filters.DateFilter(
        field_name="issue_date", lookup_expr="lte", label=_("Issued to")
    )
    due_from = django_filters.DateFilter(
        field_name="due_date", lookup_expr="gte", label=_("Due from")
    )
    due_to = django_filters.DateFilter(field_name="due_date", lookup_expr="lte", label=_("Due to"))

    class Meta:
        model = Invoice
        fields = ["status", "currency", "owner"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        if value:
            return queryset.filter(overdue_condition())
        return queryset.exclude(overdue_condition())


class PaymentFilter(GatedFilterSet):
    account = account_id_filter("account", _("Account (id)"))
    invoice = django_filters.NumberFilter(
        field_name="allocations__invoice",
        label=_("Invoice (id)"),
        min_value=1,
        max_value=2**63 - 1,
        distinct=True,
    )
    received_from = django_filters.DateFilter(
        field_name="received_on", lookup_expr="gte", label=_("Received from")
    )
    received_to = django_filters.DateFilter(
        field_name="received_on", lookup_expr="lte", label=_("Received to")
    )

    class Meta:
        model = Payment
        fields = ["method", "currency", "owner"]
