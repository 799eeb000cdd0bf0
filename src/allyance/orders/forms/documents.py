"""Forms for document templates (administrators) and for generating and e-mailing PDFs."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from allyance.core.forms import StyledFormMixin
from allyance.orders.models import DocumentKind, DocumentTemplate
from allyance.orders.selectors.documents import DOCUMENT_RECORD_MODELS
from allyance.orders.services.documents import template_syntax_problem


class DocumentTemplateForm(StyledFormMixin, forms.ModelForm):
    """A template's kind, language, name and HTML body; the body must compile."""

    class Meta:
        model = DocumentTemplate
        fields = ["kind", "language", "name", "body", "is_default", "active"]
        widgets = {
            "body": forms.Textarea(
                attrs={"rows": 28, "spellcheck": "false", "class": "font-monospace small"}
            ),
        }

    def clean_body(self):
        body = self.cleaned_data.get("body", "")
        problem = template_syntax_problem(body)
        if problem:
            raise forms.ValidationError(problem)
        return body


class DocumentGenerateForm(StyledFormMixin, forms.Form):
    """Which document to make, in which language; kinds are those that fit the record."""

    kind = forms.ChoiceField(label=_("Document"), choices=DocumentKind.choices)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)

    def __init__(self, *args, kinds=None, language=None, **kwargs):
        super().__init__(*args, **kwargs)
        if kinds is not None:
            labels = dict(DocumentKind.choices)
            self.fields["kind"].choices = [(kind, labels[kind]) for kind in kinds]
        if language:
            self.fields["language"].initial = language


class DocumentEmailForm(StyledFormMixin, forms.Form):
    """Optional other recipients and a message; by default the record's contact."""

    to = forms.CharField(
        label=pgettext_lazy("e-mail recipients", "To"),
        required=False,
        max_length=1000,
        help_text=_("Leave empty to send it to the contact; separate addresses with commas."),
    )
    message = forms.CharField(
        label=_("Message"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class TemplatePreviewForm(StyledFormMixin, forms.Form):
    """Preview against sample data, or against a quote, order or invoice by its number."""

    record_type = forms.ChoiceField(
        label=_("Record"),
        required=False,
        choices=[("", _("Sample data"))]
        + [
            (key, capfirst(model._meta.verbose_name))
            for key, model in DOCUMENT_RECORD_MODELS.items()
        ],
    )
    number = forms.CharField(label=_("Number"), required=False, max_length=40)
