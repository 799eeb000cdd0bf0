"""Forms for leads, their conversion, and scoring rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from allyance.core.forms import StyledFormMixin, VersionedModelForm
from allyance.core.visibility import visible_to
from allyance.customers.models import Account, Contact
from allyance.sales.models import Lead, Pipeline, ScoringRule


class LeadForm(VersionedModelForm):
    class Meta:
        model = Lead
        fields = [
            "family_name",
            "given_name",
            "company",
            "title",
            "email",
            "phone",
            "mobile",
            "website",
            "status",
            "disqualified_reason",
            "source",
            "campaign",
            "industry",
            "size_band",
            "budget",
            "currency",
            "country",
            "province",
            "city",
            "owner",
            "territory",
            "tags",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Conversion has its own page; the status box offers the rest of the flow.
        self.fields["status"].choices = [
            choice
            for choice in self.fields["status"].choices
            if choice[0] != Lead.Status.CONVERTED or self.instance.status == Lead.Status.CONVERTED
        ]
        if self.instance.pk and self.instance.status == Lead.Status.CONVERTED:
            for name, field in self.fields.items():
                if name not in ("notes", "version"):
                    field.disabled = True


class LeadConvertForm(StyledFormMixin, forms.Form):
    """Link to an existing account and contact (the duplicates are suggested) or create them."""

    account = forms.ModelChoiceField(
        Account.objects.none(),
        required=False,
        label=_("Existing account"),
        help_text=_("Leave empty to create a new account from the lead."),
    )
    contact = forms.ModelChoiceField(
        Contact.objects.none(),
        required=False,
        label=_("Existing contact"),
        help_text=_("Leave empty to create a new contact from the lead."),
    )
    create_opportunity = forms.BooleanField(
        required=False, initial=True, label=_("Create an opportunity")
    )
    opportunity_name = forms.CharField(required=False, max_length=200, label=_("Opportunity name"))
    pipeline = forms.ModelChoiceField(
        Pipeline.objects.filter(is_active=True), required=False, label=_("Pipeline")
    )
    amount = forms.DecimalField(
        required=False, max_digits=14, decimal_places=2, min_value=0, label=_("Amount")
    )
    close_date = forms.DateField(
        required=False, label=_("Expected close"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, user, lead: Lead, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = visible_to(user, Account.objects.all())
        self.fields["contact"].queryset = visible_to(
            user, Contact.objects.select_related("account")
        )
        self.fields["pipeline"].initial = (
            Pipeline.objects.filter(is_default=True, is_active=True).values_list("pk", flat=True)
        ).first()
        if lead.budget is not None:
            self.fields["amount"].initial = lead.budget
        self.fields["amount"].help_text = lead.currency
        suggested = {"account": [], "contact": []}
        for entry in lead.possible_duplicates or []:
            if entry.get("type") in suggested and isinstance(entry.get("id"), int):
                suggested[entry["type"]].append(entry["id"])
        for name, ids in suggested.items():
            field = self.fields[name]
            found = list(field.queryset.filter(pk__in=ids)[:20])
            if found:
                # Offer the matching records, not every record the user may see (thousands).
                field.widget = forms.Select(attrs={"class": "form-select"})
                field.widget.choices = [("", _("Create a new one from the lead"))] + [
                    (record.pk, str(record)) for record in found
                ]
                if len(found) == 1:
                    field.initial = found[0].pk
            else:
                field.widget = forms.NumberInput(
                    attrs={"class": "form-control", "placeholder": _("id")}
                )
                field.help_text = _("Leave empty to create it from the lead, or enter an id.")


class ScoringRuleForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = ScoringRule
        fields = [
            "name",
            "kind",
            "field",
            "value",
            "activity_kind",
            "threshold",
            "decay_basis",
            "points",
            "is_active",
        ]
