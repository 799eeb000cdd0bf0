"""List filters for sales expenses, shared by the web page and the API."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from allyance.core.filters import GatedFilterSet
from allyance.customers.filters import account_id_filter
from allyance.sales.models import Expense
from allyance.sales.selectors.expenses import awaiting_decision_condition


class ExpenseFilter(GatedFilterSet):
    show = django_filters.ChoiceFilter(
        label=_("Show"),
        choices=[("mine", _("My expenses")), ("to_approve", _("To approve"))],
        method="filter_show",
        empty_label=_("All I may see"),
    )
    account = account_id_filter("account", _("Account (id)"))
    opportunity = django_filters.NumberFilter(
        field_name="opportunity", label=_("Opportunity (id)"), min_value=1, max_value=2**63 - 1
    )
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte", label=_("From"))
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte", label=_("To"))

    class Meta:
        model = Expense
        fields = ["status", "category", "currency", "owner"]

    def filter_show(self, queryset, name, value):
        user = self.request.user if self.request is not None else None
        if user is None:
            return queryset.none()
        if value == "mine":
            return queryset.filter(owner=user)
        if value == "to_approve":
            return queryset.filter(awaiting_decision_condition(user))
        return queryset
