"""Demo data of the programme part of PRM, built through its services (see core/demo/partners.py).

The three tiers the builder created get their policy (the channel price list, a tier
discount, an MDF share, a lead priority); the programme settings; a four-step onboarding
checklist the channel manager has partly ticked; one agreement per partner, the reseller's
ending within the warning time so the overview and its page show it.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.files.uploadedfile import SimpleUploadedFile

from allyance.catalog.models import PriceList
from allyance.core.attachments import attachment_add
from allyance.partners.models import (
    OnboardingStep,
    PartnerAgreement,
    ProgrammeSettings,
    Tier,
)
from allyance.partners.services import programme as services

if TYPE_CHECKING:
    from allyance.core.demo.partners import PartnersDemo

# The list core/demo/orders.py makes for partners.
CHANNEL_PRICE_LIST = "渠道价格表 Channel (CNY)"

TIERS = (  # name, extra discount %, MDF share %, lead priority, description
    ("Gold", "8", "3", 30,
     "金牌：最优价格、优先获得线索。Gold: the best prices and first call on leads."),
    ("Silver", "4", "2", 20,
     "银牌：额外折扣与市场基金。Silver: an extra discount and marketing funds."),
    ("Registered", "0", "0", 10,
     "注册：渠道价格表。Registered: the channel price list."),
)  # fmt: skip

STEPS = (  # name, description
    ("签署合作协议 Sign the partner agreement", "协议签署并上传。The signed agreement is attached."),
    ("开通门户账号 Set up portal users", "合作伙伴管理员创建其用户。The partner admin adds its users."),
    ("完成销售培训 Complete the sales course", "至少一人通过认证。At least one person certified."),
    ("首次联合客户拜访 First joint customer visit", "与渠道经理共同拜访。A visit with the channel manager."),
)  # fmt: skip

# Partner key → how many checklist steps are done, and its agreement.
PARTNER_PROGRAMME = {
    "huadong": (4, "分销协议 Distribution agreement", "HD-DA-2025", -400, 330),
    "jinqiao": (2, "经销协议 Reseller agreement", "JQ-RA-2025", -340, 21),
    "pacific": (1, "Agency agreement 代理协议", "PB-AG-2025", -150, 215),
}


def build(demo: PartnersDemo) -> None:
    """The programme part's records for the demo partners."""
    admin = demo.admin
    channel_list = PriceList.objects.filter(name=CHANNEL_PRICE_LIST).first()
    for name, discount, mdf, priority, description in TIERS:
        tier = Tier.objects.filter(name=name).first()
        if tier is None:
            continue
        tier.price_list = channel_list
        tier.extra_discount_percent = Decimal(discount)
        tier.mdf_share_percent = Decimal(mdf)
        tier.lead_priority = priority
        tier.description = description
        services.tier_save(tier=tier, by=admin)

    settings_row = ProgrammeSettings.current()
    settings_row.accept_hours = 48
    settings_row.protection_days = 90
    settings_row.agreement_warning_days = 30
    settings_row.certification_warning_days = 45
    services.programme_settings_save(settings_row=settings_row, by=admin)

    for position, (name, description) in enumerate(STEPS, start=1):
        if not OnboardingStep.objects.filter(name=name).exists():
            services.onboarding_step_save(
                step=OnboardingStep(name=name, description=description, position=position),
                by=admin,
            )

    for key, (done, name, reference, start, end) in PARTNER_PROGRAMME.items():
        partner = demo.partners.get(key)
        if partner is None:
            continue
        manager = partner.channel_manager or admin
        for item in services.onboarding_items_ensure(organisation=partner)[:done]:
            if item.done_at is None:
                services.onboarding_item_tick(item=item, done=True, by=manager)
        if PartnerAgreement.objects.filter(organisation=partner, reference=reference).exists():
            continue
        agreement = services.agreement_save(
            agreement=PartnerAgreement(
                organisation=partner,
                kind=PartnerAgreement.Kind.AGREEMENT,
                name=name,
                reference=reference,
                starts_on=demo.today + datetime.timedelta(days=start),
                ends_on=demo.today + datetime.timedelta(days=end),
            ),
            by=manager,
        )
        attachment_add(
            target=agreement,
            uploaded_file=SimpleUploadedFile(
                f"{reference}.txt",
                f"{name}\n{partner.name}\n{reference}\n".encode(),
                content_type="text/plain",
            ),
            by=manager,
        )
