"""Forms of lead distribution: offer a lead, answer or recall an offer, the rules, the filters."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from allyance.core.forms import StyledFormMixin
from allyance.core.models import Organisation, Territory
from allyance.customers.models import Industry
from allyance.partners.models import Certification, DistributionRule, LeadDistribution, Tier
from allyance.partners.services.distribution import MAX_RESPOND_HOURS, resellers_of
from allyance.sales.forms.routing import ListTextField


def active_partners():
    return Organisation.objects.filter(
        kind=Organisation.Kind.PARTNER, status=Organisation.Status.ACTIVE
    ).order_by("name")


class DistributeForm(StyledFormMixin, forms.Form):
    """Offer a lead to one partner by hand: staff choose among the active partners, a
    distributor's admin among the active resellers directly below it."""

    partner = forms.ModelChoiceField(label=_("Partner"), queryset=Organisation.objects.none())
    respond_hours = forms.IntegerField(
        label=_("Hours to answer"),
        required=False,
        min_value=1,
        max_value=MAX_RESPOND_HOURS,
        help_text=_("Empty: the programme's setting."),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None and user.is_partner:
            self.fields["partner"].queryset = resellers_of(user.organisation_id)
            self.fields["partner"].label = _("Reseller")
        else:
            self.fields["partner"].queryset = active_partners()


class ReasonForm(StyledFormMixin, forms.Form):
    """Why an offer is rejected or a lead recalled."""

    reason = forms.CharField(label=_("Reason"), max_length=255)


class DistributionFilterForm(StyledFormMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("Any status")), *LeadDistribution.Status.choices],
        required=False,
    )
    partner = forms.ModelChoiceField(
        label=_("Partner"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("Every partner"),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None and user.is_internal:
            self.fields["partner"].queryset = Organisation.objects.filter(
                kind=Organisation.Kind.PARTNER
            ).order_by("name")
        else:
            del self.fields["partner"]


class DistributionRuleForm(StyledFormMixin, forms.ModelForm):
    provinces = ListTextField(
        label=_("Provinces/states"), required=False, help_text=_("Separate with commas.")
    )
    industries = forms.MultipleChoiceField(
        label=_("Industries"), choices=Industry.choices, required=False
    )
    partner_types = forms.MultipleChoiceField(
        label=_("Partner types"), choices=Organisation.PartnerType.choices, required=False
    )

    class Meta:
        model = DistributionRule
        fields = [
            "name",
            "priority",
            "is_active",
            "territories",
            "provinces",
            "industries",
            "partner_types",
            "minimum_tier",
            "required_certification",
            "max_open_leads",
            "min_acceptance_rate",
            "partners",
            "pass_on",
            "max_hops",
            "accept_hours",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["territories"].queryset = Territory.objects.order_by("name")
        self.fields["partners"].queryset = Organisation.objects.filter(
            kind=Organisation.Kind.PARTNER
        ).order_by("name")
        self.fields["minimum_tier"].queryset = Tier.objects.order_by("rank", "name")
        self.fields["required_certification"].queryset = Certification.objects.order_by("name")
        self.fields["priority"].max_value = 2**31 - 1
        self.fields["max_open_leads"].max_value = 2**31 - 1
        self.fields["max_hops"].min_value = 1
        self.fields["max_hops"].max_value = 100
        self.fields["accept_hours"].min_value = 1
        self.fields["accept_hours"].max_value = MAX_RESPOND_HOURS
        self.fields["min_acceptance_rate"].min_value = 0
        self.fields["min_acceptance_rate"].max_value = 100


class ReportPeriodForm(StyledFormMixin, forms.Form):
    """Offers made from `start` to `end`, both days included; the last 90 days by default."""

    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end cannot be before the start."))
        return data

    def period(self) -> tuple[datetime.date, datetime.date]:
        data = self.cleaned_data if self.is_valid() else {}
        end = data.get("end") or timezone.localdate()
        start = data.get("start") or end - datetime.timedelta(days=90)
        return start, end
