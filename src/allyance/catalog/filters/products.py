"""List filters for the catalog, shared by the web pages and the API."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from allyance.catalog.models import (
    ConfigurationRule,
    Product,
    ProductFamily,
    ProductOption,
    TaxClass,
)
from allyance.catalog.selectors.products import family_subtree_ids
from allyance.core.filters import GatedFilterSet


class ProductFilter(GatedFilterSet):
    family = django_filters.ModelChoiceFilter(
        queryset=ProductFamily.objects.all(),
        label=_("Family (with its sub-families)"),
        method="filter_family",
    )
    kind = django_filters.ChoiceFilter(choices=Product.Kind.choices, label=_("Kind"))
    active = django_filters.BooleanFilter(label=_("Active"))
    tax_class = django_filters.ModelChoiceFilter(
        queryset=TaxClass.objects.all(), label=_("Tax class")
    )
    tag = django_filters.CharFilter(field_name="tags__name", label=_("Tag"), distinct=True)

    class Meta:
        model = Product
        fields = ["family", "kind", "active", "tax_class"]

    def filter_family(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(family_id__in=family_subtree_ids([value.pk]))


class FamilyFilter(django_filters.FilterSet):
    parent = django_filters.ModelChoiceFilter(
        queryset=ProductFamily.objects.all(), label=_("Parent family")
    )
    root = django_filters.BooleanFilter(
        field_name="parent", lookup_expr="isnull", label=_("Top-level families only")
    )

    class Meta:
        model = ProductFamily
        fields = ["parent"]


class TaxClassFilter(django_filters.FilterSet):
    class Meta:
        model = TaxClass
        fields = ["name"]


class OptionFilter(django_filters.FilterSet):
    product = django_filters.NumberFilter(
        field_name="product", label=_("Product (id)"), min_value=1, max_value=2**63 - 1
    )

    class Meta:
        model = ProductOption
        fields = ["product", "required", "multiple"]


class RuleFilter(django_filters.FilterSet):
    product = django_filters.NumberFilter(
        field_name="product", label=_("Applies to product (id)"), min_value=1, max_value=2**63 - 1
    )
    kind = django_filters.ChoiceFilter(choices=ConfigurationRule.Kind.choices, label=_("Rule"))
    active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = ConfigurationRule
        fields = ["product", "kind", "active"]
