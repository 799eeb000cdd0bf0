"""What the API shows of a line of any priced document (quote, order, invoice)."""

LINE_ITEM_FIELDS = [
    "position",
    "product",
    "description",
    "quantity",
    "unit",
    "list_price",
    "unit_price",
    "discount_percent",
    "tax_rate",
    "configuration",
    "adjustments",
    "subtotal",
    "discount_amount",
    "tax_amount",
    "total",
]
