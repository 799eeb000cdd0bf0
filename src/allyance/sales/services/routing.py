"""Lead routing: apply the first matching assignment rule to new leads or to a selection.

Rules are compiled once per batch into one Python function (no query per rule per
lead): each lead is reduced to a tuple of facts, and the function returns the index
of the first rule whose conditions all hold. Round-robin cursors are locked with
`select_for_update` while a batch uses them; least-loaded counts open leads once per
batch and keeps counting in memory.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, transaction
from django.db import router as db_router
from django.db.models import Count, F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from allyance.core import audit
from allyance.core.models import AuditEntry, Organisation, Role, User
from allyance.sales.models import AssignmentRule, Lead, LeadAssignment, RoundRobinCursor

OPEN_LEAD_STATUSES = (Lead.Status.NEW, Lead.Status.WORKING, Lead.Status.QUALIFIED)

# Positions in the facts tuple a lead is reduced to before matching.
_COUNTRY, _PROVINCE, _CITY, _SIZE, _INDUSTRY, _SOURCE, _SCORE = range(7)
_CUSTOM, _COMPANY, _EMAIL, _OWN_ORG = range(7, 11)


def may_route(user: User | None) -> bool:
    """Routing a selection on demand hands leads to other people: managers' and admins' call."""
    return user is not None and (user.is_superuser or user.role in (Role.ADMIN, Role.SALES_MANAGER))


def may_manage_rules(user: User | None) -> bool:
    return user is not None and user.is_authenticated and user.is_admin


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip().casefold()


def _facts(lead: Lead, company_id: int) -> tuple:
    raw = lead.__dict__
    return (
        (raw.get("country") or "").upper(),
        _text(lead.province),
        _text(lead.city),
        lead.size_band,
        lead.industry,
        lead.source,
        lead.score or 0,
        lead.custom_fields or {},
        _text(lead.company),
        _text(lead.email),
        lead.organisation_id == company_id,
    )


def _custom_value(custom: dict, key: str) -> str:
    return _text(custom.get(key))


def _condition(rule: AssignmentRule, consts: dict) -> str:
    """The rule's conditions as one Python expression over the facts tuple `f`."""
    parts: list[str] = []

    def const(value) -> str:
        name = f"c{len(consts)}"
        consts[name] = value
        return name

    if not rule.include_partner_leads:
        parts.append(f"f[{_OWN_ORG}]")
    for index, values, transform in (
        (_COUNTRY, rule.countries, lambda v: str(v).strip().upper()),
        (_PROVINCE, rule.provinces, _text),
        (_CITY, rule.cities, _text),
        (_SIZE, rule.size_bands, str),
        (_INDUSTRY, rule.industries, str),
        (_SOURCE, rule.sources, str),
    ):
        wanted = frozenset(transform(v) for v in values or () if _text(v))
        if wanted:
            parts.append(f"f[{index}] in {const(wanted)}")
    if rule.score_min is not None:
        parts.append(f"f[{_SCORE}] >= {int(rule.score_min)}")
    if rule.score_max is not None:
        parts.append(f"f[{_SCORE}] <= {int(rule.score_max)}")
    for key, value in (rule.custom_fields_equal or {}).items():
        parts.append(f"_cf(f[{_CUSTOM}], {const(str(key))}) == {const(_text(value))}")
    if _text(rule.company_contains):
        parts.append(f"{const(_text(rule.company_contains))} in f[{_COMPANY}]")
    if _text(rule.email_contains):
        parts.append(f"{const(_text(rule.email_contains))} in f[{_EMAIL}]")
    return " and ".join(parts) or "True"


@dataclass
class CompiledRules:
    rules: list[AssignmentRule]
    first_match: object  # callable(facts) -> index into rules, or -1
    company_id: int

    def match(self, lead: Lead) -> AssignmentRule | None:
        index = self.first_match(_facts(lead, self.company_id))
        return None if index < 0 else self.rules[index]


# The last compilation and the state of the rules table it was made from.
_compiled_cache: dict = {"key": None, "compiled": None}


def _rules_state() -> tuple:
    """Changes whenever a rule is added, changed (saves touch `updated_at`) or removed."""
    state = AssignmentRule.objects.aggregate(
        count=Count("id"), changed=Max("updated_at"), last=Max("id")
    )
    return (connections[db_router.db_for_read(AssignmentRule)].alias, *state.values())


def rules_compile(rules: Iterable[AssignmentRule] | None = None) -> CompiledRules:
    """The active rules in priority order as one function: facts → first matching index.

    Without `rules`, the active rules from the database; the compilation is reused until
    a rule changes, so routing each new lead of an import costs one small query.
    """
    key = None
    if rules is None:
        key = _rules_state()
        if _compiled_cache["key"] == key:
            return _compiled_cache["compiled"]
        rules = AssignmentRule.objects.filter(is_active=True).select_related(
            "assign_user", "assign_team", "assign_territory"
        )
    rules = [r for r in rules if r.is_active]
    rules.sort(key=lambda r: (r.priority, r.pk or 0))
    consts: dict = {"_cf": _custom_value}
    lines = ["def first_match(f):"]
    for index, rule in enumerate(rules):
        lines.append(f"    if {_condition(rule, consts)}: return {index}")
    lines.append("    return -1")
    namespace = dict(consts)
    exec(compile("\n".join(lines), "<assignment rules>", "exec"), namespace)  # noqa: S102
    compiled = CompiledRules(rules, namespace["first_match"], Organisation.company().pk)
    if key is not None:
        _compiled_cache.update(key=key, compiled=compiled)
    return compiled


@dataclass
class Decision:
    """What routing does to one lead."""

    lead: Lead
    rule: AssignmentRule
    user_id: int | None
    team_id: int | None
    territory_id: int | None  # the lead's territory after routing
    queued: bool


class _Picker:
    """Chooses the assignee for each matched rule, remembering state across a batch."""

    def __init__(self, *, lock: bool):
        self.lock = lock
        self.members: dict[tuple[str, int], list[int]] = {}
        self.cursors: dict[int, int | None] = {}
        self.loads: dict[int, dict[int, int]] = {}
        self.active_users: dict[int, bool] = {}

    def _team_members(self, team_id: int) -> list[int]:
        key = ("team", team_id)
        if key not in self.members:
            self.members[key] = list(
                User.objects.filter(teams__id=team_id, is_active=True)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        return self.members[key]

    def _territory_first_member(self, territory_id: int) -> int | None:
        key = ("territory", territory_id)
        if key not in self.members:
            self.members[key] = list(
                User.objects.filter(territories__id=territory_id, is_active=True)
                .order_by("pk")
                .values_list("pk", flat=True)[:1]
            )
        found = self.members[key]
        return found[0] if found else None

    def _user_active(self, user_id: int) -> bool:
        if user_id not in self.active_users:
            self.active_users[user_id] = User.objects.filter(pk=user_id, is_active=True).exists()
        return self.active_users[user_id]

    def _round_robin(self, rule: AssignmentRule, members: list[int]) -> int:
        if rule.pk not in self.cursors:
            RoundRobinCursor.objects.get_or_create(rule=rule)
            cursors = RoundRobinCursor.objects.filter(rule=rule)
            if self.lock:
                cursors = cursors.select_for_update()
            self.cursors[rule.pk] = cursors.values_list("last_user_id", flat=True).get()
        last = self.cursors[rule.pk]
        chosen = next((m for m in members if last is None or m > last), members[0])
        self.cursors[rule.pk] = chosen
        return chosen

    def _least_loaded(self, team_id: int, members: list[int]) -> int:
        if team_id not in self.loads:
            counts = dict.fromkeys(members, 0)
            rows = (
                Lead.objects.filter(owner_id__in=members, status__in=OPEN_LEAD_STATUSES)
                .values("owner_id")
                .annotate(n=Count("id"))
                .values_list("owner_id", "n")
            )
            counts.update(rows)
            self.loads[team_id] = counts
        counts = self.loads[team_id]
        chosen = min(members, key=lambda m: (counts.get(m, 0), m))
        return chosen

    def count_assignment(self, decision: Decision, previous_owner_id: int | None) -> None:
        """Keep least-loaded counts true as the batch hands out leads."""
        if decision.user_id == previous_owner_id:
            return
        for counts in self.loads.values():
            if decision.user_id in counts:
                counts[decision.user_id] += 1
            if previous_owner_id in counts:
                counts[previous_owner_id] -= 1

    def decide(self, lead: Lead, rule: AssignmentRule) -> Decision:
        action = AssignmentRule.Action
        user_id = team_id = None
        territory_id = lead.territory_id
        queued = False
        if rule.action == action.USER:
            if rule.assign_user_id and self._user_active(rule.assign_user_id):
                user_id = rule.assign_user_id
            else:
                queued = True
        elif rule.action in (action.ROUND_ROBIN, action.LEAST_LOADED):
            team_id = rule.assign_team_id
            members = self._team_members(team_id) if team_id else []
            if not members:
                queued = True
            elif rule.action == action.ROUND_ROBIN:
                user_id = self._round_robin(rule, members)
            else:
                user_id = self._least_loaded(team_id, members)
        elif rule.action == action.TERRITORY:
            territory_id = rule.assign_territory_id
            user_id = self._territory_first_member(territory_id) if territory_id else None
            queued = user_id is None
        else:
            queued = True
        return Decision(lead, rule, user_id, team_id, territory_id, queued)

    def save_cursors(self) -> None:
        for rule_id, last in self.cursors.items():
            RoundRobinCursor.objects.filter(rule_id=rule_id).update(last_user_id=last)


def _decide_all(
    leads: list[Lead], compiled: CompiledRules, picker: _Picker
) -> tuple[list[Decision], list[Lead]]:
    decisions, unmatched = [], []
    for lead in leads:
        rule = compiled.match(lead)
        if rule is None:
            unmatched.append(lead)
            continue
        decision = picker.decide(lead, rule)
        picker.count_assignment(decision, lead.owner_id)
        decisions.append(decision)
    return decisions, unmatched


def _assignment_row(decision: Decision, *, by: User | None, trigger: str, at) -> LeadAssignment:
    return LeadAssignment(
        lead=decision.lead,
        rule=decision.rule,
        rule_name=decision.rule.name[:120],
        assigned_user_id=decision.user_id,
        team_id=decision.team_id,
        territory_id=decision.territory_id,
        queued=decision.queued,
        trigger=trigger,
        at=at,
        by=by if by is not None and by.is_authenticated else None,
    )


def lead_route(*, lead: Lead, by: User | None) -> LeadAssignment | None:
    """Route one newly saved lead: first matching active rule sets its owner and territory.

    Called by every path that creates a lead, inside its transaction. Returns the
    assignment recorded, or None when no rule matched (the lead is left as it was).
    """
    if lead.pk is None:
        raise ValueError("lead_route needs a saved lead")
    compiled = rules_compile()
    rule = compiled.match(lead)
    if rule is None:
        return None
    with audit.acting_as(by), transaction.atomic():
        picker = _Picker(lock=True)
        decision = picker.decide(lead, rule)
        picker.save_cursors()
        if (lead.owner_id, lead.territory_id) != (decision.user_id, decision.territory_id):
            lead.owner_id = decision.user_id
            lead.territory_id = decision.territory_id
            lead.save(update_fields=["owner", "territory", "updated_at"])
        row = _assignment_row(
            decision, by=by, trigger=LeadAssignment.Trigger.CREATED, at=timezone.now()
        )
        row.save()
        return row


@dataclass
class RoutingResult:
    decisions: list[Decision]  # one per routed lead, each logged as a LeadAssignment
    moved: int  # leads whose owner or territory changed
    unmatched: int  # leads no rule matched; left as they were
    skipped: int  # leads not open (converted, disqualified); never routed

    @property
    def routed(self) -> int:
        return len(self.decisions)


def leads_route_preview(*, leads: Iterable[Lead]) -> tuple[list[Decision], list[Lead]]:
    """What routing `leads` now would do, without changing anything or locking cursors."""
    leads = [lead for lead in leads if lead.is_open]
    return _decide_all(leads, rules_compile(), _Picker(lock=False))


def _insert_rows(model, columns: list[str], rows: list[tuple]) -> None:
    """INSERT rows of plain values in batches, without building model instances.

    Bulk routing writes one audit entry and one log row per lead; through `bulk_create`
    the ORM's per-instance work alone held a batch to about 1,500 leads a second.
    """
    if not rows:
        return
    connection = connections[db_router.db_for_write(model)]
    quote = connection.ops.quote_name
    names = ", ".join(quote(model._meta.get_field(c).column) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES ({marks})"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 1000):
            cursor.executemany(sql, rows[start : start + 1000])


def leads_route(
    *,
    leads: Iterable[Lead],
    by: User | None,
    trigger: str = LeadAssignment.Trigger.ON_DEMAND,
) -> RoutingResult:
    """Route a selection in bulk: one rule compilation, grouped updates, bulk audit and log.

    Only open leads are routed. On demand (the default trigger) only administrators
    and sales managers may route; new leads from an import pass `trigger="created"`.
    """
    if trigger == LeadAssignment.Trigger.ON_DEMAND and by is not None and not may_route(by):
        raise PermissionDenied(_("Only administrators and sales managers may route leads."))
    if trigger not in LeadAssignment.Trigger.values:
        raise ValidationError({"trigger": _("Unknown trigger.")})
    leads = list(leads)
    open_leads = [lead for lead in leads if lead.is_open]
    skipped = len(leads) - len(open_leads)
    compiled = rules_compile()
    now = timezone.now()
    actor_id = by.pk if by is not None and by.is_authenticated else None
    connection = connections[db_router.db_for_write(Lead)]
    at = connection.ops.adapt_datetimefield_value(now)
    json_field = AuditEntry._meta.get_field("changes")
    with audit.acting_as(by), transaction.atomic():
        picker = _Picker(lock=True)
        decisions, unmatched = _decide_all(open_leads, compiled, picker)
        picker.save_cursors()
        groups: dict[tuple, list[Lead]] = defaultdict(list)
        entries = []
        content_type_id = ContentType.objects.get_for_model(Lead).pk
        for decision in decisions:
            lead = decision.lead
            changes = {}
            if lead.owner_id != decision.user_id:
                changes["owner_id"] = [lead.owner_id, decision.user_id]
            if lead.territory_id != decision.territory_id:
                changes["territory_id"] = [lead.territory_id, decision.territory_id]
            if not changes:
                continue
            groups[(decision.user_id, decision.territory_id)].append(lead)
            entries.append(
                (
                    content_type_id,
                    str(lead.pk),
                    str(lead)[:250],
                    AuditEntry.Action.UPDATE.value,
                    actor_id,
                    at,
                    json_field.get_db_prep_save(changes, connection),
                )
            )
        for (user_id, territory_id), group in groups.items():
            ids = [lead.pk for lead in group]
            for start in range(0, len(ids), 900):
                Lead.objects.filter(pk__in=ids[start : start + 900]).update(
                    owner_id=user_id,
                    territory_id=territory_id,
                    version=F("version") + 1,
                    updated_at=now,
                )
            for lead in group:
                lead.owner_id, lead.territory_id = user_id, territory_id
                lead.version += 1
                lead.updated_at = now
        _insert_rows(
            AuditEntry,
            ["content_type", "object_id", "object_repr", "action", "actor", "at", "changes"],
            entries,
        )
        _insert_rows(
            LeadAssignment,
            [
                "lead",
                "rule",
                "rule_name",
                "assigned_user",
                "team",
                "territory",
                "queued",
                "trigger",
                "at",
                "by",
            ],
            [
                (
                    d.lead.pk,
                    d.rule.pk,
                    d.rule.name[:120],
                    d.user_id,
                    d.team_id,
                    d.territory_id,
                    d.queued,
                    str(trigger),
                    at,
                    actor_id,
                )
                for d in decisions
            ],
        )
    return RoutingResult(
        decisions=decisions,
        moved=sum(len(g) for g in groups.values()),
        unmatched=len(unmatched),
        skipped=skipped,
    )


def assignment_rule_save(*, rule: AssignmentRule, by: User | None) -> AssignmentRule:
    """Create or update a rule; the action must name what it assigns to."""
    if not may_manage_rules(by):
        raise PermissionDenied(_("Only administrators may change assignment rules."))
    _rule_validate(rule)
    rule.full_clean()
    with audit.acting_as(by), transaction.atomic():
        rule.save()
    return rule


def _rule_validate(rule: AssignmentRule) -> None:
    action = AssignmentRule.Action
    errors: dict[str, str] = {}
    if rule.action == action.USER and not rule.assign_user_id:
        errors["assign_user"] = _("Choose the user who gets the leads.")
    if rule.action in (action.ROUND_ROBIN, action.LEAST_LOADED) and not rule.assign_team_id:
        errors["assign_team"] = _("Choose the team whose members get the leads.")
    if rule.action == action.TERRITORY and not rule.assign_territory_id:
        errors["assign_territory"] = _("Choose the territory that gets the leads.")
    if (
        rule.score_min is not None
        and rule.score_max is not None
        and rule.score_min > rule.score_max
    ):
        errors["score_max"] = _("The highest score cannot be below the lowest.")
    for field in ("countries", "provinces", "cities", "size_bands", "industries", "sources"):
        value = getattr(rule, field)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            errors[field] = _("Enter a list of values.")
    choices = {
        "size_bands": Lead._meta.get_field("size_band").choices,
        "industries": Lead._meta.get_field("industry").choices,
        "sources": Lead._meta.get_field("source").choices,
    }
    for field, options in choices.items():
        value = getattr(rule, field)
        known = {code for code, _label in options}
        if isinstance(value, list) and any(v not in known for v in value if isinstance(v, str)):
            errors[field] = _("Choose from the listed values.")
    custom = rule.custom_fields_equal
    if not isinstance(custom, dict) or not all(
        isinstance(k, str) and k and isinstance(v, str | int | float | bool)
        for k, v in custom.items()
    ):
        errors["custom_fields_equal"] = _("Enter custom field names with the value to match.")
    if errors:
        raise ValidationError(errors)
    # Unused targets are cleared so that the rule says only what it does.
    if rule.action != action.USER:
        rule.assign_user = None
    if rule.action not in (action.ROUND_ROBIN, action.LEAST_LOADED):
        rule.assign_team = None
    if rule.action != action.TERRITORY:
        rule.assign_territory = None


def assignment_rule_delete(*, rule: AssignmentRule, by: User | None) -> None:
    if not may_manage_rules(by):
        raise PermissionDenied(_("Only administrators may change assignment rules."))
    with audit.acting_as(by), transaction.atomic():
        rule.delete()


def assignment_rule_move(*, rule: AssignmentRule, direction: str, by: User | None) -> None:
    """Swap a rule with its neighbour above ("up") or below ("down"); priorities renumbered."""
    if not may_manage_rules(by):
        raise PermissionDenied(_("Only administrators may change assignment rules."))
    if direction not in ("up", "down"):
        raise ValidationError({"direction": _("Move up or down.")})
    with audit.acting_as(by), transaction.atomic():
        rules = list(AssignmentRule.objects.select_for_update().order_by("priority", "id"))
        index = next((i for i, r in enumerate(rules) if r.pk == rule.pk), None)
        if index is None:
            return
        other = index - 1 if direction == "up" else index + 1
        if not 0 <= other < len(rules):
            return
        rules[index], rules[other] = rules[other], rules[index]
        for position, item in enumerate(rules, start=1):
            wanted = position * 10
            if item.priority != wanted:
                item.priority = wanted
                item.save(update_fields=["priority", "updated_at"])


__all__ = [
    "Decision",
    "RoutingResult",
    "assignment_rule_delete",
    "assignment_rule_move",
    "assignment_rule_save",
    "lead_route",
    "leads_route",
    "leads_route_preview",
    "may_manage_rules",
    "may_route",
    "rules_compile",
]
