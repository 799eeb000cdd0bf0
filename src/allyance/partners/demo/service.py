"""Demo data of the service part of PRM, built through its services (see core/demo/partners.py).

A warranty claim under warranty on the array 华东 sold and delivered (from its order), an
expired claim from the agent Pacific Bridge on an array bought over three years ago, and a
service request the service team is working on.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.core.files.uploadedfile import SimpleUploadedFile

from allyance.catalog.models import Product
from allyance.core.attachments import attachment_add
from allyance.customers.models import Account
from allyance.orders.models import Order
from allyance.partners.demo.ordering import SHIPPED_REFERENCE
from allyance.service.models import Case
from allyance.service.services import add_months, case_move, case_open

if TYPE_CHECKING:
    from allyance.core.demo.partners import PartnersDemo


def _customer_of(partner) -> Account | None:
    return (
        Account.objects.filter(organisation=partner, house_of__isnull=True).order_by("pk").first()
    )


def build(demo: PartnersDemo) -> None:
    """The service part's records for the demo partners."""
    if Case.objects.exists():
        return
    array = Product.objects.filter(sku="AX-200").first()
    software = Product.objects.filter(sku="SW-MGR").first()
    agent = demo.users.get("service") or demo.admin

    order = Order.objects.filter(customer_reference=SHIPPED_REFERENCE).first()
    huadong = demo.partners.get("huadong")
    if order is not None and array is not None and huadong is not None:
        valid = case_open(
            case=Case(
                kind=Case.Kind.WARRANTY,
                subject="阵列硬盘告警 Disk alarm on the new array",
                account=order.account,
                product=array,
                order=order,
                serial_number="AX200-CN-240871",
                problem="3 号盘位亮红灯，阵列降级运行。Bay 3 shows a red light; the array runs degraded.",
            ),
            by=demo.users["huadong.user"],
        )
        attachment_add(
            target=valid,
            uploaded_file=SimpleUploadedFile(
                "array-log.txt", b"2026 controller log: disk 3 SMART failure\n"
            ),
            by=demo.users["huadong.user"],
        )

    pacific = demo.partners.get("pacific")
    customer = _customer_of(pacific) if pacific is not None else None
    if customer is not None and array is not None:
        expired = case_open(
            case=Case(
                kind=Case.Kind.WARRANTY,
                subject="Controller fan failure",
                account=customer,
                product=array,
                purchase_date=add_months(demo.today, -40),
                serial_number="AX200-SG-190455",
                problem="The controller fan stopped; the array overheats under load.",
            ),
            by=demo.users["pacific.user"],
        )
        case_move(
            case=expired,
            to=Case.Status.REJECTED,
            by=agent,
            resolution="保修已过期（36 个月）；可提供付费维修报价。"
            "Out of warranty (36 months); a paid repair quote is offered.",
        )

    jinqiao = demo.partners.get("jinqiao")
    customer = _customer_of(jinqiao) if jinqiao is not None else None
    if customer is not None:
        request = case_open(
            case=Case(
                kind=Case.Kind.SERVICE,
                subject="管理软件无法登录 Storage manager login fails",
                account=customer,
                product=software,
                purchase_date=demo.today - datetime.timedelta(days=120),
                problem="升级后管理员无法登录。After the upgrade the administrator cannot log in.",
            ),
            by=demo.users["jinqiao.user"],
        )
        case_move(case=request, to=Case.Status.IN_PROGRESS, by=agent)
