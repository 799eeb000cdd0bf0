"""List filters for partner agreements, shared by the list page and the API."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from allyance.core.filters import GatedFilterSet
from allyance.core.models import Organisation
from allyance.partners.models import PartnerAgreement
from allyance.partners.selectors.programme import ending_within


class AgreementFilter(GatedFilterSet):
    """Agreements by partner, kind, and whether they end within N days."""

    organisation = django_filters.ModelChoiceFilter(
        field_name="organisation",
        queryset=Organisation.objects.filter(kind=Organisation.Kind.PARTNER),
        label=_("Partner"),
    )
    ending_within = django_filters.NumberFilter(
        label=_("Ending within (days)"),
        method="filter_ending_within",
        min_value=0,
        max_value=36500,
    )

    class Meta:
        model = PartnerAgreement
        fields = ["organisation", "kind"]

    def filter_ending_within(self, queryset, name, value):
        if value is None:
            return queryset
        return ending_within(queryset, int(value))
