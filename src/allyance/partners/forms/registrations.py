"""Forms for deal registrations: the partner's registration and the channel manager's
decision."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from allyance.catalog.models import Product
from allyance.core.forms import StyledFormMixin, VersionedModelForm
from allyance.core.visibility import visible_to
from allyance.partners.models import DealRegistration

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DealRegistrationForm(VersionedModelForm):
    """What a partner tells about a deal it found; its own account for the customer is
    optional, the products are those on sale."""

    class Meta:
        model = DealRegistration
        fields = [
            "customer_name",
            "tax_id",
            "domain",
            "account",
            "contact_name",
            "contact_email",
            "products",
            "product_interest",
            "estimated_amount",
            "currency",
            "expected_close",
            "description",
        ]
        widgets = {
            "expected_close": _DATE,
            "description": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "domain": _("The customer's website or an e-mail address at its domain."),
            "tax_id": _("The unified social credit code or VAT number, if you know it."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        products = self.fields["products"]
        products.queryset = visible_to(
            self.user, Product.objects.filter(active=True).order_by("name")
        )
        products.required = False
        self.fields["account"].required = False
        self.fields["estimated_amount"].required = True


class RegistrationDecisionForm(StyledFormMixin, forms.Form):
    """Approve (with the protection in days) or reject (with a reason), or withdraw."""

    action = forms.ChoiceField(
        choices=[
            ("approve", _("Approve")),
            ("reject", _("Reject")),
            ("withdraw", _("Withdraw")),
        ],
        widget=forms.HiddenInput,
    )
    protection_days = forms.IntegerField(
        label=_("Protection (days)"), required=False, min_value=1, max_value=3650
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=255)
