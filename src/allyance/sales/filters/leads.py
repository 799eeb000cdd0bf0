"""List filters for leads, shared by the web UI and the API."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from allyance.core.filters import GatedFilterSet
from allyance.sales.models import Lead, LeadEvent


class LeadFilter(GatedFilterSet):
    tag = django_filters.CharFilter(field_name="tags__name", label=_("Tag"), distinct=True)
    score_min = django_filters.NumberFilter(
        field_name="score", lookup_expr="gte", label=_("Score at least")
    )
    score_max = django_filters.NumberFilter(
        field_name="score", lookup_expr="lte", label=_("Score at most")
    )

    class Meta:
        model = Lead
        fields = [
            "status",
            "source",
            "industry",
            "size_band",
            "owner",
            "territory",
            "country",
            "province",
            "city",
        ]


class LeadEventFilter(GatedFilterSet):
    lead = django_filters.ModelChoiceFilter(
        field_name="lead",
        queryset=Lead.objects.all(),
        label=_("Lead (id)"),
        widget=forms.NumberInput,
    )

    class Meta:
        model = LeadEvent
        fields = ["lead", "kind"]
