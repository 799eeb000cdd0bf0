"""Demo data of the registrations part of PRM, built through its services (see core/demo/partners.py).

Three registrations: the agent's, approved (protected, with its opportunity); the reseller's,
still waiting, that collides with an open company deal; the distributor's, rejected.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from allyance.core.demo.partners import PartnersDemo


def build(demo: PartnersDemo) -> None:
    """The registrations part's records for the demo partners."""
    from allyance.catalog.models import Product
    from allyance.core.models import Organisation
    from allyance.partners.models import DealRegistration
    from allyance.partners.services.registrations import (
        registration_approve,
        registration_reject,
        registration_submit,
    )
    from allyance.sales.models import Opportunity, Stage

    manager = demo.users["channel"]
    products = list(Product.objects.filter(active=True).order_by("id")[:3])

    def submit(user_key: str, products_of_interest: list, **fields) -> DealRegistration:
        return registration_submit(
            registration=DealRegistration(**fields),
            by=demo.users[user_key],
            products=products_of_interest,
        )

    # The agent found a new customer in Singapore: approved, protected, now its opportunity.
    approved = submit(
        "pacific.user",
        products[:1],
        customer_name="Marina Bay Cold Chain Pte Ltd",
        tax_id="201912345K",
        domain="https://www.marinabay-coldchain.sg",
        contact_name="Priya Raman",
        contact_email="priya.raman@marinabay-coldchain.sg",
        product_interest="Warehouse monitoring, 3 sites",
        estimated_amount=Decimal("86000.00"),
        currency="SGD",
        expected_close=demo.today + datetime.timedelta(days=75),
        description="Met at the Singapore logistics fair; budget approved for next quarter.",
    )
    registration_approve(registration=approved, by=manager)

    # The reseller registers a customer the company's own team is already working on.
    company_deal = (
        Opportunity.objects.filter(
            organisation__kind=Organisation.Kind.COMPANY,
            outcome=Stage.Outcome.OPEN,
            account__isnull=False,
        )
        .select_related("account")
        .order_by("id")
        .first()
    )
    if company_deal is not None:
        account = company_deal.account
        submit(
            "jinqiao.user",
            products[1:3],
            customer_name=account.name,
            tax_id=account.tax_id,
            domain=account.website,
            contact_name="周经理",
            product_interest="扩容 / capacity expansion",
            estimated_amount=Decimal("150000.00"),
            currency="CNY",
            expected_close=demo.today + datetime.timedelta(days=45),
            description="客户主动联系我们询价。The customer asked us for a quote.",
        )

    # The distributor registers a customer the direct team covers: rejected with the reason.
    rejected = submit(
        "huadong.user",
        products[:2],
        customer_name="苏州工业园区精密制造有限公司",
        domain="jingmi-sip.cn",
        contact_name="陈工",
        product_interest="生产线数据采集",
        estimated_amount=Decimal("320000.00"),
        currency="CNY",
        expected_close=demo.today + datetime.timedelta(days=90),
    )
    registration_reject(
        registration=rejected,
        reason="该客户为直销重点客户，由直销团队跟进。The direct sales team covers this key account.",
        by=manager,
    )
