"""List filters for accounts and contacts, shared by the web UI and the API."""

import django_filters

from allyance.customers.models import Account, Contact


class AccountFilter(django_filters.FilterSet):
    tag = django_filters.CharFilter(field_name="tags__name", label="Tag", distinct=True)

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


class ContactFilter(django_filters.FilterSet):
    tag = django_filters.CharFilter(field_name="tags__name", label="Tag", distinct=True)

    class Meta:
        model = Contact
        fields = ["status", "decision_role", "owner", "account", "department"]
