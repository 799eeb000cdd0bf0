"""Web pages of lead distribution: the offers with each lead's progress, the partner's answer,
offering a lead from its page, the rules, and the report per partner."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from allyance.core.forms import form_errors_from
from allyance.core.models import Organisation
from allyance.core.redirects import posted_next_or
from allyance.core.visibility import get_visible_or_404, visible_to
from allyance.partners.forms.distribution import (
    DistributeForm,
    DistributionFilterForm,
    DistributionRuleForm,
    ReasonForm,
    ReportPeriodForm,
)
from allyance.partners.models import DistributionRule, LeadDistribution
from allyance.partners.selectors import distribution as selectors
from allyance.partners.services import distribution as services
from allyance.sales.models import Lead
from allyance.sales.selectors.leads import leads_visible_to

PAGE_SIZE = 50


def _staff_or_partner(request: HttpRequest) -> None:
    if not (request.user.is_internal or request.user.is_partner):
        raise PermissionDenied


def _message_of(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# --- Offers ---------------------------------------------------------------------------------


@login_required
def distribution_list(request: HttpRequest) -> HttpResponse:
    """Staff: the offers they may see with each lead's progress. Partners: the offers to their
    organisation, with the deadline and the buttons to answer; a distributor also the offers it
    made to its resellers (to follow or recall) and, on the leads it accepted, the form to
    offer them on to a reseller."""
    _staff_or_partner(request)
    user = request.user
    form = DistributionFilterForm(request.GET or None, user=user)
    rows = selectors.distributions_visible_to(user)
    if form.is_valid():
        if form.cleaned_data.get("status"):
            rows = rows.filter(status=form.cleaned_data["status"])
        if form.cleaned_data.get("partner"):
            rows = rows.filter(organisation=form.cleaned_data["partner"])
    page = Paginator(rows.order_by("-offered_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    lead_ids = [row.lead_id for row in page.object_list]
    openable = set(
        visible_to(user, Lead.objects.filter(pk__in=lead_ids)).values_list("pk", flat=True)
    )
    now = timezone.now()
    staff_recalls = services.may_distribute(user)  # every row listed is one the user sees
    offers_down = services.may_offer_down(user)
    for row in page.object_list:
        row.may_open_lead = row.lead_id in openable
        row.may_answer = row.status == LeadDistribution.Status.OFFERED and services.may_answer(
            user, row
        )
        recallable = (staff_recalls and not user.is_partner) or (
            user.is_partner and services.may_recall(user, row)
        )
        row.may_recall = recallable and (
            row.status == LeadDistribution.Status.OFFERED
            or (row.status == LeadDistribution.Status.ACCEPTED and row.lead.is_open)
        )
        row.may_offer_down = (
            offers_down
            and row.status == LeadDistribution.Status.ACCEPTED
            and row.organisation_id == user.organisation_id
            and row.lead.is_open
            and row.lead.organisation_id == user.organisation_id
        )
        row.is_overdue = row.status == LeadDistribution.Status.OFFERED and row.respond_by < now
        row.last_activity = selectors.last_activity_of(row)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "partners/distribution_list.html",
        {
            "form": form,
            "page": page,
            "rows": page.object_list,
            "query_string": query.urlencode(),
            "reason_form": ReasonForm(),
            "is_staff_view": user.is_internal,
            "shows_partner": user.is_internal
            or (
                user.is_partner
                and Organisation.objects.filter(parent_id=user.organisation_id).exists()
            ),
            "resellers": list(services.resellers_of(user.organisation_id)) if offers_down else [],
            "may_manage_rules": services.may_manage_rules(user),
        },
    )


def _distribution_for(request: HttpRequest, pk: int) -> LeadDistribution:
    """An offer the user may see (a distributor: also those it made to its resellers)."""
    try:
        return selectors.offers_visible_to(
            request.user, LeadDistribution.objects.select_related("lead", "organisation")
        ).get(pk=pk)
    except LeadDistribution.DoesNotExist as exc:
        raise Http404 from exc


def _back(request: HttpRequest) -> HttpResponse:
    return redirect(posted_next_or(request, reverse("partners:distribution-list")))


@login_required
@require_POST
def distribution_accept(request: HttpRequest, pk: int) -> HttpResponse:
    distribution = _distribution_for(request, pk)
    try:
        services.distribution_accept(distribution=distribution, by=request.user)
    except ValidationError as exc:
        messages.error(request, _message_of(exc))
    else:
        messages.success(request, _("Lead accepted: it is yours now."))
    return _back(request)


@login_required
@require_POST
def distribution_reject(request: HttpRequest, pk: int) -> HttpResponse:
    distribution = _distribution_for(request, pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why you reject the lead."))
        return _back(request)
    try:
        services.distribution_reject(
            distribution=distribution, reason=form.cleaned_data["reason"], by=request.user
        )
    except ValidationError as exc:
        messages.error(request, _message_of(exc))
    else:
        source = distribution.previous_organisation or Organisation.company()
        messages.success(
            request, _("Lead rejected; it went back to %(source)s.") % {"source": source.name}
        )
    return _back(request)


@login_required
@require_POST
def distribution_recall(request: HttpRequest, pk: int) -> HttpResponse:
    distribution = _distribution_for(request, pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why you recall the lead."))
        return _back(request)
    try:
        services.distribution_recall(
            distribution=distribution, reason=form.cleaned_data["reason"], by=request.user
        )
    except ValidationError as exc:
        messages.error(request, _message_of(exc))
    else:
        messages.success(request, _("Lead recalled."))
    return _back(request)


# --- From the lead's page -------------------------------------------------------------------


@login_required
@require_POST
def lead_distribute(request: HttpRequest, pk: int) -> HttpResponse:
    """Offer the lead to the partner chosen on its page (staff) or to a reseller (a
    distributor's admin, from the lead's page or its offers list)."""
    lead = get_visible_or_404(request.user, leads_visible_to(request.user), pk=pk)
    if not (services.may_distribute(request.user) or services.may_offer_down(request.user)):
        raise PermissionDenied
    form = DistributeForm(request.POST, user=request.user)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect(posted_next_or(request, lead.get_absolute_url()))
    try:
        row = services.lead_distribute(
            lead=lead,
            partner=form.cleaned_data["partner"],
            respond_hours=form.cleaned_data.get("respond_hours"),
            by=request.user,
        )
    except ValidationError as exc:
        messages.error(request, _message_of(exc))
        return redirect(posted_next_or(request, lead.get_absolute_url()))
    messages.success(
        request, _("Lead offered to %(partner)s.") % {"partner": row.organisation.name}
    )
    return redirect(posted_next_or(request, _after_offer(request, lead)))


def _after_offer(request: HttpRequest, lead: Lead) -> str:
    """Back to the lead if the user still sees it, else to the offers."""
    if visible_to(request.user, Lead.objects.filter(pk=lead.pk)).exists():
        return lead.get_absolute_url()
    return reverse("partners:distribution-list")


@login_required
@require_POST
def lead_distribute_by_rules(request: HttpRequest, pk: int) -> HttpResponse:
    """Offer the lead to the partner the distribution rules choose."""
    lead = get_visible_or_404(request.user, leads_visible_to(request.user), pk=pk)
    if not services.may_distribute(request.user):
        raise PermissionDenied
    try:
        row = services.lead_distribute_by_rules(lead=lead, by=request.user)
    except ValidationError as exc:
        messages.error(request, _message_of(exc))
        return redirect(lead.get_absolute_url())
    if row is None:
        messages.warning(request, _("No distribution rule has a partner for this lead."))
        return redirect(lead.get_absolute_url())
    messages.success(
        request, _("Lead offered to %(partner)s.") % {"partner": row.organisation.name}
    )
    return redirect(_after_offer(request, lead))


# --- Rules ----------------------------------------------------------------------------------


def _staff_required(request: HttpRequest) -> None:
    if not request.user.is_internal:
        raise PermissionDenied


def _rules_admin_required(request: HttpRequest) -> None:
    if not services.may_manage_rules(request.user):
        raise PermissionDenied


@login_required
def distribution_rule_list(request: HttpRequest) -> HttpResponse:
    """The rules in the order they are tried; administrators and channel managers edit them."""
    _staff_required(request)
    return render(
        request,
        "partners/distribution_rule_list.html",
        {
            "rules": list(selectors.distribution_rules_visible_to(request.user)),
            "may_edit": services.may_manage_rules(request.user),
        },
    )


def _rule_form(request: HttpRequest, rule: DistributionRule, title: str) -> HttpResponse:
    form = DistributionRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        try:
            services.distribution_rule_save(
                rule=form.save(commit=False),
                by=request.user,
                territories=form.cleaned_data["territories"],
                partners=form.cleaned_data["partners"],
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("partners:distribution-rule-list")
    return render(
        request,
        "core/record_form.html",
        {"form": form, "title": title, "cancel_url": reverse("partners:distribution-rule-list")},
    )


@login_required
def distribution_rule_create(request: HttpRequest) -> HttpResponse:
    _rules_admin_required(request)
    last = DistributionRule.objects.order_by("-priority").values_list("priority", flat=True).first()
    return _rule_form(
        request, DistributionRule(priority=(last or 0) + 10), _("New distribution rule")
    )


@login_required
def distribution_rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _rules_admin_required(request)
    rule = get_object_or_404(DistributionRule, pk=pk)
    return _rule_form(request, rule, _("Edit rule %(name)s") % {"name": rule.name})


@login_required
@require_POST
def distribution_rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _rules_admin_required(request)
    rule = get_object_or_404(DistributionRule, pk=pk)
    services.distribution_rule_delete(rule=rule, by=request.user)
    messages.success(request, _("Rule “%(name)s” removed.") % {"name": rule.name})
    return redirect("partners:distribution-rule-list")


# --- Report ---------------------------------------------------------------------------------


def _aware(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


@login_required
def distribution_report(request: HttpRequest) -> HttpResponse:
    """Per partner: acceptance rate, median time to accept, conversion rate and revenue."""
    _staff_or_partner(request)
    form = ReportPeriodForm(request.GET or None)
    start, end = form.period()
    stats = selectors.distribution_stats(
        user=request.user, start=_aware(start), end=_aware(end + datetime.timedelta(days=1))
    )
    names = dict(Organisation.objects.filter(pk__in=list(stats)).values_list("pk", "name"))
    rows = sorted(
        ({"organisation_id": pk, "name": names.get(pk, ""), **row} for pk, row in stats.items()),
        key=lambda row: (-row["offered"], row["name"]),
    )
    chart = {
        "kind": "bars",
        "x": [row["name"] for row in rows],
        "series": [
            {
                "name": str(_("Acceptance rate (%)")),
                "data": [float(row["acceptance_rate"] or 0) for row in rows],
            },
            {
                "name": str(_("Conversion rate (%)")),
                "data": [float(row["conversion_rate"] or 0) for row in rows],
            },
        ],
    }
    return render(
        request,
        "partners/distribution_report.html",
        {"form": form, "start": start, "end": end, "rows": rows, "chart": chart},
    )
