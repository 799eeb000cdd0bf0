"""Activities: calls, meetings, tasks, notes and logged e-mails on any record."""

from __future__ import annotations

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from allyance.core.models import BusinessModel
from allyance.core.record_urls import record_url


class Activity(BusinessModel):
    """Something done or to do with a customer. `owner` is the assignee.

    `account` and `contact` are kept for every activity that concerns a customer,
    so timelines and the visibility gate need no generic joins; `target` points
    at any other record (an opportunity, a case …) when there is one.
    """

    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        MEETING = "meeting", _("Meeting")
        TASK = "task", _("Task")
        NOTE = "note", _("Note")
        EMAIL = "email", _("E-mail")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    class Priority(models.TextChoices):
        LOW = "low", _("Low")
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("High")

    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.TASK)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("details"), blank=True)
    starts_at = models.DateTimeField(_("starts"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    outcome = models.CharField(_("outcome"), max_length=255, blank=True)
    location = models.CharField(_("location"), max_length=255, blank=True)
    remind_at = models.DateTimeField(_("remind me at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminder sent"), null=True, blank=True, editable=False)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activities",
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activities",
    )
    target_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    target_id = models.CharField(max_length=64, blank=True)
    target = GenericForeignKey("target_type", "target_id")

    visibility_territory_path = "account__territory"
    visibility_account_path = "account"
    search_fields = ("subject", "body", "outcome")

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["account", "-created_at"]),
            # An account's timeline, newest first, read without sorting all its activities.
            models.Index(
                F("account"),
                Coalesce("starts_at", "due_at", "created_at").desc(),
                F("id").desc(),
                name="activity_account_timeline",
            ),
            models.Index(fields=["contact", "-created_at"]),
            models.Index(fields=["owner", "status", "due_at"]),
            models.Index(fields=["target_type", "target_id"]),
            # Calendar range queries: "my" calendar by owner, the team's by time.
            models.Index(fields=["owner", "starts_at"]),
            models.Index(fields=["starts_at"]),
            models.Index(fields=["due_at"]),
            # The reminder sweep reads only reminders not yet delivered.
            models.Index(
                fields=["remind_at"],
                condition=models.Q(reminded_at__isnull=True, remind_at__isnull=False),
                name="activity_reminder_due",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__isnull=True)
                | models.Q(starts_at__isnull=True)
                | models.Q(ends_at__gte=models.F("starts_at")),
                name="activity_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.subject

    def get_absolute_url(self) -> str:
        return record_url("activities:activity-edit", self.pk)

    @property
    def when(self):
        return self.starts_at or self.due_at or self.created_at

    @property
    def scheduled_at(self):
        """The moment the activity happens: its start, or its due time."""
        return self.starts_at or self.due_at


class ActivityInvitee(models.Model):
    """Someone invited to a meeting: an internal user or a customer's contact."""

    class Response(models.TextChoices):
        NEEDS_ACTION = "needs_action", _("No answer yet")
        ACCEPTED = "accepted", _("Accepted")
        TENTATIVE = "tentative", _("Maybe")
        DECLINED = "declined", _("Declined")

    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.CASCADE, related_name="invitees"
    )
    user = models.ForeignKey(
        "core.User",
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="invitations",
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="invitations",
    )
    response = models.CharField(
        _("response"), max_length=20, choices=Response.choices, default=Response.NEEDS_ACTION
    )
    invited_at = models.DateTimeField(_("invited"), auto_now_add=True)
    notified_at = models.DateTimeField(_("notified"), null=True, blank=True)
    # The meeting's version the invitee last heard about: a change is announced once.
    notified_version = models.PositiveIntegerField(_("notified of version"), default=0)

    audited = True

    class Meta:
        verbose_name = _("invitee")
        verbose_name_plural = _("invitees")
        ordering = ["invited_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, contact__isnull=True)
                | models.Q(user__isnull=True, contact__isnull=False),
                name="invitee_is_user_or_contact",
            ),
            models.UniqueConstraint(
                fields=["activity", "user"],
                condition=models.Q(user__isnull=False),
                name="unique_invited_user",
            ),
            models.UniqueConstraint(
                fields=["activity", "contact"],
                condition=models.Q(contact__isnull=False),
                name="unique_invited_contact",
            ),
        ]
        indexes = [models.Index(fields=["user", "activity"])]

    def __str__(self) -> str:
        return str(self.user or self.contact)


class CalendarFeedToken(models.Model):
    """The secret in a user's private iCalendar feed URL; regenerating it revokes the old URL."""

    user = models.OneToOneField(
        "core.User",
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="calendar_feed_token",
    )
    token = models.CharField(_("token"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("calendar feed token")
        verbose_name_plural = _("calendar feed tokens")

    def __str__(self) -> str:
        return f"{self.user}"
