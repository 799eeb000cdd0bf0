"""REST API for the catalog: products, families, tax classes, options (with their values)
and configuration rules.

Reads follow the gate (partners and customers: active products and what concerns them);
writes are for administrators only and go through the same services as the web pages.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, viewsets

from allyance.catalog.filters.products import (
    FamilyFilter,
    OptionFilter,
    ProductFilter,
    RuleFilter,
    TaxClassFilter,
)
from allyance.catalog.models import (
    BundleComponent,
    ConfigurationRule,
    OptionValue,
    Product,
    ProductFamily,
    ProductOption,
    TaxClass,
)
from allyance.catalog.selectors import products as selectors
from allyance.catalog.services import families as family_services
from allyance.catalog.services import products as services
from allyance.catalog.services import rules as rule_services
from allyance.core.api import BusinessRecordSerializer, GatedModelViewSet, TagsField
from allyance.core.permissions import AdminWritesOnly


class OptionValueSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(required=False)

    class Meta:
        model = OptionValue
        fields = [
            "id",
            "name",
            "code",
            "price_effect_kind",
            "price_effect",
            "is_default",
            "order",
        ]
        # Codes are checked per option by the service, with a clear message.
        validators: list = []


class ProductOptionSerializer(serializers.ModelSerializer):
    """An option with its values; writing `values` replaces them (by `id` to keep one)."""

    values = OptionValueSerializer(many=True, required=False)

    class Meta:
        model = ProductOption
        fields = ["id", "product", "name", "code", "required", "multiple", "order", "values"]
        validators: list = []

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and "product" in fields and hasattr(fields["product"], "queryset"):
            fields["product"].queryset = selectors.products_visible_to(request.user)
        return fields


class BundleComponentSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="component.sku", read_only=True)
    name = serializers.CharField(source="component.name", read_only=True)

    class Meta:
        model = BundleComponent
        fields = ["id", "component", "sku", "name", "quantity", "optional", "order"]
        read_only_fields = fields


class ProductSerializer(BusinessRecordSerializer):
    """A product; options, components and the tax rate are read-only here (options have
    their own endpoint)."""

    tags = TagsField(required=False)
    tax_rate = serializers.DecimalField(
        source="tax_class.rate", max_digits=5, decimal_places=2, read_only=True, allow_null=True
    )
    family_path = serializers.SerializerMethodField()
    image_url = serializers.SerializerMethodField()
    options = ProductOptionSerializer(many=True, read_only=True)
    components = BundleComponentSerializer(many=True, read_only=True)

    class Meta:
        model = Product
        fields = [
            "id",
            "sku",
            "name",
            "kind",
            "family",
            "family_path",
            "unit",
            "tax_class",
            "tax_rate",
            "active",
            "description",
            "warranty_months",
            "image_url",
            "tags",
            "options",
            "components",
            "owner",
            "organisation",
            "custom_fields",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["owner"]
        validators: list = []
        extra_kwargs = {"sku": {"validators": []}}

    def get_family_path(self, product: Product) -> str:
        return selectors.family_path_text(product.family)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_image_url(self, product: Product) -> str | None:
        if not product.image:
            return None
        url = reverse("catalog:product-image", args=[product.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class ProductViewSet(GatedModelViewSet):
    """The catalog's products: read per the gate, written by administrators only."""

    serializer_class = ProductSerializer
    filterset_class = ProductFilter
    permission_classes = [AdminWritesOnly]
    ordering_fields = ["sku", "name", "kind", "created_at", "updated_at"]
    ordering = ["name"]
    selector = staticmethod(selectors.product_detail_queryset)
    save_service = staticmethod(services.product_save)
    service_arg = "product"

    def perform_destroy(self, instance):
        services.product_delete(product=instance, by=self.request.user)


class CatalogViewSet(viewsets.ModelViewSet):
    """Catalog reference data: readable per `selector`, written by administrators through
    `save_record` and `delete_record`."""

    permission_classes = [AdminWritesOnly]
    ordering = ["id"]

    def selector(self, user):
        raise NotImplementedError

    def save_record(self, instance, *, by, data):
        raise NotImplementedError

    def delete_record(self, instance, *, by):
        raise NotImplementedError

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.get_serializer_class().Meta.model.objects.none()
        return self.selector(self.request.user)

    def _save(self, serializer, instance=None):
        data = dict(serializer.validated_data)
        if instance is None:
            instance = serializer.Meta.model()
        serializer.instance = self.save_record(instance, by=self.request.user, data=data)

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    def perform_destroy(self, instance):
        self.delete_record(instance, by=self.request.user)


def _assign(instance, data: dict):
    for name, value in data.items():
        setattr(instance, name, value)
    return instance


class ProductFamilySerializer(serializers.ModelSerializer):
    path = serializers.SerializerMethodField()

    class Meta:
        model = ProductFamily
        fields = ["id", "name", "parent", "description", "path"]
        validators: list = []

    def get_path(self, family: ProductFamily) -> str:
        return selectors.family_path_text(family)


class ProductFamilyViewSet(CatalogViewSet):
    """The product family tree; `path` reads “Storage / Disk arrays”."""

    serializer_class = ProductFamilySerializer
    filterset_class = FamilyFilter
    ordering_fields = ["name", "id"]
    ordering = ["name"]

    def selector(self, user):
        return selectors.families_visible_to(user)

    def save_record(self, instance, *, by, data):
        return family_services.family_save(family=_assign(instance, data), by=by)

    def delete_record(self, instance, *, by):
        family_services.family_delete(family=instance, by=by)


class TaxClassSerializer(serializers.ModelSerializer):
    class Meta:
        model = TaxClass
        fields = ["id", "name", "rate", "description"]
        extra_kwargs = {"name": {"validators": []}}


class TaxClassViewSet(CatalogViewSet):
    serializer_class = TaxClassSerializer
    filterset_class = TaxClassFilter
    ordering_fields = ["name", "rate"]
    ordering = ["name"]

    def selector(self, user):
        return selectors.tax_classes_visible_to(user)

    def save_record(self, instance, *, by, data):
        return family_services.tax_class_save(tax_class=_assign(instance, data), by=by)

    def delete_record(self, instance, *, by):
        family_services.tax_class_delete(tax_class=instance, by=by)


class ProductOptionViewSet(CatalogViewSet):
    """Options of the readable products; an option is written with its values nested."""

    serializer_class = ProductOptionSerializer
    filterset_class = OptionFilter
    ordering_fields = ["product", "order", "code"]
    ordering = ["product", "order"]

    def selector(self, user):
        return selectors.options_visible_to(user)

    def save_record(self, instance, *, by, data):
        values = data.pop("values", None)
        if values is not None:
            values = [dict(value) for value in values]
        return services.option_save(option=_assign(instance, data), values=values, by=by)

    def delete_record(self, instance, *, by):
        services.option_delete(option=instance, by=by)


class ConfigurationRuleSerializer(serializers.ModelSerializer):
    sentence = serializers.SerializerMethodField()

    class Meta:
        model = ConfigurationRule
        fields = [
            "id",
            "product",
            "kind",
            "if_value",
            "if_product",
            "then_value",
            "then_product",
            "message",
            "active",
            "sentence",
        ]
        validators: list = []

    def get_sentence(self, rule: ConfigurationRule) -> str:
        return rule_services.rule_sentence(rule)

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            products = selectors.products_visible_to(request.user)
            values = selectors.option_values_visible_to(request.user)
            for name in ("product", "if_product", "then_product"):
                fields[name].queryset = products
            for name in ("if_value", "then_value"):
                fields[name].queryset = values
        return fields


class ConfigurationRuleViewSet(CatalogViewSet):
    """Rules between option values and products, each also given as a sentence."""

    serializer_class = ConfigurationRuleSerializer
    filterset_class = RuleFilter
    ordering_fields = ["id", "kind"]

    def selector(self, user):
        return selectors.rules_visible_to(user)

    def save_record(self, instance, *, by, data):
        return rule_services.rule_save(rule=_assign(instance, data), by=by)

    def delete_record(self, instance, *, by):
        rule_services.rule_delete(rule=instance, by=by)
