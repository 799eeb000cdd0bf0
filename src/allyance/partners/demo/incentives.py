"""Demo data of the incentives part of PRM, built through its services (see core/demo/partners.py).

Two plans for this year: a rebate of 2 % on revenue above ¥200,000 for Gold and Silver
partners, and a spiff of ¥800 for every AX-200 disk array a partner sells. The scorecards and
the portal home compute what each demo partner earned from their orders.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from allyance.catalog.models import Product
from allyance.partners.models import IncentivePlan
from allyance.partners.services.incentives import incentive_plan_save

if TYPE_CHECKING:
    from allyance.core.demo.partners import PartnersDemo


def build(demo: PartnersDemo) -> None:
    """This year's rebate for Gold and Silver, and a spiff on the disk array for everyone."""
    year = demo.today.year
    valid = {"valid_from": datetime.date(year, 1, 1), "valid_until": datetime.date(year, 12, 31)}
    incentive_plan_save(
        plan=IncentivePlan(
            name="金银牌返利 Gold & Silver rebate",
            kind=IncentivePlan.Kind.REBATE,
            currency="CNY",
            rebate_percent=Decimal("2.00"),
            threshold=Decimal("200000.00"),
            **valid,
        ),
        by=demo.admin,
        tiers=[demo.builder.tier("Gold"), demo.builder.tier("Silver")],
    )
    array = Product.objects.filter(sku="AX-200").first() or Product.objects.order_by("pk").first()
    if array is None:
        return
    incentive_plan_save(
        plan=IncentivePlan(
            name=f"销售激励 Spiff: {array.sku}",
            kind=IncentivePlan.Kind.SPIFF,
            currency="CNY",
            product=array,
            spiff_amount=Decimal("800.00"),
            **valid,
        ),
        by=demo.admin,
        tiers=[],
    )
