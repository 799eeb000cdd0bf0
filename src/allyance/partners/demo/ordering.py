"""Demo data of the ordering part of PRM, built through its services (see core/demo/partners.py).

The distributor 华东 ordered arrays for one of its customers: the channel manager confirmed
the order and it shipped (with a tracking number) and arrived; the reseller 金桥 has just
submitted an order for stock that waits for the channel manager.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from allyance.catalog.models import Product
from allyance.customers.models import Account
from allyance.orders.models import Order
from allyance.orders.services.fulfilment import (
    order_confirm,
    shipment_mark_delivered,
    shipment_record,
)
from allyance.partners.services.ordering import partner_order_place, partner_price_list

if TYPE_CHECKING:
    from allyance.core.demo.partners import PartnersDemo

SHIPPED_REFERENCE = "HD-PO-2026-031"
SUBMITTED_REFERENCE = "JQ-PO-2026-007"


def _products(*skus: str) -> list[Product]:
    found = {product.sku: product for product in Product.objects.filter(sku__in=skus)}
    return [found[sku] for sku in skus if sku in found]


def build(demo: PartnersDemo) -> None:
    """The ordering part's records for the demo partners."""
    huadong, jinqiao = demo.partners.get("huadong"), demo.partners.get("jinqiao")
    staff = demo.users.get("channel") or demo.admin
    if huadong is not None and partner_price_list(huadong) is not None:
        _shipped_order(demo, huadong, staff)
    if jinqiao is not None and partner_price_list(jinqiao) is not None:
        _submitted_order(demo, jinqiao)


def _shipped_order(demo: PartnersDemo, partner, staff) -> None:
    if Order.objects.filter(customer_reference=SHIPPED_REFERENCE).exists():
        return
    buyer = demo.users["huadong.user"]
    customer = (
        Account.objects.filter(organisation=partner, house_of__isnull=True).order_by("pk").first()
    )
    lines = [
        {"product": product, "quantity": Decimal(quantity)}
        for product, quantity in zip(_products("AX-200", "SW-MGR"), (2, 2), strict=False)
    ]
    if customer is None or not lines:
        return
    order = partner_order_place(
        by=buyer,
        lines=lines,
        end_customer=customer,
        customer_reference=SHIPPED_REFERENCE,
        requested_delivery=demo.today + datetime.timedelta(days=7),
        shipping_address=f"{customer.name}\n{customer.city} {customer.street}".strip(),
        notes="两台阵列及管理软件，客户机房安装。Two arrays and the manager licence.",
    )
    order = order_confirm(order, by=staff)
    shipment = shipment_record(
        order,
        by=staff,
        shipped_on=demo.today - datetime.timedelta(days=3),
        carrier="顺丰速运 SF Express",
        tracking_number="SF1402277365810",
        lines={line.pk: line.quantity for line in order.lines.all()},
    )
    shipment_mark_delivered(shipment, by=staff, on=demo.today - datetime.timedelta(days=1))


def _submitted_order(demo: PartnersDemo, partner) -> None:
    if Order.objects.filter(customer_reference=SUBMITTED_REFERENCE).exists():
        return
    lines = [
        {"product": product, "quantity": Decimal(quantity)}
        for product, quantity in zip(_products("AX-200", "SV-SUP"), (1, 1), strict=False)
    ]
    if not lines:
        return
    partner_order_place(
        by=demo.users["jinqiao.user"],
        lines=lines,
        customer_reference=SUBMITTED_REFERENCE,
        requested_delivery=demo.today + datetime.timedelta(days=14),
        notes="备货：展厅演示机。For stock: a showroom demo unit.",
    )
