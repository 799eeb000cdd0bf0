"""Web pages of the incentives part: incentive plans (with what they paid in a period), a
partner's scorecard, the comparison of partners with its charts and export, and the partner
portal home."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from allyance.core.forms import form_errors_from
from allyance.core.visibility import get_visible_or_404
from allyance.partners.forms.incentives import IncentivePlanForm, ScorecardPeriodForm
from allyance.partners.models import IncentivePlan
from allyance.partners.selectors import incentives as incentive_selectors
from allyance.partners.selectors import scorecards as selectors
from allyance.partners.services import incentives as services

# Pages of the other parts the portal home links to; a name not (yet) in the URL map is
# left out rather than breaking the page.
PORTAL_LINKS = (
    "partners:distribution-list",
    "partners:registration-list",
    "partners:registration-create",
    "partners:mdf-ledger",
    "partners:mdf-request-create",
    "partners:portal-order-create",
    "partners:course-list",
    "partners:content-list",
    "partners:my-organisation",
    "partners:scorecard",
    "service:case-list",
    "service:case-create",
    "customers:account-list",
    "orders:order-list",
)


def url_or_none(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def portal_links() -> dict[str, str | None]:
    """`{"registration_create": "/partners/registrations/new/", …}`; None for a missing page."""
    return {name.split(":", 1)[1].replace("-", "_"): url_or_none(name) for name in PORTAL_LINKS}


def staff_or_partner_required(view):
    """Staff and partner users; portal customers have no scorecards or incentive plans."""

    @login_required
    def wrapped(request, *args, **kwargs):
        if not (request.user.is_internal or request.user.is_partner):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def incentives_manager_required(view):
    @login_required
    def wrapped(request, *args, **kwargs):
        if not services.may_manage_incentives(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _period_context(request: HttpRequest, form: ScorecardPeriodForm) -> dict:
    """The period chosen and links to the one before and after, keeping the other choices."""
    period = form.chosen()

    def link(p: selectors.ScorePeriod) -> str:
        query = request.GET.copy()
        for name in ("date", "start", "end"):
            query.pop(name, None)
        query["period"] = p.kind
        if p.kind == "custom":
            query["start"], query["end"] = p.start.isoformat(), p.end.isoformat()
        else:
            query["date"] = p.start.isoformat()
        return "?" + query.urlencode()

    return {
        "form": form,
        "period": period,
        "previous_url": link(period.shifted(-1)),
        "next_url": link(period.shifted(1)),
    }


# --- Incentive plans -------------------------------------------------------------------------


@staff_or_partner_required
def incentive_plan_list(request: HttpRequest) -> HttpResponse:
    """The plans the user may see and, for the chosen period, what they paid to whom."""
    form = ScorecardPeriodForm(request.GET or None)
    period = form.chosen()
    plans = incentive_selectors.incentive_plans_visible_to(request.user).order_by("name", "id")
    results = incentive_selectors.incentives_earned(
        user=request.user, start=period.start, end=period.end
    )
    names = dict(selectors.partners_visible_to(request.user).values_list("pk", "name"))
    earned = [
        {"result": result, "partner": names.get(result.organisation_id, "")}
        for result in sorted(results, key=lambda r: (r.plan.name, names.get(r.organisation_id, "")))
        if result.amount or result.base
    ]
    return render(
        request,
        "partners/incentives_plan_list.html",
        {
            **_period_context(request, form),
            "plans": plans,
            "earned": earned,
            "totals": incentive_selectors.earned_totals(results),
            "may_edit": services.may_manage_incentives(request.user),
        },
    )


def _plan_form_page(request, *, form, title, delete_url=None) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        try:
            services.incentive_plan_save(
                plan=form.save(commit=False), by=request.user, tiers=form.cleaned_data["tiers"]
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("partners:incentive-plan-list")
    return render(
        request,
        "core/admin_form.html",
        {
            "form": form,
            "title": title,
            "cancel_url": reverse("partners:incentive-plan-list"),
            "delete_url": delete_url,
        },
    )


@incentives_manager_required
def incentive_plan_create(request: HttpRequest) -> HttpResponse:
    return _plan_form_page(
        request, form=IncentivePlanForm(request.POST or None), title=_("New incentive plan")
    )


@incentives_manager_required
def incentive_plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_visible_or_404(request.user, IncentivePlan.objects.all(), pk=pk)
    return _plan_form_page(
        request,
        form=IncentivePlanForm(request.POST or None, instance=plan),
        title=str(plan),
        delete_url=reverse("partners:incentive-plan-delete", args=[plan.pk]),
    )


@incentives_manager_required
@require_POST
def incentive_plan_delete(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_visible_or_404(request.user, IncentivePlan.objects.all(), pk=pk)
    services.incentive_plan_delete(plan=plan, by=request.user)
    messages.success(request, _("Incentive plan removed."))
    return redirect("partners:incentive-plan-list")


# --- Scorecards ------------------------------------------------------------------------------


@staff_or_partner_required
def scorecard(request: HttpRequest) -> HttpResponse:
    """One partner's scorecard: a partner user's own; staff name a partner they may see."""
    organisation = request.GET.get("organisation", "")
    if not organisation:
        if request.user.is_internal:
            return redirect("partners:scorecard-compare")
        organisation = request.user.organisation_id
    form = ScorecardPeriodForm(request.GET or None)
    period = form.chosen()
    card = selectors.scorecard(
        user=request.user,
        organisation=organisation,
        start=period.start,
        end=period.end,
        include_below=form.include_below_chosen(),
        currency=form.currency_chosen(),
        kind=period.kind,
    )
    below = selectors.partners_visible_to(request.user).filter(parent=card.organisation)
    return render(
        request,
        "partners/incentives_scorecard.html",
        {
            **_period_context(request, form),
            "card": card,
            "has_partners_below": below.exists(),
            "organisation_param": request.GET.get("organisation", ""),
        },
    )


def _compare(request: HttpRequest) -> tuple[ScorecardPeriodForm, list]:
    if not request.user.is_internal:
        raise PermissionDenied
    form = ScorecardPeriodForm(request.GET or None)
    period = form.chosen()
    cards = selectors.scorecards_compare(
        user=request.user,
        start=period.start,
        end=period.end,
        include_below=form.include_below_chosen(),
        currency=form.currency_chosen(),
        kind=period.kind,
    )
    return form, cards


def _comparison_charts(cards: list, currency: str) -> dict:
    """Bars of revenue and pipeline, and of win and acceptance rates, one bar per partner."""
    names = [card.organisation.name for card in cards]
    return {
        "money": {
            "kind": "bars",
            "x": names,
            "series": [
                {
                    "name": f"{_('Revenue')} ({currency})",
                    "data": [float(card.revenue) for card in cards],
                },
                {
                    "name": f"{_('Pipeline')} ({currency})",
                    "data": [float(card.pipeline) for card in cards],
                },
            ],
        },
        "rates": {
            "kind": "bars",
            "x": names,
            "series": [
                {
                    "name": _("Win rate (%)"),
                    "data": [float(card.win_rate or 0) for card in cards],
                },
                {
                    "name": _("Acceptance rate (%)"),
                    "data": [float(card.acceptance_rate or 0) for card in cards],
                },
            ],
        },
    }


@login_required
def scorecard_compare(request: HttpRequest) -> HttpResponse:
    """Every partner the staff member may see, side by side, with charts."""
    form, cards = _compare(request)
    charts = _comparison_charts(cards, form.currency_chosen())
    return render(
        request,
        "partners/incentives_compare.html",
        {
            **_period_context(request, form),
            "cards": cards,
            "currency": form.currency_chosen(),
            "money_chart": charts["money"],
            "rates_chart": charts["rates"],
            "query_string": request.GET.urlencode(),
        },
    )


@login_required
def scorecard_compare_export(request: HttpRequest) -> HttpResponse:
    """The comparison as CSV (default) or XLSX (`?format=xlsx`)."""
    from allyance.orders.views.billing_exports import spreadsheet_response

    form, cards = _compare(request)
    period = form.chosen()
    return spreadsheet_response(
        selectors.comparison_rows(cards),
        file_format=request.GET.get("format", "csv"),
        filename=f"scorecards-{period.start.isoformat()}-{period.end.isoformat()}",
        sheet=_("Scorecards"),
    )


# --- The partner portal home -----------------------------------------------------------------


@login_required
def portal_home(request: HttpRequest) -> HttpResponse:
    """The partner user's start page; staff have their own home."""
    if not request.user.is_partner:
        return redirect("home")
    return render(
        request,
        "partners/incentives_portal_home.html",
        {
            "home": incentive_selectors.portal_home_summary(request.user),
            "links": portal_links(),
            "now": timezone.now(),
        },
    )
