"""Meeting invitations: inviting colleagues and contacts, telling them when the meeting
moves or is cancelled, and their answers."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from allyance.activities.models import Activity, ActivityInvitee
from allyance.activities.services import local_text
from allyance.core import audit
from allyance.core.models import User
from allyance.core.notifications import in_language_of, notification_send
from allyance.core.visibility import visible_to
from allyance.customers.models import Contact


def activity_invitees_set(
    *,
    activity: Activity,
    users: Iterable[User] = (),
    contacts: Iterable[Contact] = (),
    by: User,
) -> list[ActivityInvitee]:
    """Make the meeting's invitees exactly `users` and `contacts`; notify the new ones.

    Internal users get an in-app notification and an e-mail; contacts get an
    invitation e-mail with the meeting as an .ics file, sent by the worker after
    the commit. Nobody is notified twice for the same meeting.
    """
    users, contacts = list(users), list(contacts)
    if (users or contacts) and activity.kind != Activity.Kind.MEETING:
        raise ValidationError({"invite_users": _("Only meetings have invitees.")})
    allowed_contacts = set(
        visible_to(by, Contact.objects.filter(pk__in=[c.pk for c in contacts])).values_list(
            "pk", flat=True
        )
    )
    if any(c.pk not in allowed_contacts for c in contacts):
        raise ValidationError({"invite_contacts": _("Select contacts you can see.")})
    if by.is_partner and any(u.organisation_id != by.organisation_id for u in users):
        raise ValidationError({"invite_users": _("Invite people of your own organisation.")})
    users = [u for u in users if u.pk != activity.owner_id and u.is_active]
    with audit.acting_as(by), transaction.atomic():
        existing = list(activity.invitees.select_related("user", "contact"))
        keep_users = {u.pk for u in users}
        keep_contacts = {c.pk for c in contacts}
        for invitee in existing:
            if (invitee.user_id and invitee.user_id not in keep_users) or (
                invitee.contact_id and invitee.contact_id not in keep_contacts
            ):
                invitee.delete()
        had_users = {i.user_id for i in existing if i.user_id}
        had_contacts = {i.contact_id for i in existing if i.contact_id}
        created = []
        for user in users:
            if user.pk not in had_users:
                created.append(ActivityInvitee.objects.create(activity=activity, user=user))
        for contact in contacts:
            if contact.pk not in had_contacts:
                created.append(ActivityInvitee.objects.create(activity=activity, contact=contact))
        for invitee in created:
            if invitee.user_id:
                _notify_invited_user(invitee, by=by)
            else:
                invitee_id = invitee.pk
                transaction.on_commit(lambda invitee_id=invitee_id: _enqueue_invitation(invitee_id))
    return list(activity.invitees.all())


def _notify_invited_user(invitee: ActivityInvitee, *, by: User) -> None:
    activity, user = invitee.activity, invitee.user
    with in_language_of(user):
        message = _("%(by)s invited you to “%(subject)s” on %(when)s") % {
            "by": by,
            "subject": activity.subject,
            "when": local_text(activity.scheduled_at, user),
        }
    notification_send(
        recipient=user,
        message=message,
        url=reverse("activities:calendar")
        + (f"?date={activity.scheduled_at.date().isoformat()}" if activity.scheduled_at else ""),
        kind="invitation",
        email=True,
    )
    ActivityInvitee.objects.filter(pk=invitee.pk).update(
        notified_at=timezone.now(), notified_version=activity.version
    )


def _enqueue_invitation(invitee_id: int) -> None:
    from allyance.activities.tasks import invitation_email_task

    invitation_email_task.enqueue(invitee_id)


def invitation_email_send(*, invitee_id: int) -> bool:
    """E-mail one contact their invitation with the meeting attached as .ics; once only."""
    from allyance.activities.calendar_feed import invitation_ics

    with transaction.atomic():
        invitee = (
            ActivityInvitee.objects.select_for_update()
            .filter(pk=invitee_id, notified_at__isnull=True, contact__isnull=False)
            .first()
        )
        if invitee is None:
            return False
        invitee = ActivityInvitee.objects.select_related(
            "contact", "activity", "activity__owner"
        ).get(pk=invitee.pk)
        contact, activity = invitee.contact, invitee.activity
        if not contact.email:
            return False
        organiser = activity.owner
        with in_language_of(organiser):
            subject = _("Invitation: %(subject)s") % {"subject": activity.subject}
            lines = [
                _("You are invited to “%(subject)s”.") % {"subject": activity.subject},
                _("When: %(when)s")
                % {"when": local_text(activity.scheduled_at, organiser) or _("to be set")},
            ]
            if activity.location:
                lines.append(_("Where: %(where)s") % {"where": activity.location})
            if organiser is not None:
                lines.append(_("Organiser: %(name)s") % {"name": organiser})
            if activity.body:
                lines += ["", activity.body]
        message = EmailMessage(
            subject=subject,
            body="\n".join(lines),
            to=[contact.email],
            reply_to=[organiser.email] if organiser is not None and organiser.email else None,
        )
        message.attach("invite.ics", invitation_ics(activity, contact), "text/calendar")
        message.send()
        invitee.notified_at = timezone.now()
        invitee.notified_version = activity.version
        invitee.save(update_fields=["notified_at", "notified_version"])
    return True


def meeting_change_enqueue(activity_id: int, version: int) -> None:
    from allyance.activities.tasks import meeting_change_announce_task

    meeting_change_announce_task.enqueue(activity_id, version)


def meeting_change_announce(*, activity_id: int, version: int) -> int:
    """Tell the invitees a meeting moved, changed place or was cancelled; how many were told.

    Colleagues get a notification (and e-mail), contacts an e-mail with the updated
    .ics (METHOD:REQUEST, or CANCEL). A job for an older version does nothing: the
    newer save queued its own. Each invitee is claimed by one conditional UPDATE, so a
    repeated job tells nobody twice.
    """
    from allyance.activities.calendar_feed import invitation_ics

    activity = Activity.objects.select_related("owner").filter(pk=activity_id).first()
    if activity is None or activity.version != version:
        return 0
    cancelled = activity.status == Activity.Status.CANCELLED
    organiser = activity.owner
    told = 0
    for invitee in activity.invitees.select_related("user", "contact"):
        if not ActivityInvitee.objects.filter(
            pk=invitee.pk, notified_version__lt=version, notified_at__isnull=False
        ).update(notified_version=version):
            continue
        if invitee.user_id:
            with in_language_of(invitee.user):
                template = (
                    _("“%(subject)s” on %(when)s is cancelled")
                    if cancelled
                    else _("“%(subject)s” is now on %(when)s")
                )
                message = template % {
                    "subject": activity.subject,
                    "when": local_text(activity.scheduled_at, invitee.user),
                }
            notification_send(
                recipient=invitee.user,
                message=message,
                url=reverse("activities:calendar"),
                kind="invitation",
                email=True,
            )
        elif invitee.contact.email:
            with in_language_of(organiser):
                template = _("Cancelled: %(subject)s") if cancelled else _("Updated: %(subject)s")
                subject = template % {"subject": activity.subject}
                body = _("When: %(when)s") % {"when": local_text(activity.scheduled_at, organiser)}
                if activity.location:
                    body += "\n" + _("Where: %(where)s") % {"where": activity.location}
            message = EmailMessage(subject=subject, body=body, to=[invitee.contact.email])
            message.attach(
                "invite.ics",
                invitation_ics(activity, invitee.contact, cancel=cancelled),
                "text/calendar",
            )
            message.send()
        told += 1
    return told


def invitation_respond(*, activity: Activity, user: User, response: str) -> ActivityInvitee:
    """An invited colleague accepts, declines or answers maybe; the organiser is told."""
    if response not in ActivityInvitee.Response.values or response == "needs_action":
        raise ValidationError({"response": _("Answer accepted, tentative or declined.")})
    invitee = ActivityInvitee.objects.filter(activity=activity, user=user).first()
    if invitee is None:
        raise ValidationError({"response": _("You are not invited to this meeting.")})
    if invitee.response == response:
        return invitee
    with audit.acting_as(user), transaction.atomic():
        invitee.response = response
        invitee.save(update_fields=["response"])
        if activity.owner is not None and activity.owner_id != user.pk:
            with in_language_of(activity.owner):
                message = _("%(name)s answered “%(answer)s” to “%(subject)s”") % {
                    "name": user,
                    "answer": invitee.get_response_display(),
                    "subject": activity.subject,
                }
            notification_send(
                recipient=activity.owner,
                message=message,
                url=activity.get_absolute_url(),
                kind="invitation",
            )
    return invitee
