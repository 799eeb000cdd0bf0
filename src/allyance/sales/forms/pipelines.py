"""Forms for pipelines and their stages (administrators)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from allyance.activities.models import Activity
from allyance.core.forms import StyledFormMixin
from allyance.sales.models import Pipeline, Stage
from allyance.sales.services.pipelines import requirable_field_choices


class PipelineForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Pipeline
        fields = ["name", "is_default", "is_active", "order", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


def checklist_text(checklist: list[dict]) -> str:
    """The checklist as the form edits it: one `kind: subject` line per activity."""
    return "\n".join(
        f"{item['kind']}: {item['subject']}" if item.get("subject") else item["kind"]
        for item in checklist or []
    )


class StageForm(StyledFormMixin, forms.ModelForm):
    """A stage with its requirements: required fields, a checklist of activities, a playbook."""

    required_fields = forms.MultipleChoiceField(
        label=_("Required fields"),
        choices=requirable_field_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("A deal may enter this stage only when these fields have a value."),
    )
    checklist = forms.CharField(
        label=_("Checklist"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One activity per line that must be done before a deal enters this stage, as "
            "“type: subject”, e.g. “meeting: Demo”. Types: call, meeting, task, note, email."
        ),
    )

    class Meta:
        model = Stage
        fields = [
            "name",
            "order",
            "probability",
            "forecast_category",
            "outcome",
            "stall_days",
            "playbook",
        ]
        widgets = {"playbook": forms.Textarea(attrs={"rows": 8})}
        help_texts = {
            "playbook": _(
                "HTML: bold, italics, links and lists are kept; scripts and styles are removed."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["required_fields"].widget.attrs["class"] = ""
        if self.instance.pk:
            self.initial["required_fields"] = self.instance.required_fields
            self.initial["checklist"] = checklist_text(self.instance.checklist)

    def clean_checklist(self) -> list[dict]:
        kinds = {value: value for value in Activity.Kind.values}
        kinds.update({str(label).casefold(): value for value, label in Activity.Kind.choices})
        items = []
        for number, line in enumerate(self.cleaned_data["checklist"].splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            kind, _sep, subject = line.partition(":")
            value = kinds.get(kind.strip().casefold())
            if value is None:
                raise ValidationError(
                    _("Line %(number)d: “%(kind)s” is not an activity type.")
                    % {"number": number, "kind": kind.strip()}
                )
            items.append({"kind": value, "subject": subject.strip()[:200]})
        return items

    def save(self, commit=True):
        stage = super().save(commit=False)
        stage.required_fields = self.cleaned_data["required_fields"]
        stage.checklist = self.cleaned_data["checklist"]
        return stage
