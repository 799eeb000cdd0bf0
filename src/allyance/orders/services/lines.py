"""Lines of quotes and orders (and invoices): added through the configurator, priced exactly.

One way to put a line on any priced document, used by the quote and order services, their
pages and the API. The document's own service decides *whether* its lines may change
(a sent quote's may not); these functions only build and price.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from allyance.catalog.models import Product
from allyance.catalog.services.configurator import configure_line
from allyance.orders.services.totals import price_document


def lines_of(document) -> list:
    return list(document.lines.order_by("position", "id"))


def recalculate(document) -> None:
    """Reprice every line and store the document's totals."""
    lines = price_document(document, lines_of(document))
    if lines:
        document.lines.model.objects.bulk_update(
            lines, ["subtotal", "discount_amount", "tax_amount", "total"]
        )
    type(document).objects.filter(pk=document.pk).update(
        subtotal=document.subtotal,
        discount_total=document.discount_total,
        tax_total=document.tax_total,
        total=document.total,
    )


def _next_position(document) -> int:
    last = document.lines.order_by("-position").values_list("position", flat=True).first()
    return (last or 0) + 1


@transaction.atomic
def line_add(
    document,
    *,
    quantity: Decimal,
    product: Product | None = None,
    option_value_ids: list[int] | tuple[int, ...] = (),
    discount_percent: Decimal = Decimal("0"),
    description: str = "",
    unit_price: Decimal | None = None,
    tax_rate: Decimal | None = None,
):
    """Add a line: a product configured and priced on the document's price list, or free text.

    A product line takes its price from the configurator (which refuses a configuration that
    breaks a rule); a free-text line needs a description and a unit price.
    """
    quantity = Decimal(quantity)
    discount_percent = Decimal(discount_percent or 0)
    if not Decimal("0") <= discount_percent <= Decimal("100"):
        raise ValidationError({"discount_percent": _("A discount is between 0 and 100 %.")})
    line = document.lines.model(position=_next_position(document), quantity=quantity)
    setattr(line, document.lines.field.name, document)
    line.discount_percent = discount_percent
    if product is not None:
        price_list = getattr(document, "price_list", None)
        if price_list is None:
            raise ValidationError({"price_list": _("Choose a price list first.")})
        configured = configure_line(
            product,
            price_list=price_list,
            quantity=quantity,
            option_value_ids=option_value_ids,
        )
        if configured.currency != document.currency:
            raise ValidationError(
                {"price_list": _("The price list is in another currency than this document.")}
            )
        line.product = product
        line.description = description or configured.description
        line.unit = configured.unit
        line.list_price = configured.list_price
        line.unit_price = configured.unit_price
        line.tax_rate = configured.tax_rate if tax_rate is None else Decimal(tax_rate)
        line.configuration = configured.configuration
        line.adjustments = [
            {"label": str(step.label), "amount": str(step.amount)}
            for step in configured.adjustments
        ]
    else:
        if not description.strip():
            raise ValidationError({"description": _("Describe a line without a product.")})
        if unit_price is None:
            raise ValidationError({"unit_price": _("Give a line without a product its price.")})
        line.description = description.strip()
        line.list_price = line.unit_price = Decimal(unit_price)
        line.tax_rate = Decimal(tax_rate or 0)
    line.full_clean(exclude=[document.lines.field.name])
    line.save()
    recalculate(document)
    return line


@transaction.atomic
def line_remove(document, line) -> None:
    line.delete()
    recalculate(document)


def copy_lines(source, target) -> list:
    """Copy every line of `source` onto `target` (a quote's revision, an order from a quote)."""
    copied = []
    for line in lines_of(source):
        fields = {
            f.name: getattr(line, f.name)
            for f in line._meta.concrete_fields
            if not f.primary_key and f.name != source.lines.field.name
        }
        copied.append(target.lines.model(**fields, **{target.lines.field.name: target}))
    if copied:
        target.lines.model.objects.bulk_create(copied)
    recalculate(target)
    return copied
