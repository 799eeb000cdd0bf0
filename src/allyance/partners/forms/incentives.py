"""Forms of the incentives part: an incentive plan, and the period a scorecard covers."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from allyance.catalog.models import Product
from allyance.core.forms import StyledFormMixin
from allyance.partners.models import IncentivePlan
from allyance.partners.selectors.scorecards import ScorePeriod, score_period


class IncentivePlanForm(StyledFormMixin, forms.ModelForm):
    """A rebate uses percent and threshold; a spiff a product and an amount per unit."""

    class Meta:
        model = IncentivePlan
        fields = [
            "name",
            "kind",
            "currency",
            "rebate_percent",
            "threshold",
            "product",
            "spiff_amount",
            "tiers",
            "valid_from",
            "valid_until",
            "active",
        ]
        widgets = {
            "valid_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "valid_until": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.filter(active=True).order_by("name")
        self.fields["product"].help_text = _("Spiffs only: the product whose units earn it.")
        self.fields["threshold"].help_text = _("Rebates only: revenue above this earns the rebate.")


class ScorecardPeriodForm(StyledFormMixin, forms.Form):
    """Month, quarter, year (containing a day) or a custom range; currency; roll-up switch."""

    period = forms.ChoiceField(
        label=_("Period"),
        required=False,
        choices=[
            ("month", _("Month")),
            ("quarter", _("Quarter")),
            ("year", _("Year")),
            ("custom", pgettext_lazy("period", "Custom")),
        ],
    )
    date = forms.DateField(
        label=_("Containing"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=pgettext_lazy("end of a date range", "To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    currency = forms.ChoiceField(
        label=_("Currency"), required=False, choices=[(c, c) for c in settings.CURRENCIES]
    )
    include_below = forms.BooleanField(label=_("Include partners below"), required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("period") == "custom" and not (cleaned.get("start") and cleaned.get("end")):
            self.add_error("start", _("A custom period needs a start and an end."))
        return cleaned

    def _data(self) -> dict:
        return self.cleaned_data if self.is_valid() else {}

    def chosen(self) -> ScorePeriod:
        data = self._data()
        return score_period(
            data.get("period") or "quarter",
            data.get("date"),
            start=data.get("start"),
            end=data.get("end"),
        )

    def currency_chosen(self) -> str:
        return self._data().get("currency") or settings.DEFAULT_CURRENCY

    def include_below_chosen(self) -> bool:
        return bool(self._data().get("include_below"))
