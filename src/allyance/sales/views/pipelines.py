"""Administration of pipelines and their stages (administrators only)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from allyance.core.forms import form_errors_from
from allyance.core.views_admin import admin_required
from allyance.sales.forms.pipelines import PipelineForm, StageForm
from allyance.sales.models import Opportunity, Pipeline, Stage
from allyance.sales.services import pipelines as services


def _apply_errors(form, exc: ValidationError) -> None:
    form_errors_from(form, exc)


def _form_page(request, *, form, save, title, cancel_url, delete_url=None) -> HttpResponse:
    """Validate, call the service, and go to the saved record; errors stay beside the fields."""
    if request.method == "POST" and form.is_valid():
        try:
            record = save(form.save(commit=False))
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            pipeline = record if isinstance(record, Pipeline) else record.pipeline
            return redirect("sales:pipeline-detail", pk=pipeline.pk)
    return render(
        request,
        "core/admin_form.html",
        {"form": form, "title": title, "cancel_url": cancel_url, "delete_url": delete_url},
    )


@admin_required
def pipeline_list(request: HttpRequest) -> HttpResponse:
    pipelines = Pipeline.objects.annotate(stage_count=Count("stages", distinct=True)).order_by(
        "order", "name"
    )
    deal_counts = dict(
        Opportunity.objects.order_by()
        .values_list("pipeline_id")
        .annotate(count=Count("id"))
        .values_list("pipeline_id", "count")
    )
    rows = [(pipeline, deal_counts.get(pipeline.pk, 0)) for pipeline in pipelines]
    return render(request, "sales/pipeline_list.html", {"rows": rows})


@admin_required
def pipeline_create(request: HttpRequest) -> HttpResponse:
    return _form_page(
        request,
        form=PipelineForm(request.POST or None),
        save=lambda pipeline: services.pipeline_save(pipeline=pipeline, by=request.user),
        title=_("New pipeline"),
        cancel_url=reverse("sales:pipeline-list"),
    )


@admin_required
def pipeline_detail(request: HttpRequest, pk: int) -> HttpResponse:
    pipeline = get_object_or_404(Pipeline, pk=pk)
    deal_counts = dict(
        Opportunity.objects.filter(pipeline=pipeline)
        .order_by()
        .values_list("stage_id")
        .annotate(count=Count("id"))
        .values_list("stage_id", "count")
    )
    labels = dict(services.requirable_field_choices())
    stages = [
        {
            "stage": stage,
            "deals": deal_counts.get(stage.pk, 0),
            "required": [labels.get(name, name) for name in stage.required_fields],
            "has_playbook": bool(stage.playbook.strip()),
        }
        for stage in pipeline.stages.order_by("order", "id")
    ]
    return render(request, "sales/pipeline_detail.html", {"pipeline": pipeline, "stages": stages})


@admin_required
def pipeline_edit(request: HttpRequest, pk: int) -> HttpResponse:
    pipeline = get_object_or_404(Pipeline, pk=pk)
    return _form_page(
        request,
        form=PipelineForm(request.POST or None, instance=pipeline),
        save=lambda record: services.pipeline_save(pipeline=record, by=request.user),
        title=_("Edit %(name)s") % {"name": pipeline},
        cancel_url=reverse("sales:pipeline-detail", args=[pipeline.pk]),
        delete_url=reverse("sales:pipeline-delete", args=[pipeline.pk]),
    )


@admin_required
@require_POST
def pipeline_delete(request: HttpRequest, pk: int) -> HttpResponse:
    pipeline = get_object_or_404(Pipeline, pk=pk)
    try:
        services.pipeline_delete(pipeline=pipeline, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("sales:pipeline-detail", pk=pipeline.pk)
    messages.success(request, _("Pipeline deleted."))
    return redirect("sales:pipeline-list")


@admin_required
def stage_create(request: HttpRequest, pk: int) -> HttpResponse:
    pipeline = get_object_or_404(Pipeline, pk=pk)
    return _form_page(
        request,
        form=StageForm(request.POST or None, instance=Stage(pipeline=pipeline)),
        save=lambda stage: services.stage_save(stage=stage, by=request.user),
        title=_("New stage in %(pipeline)s") % {"pipeline": pipeline},
        cancel_url=reverse("sales:pipeline-detail", args=[pipeline.pk]),
    )


@admin_required
def stage_edit(request: HttpRequest, pk: int) -> HttpResponse:
    stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=pk)
    return _form_page(
        request,
        form=StageForm(request.POST or None, instance=stage),
        save=lambda record: services.stage_save(stage=record, by=request.user),
        title=_("Edit %(name)s") % {"name": f"{stage.pipeline} · {stage}"},
        cancel_url=reverse("sales:pipeline-detail", args=[stage.pipeline_id]),
        delete_url=reverse("sales:stage-delete", args=[stage.pk]),
    )


@admin_required
@require_POST
def stage_delete(request: HttpRequest, pk: int) -> HttpResponse:
    stage = get_object_or_404(Stage, pk=pk)
    try:
        services.stage_delete(stage=stage, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Stage deleted."))
    return redirect("sales:pipeline-detail", pk=stage.pipeline_id)
