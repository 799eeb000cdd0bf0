"""Forecast, funnel, win rate and sales cycle: the numbers a sales team plans with.

Every number goes through the visibility gate: a rep's forecast holds only their scope,
partner A's reports never include partner B's amounts.
"""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from allyance.core.models import Role
from allyance.sales.models import StageChange
from allyance.sales.selectors import reports
from tests.factories import (
    OpportunityFactory,
    OrganisationFactory,
    PipelineFactory,
    TeamFactory,
    TerritoryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Q4 = reports.period_of("quarter", datetime.date(2026, 10, 1))
IN_Q4 = datetime.date(2026, 11, 15)
AFTER_Q4 = datetime.date(2027, 1, 5)


def at(day: datetime.date, hour: int = 12) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=datetime.UTC)


def stage(pipeline, name):
    return pipeline.stages.get(name=name)


def deal(pipeline, stage_name="Qualify", **kwargs):
    s = stage(pipeline, stage_name)
    kwargs.setdefault("close_date", IN_Q4)
    return OpportunityFactory(
        pipeline=pipeline,
        stage=s,
        probability=s.probability,
        forecast_category=s.forecast_category,
        outcome=s.outcome,
        **kwargs,
    )


def totals(data) -> dict:
    return {
        (row["category"], row["currency"]): (row["count"], row["amount"], row["weighted_amount"])
        for row in data["totals"]
    }


def test_periods_are_months_and_quarters():
    assert reports.period_of("quarter", datetime.date(2026, 11, 23)) == reports.Period(
        "quarter", datetime.date(2026, 10, 1), datetime.date(2027, 1, 1)
    )
    assert reports.period_of("month", datetime.date(2026, 12, 31)).end == datetime.date(2027, 1, 1)
    assert Q4.shifted(1).start == datetime.date(2027, 1, 1)
    assert Q4.label == "2026 Q4"


def test_forecast_rolls_up_categories_and_weighted_amounts_per_currency(admin_user):
    pipeline = PipelineFactory()
    owner = UserFactory()
    deal(pipeline, "Qualify", amount=1000, owner=owner)  # 10 %
    deal(pipeline, "Propose", amount=2000, owner=owner)  # 50 %, best case
    deal(pipeline, "Propose", amount=400, currency="USD", owner=owner)
    deal(pipeline, "Won", amount=5000, owner=owner, closed_at=at(IN_Q4))
    deal(pipeline, "Lost", amount=9999, owner=owner)  # lost: not forecast
    deal(pipeline, "Qualify", amount=7777, owner=owner, close_date=AFTER_Q4)  # next quarter

    data = reports.forecast(admin_user, Q4)

    assert totals(data) == {
        ("pipeline", "CNY"): (1, Decimal("1000.00"), Decimal("100.00")),
        ("best_case", "CNY"): (1, Decimal("2000.00"), Decimal("1000.00")),
        ("best_case", "USD"): (1, Decimal("400.00"), Decimal("200.00")),
        ("closed", "CNY"): (1, Decimal("5000.00"), Decimal("5000.00")),
    }
    assert data["currencies"] == ["CNY", "USD"]
    owner_rows = {(r["owner"], r["category"], r["currency"]) for r in data["by_owner"]}
    assert (owner.pk, "best_case", "USD") in owner_rows
    assert {r["owner_name"] for r in data["by_owner"]} == {str(owner)}


def test_forecast_by_team_counts_the_members_deals(admin_user):
    pipeline = PipelineFactory()
    alice, bob = UserFactory(), UserFactory()
    team = TeamFactory(name="East")
    team.members.add(alice)
    deal(pipeline, amount=1000, owner=alice)
    deal(pipeline, amount=300, owner=bob)

    data = reports.forecast(admin_user, Q4)

    by_team = {r["team_name"]: r["amount"] for r in data["by_team"]}
    assert by_team == {"East": Decimal("1000.00"), "": Decimal("300.00")}


def test_a_reps_forecast_excludes_deals_outside_their_scope():
    pipeline = PipelineFactory()
    territory = TerritoryFactory()
    rep = UserFactory(role=Role.SALES_REP)
    rep.territories.add(territory)
    other = UserFactory(role=Role.SALES_REP)
    deal(pipeline, amount=100, owner=rep)
    deal(pipeline, amount=20, owner=other, territory=territory)  # in the rep's territory
    deal(pipeline, amount=5000, owner=other)  # someone else's, elsewhere

    data = reports.forecast(rep, Q4)

    assert totals(data) == {("pipeline", "CNY"): (2, Decimal("120.00"), Decimal("12.00"))}


def test_partner_reports_exclude_the_other_partners_deals():
    pipeline = PipelineFactory()
    a = UserFactory(role=Role.PARTNER_USER, organisation=OrganisationFactory())
    b = UserFactory(role=Role.PARTNER_ADMIN, organisation=OrganisationFactory())
    deal(pipeline, amount=111, owner=a, organisation=a.organisation)
    deal(pipeline, amount=222000, owner=b, organisation=b.organisation)
    deal(
        pipeline,
        "Won",
        amount=333000,
        owner=b,
        organisation=b.organisation,
        closed_at=at(IN_Q4),
    )

    forecast = reports.forecast(a, Q4)
    assert totals(forecast) == {("pipeline", "CNY"): (1, Decimal("111.00"), Decimal("11.10"))}
    funnel = reports.funnel(a, pipeline=pipeline)
    assert funnel[0]["stages"][0]["amounts"] == [{"currency": "CNY", "amount": Decimal("111.00")}]
    assert reports.win_rate(a, Q4)["by_owner"] == []


def test_report_api_gives_partner_a_none_of_partner_bs_amounts(api):
    pipeline = PipelineFactory()
    a = UserFactory(role=Role.PARTNER_USER, organisation=OrganisationFactory())
    b = UserFactory(role=Role.PARTNER_ADMIN, organisation=OrganisationFactory())
    today = timezone.localdate()
    deal(pipeline, amount=111, owner=a, organisation=a.organisation, close_date=today)
    deal(pipeline, amount=987654, owner=b, organisation=b.organisation, close_date=today)
    deal(
        pipeline,
        "Won",
        amount=876543,
        owner=b,
        organisation=b.organisation,
        close_date=today,
        closed_at=timezone.now(),
    )
    client = api(a)
    for name in ("forecast", "funnel", "win-rate"):
        response = client.get(f"/api/v1/reports/{name}/")
        assert response.status_code == 200, response.content
        body = response.content.decode()
        assert "987654" not in body and "876543" not in body, name
    forecast = client.get("/api/v1/reports/forecast/").json()
    assert [(r["category"], r["amount"]) for r in forecast["totals"]] == [("pipeline", "111.00")]


def test_funnel_counts_deals_that_reached_each_stage_and_converts(admin_user):
    pipeline = PipelineFactory()
    qualify, propose, won, lost = (
        stage(pipeline, n) for n in ("Qualify", "Propose", "Won", "Lost")
    )
    # Four deals entered Qualify; two went on to Propose, one of them was won; one lost early.
    moves = [
        ("Qualify", [qualify]),
        ("Propose", [qualify, propose]),
        ("Won", [qualify, propose, won]),
        ("Lost", [qualify, lost]),
    ]
    for index, (current, path) in enumerate(moves):
        opportunity = deal(pipeline, current, amount=1000 * (index + 1))
        previous = None
        for step, s in enumerate(path):
            StageChange.objects.create(
                opportunity=opportunity,
                from_stage=previous,
                to_stage=s,
                changed_at=at(IN_Q4) + datetime.timedelta(days=step),
            )
            previous = s

    [result] = reports.funnel(admin_user, pipeline=pipeline)

    rows = {r["stage_name"]: r for r in result["stages"]}
    assert list(rows) == ["Qualify", "Propose", "Won"]  # the lost stage is not a funnel step
    assert [rows[n]["count"] for n in rows] == [4, 2, 1]
    assert rows["Qualify"]["conversion"] is None
    assert rows["Propose"]["conversion"] == Decimal("50.0")
    assert rows["Won"]["conversion"] == Decimal("50.0")
    assert rows["Qualify"]["amounts"] == [{"currency": "CNY", "amount": Decimal("10000.00")}]
    assert rows["Propose"]["amounts"] == [{"currency": "CNY", "amount": Decimal("5000.00")}]


def test_funnel_leaves_out_pipelines_without_visible_deals(rep):
    mine, theirs = PipelineFactory(), PipelineFactory()
    deal(mine, owner=rep)
    deal(theirs, owner=UserFactory())
    assert [p["pipeline"] for p in reports.funnel(rep)] == [mine.pk]


def test_win_rate_and_sales_cycle_by_owner_and_source(admin_user):
    pipeline = PipelineFactory()
    alice, bob = UserFactory(), UserFactory()

    def closed(owner, outcome, days, source):
        created = at(IN_Q4) - datetime.timedelta(days=days)
        opportunity = deal(pipeline, outcome, owner=owner, source=source, closed_at=at(IN_Q4))
        type(opportunity).objects.filter(pk=opportunity.pk).update(created_at=created)

    closed(alice, "Won", 10, "web")
    closed(alice, "Won", 20, "web")
    closed(alice, "Lost", 30, "referral")
    closed(bob, "Lost", 40, "web")
    deal(pipeline, "Won", owner=bob, closed_at=at(AFTER_Q4))  # another quarter
    deal(pipeline, "Qualify", owner=bob)  # still open

    data = reports.win_rate(admin_user, Q4)

    owners = {r["owner"]: r for r in data["by_owner"]}
    assert (owners[alice.pk]["won"], owners[alice.pk]["lost"]) == (2, 1)
    assert owners[alice.pk]["win_rate"] == Decimal("66.7")
    assert owners[alice.pk]["average_cycle_days"] == Decimal("20.0")
    assert owners[bob.pk]["win_rate"] == Decimal("0.0")
    assert owners[bob.pk]["average_cycle_days"] == Decimal("40.0")
    sources = {r["source"]: r for r in data["by_source"]}
    assert sources["web"]["win_rate"] == Decimal("66.7")
    assert sources["referral"]["win_rate"] == Decimal("0.0")
    assert data["total"]["won"] == 2 and data["total"]["lost"] == 2
    assert data["total"]["average_cycle_days"] == Decimal("25.0")


def test_report_pages_show_the_numbers_in_tables(client, admin_user):
    pipeline = PipelineFactory()
    today = timezone.localdate()
    deal(pipeline, "Propose", amount=123456, owner=admin_user, close_date=today)
    client.force_login(admin_user)
    forecast = client.get(reverse("sales:forecast")).content.decode()
    assert "123,456.00" in forecast or "123456.00" in forecast
    assert 'id="forecast-data"' in forecast
    funnel = client.get(reverse("sales:funnel")).content.decode()
    assert pipeline.name in funnel and f'id="funnel-data-{pipeline.pk}"' in funnel
    performance = client.get(reverse("sales:performance"))
    assert performance.status_code == 200


def test_report_pages_refuse_bad_periods_gracefully(client, admin_user):
    client.force_login(admin_user)
    for query in ("?period=month&date=2026-02-30", "?period=x&date=junk", "?pipeline=abc"):
        assert client.get(reverse("sales:forecast") + query).status_code == 200
        assert client.get(reverse("sales:funnel") + query).status_code == 200
        assert client.get(reverse("sales:performance") + query).status_code == 200
