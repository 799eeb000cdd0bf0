"""Demo data of the distribution part of PRM, built through its services (see core/demo/partners.py).

One rule for East China (distributors and resellers, passed on up to three offers) and three
of the demo's leads the sales manager hands out: one accepted by the distributor 华东 and
converted into its deal, one that 华东 rejects and the rule passes on to its reseller 金桥
(waiting for an answer), and one offered by hand to the agent Pacific Bridge (waiting).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from allyance.core.demo.partners import PartnersDemo


def build(demo: PartnersDemo) -> None:
    """The distribution part's records for the demo partners."""
    from allyance.core.models import Organisation, Territory
    from allyance.customers.models import Contact
    from allyance.partners.models import DistributionRule
    from allyance.partners.services.distribution import (
        distribution_accept,
        distribution_reject,
        distribution_rule_save,
        lead_distribute,
        lead_distribute_by_rules,
    )
    from allyance.sales.models import Lead
    from allyance.sales.services.leads import lead_convert

    manager, channel = demo.users["manager"], demo.users["channel"]
    huadong, pacific = demo.partners["huadong"], demo.partners["pacific"]
    east = Territory.objects.filter(name="华东").first()

    distribution_rule_save(
        rule=DistributionRule(
            name="华东渠道 East China channel",
            priority=10,
            partner_types=[
                Organisation.PartnerType.DISTRIBUTOR,
                Organisation.PartnerType.RESELLER,
            ],
            pass_on=True,
            max_hops=3,
            accept_hours=48,
        ),
        by=channel,
        territories=[east] if east else [],
    )

    # Three of the demo's open company leads the sales manager's team owns.
    company = Organisation.company()
    team = [demo.users[name] for name in ("manager", "rep.zhang", "rep.emily")]
    open_leads = Lead.objects.filter(
        organisation=company,
        owner__in=team,
        status__in=(Lead.Status.NEW, Lead.Status.WORKING, Lead.Status.QUALIFIED),
    ).order_by("id")
    east_ids = east.descendant_ids() if east else set()
    in_east = list(open_leads.filter(territory_id__in=east_ids)[:2])
    elsewhere = open_leads.exclude(pk__in=[lead.pk for lead in in_east]).first()
    if len(in_east) < 2 or elsewhere is None:
        return

    # Accepted by the distributor and converted, for one of its customers, into its deal.
    accepted, passed_on = in_east
    offer = lead_distribute(lead=accepted, partner=huadong, by=manager, respond_hours=48)
    partner_admin = demo.users["huadong.admin"]
    distribution_accept(distribution=offer, by=partner_admin)
    contact = (
        Contact.objects.filter(organisation=huadong, account__isnull=False)
        .select_related("account")
        .order_by("id")
        .first()
    )
    lead_convert(
        lead=Lead.objects.get(pk=accepted.pk),
        by=partner_admin,
        account=contact.account if contact else None,
        contact=contact,
        amount=Decimal("165000.00"),
    )

    # Rejected by the distributor, passed on by the rule to its reseller, still waiting.
    first = lead_distribute_by_rules(lead=passed_on, by=manager)
    if first is not None and first.organisation_id == huadong.pk:
        distribution_reject(
            distribution=first,
            reason="客户离我们太远，请交给本地经销商 / The customer is far from us; a local reseller fits",
            by=partner_admin,
        )

    # Offered by hand to the agent, waiting for an answer.
    lead_distribute(lead=elsewhere, partner=pacific, by=manager, respond_hours=72)
