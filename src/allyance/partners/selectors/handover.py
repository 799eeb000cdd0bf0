"""Reads of orders handed down the channel: the hops through the gate, with each order's
progress read along the hop.

A hop row is visible to the partner it was handed to and to the partner that handed it down
(the gate's `visibility_partner_paths`), and to staff by their scope. The order's number,
status and shipping progress come with the row, so a distributor follows an order it passed
to a reseller without being able to open the reseller's records.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import DecimalField, Exists, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from allyance.core.visibility import visible_to
from allyance.orders.models import Order, OrderLine, Shipment, ShipmentLine
from allyance.partners.models import OrderHandover

QUANTITY = DecimalField(max_digits=14, decimal_places=3)


def _total(queryset, group: str) -> Coalesce:
    """The sum of `quantity` over `queryset` (rows of one order, grouped by `group`)."""
    return Coalesce(
        Subquery(
            queryset.order_by().values(group).annotate(total=Sum("quantity")).values("total")[:1],
            output_field=QUANTITY,
        ),
        Value(Decimal("0"), output_field=QUANTITY),
    )


def handovers_visible_to(user, queryset: QuerySet[OrderHandover] | None = None):
    """The hops the user may see, each with its order's ordered and shipped quantities and
    whether anything was shipped since the hop began (then it no longer goes back)."""
    if queryset is None:
        queryset = OrderHandover.objects.all()
    ordered = OrderLine.objects.filter(order_id=OuterRef("order_id"))
    shipped = ShipmentLine.objects.filter(shipment__order_id=OuterRef("order_id"))
    return (
        visible_to(user, queryset)
        .select_related(
            "order", "organisation", "from_organisation", "owner", "ended_by", "previous_owner"
        )
        .annotate(
            ordered_quantity=_total(ordered, "order_id"),
            shipped_quantity=_total(shipped, "shipment__order_id"),
            shipped_since_handed=Exists(
                Shipment.objects.filter(
                    order_id=OuterRef("order_id"), created_at__gte=OuterRef("handed_at")
                )
            ),
        )
    )


def order_hops_visible_to(user, order: Order) -> QuerySet[OrderHandover]:
    """Every hop of one order the user may see, first hop first."""
    return handovers_visible_to(user, OrderHandover.objects.filter(order=order)).order_by(
        "hop", "handed_at", "pk"
    )


def shipping_progress(handover: OrderHandover) -> Decimal | None:
    """Share of the ordered quantity shipped, in percent (None for an order without lines)."""
    ordered = getattr(handover, "ordered_quantity", None) or Decimal("0")
    if not ordered:
        return None
    shipped = getattr(handover, "shipped_quantity", None) or Decimal("0")
    return (Decimal(shipped) * 100 / Decimal(ordered)).quantize(Decimal("1"))


__all__ = ["handovers_visible_to", "order_hops_visible_to", "shipping_progress"]
