"""Web pages for lead routing: the assignment rules, the lead queue, and routing on demand."""

from __future__ import annotations

from dataclasses import replace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from allyance.core.forms import form_errors_from
from allyance.core.listing import Column, RecordList
from allyance.core.models import Team, Territory, User
from allyance.core.visibility import visible_to
from allyance.sales.filters.leads import LeadFilter
from allyance.sales.forms.routing import AssignmentRuleForm, LeadRouteForm
from allyance.sales.models import AssignmentRule, Lead
from allyance.sales.selectors import routing as selectors
from allyance.sales.services import routing as services

PREVIEW_ROWS = 200  # rows the routing preview shows; the counts cover every lead
ROUTE_LIMIT = 10000  # leads one on-demand run routes


def _staff_required(request: HttpRequest) -> None:
    if not request.user.is_internal:
        raise PermissionDenied


def _admin_required(request: HttpRequest) -> None:
    if not services.may_manage_rules(request.user):
        raise PermissionDenied


# --- Rules ----------------------------------------------------------------------------------


@login_required
def assignment_rule_list(request: HttpRequest) -> HttpResponse:
    """The rules in the order they are tried; administrators change them."""
    _staff_required(request)
    rules = list(selectors.assignment_rules_visible_to(request.user))
    return render(
        request,
        "sales/routing_rule_list.html",
        {
            "rules": rules,
            "may_edit": services.may_manage_rules(request.user),
            "may_route": services.may_route(request.user),
        },
    )


def _rule_form(request: HttpRequest, rule: AssignmentRule, title: str) -> HttpResponse:
    form = AssignmentRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        try:
            services.assignment_rule_save(rule=form.save(commit=False), by=request.user)
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("sales:assignment-rule-list")
    return render(
        request,
        "sales/routing_rule_form.html",
        {
            "form": form,
            "title": title,
            "rule": rule,
            "cancel_url": reverse("sales:assignment-rule-list"),
        },
    )


@login_required
def assignment_rule_create(request: HttpRequest) -> HttpResponse:
    _admin_required(request)
    last = AssignmentRule.objects.order_by("-priority").values_list("priority", flat=True).first()
    rule = AssignmentRule(priority=(last or 0) + 10)
    return _rule_form(request, rule, _("New assignment rule"))


@login_required
def assignment_rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _admin_required(request)
    rule = get_object_or_404(AssignmentRule, pk=pk)
    return _rule_form(request, rule, _("Edit rule %(name)s") % {"name": rule.name})


@login_required
@require_POST
def assignment_rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _admin_required(request)
    rule = get_object_or_404(AssignmentRule, pk=pk)
    services.assignment_rule_delete(rule=rule, by=request.user)
    messages.success(request, _("Rule “%(name)s” removed.") % {"name": rule.name})
    return redirect("sales:assignment-rule-list")


@login_required
@require_POST
def assignment_rule_move(request: HttpRequest, pk: int) -> HttpResponse:
    _admin_required(request)
    rule = get_object_or_404(AssignmentRule, pk=pk)
    try:
        services.assignment_rule_move(
            rule=rule, direction=request.POST.get("direction", ""), by=request.user
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("sales:assignment-rule-list")


# --- Queue ----------------------------------------------------------------------------------


LEAD_QUEUE = RecordList(
    selector=selectors.lead_queue_visible_to,
    filterset_class=LeadFilter,
    title=gettext_lazy("Lead queue"),
    template="sales/routing_queue.html",
    columns=[
        Column("full_name", gettext_lazy("Name"), link=True),
        Column("company", gettext_lazy("Company"), sort="company"),
        Column("score", gettext_lazy("Score"), sort="score"),
        Column("status", gettext_lazy("Status")),
        Column("source", gettext_lazy("Source")),
        Column("city", gettext_lazy("City")),
        Column("territory", gettext_lazy("Territory")),
        Column("created_at", gettext_lazy("Created"), sort="created_at"),
    ],
    default_ordering="created_at",
    bulk_actions=(),
)


@login_required
def lead_queue_list(request: HttpRequest) -> HttpResponse:
    """Open leads nobody owns yet, oldest first; managers route them from here."""
    if request.method == "POST":
        return redirect(request.get_full_path())
    page = replace(LEAD_QUEUE, extra_context={"may_route": services.may_route(request.user)})
    return page.render(request)


# --- Routing on demand ----------------------------------------------------------------------


def _ids_from(request: HttpRequest) -> list[int]:
    raw = request.POST.getlist("selected") or request.GET.getlist("selected")
    joined = request.POST.get("ids") or request.GET.get("ids") or ""
    raw = [*raw, *joined.split(",")]
    return [int(v) for v in raw if v.strip().isdigit() and len(v.strip()) < 12][:ROUTE_LIMIT]


def _leads_for(request: HttpRequest, scope: str, ids: list[int]):
    if scope == LeadRouteForm.UNASSIGNED:
        queryset = selectors.lead_queue_visible_to(request.user).order_by("created_at", "pk")
    else:
        queryset = visible_to(request.user, Lead.objects.filter(pk__in=ids)).order_by("pk")
    return list(queryset.select_related("owner", "territory")[:ROUTE_LIMIT])


@login_required
def lead_route(request: HttpRequest) -> HttpResponse:
    """Route the selected leads, or every unassigned open lead, after a preview."""
    if not services.may_route(request.user):
        raise PermissionDenied
    data = request.POST if request.method == "POST" else request.GET
    scope = data.get("scope") or (
        LeadRouteForm.SELECTED if _ids_from(request) else LeadRouteForm.UNASSIGNED
    )
    if scope not in (LeadRouteForm.SELECTED, LeadRouteForm.UNASSIGNED):
        scope = LeadRouteForm.SELECTED
    ids = _ids_from(request)
    leads = _leads_for(request, scope, ids)
    if request.method == "POST" and request.POST.get("step") == "confirm":
        result = services.leads_route(leads=leads, by=request.user)
        messages.success(
            request,
            _(
                "%(routed)d leads routed: %(moved)d changed hands, "
                "%(unmatched)d matched no rule, %(skipped)d were not open."
            )
            % {
                "routed": result.routed,
                "moved": result.moved,
                "unmatched": result.unmatched,
                "skipped": result.skipped,
            },
        )
        return redirect("sales:lead-queue-list")
    decisions, unmatched = services.leads_route_preview(leads=leads)
    users = User.objects.in_bulk({d.user_id for d in decisions if d.user_id})
    teams = Team.objects.in_bulk({d.team_id for d in decisions if d.team_id})
    territories = Territory.objects.in_bulk({d.territory_id for d in decisions if d.territory_id})
    rows = [
        {
            "lead": d.lead,
            "rule": d.rule,
            "user": users.get(d.user_id),
            "team": teams.get(d.team_id),
            "territory": territories.get(d.territory_id),
            "queued": d.queued,
            "changes": (d.lead.owner_id, d.lead.territory_id) != (d.user_id, d.territory_id),
        }
        for d in decisions[:PREVIEW_ROWS]
    ]
    return render(
        request,
        "sales/routing_route.html",
        {
            "scope": scope,
            "ids": ",".join(str(lead.pk) for lead in leads) if scope != "unassigned" else "",
            "rows": rows,
            "total": len(leads),
            "matched": len(decisions),
            "unmatched": len(unmatched),
            "moving": sum(
                1
                for d in decisions
                if (d.lead.owner_id, d.lead.territory_id) != (d.user_id, d.territory_id)
            ),
            "shown": min(len(decisions), PREVIEW_ROWS),
            "limit": ROUTE_LIMIT,
        },
    )
