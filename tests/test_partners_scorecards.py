"""Partner scorecards, their comparison, incentive plans and the partner portal home.

The numbers are exact for a constructed quarter (2026 Q3): pipeline, revenue, win rate, lead
acceptance rate and time, deal registrations, certifications, MDF and incentives. A channel
manager compares only the partners they manage, a partner sees only itself, and partner B's
records never show on partner A's pages.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse

from allyance.core.models import Role
from allyance.partners.models import IncentivePlan
from allyance.partners.selectors.incentives import incentives_earned
from allyance.partners.selectors.scorecards import (
    score_period,
    scorecard,
    scorecards_compare,
)
from allyance.partners.services.incentives import incentive_plan_delete, incentive_plan_save
from tests.factories import (
    AccountFactory,
    AnnouncementFactory,
    CaseFactory,
    CertificationAwardFactory,
    CertificationFactory,
    DealRegistrationFactory,
    IncentivePlanFactory,
    LeadDistributionFactory,
    LeadFactory,
    MdfAllocationFactory,
    MdfClaimFactory,
    MdfRequestFactory,
    OpportunityFactory,
    OrderFactory,
    OrderLineFactory,
    OrganisationFactory,
    PipelineFactory,
    ProductFactory,
    TierFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Q3 = score_period("quarter", datetime.date(2026, 8, 1))
JUL, AUG, SEP, OCT = (datetime.date(2026, m, 10) for m in (7, 8, 9, 10))


def at(day: datetime.date, hour: int = 9) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=datetime.UTC)


class World:
    """A distributor (Gold) with a reseller (Silver) below it, and an unrelated partner B."""

    def __init__(self):
        self.gold = TierFactory(name="Gold", rank=3)
        self.silver = TierFactory(name="Silver", rank=2)
        self.registered = TierFactory(name="Registered", rank=1)
        self.channel = UserFactory(role=Role.CHANNEL_MANAGER, username="channel")
        self.other_channel = UserFactory(role=Role.CHANNEL_MANAGER, username="channel2")
        self.distributor = OrganisationFactory(
            name="华东 Distribution",
            partner_type="distributor",
            tier=self.gold,
            channel_manager=self.channel,
        )
        self.reseller = OrganisationFactory(
            name="金桥 Reseller", tier=self.silver, parent=self.distributor
        )
        self.partner_b = OrganisationFactory(
            name="Beta Supply", tier=self.gold, channel_manager=self.other_channel
        )
        self.d_user = UserFactory(role=Role.PARTNER_USER, organisation=self.distributor)
        self.r_user = UserFactory(role=Role.PARTNER_USER, organisation=self.reseller)
        self.b_user = UserFactory(role=Role.PARTNER_ADMIN, organisation=self.partner_b)
        self.pipeline = PipelineFactory()
        self.product = ProductFactory(name="NAS-200")

    def deal(self, organisation, stage="Qualify", created=JUL, closed=None, **kwargs):
        stage = self.pipeline.stages.get(name=stage)
        deal = OpportunityFactory(
            organisation=organisation,
            pipeline=self.pipeline,
            stage=stage,
            outcome=stage.outcome,
            closed_at=at(closed) if closed else None,
            **kwargs,
        )
        type(deal).objects.filter(pk=deal.pk).update(created_at=at(created))
        return deal

    def order(self, organisation, net, day=AUG, status="confirmed", units=0, **kwargs):
        net = Decimal(net)
        order = OrderFactory(
            organisation=organisation,
            order_date=day,
            status=status,
            total=net * Decimal("1.13"),
            tax_total=net * Decimal("0.13"),
            **kwargs,
        )
        if units:
            OrderLineFactory(order=order, product=self.product, quantity=units)
        return order

    def offer(self, organisation, status, offered, hours=None):
        responded = at(offered) + datetime.timedelta(hours=hours) if hours is not None else None
        return LeadDistributionFactory(
            organisation=organisation,
            status=status,
            offered_at=at(offered),
            responded_at=responded,
        )


@pytest.fixture
def world():
    return World()


@pytest.fixture
def built(world):
    """The distributor's quarter, its reseller's and partner B's, with noise outside Q3."""
    d, r, b = world.distributor, world.reseller, world.partner_b
    # Deals: open pipeline 1000 (+ one created after Q3, one in USD); 2 won, 2 lost in Q3.
    world.deal(d, amount=1000)
    world.deal(d, amount=2000, created=OCT)
    world.deal(d, amount=500, currency="USD")
    world.deal(d, "Won", amount=3000, closed=AUG)
    world.deal(d, "Won", amount=1500, closed=JUL)
    world.deal(d, "Won", amount=4000, closed=OCT)
    world.deal(d, "Lost", amount=800, closed=SEP)
    world.deal(d, "Lost", amount=900, closed=SEP)
    world.deal(r, amount=700)
    world.deal(r, "Won", amount=600, closed=AUG)
    world.deal(b, amount=99000)
    world.deal(b, "Won", amount=99000, closed=AUG)
    # Orders: net 10000 + 5000 count; cancelled, submitted, October and USD do not.
    world.order(d, "10000.00", units=3)
    world.order(d, "5000.00", day=SEP, status="shipped", units=2)
    world.order(d, "99999.00", status="cancelled", units=10)
    world.order(d, "7777.00", status="submitted", units=4)
    world.order(d, "8888.00", day=OCT, units=7)
    world.order(d, "100.00", currency="USD")
    world.order(r, "2000.00", units=1)
    world.order(b, "50000.00", units=20)
    # Leads: 5 offered in Q3 (2 accepted after 2 h and 10 h, 1 rejected, 1 expired, 1 open).
    world.offer(d, "accepted", JUL, hours=2)
    world.offer(d, "accepted", AUG, hours=10)
    world.offer(d, "rejected", AUG, hours=1)
    world.offer(d, "expired", SEP, hours=None)
    world.offer(d, "offered", SEP)
    world.offer(d, "accepted", OCT, hours=1)
    world.offer(r, "accepted", AUG, hours=30)
    world.offer(b, "accepted", AUG, hours=1)
    # Registrations: 3 submitted in Q3; approved (one protection since ended) and rejected.
    DealRegistrationFactory(
        organisation=d, submitted_at=at(JUL), status="approved", decided_at=at(AUG)
    )
    DealRegistrationFactory(
        organisation=d, submitted_at=at(JUL), status="expired", decided_at=at(AUG)
    )
    DealRegistrationFactory(
        organisation=d, submitted_at=at(AUG), status="rejected", decided_at=at(SEP)
    )
    DealRegistrationFactory(
        organisation=d,
        submitted_at=at(datetime.date(2026, 6, 20)),
        status="approved",
        decided_at=at(JUL),
    )
    DealRegistrationFactory(organisation=b, submitted_at=at(AUG))
    # Certifications held on 30 September: two awards of one certification.
    storage = CertificationFactory(name="Storage Pro")
    CertificationAwardFactory(
        organisation=d,
        certification=storage,
        awarded_on=datetime.date(2026, 1, 5),
        expires_on=datetime.date(2028, 1, 5),
    )
    CertificationAwardFactory(
        organisation=d,
        certification=storage,
        awarded_on=datetime.date(2026, 2, 5),
        expires_on=datetime.date(2028, 2, 5),
    )
    CertificationAwardFactory(
        organisation=d,
        certification=CertificationFactory(name="Lapsed"),
        awarded_on=datetime.date(2024, 8, 15),
        expires_on=datetime.date(2026, 8, 15),
    )
    CertificationAwardFactory(
        organisation=d,
        certification=CertificationFactory(name="Too late"),
        awarded_on=datetime.date(2026, 10, 2),
        expires_on=datetime.date(2028, 10, 2),
    )
    CertificationAwardFactory(organisation=b, awarded_on=datetime.date(2026, 1, 5))
    # MDF: 10000 for Q3; 3000 approved, 2500 paid; its leads won a 20000 deal.
    allocation = MdfAllocationFactory(
        organisation=d,
        period_start=datetime.date(2026, 7, 1),
        period_end=datetime.date(2026, 9, 30),
        amount="10000.00",
    )
    MdfAllocationFactory(
        organisation=d,
        period_start=datetime.date(2026, 10, 1),
        period_end=datetime.date(2026, 12, 31),
        amount="5000.00",
    )
    funded = MdfRequestFactory(
        allocation=allocation, status="approved", amount="3000.00", approved_amount="3000.00"
    )
    MdfRequestFactory(allocation=allocation, amount="2000.00")  # submitted: not approved
    MdfClaimFactory(
        request=funded,
        status="paid",
        amount="2500.00",
        approved_amount="2500.00",
        paid_amount="2500.00",
    )
    won_from_lead = world.deal(d, "Won", amount=20000, closed=OCT)
    funded.leads.add(LeadFactory(organisation=d, converted_opportunity=won_from_lead))
    funded.leads.add(LeadFactory(organisation=d))  # not converted
    # Incentives: a 2 % rebate above 10000 for Gold and Silver, a 50-per-unit spiff for all.
    rebate = IncentivePlanFactory(
        name="Gold rebate",
        rebate_percent="2.00",
        threshold="10000.00",
        valid_from=datetime.date(2026, 1, 1),
        valid_until=datetime.date(2026, 12, 31),
    )
    rebate.tiers.set([world.gold, world.silver])
    IncentivePlanFactory(
        name="NAS spiff", kind="spiff", product=world.product, spiff_amount="50.00", threshold=0
    )
    IncentivePlanFactory(name="Registered only").tiers.set([world.registered])
    IncentivePlanFactory(name="Ended in June", valid_until=datetime.date(2026, 6, 30))
    IncentivePlanFactory(name="Switched off", active=False)
    return world


def card_of(user, organisation, **kwargs):
    return scorecard(user=user, organisation=organisation, start=Q3.start, end=Q3.end, **kwargs)


# --- Periods ---------------------------------------------------------------------------------


def test_periods_are_months_quarters_years_or_a_custom_range():
    assert (Q3.start, Q3.end, Q3.label) == (
        datetime.date(2026, 7, 1),
        datetime.date(2026, 9, 30),
        "2026 Q3",
    )
    assert score_period("month", datetime.date(2026, 2, 14)).end == datetime.date(2026, 2, 28)
    assert score_period("year", datetime.date(2026, 2, 14)).end == datetime.date(2026, 12, 31)
    assert Q3.shifted(2).start == datetime.date(2027, 1, 1)
    custom = score_period("custom", start=datetime.date(2026, 3, 10), end=datetime.date(2026, 3, 1))
    assert (custom.start, custom.end) == (datetime.date(2026, 3, 1), datetime.date(2026, 3, 10))
    assert custom.shifted(1).start == datetime.date(2026, 3, 11)


# --- One scorecard ---------------------------------------------------------------------------


def test_scorecard_numbers_are_exact_for_the_quarter(built, admin_user):
    card = card_of(admin_user, built.distributor)

    assert card.currency == "CNY"
    assert (card.pipeline, card.pipeline_count) == (Decimal("1000.00"), 1)
    assert (card.revenue, card.orders) == (Decimal("15000.00"), 3)  # the USD order counts
    assert (card.won, card.lost, card.win_rate) == (2, 2, Decimal("50.0"))
    assert card.won_amount == Decimal("4500.00")
    assert (card.leads_offered, card.leads_accepted) == (5, 2)
    assert (card.leads_rejected, card.leads_expired) == (1, 1)
    assert card.acceptance_rate == Decimal("50.0")
    assert card.median_hours_to_accept == Decimal("6.0")
    assert card.registrations_submitted == 3
    assert (card.registrations_approved, card.registrations_rejected) == (3, 1)
    assert card.certifications_held == 2
    assert card.certification_names == ["Storage Pro"]
    assert (card.mdf_allocated, card.mdf_approved, card.mdf_paid) == (
        Decimal("10000.00"),
        Decimal("3000.00"),
        Decimal("2500.00"),
    )
    assert card.mdf_remaining == Decimal("7000.00")
    assert card.mdf_revenue == Decimal("20000.00")
    assert card.mdf_roi == Decimal("8.00")  # 20000 won per 2500 paid
    assert card.customer_satisfaction is None


def test_scorecard_in_another_currency_counts_only_that_currency(built, admin_user):
    card = card_of(admin_user, built.distributor, currency="USD")
    assert (card.pipeline, card.revenue, card.mdf_allocated) == (
        Decimal("500.00"),
        Decimal("100.00"),
        Decimal("0"),
    )


def test_include_below_rolls_the_reseller_into_the_distributor(built, admin_user):
    alone = card_of(admin_user, built.distributor)
    rolled = card_of(admin_user, built.distributor, include_below=True)

    assert set(rolled.organisation_ids) == {built.distributor.pk, built.reseller.pk}
    assert rolled.pipeline == alone.pipeline + Decimal("700.00")
    assert rolled.revenue == alone.revenue + Decimal("2000.00")
    assert (rolled.won, rolled.lost) == (3, 2)
    assert rolled.win_rate == Decimal("60.0")
    assert (rolled.leads_offered, rolled.leads_accepted) == (6, 3)
    assert rolled.median_hours_to_accept == Decimal("10.0")  # 2, 10, 30 hours
    # Each partner earns by its own tier and revenue: the reseller stays below the threshold.
    assert rolled.incentives_earned == alone.incentives_earned + Decimal("50.00")


def test_funds_passed_down_count_once_in_the_roll_up(built, admin_user):
    from allyance.partners.models import MdfAllocation
    from allyance.partners.services.mdf import allocation_pass_down

    alone = card_of(admin_user, built.distributor)
    q3 = MdfAllocation.objects.get(organisation=built.distributor, amount=Decimal("10000.00"))
    allocation_pass_down(
        allocation=q3, reseller=built.reseller, amount=Decimal("2500.00"), by=admin_user
    )
    assert card_of(admin_user, built.distributor).mdf_allocated == (
        alone.mdf_allocated - Decimal("2500.00")
    )
    assert card_of(admin_user, built.reseller).mdf_allocated == Decimal("2500.00")
    rolled = card_of(admin_user, built.distributor, include_below=True)
    assert rolled.mdf_allocated == alone.mdf_allocated


def test_a_reseller_that_stops_sharing_leaves_its_distributors_roll_up(built):
    built.reseller.shares_with_parent = False
    built.reseller.save()
    rolled = card_of(built.d_user, built.distributor, include_below=True)
    assert rolled.organisation_ids == [built.distributor.pk]


def test_a_partner_reads_its_own_scorecard_and_not_the_others(built):
    own = card_of(built.d_user, built.distributor)
    assert own.revenue == Decimal("15000.00")
    with pytest.raises(Http404):
        card_of(built.d_user, built.partner_b)
    with pytest.raises(Http404):  # a reseller never sees its distributor
        card_of(built.r_user, built.distributor)


def test_a_channel_manager_reads_only_the_partners_they_manage(built):
    assert card_of(built.channel, built.reseller).revenue == Decimal("2000.00")
    with pytest.raises(Http404):
        card_of(built.channel, built.partner_b)
    with pytest.raises(Http404):
        card_of(UserFactory(role=Role.SALES_REP), built.distributor)


# --- The comparison --------------------------------------------------------------------------


def compared(user, **kwargs):
    return {
        card.organisation.name: card
        for card in scorecards_compare(user=user, start=Q3.start, end=Q3.end, **kwargs)
    }


def test_comparison_is_scoped_to_the_partners_the_user_may_see(built, admin_user):
    assert set(compared(admin_user)) == {"华东 Distribution", "金桥 Reseller", "Beta Supply"}
    assert set(compared(built.channel)) == {"华东 Distribution", "金桥 Reseller"}
    assert set(compared(built.other_channel)) == {"Beta Supply"}
    assert set(compared(built.d_user)) == {"华东 Distribution", "金桥 Reseller"}
    assert set(compared(built.r_user)) == {"金桥 Reseller"}
    assert set(compared(built.b_user)) == {"Beta Supply"}
    assert compared(UserFactory(role=Role.SALES_MANAGER)) == {}


def test_comparison_matches_the_single_scorecards(built, admin_user):
    rows = compared(admin_user)
    single = card_of(admin_user, built.distributor)
    assert rows["华东 Distribution"].revenue == single.revenue
    assert rows["华东 Distribution"].win_rate == single.win_rate
    assert rows["华东 Distribution"].incentives_earned == single.incentives_earned
    assert rows["Beta Supply"].revenue == Decimal("50000.00")
    assert rows["Beta Supply"].median_hours_to_accept == Decimal("1.0")
    rolled = compared(admin_user, include_below=True)
    assert rolled["华东 Distribution"].revenue == Decimal("17000.00")
    assert rolled["金桥 Reseller"].revenue == Decimal("2000.00")


def test_comparison_costs_the_same_queries_for_three_or_ten_partners(
    built, admin_user, django_assert_max_num_queries
):
    with django_assert_max_num_queries(20) as few:
        scorecards_compare(user=admin_user, start=Q3.start, end=Q3.end)
    for n in range(7):
        partner = OrganisationFactory(name=f"More {n}", tier=built.silver)
        built.order(partner, "1000.00", units=1)
        built.deal(partner, "Won", amount=10, closed=AUG)
        built.offer(partner, "accepted", AUG, hours=3)
        CertificationAwardFactory(organisation=partner, awarded_on=datetime.date(2026, 1, 5))
    with django_assert_max_num_queries(len(few.captured_queries)):
        cards = scorecards_compare(user=admin_user, start=Q3.start, end=Q3.end)
    assert len(cards) == 10


# --- Incentives ------------------------------------------------------------------------------


def earned_by(user, organisation, start=Q3.start, end=Q3.end):
    return {
        result.plan.name: result
        for result in incentives_earned(user=user, start=start, end=end, organisation=organisation)
    }


def test_rebate_pays_its_percent_of_revenue_above_the_threshold(built, admin_user):
    earned = earned_by(admin_user, built.distributor)
    assert earned["Gold rebate"].revenue == Decimal("15000.00")
    assert earned["Gold rebate"].base == Decimal("5000.00")
    assert earned["Gold rebate"].amount == Decimal("100.00")  # 2 % of 15000 − 10000


def test_spiff_pays_per_unit_on_accepted_orders_of_the_period(built, admin_user):
    earned = earned_by(admin_user, built.distributor)
    assert earned["NAS spiff"].units == Decimal("5.000")  # 3 + 2; not cancelled or submitted
    assert earned["NAS spiff"].amount == Decimal("250.00")
    assert card_of(admin_user, built.distributor).incentives_earned == Decimal("350.00")


def test_only_plans_valid_in_the_period_and_open_to_the_tier_pay(built, admin_user):
    assert set(earned_by(admin_user, built.distributor)) == {"Gold rebate", "NAS spiff"}
    q2 = score_period("quarter", datetime.date(2026, 5, 1))
    assert "Ended in June" in earned_by(admin_user, built.distributor, q2.start, q2.end)
    below = earned_by(admin_user, built.reseller)
    assert below["Gold rebate"].amount == Decimal("0.00")  # 2000 is below the threshold
    assert below["NAS spiff"].amount == Decimal("50.00")


def test_incentives_round_to_the_currency(world, admin_user):
    partner = OrganisationFactory(tier=world.gold)
    world.order(partner, "10001.00", currency="JPY")
    world.order(partner, "1234.56", currency="CNY")
    IncentivePlanFactory(name="Yen", currency="JPY", rebate_percent="1.50", threshold=0)
    IncentivePlanFactory(name="Yuan", currency="CNY", rebate_percent="1.25", threshold=0)
    earned = earned_by(admin_user, partner)
    assert earned["Yen"].amount == Decimal("150")  # 150.015
    assert earned["Yuan"].amount == Decimal("15.43")  # 15.432


def test_a_partner_sees_only_its_own_incentives(built):
    names = {
        r.organisation_id for r in incentives_earned(user=built.b_user, start=Q3.start, end=Q3.end)
    }
    assert names == {built.partner_b.pk}
    assert earned_by(built.b_user, built.distributor) == {}


def test_incentive_plans_are_written_by_admins_and_channel_managers_only(world):
    plan = IncentivePlan(name="Q4 spiff", kind="spiff", product=world.product, spiff_amount=20)
    with pytest.raises(PermissionDenied):
        incentive_plan_save(plan=plan, by=world.d_user)
    with pytest.raises(PermissionDenied):
        incentive_plan_save(plan=plan, by=UserFactory(role=Role.SALES_REP))
    saved = incentive_plan_save(plan=plan, by=world.channel, tiers=[world.gold])
    assert list(saved.tiers.all()) == [world.gold]
    with pytest.raises(PermissionDenied):
        incentive_plan_delete(plan=saved, by=world.d_user)
    incentive_plan_delete(plan=saved, by=world.channel)
    assert not IncentivePlan.objects.filter(pk=saved.pk).exists()


def test_incentive_plan_rules(world, admin_user):
    with pytest.raises(ValidationError) as spiff:
        incentive_plan_save(plan=IncentivePlan(name="No product", kind="spiff"), by=admin_user)
    assert set(spiff.value.message_dict) == {"product", "spiff_amount"}
    with pytest.raises(ValidationError) as rebate:
        incentive_plan_save(
            plan=IncentivePlan(
                name="Backwards",
                rebate_percent=0,
                valid_from=datetime.date(2026, 5, 1),
                valid_until=datetime.date(2026, 4, 1),
            ),
            by=admin_user,
        )
    assert set(rebate.value.message_dict) == {"rebate_percent", "valid_until"}
    plan = incentive_plan_save(
        plan=IncentivePlan(name="Rebate", rebate_percent=3, product=world.product, spiff_amount=5),
        by=admin_user,
    )
    assert (plan.product, plan.spiff_amount) == (None, Decimal("0"))


# --- API -------------------------------------------------------------------------------------


def test_scorecards_api_lists_the_partners_the_user_may_see(built, api):
    body = api(built.channel).get("/api/v1/scorecards/?period=quarter&date=2026-08-01").json()
    rows = {row["organisation_name"]: row for row in body["results"]}
    assert set(rows) == {"华东 Distribution", "金桥 Reseller"}
    assert body["period"] == {
        "kind": "quarter",
        "start": "2026-07-01",
        "end": "2026-09-30",
        "label": "2026 Q3",
    }
    d = rows["华东 Distribution"]
    assert (d["revenue"], d["pipeline"], d["win_rate"]) == ("15000.00", "1000.00", "50.0")
    assert (d["acceptance_rate"], d["median_hours_to_accept"]) == ("50.0", "6.0")
    assert (d["mdf_paid"], d["mdf_roi"], d["incentives_earned"]) == ("2500.00", "8.00", "350.00")
    assert d["customer_satisfaction"] is None
    mine = api(built.b_user).get("/api/v1/scorecards/?period=quarter&date=2026-08-01").json()
    assert [row["organisation_name"] for row in mine["results"]] == ["Beta Supply"]


def test_scorecards_api_takes_a_custom_period_and_refuses_a_half_one(built, api):
    client = api(built.channel)
    answer = client.get("/api/v1/scorecards/?period=custom&start=2026-08-01&end=2026-08-31")
    rows = {row["organisation_name"]: row for row in answer.json()["results"]}
    assert rows["华东 Distribution"]["revenue"] == "10000.00"
    assert client.get("/api/v1/scorecards/?period=custom&start=2026-08-01").status_code == 400
    customer = UserFactory(role=Role.CUSTOMER)
    assert api(customer).get("/api/v1/scorecards/").status_code == 403


def test_incentive_plan_api_reads_for_partners_writes_for_managers(world, api):
    body = {"name": "Spring spiff", "kind": "spiff", "product": world.product.pk}
    body |= {"spiff_amount": "30.00", "tiers": [world.gold.pk], "currency": "CNY"}
    assert (
        api(world.d_user).post("/api/v1/incentive-plans/", body, format="json").status_code == 403
    )
    created = api(world.channel).post("/api/v1/incentive-plans/", body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["tiers"] == [world.gold.pk]
    bad = api(world.channel).post(
        "/api/v1/incentive-plans/", {**body, "product": None}, format="json"
    )
    assert bad.status_code == 400 and "product" in bad.json()
    # A Gold partner reads it; a Silver partner does not see it.
    gold = [p["name"] for p in api(world.d_user).get("/api/v1/incentive-plans/").json()]
    silver = [p["name"] for p in api(world.r_user).get("/api/v1/incentive-plans/").json()]
    assert (gold, silver) == (["Spring spiff"], [])


# --- Pages -----------------------------------------------------------------------------------


def test_partner_scorecard_page_shows_its_own_numbers(built, client):
    client.force_login(built.d_user)
    page = client.get(reverse("partners:scorecard"), {"period": "quarter", "date": "2026-08-01"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "华东 Distribution" in html and "2026 Q3" in html
    assert "¥15,000.00" in html and "¥350.00" in html
    assert "Not available" in html  # customer satisfaction
    assert "Include partners below" in html  # it has a reseller
    other = {"organisation": built.partner_b.pk, "period": "quarter", "date": "2026-08-01"}
    assert client.get(reverse("partners:scorecard"), other).status_code == 404


def test_staff_scorecard_page_needs_a_partner_they_may_see(built, client):
    client.force_login(built.channel)
    url = reverse("partners:scorecard")
    assert client.get(url).url == reverse("partners:scorecard-compare")
    query = {"organisation": built.distributor.pk, "period": "quarter", "date": "2026-08-01"}
    page = client.get(url, {**query, "include_below": "on"})
    assert "¥17,000.00" in page.content.decode()  # the reseller rolled up
    assert client.get(url, {**query, "organisation": built.partner_b.pk}).status_code == 404
    assert client.get(url, {**query, "organisation": "x"}).status_code == 404


def test_comparison_page_has_the_table_and_chart_data_of_its_partners(built, client):
    client.force_login(built.channel)
    page = client.get(
        reverse("partners:scorecard-compare"), {"period": "quarter", "date": "2026-08-01"}
    )
    html = page.content.decode()
    assert html.count('data-testid="scorecard-row"') == 2
    assert "Beta Supply" not in html
    assert 'id="scorecard-money-data"' in html and 'id="scorecard-rates-data"' in html
    money = page.context["money_chart"]
    assert money["x"] == ["华东 Distribution", "金桥 Reseller"]
    assert money["series"][0]["data"] == [15000.0, 2000.0]
    assert page.context["rates_chart"]["series"][0]["data"] == [50.0, 100.0]
    client.force_login(built.d_user)
    assert client.get(reverse("partners:scorecard-compare")).status_code == 403


def test_comparison_exports_as_csv_and_excel(built, client):
    client.force_login(built.channel)
    url = reverse("partners:scorecard-compare-export")
    answer = client.get(url, {"period": "quarter", "date": "2026-08-01"})
    text = answer.content.decode("utf-8-sig")
    assert answer["Content-Type"].startswith("text/csv")
    lines = text.splitlines()
    assert lines[0].startswith("Partner,Tier,Currency,Pipeline,Revenue")
    assert lines[1].startswith("华东 Distribution,Gold,CNY,1000.00,15000.00,3,2,2,50.0")
    assert len(lines) == 3
    xlsx = client.get(url, {"period": "quarter", "date": "2026-08-01", "format": "xlsx"})
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    client.force_login(built.b_user)
    assert client.get(url).status_code == 403


def test_incentive_plan_pages_for_managers_and_read_only_for_partners(world, client):
    client.force_login(world.channel)
    created = client.post(
        reverse("partners:incentive-plan-create"),
        {
            "name": "Autumn rebate",
            "kind": "rebate",
            "currency": "CNY",
            "rebate_percent": "1.50",
            "threshold": "5000",
            "spiff_amount": "0",
            "tiers": [world.gold.pk],
            "active": "on",
        },
    )
    assert created.status_code == 302, created.content.decode()[:2000]
    plan = IncentivePlan.objects.get(name="Autumn rebate")
    assert list(plan.tiers.all()) == [world.gold]
    refused = client.post(
        reverse("partners:incentive-plan-edit", args=[plan.pk]),
        {
            "name": "Autumn rebate",
            "kind": "spiff",
            "currency": "CNY",
            "rebate_percent": "0",
            "threshold": "0",
            "spiff_amount": "0",
        },
    )
    assert 'data-field-error="product"' in refused.content.decode()
    client.force_login(world.d_user)
    page = client.get(reverse("partners:incentive-plan-list")).content.decode()
    assert "Autumn rebate" in page and 'data-testid="create"' not in page
    assert client.get(reverse("partners:incentive-plan-create")).status_code == 403
    delete = reverse("partners:incentive-plan-delete", args=[plan.pk])
    assert client.post(delete).status_code == 403
    client.force_login(world.r_user)  # Silver: the plan is not open to it
    assert (
        "Autumn rebate" not in client.get(reverse("partners:incentive-plan-list")).content.decode()
    )
    client.force_login(world.channel)
    assert client.post(delete).status_code == 302
    assert not IncentivePlan.objects.filter(pk=plan.pk).exists()


def test_incentive_plan_list_shows_what_was_earned_in_the_period(built, client):
    client.force_login(built.d_user)
    page = client.get(
        reverse("partners:incentive-plan-list"), {"period": "quarter", "date": "2026-08-01"}
    )
    earned = page.content.decode()
    assert "¥100.00" in earned and "¥250.00" in earned  # rebate and spiff of 华东
    assert "Beta Supply" not in earned
    assert [(row["result"].plan.name, row["partner"]) for row in page.context["earned"]] == [
        ("Gold rebate", "华东 Distribution"),
        ("NAS spiff", "华东 Distribution"),
        ("NAS spiff", "金桥 Reseller"),  # its reseller (whose rebate stays below the threshold)
    ]


# --- The partner portal home -----------------------------------------------------------------


def test_portal_home_shows_the_partners_own_counts_and_none_of_the_others(world, client):
    today = datetime.date.today()
    d, b = world.distributor, world.partner_b
    world.offer(d, "offered", today)
    world.offer(d, "accepted", today, hours=1)
    world.offer(b, "offered", today)
    DealRegistrationFactory(organisation=d, status="submitted")
    DealRegistrationFactory(organisation=d, status="approved")
    DealRegistrationFactory(organisation=b, status="approved", customer_name="Beta's secret deal")
    AccountFactory(organisation=d, name="华东 customer")
    AccountFactory(organisation=b, name="Beta customer")
    world.order(d, "100.00", day=today, status="submitted")
    world.order(d, "100.00", day=today, status="delivered")
    CaseFactory(organisation=d, account=AccountFactory(organisation=d), kind="warranty")
    CaseFactory(organisation=b, account=AccountFactory(organisation=b))
    MdfAllocationFactory(organisation=d, amount="8000.00")
    MdfAllocationFactory(organisation=b, amount="99999.00")
    CertificationAwardFactory(organisation=d, holder=world.d_user)
    AnnouncementFactory(title="Gold partners: new price list")
    world.gold.required_certifications.add(CertificationFactory(name="Storage Expert"))

    client.force_login(world.d_user)
    page = client.get(reverse("partners:portal-home"))
    html = page.content.decode()
    home = page.context["home"]
    assert page.status_code == 200
    assert home.leads_waiting == 1
    assert dict((s, n) for s, _label, n in home.registrations) == {"submitted": 1, "approved": 1}
    assert home.accounts == 4  # its customer and the accounts of its two orders and case
    assert (home.open_orders, home.submitted_orders) == (1, 1)
    assert (home.open_cases, home.open_warranty_claims) == (1, 1)
    assert [row.remaining for row in home.mdf] == [Decimal("8000.00")]
    assert home.certifications_held == 1
    assert [c.name for c in home.tier_gaps] == ["Storage Expert"]
    assert "Gold partners: new price list" in html
    assert "¥8,000.00" in html
    for secret in ("Beta's secret deal", "Beta customer", "99,999", "Beta Supply"):
        assert secret not in html
    # The site's home shows partners their portal.
    assert client.get("/").context["home"].leads_waiting == 1


def test_portal_home_links_skip_pages_that_do_not_exist(world, client):
    from allyance.partners.views.incentives import portal_links, url_or_none

    assert url_or_none("partners:no-such-page") is None
    links = portal_links()
    assert links["scorecard"] == reverse("partners:scorecard")
    MdfAllocationFactory(organisation=world.distributor)  # the MDF card links to its pages
    client.force_login(world.d_user)
    html = client.get(reverse("partners:portal-home")).content.decode()
    for url in filter(None, links.values()):
        assert f'href="{url}' in html, url


def test_staff_home_is_unchanged(client, rep):
    client.force_login(rep)
    page = client.get("/")
    assert page.status_code == 200
    assert "core/home.html" in [t.name for t in page.templates]
    assert client.get(reverse("partners:portal-home")).url == reverse("home")
