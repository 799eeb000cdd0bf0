"""Forms for invoices and payments received: quantities to invoice, payment and allocations."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from allyance.core.custom_fields import add_custom_form_fields
from allyance.core.forms import StyledFormMixin, scope_choice_fields
from allyance.customers.models import Account
from allyance.orders.models import Invoice, OrderSettings, Payment
from allyance.sales.models.money import currency_choices, default_currency

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class OrderChoiceForm(StyledFormMixin, forms.Form):
    """Which order to invoice, by its number (a select box would list every order)."""

    order = forms.CharField(label=_("Order number"), max_length=40)


class InvoiceFromOrderForm(StyledFormMixin, forms.Form):
    """Quantity to invoice per order line, prefilled with what remains; issue date and terms;
    the invoice's custom fields as `cf_<key>`."""

    issue_date = forms.DateField(label=_("Issue date"), widget=DATE)
    payment_terms_days = forms.IntegerField(
        label=_("Payment terms (days)"), min_value=0, max_value=3650
    )

    def __init__(self, *args, lines=(), remaining=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        add_custom_form_fields(self, model=Invoice)
        remaining = remaining or {}
        self.fields["issue_date"].initial = timezone.localdate()
        self.fields["payment_terms_days"].initial = OrderSettings.current().payment_terms_days
        self.line_rows = []
        for line in lines:
            left = remaining.get(line.pk, Decimal("0"))
            name = f"line_{line.pk}"
            self.fields[name] = forms.DecimalField(
                label=str(line),
                min_value=0,
                max_digits=12,
                decimal_places=3,
                required=False,
                initial=left.normalize() if left else 0,
                widget=forms.NumberInput(attrs={"step": "any", "class": "form-control"}),
            )
            self.line_rows.append((line, left, name))

    def bound_lines(self):
        return [(line, left, self[name]) for line, left, name in self.line_rows]

    def quantities(self) -> dict[int, Decimal]:
        return {
            line.pk: self.cleaned_data.get(name) or Decimal("0")
            for line, _left, name in self.line_rows
        }


class AllocationFieldsMixin:
    """One amount field per open invoice, named `allocation_<invoice id>`."""

    def add_allocation_fields(self, invoices, initial: dict[int, Decimal]) -> None:
        self.allocation_rows = []
        for invoice in invoices:
            name = f"allocation_{invoice.pk}"
            self.fields[name] = forms.DecimalField(
                label=str(invoice),
                min_value=0,
                max_digits=16,
                decimal_places=2,
                required=False,
                initial=initial.get(invoice.pk),
                widget=forms.NumberInput(
                    attrs={
                        "step": "0.01",
                        "class": "form-control",
                        "data-testid": f"payment-allocation-{invoice.pk}",
                    }
                ),
            )
            self.allocation_rows.append((invoice, name))

    def bound_allocations(self):
        return [(invoice, self[name]) for invoice, name in self.allocation_rows]

    def allocations(self) -> dict[int, Decimal]:
        return {
            invoice.pk: self.cleaned_data[name]
            for invoice, name in self.allocation_rows
            if self.cleaned_data.get(name)
        }


class PaymentForm(AllocationFieldsMixin, StyledFormMixin, forms.Form):
    """A payment received and how it is split over the account's open invoices, and the
    payment's custom fields as `cf_<key>`."""

    account = forms.ModelChoiceField(label=_("Account"), queryset=Account.objects.all())
    received_on = forms.DateField(label=_("Received on"), widget=DATE)
    amount = forms.DecimalField(label=_("Amount"), max_digits=16, decimal_places=2, min_value=0)
    currency = forms.ChoiceField(label=_("Currency"), choices=currency_choices)
    method = forms.ChoiceField(label=_("Method"), choices=Payment.Method.choices)
    reference = forms.CharField(label=_("Reference"), max_length=120, required=False)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, user=None, invoices=(), allocation_initial=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            scope_choice_fields([self.fields["account"]], user)
        self.fields["received_on"].initial = timezone.localdate()
        self.fields["currency"].initial = default_currency()
        self.add_allocation_fields(invoices, allocation_initial or {})
        self.user = user
        add_custom_form_fields(self, model=Payment)


class PaymentAllocateForm(AllocationFieldsMixin, StyledFormMixin, forms.Form):
    """Allocate what is left of a payment to more open invoices."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, invoices=(), allocation_initial=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_allocation_fields(invoices, allocation_initial or {})


class InvoiceCancelForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class InvoiceForm(StyledFormMixin, forms.Form):
    """An invoice without an order: who, in which currency, when, and on what terms, and the
    invoice's custom fields as `cf_<key>`."""

    account = forms.ModelChoiceField(label=_("Account"), queryset=Account.objects.all())
    currency = forms.ChoiceField(label=_("Currency"), choices=currency_choices)
    issue_date = forms.DateField(label=_("Issue date"), widget=DATE)
    payment_terms_days = forms.IntegerField(
        label=_("Payment terms (days)"), min_value=0, max_value=3650
    )
    discount_percent = forms.DecimalField(
        label=_("Overall discount (%)"),
        min_value=0,
        max_value=100,
        max_digits=5,
        decimal_places=2,
        required=False,
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            scope_choice_fields([self.fields["account"]], user)
        self.fields["currency"].initial = default_currency()
        self.fields["issue_date"].initial = timezone.localdate()
        self.fields["payment_terms_days"].initial = OrderSettings.current().payment_terms_days
        self.user = user
        add_custom_form_fields(self, model=Invoice)


class InvoiceLineForm(StyledFormMixin, forms.Form):
    """One free-text line; a row left empty is skipped."""

    description = forms.CharField(label=_("Description"), max_length=500, required=False)
    quantity = forms.DecimalField(
        label=_("Quantity"), max_digits=12, decimal_places=3, required=False
    )
    unit_price = forms.DecimalField(
        label=_("Unit price"), max_digits=18, decimal_places=4, required=False
    )
    tax_rate = forms.DecimalField(
        label=_("Tax rate (%)"), max_digits=5, decimal_places=2, required=False
    )
    discount_percent = forms.DecimalField(
        label=_("Discount (%)"), max_digits=5, decimal_places=2, required=False
    )


InvoiceLineFormSet = forms.formset_factory(InvoiceLineForm, extra=5, max_num=50)
