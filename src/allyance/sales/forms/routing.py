"""Forms for assignment rules, routing a selection, and reassigning a territory's records."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from allyance.core.forms import StyledFormMixin
from allyance.core.forms_admin import staff_users
from allyance.core.models import Team, Territory
from allyance.customers.models import Industry, SizeBand, Source
from allyance.sales.models import AssignmentRule


def _no_nul(text: str) -> str:
    # The value is stored as JSON, which PostgreSQL refuses with a NUL character in it.
    if "\x00" in text:
        raise forms.ValidationError(_("Null characters are not allowed."))
    return text


class ListTextField(forms.CharField):
    """Values separated by commas or new lines, as a list (“Guangdong, Fujian”)."""

    widget = forms.TextInput

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(value)
        return value

    def to_python(self, value) -> list[str]:
        text = _no_nul(super().to_python(value) or "")
        parts = [p.strip() for p in text.replace("，", ",").replace("\n", ",").split(",")]
        return [p[:100] for p in parts if p]


class KeyValueField(forms.CharField):
    """One `name=value` per line, as a dict."""

    widget = forms.Textarea(attrs={"rows": 2})

    def prepare_value(self, value):
        if isinstance(value, dict):
            return "\n".join(f"{k}={v}" for k, v in value.items())
        return value

    def to_python(self, value) -> dict[str, str]:
        text = _no_nul(super().to_python(value) or "")
        result: dict[str, str] = {}
        for line in text.splitlines():
            if not line.strip():
                continue
            if "=" not in line:
                raise forms.ValidationError(_("Write each condition as name=value."))
            key, _sep, wanted = line.partition("=")
            if not key.strip():
                raise forms.ValidationError(_("Write each condition as name=value."))
            result[key.strip()[:100]] = wanted.strip()[:200]
        return result


class AssignmentRuleForm(StyledFormMixin, forms.ModelForm):
    countries = forms.MultipleChoiceField(
        label=_("Countries"), choices=lambda: list(countries), required=False
    )
    provinces = ListTextField(
        label=_("Provinces/states"), required=False, help_text=_("Separate with commas.")
    )
    cities = ListTextField(label=_("Cities"), required=False, help_text=_("Separate with commas."))
    size_bands = forms.MultipleChoiceField(
        label=_("Sizes"), choices=SizeBand.choices, required=False
    )
    industries = forms.MultipleChoiceField(
        label=_("Industries"), choices=Industry.choices, required=False
    )
    sources = forms.MultipleChoiceField(label=_("Sources"), choices=Source.choices, required=False)
    custom_fields_equal = KeyValueField(
        label=_("Custom fields equal"),
        required=False,
        help_text=_("One name=value per line, e.g. segment=Government."),
    )

    class Meta:
        model = AssignmentRule
        fields = [
            "name",
            "priority",
            "is_active",
            "countries",
            "provinces",
            "cities",
            "size_bands",
            "industries",
            "sources",
            "score_min",
            "score_max",
            "custom_fields_equal",
            "company_contains",
            "email_contains",
            "include_partner_leads",
            "action",
            "assign_user",
            "assign_team",
            "assign_territory",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = self.instance
        keep = None
        if instance.pk and instance.assign_user_id:
            keep = type(instance.assign_user)._default_manager.filter(pk=instance.assign_user_id)
        self.fields["assign_user"].queryset = staff_users(keep=keep)
        self.fields["assign_team"].queryset = Team.objects.order_by("name")
        self.fields["assign_territory"].queryset = Territory.objects.order_by("name")
        for name in ("score_min", "score_max"):
            self.fields[name].min_value = -(2**31)
            self.fields[name].max_value = 2**31 - 1
            self.fields[name].widget.attrs.update(min=-(2**31), max=2**31 - 1)
        self.fields["priority"].max_value = 2**31 - 1
        self.fields["action"].widget.attrs["data-routing-action"] = "1"


class LeadRouteForm(StyledFormMixin, forms.Form):
    """Which leads to route: the ids chosen on the leads list, or every unassigned open lead."""

    SELECTED, UNASSIGNED = "selected", "unassigned"

    scope = forms.ChoiceField(
        label=_("Leads"),
        choices=[
            (SELECTED, _("The selected leads")),
            (UNASSIGNED, _("Every open lead without an owner")),
        ],
        widget=forms.RadioSelect,
        initial=SELECTED,
    )
    ids = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_ids(self) -> list[int]:
        raw = self.cleaned_data.get("ids") or ""
        ids = [int(p) for p in raw.split(",") if p.strip().isdigit() and len(p.strip()) < 12]
        return ids[:5000]


class TerritoryReassignForm(StyledFormMixin, forms.Form):
    """Pick a territory and who takes over its open records."""

    ROUND_ROBIN = "round_robin"

    territory = forms.ModelChoiceField(label=_("Territory"), queryset=Territory.objects.none())
    new_owner = forms.ChoiceField(label=_("New owner"))
    include_subterritories = forms.BooleanField(
        label=_("Include the territories below it"), required=False
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["territory"].queryset = Territory.objects.order_by("name")
        self.fields["new_owner"].choices = [
            ("", "---------"),
            (self.ROUND_ROBIN, _("The territory's members, in turn")),
        ] + [(str(u.pk), str(u)) for u in staff_users()]

    def clean_new_owner(self):
        value = self.cleaned_data["new_owner"]
        if value == self.ROUND_ROBIN:
            return None
        return staff_users().get(pk=int(value))
