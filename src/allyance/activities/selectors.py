"""Reads of activities, always through the visibility gate."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from allyance.activities.models import Activity, ActivityInvitee
from allyance.core.models import User
from allyance.core.visibility import team_member_ids_of, visibility_filter, visible_to

CALENDAR_KINDS = (Activity.Kind.MEETING, Activity.Kind.CALL, Activity.Kind.TASK)
TO_DO_KINDS = (Activity.Kind.TASK, Activity.Kind.CALL)
LONGEST_SPAN = dt.timedelta(days=31)


def activities_visible_to(user) -> QuerySet[Activity]:
    return visible_to(user, Activity.objects.select_related("owner", "account", "contact"))


def open_tasks_of(user) -> QuerySet[Activity]:
    return (
        activities_visible_to(user)
        .filter(owner=user, status=Activity.Status.PLANNED)
        .order_by("due_at", "starts_at", "id")
    )


def task_list_of(user) -> QuerySet[Activity]:
    """The user's open to-dos (tasks and calls to make), soonest due first, undated last."""
    from django.db.models import F

    return (
        activities_visible_to(user)
        .filter(owner=user, status=Activity.Status.PLANNED, kind__in=TO_DO_KINDS)
        .order_by(F("due_at").asc(nulls_last=True), "starts_at", "id")
    )


def invited_activity_ids(user) -> QuerySet:
    return ActivityInvitee.objects.filter(user_id=user.pk).values("activity_id")


def calendar_activities_for(
    user, *, mine: bool = False, owner_id: int | None = None
) -> QuerySet[Activity]:
    """Meetings, calls and tasks for a calendar: the ones the gate lets the user see, plus
    the meetings they are invited to (an invitation shares that one meeting).

    `mine`: only the user's own and their invitations; `owner_id`: one person's;
    neither: the user's team (everyone for those who see all).
    """
    activities = Activity.objects.select_related("owner").filter(kind__in=CALENDAR_KINDS)
    if user is None or not user.is_authenticated or not user.is_active:
        return activities.none()
    gate = visibility_filter(user, Activity)
    invited = Q(pk__in=invited_activity_ids(user))
    if mine:
        return activities.filter((Q(owner_id=user.pk) & (gate or Q())) | invited)
    if owner_id is not None:
        shown = Q(owner_id=owner_id) & (gate or Q())
        if owner_id == user.pk:
            shown |= invited
        return activities.filter(shown)
    team = Q(owner_id__in=team_member_ids_of(user)) if gate is not None else Q()
    return activities.filter((team & (gate or Q())) | invited)


def calendar_activities_between(
    user, start: dt.datetime, end: dt.datetime, **which
) -> QuerySet[Activity]:
    """The calendar's entries that overlap [start, end): timed ones by their span, the
    others on their due time. Every branch is an indexed range read, which is why an
    entry that started more than LONGEST_SPAN before the range is not looked for."""
    return (
        calendar_activities_for(user, **which)
        .filter(
            Q(starts_at__lt=end, starts_at__gte=start)
            | Q(starts_at__lt=start, starts_at__gte=start - LONGEST_SPAN, ends_at__gt=start)
            | Q(starts_at__isnull=True, due_at__gte=start, due_at__lt=end)
        )
        .exclude(status=Activity.Status.CANCELLED)
        .order_by("starts_at", "due_at", "id")
    )


def calendar_people_for(user) -> QuerySet[User]:
    """People whose calendar the user may pick: their team, or everyone for those who see
    all; partner users their colleagues. What each shows still goes through the gate."""
    people = User.objects.filter(is_active=True).order_by("last_name", "first_name", "username")
    if user.is_partner:
        return people.filter(organisation_id=user.organisation_id)
    if user.is_customer:
        return people.filter(pk=user.pk)
    if visibility_filter(user, Activity) is None:
        return people.exclude(role="customer")
    return people.filter(pk__in=team_member_ids_of(user))
