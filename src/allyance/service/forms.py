"""Forms of the service app: a case's details, and a move to another status."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from allyance.core.forms import StyledFormMixin, VersionedModelForm
from allyance.service.models import Case

DATE = {"type": "date"}


class CaseForm(VersionedModelForm):
    """What the customer bought and what is wrong with it; the status moves on the case page."""

    class Meta:
        model = Case
        fields = [
            "kind",
            "subject",
            "account",
            "contact",
            "product",
            "serial_number",
            "purchase_date",
            "order",
            "problem",
        ]
        widgets = {
            "purchase_date": forms.DateInput(attrs=DATE, format="%Y-%m-%d"),
            "problem": forms.Textarea(attrs={"rows": 5}),
        }
        help_texts = {
            "purchase_date": _("A warranty claim is checked against this date (or the order's)."),
            "order": _("The order the product was bought on, if it is in the system."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.status != Case.Status.NEW:
            self.fields["kind"].disabled = True


class CaseMoveForm(StyledFormMixin, forms.Form):
    to = forms.ChoiceField(label=_("New status"), choices=Case.Status.choices)
    resolution = forms.CharField(
        label=_("Resolution"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required to resolve or reject: the answer, or why the claim is rejected."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
