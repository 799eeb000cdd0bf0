"""Forms for activities."""

from django import forms

from allyance.activities.models import Activity
from allyance.core.forms import VersionedModelForm


class ActivityForm(VersionedModelForm):
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
            "outcome",
            "body",
        ]
        widgets = {
            "starts_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "ends_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "due_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "body": forms.Textarea(attrs={"rows": 4}),
        }
