"""Reads of cases: what the visibility gate shows, search documents and the account timeline."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from allyance.core.models import AuditEntry
from allyance.core.timeline import FieldChange, TimelineItem
from allyance.core.visibility import visible_to
from allyance.service.models import Case


def cases_visible_to(user) -> QuerySet[Case]:
    """The cases the gate shows `user`: staff by role, a partner its own (and those of the
    partners below it that share with it)."""
    return visible_to(
        user, Case.objects.select_related("account", "contact", "product", "order", "owner")
    )


def case_search_document(case: Case) -> list[str | None]:
    """What finds a case: its number, subject, serial number and the account's name."""
    return [
        case.number,
        case.subject,
        case.serial_number,
        case.account.name if case.account_id else None,
    ]


class CaseEvent:
    """A timeline entry about a case, shaped like an audit entry for `core/timeline.html`."""

    def __init__(self, title: str, actor=None):
        self.title = title
        self.actor = actor

    def get_action_display(self) -> str:
        return self.title


def account_case_timeline(account, *, user, limit: int = 100) -> list[TimelineItem]:
    """The account's cases on its timeline: opened, and every status change."""
    if user is None:
        return []
    cases = {
        str(case.pk): case
        for case in cases_visible_to(user).filter(account=account).order_by("-id")[:limit]
    }
    if not cases:
        return []
    entries = (
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Case), object_id__in=list(cases)
        )
        .select_related("actor")
        .order_by("-at")
    )
    statuses = dict(Case.Status.choices)
    status_label = str(Case._meta.get_field("status").verbose_name)
    items: list[TimelineItem] = []
    for entry in entries.filter(action=AuditEntry.Action.CREATE)[:limit]:
        case = cases[entry.object_id]
        title = _("%(kind)s %(number)s opened") % {
            "kind": case.get_kind_display(),
            "number": case.number,
        }
        changes = [
            FieldChange(str(Case._meta.get_field("subject").verbose_name), None, case.subject)
        ]
        if case.warranty_valid is not None:
            changes.append(
                FieldChange(
                    str(Case._meta.get_field("warranty_valid").verbose_name),
                    None,
                    _("Yes") if case.warranty_valid else _("No"),
                )
            )
        items.append(TimelineItem("change", entry.at, CaseEvent(title, entry.actor), changes))
    for entry in entries.filter(action=AuditEntry.Action.UPDATE, changes__has_key="status")[:limit]:
        case = cases[entry.object_id]
        before, after = entry.changes["status"]
        title = _("Case %(number)s: %(status)s") % {
            "number": case.number,
            "status": statuses.get(after, after),
        }
        changes = [
            FieldChange(status_label, statuses.get(before, before), statuses.get(after, after))
        ]
        items.append(TimelineItem("change", entry.at, CaseEvent(title, entry.actor), changes))
    return items
