"""Catalog records: products, options and rules, price lists.

One module per part; import models from here (`from allyance.catalog.models import Product`).
"""

from allyance.catalog.models.pricing import PriceList, PriceListItem, VolumeBreak
from allyance.catalog.models.products import (
    BundleComponent,
    ConfigurationRule,
    OptionValue,
    Product,
    ProductFamily,
    ProductOption,
    TaxClass,
)

__all__ = [
    "BundleComponent",
    "ConfigurationRule",
    "OptionValue",
    "PriceList",
    "PriceListItem",
    "Product",
    "ProductFamily",
    "ProductOption",
    "TaxClass",
    "VolumeBreak",
]
