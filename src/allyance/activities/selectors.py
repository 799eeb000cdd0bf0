"""Reads of activities, always through the visibility gate."""

from __future__ import annotations

from django.db.models import QuerySet

from allyance.activities.models import Activity
from allyance.core.visibility import visible_to


def activities_visible_to(user) -> QuerySet[Activity]:
    return visible_to(user, Activity.objects.select_related("owner", "account", "contact"))


def open_tasks_of(user) -> QuerySet[Activity]:
    return (
        activities_visible_to(user)
        .filter(owner=user, status=Activity.Status.PLANNED)
        .order_by("due_at", "starts_at", "id")
    )
