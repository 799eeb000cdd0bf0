"""Forms for sales expenses: entry, and the approver's decision."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from allyance.core.forms import StyledFormMixin, VersionedModelForm
from allyance.sales.models import Expense


class ExpenseForm(VersionedModelForm):
    """What was spent, when, and on which deal or account; status moves on the detail page."""

    class Meta:
        model = Expense
        fields = [
            "date",
            "category",
            "amount",
            "currency",
            "opportunity",
            "account",
            "description",
        ]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "opportunity": _("The account is taken from the opportunity."),
        }

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("opportunity") and not cleaned.get("account") and not self.errors:
            self.add_error(
                "opportunity", _("Choose the opportunity or the account this expense is for.")
            )
        return cleaned


class ExpenseDecisionForm(StyledFormMixin, forms.Form):
    """Submit, approve or reject; a rejection says why."""

    action = forms.ChoiceField(
        choices=[
            ("submit", _("Submit")),
            ("approve", _("Approve")),
            ("reject", _("Reject")),
        ],
        widget=forms.HiddenInput,
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
