"""List filters for deal registrations, shared by the list page, its export and the API."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from allyance.core.filters import GatedFilterSet
from allyance.core.models import Organisation
from allyance.partners.models import DealRegistration


class DealRegistrationFilter(GatedFilterSet):
    organisation = django_filters.ModelChoiceFilter(
        field_name="organisation",
        queryset=Organisation.objects.filter(kind=Organisation.Kind.PARTNER),
        label=_("Partner"),
    )
    has_conflicts = django_filters.BooleanFilter(
        label=_("Possible conflicts"), method="filter_has_conflicts"
    )
    tax_id = django_filters.CharFilter(field_name="tax_id", label=_("Tax id"))
    domain = django_filters.CharFilter(field_name="domain", label=_("Web domain"))

    class Meta:
        model = DealRegistration
        fields = ["status", "currency", "organisation", "owner"]

    def filter_has_conflicts(self, queryset, name, value):
        # An empty JSON list is the only "no conflicts" value the service stores.
        if value:
            return queryset.exclude(conflicts=[])
        return queryset.filter(conflicts=[])
