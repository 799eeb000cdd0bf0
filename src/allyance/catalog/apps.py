from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "allyance.catalog"
    label = "catalog"
    verbose_name = _("Catalog")

    def ready(self) -> None:
        # Each part connects its search documents and signals in its own method.
        self._ready_products()

    def _ready_products(self) -> None:
        from allyance.catalog.models import Product, ProductFamily
        from allyance.catalog.selectors.products import (
            product_search_document,
            products_visible_to,
        )
        from allyance.core import search

        search.register(
            Product,
            document=product_search_document,
            select_related=("family",),
            follows={ProductFamily: "family"},
            selector=products_visible_to,
            group="products",
        )
