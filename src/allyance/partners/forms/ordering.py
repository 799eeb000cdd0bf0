"""Forms of indirect ordering: the header of a partner's order (lines are the catalog table)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from allyance.core.custom_fields import add_custom_form_fields
from allyance.core.forms import StyledFormMixin
from allyance.orders.models import Order
from allyance.partners.selectors.ordering import end_customers_for

DATE = {"type": "date"}


class PortalOrderForm(StyledFormMixin, forms.Form):
    """For whom the partner orders, its reference, when and where to deliver, and the order's
    custom fields as `cf_<key>`."""

    end_customer = forms.ModelChoiceField(
        label=_("End customer"),
        queryset=None,
        required=False,
        empty_label=_("For stock (our own account)"),
        help_text=_("The customer you order for; leave it for stock."),
    )
    customer_reference = forms.CharField(label=_("Your reference"), max_length=100, required=False)
    requested_delivery = forms.DateField(
        label=_("Requested delivery"),
        required=False,
        widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"),
    )
    shipping_address = forms.CharField(
        label=_("Shipping address"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["end_customer"].queryset = end_customers_for(user)
        self.user = user
        add_custom_form_fields(self, model=Order)
