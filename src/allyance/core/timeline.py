"""One timeline per record: its activities, field changes and attachments, newest first."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db.models import ForeignKey, Model, QuerySet
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from allyance.core.custom_fields import fields_for, format_custom_value
from allyance.core.models import Attachment, AuditEntry

M2M_VERBS = {"added": _("added"), "removed": _("removed"), "cleared": _("cleared")}


@dataclass
class FieldChange:
    label: str
    before: object
    after: object


@dataclass
class TimelineItem:
    kind: str  # "activity", "change" or "attachment"
    at: datetime
    item: object
    changes: list[FieldChange] = field(default_factory=list)


def describe_changes(model: type[Model], entries: list[AuditEntry]) -> dict[int, list[FieldChange]]:
    """Readable changes per audit entry: field labels, related records by name, choice labels."""
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    related_ids: dict[str, set] = {}
    for entry in entries:
        for name, change in entry.changes.items():
            model_field = by_attname.get(name)
            if isinstance(model_field, ForeignKey) and isinstance(change, list):
                related_ids.setdefault(name, set()).update(v for v in change if v is not None)
    related_names = {
        name: {
            str(obj.pk): str(obj)
            for obj in by_attname[name].related_model._default_manager.filter(pk__in=ids)
        }
        for name, ids in related_ids.items()
    }

    def shown(model_field, value):
        if value in (None, ""):
            return None
        if model_field is None:
            return value
        if model_field.attname in related_names:
            return related_names[model_field.attname].get(str(value), f"#{value}")
        choices = dict(model_field.flatchoices) if model_field.choices else None
        return choices.get(value, value) if choices else value

    definitions = {d.name: d for d in fields_for(model)}

    def custom_rows(change) -> list[FieldChange]:
        before, after = (value if isinstance(value, dict) else {} for value in change)
        rows = []
        for key in sorted(set(before) | set(after)):
            if before.get(key) == after.get(key):
                continue
            definition = definitions.get(key)
            if definition is None:
                rows.append(FieldChange(key, before.get(key), after.get(key)))
                continue
            old, new = (
                format_custom_value(definition, v) if v is not None else None
                for v in (before.get(key), after.get(key))
            )
            rows.append(FieldChange(definition.label, old or None, new or None))
        return rows

    described = {}
    for entry in entries:
        rows = []
        for name, change in entry.changes.items():
            if name == "custom_fields" and isinstance(change, list) and len(change) == 2:
                rows.extend(custom_rows(change))
                continue
            model_field = by_attname.get(name)
            if model_field is None:
                try:
                    model_field = model._meta.get_field(name)
                except FieldDoesNotExist:
                    model_field = None
            label = str(model_field.verbose_name) if model_field is not None else name
            if isinstance(change, list) and len(change) == 2:
                rows.append(
                    FieldChange(label, shown(model_field, change[0]), shown(model_field, change[1]))
                )
            elif isinstance(change, dict):  # many-to-many: {"added": [...]} and the like
                text = "; ".join(
                    f"{M2M_VERBS.get(verb, verb)}: {', '.join(map(str, names))}"
                    for verb, names in change.items()
                )
                rows.append(FieldChange(label, None, text))
        described[entry.pk] = rows
    return described


# Entries other apps add to a record type's timeline (an account's orders, say):
# `source(record, *, user, limit) -> list[TimelineItem]`, reading through the gate for `user`.
_sources: dict[type[Model], list[Callable]] = {}


def register_source(model: type[Model], source: Callable) -> None:
    """Add `source`'s entries to every timeline of `model` (call it from `AppConfig.ready`)."""
    if source not in _sources.setdefault(model, []):
        _sources[model].append(source)


TIMELINE_PAGE_SIZE = 30


class TimelinePage(list):
    """One page of a timeline, newest first; `number` counts from 1 and `has_older` says
    whether an older page exists (the page shows a link to it)."""

    def __init__(self, items, *, number: int, has_older: bool) -> None:
        super().__init__(items)
        self.number = number
        self.has_older = has_older

    @property
    def older_number(self) -> int:
        return self.number + 1

    @property
    def newer_number(self) -> int:
        return self.number - 1


def timeline_page_number(value) -> int:
    """The page asked for (`?timeline=` on a record page): a whole number from 1, else 1."""
    text = str(value or "").strip()
    return min(int(text), 10_000) if text.isdigit() and int(text) >= 1 else 1


def timeline_for(
    record: Model,
    *,
    activities: QuerySet,
    user=None,
    page=1,
    per_page: int = TIMELINE_PAGE_SIZE,
) -> TimelinePage:
    """Merge the record's visible activities, its audit entries and its attachments, newest
    first, `per_page` entries per page (page 1 is the newest).

    Each source reads only as many entries as the pages up to this one need, so the first
    page of a record with thousands of activities stays as quick as any other.
    Registered sources add their entries as `user` (by default the request's user) may see them.
    """
    number = timeline_page_number(page)
    limit = per_page * number + 1
    content_type = ContentType.objects.get_for_model(record)
    entries = list(
        AuditEntry.objects.filter(content_type=content_type, object_id=str(record.pk))
        .select_related("actor")
        .order_by("-at", "-pk")[:limit]
    )
    files = Attachment.objects.filter(content_type=content_type, object_id=str(record.pk))
    items = [
        TimelineItem("activity", a.when, a)
        # The timeline shows the activity's own fields; the gate's joins stay in the filter.
        for a in activities.select_related(None)
        .annotate(timeline_at=Coalesce("starts_at", "due_at", "created_at"))
        .order_by("-timeline_at", "-pk")[:limit]
    ]
    items += [TimelineItem("change", e.at, e) for e in entries]
    items += [
        TimelineItem("attachment", f.uploaded_at, f)
        for f in files.select_related("uploaded_by").order_by("-uploaded_at", "-pk")[:limit]
    ]
    sources = _sources.get(type(record)._meta.concrete_model, ())
    if sources:
        from allyance.core.audit import current_actor

        viewer = user if user is not None else current_actor()
        for source in sources:
            items += source(record, user=viewer, limit=limit)
    items.sort(key=lambda entry: entry.at, reverse=True)
    start = per_page * (number - 1)
    shown = items[start : start + per_page]
    # The record's own audit entries are described only when shown (sources describe theirs).
    entry_ids = {id(entry) for entry in entries}
    own = [entry for entry in shown if entry.kind == "change" and id(entry.item) in entry_ids]
    described = describe_changes(type(record), [entry.item for entry in own])
    for entry in own:
        entry.changes = described[entry.item.pk]
    return TimelinePage(shown, number=number, has_older=len(items) > start + per_page)
