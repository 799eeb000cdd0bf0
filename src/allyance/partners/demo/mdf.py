"""Demo data of the mdf part of PRM, built through its services (see core/demo/partners.py).

This quarter's funds for the three partners (their tier's share of last quarter's orders
where that gives anything, else set by hand), requests at every status, a claim paid and one
waiting for the channel manager with its proof attached, and leads attributed to an
activity so the ledger shows ROI.
"""

from __future__ import annotations

import datetime
import struct
import zlib
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.files.uploadedfile import SimpleUploadedFile

from allyance.core.attachments import attachment_add
from allyance.core.visibility import visible_to
from allyance.partners.models import MdfAllocation
from allyance.partners.services import mdf as services
from allyance.sales.models import Lead

if TYPE_CHECKING:
    from allyance.core.demo.partners import PartnersDemo

# Partner key → funds set by hand when the tier share gives nothing.
BY_HAND = {"huadong": "60000.00", "jinqiao": "20000.00", "pacific": "8000.00"}


def receipt_png() -> bytes:
    """A small valid PNG standing in for a photographed receipt."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        return struct.pack(">I", len(data)) + kind + data + crc

    width = height = 8
    rows = b"".join(b"\x00" + b"\xf0\xf0\xf0" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def this_quarter(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    first_month = 3 * ((today.month - 1) // 3) + 1
    start = datetime.date(today.year, first_month, 1)
    next_start = (
        datetime.date(today.year + 1, 1, 1)
        if first_month == 10
        else datetime.date(today.year, first_month + 3, 1)
    )
    return start, next_start - datetime.timedelta(days=1)


def build(demo: PartnersDemo) -> None:
    """The mdf part's records for the demo partners."""
    start, end = this_quarter(demo.today)
    admin = demo.admin
    services.allocations_from_tier_share(period_start=start, period_end=end, by=admin)
    funds: dict[str, MdfAllocation] = {}
    for key, amount in BY_HAND.items():
        partner = demo.partners[key]
        allocation = MdfAllocation.objects.filter(organisation=partner, period_start=start).first()
        if allocation is None:
            allocation = services.allocation_save(
                allocation=MdfAllocation(
                    organisation=partner,
                    period_start=start,
                    period_end=end,
                    amount=Decimal(amount),
                    currency="CNY",
                    note="季度市场基金 Quarterly marketing funds",
                ),
                by=admin,
            )
        funds[key] = allocation

    def decider(key: str):
        manager = demo.partners[key].channel_manager
        return manager if services.may_manage_mdf(manager, demo.partners[key]) else admin

    def ask(key: str, name: str, kind: str, amount: str, plan: str, leads: int = 0):
        allocation = funds[key]
        amount = min(Decimal(amount), services.allocation_remaining(allocation))
        return services.request_submit(
            allocation=allocation,
            activity_name=name,
            activity_type=kind,
            plan=plan,
            amount=amount,
            starts_on=start + datetime.timedelta(days=10),
            ends_on=start + datetime.timedelta(days=12),
            expected_leads=leads,
            by=demo.users[f"{key}.user"],
        )

    def claim(key: str, request, number: str, lines, *, proof: bool):
        user = demo.users[f"{key}.user"]
        record = services.claim_submit(
            request=request,
            invoice_number=number,
            invoice_date=demo.today - datetime.timedelta(days=3),
            lines=[(text, Decimal(value)) for text, value in lines],
            by=user,
        )
        if proof:
            attachment_add(
                target=record,
                uploaded_file=SimpleUploadedFile(
                    "发票 receipt.png", receipt_png(), content_type="image/png"
                ),
                by=user,
            )
        return record

    # 华东 (distributor): a trade show approved for less, claimed, approved in part and paid;
    # the leads it brought are attributed.
    show = ask(
        "huadong",
        "上海工博会展位 Shanghai industry fair booth",
        "trade_show",
        "30000.00",
        "三天展位，产品演示，收集线索。A three-day booth with demos, collecting leads.",
        leads=40,
    )
    show = services.request_approve(request=show, amount=Decimal("25000.00"), by=decider("huadong"))
    paid = claim(
        "huadong",
        show,
        "HD-MDF-001",
        [
            ("展位费 Booth rental", "15800.00"),
            ("搭建 Stand build", "6200.50"),
            ("宣传册印刷 Brochure printing", "1999.60"),
        ],
        proof=True,
    )
    paid = services.claim_approve(claim=paid, amount=Decimal("23500.00"), by=decider("huadong"))
    services.claim_pay(
        claim=paid, paid_on=demo.today, reference="BOC-2026-0412", by=decider("huadong")
    )
    leads = list(
        visible_to(demo.users["huadong.user"], Lead.objects.all()).order_by("created_at")[:3]
    )
    if leads:
        services.request_attribute_leads(request=show, leads=leads, by=demo.users["huadong.user"])
    ask(
        "huadong",
        "微信推广 WeChat campaign",
        "digital",
        "8000.00",
        "两周朋友圈广告。Two weeks of WeChat Moments ads.",
        leads=25,
    )

    # 金桥 (reseller): a seminar approved in full, its claim waiting with proof.
    seminar = ask(
        "jinqiao",
        "杭州客户研讨会 Hangzhou customer seminar",
        "event",
        "12000.00",
        "半天研讨会，40 位 IT 经理。A half-day seminar for 40 IT managers.",
        leads=15,
    )
    seminar = services.request_approve(request=seminar, by=decider("jinqiao"))
    claim(
        "jinqiao",
        seminar,
        "JQ-2026-017",
        [("场地 Venue", "4800.00"), ("餐饮 Catering", "3650.00"), ("礼品 Giveaways", "1200.35")],
        proof=True,
    )

    # Pacific Bridge (agent): one request rejected, one withdrawn.
    mailing = ask(
        "pacific",
        "Direct mail to port operators",
        "print",
        "3000.00",
        "A printed mailing to 200 port operators in Ningbo.",
        leads=5,
    )
    services.request_reject(
        request=mailing,
        reason="请改为数字渠道 Please use a digital channel instead.",
        by=decider("pacific"),
    )
    calls = ask(
        "pacific",
        "Telemarketing sprint",
        "telemarketing",
        "2000.00",
        "Two weeks of calls to last year's contacts.",
    )
    services.request_cancel(request=calls, by=demo.users["pacific.user"])
