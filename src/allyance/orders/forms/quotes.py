"""Forms for quotes: the header (new and edit), a line, and the status actions."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from allyance.catalog.models import Product
from allyance.core.forms import StyledFormMixin, VersionedModelForm
from allyance.core.visibility import visible_to
from allyance.orders.models import Quote

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class QuoteCreateForm(VersionedModelForm):
    """A new quote: the account (or the opportunity it comes from) and what it offers."""

    class Meta:
        model = Quote
        fields = [
            "account",
            "opportunity",
            "contact",
            "title",
            "price_list",
            "currency",
            "discount_percent",
            "valid_until",
            "terms",
            "notes",
        ]
        widgets = {
            "valid_until": _DATE,
            "terms": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "price_list": _("Leave empty to use the account's price list in the currency."),
            "currency": _("Taken from the opportunity or the price list when empty."),
            "valid_until": _("Leave empty for the usual validity."),
            "terms": _("Leave empty for the default terms."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].required = True
        self.fields["price_list"].required = False
        self.fields["currency"].required = False
        codes = [choice for choice in self.fields["currency"].choices if choice[0]]
        self.fields["currency"].choices = [("", "—"), *codes]
        if not self.is_bound:
            self.initial.setdefault("currency", "")
        self.fields["discount_percent"].required = False


class QuoteEditForm(VersionedModelForm):
    """The header of a quote that may still change; the account and price list stay."""

    class Meta:
        model = Quote
        fields = [
            "title",
            "contact",
            "opportunity",
            "discount_percent",
            "valid_until",
            "terms",
            "notes",
        ]
        widgets = {
            "valid_until": _DATE,
            "terms": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }


class QuoteLineForm(StyledFormMixin, forms.Form):
    """A product line (the chosen product's options appear once it is chosen) or free text."""

    product = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.none(), required=False
    )
    quantity = forms.DecimalField(
        label=_("Quantity"),
        min_value=Decimal("0.001"),
        max_digits=12,
        decimal_places=3,
        initial=Decimal("1"),
    )
    discount_percent = forms.DecimalField(
        label=_("Discount (%)"),
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        max_digits=5,
        decimal_places=2,
        initial=Decimal("0"),
        required=False,
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=500,
        required=False,
        help_text=_("Required for a line without a product."),
    )
    unit_price = forms.DecimalField(
        label=_("Unit price"),
        max_digits=18,
        decimal_places=4,
        min_value=Decimal("0"),
        required=False,
        help_text=_("Only for a line without a product."),
    )
    tax_rate = forms.DecimalField(
        label=_("Tax rate (%)"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        required=False,
        help_text=_("Only for a line without a product; a product's tax class decides."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user=None, product=None, **kwargs):
        super().__init__(*args, **kwargs)
        products = Product.objects.filter(active=True).order_by("name", "id")
        self.fields["product"].queryset = (
            visible_to(user, products) if user is not None else products
        )
        self.fields["product"].widget.attrs["data-quote-product"] = "1"
        self.option_fields: list[str] = []
        if product is not None:
            self.initial.setdefault("product", product.pk)
            for option in product.options.prefetch_related("values").order_by("order", "id"):
                name = f"option_{option.pk}"
                choices = [(value.pk, value.name) for value in option.values.all()]
                defaults = [value.pk for value in option.values.all() if value.is_default]
                if option.multiple:
                    field = forms.TypedMultipleChoiceField(
                        label=option.name,
                        choices=choices,
                        coerce=int,
                        required=False,
                        widget=forms.CheckboxSelectMultiple,
                    )
                    field.initial = defaults
                else:
                    field = forms.TypedChoiceField(
                        label=option.name,
                        choices=[("", "—"), *choices],
                        coerce=int,
                        empty_value=None,
                        required=False,
                    )
                    field.initial = defaults[0] if defaults else None
                field.widget.attrs["class"] = (
                    "form-check-input" if option.multiple else "form-select"
                )
                self.fields[name] = field
                self.option_fields.append(name)

    def option_value_ids(self) -> list[int]:
        ids: list[int] = []
        for name in self.option_fields:
            value = self.cleaned_data.get(name)
            if isinstance(value, list):
                ids.extend(value)
            elif value:
                ids.append(value)
        return ids

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("product") and not self.errors:
            if not (cleaned.get("description") or "").strip():
                self.add_error("description", _("Describe a line without a product."))
            if cleaned.get("unit_price") is None:
                self.add_error("unit_price", _("Give a line without a product its price."))
        return cleaned


class QuoteLineEditForm(StyledFormMixin, forms.Form):
    quantity = forms.DecimalField(
        label=_("Quantity"), min_value=Decimal("0.001"), max_digits=12, decimal_places=3
    )
    discount_percent = forms.DecimalField(
        label=_("Discount (%)"),
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        max_digits=5,
        decimal_places=2,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class QuoteActionForm(StyledFormMixin, forms.Form):
    """One of the status actions of the quote page, with its comment or reason."""

    action = forms.ChoiceField(
        choices=[
            ("request_approval", _("Request approval")),
            ("approve", _("Approve")),
            ("decline_approval", _("Decline")),
            ("mark_sent", _("Mark as sent")),
            ("accept", _("Accept")),
            ("reject", _("Reject")),
            ("revise", _("Revise")),
        ],
        widget=forms.HiddenInput,
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=255)
    mark_won = forms.BooleanField(label=_("Also mark the opportunity won"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
