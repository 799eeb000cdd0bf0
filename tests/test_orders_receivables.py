"""Receivables ageing: what each account owes by days past due, per currency, as of a date."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from allyance.orders.models import Invoice
from allyance.orders.selectors.billing import bucket_of, receivables_ageing
from allyance.orders.services.payments import payment_record
from tests.factories import AccountFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

AS_OF = datetime.date(2026, 12, 7)
D = Decimal


def owed(owner, account, total: str, *, days_past_due: int, currency="CNY", **fields):
    """An invoice of `total` due `days_past_due` days before AS_OF (negative: due later)."""
    due = AS_OF - datetime.timedelta(days=days_past_due)
    return InvoiceFactory(
        organisation=owner.organisation,
        owner=owner,
        account=account,
        currency=currency,
        total=D(total),
        issue_date=min(due, AS_OF) - datetime.timedelta(days=30),
        due_date=due,
        **fields,
    )


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (-5, "not_due"),
        (0, "not_due"),
        (1, "days_0_30"),
        (30, "days_0_30"),
        (31, "days_31_60"),
        (60, "days_31_60"),
        (61, "days_61_90"),
        (90, "days_61_90"),
        (91, "days_90_plus"),
        (400, "days_90_plus"),
    ],
)
def test_bucket_boundaries(days, bucket):
    assert bucket_of(days) == bucket


def test_ageing_puts_each_invoice_in_its_bucket_at_the_boundaries(admin_user):
    account = AccountFactory(owner=admin_user, name="Boundary Trading")
    for days, total in [
        (0, "1.00"),
        (30, "2.00"),
        (31, "4.00"),
        (60, "8.00"),
        (61, "16.00"),
        (90, "32.00"),
        (91, "64.00"),
    ]:
        owed(admin_user, account, total, days_past_due=days)
    ageing = receivables_ageing(admin_user, as_of=AS_OF)
    (row,) = ageing.rows
    assert (row.account_id, row.account_name, row.currency) == (
        account.pk,
        "Boundary Trading",
        "CNY",
    )
    assert row.amounts == {
        "not_due": D("1.00"),
        "days_0_30": D("2.00"),
        "days_31_60": D("12.00"),
        "days_61_90": D("48.00"),
        "days_90_plus": D("64.00"),
    }
    assert row.total == D("127.00")


def test_currencies_are_never_added_together_and_totals_are_per_currency(admin_user):
    first = AccountFactory(owner=admin_user, name="A")
    second = AccountFactory(owner=admin_user, name="B")
    owed(admin_user, first, "100.00", days_past_due=10)
    owed(admin_user, first, "30.00", days_past_due=45, currency="USD")
    owed(admin_user, second, "50.00", days_past_due=-3)
    ageing = receivables_ageing(admin_user, as_of=AS_OF)
    rows = {(row.account_id, row.currency): row for row in ageing.rows}
    assert set(rows) == {(first.pk, "CNY"), (first.pk, "USD"), (second.pk, "CNY")}
    assert rows[(first.pk, "USD")].days_31_60 == D("30.00")
    cny, usd = ageing.totals
    assert (cny.currency, cny.not_due, cny.days_0_30, cny.total) == (
        "CNY",
        D("50.00"),
        D("100.00"),
        D("150.00"),
    )
    assert (usd.currency, usd.total) == ("USD", D("30.00"))


def test_ageing_counts_only_what_was_owed_on_the_date(admin_user):
    account = AccountFactory(owner=admin_user)
    invoice = owed(admin_user, account, "100.00", days_past_due=40)
    for received_on, amount in ((AS_OF, "30.00"), (AS_OF + datetime.timedelta(days=1), "70.00")):
        payment_record(
            by=admin_user,
            account=account,
            received_on=received_on,
            amount=D(amount),
            currency="CNY",
            allocations={invoice.pk: D(amount)},
        )
    InvoiceFactory(  # issued after the date: not yet owed then
        organisation=admin_user.organisation,
        account=account,
        total=D("999.00"),
        issue_date=AS_OF + datetime.timedelta(days=2),
        due_date=AS_OF + datetime.timedelta(days=32),
    )
    owed(admin_user, account, "500.00", days_past_due=40, status=Invoice.Status.CANCELLED)
    (row,) = receivables_ageing(admin_user, as_of=AS_OF).rows
    assert row.days_31_60 == D("70.00") and row.total == D("70.00")
    later = AS_OF + datetime.timedelta(days=3)
    (row,) = receivables_ageing(admin_user, as_of=later).rows
    assert row.total == D("999.00") and row.not_due == D("999.00")


def test_partners_age_only_their_own_receivables(partner_a_user, partner_b_user, api):
    mine = AccountFactory(organisation=partner_a_user.organisation, owner=partner_a_user)
    theirs = AccountFactory(organisation=partner_b_user.organisation, owner=partner_b_user)
    owed(partner_a_user, mine, "10.00", days_past_due=5)
    owed(partner_b_user, theirs, "20.00", days_past_due=5)
    ageing = receivables_ageing(partner_a_user, as_of=AS_OF)
    assert [row.account_id for row in ageing.rows] == [mine.pk]
    response = api(partner_a_user).get(
        "/api/v1/reports/receivables-ageing/", {"as_of": AS_OF.isoformat()}
    )
    assert response.status_code == 200
    body = response.json()
    assert [row["account"] for row in body["results"]] == [mine.pk]
    assert body["results"][0]["days_0_30"] == "10.00"
    assert body["totals"] == [
        {
            "currency": "CNY",
            "not_due": "0.00",
            "days_0_30": "10.00",
            "days_31_60": "0.00",
            "days_61_90": "0.00",
            "days_90_plus": "0.00",
            "total": "10.00",
        }
    ]
    refused = api(partner_a_user).get("/api/v1/reports/receivables-ageing/", {"account": theirs.pk})
    assert refused.status_code == 400 and "account" in refused.json()


def test_api_filters_by_account_and_currency(admin_user, api):
    first, second = AccountFactory(owner=admin_user), AccountFactory(owner=admin_user)
    owed(admin_user, first, "10.00", days_past_due=100)
    owed(admin_user, first, "5.00", days_past_due=100, currency="USD")
    owed(admin_user, second, "20.00", days_past_due=100)
    client = api(admin_user)
    query = {"as_of": AS_OF.isoformat(), "account": first.pk, "currency": "USD"}
    body = client.get("/api/v1/reports/receivables-ageing/", query).json()
    assert [(r["account"], r["currency"], r["days_90_plus"]) for r in body["results"]] == [
        (first.pk, "USD", "5.00")
    ]
    assert client.get("/api/v1/reports/receivables-ageing/", {"as_of": "soon"}).status_code == 400


def test_receivables_page_and_exports(client, admin_user):
    account = AccountFactory(owner=admin_user, name="华南贸易")
    owed(admin_user, account, "300.00", days_past_due=75)
    owed(admin_user, account, "45.50", days_past_due=-1)
    client.force_login(admin_user)
    url = reverse("orders:receivables")
    response = client.get(url, {"as_of": AS_OF.isoformat()})
    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-testid="receivables-row-{account.pk}-CNY"' in html
    assert "华南贸易" in html and "345.50" in html
    assert 'data-testid="receivables-chart"' in html
    assert response.context["chart"]["series"] == [
        {"name": "CNY", "data": [45.5, 0.0, 0.0, 300.0, 0.0]}
    ]
    assert client.get(url, {"as_of": "yesterday-ish"}).status_code == 400
    export = reverse("orders:receivables-export")
    response = client.get(export, {"as_of": AS_OF.isoformat(), "format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "Account",
        "Currency",
        "Not yet due",
        "0–30",
        "31–60",
        "61–90",
        "90+",
        "Total",
    ]
    assert rows[1] == ["华南贸易", "CNY", "45.50", "0.00", "0.00", "300.00", "0.00", "345.50"]
    assert rows[2][:2] == ["Total", "CNY"]
    response = client.get(export, {"as_of": AS_OF.isoformat(), "format": "xlsx"})
    values = list(load_workbook(io.BytesIO(response.content)).active.values)
    assert values[1][0] == "华南贸易"
    assert D(str(values[1][-1])) == D("345.50")
