"""Writes on pipelines and their stages: central data that only administrators change.

Stages are the state machine's data (order, probability, forecast category, outcome,
requirements); `services.opportunities.opportunity_move` is the function that reads it.
"""

from __future__ import annotations

import nh3
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from allyance.core import audit
from allyance.core.models import User
from allyance.sales.models import ForecastCategory, Opportunity, Pipeline, Stage, StageChange

# The standard pipeline a fresh installation starts with:
# (name, probability, forecast category, outcome).
STANDARD_STAGES = (
    ("Qualification", 10, ForecastCategory.PIPELINE, Stage.Outcome.OPEN),
    ("Needs analysis", 20, ForecastCategory.PIPELINE, Stage.Outcome.OPEN),
    ("Proposal", 50, ForecastCategory.BEST_CASE, Stage.Outcome.OPEN),
    ("Negotiation", 75, ForecastCategory.COMMIT, Stage.Outcome.OPEN),
    ("Won", 100, ForecastCategory.CLOSED, Stage.Outcome.WON),
    ("Lost", 0, ForecastCategory.OMITTED, Stage.Outcome.LOST),
)
STANDARD_PIPELINE_NAME = "Sales"

# What a playbook may keep: basic formatting, links and lists; no scripts, styles or on*.
PLAYBOOK_TAGS = {
    "p",
    "br",
    "b",
    "strong",
    "i",
    "em",
    "u",
    "s",
    "ul",
    "ol",
    "li",
    "a",
    "h3",
    "h4",
    "h5",
    "blockquote",
    "code",
    "pre",
    "hr",
}
PLAYBOOK_ATTRIBUTES = {"a": {"href", "title"}}

# Opportunity fields an administrator may make required for entering a stage.
REQUIRABLE_FIELDS = (
    "amount",
    "close_date",
    "contacts",
    "competitors",
    "next_step",
    "description",
    "source",
    "territory",
    "owner",
    "loss_reason",
)


def requirable_field_choices() -> list[tuple[str, str]]:
    """(field name, label) of the opportunity fields a stage may require."""
    return [
        (name, str(Opportunity._meta.get_field(name).verbose_name).capitalize())
        for name in REQUIRABLE_FIELDS
    ]


def playbook_sanitised(html: str) -> str:
    """Playbook HTML with only basic formatting, links and lists left (nh3)."""
    return nh3.clean(
        html or "",
        tags=PLAYBOOK_TAGS,
        attributes=PLAYBOOK_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    ).strip()


def ensure_admin(by: User | None) -> None:
    """Pipelines and stages are central data: only administrators change them."""
    if by is not None and not by.is_admin:
        raise PermissionDenied(_("Only administrators change pipelines and stages."))


def pipeline_default() -> Pipeline:
    """The pipeline new deals go into: the default one, else the first active one.

    A fresh installation gets the standard pipeline (Qualification … Won, Lost) here.
    """
    active = Pipeline.objects.filter(is_active=True)
    found = active.filter(is_default=True).first() or active.first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            pipeline = Pipeline.objects.create(
                name=STANDARD_PIPELINE_NAME,
                is_default=not Pipeline.objects.filter(is_default=True).exists(),
            )
            Stage.objects.bulk_create(
                Stage(
                    pipeline=pipeline,
                    name=name,
                    order=order,
                    probability=probability,
                    forecast_category=category,
                    outcome=outcome,
                )
                for order, (name, probability, category, outcome) in enumerate(STANDARD_STAGES)
            )
    except IntegrityError:  # someone else created it at the same moment, or an inactive one
        pipeline = Pipeline.objects.get(name=STANDARD_PIPELINE_NAME)
        if not pipeline.is_active:
            pipeline.is_active = True
            pipeline.save(update_fields=["is_active"])
    return pipeline


def pipeline_first_stage(pipeline: Pipeline) -> Stage:
    stage = pipeline.stages.order_by("order", "id").first()
    if stage is None:
        raise ValidationError({"pipeline": _("This pipeline has no stages yet.")})
    return stage


def pipeline_save(*, pipeline: Pipeline, by: User | None) -> Pipeline:
    """Create or update a pipeline; marking it default unmarks every other one."""
    ensure_admin(by)
    pipeline.full_clean()
    with audit.acting_as(by), transaction.atomic():
        if pipeline.is_default:
            for other in Pipeline.objects.filter(is_default=True).exclude(pk=pipeline.pk):
                other.is_default = False
                other.save(update_fields=["is_default"])
        pipeline.save()
    return pipeline


def pipeline_delete(*, pipeline: Pipeline, by: User | None) -> None:
    """Delete a pipeline that no deal uses; a used one is deactivated instead by the caller."""
    ensure_admin(by)
    if Opportunity.objects.filter(pipeline=pipeline).exists():
        raise ValidationError(
            _("Deals are still in this pipeline. Deactivate it instead of deleting it.")
        )
    with audit.acting_as(by), transaction.atomic():
        pipeline.delete()


def _clean_checklist(checklist) -> list[dict]:
    from allyance.activities.models import Activity

    if not isinstance(checklist, list):
        raise ValidationError({"checklist": _("Expected a list of activities.")})
    kinds = set(Activity.Kind.values)
    cleaned = []
    for item in checklist:
        if not isinstance(item, dict) or item.get("kind") not in kinds:
            raise ValidationError(
                {
                    "checklist": _("Each checklist item needs an activity type (one of %(kinds)s).")
                    % {"kinds": ", ".join(sorted(kinds))}
                }
            )
        subject = item.get("subject") or ""
        if not isinstance(subject, str) or len(subject) > 200:
            raise ValidationError(
                {"checklist": _("A checklist subject is text of at most 200 characters.")}
            )
        cleaned.append({"kind": item["kind"], "subject": subject.strip()})
    return cleaned


def stage_save(*, stage: Stage, by: User | None) -> Stage:
    """Create or update a stage: known required fields, a clean checklist, a sanitised playbook."""
    ensure_admin(by)
    if stage.pk is not None:
        stored = Stage.objects.filter(pk=stage.pk).values_list("pipeline_id", flat=True).first()
        if stored is not None and stored != stage.pipeline_id:
            raise ValidationError(
                {"pipeline": _("A stage stays in its pipeline; add a new stage to the other one.")}
            )
    fields = stage.required_fields
    if not isinstance(fields, list) or any(name not in REQUIRABLE_FIELDS for name in fields):
        raise ValidationError(
            {
                "required_fields": _("Choose required fields among: %(fields)s.")
                % {"fields": ", ".join(REQUIRABLE_FIELDS)}
            }
        )
    stage.required_fields = list(dict.fromkeys(fields))
    stage.checklist = _clean_checklist(stage.checklist)
    stage.playbook = playbook_sanitised(stage.playbook)
    if stage.outcome == Stage.Outcome.WON and stage.forecast_category == ForecastCategory.OMITTED:
        raise ValidationError(
            {"forecast_category": _("A won stage cannot be omitted from the forecast.")}
        )
    stage.full_clean()
    with audit.acting_as(by), transaction.atomic():
        if stage.pk is None and not stage.order:
            last = stage.pipeline.stages.aggregate(last=models.Max("order"))["last"]
            stage.order = 0 if last is None else last + 1
        stage.save()
    return stage


def stage_delete(*, stage: Stage, by: User | None) -> None:
    """Delete a stage no deal is in."""
    ensure_admin(by)
    if stage.opportunities.exists():
        raise ValidationError(_("Deals are still in this stage. Move them before deleting it."))
    if StageChange.objects.filter(to_stage=stage).exists():
        raise ValidationError(
            _("Deals have passed through this stage: deleting it would lose their history.")
        )
    with audit.acting_as(by), transaction.atomic():
        stage.delete()


def stages_reorder(*, pipeline: Pipeline, stage_ids: list[int], by: User | None) -> None:
    """Put the pipeline's stages in the order given (ids of all its stages)."""
    ensure_admin(by)
    stages = {stage.pk: stage for stage in pipeline.stages.all()}
    if sorted(stage_ids) != sorted(stages):
        raise ValidationError({"stages": _("Give every stage of this pipeline exactly once.")})
    with audit.acting_as(by), transaction.atomic():
        for order, pk in enumerate(stage_ids):
            stage = stages[pk]
            if stage.order != order:
                stage.order = order
                stage.save(update_fields=["order"])
