"""List filters for activities, shared by the web UI and the API."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from allyance.activities.models import Activity
from allyance.core.filters import GatedFilterSet
from allyance.customers.filters import account_id_filter
from allyance.customers.models import Contact


class ActivityFilter(GatedFilterSet):
    due_before = django_filters.IsoDateTimeFilter(
        field_name="due_at", lookup_expr="lte", label=_("Due before")
    )
    due_after = django_filters.IsoDateTimeFilter(
        field_name="due_at", lookup_expr="gte", label=_("Due after")
    )
    starts_after = django_filters.IsoDateTimeFilter(
        field_name="starts_at", lookup_expr="gte", label=_("Starts after")
    )
    starts_before = django_filters.IsoDateTimeFilter(
        field_name="starts_at", lookup_expr="lt", label=_("Starts before")
    )
    account = account_id_filter("account", _("Account (id)"))
    contact = django_filters.ModelChoiceFilter(
        queryset=Contact.objects.all(), label=_("Contact (id)"), widget=forms.NumberInput
    )

    class Meta:
        model = Activity
        fields = ["kind", "status", "priority", "owner", "account", "contact"]
