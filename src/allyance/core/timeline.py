"""One timeline per record: its activities, field changes and attachments, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, QuerySet

from allyance.core.models import Attachment, AuditEntry


@dataclass
class TimelineItem:
    kind: str  # "activity", "change" or "attachment"
    at: datetime
    item: object


def timeline_for(record: Model, *, activities: QuerySet, limit: int = 100) -> list[TimelineItem]:
    """Merge the record's visible activities, its audit entries and its attachments."""
    content_type = ContentType.objects.get_for_model(record)
    changes = AuditEntry.objects.filter(content_type=content_type, object_id=str(record.pk))
    files = Attachment.objects.filter(content_type=content_type, object_id=str(record.pk))
    items = [
        TimelineItem("activity", a.when, a) for a in activities.order_by("-created_at")[:limit]
    ]
    items += [TimelineItem("change", c.at, c) for c in changes.select_related("actor")[:limit]]
    items += [
        TimelineItem("attachment", f.uploaded_at, f)
        for f in files.select_related("uploaded_by")[:limit]
    ]
    items.sort(key=lambda entry: entry.at, reverse=True)
    return items[:limit]
