"""Targets (quotas) per user, team and territory, and their attainment to date."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from allyance.core.models import Role
from allyance.sales.models import Target
from allyance.sales.selectors.reports import attainment, targets_visible_to
from tests.factories import (
    OpportunityFactory,
    PipelineFactory,
    TargetFactory,
    TeamFactory,
    TerritoryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Q4_START = datetime.date(2026, 10, 1)


def at(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC)


@pytest.fixture
def pipeline():
    return PipelineFactory()


def won(pipeline, owner, amount, *, day=datetime.date(2026, 11, 10), **kwargs):
    stage = pipeline.stages.get(name="Won")
    return OpportunityFactory(
        pipeline=pipeline,
        stage=stage,
        outcome="won",
        owner=owner,
        amount=amount,
        closed_at=at(day),
        **kwargs,
    )


def test_attainment_sums_only_won_deals_closed_in_the_period(admin_user, pipeline):
    rep = UserFactory()
    target = TargetFactory(user=rep, amount=100000, count=4)
    won(pipeline, rep, 30000)
    won(pipeline, rep, 20000, day=datetime.date(2026, 12, 31))
    won(pipeline, rep, 5000, currency="USD")  # counted as a deal, not added to CNY
    won(pipeline, rep, 99999, day=datetime.date(2026, 9, 30))  # previous quarter
    won(pipeline, UserFactory(), 77777)  # someone else's
    OpportunityFactory(pipeline=pipeline, owner=rep, amount=50000)  # still open
    lost = pipeline.stages.get(name="Lost")
    OpportunityFactory(
        pipeline=pipeline, stage=lost, outcome="lost", owner=rep, amount=1, closed_at=at(Q4_START)
    )

    result = attainment(admin_user, target)

    assert result["won_amount"] == Decimal("50000.00")
    assert result["won_count"] == 3
    assert result["amount_percent"] == Decimal("50.0")
    assert result["count_percent"] == Decimal("75.0")


def test_a_monthly_target_counts_only_its_month(admin_user, pipeline):
    rep = UserFactory()
    target = TargetFactory(
        user=rep, period=Target.Period.MONTH, period_start=datetime.date(2026, 11, 1)
    )
    won(pipeline, rep, 1000, day=datetime.date(2026, 11, 30))
    won(pipeline, rep, 2000, day=datetime.date(2026, 10, 31))
    assert attainment(admin_user, target)["won_amount"] == Decimal("1000.00")


def test_team_targets_count_the_members_deals(admin_user, pipeline):
    alice, bob, outsider = UserFactory(), UserFactory(), UserFactory()
    team = TeamFactory()
    team.members.add(alice, bob)
    target = TargetFactory(user=None, team=team, amount=10000)
    won(pipeline, alice, 1000)
    won(pipeline, bob, 2000)
    won(pipeline, outsider, 4000)
    result = attainment(admin_user, target)
    assert (result["won_amount"], result["won_count"]) == (Decimal("3000.00"), 2)
    assert result["amount_percent"] == Decimal("30.0")


def test_territory_targets_count_deals_in_the_territory_subtree(admin_user, pipeline):
    china = TerritoryFactory(name="China")
    east = TerritoryFactory(name="East", parent=china)
    japan = TerritoryFactory(name="Japan")
    target = TargetFactory(user=None, territory=china)
    won(pipeline, UserFactory(), 1000, territory=china)
    won(pipeline, UserFactory(), 2000, territory=east)
    won(pipeline, UserFactory(), 4000, territory=japan)
    won(pipeline, UserFactory(), 8000)
    assert attainment(admin_user, target)["won_amount"] == Decimal("3000.00")


def test_who_sees_which_targets(admin_user):
    manager = UserFactory(role=Role.SALES_MANAGER)
    member, rep = UserFactory(), UserFactory()
    team = TeamFactory(manager=manager)
    team.members.add(member)
    own = TargetFactory(user=rep)
    members = TargetFactory(user=member)
    teams = TargetFactory(user=None, team=team)
    partner = UserFactory(role=Role.PARTNER_ADMIN)

    assert set(targets_visible_to(admin_user)) == {own, members, teams}
    assert set(targets_visible_to(manager)) == {members, teams}
    assert set(targets_visible_to(rep)) == {own}
    assert not targets_visible_to(partner).exists()


def test_list_page_shows_attainment_with_a_progress_bar(client, pipeline):
    rep = UserFactory()
    TargetFactory(user=rep, amount=200000, period_start=datetime.date(2026, 10, 1))
    won(pipeline, rep, 50000)
    client.force_login(rep)
    html = client.get(reverse("sales:target-list")).content.decode()
    assert "50,000.00" in html and "25.0 %" in html
    assert 'role="progressbar"' in html
    assert 'data-testid="create"' not in html  # reps do not set targets


def test_a_manager_sets_targets_for_the_team_only(client, pipeline):
    manager = UserFactory(role=Role.SALES_MANAGER)
    member, stranger = UserFactory(), UserFactory()
    team = TeamFactory(manager=manager)
    team.members.add(member)
    client.force_login(manager)
    form = {
        "user": member.pk,
        "period": "quarter",
        "period_start": "2026-11-17",
        "amount": "300000",
        "currency": "CNY",
        "count": "5",
    }
    response = client.post(reverse("sales:target-create"), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    target = Target.objects.get(user=member)
    assert target.period_start == datetime.date(2026, 10, 1)  # the quarter's first day

    response = client.post(reverse("sales:target-create"), {**form, "user": stranger.pk})
    assert response.status_code == 200  # not a choice the manager has
    assert not Target.objects.filter(user=stranger).exists()

    duplicate = client.post(reverse("sales:target-create"), form)
    assert "already a target" in duplicate.content.decode()


def test_a_target_is_for_exactly_one_of_user_team_or_territory(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("sales:target-create"),
        {
            "user": UserFactory().pk,
            "team": TeamFactory().pk,
            "period": "month",
            "period_start": "2026-11-01",
            "amount": "1",
            "currency": "CNY",
            "count": "0",
        },
    )
    assert response.status_code == 200
    assert 'data-field-error="user"' in response.content.decode() or "exactly one" in (
        response.content.decode()
    )
    assert not Target.objects.exists()


def test_reps_and_partners_cannot_set_targets(client, rep, partner_a_user):
    client.force_login(rep)
    assert client.get(reverse("sales:target-create")).status_code == 403
    client.force_login(partner_a_user)
    assert client.get(reverse("sales:target-list")).status_code == 403


def test_api_lists_targets_with_attainment_and_validates(api, admin_user, pipeline, rep):
    won(pipeline, rep, 25000)
    client = api(admin_user)
    created = client.post(
        "/api/v1/targets/",
        {"user": rep.pk, "period": "quarter", "period_start": "2026-10-01", "amount": "100000"},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["won_amount"] == "25000.00" and body["amount_percent"] == "25.0"
    listed = client.get("/api/v1/targets/").json()["results"]
    assert [row["id"] for row in listed] == [body["id"]]

    both = client.post(
        "/api/v1/targets/",
        {
            "user": rep.pk,
            "team": TeamFactory().pk,
            "period": "month",
            "period_start": "2026-10-01",
            "amount": "1",
        },
        format="json",
    )
    assert both.status_code == 400 and "user" in both.json()
    negative = client.post(
        "/api/v1/targets/",
        {"user": rep.pk, "period": "month", "period_start": "2026-10-01", "amount": "-5"},
        format="json",
    )
    assert negative.status_code == 400 and "amount" in negative.json()
    again = client.post(
        "/api/v1/targets/",
        {"user": rep.pk, "period": "quarter", "period_start": "2026-11-11", "amount": "5"},
        format="json",
    )
    assert again.status_code == 400 and "period_start" in again.json()


def test_api_refuses_partners_and_lets_reps_read_only_their_own(api, rep, partner_a_user):
    TargetFactory(user=rep)
    TargetFactory()
    assert api(partner_a_user).get("/api/v1/targets/").status_code == 403
    rows = api(rep).get("/api/v1/targets/").json()["results"]
    assert [row["user"] for row in rows] == [rep.pk]
    refused = api(rep).post(
        "/api/v1/targets/",
        {"user": rep.pk, "period": "month", "period_start": "2026-10-01", "amount": "1"},
        format="json",
    )
    assert refused.status_code == 403
