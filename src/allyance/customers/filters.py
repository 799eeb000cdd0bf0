"""List filters for accounts and contacts, shared by the web UI and the API."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from allyance.core.filters import GatedFilterSet
from allyance.customers.models import Account, Contact


def account_id_filter(field_name: str, label) -> django_filters.ModelChoiceFilter:
    """An account filter by id: a select box would list every account, by name, to everyone."""
    return django_filters.ModelChoiceFilter(
        field_name=field_name, queryset=Account.objects.all(), label=label, widget=forms.NumberInput
    )


class AccountFilter(GatedFilterSet):
    tag = django_filters.CharFilter(field_name="tags__name", label=_("Tag"), distinct=True)
    parent = account_id_filter("parent", _("Parent account (id)"))

    class Meta:
        model = Account
        fields = [
            "kind",
            "status",
            "industry",
            "size_band",
            "source",
            "owner",
            "territory",
            "parent",
            "country",
            "province",
            "city",
        ]


class ContactFilter(GatedFilterSet):
    tag = django_filters.CharFilter(field_name="tags__name", label=_("Tag"), distinct=True)
    account = account_id_filter("account", _("Account (id)"))

    class Meta:
        model = Contact
        fields = ["status", "decision_role", "owner", "account", "department"]
