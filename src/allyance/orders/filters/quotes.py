"""List filters for quotes and their lines, shared by the web page and the API."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from allyance.core.filters import GatedFilterSet
from allyance.customers.filters import account_id_filter
from allyance.orders.models import Quote, QuoteLine
from allyance.orders.selectors.quotes import awaiting_approval_condition
from allyance.orders.services.quotes import needs_approval_condition


class QuoteFilter(GatedFilterSet):
    revisions = django_filters.ChoiceFilter(
        label=_("Revisions"),
        choices=[("latest", _("Latest revisions")), ("all", _("All revisions"))],
        method="filter_revisions",
        empty_label=_("All revisions"),
    )
    show = django_filters.ChoiceFilter(
        label=_("Show"),
        choices=[("mine", _("My quotes")), ("to_approve", _("To approve"))],
        method="filter_show",
        empty_label=_("All I may see"),
    )
    needs_approval = django_filters.BooleanFilter(
        label=_("Discount needs approval"), method="filter_needs_approval"
    )
    account = account_id_filter("account", _("Account (id)"))
    opportunity = django_filters.NumberFilter(
        field_name="opportunity", label=_("Opportunity (id)"), min_value=1, max_value=2**63 - 1
    )
    number = django_filters.CharFilter(field_name="number", label=_("Number"))

    class Meta:
        model = Quote
        fields = ["status", "currency", "owner"]

    def filter_revisions(self, queryset, name, value):
        if value == "latest":
            return queryset.filter(next_revision__isnull=True)
        return queryset

    def filter_show(self, queryset, name, value):
        user = self.request.user if self.request is not None else None
        if user is None:
            return queryset.none()
        if value == "mine":
            return queryset.filter(owner=user)
        if value == "to_approve":
            return queryset.filter(awaiting_approval_condition(user))
        return queryset

    def filter_needs_approval(self, queryset, name, value):
        condition = needs_approval_condition()
        if value:
            return queryset.filter(condition).exclude(status=Quote.Status.APPROVED)
        return queryset.exclude(condition)


class QuoteLineFilter(django_filters.FilterSet):
    quote = django_filters.NumberFilter(
        field_name="quote", label=_("Quote (id)"), min_value=1, max_value=2**63 - 1
    )

    class Meta:
        model = QuoteLine
        fields = ["quote"]
