"""Commission plans and statements: flat and tiered rates, periods, currencies, rounding, export."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from allyance.core.models import AuditEntry, Role
from allyance.sales.models import CommissionPlan
from allyance.sales.services.commissions import commission_plan_save, commission_statement
from tests.factories import (
    OpportunityFactory,
    OrganisationFactory,
    TargetFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Q4 = datetime.date(2026, 10, 1)
TIERS = [
    {"from_attainment": 0, "rate": 2},
    {"from_attainment": 50, "rate": 4},
    {"from_attainment": 100, "rate": 6},
]


def at(day: datetime.date, hour: int = 12) -> datetime.datetime:
    zone = timezone.get_default_timezone()
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)), zone)


def won(owner, amount, *, day=datetime.date(2026, 11, 10), currency="CNY", name=None, **extra):
    values = {
        "owner": owner,
        "outcome": "won",
        "closed_at": at(day),
        "amount": Decimal(str(amount)),
        "currency": currency,
    }
    if name:
        values["name"] = name
    values.update(extra)
    return OpportunityFactory(**values)


def plan_for(*users, rate_kind="flat", flat_rate=None, tiers=None, tier_mode="whole", **extra):
    admin = UserFactory(role=Role.ADMIN)
    plan = CommissionPlan(
        name=extra.pop("name", f"Plan {CommissionPlan.objects.count() + 1}"),
        currency=extra.pop("currency", "CNY"),
        period=extra.pop("period", CommissionPlan.Period.QUARTER),
        rate_kind=rate_kind,
        flat_rate=flat_rate,
        tier_mode=tier_mode,
    )
    return commission_plan_save(plan=plan, by=admin, tiers=tiers, users=list(users))


@pytest.fixture
def rep():
    return UserFactory(username="rita", first_name="Rita", last_name="Rep")


def test_flat_rate_pays_the_percentage_of_each_won_deal(rep):
    plan = plan_for(rep, flat_rate=Decimal("3.00"))
    won(rep, 10000, name="Alpha")
    won(rep, "2500.50", name="Beta")
    statement = commission_statement(user=rep, plan=plan, period_start=Q4)
    assert [(line.deal.name, line.rate, line.commission) for line in statement.lines] == [
        ("Alpha", Decimal("3.00"), Decimal("300.00")),
        ("Beta", Decimal("3.00"), Decimal("75.02")),  # 75.015 rounds half up
    ]
    assert statement.total_amount == Decimal("12500.50")
    assert statement.total_commission == Decimal("375.02")


def test_only_won_deals_of_the_rep_closed_in_the_period_count(rep):
    plan = plan_for(rep, flat_rate=Decimal("10"))
    counted = won(rep, 1000, day=datetime.date(2026, 10, 1))
    last_day = won(rep, 1000, day=datetime.date(2026, 12, 31))
    won(rep, 1000, day=datetime.date(2026, 9, 30))  # previous quarter
    won(rep, 1000, day=datetime.date(2027, 1, 1))  # next quarter
    won(UserFactory(), 1000)  # someone else's
    OpportunityFactory(owner=rep, outcome="lost", closed_at=at(datetime.date(2026, 11, 1)))
    OpportunityFactory(owner=rep, outcome="open", amount=5000)
    statement = commission_statement(user=rep, plan=plan, period_start=Q4)
    assert [line.deal for line in statement.lines] == [counted, last_day]
    assert statement.total_commission == Decimal("200.00")


def test_period_boundaries_are_in_the_site_time_zone(rep, settings):
    plan = plan_for(rep, flat_rate=Decimal("10"))
    # 00:30 on 1 October in Shanghai is still 30 September in UTC.
    early = won(rep, 1000, day=datetime.date(2026, 10, 1))
    early.closed_at = at(datetime.date(2026, 10, 1), hour=0) + datetime.timedelta(minutes=30)
    early.save()
    statement = commission_statement(user=rep, plan=plan, period_start=Q4)
    assert [line.deal for line in statement.lines] == [early]
    assert statement.lines[0].closed_on == datetime.date(2026, 10, 1)


def test_deal_in_another_currency_is_excluded_with_the_reason(rep):
    plan = plan_for(rep, flat_rate=Decimal("5"))
    won(rep, 1000, name="Yuan deal")
    dollars = won(rep, 800, currency="USD", name="Dollar deal")
    statement = commission_statement(user=rep, plan=plan, period_start=Q4)
    assert [line.deal.name for line in statement.lines] == ["Yuan deal"]
    assert [item.deal for item in statement.excluded] == [dollars]
    assert "USD" in statement.excluded[0].reason and "CNY" in statement.excluded[0].reason
    assert statement.total_amount == Decimal("1000.00")  # nothing converted


@pytest.mark.parametrize(
    ("won_amount", "rate"),
    [("49999.99", Decimal("2")), ("50000.00", Decimal("4")), ("100000.00", Decimal("6"))],
)
def test_tier_by_attainment_on_both_sides_of_a_boundary(rep, won_amount, rate):
    TargetFactory(user=rep, period="quarter", period_start=Q4, amount=100000, currency="CNY")
    plan = plan_for(rep, rate_kind="tiered", tiers=TIERS)
    won(rep, won_amount)
    statement = commission_statement(user=rep, plan=plan, period_start=Q4)
    assert statement.lines[0].rate == rate
    expected = (Decimal(won_amount) * rate / 100).quantize(Decimal("0.01"))
    assert statement.total_commission == expected


def test_whole_amount_mode_pays_every_deal_at_the_tier_reached(rep):
    TargetFactory(user=rep, period="quarter", period_start=Q4, amount=100000, currency="CNY")
    plan = plan_for(rep, rate_kind="tiered", tiers=TIERS)
    won(rep, 40000, day=datetime.date(2026, 10, 5))
    won(rep, 20000, day=datetime.date(2026, 11, 5))
    statement = commission_statement(user=rep, plan=plan, period_start=Q4)
    assert statement.attainment == Decimal("60.00")
    assert [line.commission for line in statement.lines] == [Decimal("1600.00"), Decimal("800.00")]


def test_marginal_mode_pays_each_slice_at_its_own_tier(rep):
    TargetFactory(user=rep, period="quarter", period_start=Q4, amount=100000, currency="CNY")
    plan = plan_for(rep, rate_kind="tiered", tiers=TIERS, tier_mode="marginal")
    won(rep, 40000, day=datetime.date(2026, 10, 5))
    won(rep, 20000, day=datetime.date(2026, 11, 5))  # 10 000 at 2 %, 10 000 at 4 %
    won(rep, 50000, day=datetime.date(2026, 12, 5))  # 40 000 at 4 %, 10 000 at 6 %
    statement = commission_statement(user=rep, plan=plan, period_start=Q4)
    assert [line.commission for line in statement.lines] == [
        Decimal("800.00"),
        Decimal("600.00"),
        Decimal("2200.00"),
    ]
    assert statement.lines[1].slices == [
        (Decimal("10000"), Decimal("2")),
        (Decimal("10000"), Decimal("4")),
    ]
    assert statement.lines[1].rate == Decimal("3.00")
    assert statement.total_commission == Decimal("3600.00")


def test_tiered_plan_without_a_target_pays_the_lowest_tier_and_says_so(rep):
    plan = plan_for(rep, rate_kind="tiered", tiers=TIERS)
    won(rep, 1000)
    statement = commission_statement(user=rep, plan=plan, period_start=Q4)
    assert statement.lines[0].rate == Decimal("2")
    assert statement.attainment is None
    assert statement.notes


def test_lines_are_rounded_half_up_and_totals_are_the_sum_of_lines(rep):
    plan = plan_for(rep, flat_rate=Decimal("1"))
    for _ in range(3):
        won(rep, "12.50")  # 0.125 each
    statement = commission_statement(user=rep, plan=plan, period_start=Q4)
    assert [line.commission for line in statement.lines] == [Decimal("0.13")] * 3
    assert statement.total_commission == Decimal("0.39")  # not round(0.375) = 0.38


def test_monthly_plan_and_period_start_must_start_the_period(rep):
    plan = plan_for(rep, flat_rate=Decimal("1"), period="month")
    won(rep, 100, day=datetime.date(2026, 11, 30))
    assert (
        len(
            commission_statement(user=rep, plan=plan, period_start=datetime.date(2026, 11, 1)).lines
        )
        == 1
    )
    with pytest.raises(ValidationError):
        commission_statement(user=rep, plan=plan, period_start=datetime.date(2026, 11, 2))
    quarterly = plan_for(rep, flat_rate=Decimal("1"))
    with pytest.raises(ValidationError):
        commission_statement(user=rep, plan=quarterly, period_start=datetime.date(2026, 11, 1))


def test_plan_rules_and_audit():
    admin = UserFactory(role=Role.ADMIN)
    with pytest.raises(PermissionDenied):
        commission_plan_save(plan=CommissionPlan(name="X", flat_rate=1), by=UserFactory())
    with pytest.raises(ValidationError):
        commission_plan_save(plan=CommissionPlan(name="Flat"), by=admin)
    with pytest.raises(ValidationError):
        commission_plan_save(
            plan=CommissionPlan(name="Tiered", rate_kind="tiered"), by=admin, tiers=[]
        )
    with pytest.raises(ValidationError):
        commission_plan_save(
            plan=CommissionPlan(name="Gap", rate_kind="tiered"),
            by=admin,
            tiers=[{"from_attainment": 10, "rate": 2}],
        )
    partner_user = UserFactory(role=Role.PARTNER_USER, organisation=OrganisationFactory())
    with pytest.raises(ValidationError):
        commission_plan_save(
            plan=CommissionPlan(name="Partner", flat_rate=1), by=admin, users=[partner_user]
        )
    plan = commission_plan_save(plan=CommissionPlan(name="Good", flat_rate=2), by=admin)
    entry = AuditEntry.objects.get(object_id=str(plan.pk), object_repr="Good")
    assert entry.actor == admin


# ------------------------------------------------------------------------------ exports


@pytest.fixture
def statement_setup(rep):
    plan = plan_for(rep, flat_rate=Decimal("3"), name="Reps 2026")
    won(rep, 10000, name="Alpha", day=datetime.date(2026, 10, 20))
    won(rep, 5000, name="=HYPERLINK(1)", day=datetime.date(2026, 11, 20))
    won(rep, 700, name="Dollar deal", currency="USD")
    return plan


def test_statement_exports_as_csv(client, rep, statement_setup):
    client.force_login(rep)
    answer = client.get(
        reverse("sales:commission-export"),
        {"plan": statement_setup.pk, "period_start": "2026-10-01", "format": "csv"},
    )
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/csv")
    text = answer.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert ["2026-10-20", "Alpha", rows[7][2], "10000.00", "CNY", "3.00", "300.00"] == rows[7]
    assert rows[8][1] == "'=HYPERLINK(1)"  # never a formula
    assert rows[9] == ["Total", "", "", "15000.00", "CNY", "", "450.00"]
    excluded = [row for row in rows if "Dollar deal" in row]
    assert excluded and "USD" in excluded[0]


def test_statement_exports_as_xlsx(client, rep, statement_setup):
    client.force_login(rep)
    answer = client.get(
        reverse("sales:commission-export"),
        {"plan": statement_setup.pk, "period_start": "2026-10-01", "format": "xlsx"},
    )
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][:2] == ["Rep", str(rep)]
    alpha = next(row for row in rows if row[1] == "Alpha")
    assert Decimal(str(alpha[3])) == Decimal("10000") and Decimal(str(alpha[6])) == Decimal("300")
    total = next(row for row in rows if row[0] == "Total")
    assert Decimal(str(total[6])) == Decimal("450")


def test_team_totals_export_lists_the_managers_reps_only(client, rep):
    manager = UserFactory(role=Role.SALES_MANAGER)
    TeamFactory(manager=manager).members.add(rep)
    outsider = UserFactory(username="outsider")
    plan = plan_for(rep, outsider, flat_rate=Decimal("10"))
    won(rep, 1000)
    won(outsider, 5000)
    client.force_login(manager)
    query = {"plan": plan.pk, "period_start": "2026-10-01", "kind": "team"}
    answer = client.get(reverse("sales:commission-export"), {**query, "format": "xlsx"})
    rows = [
        list(r)
        for r in load_workbook(io.BytesIO(answer.content)).active.iter_rows(values_only=True)
    ]
    assert [row[0] for row in rows] == ["Rep", str(rep), "Total"]
    assert Decimal(str(rows[1][5])) == Decimal("100")
    answer = client.get(reverse("sales:commission-export"), {**query, "format": "csv"})
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[1][:6] == [str(rep), "1000.00", "CNY", "", "", "100.00"]
    page = client.get(reverse("sales:commission-team"), query).content.decode()
    assert str(rep) in page and "outsider" not in page


def test_rep_cannot_export_the_team_or_see_another_reps_statement(client, rep):
    other = UserFactory()
    plan = plan_for(rep, other, flat_rate=Decimal("10"))
    client.force_login(rep)
    query = {"plan": plan.pk, "period_start": "2026-10-01"}
    assert (
        client.get(reverse("sales:commission-export"), {**query, "kind": "team"}).status_code == 403
    )
    assert client.get(reverse("sales:commission-team"), query).status_code == 403
    answer = client.get(reverse("sales:commission-statement"), {**query, "user": other.pk})
    assert answer.status_code == 200
    assert 'data-field-error="user"' in answer.content.decode()


def test_statement_page_shows_lines_and_excluded(client, rep, statement_setup):
    client.force_login(rep)
    page = client.get(reverse("sales:commission-statement")).content.decode()
    # Defaults to the current period, then the chosen one shows the deals.
    page = client.get(
        reverse("sales:commission-statement"),
        {"plan": statement_setup.pk, "period_start": "2026-10-01"},
    ).content.decode()
    assert "Alpha" in page and "450.00" in page
    assert 'data-testid="statement-excluded"' in page and "Dollar deal" in page


def test_partner_gets_no_commission_pages(client):
    partner = UserFactory(role=Role.PARTNER_ADMIN, organisation=OrganisationFactory())
    client.force_login(partner)
    for name in (
        "sales:commission-statement",
        "sales:commission-plan-list",
        "sales:commission-team",
    ):
        assert client.get(reverse(name)).status_code == 403


def test_admin_creates_a_tiered_plan_through_the_form(client, rep):
    admin = UserFactory(role=Role.ADMIN)
    client.force_login(admin)
    data = {
        "name": "Tiered 2027",
        "currency": "CNY",
        "is_active": "on",
        "period": "quarter",
        "rate_kind": "tiered",
        "flat_rate": "",
        "tier_mode": "marginal",
        "users": [rep.pk],
        "description": "",
        "tiers-TOTAL_FORMS": "3",
        "tiers-INITIAL_FORMS": "0",
        "tiers-MIN_NUM_FORMS": "0",
        "tiers-MAX_NUM_FORMS": "1000",
        "tiers-0-from_attainment": "0",
        "tiers-0-rate": "2",
        "tiers-1-from_attainment": "50",
        "tiers-1-rate": "4",
        "tiers-2-from_attainment": "",
        "tiers-2-rate": "",
    }
    answer = client.post(reverse("sales:commission-plan-create"), data)
    assert answer.status_code == 302, answer.content.decode()[-3000:]
    plan = CommissionPlan.objects.get(name="Tiered 2027")
    assert [(t.from_attainment, t.rate) for t in plan.tiers.all()] == [
        (Decimal("0.00"), Decimal("2.00")),
        (Decimal("50.00"), Decimal("4.00")),
    ]
    assert list(plan.users.all()) == [rep]
    client.force_login(rep)
    assert client.post(reverse("sales:commission-plan-create"), data).status_code == 403


# ------------------------------------------------------------------------------ API


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_plans_api_staff_read_admin_write_partner_nothing(rep):
    plan = plan_for(rep, flat_rate=Decimal("2"))
    assert api(rep).get("/api/v1/commission-plans/").json()[0]["id"] == plan.pk
    assert api(rep).patch(f"/api/v1/commission-plans/{plan.pk}/", {"name": "x"}).status_code == 403
    partner = UserFactory(role=Role.PARTNER_USER, organisation=OrganisationFactory())
    assert api(partner).get("/api/v1/commission-plans/").status_code == 403
    admin = UserFactory(role=Role.ADMIN)
    created = api(admin).post(
        "/api/v1/commission-plans/",
        {
            "name": "API tiered",
            "currency": "CNY",
            "period": "month",
            "rate_kind": "tiered",
            "tier_mode": "whole",
            "tiers": TIERS,
            "users": [rep.pk],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    assert [t["rate"] for t in created.json()["tiers"]] == ["2.00", "4.00", "6.00"]
    bad = api(admin).post(
        "/api/v1/commission-plans/",
        {"name": "No rate", "rate_kind": "flat"},
        format="json",
    )
    assert bad.status_code == 400 and "flat_rate" in bad.json()


def test_statements_api_is_scoped(rep):
    manager = UserFactory(role=Role.SALES_MANAGER)
    TeamFactory(manager=manager).members.add(rep)
    other = UserFactory()
    plan = plan_for(rep, other, flat_rate=Decimal("10"))
    won(rep, 1000, name="Alpha")
    won(rep, 90, currency="USD")
    mine = api(rep).get("/api/v1/commission-statements/", {"period_start": "2026-10-01"})
    assert mine.status_code == 200, mine.content
    [statement] = mine.json()
    assert statement["plan"] == plan.pk and statement["total_commission"] == "100.00"
    assert statement["lines"][0]["name"] == "Alpha"
    assert statement["excluded"][0]["currency"] == "USD"
    for_rep = api(manager).get(
        "/api/v1/commission-statements/", {"period_start": "2026-10-01", "user": rep.pk}
    )
    assert for_rep.status_code == 200 and for_rep.json()[0]["user"] == rep.pk
    refused = api(rep).get(
        "/api/v1/commission-statements/", {"period_start": "2026-10-01", "user": other.pk}
    )
    assert refused.status_code == 400
    bad_period = api(rep).get("/api/v1/commission-statements/", {"period_start": "2026-11-01"})
    assert bad_period.status_code == 400 and "period_start" in bad_period.json()
    partner = UserFactory(role=Role.PARTNER_USER, organisation=OrganisationFactory())
    assert (
        api(partner)
        .get("/api/v1/commission-statements/", {"period_start": "2026-10-01"})
        .status_code
        == 403
    )


def test_manager_not_on_the_plan_opens_it_at_a_rep_of_the_team(client, rep):
    manager = UserFactory(role=Role.SALES_MANAGER)
    TeamFactory(manager=manager).members.add(rep)
    plan = plan_for(rep, flat_rate=Decimal("10"))
    won(rep, 1000, name="Team deal")
    client.force_login(manager)
    page = client.get(
        reverse("sales:commission-statement"), {"plan": plan.pk, "period_start": "2026-10-01"}
    ).content.decode()
    assert "Team deal" in page and "100.00" in page
