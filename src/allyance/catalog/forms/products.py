"""Forms for the catalog: products, families, tax classes, bundle components, options, rules."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from allyance.catalog.models import (
    BundleComponent,
    ConfigurationRule,
    OptionValue,
    Product,
    ProductFamily,
    ProductOption,
    TaxClass,
)
from allyance.catalog.selectors.products import family_path_text, tree_of
from allyance.catalog.services.products import product_image_validate
from allyance.catalog.services.rules import rule_validate
from allyance.core.forms import StyledFormMixin, VersionedModelForm


class FamilyChoiceField(forms.ModelChoiceField):
    """A family shown with its path (Storage / Disk arrays), so same-named ones differ."""

    def label_from_instance(self, obj) -> str:
        return family_path_text(obj)


class ProductForm(VersionedModelForm):
    family = FamilyChoiceField(
        queryset=ProductFamily.objects.select_related("parent"), required=False, label=_("Family")
    )

    class Meta:
        model = Product
        fields = [
            "sku",
            "name",
            "kind",
            "family",
            "unit",
            "tax_class",
            "warranty_months",
            "active",
            "image",
            "tags",
            "description",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "image": forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        }
        help_texts = {
            "image": _("JPEG, PNG or WebP, at most 5 MB."),
            "active": _("Inactive products leave the catalog but stay on existing records."),
        }

    def clean_image(self):
        image = self.cleaned_data.get("image")
        if isinstance(image, UploadedFile):
            try:
                product_image_validate(image)
            except ValidationError as exc:
                raise ValidationError(exc.message_dict.get("image", exc.messages)) from exc
        return image


class FamilyForm(StyledFormMixin, forms.ModelForm):
    parent = FamilyChoiceField(
        queryset=ProductFamily.objects.select_related("parent"),
        required=False,
        label=_("Parent family"),
        help_text=_("Empty: a top-level family."),
    )

    class Meta:
        model = ProductFamily
        fields = ["name", "parent", "description"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Parents listed as the tree reads, each with its path.
        self.fields["parent"].choices = [("", "---------")] + [
            (family.pk, "\u2003" * depth + family.name)
            for family, depth in tree_of(ProductFamily.objects.all())
        ]


class TaxClassForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = TaxClass
        fields = ["name", "rate", "description"]


class BundleComponentForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = BundleComponent
        fields = ["component", "quantity", "optional", "order"]

    def __init__(self, *args, bundle: Product, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.bundle = bundle
        self.fields["component"].queryset = Product.objects.exclude(pk=bundle.pk).order_by("name")


class OptionForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = ProductOption
        fields = ["name", "code", "required", "multiple", "order"]


class OptionValueForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = OptionValue
        fields = ["name", "code", "price_effect_kind", "price_effect", "is_default", "order"]


OptionValueFormSet = forms.inlineformset_factory(
    ProductOption,
    OptionValue,
    form=OptionValueForm,
    extra=3,
    can_delete=True,
)


class ProductSideField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return str(obj)


class OptionValueChoiceField(forms.ModelChoiceField):
    """An option value shown with its product and option: “Disk array — Capacity: 4 TB”."""

    def label_from_instance(self, obj) -> str:
        return f"{obj.option.product.name} — {obj.option.name}: {obj.name}"


class RuleForm(StyledFormMixin, forms.ModelForm):
    product = ProductSideField(
        queryset=Product.objects.order_by("name"),
        required=False,
        label=_("Applies to product"),
        help_text=_("Empty: the rule applies wherever its subject is chosen."),
    )
    if_value = OptionValueChoiceField(
        queryset=OptionValue.objects.select_related("option__product").order_by(
            "option__product__name", "option__order", "order"
        ),
        required=False,
        label=_("If option value"),
    )
    if_product = ProductSideField(
        queryset=Product.objects.order_by("name"), required=False, label=_("or if product")
    )
    then_value = OptionValueChoiceField(
        queryset=OptionValue.objects.select_related("option__product").order_by(
            "option__product__name", "option__order", "order"
        ),
        required=False,
        label=_("Then option value"),
    )
    then_product = ProductSideField(
        queryset=Product.objects.order_by("name"), required=False, label=_("or then product")
    )

    class Meta:
        model = ConfigurationRule
        fields = [
            "product",
            "if_value",
            "if_product",
            "kind",
            "then_value",
            "then_product",
            "message",
            "active",
        ]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        probe = ConfigurationRule(
            kind=cleaned.get("kind") or "",
            product=cleaned.get("product"),
            if_value=cleaned.get("if_value"),
            if_product=cleaned.get("if_product"),
            then_value=cleaned.get("then_value"),
            then_product=cleaned.get("then_product"),
        )
        try:
            rule_validate(probe)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                self.add_error(name, messages)
        return cleaned
