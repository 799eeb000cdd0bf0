"""Report pages: forecast (with stalled deals), funnel, and performance (win rate, sales cycle,
attainment). Each shows an ECharts chart and a table with the same numbers.

Chart data goes to the page with `json_script`; `static/allyance/charts.js` draws it.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from allyance.core.forms import StyledFormMixin
from allyance.sales.models import Pipeline
from allyance.sales.selectors import reports


class PeriodForm(StyledFormMixin, forms.Form):
    period = forms.ChoiceField(
        label=gettext_lazy("Period"),
        choices=[("quarter", gettext_lazy("Quarter")), ("month", gettext_lazy("Month"))],
        required=False,
    )
    date = forms.DateField(
        label=gettext_lazy("Containing"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def chosen(self) -> reports.Period:
        data = self.cleaned_data if self.is_valid() else {}
        return reports.period_of(data.get("period") or "quarter", data.get("date"))


class FunnelForm(PeriodForm):
    pipeline = forms.ModelChoiceField(
        label=gettext_lazy("Pipeline"),
        queryset=Pipeline.objects.filter(is_active=True),
        required=False,
        empty_label=gettext_lazy("All pipelines"),
    )
    cohort = forms.BooleanField(
        label=gettext_lazy("Only deals created in the period"), required=False
    )


def reports_required(view):
    """Staff and partner users; portal customers have no sales reports."""

    @login_required
    def wrapped(request, *args, **kwargs):
        if not (request.user.is_internal or request.user.is_partner):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _period_links(period: reports.Period) -> dict:
    def link(p: reports.Period) -> str:
        return f"?period={p.kind}&date={p.start.isoformat()}"

    return {"previous_url": link(period.shifted(-1)), "next_url": link(period.shifted(1))}


def _category_labels() -> list[tuple[str, str]]:
    return [(c.value, str(c.label)) for c in reports.FORECAST_CATEGORIES]


def _forecast_chart(rows: list[dict], currency: str) -> dict:
    """Stacked bars: one bar per owner, one stack segment per forecast category."""
    rows = [row for row in rows if row["currency"] == currency]
    return {
        "kind": "stacked",
        "currency": currency,
        "x": [row["name"] or _("Nobody") for row in rows],
        "series": [
            {"name": label, "data": [float(row["categories"][value]) for row in rows]}
            for value, label in _category_labels()
        ],
    }


@reports_required
def forecast(request: HttpRequest) -> HttpResponse:
    """Open and won deals closing in the period by forecast category, owner and team."""
    form = PeriodForm(request.GET or None)
    period = form.chosen()
    data = reports.forecast(request.user, period)
    currencies = data["currencies"]
    currency = request.GET.get("currency")
    if currency not in currencies:
        currency = currencies[0] if currencies else ""
    by_owner = reports.pivot_by_category(data["by_owner"], "owner")
    by_team = reports.pivot_by_category(data["by_team"], "team")
    for row in by_team:
        row["name"] = row["name"] or _("No team")
    stalled = reports.stalled_deals_first(request.user, limit=50)
    return render(
        request,
        "sales/report_forecast.html",
        {
            "form": form,
            "period": period,
            **_period_links(period),
            "currency": currency,
            "currencies": currencies,
            "categories": _category_labels(),
            "totals": reports.pivot_by_category(data["totals"]),
            "by_owner": by_owner,
            "by_team": by_team,
            "chart": _forecast_chart(by_owner, currency),
            "stalled": stalled,
        },
    )


@reports_required
def funnel(request: HttpRequest) -> HttpResponse:
    """Per pipeline: deals that reached each stage, amounts, and conversion between stages."""
    form = FunnelForm(request.GET or None)
    period = form.chosen()
    valid = form.is_valid()
    pipeline = form.cleaned_data.get("pipeline") if valid else None
    cohort = bool(form.cleaned_data.get("cohort")) if valid else False
    pipelines = reports.funnel(request.user, pipeline=pipeline, period=period if cohort else None)
    for pipe in pipelines:
        pipe["chart"] = {
            "kind": "funnel",
            "series": [
                {"name": stage["stage_name"], "value": stage["count"]} for stage in pipe["stages"]
            ],
        }
    return render(
        request,
        "sales/report_funnel.html",
        {
            "form": form,
            "period": period,
            "cohort": cohort,
            "pipelines": pipelines,
            "charts": [
                {"id": f"funnel-data-{pipe['pipeline']}", "data": pipe["chart"]}
                for pipe in pipelines
            ],
        },
    )


@reports_required
def performance(request: HttpRequest) -> HttpResponse:
    """Win rate and sales cycle by owner and source; attainment of the period's targets."""
    form = PeriodForm(request.GET or None)
    period = form.chosen()
    data = reports.win_rate(request.user, period)
    targets = []
    for target in reports.targets_visible_to(request.user).filter(
        period_start__gte=period.start, period_start__lt=period.end
    ):
        targets.append({"target": target, **reports.attainment(request.user, target)})
    chart = {
        "kind": "bars",
        "x": [row["owner_name"] or _("Nobody") for row in data["by_owner"]],
        "series": [
            {
                "name": str(_("Win rate (%)")),
                "data": [float(row["win_rate"] or 0) for row in data["by_owner"]],
            },
            {
                "name": str(_("Average sales cycle (days)")),
                "data": [float(row["average_cycle_days"] or 0) for row in data["by_owner"]],
            },
        ],
    }
    return render(
        request,
        "sales/report_performance.html",
        {
            "form": form,
            "period": period,
            **_period_links(period),
            "data": data,
            "targets": targets,
            "chart": chart,
        },
    )
