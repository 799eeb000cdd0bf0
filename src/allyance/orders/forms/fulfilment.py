"""Forms for orders: the header, a line, a shipment with quantities per line, the transitions."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from allyance.catalog.models import OptionValue, Product
from allyance.core.forms import StyledFormMixin, VersionedModelForm
from allyance.core.visibility import visible_to
from allyance.orders.models import Order

DATE = {"type": "date"}


class OrderForm(VersionedModelForm):
    """An order's header; lines are added on the order's page, the status moves there too."""

    class Meta:
        model = Order
        fields = [
            "account",
            "contact",
            "opportunity",
            "price_list",
            "currency",
            "discount_percent",
            "order_date",
            "requested_delivery",
            "customer_reference",
            "shipping_address",
            "terms",
            "notes",
        ]
        widgets = {
            "order_date": forms.DateInput(attrs=DATE, format="%Y-%m-%d"),
            "requested_delivery": forms.DateInput(attrs=DATE, format="%Y-%m-%d"),
            "shipping_address": forms.Textarea(attrs={"rows": 3}),
            "terms": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "price_list": _("Left empty: the account's price list, or the default one."),
            "currency": _("A price list sets the currency."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].required = True
        self.fields["order_date"].required = False
        if self.instance.pk and self.instance.status != Order.Status.CONFIRMED:
            for name in ("account", "price_list", "currency", "discount_percent"):
                self.fields[name].disabled = True


class OrderLineForm(StyledFormMixin, forms.Form):
    """A product with its options, or a free-text line with its own price."""

    product = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.filter(active=True), required=False
    )
    options = forms.ModelMultipleChoiceField(
        label=_("Options"),
        queryset=OptionValue.objects.none(),
        required=False,
        help_text=_("Only the options of the chosen product count."),
    )
    quantity = forms.DecimalField(
        label=_("Quantity"), min_value=Decimal("0.001"), max_digits=12, decimal_places=3
    )
    discount_percent = forms.DecimalField(
        label=_("Discount (%)"),
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        max_digits=5,
        decimal_places=2,
        required=False,
    )
    description = forms.CharField(label=_("Description"), max_length=500, required=False)
    unit_price = forms.DecimalField(
        label=_("Unit price"),
        min_value=Decimal("0"),
        max_digits=18,
        decimal_places=4,
        required=False,
        help_text=_("For a line without a product."),
    )
    tax_rate = forms.DecimalField(
        label=_("Tax rate (%)"),
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        max_digits=5,
        decimal_places=2,
        required=False,
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        products = visible_to(user, Product.objects.filter(active=True)).order_by("name")
        self.fields["product"].queryset = products
        self.fields["options"].queryset = (
            OptionValue.objects.filter(option__product__in=products.values("pk"))
            .select_related("option__product")
            .order_by("option__product__name", "option__order", "order", "pk")
        )
        self.fields["options"].label_from_instance = lambda value: (
            f"{value.option.product.name} · {value}"
        )

    def clean(self):
        cleaned = super().clean()
        product = cleaned.get("product")
        if product is None and not self.errors:
            if not (cleaned.get("description") or "").strip():
                self.add_error("description", _("Choose a product, or describe the line."))
            if cleaned.get("unit_price") is None:
                self.add_error("unit_price", _("Give a line without a product its price."))
        if product is not None:
            foreign = [v for v in cleaned.get("options") or [] if v.option.product_id != product.pk]
            if foreign:
                self.add_error("options", _("Choose only options of the chosen product."))
        return cleaned

    def line_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "product": data["product"],
            "option_value_ids": [value.pk for value in data.get("options") or []],
            "quantity": data["quantity"],
            "discount_percent": data.get("discount_percent") or Decimal("0"),
            "description": (data.get("description") or "").strip(),
            "unit_price": data.get("unit_price"),
            "tax_rate": data.get("tax_rate"),
        }


class OrderCancelForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=255)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class OrderActionForm(StyledFormMixin, forms.Form):
    """Mark delivered or close; the version catches a page opened before someone else acted."""

    action = forms.ChoiceField(
        choices=[("deliver", _("Mark delivered")), ("close", _("Close"))],
        widget=forms.HiddenInput,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ShipmentForm(StyledFormMixin, forms.Form):
    """A shipment: date, carrier, tracking number and a quantity per line (the remaining first)."""

    shipped_on = forms.DateField(label=_("Shipped on"), widget=forms.DateInput(attrs=DATE))
    carrier = forms.CharField(label=_("Carrier"), max_length=120, required=False)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=120, required=False)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, lines=(), remaining=None, **kwargs):
        super().__init__(*args, **kwargs)
        remaining = remaining or {}
        self.line_fields = []
        for line in lines:
            name = f"line_{line.pk}"
            self.fields[name] = forms.DecimalField(
                label=str(line),
                min_value=Decimal("0"),
                max_digits=12,
                decimal_places=3,
                required=False,
                initial=remaining.get(line.pk, Decimal("0")).normalize(),
                widget=forms.NumberInput(attrs={"class": "form-control", "step": "any"}),
            )
            self.line_fields.append((line, name, remaining.get(line.pk, Decimal("0"))))

    def quantities(self) -> dict[int, Decimal]:
        return {
            line.pk: self.cleaned_data.get(name) or Decimal("0")
            for line, name, _remaining in self.line_fields
        }

    def line_rows(self):
        """(line, bound field, remaining) for the template."""
        return [(line, self[name], remaining) for line, name, remaining in self.line_fields]


class ShipmentDeliveredForm(StyledFormMixin, forms.Form):
    delivered_on = forms.DateField(
        label=_("Delivered on"), widget=forms.DateInput(attrs=DATE), required=False
    )
