"""Forms and list filters of the MDF pages: allocations, requests, claims with their invoice
lines, decisions, payment, and the ledger's period filter."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from allyance.core.custom_fields import add_custom_form_fields
from allyance.core.filters import GatedFilterSet
from allyance.core.forms import StyledFormMixin, VersionedModelForm
from allyance.core.models import Organisation
from allyance.core.visibility import visible_to
from allyance.partners.models import MdfAllocation, MdfClaim, MdfRequest
from allyance.partners.selectors.mdf import mdf_partners_for
from allyance.sales.models import Lead
from allyance.sales.models.money import currency_choices

DATE = {"widget": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
MAX_ID = 2**63 - 1


def money_field(label, *, required: bool = True) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, max_digits=14, decimal_places=2, min_value=0, required=required
    )


class MdfAllocationForm(VersionedModelForm):
    """Funds for one partner and period, set by hand."""

    class Meta:
        model = MdfAllocation
        fields = ["organisation", "period_start", "period_end", "amount", "currency", "note"]
        labels = {"organisation": _("Partner")}
        widgets = {
            "period_start": DATE["widget"],
            "period_end": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def scope_choices(self) -> None:
        super().scope_choices()
        if self.user is not None:
            from allyance.partners.services.mdf import may_manage_mdf

            partners = mdf_partners_for(self.user)
            managed = [p.pk for p in partners if may_manage_mdf(self.user, p)]
            self.fields["organisation"].queryset = Organisation.objects.filter(
                pk__in=managed
            ).order_by("name")


class TierShareForm(StyledFormMixin, forms.Form):
    period_start = forms.DateField(label=_("Period start"), **DATE)
    period_end = forms.DateField(
        label=_("Period end"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The period ends before it starts."))
        return cleaned


class MdfRequestForm(StyledFormMixin, forms.Form):
    """What a partner asks funds for: the activity, its plan and budget, and expected leads;
    the request's custom fields as `cf_<key>` (`custom_form_values` hands them to the service)."""

    allocation = forms.ModelChoiceField(
        label=_("Funds"), queryset=MdfAllocation.objects.none(), empty_label=None
    )
    activity_name = forms.CharField(label=_("Activity"), max_length=200)
    activity_type = forms.ChoiceField(
        label=_("Activity type"), choices=MdfRequest.ActivityType.choices
    )
    plan = forms.CharField(label=_("Plan"), widget=forms.Textarea(attrs={"rows": 4}))
    starts_on = forms.DateField(label=_("Starts"), required=False, **DATE)
    ends_on = forms.DateField(
        label=_("Ends"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    amount = money_field(_("Amount requested"))
    expected_leads = forms.IntegerField(
        label=_("Expected leads"), min_value=0, max_value=1_000_000, initial=0
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["allocation"].queryset = (
            visible_to(user, MdfAllocation.objects.all())
            .filter(organisation_id=user.organisation_id)
            .order_by("-period_start")
        )
        self.fields["allocation"].label_from_instance = lambda a: (
            f"{a.period_start:%Y-%m-%d} – {a.period_end:%Y-%m-%d} · {a.amount} {a.currency}"
        )
        self.user = user
        add_custom_form_fields(self, model=MdfRequest)


class PassDownForm(StyledFormMixin, forms.Form):
    """Pass part of a distributor's funds down to one of the resellers directly below it."""

    reseller = forms.ModelChoiceField(label=_("Reseller"), queryset=Organisation.objects.none())
    amount = money_field(_("Amount"))
    note = forms.CharField(label=_("Note"), max_length=255, required=False)

    def __init__(self, *args, allocation: MdfAllocation, **kwargs):
        super().__init__(*args, **kwargs)
        from allyance.partners.services.mdf import resellers_below

        self.fields["reseller"].queryset = resellers_below(allocation.organisation_id)


class DecisionForm(StyledFormMixin, forms.Form):
    """Approve (in full, or the amount given) or reject (with a reason)."""

    action = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    amount = money_field(_("Amount approved"), required=False)
    reason = forms.CharField(label=_("Reason"), max_length=255, required=False)
    version = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=1, max_value=2**31 - 1
    )


class PayForm(StyledFormMixin, forms.Form):
    paid_on = forms.DateField(label=_("Paid on"), **DATE)
    reference = forms.CharField(label=_("Payment reference"), max_length=80, required=False)
    version = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=1, max_value=2**31 - 1
    )


class LeadsForm(StyledFormMixin, forms.Form):
    """The leads a funded activity brought: the partner's leads the user can see (a picker of
    every lead in the system would be unusable)."""

    leads = forms.ModelMultipleChoiceField(
        label=_("Leads from this activity"), queryset=Lead.objects.none(), required=False
    )

    def __init__(self, *args, user, request: MdfRequest, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leads"].queryset = visible_to(
            user,
            Lead.objects.filter(
                Q(organisation_id=request.organisation_id) | Q(mdf_requests=request)
            ).distinct(),
        ).order_by("-created_at")


class MdfClaimForm(StyledFormMixin, forms.Form):
    """The expense invoice a claim is for, and the claim's custom fields as `cf_<key>`."""

    request = forms.ModelChoiceField(
        label=_("Fund request"), queryset=MdfRequest.objects.none(), empty_label=None
    )
    invoice_number = forms.CharField(label=_("Invoice number"), max_length=60)
    invoice_date = forms.DateField(label=_("Invoice date"), **DATE)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["request"].queryset = (
            visible_to(user, MdfRequest.objects.select_related("allocation"))
            .filter(organisation_id=user.organisation_id, status=MdfRequest.Status.APPROVED)
            .order_by("-created_at")
        )
        self.fields["request"].label_from_instance = lambda r: (
            f"{r.activity_name} · {r.approved_amount} {r.allocation.currency}"
        )
        self.user = user
        add_custom_form_fields(self, model=MdfClaim)


class ClaimLineForm(StyledFormMixin, forms.Form):
    description = forms.CharField(label=_("Description"), max_length=255, required=False)
    amount = money_field(_("Amount"), required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("amount") is not None and not cleaned.get("description", "").strip():
            self.add_error("description", _("Describe what this line paid for."))
        if cleaned.get("description", "").strip() and cleaned.get("amount") is None:
            self.add_error("amount", _("Enter the amount of this line."))
        return cleaned

    def line(self) -> tuple[str, object] | None:
        description = self.cleaned_data.get("description", "").strip()
        if not description:
            return None
        return description, self.cleaned_data["amount"]


ClaimLineFormSet = forms.formset_factory(ClaimLineForm, extra=4, max_num=50, validate_max=True)


class LedgerQueryForm(StyledFormMixin, forms.Form):
    period_start = forms.DateField(label=_("From"), required=False, **DATE)
    period_end = forms.DateField(
        label=pgettext_lazy("end of a date range", "To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    organisation = forms.ModelChoiceField(
        label=_("Partner"), queryset=Organisation.objects.none(), required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = mdf_partners_for(user)


def _partner_filter() -> django_filters.ModelChoiceFilter:
    return django_filters.ModelChoiceFilter(
        field_name="organisation",
        queryset=Organisation.objects.filter(kind=Organisation.Kind.PARTNER),
        label=_("Partner"),
    )


class MdfAllocationFilter(GatedFilterSet):
    organisation = _partner_filter()
    period_from = django_filters.DateFilter(
        field_name="period_end", lookup_expr="gte", label=_("Period from")
    )
    period_to = django_filters.DateFilter(
        field_name="period_start", lookup_expr="lte", label=_("Period to")
    )
    currency = django_filters.ChoiceFilter(choices=currency_choices, label=_("Currency"))

    class Meta:
        model = MdfAllocation
        fields = ["organisation", "source", "currency"]


class MdfRequestFilter(GatedFilterSet):
    organisation = _partner_filter()
    allocation = django_filters.NumberFilter(
        field_name="allocation", label=_("Funds (id)"), min_value=1, max_value=MAX_ID
    )

    class Meta:
        model = MdfRequest
        fields = ["organisation", "status", "activity_type", "allocation"]


class MdfClaimFilter(GatedFilterSet):
    organisation = _partner_filter()
    request = django_filters.NumberFilter(
        field_name="request", label=_("Fund request (id)"), min_value=1, max_value=MAX_ID
    )

    class Meta:
        model = MdfClaim
        fields = ["organisation", "status", "request"]
