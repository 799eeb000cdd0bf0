"""Reads of orders and shipments: what the visibility gate shows, and an account's history."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from allyance.core.models import AuditEntry
from allyance.core.money import format_money
from allyance.core.timeline import FieldChange, TimelineItem
from allyance.core.visibility import visible_to
from allyance.orders.models import Order, OrderLine, Shipment


def orders_visible_to(user) -> QuerySet[Order]:
    """The orders the gate shows `user` (an order's shipments and lines follow it)."""
    return visible_to(user, Order.objects.select_related("account", "owner", "contact"))


def order_lines_visible_to(user) -> QuerySet[OrderLine]:
    return OrderLine.objects.filter(order__in=orders_visible_to(user).values("pk")).select_related(
        "order", "product"
    )


def shipments_visible_to(user) -> QuerySet[Shipment]:
    return (
        Shipment.objects.filter(order__in=orders_visible_to(user).values("pk"))
        .select_related("order", "created_by")
        .prefetch_related("lines__order_line")
    )


def order_search_document(order: Order) -> list[str | None]:
    """What finds an order: its number, the customer's reference and the account's name."""
    return [
        order.number,
        order.customer_reference,
        order.account.name if order.account_id else None,
    ]


# --------------------------------------------------------------------------- timeline


class OrderEvent:
    """A timeline entry about an order, shaped like an audit entry for `core/timeline.html`."""

    def __init__(self, title: str, actor=None):
        self.title = title
        self.actor = actor

    def get_action_display(self) -> str:
        return self.title


def _shipment_item(shipment: Shipment) -> TimelineItem:
    changes = [
        FieldChange(
            str(Shipment._meta.get_field("shipped_on").verbose_name), None, shipment.shipped_on
        )
    ]
    if shipment.carrier:
        changes.append(
            FieldChange(
                str(Shipment._meta.get_field("carrier").verbose_name), None, shipment.carrier
            )
        )
    if shipment.tracking_number:
        changes.append(
            FieldChange(
                str(Shipment._meta.get_field("tracking_number").verbose_name),
                None,
                shipment.tracking_number,
            )
        )
    if shipment.delivered_on:
        changes.append(
            FieldChange(
                str(Shipment._meta.get_field("delivered_on").verbose_name),
                None,
                shipment.delivered_on,
            )
        )
    title = _("Shipment of order %(number)s") % {"number": shipment.order.number}
    return TimelineItem(
        "change", shipment.created_at, OrderEvent(title, shipment.created_by), changes
    )


def _order_items(
    orders: list[Order], *, limit: int, with_status: bool = True
) -> list[TimelineItem]:
    """Created and status-change entries of `orders`, read from their audit trail."""
    if not orders:
        return []
    by_id = {str(order.pk): order for order in orders}
    entries = (
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Order), object_id__in=list(by_id)
        )
        .select_related("actor")
        .order_by("-at")
    )
    statuses = dict(Order.Status.choices)
    status_label = str(Order._meta.get_field("status").verbose_name)
    items: list[TimelineItem] = []
    for entry in entries.filter(action=AuditEntry.Action.CREATE)[:limit]:
        order = by_id[entry.object_id]
        title = _("Order %(number)s created") % {"number": order.number}
        changes = [
            FieldChange(
                str(Order._meta.get_field("total").verbose_name),
                None,
                format_money(order.total, order.currency),
            )
        ]
        items.append(TimelineItem("change", entry.at, OrderEvent(title, entry.actor), changes))
    if with_status:
        for entry in entries.filter(action=AuditEntry.Action.UPDATE, changes__has_key="status")[
            :limit
        ]:
            order = by_id[entry.object_id]
            before, after = entry.changes["status"]
            title = _("Order %(number)s: %(status)s") % {
                "number": order.number,
                "status": statuses.get(after, after),
            }
            changes = [
                FieldChange(status_label, statuses.get(before, before), statuses.get(after, after))
            ]
            if after == Order.Status.CANCELLED and order.cancel_reason:
                changes.append(
                    FieldChange(
                        str(Order._meta.get_field("cancel_reason").verbose_name),
                        None,
                        order.cancel_reason,
                    )
                )
            items.append(TimelineItem("change", entry.at, OrderEvent(title, entry.actor), changes))
    return items


def account_order_timeline(account, *, user, limit: int = 100) -> list[TimelineItem]:
    """The account's orders as timeline entries: created, each status change, each shipment."""
    if user is None:
        return []
    orders = list(orders_visible_to(user).filter(account=account).order_by("-id")[:limit])
    items = _order_items(orders, limit=limit)
    shipments = (
        Shipment.objects.filter(order__in=[o.pk for o in orders])
        .select_related("order", "created_by")
        .order_by("-created_at")[:limit]
    )
    items += [_shipment_item(shipment) for shipment in shipments]
    return items


def order_shipment_timeline(order, *, user, limit: int = 100) -> list[TimelineItem]:
    """An order's own page: its audit trail shows the status; the shipments are added here."""
    if user is None or not orders_visible_to(user).filter(pk=order.pk).exists():
        return []
    shipments = order.shipments.select_related("order", "created_by").order_by("-created_at")[
        :limit
    ]
    return [_shipment_item(shipment) for shipment in shipments]
