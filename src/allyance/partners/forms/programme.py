"""Forms of the partner programme: tiers, settings, onboarding steps, agreements, the
partner overview's filters."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from allyance.catalog.models import PriceList
from allyance.core.forms import StyledFormMixin, VersionedModelForm
from allyance.core.forms_admin import UserChoiceField
from allyance.core.models import Organisation, User
from allyance.partners.models import (
    Certification,
    OnboardingStep,
    PartnerAgreement,
    ProgrammeSettings,
    Tier,
)

DATE = {"type": "date"}


class TierForm(StyledFormMixin, forms.ModelForm):
    """A tier and its policy: price list, extra discount, MDF share, lead priority."""

    class Meta:
        model = Tier
        fields = [
            "name",
            "rank",
            "price_list",
            "extra_discount_percent",
            "mdf_share_percent",
            "lead_priority",
            "required_certifications",
            "description",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        keep_list = Q(pk=self.instance.price_list_id) if self.instance.price_list_id else Q()
        self.fields["price_list"].queryset = PriceList.objects.filter(
            Q(active=True) | keep_list
        ).order_by("name")
        keep = (
            Q(pk__in=self.instance.required_certifications.values("pk"))
            if self.instance.pk
            else Q(pk__in=[])
        )
        self.fields["required_certifications"].queryset = Certification.objects.filter(
            Q(active=True) | keep
        ).order_by("name")


class ProgrammeSettingsForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = ProgrammeSettings
        fields = [
            "accept_hours",
            "protection_days",
            "agreement_warning_days",
            "certification_warning_days",
        ]


class OnboardingStepForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = OnboardingStep
        fields = ["name", "description", "position", "active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class AgreementForm(VersionedModelForm):
    """An agreement or qualification of one partner (the partner is given by the page)."""

    class Meta:
        model = PartnerAgreement
        fields = ["kind", "name", "reference", "starts_on", "ends_on", "notes"]
        widgets = {
            "starts_on": forms.DateInput(attrs=DATE, format="%Y-%m-%d"),
            "ends_on": forms.DateInput(attrs=DATE, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("An agreement cannot end before it starts."))
        return cleaned


class OnboardingTickForm(forms.Form):
    done = forms.BooleanField(required=False)
    note = forms.CharField(required=False, max_length=255)


class PartnerFilterForm(StyledFormMixin, forms.Form):
    """The partner overview's filters: type, tier, channel manager, status."""

    partner_type = forms.ChoiceField(
        label=_("Partner type"),
        required=False,
        choices=[("", "—"), *Organisation.PartnerType.choices],
    )
    tier = forms.ModelChoiceField(label=_("Tier"), required=False, queryset=Tier.objects.all())
    channel_manager = UserChoiceField(
        label=_("Channel manager"), required=False, queryset=User.objects.none()
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", "—"), *Organisation.Status.choices]
    )

    def __init__(self, *args, managers=None, **kwargs):
        super().__init__(*args, **kwargs)
        if managers is not None:
            self.fields["channel_manager"].queryset = managers
        for field in self.fields.values():
            field.widget.attrs["class"] = f"{field.widget.attrs['class']} form-select-sm"

    def values(self) -> dict:
        """The valid filters; an invalid one is ignored rather than emptying the list."""
        self.is_valid()
        return {
            name: value
            for name, value in getattr(self, "cleaned_data", {}).items()
            if value and name not in self.errors
        }
