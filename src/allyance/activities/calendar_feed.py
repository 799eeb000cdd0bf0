"""iCalendar output: a user's private feed and the .ics attached to meeting invitations.

Timed activities (meetings, calls) become events with a start and end; tasks and
other undated-by-time entries become all-day events on their due date in the
user's zone, which every calendar client shows (Google ignores VTODO).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from urllib.parse import urlsplit

import icalendar
from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from allyance.activities.models import Activity
from allyance.activities.services import zone_of
from allyance.core.models import User

FEED_PAST = dt.timedelta(days=30)
FEED_FUTURE = dt.timedelta(days=365)
DEFAULT_LENGTH = dt.timedelta(minutes=30)


def _site() -> str:
    return settings.SITE_URL.rstrip("/")


def activity_uid(activity: Activity) -> str:
    """Stable per activity, so a client updates the event instead of adding a copy."""
    host = urlsplit(settings.SITE_URL).hostname or "allyance"
    return f"activity-{activity.pk}@{host}"


def activity_event(activity: Activity, *, user: User | None) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", activity_uid(activity))
    event.add("dtstamp", activity.updated_at or timezone.now())
    event.add("summary", activity.subject)
    event.add("sequence", max(activity.version - 1, 0))
    if activity.starts_at is not None:
        event.add("dtstart", activity.starts_at)
        event.add("dtend", activity.ends_at or activity.starts_at + DEFAULT_LENGTH)
    else:
        day = timezone.localtime(activity.due_at, zone_of(user)).date()
        event.add("dtstart", day)
        event.add("dtend", day + dt.timedelta(days=1))
    description = activity.body
    if activity.account_id:
        description = f"{activity.account}\n{description}".strip()
    if description:
        event.add("description", description)
    if activity.location:
        event.add("location", activity.location)
    event.add("url", _site() + activity.get_absolute_url())
    event.add("categories", [activity.get_kind_display()])
    if activity.status == Activity.Status.CANCELLED:
        event.add("status", "CANCELLED")
    elif activity.status == Activity.Status.DONE and activity.starts_at is None:
        event.add("status", "CONFIRMED")
    return event


def feed_activities(user: User, *, now: dt.datetime | None = None) -> QuerySet[Activity]:
    """The user's own meetings, calls and tasks and the meetings they are invited to, from
    30 days back to a year ahead."""
    from allyance.activities.selectors import calendar_activities_for

    now = now or timezone.now()
    start, end = now - FEED_PAST, now + FEED_FUTURE
    return (
        calendar_activities_for(user, mine=True)
        .filter(
            Q(starts_at__gte=start, starts_at__lt=end)
            | Q(starts_at__isnull=True, due_at__gte=start, due_at__lt=end)
        )
        .exclude(status=Activity.Status.CANCELLED)
        .select_related("account")
        .order_by("starts_at", "due_at", "id")
    )


def calendar_ics(activities: Iterable[Activity], *, user: User, name: str) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Allyance//CRM calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", str(zone_of(user)))
    calendar.add("refresh-interval", dt.timedelta(minutes=30), parameters={"VALUE": "DURATION"})
    for activity in activities:
        calendar.add_component(activity_event(activity, user=user))
    return calendar.to_ical()


def invitation_ics(activity: Activity, contact, *, cancel: bool = False) -> bytes:
    """The meeting as an invitation for one contact (METHOD:REQUEST), or its cancellation
    (METHOD:CANCEL); the same UID and a higher SEQUENCE update what the client holds."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Allyance//CRM calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancel else "REQUEST")
    event = activity_event(activity, user=activity.owner)
    if activity.owner is not None and activity.owner.email:
        organizer = icalendar.vCalAddress(f"mailto:{activity.owner.email}")
        organizer.params["cn"] = str(activity.owner)
        event.add("organizer", organizer)
    attendee = icalendar.vCalAddress(f"mailto:{contact.email}")
    attendee.params["cn"] = str(contact)
    attendee.params["role"] = "REQ-PARTICIPANT"
    attendee.params["partstat"] = "NEEDS-ACTION"
    attendee.params["rsvp"] = "TRUE"
    event.add("attendee", attendee)
    calendar.add_component(event)
    return calendar.to_ical()
