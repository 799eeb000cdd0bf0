"""The quote and invoice settings form (administrators)."""

from __future__ import annotations

from django import forms

from allyance.core.forms import StyledFormMixin
from allyance.orders.models import OrderSettings


class OrderSettingsForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = OrderSettings
        fields = [
            "discount_approval_percent",
            "quote_validity_days",
            "payment_terms_days",
            "default_terms",
        ]
        widgets = {"default_terms": forms.Textarea(attrs={"rows": 5})}
