"""List filters for opportunities and their contact roles, shared by the web UI and the API."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from allyance.core.filters import GatedFilterSet
from allyance.customers.filters import account_id_filter
from allyance.customers.models import Contact
from allyance.sales.models import Opportunity, OpportunityContact, Pipeline, Stage


class StageChoiceField(forms.ModelChoiceField):
    """Stages named with their pipeline: two pipelines may both have a “Proposal”."""

    def label_from_instance(self, obj: Stage) -> str:
        return f"{obj.pipeline} · {obj}"


class StageFilter(django_filters.ModelChoiceFilter):
    field_class = StageChoiceField


class OpportunityFilter(GatedFilterSet):
    pipeline = django_filters.ModelChoiceFilter(
        queryset=Pipeline.objects.all(), label=_("Pipeline")
    )
    stage = StageFilter(
        queryset=Stage.objects.select_related("pipeline").order_by(
            "pipeline__order", "pipeline__name", "order"
        ),
        label=_("Sales stage"),
    )
    account = account_id_filter("account", _("Account (id)"))
    close_after = django_filters.DateFilter(
        field_name="close_date",
        lookup_expr="gte",
        label=_("Closes on or after"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    close_before = django_filters.DateFilter(
        field_name="close_date",
        lookup_expr="lte",
        label=_("Closes on or before"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    amount_min = django_filters.NumberFilter(
        field_name="amount", lookup_expr="gte", label=_("Amount at least")
    )
    amount_max = django_filters.NumberFilter(
        field_name="amount", lookup_expr="lte", label=_("Amount at most")
    )
    tag = django_filters.CharFilter(field_name="tags__name", label=_("Tag"), distinct=True)

    class Meta:
        model = Opportunity
        fields = [
            "pipeline",
            "stage",
            "outcome",
            "forecast_category",
            "owner",
            "territory",
            "account",
            "source",
            "currency",
        ]


class OpportunityContactFilter(GatedFilterSet):
    opportunity = django_filters.ModelChoiceFilter(
        queryset=Opportunity.objects.all(), label=_("Deal (id)"), widget=forms.NumberInput
    )
    contact = django_filters.ModelChoiceFilter(
        queryset=Contact.objects.all(), label=_("Contact (id)"), widget=forms.NumberInput
    )

    class Meta:
        model = OpportunityContact
        fields = ["opportunity", "contact", "role"]


class PipelineFilter(GatedFilterSet):
    class Meta:
        model = Pipeline
        fields = ["is_active", "is_default"]


class StageAdminFilter(GatedFilterSet):
    class Meta:
        model = Stage
        fields = ["pipeline", "outcome", "forecast_category"]
