"""Lead scoring: rules compiled once, the data they need annotated in one query per batch.

A score's reasons are stored as data (`{"points": 20, "kind": "field", …}`) and turned
into words when shown, so they read in the viewer's language and "2 days ago" stays true.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import CharField, Count, Max, OuterRef, QuerySet, Subquery
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from allyance.activities.models import Activity
from allyance.core import audit
from allyance.core.models import User
from allyance.core.normalise import name_key
from allyance.sales.models import Lead, LeadEvent, ScoringRule

Kind = ScoringRule.Kind
OPEN_STATUSES = (Lead.Status.NEW, Lead.Status.WORKING, Lead.Status.QUALIFIED)
RESCORE_BATCH = 500


# --- Compiling rules and annotating leads -----------------------------------------------


@dataclass(frozen=True)
class CompiledRule:
    rule: ScoringRule
    annotation: str = ""  # the name of the value this rule reads from the lead's row
    accepted: frozenset[str] = frozenset()  # field rules: folded values that match


def _field_values(rule: ScoringRule) -> frozenset[str]:
    """A field rule matches the stored code or its label (`manufacturing`, `Manufacturing`)."""
    wanted = name_key(rule.value)
    model_field = Lead._meta.get_field(rule.field)
    accepted = {wanted}
    for code, label in getattr(model_field, "flatchoices", None) or []:
        if wanted in (name_key(str(code)), name_key(str(label))):
            accepted.add(name_key(str(code)))
    return frozenset(accepted)


def _activities_of_lead() -> QuerySet:
    return Activity.objects.filter(
        target_type=ContentType.objects.get_for_model(Lead),
        target_id=Cast(OuterRef("pk"), CharField()),
    ).exclude(status=Activity.Status.CANCELLED)


def _count(queryset: QuerySet):
    counted = queryset.order_by().values("target_type").annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted), 0)


def _latest_event(kind: str, *, rating_at_least: int | None = None, value: str = "at"):
    events = LeadEvent.objects.filter(lead=OuterRef("pk"), kind=kind)
    if rating_at_least is not None:
        events = events.filter(rating__gte=rating_at_least)
    return Subquery(events.order_by("-at", "-id").values(value)[:1])


class CompiledRules:
    """The active rules, with the annotations that give each lead what they need."""

    def __init__(self, rules: Iterable[ScoringRule] | None = None):
        if rules is None:
            rules = ScoringRule.objects.filter(is_active=True).order_by("id")
        self.annotations: dict = {}
        self.rules: list[CompiledRule] = [self._compile(rule) for rule in rules]

    def _compile(self, rule: ScoringRule) -> CompiledRule:
        if rule.kind == Kind.FIELD:
            return CompiledRule(rule, accepted=_field_values(rule))
        if rule.kind == Kind.ACTIVITY:
            name = f"score_activities_{rule.activity_kind or 'any'}"
            if name not in self.annotations:
                activities = _activities_of_lead()
                if rule.activity_kind:
                    activities = activities.filter(kind=rule.activity_kind)
                self.annotations[name] = _count(activities)
            return CompiledRule(rule, annotation=name)
        if rule.kind in (Kind.REPLY, Kind.VISIT):
            name = f"score_last_{rule.kind}"
            self.annotations.setdefault(name, _latest_event(rule.kind))
            return CompiledRule(rule, annotation=name)
        if rule.kind == Kind.FEEDBACK:
            least = rule.threshold or 1
            name = f"score_feedback_{least}"
            if name not in self.annotations:
                self.annotations[name] = _latest_event(
                    LeadEvent.Kind.FEEDBACK, rating_at_least=least
                )
                self.annotations[f"{name}_rating"] = _latest_event(
                    LeadEvent.Kind.FEEDBACK, rating_at_least=least, value="rating"
                )
            return CompiledRule(rule, annotation=name)
        # Decay by inactivity reads the latest activity and event.
        if rule.decay_basis == ScoringRule.DecayBasis.INACTIVITY:
            self.annotations.setdefault(
                "score_last_activity",
                Subquery(
                    _activities_of_lead()
                    .order_by()
                    .values("target_type")
                    .annotate(last=Max("created_at"))
                    .values("last")[:1]
                ),
            )
            self.annotations.setdefault(
                "score_last_event",
                Subquery(
                    LeadEvent.objects.filter(lead=OuterRef("pk")).order_by("-at").values("at")[:1]
                ),
            )
        return CompiledRule(rule)

    def annotate(self, queryset: QuerySet) -> QuerySet:
        return queryset.annotate(**self.annotations) if self.annotations else queryset

    def score(self, lead: Lead, now: datetime) -> tuple[int, list[dict]]:
        """(score, reasons) of an annotated lead."""
        reasons = [r for r in (self._apply(c, lead, now) for c in self.rules) if r]
        return sum(r["points"] for r in reasons), reasons

    def _apply(self, compiled: CompiledRule, lead: Lead, now: datetime) -> dict | None:
        rule = compiled.rule
        base = {"rule": rule.pk, "kind": rule.kind, "points": rule.points}
        if rule.kind == Kind.FIELD:
            value = str(getattr(lead, rule.field) or "")
            if value and name_key(value) in compiled.accepted:
                return {**base, "field": rule.field, "value": value}
            return None
        if rule.kind == Kind.ACTIVITY:
            count = getattr(lead, compiled.annotation) or 0
            if count >= (rule.threshold or 1):
                return {**base, "count": count, "activity_kind": rule.activity_kind}
            return None
        if rule.kind in (Kind.REPLY, Kind.VISIT, Kind.FEEDBACK):
            at = getattr(lead, compiled.annotation)
            if at is None:
                return None
            reason = {**base, "at": at.isoformat()}
            if rule.kind == Kind.FEEDBACK:
                reason["rating"] = getattr(lead, f"{compiled.annotation}_rating")
            return reason
        if rule.kind == Kind.DECAY and rule.threshold:
            since = lead.created_at or now
            if rule.decay_basis == ScoringRule.DecayBasis.INACTIVITY:
                since = max(
                    t
                    for t in (
                        since,
                        getattr(lead, "score_last_activity", None),
                        getattr(lead, "score_last_event", None),
                    )
                    if t is not None
                )
            days = max((now - since).days, 0)
            steps = days // rule.threshold
            if steps:
                return {
                    **base,
                    "points": rule.points * steps,
                    "days": days,
                    "basis": rule.decay_basis,
                }
        return None


# --- Scoring leads --------------------------------------------------------------------


def lead_score(lead: Lead, *, rules: CompiledRules | None = None) -> tuple[int, list[dict]]:
    """The score `lead` earns under the active rules, and why."""
    rules = rules or CompiledRules()
    annotated = rules.annotate(Lead.objects.filter(pk=lead.pk)).first()
    return rules.score(annotated or lead, timezone.now())


def lead_rescore(*, lead: Lead) -> Lead:
    """Score one lead and store the result (not an edit: no version bump, no audit entry)."""
    now = timezone.now()
    lead.score, lead.score_reasons = lead_score(lead)
    lead.scored_at = now
    Lead.objects.filter(pk=lead.pk).update(
        score=lead.score, score_reasons=lead.score_reasons, scored_at=now
    )
    return lead


def leads_rescore(*, batch_size: int = RESCORE_BATCH) -> int:
    """Re-score every open lead in batches: the rules compiled once, one query and one
    bulk update per batch. Returns how many leads were scored."""
    rules = CompiledRules()
    now = timezone.now()
    leads = rules.annotate(Lead.objects.filter(status__in=OPEN_STATUSES).order_by("pk"))
    last_pk, total = 0, 0
    while True:
        batch = list(leads.filter(pk__gt=last_pk)[:batch_size])
        if not batch:
            return total
        for lead in batch:
            lead.score, lead.score_reasons = rules.score(lead, now)
            lead.scored_at = now
        Lead.objects.bulk_update(batch, ["score", "score_reasons", "scored_at"])
        total += len(batch)
        last_pk = batch[-1].pk


def rescore_soon() -> None:
    """Queue a re-scoring of every open lead once the current transaction commits."""
    from allyance.sales.tasks.scoring import leads_rescore_task

    transaction.on_commit(leads_rescore_task.enqueue)


def activity_changed(sender, instance: Activity, **kwargs) -> None:
    """An activity on a lead was logged, changed or removed: score the lead again."""
    if kwargs.get("raw"):
        return
    if not instance.target_type_id or not instance.target_id.isdigit():
        return
    if instance.target_type_id != ContentType.objects.get_for_model(Lead).pk:
        return
    lead = Lead.objects.filter(pk=int(instance.target_id)).first()
    if lead is not None and lead.is_open:
        lead_rescore(lead=lead)


# --- Reasons in words -----------------------------------------------------------------


def _ago(reason: dict, now: datetime) -> str:
    at = parse_datetime(reason.get("at") or "")
    if at is None:
        return ""
    return _("%(time)s ago") % {"time": timesince(at, now, depth=1)}


def reason_text(reason: dict, *, now: datetime | None = None) -> str:
    """`+20 industry = Manufacturing`, `+15 replied 2 days ago`, in the active language."""
    now = now or timezone.now()
    kind = reason.get("kind")
    if kind == Kind.FIELD:
        try:
            model_field = Lead._meta.get_field(reason.get("field", ""))
        except FieldDoesNotExist:  # a rule on a field that no longer exists
            text = f"{reason.get('field')} = {reason.get('value')}"
        else:
            value = reason.get("value", "")
            shown = (
                dict(model_field.flatchoices).get(value, value) if model_field.choices else value
            )
            text = f"{model_field.verbose_name} = {shown}"
    elif kind == Kind.ACTIVITY:
        count = int(reason.get("count") or 0)
        if reason.get("activity_kind"):
            label = dict(Activity.Kind.choices).get(reason["activity_kind"], "")
            text = ngettext(
                "%(count)d activity of type %(kind)s logged",
                "%(count)d activities of type %(kind)s logged",
                count,
            ) % {"count": count, "kind": label}
        else:
            text = ngettext("%(count)d activity logged", "%(count)d activities logged", count) % {
                "count": count
            }
    elif kind == Kind.REPLY:
        text = _("replied %(ago)s") % {"ago": _ago(reason, now)}
    elif kind == Kind.VISIT:
        text = _("visited a form %(ago)s") % {"ago": _ago(reason, now)}
    elif kind == Kind.FEEDBACK:
        text = _("rated %(rating)s/5 %(ago)s") % {
            "rating": reason.get("rating"),
            "ago": _ago(reason, now),
        }
    elif kind == Kind.DECAY:
        days = int(reason.get("days") or 0)
        if reason.get("basis") == ScoringRule.DecayBasis.INACTIVITY:
            text = ngettext(
                "no activity for %(days)d day", "no activity for %(days)d days", days
            ) % {"days": days}
        else:
            text = ngettext("%(days)d day old", "%(days)d days old", days) % {"days": days}
    else:
        text = str(reason.get("reason", ""))
    return f"{int(reason.get('points') or 0):+d} {text}"


def reason_texts(lead: Lead) -> list[str]:
    now = timezone.now()
    return [reason_text(reason, now=now) for reason in lead.score_reasons or []]


# --- Rules and events -----------------------------------------------------------------


def _ensure_admin(by: User | None) -> None:
    if by is not None and not by.is_admin:
        raise PermissionDenied(_("Only administrators change scoring rules."))


def _check_rule(rule: ScoringRule) -> None:
    errors: dict[str, str] = {}
    if rule.kind == Kind.FIELD:
        if not rule.field:
            errors["field"] = _("Choose the field the rule looks at.")
        if not (rule.value or "").strip():
            errors["value"] = _("Enter the value that earns the points.")
    if rule.kind == Kind.FEEDBACK and rule.threshold is not None and rule.threshold > 5:
        errors["threshold"] = _("Ratings go from 1 to 5.")
    if rule.kind == Kind.DECAY:
        if not rule.threshold:
            errors["threshold"] = _("Enter every how many days the points are taken away.")
        if not rule.decay_basis:
            errors["decay_basis"] = _("Choose whether the lead's age or its inactivity counts.")
        if rule.points is not None and rule.points >= 0:
            errors["points"] = _("Decay takes points away: enter a negative number.")
    if errors:
        raise ValidationError(errors)


def scoring_rule_save(*, rule: ScoringRule, by: User | None) -> ScoringRule:
    """Create or change a rule (administrators only); every open lead is then re-scored."""
    _ensure_admin(by)
    rule.value = (rule.value or "").strip()
    rule.full_clean()
    _check_rule(rule)
    with audit.acting_as(by), transaction.atomic():
        rule.save()
        rescore_soon()
    return rule


def scoring_rule_delete(*, rule: ScoringRule, by: User | None) -> None:
    _ensure_admin(by)
    with audit.acting_as(by), transaction.atomic():
        rule.delete()
        rescore_soon()


def lead_event_add(
    *,
    lead: Lead,
    kind: str,
    by: User | None,
    rating: int | None = None,
    at: datetime | None = None,
    detail: str = "",
) -> LeadEvent:
    """Record a reply, a form visit or a rating from outside, and score the lead again."""
    if by is not None and by.is_customer:
        raise PermissionDenied(_("Your account may not change this record."))
    if kind == LeadEvent.Kind.FEEDBACK and rating is None:
        raise ValidationError({"rating": _("Feedback needs a rating from 1 to 5.")})
    if at is not None and at > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"at": _("An event cannot be in the future.")})
    event = LeadEvent(
        lead=lead,
        kind=kind,
        rating=rating,
        at=at or timezone.now(),
        detail=(detail or "").strip(),
        created_by=by,
    )
    event.full_clean()
    with audit.acting_as(by), transaction.atomic():
        event.save()
        if lead.is_open:
            lead_rescore(lead=lead)
    return event
