"""The configurator: a product + option values + quantity on a price list → an explained price.

Quotes, orders, the configurator page and the API all price lines through `configure_line`,
so a price is computed one way everywhere.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from allyance.catalog.models import PriceList, Product


@dataclass
class Adjustment:
    """One explained step from the list price to the unit price (per unit, signed)."""

    label: str  # e.g. "Capacity: 2 TB", "Volume break from 10", "List discount 5 %"
    amount: Decimal


@dataclass
class ConfiguredLine:
    """A priced, validated configuration; quote and order lines copy these fields."""

    product: Product
    quantity: Decimal
    description: str
    unit: str
    list_price: Decimal  # the list's price for the product before any adjustment
    unit_price: Decimal  # after options, volume breaks and the list discount
    tax_rate: Decimal
    currency: str
    adjustments: list[Adjustment] = field(default_factory=list)
    configuration: dict = field(default_factory=dict)  # {"options": [value ids], ...}


def configure_line(
    product: Product,
    *,
    price_list: PriceList,
    quantity: Decimal,
    option_value_ids: list[int] | tuple[int, ...] = (),
    on: datetime.date | None = None,
) -> ConfiguredLine:
    """Validate the configuration against the rules and price it on `price_list`.

    Raises `ValidationError` naming the rule a configuration breaks, or why the product
    cannot be priced (no price on the list, list not valid on `on`, inactive product).
    """
    raise NotImplementedError("built by the configurator part")
