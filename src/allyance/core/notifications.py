"""In-app notifications, optionally e-mailed by the background worker after the commit."""

from __future__ import annotations

import logging
import smtplib

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation

from allyance.core.models import Notification, User

logger = logging.getLogger(__name__)


def notification_send(
    *, recipient: User, message: str, url: str = "", kind: str = "", email: bool = False
) -> Notification:
    """Notify `recipient`; with `email`, the worker also mails it once the transaction commits.

    `message` should already be in the recipient's language (see `in_language_of`).
    """
    notification = Notification.objects.create(
        recipient=recipient, message=message[:500], url=url, kind=kind
    )
    if email and recipient.email:
        from allyance.core.tasks import notification_email_task

        transaction.on_commit(lambda: notification_email_task.enqueue(notification.pk))
    return notification


def notification_email(*, notification_id: int) -> bool:
    """Mail one notification to its recipient, once; True if it was sent now."""
    from django.conf import settings

    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .select_related("recipient")
            .filter(pk=notification_id, emailed_at__isnull=True)
            .first()
        )
        if notification is None or not notification.recipient.email:
            return False
        link = notification.url
        if link and link.startswith("/"):
            link = settings.SITE_URL.rstrip("/") + link
        body = f"{notification.message}\n\n{link}".strip()
        try:
            send_mail(
                subject=notification.message[:120],
                message=body,
                from_email=None,
                recipient_list=[notification.recipient.email],
            )
        except (OSError, smtplib.SMTPException) as exc:
            # The notification stays in the app; the mail server is the operator's to fix.
            logger.warning("Notification %s not e-mailed: %s", notification_id, exc)
            return False
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
    return True


def notifications_of(user: User):
    """The user's own notifications, newest first: nobody reads another's."""
    return Notification.objects.filter(recipient_id=user.pk)


def unread_count_of(user: User) -> int:
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


def notifications_mark_read(*, recipient: User, ids: list[int] | None = None) -> int:
    """Mark the recipient's notifications read (all of them when `ids` is None)."""
    unread = Notification.objects.filter(recipient=recipient, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())


class in_language_of(translation.override):
    """Render a message in the recipient's language: `with in_language_of(user): _("…")`."""

    def __init__(self, user: User):
        super().__init__(getattr(user, "language", "") or None)
