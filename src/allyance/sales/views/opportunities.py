"""Web pages for opportunities: list, board, detail with stage progress, forms and moves."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.formats import number_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from allyance.activities.forms import ActivityForm
from allyance.activities.models import Activity
from allyance.activities.selectors import activities_visible_to
from allyance.activities.services import activity_save
from allyance.core.api import users_assignable_by
from allyance.core.editing import record_form_page
from allyance.core.exceptions import ConflictError
from allyance.core.listing import Column, RecordList
from allyance.core.timeline import timeline_for
from allyance.core.visibility import get_visible_or_404, visible_to
from allyance.sales.filters.opportunities import OpportunityFilter
from allyance.sales.forms.opportunities import OpportunityContactForm, OpportunityForm
from allyance.sales.models import Lead, Opportunity, Pipeline, Stage
from allyance.sales.selectors import opportunities as selectors
from allyance.sales.services import opportunities as services
from allyance.sales.services.pipelines import pipeline_default, playbook_sanitised

OPPORTUNITY_LIST = RecordList(
    selector=selectors.opportunities_visible_to,
    filterset_class=OpportunityFilter,
    title=gettext_lazy("Opportunities"),
    template="sales/opportunity_list.html",
    columns=[
        Column("name", gettext_lazy("Name"), sort="name", link=True),
        Column("account", gettext_lazy("Account")),
        Column("stage", gettext_lazy("Sales stage")),
        Column("amount", gettext_lazy("Amount"), sort="amount"),
        Column("currency", gettext_lazy("Currency")),
        Column("close_date", gettext_lazy("Expected close"), sort="close_date"),
        Column("owner", gettext_lazy("Owner")),
        Column("updated_at", gettext_lazy("Updated"), sort="updated_at"),
    ],
    default_ordering="-updated_at",
    create_url=reverse_lazy("sales:opportunity-create"),
)


def _get_opportunity(request: HttpRequest, pk: int) -> Opportunity:
    return get_visible_or_404(request.user, selectors.opportunities_visible_to(request.user), pk=pk)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@login_required
def opportunity_list(request: HttpRequest) -> HttpResponse:
    return OPPORTUNITY_LIST.render(request)


# --- Detail ---------------------------------------------------------------------------------


def _next_open_stage(opportunity: Opportunity, stages: list[Stage]) -> Stage | None:
    if opportunity.stage.is_closed:
        return None
    later = [s for s in stages if s.order > opportunity.stage.order and not s.is_closed]
    return later[0] if later else None


def _next_stage_status(opportunity: Opportunity, stage: Stage | None) -> dict | None:
    """What the deal still needs before it may enter the next stage, item by item."""
    if stage is None:
        return None
    requirements = services.stage_requirements(opportunity, stage)
    return {
        "stage": stage,
        "requirements": requirements,
        "ready": all(r.done for r in requirements),
    }


@login_required
def opportunity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = _get_opportunity(request, pk)
    stages = list(opportunity.pipeline.stages.order_by("order", "id"))
    changes = selectors.stage_history(opportunity)
    activities = activities_visible_to(request.user).filter(
        target_type=ContentType.objects.get_for_model(Opportunity), target_id=str(opportunity.pk)
    )
    contact_roles = list(
        opportunity.contact_roles.select_related("contact").order_by("contact__family_name")
    )
    return render(
        request,
        "sales/opportunity_detail.html",
        {
            "record": opportunity,
            "stages": stages,
            "stage_times": selectors.time_in_stages(opportunity, changes=changes),
            "changes": list(reversed(changes)),
            # Sanitised on save too; again here for rows written around the service.
            "playbook": mark_safe(playbook_sanitised(opportunity.stage.playbook)),  # noqa: S308
            "next_stage": _next_stage_status(opportunity, _next_open_stage(opportunity, stages)),
            "contact_roles": contact_roles,
            "contact_form": OpportunityContactForm(user=request.user, account=opportunity.account),
            "source_leads": visible_to(
                request.user, Lead.objects.filter(converted_opportunity=opportunity)
            ),
            "timeline": timeline_for(
                opportunity, activities=activities, page=request.GET.get("timeline")
            ),
        },
    )


# --- Create and edit ------------------------------------------------------------------------


def _save_for(request: HttpRequest):
    def save(record, *, by, expected_version):
        return services.opportunity_save(
            opportunity=record,
            by=by,
            expected_version=expected_version,
            reopen=request.POST.get("reopen") == "on",
        )

    return save


@login_required
def opportunity_create(request: HttpRequest) -> HttpResponse:
    if request.user.is_customer:
        raise PermissionDenied
    initial = {}
    for name in ("account", "pipeline", "stage"):
        if request.GET.get(name, "").isdigit():
            initial[name] = request.GET[name]
    return record_form_page(
        request,
        form_class=OpportunityForm,
        instance=Opportunity(),
        save=_save_for(request),
        title=_("New opportunity"),
        cancel_url=reverse("sales:opportunity-list"),
        initial=initial,
    )


@login_required
def opportunity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = _get_opportunity(request, pk)
    return record_form_page(
        request,
        form_class=OpportunityForm,
        instance=opportunity,
        save=_save_for(request),
        title=_("Edit %(name)s") % {"name": opportunity},
        cancel_url=opportunity.get_absolute_url(),
    )


# --- Moves ----------------------------------------------------------------------------------


def _column_summaries(request: HttpRequest, pipeline: Pipeline) -> list[dict]:
    owner_id = request.POST.get("owner", "")
    owner = (
        users_assignable_by(request.user).filter(pk=owner_id).first()
        if (owner_id.isdigit())
        else None
    )
    columns = selectors.board_summaries(request.user, pipeline=pipeline, owner=owner)
    return [
        {"stage": column.stage.pk, "count": column.count, "totals": _totals_text(column.totals)}
        for column in columns
    ]


def _totals_text(totals: dict) -> str:
    return " · ".join(
        f"{number_format(amount, decimal_pos=0, use_l10n=True, force_grouping=True)} {currency}"
        for currency, amount in sorted(totals.items())
    )


@login_required
@require_POST
def opportunity_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a deal (board drag, detail page buttons); refusals answer 400 with the reason."""
    opportunity = _get_opportunity(request, pk)
    stage_id = request.POST.get("stage", "")
    stage = Stage.objects.filter(pk=stage_id).first() if stage_id.isdigit() else None
    version = request.POST.get("version", "")
    error, status = None, 200
    if stage is None:
        error, status = _("Choose a stage."), 400
    else:
        try:
            services.opportunity_move(
                opportunity=opportunity,
                stage=stage,
                by=request.user,
                expected_version=int(version) if version.isdigit() else None,
                reopen=request.POST.get("reopen") in ("1", "on", "true"),
                loss_reason=request.POST.get("loss_reason"),
            )
        except ValidationError as exc:
            error, status = " ".join(exc.messages), 400
        except ConflictError as exc:
            error, status = str(exc), 409
    if _wants_json(request):
        if error:
            return JsonResponse({"ok": False, "message": error}, status=status)
        return JsonResponse(
            {
                "ok": True,
                "stage": opportunity.stage_id,
                "version": opportunity.version,
                "message": _("Moved to %(stage)s.") % {"stage": opportunity.stage},
                "columns": _column_summaries(request, opportunity.pipeline),
            }
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Moved to %(stage)s.") % {"stage": opportunity.stage})
    return redirect(opportunity.get_absolute_url())


# --- Contacts and activities ----------------------------------------------------------------


@login_required
@require_POST
def opportunity_contact_add(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = _get_opportunity(request, pk)
    form = OpportunityContactForm(request.POST, user=request.user, account=opportunity.account)
    if form.is_valid():
        try:
            services.opportunity_contact_save(
                opportunity=opportunity,
                contact=form.cleaned_data["contact"],
                role=form.cleaned_data["role"],
                by=request.user,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Contact added."))
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect(opportunity.get_absolute_url())


@login_required
@require_POST
def opportunity_contact_remove(request: HttpRequest, pk: int, link_pk: int) -> HttpResponse:
    opportunity = _get_opportunity(request, pk)
    link = opportunity.contact_roles.filter(pk=link_pk).first()
    if link is not None:
        services.opportunity_contact_remove(link=link, by=request.user)
        messages.success(request, _("Contact removed."))
    return redirect(opportunity.get_absolute_url())


@login_required
def opportunity_log_activity(request: HttpRequest, pk: int) -> HttpResponse:
    """Log an activity on the deal (it counts for the stage checklists), then go back to it."""
    opportunity = _get_opportunity(request, pk)
    initial = {
        "kind": request.GET.get("kind", Activity.Kind.CALL),
        "account": opportunity.account_id,
        "status": Activity.Status.DONE,
    }
    if request.GET.get("subject"):
        initial["subject"] = request.GET["subject"][:200]

    def save(record, *, by, expected_version):
        record.target = opportunity
        return activity_save(activity=record, by=by, expected_version=expected_version)

    response = record_form_page(
        request,
        form_class=ActivityForm,
        instance=Activity(account=opportunity.account),
        save=save,
        title=_("Log an activity on %(name)s") % {"name": opportunity},
        cancel_url=opportunity.get_absolute_url(),
        initial=initial,
    )
    if response.status_code == 302:  # saved: back to the deal rather than to the activity
        return redirect(opportunity.get_absolute_url())
    return response


# --- Board ----------------------------------------------------------------------------------


@login_required
def opportunity_board(request: HttpRequest) -> HttpResponse:
    """A pipeline's deals as columns of cards, dragged between stages."""
    if request.user.is_customer:
        raise PermissionDenied
    pipelines = list(selectors.pipelines_to_work_in(request.user))
    if not pipelines:
        pipelines = [pipeline_default()]
    chosen = request.GET.get("pipeline", "")
    pipeline = next((p for p in pipelines if str(p.pk) == chosen), pipelines[0])
    owners = users_assignable_by(request.user).order_by("last_name", "first_name", "username")
    owner = None
    mine = request.GET.get("mine") == "1"
    if mine:
        owner = request.user
    if not mine and request.GET.get("owner", "").isdigit():
        owner = owners.filter(pk=request.GET["owner"]).first()
    columns = selectors.board_columns(request.user, pipeline=pipeline, owner=owner)
    for column in columns:
        column.totals_text = _totals_text(column.totals)
    return render(
        request,
        "sales/board.html",
        {
            "pipeline": pipeline,
            "pipelines": pipelines,
            "columns": columns,
            "owners": owners[:200],
            "owner": owner,
            "mine": mine,
            "total_text": _totals_text(selectors.board_totals_by_currency(columns)),
        },
    )
