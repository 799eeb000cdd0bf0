"""Forms for commission plans (with their tiers) and for choosing a statement to show."""

from __future__ import annotations

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from allyance.core.forms import StyledFormMixin
from allyance.core.models import STAFF_ROLES, User
from allyance.sales.models import CommissionPlan, CommissionTier
from allyance.sales.selectors.commissions import (
    commission_plans_visible_to,
    commission_reps_visible_to,
)
from allyance.sales.services.commissions import period_containing, period_end


class CommissionPlanForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = CommissionPlan
        fields = [
            "name",
            "currency",
            "is_active",
            "period",
            "rate_kind",
            "flat_rate",
            "tier_mode",
            "users",
            "description",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "tier_mode": _(
                "Whole amount: the tier reached pays its rate on every deal of the period. "
                "Marginal: each slice of the won amount is paid at the rate of its own tier."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only staff earn commission; partners' people are paid by their organisation.
        self.fields["users"].queryset = User.objects.filter(is_active=True, role__in=STAFF_ROLES)


class CommissionTierForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = CommissionTier
        fields = ["from_attainment", "rate"]


CommissionTierFormSet = forms.inlineformset_factory(
    CommissionPlan,
    CommissionTier,
    form=CommissionTierForm,
    extra=3,
    can_delete=True,
)


class StatementQueryForm(StyledFormMixin, forms.Form):
    """Which plan, period and (for managers) rep; defaults to the current period."""

    plan = forms.ModelChoiceField(label=_("Plan"), queryset=CommissionPlan.objects.none())
    period_start = forms.DateField(
        label=_("Period starting"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    user = forms.ModelChoiceField(label=_("Rep"), queryset=User.objects.none(), required=False)

    def __init__(self, data=None, *, viewer, plans=None, **kwargs):
        super().__init__(data, **kwargs)
        self.viewer = viewer
        self.fields["plan"].queryset = (
            plans if plans is not None else commission_plans_visible_to(viewer)
        )
        self.fields["user"].queryset = commission_reps_visible_to(viewer).order_by(
            "last_name", "first_name"
        )

    def clean(self):
        cleaned = super().clean()
        plan, start = cleaned.get("plan"), cleaned.get("period_start")
        if plan is not None and start is not None:
            try:
                period_end(period=plan.period, period_start=start)
            except ValidationError as exc:
                self.add_error("period_start", exc.message_dict["period_start"])
        return cleaned

    @staticmethod
    def current_period_start(plan: CommissionPlan | None) -> datetime.date:
        today = timezone.localdate()
        period = plan.period if plan is not None else CommissionPlan.Period.QUARTER
        return period_containing(period=period, day=today)
