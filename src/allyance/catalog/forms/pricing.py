"""Forms for price lists: the list, a price with its volume breaks, an import, the configurator."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from allyance.catalog.models import PriceList, PriceListItem, Product
from allyance.core.forms import StyledFormMixin, VersionedModelForm
from allyance.core.imports.reading import ENCODING_CHOICES
from allyance.core.models import Organisation

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PriceListForm(VersionedModelForm):
    """A list's currency, dates and discount, and who buys at it."""

    class Meta:
        model = PriceList
        fields = [
            "name",
            "currency",
            "valid_from",
            "valid_until",
            "discount_percent",
            "is_default",
            "active",
            "description",
            "accounts",
            "partners",
        ]
        widgets = {
            "valid_from": DATE_WIDGET,
            "valid_until": DATE_WIDGET,
            "description": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "is_default": gettext_lazy(
                "Used for accounts without a list of their own; replaces the currency's "
                "current default."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partners"].queryset = self.fields["partners"].queryset.filter(
            kind=Organisation.Kind.PARTNER
        )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("valid_from"), cleaned.get("valid_until")
        if start and end and end < start:
            self.add_error("valid_until", _("The list cannot end before it starts."))
        return cleaned


_BREAK_LINE = re.compile(r"^\s*([0-9.,]+)\s*(?:=|:|;|,|\t|\s)\s*([0-9.,]+)\s*$")


def parse_breaks(text: str) -> list[tuple[Decimal, Decimal]]:
    """`10 = 900` per line → [(10, 900)]; raises ValidationError naming the bad line."""
    pairs = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        match = _BREAK_LINE.match(line.replace("，", ",").replace("＝", "="))
        try:
            if match is None:
                raise InvalidOperation
            quantity = Decimal(match.group(1).replace(",", ""))
            price = Decimal(match.group(2).replace(",", ""))
        except InvalidOperation:
            raise forms.ValidationError(
                _("Line %(line)d: write the from quantity and the price, e.g. 10 = 900.")
                % {"line": number}
            ) from None
        if quantity <= 0:
            raise forms.ValidationError(
                _("Line %(line)d: a volume break starts at a quantity above 0.") % {"line": number}
            )
        if quantity.as_tuple().exponent < -3 or price.as_tuple().exponent < -4:
            raise forms.ValidationError(
                _("Line %(line)d: too many decimal places.") % {"line": number}
            )
        if quantity >= Decimal("1e9") or price >= Decimal("1e14"):
            raise forms.ValidationError(_("Line %(line)d: too large.") % {"line": number})
        pairs.append((quantity, price))
    return pairs


def format_breaks(item: PriceListItem | None) -> str:
    if item is None or item.pk is None:
        return ""
    return "\n".join(
        f"{format(b.min_quantity.normalize(), 'f')} = {b.price}" for b in item.breaks.all()
    )


class PriceListItemForm(StyledFormMixin, forms.ModelForm):
    """A product's price on the list, and its volume breaks one per line."""

    breaks = forms.CharField(
        label=gettext_lazy("Volume breaks"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "10 = 900\n50 = 800"}),
        help_text=gettext_lazy(
            "One per line: from this quantity on, this unit price (e.g. 10 = 900)."
        ),
    )

    class Meta:
        model = PriceListItem
        fields = ["product", "price"]

    def __init__(self, *args, products=None, **kwargs):
        super().__init__(*args, **kwargs)
        if products is not None:
            self.fields["product"].queryset = products
        if self.instance.pk:
            self.fields["breaks"].initial = format_breaks(self.instance)

    def clean_breaks(self):
        return parse_breaks(self.cleaned_data.get("breaks", ""))

    def validate_unique(self):
        """The service says when the product already has a price on the list."""


class PriceListImportForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            "CSV or Excel (.xlsx): SKU, price, and optionally from quantity and volume price."
        ),
    )
    encoding = forms.ChoiceField(
        label=gettext_lazy("Encoding (CSV)"), choices=ENCODING_CHOICES, required=False
    )


class ConfiguratorForm(StyledFormMixin, forms.Form):
    """A price list, a product, one control per option of the product, and a quantity."""

    price_list = forms.ModelChoiceField(
        label=gettext_lazy("Price list"), queryset=PriceList.objects.none()
    )
    product = forms.ModelChoiceField(label=gettext_lazy("Product"), queryset=Product.objects.none())
    quantity = forms.DecimalField(
        label=gettext_lazy("Quantity"),
        max_digits=12,
        decimal_places=3,
        min_value=Decimal("0.001"),
        initial=Decimal("1"),
    )

    def __init__(self, data=None, *, price_lists, products, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["price_list"].queryset = price_lists
        self.fields["product"].queryset = products
        self.option_fields: list[str] = []
        self.product_id: int | None = None
        product = self._chosen_product(products)
        if product is None:
            return
        self.product_id = product.pk
        # A product just chosen (or first shown) starts from its options' default values.
        fresh = self.is_bound and (self.data.get("options_for") or "") != str(product.pk)
        if fresh:
            self.data = self.data.copy()
        for option in product.options.prefetch_related("values").order_by("order", "id"):
            choices = [(str(value.pk), value.name) for value in option.values.all()]
            name = f"option_{option.pk}"
            defaults = [str(value.pk) for value in option.values.all() if value.is_default]
            if option.multiple:
                field = forms.MultipleChoiceField(
                    choices=choices, required=False, widget=forms.CheckboxSelectMultiple
                )
                field.initial = defaults
            else:
                if not option.required:
                    choices = [("", _("None")), *choices]
                field = forms.ChoiceField(choices=choices, required=False, widget=forms.RadioSelect)
                field.initial = defaults[0] if defaults else ""
            if fresh:
                if option.multiple:
                    self.data.setlist(name, defaults)
                else:
                    self.data[name] = defaults[0] if defaults else ""
            field.label = option.name
            field.option = option
            field.widget.attrs["class"] = "form-check-input"
            self.fields[name] = field
            self.option_fields.append(name)

    def _chosen_product(self, products):
        raw = (self.data or {}).get("product") or self.initial.get("product")
        if hasattr(raw, "pk"):
            return raw
        if not str(raw or "").isdigit():
            return None
        return products.filter(pk=raw).first()

    def option_value_ids(self) -> list[int]:
        ids: list[int] = []
        for name in self.option_fields:
            value = self.cleaned_data.get(name)
            for item in value if isinstance(value, list) else [value]:
                if item:
                    ids.append(int(item))
        return ids

    def options(self):
        return [self[name] for name in self.option_fields]
