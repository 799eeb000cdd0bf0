"""Web pages of the catalog app; each part adds its own paths."""

from django.urls import path  # noqa: F401

app_name = "catalog"

urlpatterns: list = []

from allyance.catalog.views import families as family_views  # noqa: E402
from allyance.catalog.views import products as product_views  # noqa: E402
from allyance.catalog.views import rules as rule_views  # noqa: E402

urlpatterns += [
    path("catalog/products/", product_views.product_list, name="product-list"),
    path("catalog/products/new/", product_views.product_create, name="product-create"),
    path("catalog/products/<int:pk>/", product_views.product_detail, name="product-detail"),
    path("catalog/products/<int:pk>/edit/", product_views.product_edit, name="product-edit"),
    path("catalog/products/<int:pk>/delete/", product_views.product_delete, name="product-delete"),
    path(
        "catalog/products/<int:pk>/active/",
        product_views.product_activate,
        name="product-activate",
    ),
    path("catalog/products/<int:pk>/image/", product_views.product_image, name="product-image"),
    path(
        "catalog/products/<int:pk>/components/new/",
        product_views.component_add,
        name="product-component-add",
    ),
    path(
        "catalog/products/<int:pk>/components/<int:component_pk>/",
        product_views.component_edit,
        name="product-component-edit",
    ),
    path(
        "catalog/products/<int:pk>/components/<int:component_pk>/delete/",
        product_views.component_delete,
        name="product-component-delete",
    ),
    path(
        "catalog/products/<int:pk>/options/new/",
        product_views.option_add,
        name="product-option-add",
    ),
    path(
        "catalog/products/<int:pk>/options/<int:option_pk>/",
        product_views.option_edit,
        name="product-option-edit",
    ),
    path(
        "catalog/products/<int:pk>/options/<int:option_pk>/delete/",
        product_views.option_delete,
        name="product-option-delete",
    ),
    path("catalog/families/", family_views.family_list, name="family-list"),
    path("catalog/families/new/", family_views.family_create, name="family-create"),
    path("catalog/families/<int:pk>/", family_views.family_edit, name="family-edit"),
    path("catalog/families/<int:pk>/delete/", family_views.family_delete, name="family-delete"),
    path("catalog/tax-classes/", family_views.tax_class_list, name="tax-class-list"),
    path("catalog/tax-classes/new/", family_views.tax_class_create, name="tax-class-create"),
    path("catalog/tax-classes/<int:pk>/", family_views.tax_class_edit, name="tax-class-edit"),
    path(
        "catalog/tax-classes/<int:pk>/delete/",
        family_views.tax_class_delete,
        name="tax-class-delete",
    ),
    path("catalog/rules/", rule_views.rule_list, name="rule-list"),
    path("catalog/rules/new/", rule_views.rule_create, name="rule-create"),
    path("catalog/rules/<int:pk>/", rule_views.rule_edit, name="rule-edit"),
    path("catalog/rules/<int:pk>/delete/", rule_views.rule_delete, name="rule-delete"),
]

from allyance.catalog.views import configurator as configurator_views  # noqa: E402
from allyance.catalog.views import pricing as pricing_views  # noqa: E402

urlpatterns += [
    path("catalog/price-lists/", pricing_views.price_list_list, name="price-list-list"),
    path("catalog/price-lists/new/", pricing_views.price_list_create, name="price-list-create"),
    path(
        "catalog/price-lists/<int:pk>/", pricing_views.price_list_detail, name="price-list-detail"
    ),
    path(
        "catalog/price-lists/<int:pk>/edit/", pricing_views.price_list_edit, name="price-list-edit"
    ),
    path(
        "catalog/price-lists/<int:pk>/delete/",
        pricing_views.price_list_delete,
        name="price-list-delete",
    ),
    path(
        "catalog/price-lists/<int:pk>/prices/new/",
        pricing_views.price_list_item_add,
        name="price-list-item-add",
    ),
    path(
        "catalog/price-lists/<int:pk>/prices/<int:item_pk>/",
        pricing_views.price_list_item_edit,
        name="price-list-item-edit",
    ),
    path(
        "catalog/price-lists/<int:pk>/prices/<int:item_pk>/delete/",
        pricing_views.price_list_item_delete,
        name="price-list-item-delete",
    ),
    path(
        "catalog/price-lists/<int:pk>/import/",
        pricing_views.price_list_import,
        name="price-list-import",
    ),
    path(
        "catalog/price-lists/<int:pk>/export/",
        pricing_views.price_list_export,
        name="price-list-export",
    ),
    path("catalog/configure/", configurator_views.configurator, name="configurator"),
]
