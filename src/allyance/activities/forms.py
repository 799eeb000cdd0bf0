"""Forms for activities."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from allyance.activities.models import Activity
from allyance.core.forms import VersionedModelForm
from allyance.core.models import User
from allyance.customers.models import Contact

DATETIME_WIDGET = {"type": "datetime-local"}
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"

# "Remind me" choices: how long before the activity starts (or is due).
REMIND_BEFORE = {
    "0": dt.timedelta(0),
    "10m": dt.timedelta(minutes=10),
    "30m": dt.timedelta(minutes=30),
    "1h": dt.timedelta(hours=1),
    "1d": dt.timedelta(days=1),
}
REMIND_CHOICES = [
    ("", _("No reminder")),
    ("0", _("At the time")),
    ("10m", _("10 minutes before")),
    ("30m", _("30 minutes before")),
    ("1h", _("1 hour before")),
    ("1d", _("1 day before")),
    ("custom", _("At a time I choose")),
]


class ActivityForm(VersionedModelForm):
    remind = forms.ChoiceField(label=_("Remind me"), choices=REMIND_CHOICES, required=False)
    invite_users = forms.ModelMultipleChoiceField(
        label=_("Invite colleagues"),
        queryset=User.objects.filter(is_active=True),
        required=False,
        help_text=_("Meetings only: they are notified in the app and by e-mail."),
    )
    invite_contacts = forms.ModelMultipleChoiceField(
        label=_("Invite contacts"),
        queryset=Contact.objects.all(),
        required=False,
        help_text=_("Meetings only: they get an e-mail invitation with a calendar file."),
    )

    class Meta:
        model = Activity
        fields = [
            "kind",
            "subject",
            "account",
            "contact",
            "status",
            "priority",
            "owner",
            "starts_at",
            "ends_at",
            "due_at",
            "location",
            "remind_at",
            "outcome",
            "body",
        ]
        widgets = {
            "starts_at": forms.DateTimeInput(attrs=DATETIME_WIDGET, format=DATETIME_FORMAT),
            "ends_at": forms.DateTimeInput(attrs=DATETIME_WIDGET, format=DATETIME_FORMAT),
            "due_at": forms.DateTimeInput(attrs=DATETIME_WIDGET, format=DATETIME_FORMAT),
            "remind_at": forms.DateTimeInput(attrs=DATETIME_WIDGET, format=DATETIME_FORMAT),
            "body": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {"remind_at": _("Used when “Remind me” is “At a time I choose”.")}

    field_order = [*Meta.fields[:11], "remind", "remind_at", "invite_users", "invite_contacts"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(self.field_order)
        instance = self.instance
        if instance.pk:
            invitees = list(instance.invitees.all())
            self.fields["invite_users"].initial = [i.user_id for i in invitees if i.user_id]
            self.fields["invite_contacts"].initial = [
                i.contact_id for i in invitees if i.contact_id
            ]
            self.fields["remind"].initial = self._remind_choice(instance)

    @staticmethod
    def _remind_choice(activity: Activity) -> str:
        if activity.remind_at is None:
            return ""
        anchor = activity.starts_at or activity.due_at
        for key, before in REMIND_BEFORE.items():
            if anchor is not None and anchor - before == activity.remind_at:
                return key
        return "custom"

    def clean(self):
        cleaned = super().clean()
        choice = cleaned.get("remind", "")
        anchor = cleaned.get("starts_at") or cleaned.get("due_at")
        if choice == "":
            cleaned["remind_at"] = None
        elif choice in REMIND_BEFORE:
            if anchor is None:
                self.add_error("remind", _("Set a start or due time to be reminded before it."))
            else:
                cleaned["remind_at"] = anchor - REMIND_BEFORE[choice]
        elif choice == "custom" and cleaned.get("remind_at") is None:
            self.add_error("remind_at", _("Choose when to be reminded."))
        if (cleaned.get("invite_users") or cleaned.get("invite_contacts")) and cleaned.get(
            "kind"
        ) != Activity.Kind.MEETING:
            self.add_error("invite_users", _("Only meetings have invitees."))
        return cleaned

    def save_m2m_for(self, record) -> None:
        """After the service saved the activity: its invitees, through their own service."""
        from allyance.activities.services_invitations import activity_invitees_set

        super().save_m2m_for(record)
        if "invite_users" not in self.cleaned_data:
            return
        activity_invitees_set(
            activity=record,
            users=self.cleaned_data.get("invite_users") or [],
            contacts=self.cleaned_data.get("invite_contacts") or [],
            by=self.user,
        )
