"""Writes on opportunities: defaults, checks, and the one function that moves a deal's stage.

The stages are the state machine's data; `opportunity_move` is the only code that changes
`Opportunity.stage`. It refuses a stage whose required fields are empty on the deal or whose
checklist activities are not done, keeps closed deals closed unless reopening is explicit,
derives probability, forecast category and outcome from the stage, and logs a StageChange.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from allyance.core.models import Organisation, User
from allyance.core.services import ensure_may_write, record_save
from allyance.customers.models import Contact
from allyance.sales.models import Opportunity, OpportunityContact, Stage, StageChange
from allyance.sales.services.pipelines import pipeline_default, pipeline_first_stage

ALERTS_MODULE = "allyance.sales.services.alerts"


def _default_ownership(opportunity: Opportunity, by: User | None) -> None:
    """As for accounts: the creator owns a new deal, in the creator's organisation."""
    if opportunity.pk is None:
        if opportunity.owner_id is None and by is not None and not by.is_customer:
            opportunity.owner = by
        if opportunity.organisation_id is None:
            opportunity.organisation = (
                by.organisation if by is not None and by.organisation_id else Organisation.company()
            )


def _prepare(opportunity: Opportunity, by: User | None) -> None:
    """Defaults and the field rules every save keeps (pipeline, stage, account, amount)."""
    _default_ownership(opportunity, by)
    if opportunity.pipeline_id is None:
        opportunity.pipeline = (
            opportunity.stage.pipeline if opportunity.stage_id else pipeline_default()
        )
    if opportunity.stage_id is None:
        opportunity.stage = pipeline_first_stage(opportunity.pipeline)
    errors: dict[str, list[str]] = {}
    if opportunity.stage.pipeline_id != opportunity.pipeline_id:
        errors["stage"] = [
            _("“%(stage)s” is not a stage of the pipeline “%(pipeline)s”.")
            % {"stage": opportunity.stage, "pipeline": opportunity.pipeline}
        ]
    if opportunity.account_id is None:
        errors["account"] = [_("Choose the account this deal is with.")]
    if opportunity.amount is None or Decimal(opportunity.amount) < 0:
        errors["amount"] = [_("The amount must be zero or more.")]
    if opportunity.currency not in settings.CURRENCIES:
        errors["currency"] = [
            _("Choose one of these currencies: %(codes)s.")
            % {"codes": ", ".join(settings.CURRENCIES)}
        ]
    if errors:
        raise ValidationError(errors)
    if opportunity.territory_id is None and opportunity.account.territory_id is not None:
        opportunity.territory_id = opportunity.account.territory_id


def _is_empty(opportunity: Opportunity, name: str) -> bool:
    if name == "contacts":
        return opportunity.pk is None or not opportunity.contact_roles.exists()
    field = Opportunity._meta.get_field(name)
    value = getattr(opportunity, field.attname)
    if name == "amount":  # a deal of no amount has no amount yet
        return not value
    return value in (None, "")


def _field_known(name: str) -> bool:
    try:
        Opportunity._meta.get_field(name)
    except FieldDoesNotExist:  # a field name an old stage kept: nothing to require
        return False
    return True


@dataclass(frozen=True)
class Requirement:
    """One thing a stage asks for before a deal may enter it, and whether the deal has it."""

    label: str
    done: bool
    kind: str = ""  # for checklist activities: the activity type and subject to log
    subject: str = ""


def stage_requirements(opportunity: Opportunity, stage: Stage) -> list[Requirement]:
    """The stage's required fields, then its checklist activities, each marked done or not."""
    from allyance.activities.models import Activity

    requirements = [
        Requirement(
            label=str(Opportunity._meta.get_field(name).verbose_name),
            done=not _is_empty(opportunity, name),
        )
        for name in stage.required_fields
        if _field_known(name)
    ]
    if not stage.checklist:
        return requirements
    done = []
    if opportunity.pk is not None:
        done = list(
            Activity.objects.filter(
                target_type=ContentType.objects.get_for_model(Opportunity),
                target_id=str(opportunity.pk),
                status=Activity.Status.DONE,
            ).values_list("kind", "subject")
        )
    kinds = dict(Activity.Kind.choices)
    for item in stage.checklist:
        kind, subject = item.get("kind", ""), (item.get("subject") or "").strip()
        label = str(kinds.get(kind, kind))
        requirements.append(
            Requirement(
                label=f"{label} “{subject}”" if subject else label,
                done=any(
                    k == kind and (not subject or subject.casefold() in s.casefold())
                    for k, s in done
                ),
                kind=kind,
                subject=subject,
            )
        )
    return requirements


def missing_requirements(opportunity: Opportunity, stage: Stage) -> tuple[list[str], list[str]]:
    """(labels of required fields still empty, checklist activities not yet done)."""
    missing = [r for r in stage_requirements(opportunity, stage) if not r.done]
    return [r.label for r in missing if not r.kind], [r.label for r in missing if r.kind]


def _check_entry(
    opportunity: Opportunity, stage: Stage, *, previous: Stage | None, reopen: bool
) -> None:
    """Refuse entering `stage` with a message that names everything still missing."""
    if previous is not None and previous.is_closed and not reopen:
        raise ValidationError(
            {
                "stage": [
                    _("This deal is closed (%(stage)s). Reopen it explicitly to move it.")
                    % {"stage": previous}
                ]
            }
        )
    fields, activities = missing_requirements(opportunity, stage)
    problems = []
    if fields:
        problems.append(_("fill in %(fields)s") % {"fields": ", ".join(fields)})
    if activities:
        problems.append(
            _("complete these activities: %(activities)s") % {"activities": ", ".join(activities)}
        )
    if problems:
        raise ValidationError(
            {
                "stage": [
                    _("Cannot move to “%(stage)s”: %(problems)s.")
                    % {"stage": stage, "problems": "; ".join(problems)}
                ]
            }
        )
    if stage.is_lost and not (opportunity.loss_reason or "").strip():
        raise ValidationError({"loss_reason": [_("Say why the deal was lost.")]})


def _enter(opportunity: Opportunity, stage: Stage, now) -> None:
    """Take over what the stage decides: probability, forecast category, outcome, dates."""
    opportunity.stage = stage
    opportunity.probability = stage.probability
    opportunity.forecast_category = stage.forecast_category
    opportunity.outcome = stage.outcome
    opportunity.stage_entered_at = now
    opportunity.closed_at = now if stage.is_closed else None


def _after_commit(opportunity: Opportunity) -> None:
    """Side effects once the deal is committed: the large-deal alert (sales.services.alerts)."""
    if importlib.util.find_spec(ALERTS_MODULE) is None:
        return
    check = getattr(importlib.import_module(ALERTS_MODULE), "large_deal_check", None)
    if check is not None:
        transaction.on_commit(lambda: check(opportunity=opportunity))


def opportunity_save(
    *,
    opportunity: Opportunity,
    by: User | None,
    expected_version: int | None = None,
    reopen: bool = False,
) -> Opportunity:
    """Create or update a deal; a changed stage goes through `opportunity_move`.

    A new deal gets the creator as owner, the default pipeline and its first stage, the
    stage's probability and forecast category, the account's territory, and its first
    StageChange.
    """
    ensure_may_write(by, Opportunity)
    if opportunity.pk is not None:
        stored_stage = (
            Opportunity.objects.filter(pk=opportunity.pk).values_list("stage_id", flat=True).first()
        )
        if opportunity.stage_id is not None and opportunity.stage_id != stored_stage:
            return opportunity_move(
                opportunity=opportunity,
                stage=opportunity.stage,
                by=by,
                expected_version=expected_version,
                reopen=reopen,
            )
        _prepare(opportunity, by)
        with transaction.atomic():
            record_save(instance=opportunity, by=by, expected_version=expected_version)
            _after_commit(opportunity)
        return opportunity

    _prepare(opportunity, by)
    stage = opportunity.stage
    if stage.order > pipeline_first_stage(opportunity.pipeline).order:
        _check_entry(opportunity, stage, previous=None, reopen=reopen)
    elif stage.is_lost and not (opportunity.loss_reason or "").strip():
        raise ValidationError({"loss_reason": [_("Say why the deal was lost.")]})
    now = timezone.now()
    _enter(opportunity, stage, now)
    with transaction.atomic():
        record_save(instance=opportunity, by=by, expected_version=expected_version)
        StageChange.objects.create(
            opportunity=opportunity, from_stage=None, to_stage=stage, changed_at=now, changed_by=by
        )
        _after_commit(opportunity)
    return opportunity


def opportunity_move(
    *,
    opportunity: Opportunity,
    stage: Stage,
    by: User | None,
    expected_version: int | None = None,
    reopen: bool = False,
    loss_reason: str | None = None,
) -> Opportunity:
    """Move a deal to `stage`: the only function that changes a deal's stage.

    Refused (ValidationError on `stage`, naming what is missing) when the stage's required
    fields are empty or its checklist activities not done, or when the deal is closed and
    `reopen` is not given; a lost stage needs a loss reason. Logs the time spent in the
    stage left.
    """
    if opportunity.pk is None:
        raise ValueError("opportunity_move moves saved deals; use opportunity_save to create.")
    ensure_may_write(by, Opportunity)
    if loss_reason is not None:
        opportunity.loss_reason = loss_reason.strip()
    opportunity.stage = stage
    _prepare(opportunity, by)
    with transaction.atomic():
        stored = (
            Opportunity.objects.select_for_update()
            .filter(pk=opportunity.pk)
            .values("stage_id", "stage_entered_at")
            .get()
        )
        if stored["stage_id"] == stage.pk:
            record_save(instance=opportunity, by=by, expected_version=expected_version)
            _after_commit(opportunity)
            return opportunity
        previous = Stage.objects.get(pk=stored["stage_id"])
        _check_entry(opportunity, stage, previous=previous, reopen=reopen)
        now = timezone.now()
        entered = stored["stage_entered_at"]
        _enter(opportunity, stage, now)
        record_save(instance=opportunity, by=by, expected_version=expected_version)
        StageChange.objects.create(
            opportunity=opportunity,
            from_stage=previous,
            to_stage=stage,
            changed_at=now,
            changed_by=by,
            seconds_in_from_stage=max(0, int((now - entered).total_seconds())) if entered else None,
        )
        _after_commit(opportunity)
    return opportunity


def opportunity_contact_save(
    *, opportunity: Opportunity, contact: Contact, role: str, by: User | None
) -> OpportunityContact:
    """Add a contact to a deal with a role, or change the role of one already on it."""
    ensure_may_write(by, Opportunity)
    from allyance.core import audit

    link = OpportunityContact(opportunity=opportunity, contact=contact, role=role or "")
    link.full_clean(validate_unique=False, validate_constraints=False)
    with audit.acting_as(by), transaction.atomic():
        link, created = OpportunityContact.objects.get_or_create(
            opportunity=opportunity, contact=contact, defaults={"role": role or ""}
        )
        if not created and link.role != (role or ""):
            link.role = role or ""
            link.save(update_fields=["role"])
    return link


def opportunity_contact_remove(*, link: OpportunityContact, by: User | None) -> None:
    ensure_may_write(by, Opportunity)
    from allyance.core import audit

    with audit.acting_as(by), transaction.atomic():
        link.delete()
