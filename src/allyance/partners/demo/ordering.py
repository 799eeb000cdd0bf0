"""Demo data of the ordering part of PRM, built through its services (see core/demo/partners.py).

The distributor 华东 ordered arrays for one of its customers: the channel manager confirmed
the order and it shipped (with a tracking number) and arrived; the reseller 金桥 has just
submitted an order for stock that waits for the channel manager. One of the company's own
orders went down the channel: the administrator handed it to 华东, whose admin handed it on
to 金桥 to ship.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction

from allyance.catalog.models import Product
from allyance.core.models import Organisation
from allyance.customers.models import Account
from allyance.orders.models import Order
from allyance.orders.services.fulfilment import (
    order_confirm,
    order_create,
    order_line_add,
    shipment_mark_delivered,
    shipment_record,
)
from allyance.partners.services.handover import order_hand_down
from allyance.partners.services.ordering import partner_order_place, partner_price_list

if TYPE_CHECKING:
    from allyance.core.demo.partners import PartnersDemo

SHIPPED_REFERENCE = "HD-PO-2026-031"
SUBMITTED_REFERENCE = "JQ-PO-2026-007"
HANDED_DOWN_REFERENCE = "SH-PO-2026-118"


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
    if huadong is not None and jinqiao is not None and jinqiao.parent_id == huadong.pk:
        _handed_down_order(demo, huadong, jinqiao)


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


def _handed_down_order(demo: PartnersDemo, distributor, reseller) -> None:
    """A rep's company order, handed by the administrator to the distributor, which hands it
    on to its reseller to ship."""
    if Order.objects.filter(customer_reference=HANDED_DOWN_REFERENCE).exists():
        return
    staff = demo.admin
    customer = (
        Account.objects.filter(organisation=Organisation.company(), owner__isnull=False)
        .order_by("pk")
        .first()
    )
    products = _products("AX-200", "SW-MGR")
    if customer is None or not products:
        return
    try:
        with transaction.atomic():
            order = order_create(
                by=staff,
                account=customer,
                owner=customer.owner,
                customer_reference=HANDED_DOWN_REFERENCE,
                requested_delivery=demo.today + datetime.timedelta(days=10),
                shipping_address=f"{customer.name}\n{customer.city} {customer.street}".strip(),
                notes="客户在华东，由渠道就近发货。Shipped by the channel, close to the customer.",
            )
            for product, quantity in zip(products, (4, 4), strict=False):
                order_line_add(order, by=staff, product=product, quantity=Decimal(quantity))
    except ValidationError:
        return  # the demo catalog has no price for these products: no order to hand down
    order_hand_down(
        order=order,
        partner=distributor,
        by=staff,
        note="请安排就近发货。Please ship from your warehouse.",
    )
    order_hand_down(
        order=order,
        partner=reseller,
        by=demo.users["huadong.admin"],
        note="金桥负责安装与发货。Jinqiao installs and ships.",
    )
