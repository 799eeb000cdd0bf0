"""Territory reassignment: after a redraw, hand a territory's open records to a new owner.

The preview lists exactly what a confirm would move (open leads, open deals, accounts that
are not inactive, of the company itself, in the territory); the confirm moves those and
only those, in bulk: one UPDATE per new owner and record type, one audit entry per record.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from allyance.core import audit
from allyance.core.models import (
    STAFF_ROLES,
    AuditEntry,
    BusinessModel,
    Organisation,
    Role,
    Territory,
    User,
)
from allyance.core.visibility import visible_to
from allyance.customers.models import Account
from allyance.sales.models import Lead, Opportunity, Stage
from allyance.sales.services.routing import OPEN_LEAD_STATUSES

# Record types a reassignment moves: key, model, label, what "open" means for it.
RECORD_TYPES: list[tuple[str, type[BusinessModel], object, Q]] = [
    ("leads", Lead, gettext_lazy("Open leads"), Q(status__in=OPEN_LEAD_STATUSES)),
    (
        "opportunities",
        Opportunity,
        gettext_lazy("Open opportunities"),
        Q(outcome=Stage.Outcome.OPEN),
    ),
    ("accounts", Account, gettext_lazy("Accounts"), ~Q(status=Account.Status.INACTIVE)),
]
PREVIEW_LIMIT = 500  # rows shown per record type; counts are always complete


def may_reassign_territories(user: User | None) -> bool:
    return user is not None and (user.is_superuser or user.role in (Role.ADMIN, Role.SALES_MANAGER))


@dataclass
class Move:
    record: BusinessModel
    from_owner_id: int | None
    to_owner: User

    @property
    def to_owner_id(self) -> int:
        return self.to_owner.pk


@dataclass
class TypePlan:
    key: str
    label: str
    moves: list[Move] = field(default_factory=list)
    staying: int = 0  # records already owned by their new owner


@dataclass
class ReassignmentPlan:
    territory: Territory
    new_owner: User | None  # None: the territory's members in turn
    members: list[User]
    types: list[TypePlan]

    @property
    def total(self) -> int:
        return sum(len(t.moves) for t in self.types)

    def ids(self) -> dict[str, list[int]]:
        return {t.key: [m.record.pk for m in t.moves] for t in self.types}


def territory_open_records(
    *, territory: Territory, by: User, include_subterritories: bool = False
) -> dict[str, QuerySet]:
    """The open company records in the territory that `by` may see, by record type."""
    territory_ids = territory.descendant_ids() if include_subterritories else {territory.pk}
    company = Organisation.company()
    return {
        key: visible_to(
            by,
            model.objects.filter(
                open_q, territory_id__in=territory_ids, organisation=company
            ).select_related("owner"),
        ).order_by("pk")
        for key, model, _label, open_q in RECORD_TYPES
    }


def _check(by: User | None, territory: Territory, new_owner: User | None) -> list[User]:
    if not may_reassign_territories(by):
        raise PermissionDenied(
            _("Only administrators and sales managers may reassign a territory.")
        )
    if new_owner is not None:
        if not new_owner.is_active or not new_owner.is_internal:
            raise ValidationError({"new_owner": _("Choose an active member of staff.")})
        return [new_owner]
    members = list(
        territory.members.filter(is_active=True)
        .filter(Q(role__in=STAFF_ROLES) | Q(is_superuser=True))
        .order_by("pk")
    )
    if not members:
        raise ValidationError(
            {
                "new_owner": _("“%(name)s” has no active members to share the records.")
                % {"name": territory.name}
            }
        )
    return members


def territory_reassignment_preview(
    *,
    territory: Territory,
    new_owner: User | None,
    by: User,
    include_subterritories: bool = False,
) -> ReassignmentPlan:
    """What a reassignment would move, to whom; changes nothing.

    With no `new_owner` the territory's active members take the records in turn.
    """
    members = _check(by, territory, new_owner)
    records = territory_open_records(
        territory=territory, by=by, include_subterritories=include_subterritories
    )
    turn = 0
    types = []
    for key, _model, label, _open_q in RECORD_TYPES:
        plan = TypePlan(key=key, label=str(label))
        for record in records[key]:
            if new_owner is not None:
                target = new_owner
            else:
                target = members[turn % len(members)]
                turn += 1
            if record.owner_id == target.pk:
                plan.staying += 1
            else:
                plan.moves.append(Move(record, record.owner_id, target))
        types.append(plan)
    return ReassignmentPlan(territory, new_owner, members, types)


def territory_reassign(
    *,
    territory: Territory,
    new_owner: User | None,
    by: User,
    include_subterritories: bool = False,
    only: dict[str, list[int]] | None = None,
) -> dict[str, int]:
    """Move the territory's open records to the new owner; returns the count per record type.

    `only` (the ids a preview showed, by record type) limits the move to those records,
    so a confirm never moves anything the person did not see.
    """
    counts: dict[str, int] = {}
    now = timezone.now()
    with audit.acting_as(by), transaction.atomic():
        plan = territory_reassignment_preview(
            territory=territory,
            new_owner=new_owner,
            by=by,
            include_subterritories=include_subterritories,
        )
        actor = by if by.is_authenticated else None
        entries = []
        for type_plan in plan.types:
            model = next(m for k, m, _l, _q in RECORD_TYPES if k == type_plan.key)
            allowed = None if only is None else set(only.get(type_plan.key, []))
            moves = [m for m in type_plan.moves if allowed is None or m.record.pk in allowed]
            content_type = ContentType.objects.get_for_model(model)
            by_owner: dict[int, list[int]] = defaultdict(list)
            for move in moves:
                by_owner[move.to_owner_id].append(move.record.pk)
                entries.append(
                    AuditEntry(
                        content_type=content_type,
                        object_id=str(move.record.pk),
                        object_repr=str(move.record)[:250],
                        action=AuditEntry.Action.UPDATE,
                        actor=actor,
                        changes={"owner_id": [move.from_owner_id, move.to_owner_id]},
                    )
                )
            for owner_id, ids in by_owner.items():
                for start in range(0, len(ids), 900):
                    model.objects.filter(pk__in=ids[start : start + 900]).update(
                        owner_id=owner_id, version=F("version") + 1, updated_at=now
                    )
            counts[type_plan.key] = len(moves)
        AuditEntry.objects.bulk_create(entries, batch_size=500)
    return counts
