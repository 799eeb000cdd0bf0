"""Forms of training and content: a course with its quiz, certifications, library items,
announcements, the quiz a partner answers, and the list filters."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from allyance.core.forms import StyledFormMixin
from allyance.core.models import Organisation
from allyance.partners.models import (
    Announcement,
    Certification,
    ContentItem,
    Course,
    QuizQuestion,
    Tier,
)

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CourseForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Course
        fields = ["title", "summary", "materials", "pass_mark_percent", "active"]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 2}),
            "materials": forms.Textarea(attrs={"rows": 10}),
        }
        help_texts = {
            "materials": gettext_lazy("What the partner reads before the quiz; plain text."),
        }


class QuestionForm(StyledFormMixin, forms.Form):
    """One quiz question: its text, one choice per line, and the number of the right one."""

    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    text = forms.CharField(label=gettext_lazy("Question"), max_length=500)
    choices_text = forms.CharField(
        label=gettext_lazy("Choices"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("One choice per line."),
    )
    correct_number = forms.IntegerField(
        label=gettext_lazy("Correct choice (number)"), min_value=1, max_value=10
    )

    def clean(self):
        cleaned = super().clean()
        choices = [line.strip() for line in cleaned.get("choices_text", "").splitlines()]
        choices = [choice for choice in choices if choice]
        cleaned["choices"] = choices
        if "choices_text" in cleaned and len(choices) < 2:
            self.add_error("choices_text", _("Give at least two choices."))
        number = cleaned.get("correct_number")
        if number and len(choices) >= 2 and number > len(choices):
            self.add_error(
                "correct_number",
                _("There are only %(count)d choices.") % {"count": len(choices)},
            )
        return cleaned

    @staticmethod
    def initial_for(question: QuizQuestion) -> dict:
        return {
            "id": question.pk,
            "text": question.text,
            "choices_text": "\n".join(question.choices),
            "correct_number": question.correct_choice + 1,
        }


QuestionFormSet = forms.formset_factory(QuestionForm, extra=2, can_delete=True, max_num=50)


class TierChoicesMixin:
    """A `tiers` field: the programme's tiers, none chosen meaning every tier."""

    def tier_field(self, name: str, label, help_text) -> None:
        self.fields[name] = forms.ModelMultipleChoiceField(
            Tier.objects.order_by("-rank", "name"),
            label=label,
            required=False,
            help_text=help_text,
            widget=forms.SelectMultiple(attrs={"class": "form-select js-tom-select"}),
        )


class CertificationForm(TierChoicesMixin, StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Certification
        fields = ["name", "course", "valid_months", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tier_field(
            "required_by_tiers",
            gettext_lazy("Required by tiers"),
            gettext_lazy("Partners of these tiers need someone who holds it."),
        )
        if self.instance.pk:
            self.fields["required_by_tiers"].initial = list(self.instance.required_by_tiers.all())


def partner_type_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=gettext_lazy("Partner types"),
        choices=Organisation.PartnerType.choices,
        required=False,
        help_text=gettext_lazy("None chosen: every type."),
        widget=forms.SelectMultiple(attrs={"class": "form-select js-tom-select"}),
    )


class _TargetedForm(TierChoicesMixin, StyledFormMixin, forms.ModelForm):
    """Library items and announcements are meant for some tiers and partner types."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tier_field("tiers", gettext_lazy("Tiers"), gettext_lazy("None chosen: every tier."))
        self.fields["partner_types"] = partner_type_field()
        if self.instance.pk:
            self.fields["tiers"].initial = list(self.instance.tiers.all())
            self.fields["partner_types"].initial = list(self.instance.partner_types)

    def save(self, commit=False):
        record = super().save(commit=False)
        record.partner_types = list(self.cleaned_data.get("partner_types") or [])
        return record


class ContentItemForm(_TargetedForm):
    class Meta:
        model = ContentItem
        fields = ["title", "kind", "description", "file", "active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class AnnouncementForm(_TargetedForm):
    class Meta:
        model = Announcement
        fields = ["title", "body", "publish_from", "publish_until"]
        widgets = {
            "publish_from": DATE_WIDGET,
            "publish_until": DATE_WIDGET,
            "body": forms.Textarea(attrs={"rows": 5}),
        }


class QuizForm(forms.Form):
    """The quiz as a partner sees it: the choices of each question, never the right one."""

    def __init__(self, *args, questions: list[QuizQuestion], **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        for question in questions:
            self.fields[f"q{question.pk}"] = forms.TypedChoiceField(
                label=question.text,
                choices=[(str(i), choice) for i, choice in enumerate(question.choices)],
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": gettext_lazy("Answer this question.")},
            )

    def answers(self) -> dict[str, int]:
        return {str(q.pk): self.cleaned_data[f"q{q.pk}"] for q in self.questions}


class ContentFilterForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(
        label=pgettext_lazy("content item", "Kind"),
        choices=[("", gettext_lazy("All kinds")), *ContentItem.Kind.choices],
        required=False,
    )
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=200)


class AwardFilterForm(StyledFormMixin, forms.Form):
    expiring = forms.TypedChoiceField(
        label=gettext_lazy("Expiring"),
        choices=[
            ("", gettext_lazy("Any time")),
            ("30", gettext_lazy("Within 30 days")),
            ("90", gettext_lazy("Within 90 days")),
            ("-1", gettext_lazy("Expired")),
        ],
        coerce=int,
        empty_value=None,
        required=False,
    )
    certification = forms.ModelChoiceField(
        Certification.objects.order_by("name"),
        label=gettext_lazy("Certification"),
        required=False,
    )
