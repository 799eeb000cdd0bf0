"""Writes on activities: logging, completing, rescheduling, reminding, the feed token.

Invitations live in `services_invitations`."""

from __future__ import annotations

import datetime as dt
import secrets
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from allyance.activities.models import Activity, ActivityInvitee, CalendarFeedToken
from allyance.core.models import Organisation, User
from allyance.core.notifications import in_language_of, notification_send
from allyance.core.services import record_save


def zone_of(user: User | None) -> dt.tzinfo:
    """The user's own time zone, else the site's."""
    name = getattr(user, "time_zone", "") or settings.TIME_ZONE
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def local_text(moment: dt.datetime | None, user: User | None) -> str:
    """A moment as the user reads it: their zone, the active language's short format."""
    if moment is None:
        return ""
    return formats.date_format(timezone.localtime(moment, zone_of(user)), "SHORT_DATETIME_FORMAT")


def activity_save(
    *, activity: Activity, by: User | None, expected_version: int | None = None
) -> Activity:
    """Create or update an activity; a contact's account is filled in when none is given.

    A reminder follows its activity: when the start (or due time) moves and the
    reminder was not changed with it, the reminder moves by the same amount. A new
    or moved reminder is queued for its time; a job queued for an older time finds
    the times no longer match and does nothing.
    """
    if activity.contact_id and not activity.account_id:
        activity.account_id = activity.contact.account_id
    if activity.pk is None:
        if activity.owner_id is None and by is not None:
            activity.owner = by
        if activity.organisation_id is None:
            activity.organisation = (
                by.organisation if by is not None and by.organisation_id else Organisation.company()
            )
    if activity.starts_at and activity.ends_at and activity.ends_at < activity.starts_at:
        raise ValidationError({"ends_at": _("The end must not be before the start.")})
    if activity.status == Activity.Status.DONE and activity.completed_at is None:
        activity.completed_at = timezone.now()
    if activity.status != Activity.Status.DONE:
        activity.completed_at = None
    before = (
        Activity.objects.filter(pk=activity.pk)
        .values("starts_at", "ends_at", "due_at", "location", "status", "remind_at", "reminded_at")
        .first()
        if activity.pk
        else None
    )
    if before is not None:
        _carry_reminder(activity, before)
    reminder_changed = activity.remind_at is not None and (
        before is None or before["remind_at"] != activity.remind_at
    )
    if before is not None and before["remind_at"] != activity.remind_at:
        activity.reminded_at = None
    activity = record_save(instance=activity, by=by, expected_version=expected_version)
    if reminder_changed and activity.reminded_at is None:
        pk, remind_at = activity.pk, activity.remind_at
        transaction.on_commit(lambda: _enqueue_reminder(pk, remind_at))
    if before is not None and _invitees_should_hear(activity, before):
        from allyance.activities import services_invitations

        pk, version = activity.pk, activity.version
        transaction.on_commit(lambda: services_invitations.meeting_change_enqueue(pk, version))
    return activity


def _invitees_should_hear(activity: Activity, before: dict) -> bool:
    """A meeting moved, changed place or was called off, and someone is invited."""
    if activity.kind != Activity.Kind.MEETING or before["status"] == Activity.Status.CANCELLED:
        return False
    changed = any(
        before[name] != getattr(activity, name) for name in ("starts_at", "ends_at", "location")
    ) or (activity.status == Activity.Status.CANCELLED)
    return changed and activity.invitees.exists()


def _carry_reminder(activity: Activity, before: dict) -> None:
    """Move an unchanged reminder along with its activity's new time."""
    old_anchor = before["starts_at"] or before["due_at"]
    new_anchor = activity.starts_at or activity.due_at
    if (
        before["remind_at"] is not None
        and activity.remind_at == before["remind_at"]
        and old_anchor is not None
        and new_anchor is not None
        and old_anchor != new_anchor
    ):
        activity.remind_at = activity.remind_at + (new_anchor - old_anchor)


def _enqueue_reminder(activity_id: int, remind_at: dt.datetime) -> None:
    from allyance.activities.tasks import activity_reminder_task

    backend = activity_reminder_task.get_backend()
    if backend.supports_defer:
        activity_reminder_task.using(run_after=remind_at).enqueue(
            activity_id, remind_at.isoformat()
        )
    else:  # a backend that runs at once: an early run does nothing, the sweep delivers later
        activity_reminder_task.enqueue(activity_id, remind_at.isoformat())


def activity_complete(
    *, activity: Activity, by: User, expected_version: int | None = None
) -> Activity:
    """Mark an activity done (a task ticked off the list)."""
    activity.status = Activity.Status.DONE
    return activity_save(activity=activity, by=by, expected_version=expected_version)


def activity_reschedule(
    *,
    activity: Activity,
    start: dt.datetime | dt.date,
    end: dt.datetime | None,
    by: User,
    expected_version: int | None,
) -> Activity:
    """Move an activity on the calendar, keeping its reminder the same time before it.

    A timed activity gets the new start and end (its length kept when no end is
    given); an all-day entry (a task on its due date) moves to the new day at the
    same time of day.
    """
    if isinstance(start, dt.datetime):
        if activity.starts_at is None:
            raise ValidationError({"start": _("This entry has a due date, not a time.")})
        if end is None:
            length = (activity.ends_at - activity.starts_at) if activity.ends_at else None
            end = start + length if length is not None else None
        if end is not None and end < start:
            raise ValidationError({"end": _("The end must not be before the start.")})
        activity.starts_at, activity.ends_at = start, end
    else:
        if activity.starts_at is not None or activity.due_at is None:
            raise ValidationError({"start": _("This entry needs a start time.")})
        zone = zone_of(by)
        old = timezone.localtime(activity.due_at, zone)
        activity.due_at = dt.datetime.combine(start, old.time(), tzinfo=zone)
    return activity_save(activity=activity, by=by, expected_version=expected_version)


# --- Reminders ---------------------------------------------------------------------------


def activity_reminder_deliver(
    *, activity_id: int, remind_at: dt.datetime, now: dt.datetime | None = None
) -> bool:
    """Deliver one reminder (in-app and e-mail to the owner and internal invitees).

    Does nothing when the reminder moved since the job was queued, was already
    delivered, is not due yet, or the activity is no longer planned; the claim is one
    conditional UPDATE, so a job and the sweep cannot both deliver it.
    """
    now = now or timezone.now()
    if remind_at > now:
        return False
    with transaction.atomic():
        claimed = Activity.objects.filter(
            pk=activity_id,
            remind_at=remind_at,
            reminded_at__isnull=True,
            status=Activity.Status.PLANNED,
        ).update(reminded_at=now)
        if not claimed:
            return False
        activity = Activity.objects.select_related("owner").get(pk=activity_id)
        recipients = [activity.owner] if activity.owner is not None else []
        recipients += [
            invitee.user
            for invitee in activity.invitees.select_related("user").filter(user__isnull=False)
            if invitee.response != ActivityInvitee.Response.DECLINED
        ]
        for user in {u.pk: u for u in recipients if u.is_active}.values():
            with in_language_of(user):
                message = _("Reminder: “%(subject)s” %(when)s") % {
                    "subject": activity.subject,
                    "when": local_text(activity.scheduled_at, user),
                }
            url = (
                activity.get_absolute_url()
                if user.pk == activity.owner_id
                else reverse("activities:calendar")
            )
            notification_send(recipient=user, message=message, url=url, kind="reminder", email=True)
    return True


def reminders_send_due(*, now: dt.datetime | None = None) -> int:
    """Deliver every due reminder not yet delivered (a lost job's, say); how many were sent."""
    now = now or timezone.now()
    due = Activity.objects.filter(
        remind_at__lte=now, reminded_at__isnull=True, status=Activity.Status.PLANNED
    ).values_list("pk", "remind_at")
    return sum(
        activity_reminder_deliver(activity_id=pk, remind_at=remind_at, now=now)
        for pk, remind_at in list(due)
    )


# --- The private calendar feed -----------------------------------------------------------


def calendar_feed_token_renew(*, user: User) -> CalendarFeedToken:
    """Give the user a new feed URL; the old one stops working at once."""
    token, _created = CalendarFeedToken.objects.update_or_create(
        user=user, defaults={"token": secrets.token_urlsafe(32), "created_at": timezone.now()}
    )
    return token


def calendar_feed_token_revoke(*, user: User) -> None:
    CalendarFeedToken.objects.filter(user=user).delete()
