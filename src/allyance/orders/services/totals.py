"""Line and document totals, exact to the currency's minor unit.

Per line: subtotal = quantity × unit price; the line discount and the line's share of the
document's overall discount come off it; tax is charged on what is left. Every part is
rounded on the line, and the document's totals are the sums of the lines' parts, so
`subtotal − discount + tax = total` holds to the cent on every line and on the document.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from allyance.core.money import round_money

HUNDRED = Decimal("100")


def price_line(line, *, currency: str, overall_discount_percent: Decimal = Decimal("0")) -> None:
    """Set the line's subtotal, discount, tax and total from its quantity, price and rates."""
    subtotal = round_money(Decimal(line.quantity) * Decimal(line.unit_price), currency)
    line_discount = round_money(subtotal * Decimal(line.discount_percent) / HUNDRED, currency)
    net = subtotal - line_discount
    overall = round_money(net * Decimal(overall_discount_percent) / HUNDRED, currency)
    taxable = net - overall
    tax = round_money(taxable * Decimal(line.tax_rate) / HUNDRED, currency)
    line.subtotal = subtotal
    line.discount_amount = line_discount + overall
    line.tax_amount = tax
    line.total = taxable + tax


def price_document(document, lines: Iterable) -> list:
    """Price every line and set the document's totals from them; returns the lines.

    The caller saves both (the services do it in one transaction).
    """
    lines = list(lines)
    zero = round_money(0, document.currency)
    document.subtotal = document.discount_total = document.tax_total = document.total = zero
    for line in lines:
        price_line(
            line,
            currency=document.currency,
            overall_discount_percent=document.discount_percent,
        )
        document.subtotal += line.subtotal
        document.discount_total += line.discount_amount
        document.tax_total += line.tax_amount
        document.total += line.total
    return lines
