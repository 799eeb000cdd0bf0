"""Background jobs of activities. Each only calls its service, which makes a repeated or
stale run do nothing."""

from __future__ import annotations

import datetime as dt

from django.tasks import task


@task()
def activity_reminder_task(activity_id: int, remind_at: str) -> bool:
    """Deliver the reminder set for `remind_at` (ISO 8601), if it still stands and is due."""
    from allyance.activities.services import activity_reminder_deliver

    return activity_reminder_deliver(
        activity_id=activity_id, remind_at=dt.datetime.fromisoformat(remind_at)
    )


@task()
def invitation_email_task(invitee_id: int) -> bool:
    """E-mail a contact their meeting invitation (a second run finds it already sent)."""
    from allyance.activities.services_invitations import invitation_email_send

    return invitation_email_send(invitee_id=invitee_id)


@task()
def meeting_change_announce_task(activity_id: int, version: int) -> int:
    """Tell a meeting's invitees it moved or was cancelled (once per version and invitee)."""
    from allyance.activities.services_invitations import meeting_change_announce

    return meeting_change_announce(activity_id=activity_id, version=version)
