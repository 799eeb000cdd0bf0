"""Invoices and payments received: invoicing orders (in part), payments over invoices, exports,
pages and API, with partners seeing only their own organisation's invoices and payments."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from allyance.core.models import Role
from allyance.core.search import global_search
from allyance.orders.models import Invoice, Order, OrderSettings, Payment, PaymentAllocation
from allyance.orders.selectors.billing import account_balances, overdue_invoices
from allyance.orders.services.invoices import (
    invoice_cancel,
    invoice_create,
    invoice_from_order,
    remaining_quantities,
)
from allyance.orders.services.lines import recalculate
from allyance.orders.services.payments import (
    payment_allocate,
    payment_delete,
    payment_record,
)
from tests.factories import (
    AccountFactory,
    InvoiceFactory,
    OrderFactory,
    OrderLineFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 7)
D = Decimal


def make_order(owner, *, lines=((2, "100.00", "13.00"),), discount="0", account=None, **fields):
    """A confirmed order with `lines` of (quantity, unit price, tax rate), totals stored."""
    organisation = owner.organisation
    account = account or AccountFactory(organisation=organisation, owner=owner)
    order = OrderFactory(
        organisation=organisation,
        owner=owner,
        account=account,
        discount_percent=D(discount),
        **fields,
    )
    for position, (quantity, price, tax) in enumerate(lines, start=1):
        OrderLineFactory(
            order=order,
            position=position,
            quantity=D(str(quantity)),
            unit_price=D(price),
            list_price=D(price),
            tax_rate=D(tax),
        )
    recalculate(order)
    order.refresh_from_db()
    return order


def invoice_for(owner, *, total="113.00", account=None, currency="CNY", **fields):
    """An issued invoice of `total` (no lines) for `account`."""
    account = account or AccountFactory(organisation=owner.organisation, owner=owner)
    return InvoiceFactory(
        organisation=owner.organisation,
        owner=owner,
        account=account,
        currency=currency,
        total=D(total),
        **fields,
    )


def pay(by, account, amount, allocations=None, *, currency="CNY", received_on=TODAY, **extra):
    return payment_record(
        by=by,
        account=account,
        received_on=received_on,
        amount=D(amount),
        currency=currency,
        allocations={k.pk if hasattr(k, "pk") else k: D(v) for k, v in (allocations or {}).items()},
        **extra,
    )


def reload(record):
    record.refresh_from_db()
    return record


def assert_invariants():
    """paid = Σ allocations, never above the total; a payment's allocations ≤ its amount."""
    for invoice in Invoice.objects.all():
        allocated = invoice.allocations.aggregate(s=Sum("amount"))["s"] or D("0")
        assert invoice.amount_paid == allocated
        assert invoice.amount_paid <= invoice.total
    for payment in Payment.objects.all():
        allocated = payment.allocations.aggregate(s=Sum("amount"))["s"] or D("0")
        assert allocated <= payment.amount


# --- Invoicing an order ----------------------------------------------------------------------


def test_invoicing_a_whole_order_copies_its_lines_prices_and_totals(admin_user):
    order = make_order(admin_user, lines=((2, "100.00", "13.00"), (3, "33.33", "6.00")))
    invoice = invoice_from_order(order, by=admin_user, issue_date=datetime.date(2026, 11, 2))
    assert invoice.number.startswith("INV-2026-")
    assert invoice.status == Invoice.Status.ISSUED
    assert (invoice.account, invoice.currency, invoice.owner) == (
        order.account,
        order.currency,
        admin_user,
    )
    assert invoice.organisation_id == order.organisation_id
    lines = list(invoice.lines.order_by("position"))
    assert [(line.quantity, line.unit_price, line.order_line_id) for line in lines] == [
        (D("2"), D("100.00"), lines[0].order_line_id),
        (D("3"), D("33.33"), lines[1].order_line_id),
    ]
    assert (invoice.subtotal, invoice.tax_total, invoice.total) == (
        order.subtotal,
        order.tax_total,
        order.total,
    )
    assert invoice.total == D("226.00") + D("105.99")  # 200 + 13 % and 99.99 + 6 %
    assert invoice.balance == invoice.total


def test_due_date_is_issue_date_plus_the_settings_terms_unless_terms_are_given(admin_user):
    settings = OrderSettings.current()
    settings.payment_terms_days = 45
    settings.save()
    issued = datetime.date(2026, 11, 20)
    invoice = invoice_from_order(make_order(admin_user), by=admin_user, issue_date=issued)
    assert invoice.payment_terms_days == 45
    assert invoice.due_date == datetime.date(2027, 1, 4)
    other = invoice_from_order(
        make_order(admin_user), by=admin_user, issue_date=issued, payment_terms_days=10
    )
    assert other.due_date == datetime.date(2026, 11, 30)


def test_the_orders_overall_discount_carries_over(admin_user):
    order = make_order(admin_user, lines=((1, "1000.00", "13.00"),), discount="10")
    invoice = invoice_from_order(order, by=admin_user)
    assert invoice.discount_percent == D("10")
    assert invoice.discount_total == D("100.00")
    assert invoice.total == D("1017.00") == order.total


def test_partial_invoicing_then_the_rest(admin_user):
    order = make_order(admin_user, lines=((5, "10.00", "0"), (2, "50.00", "0")))
    first_line, second_line = order.lines.order_by("position")
    first = invoice_from_order(order, by=admin_user, quantities={first_line.pk: D("3")})
    assert [(line.order_line_id, line.quantity) for line in first.lines.all()] == [
        (first_line.pk, D("3"))
    ]
    assert first.total == D("30.00")
    assert remaining_quantities(order) == {first_line.pk: D("2"), second_line.pk: D("2")}
    rest = invoice_from_order(order, by=admin_user)
    assert rest.total == D("120.00")
    assert set(remaining_quantities(order).values()) == {D("0")}
    with pytest.raises(ValidationError) as error:
        invoice_from_order(order, by=admin_user)
    assert "quantities" in error.value.message_dict


def test_invoicing_more_than_ordered_minus_invoiced_is_refused(admin_user):
    order = make_order(admin_user, lines=((4, "10.00", "0"),))
    line = order.lines.get()
    invoice_from_order(order, by=admin_user, quantities={line.pk: D("3")})
    with pytest.raises(ValidationError) as error:
        invoice_from_order(order, by=admin_user, quantities={line.pk: D("1.5")})
    assert f"line_{line.pk}" in error.value.message_dict
    assert "1" in error.value.message_dict[f"line_{line.pk}"][0]
    assert Invoice.objects.count() == 1


def test_a_cancelled_invoice_frees_its_quantities(admin_user):
    order = make_order(admin_user, lines=((2, "10.00", "0"),))
    line = order.lines.get()
    invoice = invoice_from_order(order, by=admin_user)
    invoice_cancel(invoice, by=admin_user, reason="Wrong address")
    assert remaining_quantities(order) == {line.pk: D("2")}
    again = invoice_from_order(order, by=admin_user)
    assert again.total == D("20.00")


def test_empty_invoices_and_cancelled_orders_and_strange_quantities_are_refused(admin_user):
    order = make_order(admin_user, lines=((2, "10.00", "0"),))
    line = order.lines.get()
    with pytest.raises(ValidationError) as error:
        invoice_from_order(order, by=admin_user, quantities={line.pk: D("0")})
    assert "quantities" in error.value.message_dict
    for bad in (D("-1"), D("0.0001"), "lots"):
        with pytest.raises(ValidationError) as error:
            invoice_from_order(order, by=admin_user, quantities={line.pk: bad})
        assert f"line_{line.pk}" in error.value.message_dict
    other = make_order(admin_user).lines.get()
    with pytest.raises(ValidationError):
        invoice_from_order(order, by=admin_user, quantities={other.pk: D("1")})
    Order.objects.filter(pk=order.pk).update(status=Order.Status.CANCELLED)
    with pytest.raises(ValidationError) as error:
        invoice_from_order(order, by=admin_user)
    assert "order" in error.value.message_dict
    assert not Invoice.objects.exists()


def test_portal_customers_cannot_invoice(admin_user):
    order = make_order(admin_user)
    customer = UserFactory(role=Role.CUSTOMER, customer_account=order.account)
    with pytest.raises(PermissionDenied):
        invoice_from_order(order, by=customer)


def test_cancel_needs_a_reason_and_no_payments(admin_user):
    invoice = invoice_from_order(make_order(admin_user), by=admin_user)
    with pytest.raises(ValidationError):
        invoice_cancel(invoice, by=admin_user, reason="  ")
    pay(admin_user, invoice.account, "10.00", {invoice: "10.00"})
    with pytest.raises(ValidationError):
        invoice_cancel(invoice, by=admin_user, reason="Duplicate")
    assert reload(invoice).status == Invoice.Status.PARTLY_PAID
    fresh = invoice_from_order(make_order(admin_user), by=admin_user)
    cancelled = invoice_cancel(fresh, by=admin_user, reason="Duplicate")
    assert cancelled.status == Invoice.Status.CANCELLED
    assert "Duplicate" in cancelled.notes
    assert cancelled.balance == D("0.00")
    with pytest.raises(ValidationError):
        invoice_cancel(cancelled, by=admin_user, reason="Again")


# --- Payments --------------------------------------------------------------------------------


def test_a_partial_payment_leaves_the_right_balance_then_full_payment_pays(admin_user):
    invoice = invoice_for(admin_user, total="1000.00")
    payment = pay(admin_user, invoice.account, "333.33", {invoice: "333.33"}, reference="TT-1")
    invoice = reload(invoice)
    assert invoice.amount_paid == D("333.33")
    assert invoice.balance == D("666.67")
    assert invoice.status == Invoice.Status.PARTLY_PAID
    assert payment.organisation_id == invoice.account.organisation_id
    pay(admin_user, invoice.account, "666.67", {invoice: "666.67"})
    invoice = reload(invoice)
    assert (invoice.balance, invoice.status) == (D("0.00"), Invoice.Status.PAID)
    assert_invariants()


def test_one_payment_over_several_invoices_and_the_rest_as_credit(admin_user):
    account = AccountFactory(owner=admin_user)
    first = invoice_for(admin_user, total="100.00", account=account)
    second = invoice_for(admin_user, total="250.50", account=account)
    payment = pay(admin_user, account, "400.00", {first: "100.00", second: "200.25"})
    assert reload(first).status == Invoice.Status.PAID
    assert reload(second).balance == D("50.25")
    assert PaymentAllocation.objects.filter(payment=payment).count() == 2
    (balance,) = account_balances(admin_user, account=account)
    assert balance.credit == D("99.75")
    assert balance.outstanding == D("50.25")
    assert_invariants()


def test_several_payments_on_one_invoice(admin_user):
    invoice = invoice_for(admin_user, total="90.00")
    for _ in range(3):
        pay(admin_user, invoice.account, "30.00", {invoice: "30.00"})
    invoice = reload(invoice)
    assert invoice.status == Invoice.Status.PAID
    assert invoice.allocations.count() == 3
    assert_invariants()


def test_allocating_more_than_the_balance_or_the_payment_is_refused(admin_user):
    account = AccountFactory(owner=admin_user)
    invoice = invoice_for(admin_user, total="100.00", account=account)
    other = invoice_for(admin_user, total="100.00", account=account)
    with pytest.raises(ValidationError) as error:
        pay(admin_user, account, "200.00", {invoice: "100.01"})
    assert f"allocation_{invoice.pk}" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        pay(admin_user, account, "150.00", {invoice: "100.00", other: "50.01"})
    assert "amount" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        pay(admin_user, account, "10.001", {invoice: "10.00"})
    assert "amount" in error.value.message_dict
    assert not Payment.objects.exists()
    assert reload(invoice).amount_paid == D("0")


def test_allocations_to_another_account_or_currency_or_a_closed_invoice_are_refused(admin_user):
    account = AccountFactory(owner=admin_user)
    elsewhere = invoice_for(admin_user, total="100.00")
    in_dollars = invoice_for(admin_user, total="100.00", account=account, currency="USD")
    cancelled = invoice_for(
        admin_user, total="100.00", account=account, status=Invoice.Status.CANCELLED
    )
    for invoice in (elsewhere, in_dollars, cancelled):
        with pytest.raises(ValidationError) as error:
            pay(admin_user, account, "50.00", {invoice: "50.00"})
        assert f"allocation_{invoice.pk}" in error.value.message_dict
    assert not Payment.objects.exists()


def test_a_partner_cannot_allocate_to_another_partners_invoice(partner_a_user, partner_b_user):
    account = AccountFactory(organisation=partner_a_user.organisation, owner=partner_a_user)
    theirs = invoice_for(partner_b_user, account=account)
    with pytest.raises(ValidationError) as error:
        pay(partner_a_user, account, "50.00", {theirs: "50.00"})
    assert error.value.message_dict[f"allocation_{theirs.pk}"] == ["No such invoice."]


def test_deleting_a_payment_reverses_its_allocations(admin_user):
    account = AccountFactory(owner=admin_user)
    first = invoice_for(admin_user, total="100.00", account=account)
    second = invoice_for(admin_user, total="100.00", account=account)
    kept = pay(admin_user, account, "40.00", {second: "40.00"})
    gone = pay(admin_user, account, "160.00", {first: "100.00", second: "60.00"})
    assert reload(second).status == Invoice.Status.PAID
    payment_delete(gone, by=admin_user)
    assert not Payment.objects.filter(pk=gone.pk).exists()
    first, second = reload(first), reload(second)
    assert (first.amount_paid, first.status) == (D("0"), Invoice.Status.ISSUED)
    assert (second.amount_paid, second.status) == (D("40.00"), Invoice.Status.PARTLY_PAID)
    assert Payment.objects.get() == kept
    assert_invariants()


def test_allocating_the_rest_of_a_payment_later(admin_user):
    account = AccountFactory(owner=admin_user)
    first = invoice_for(admin_user, total="100.00", account=account)
    payment = pay(admin_user, account, "150.00", {first: "60.00"})
    later = invoice_for(admin_user, total="80.00", account=account)
    payment_allocate(payment, by=admin_user, allocations={first.pk: D("40.00"), later.pk: D("50")})
    assert reload(first).status == Invoice.Status.PAID
    assert payment.allocations.get(invoice=first).amount == D("100.00")
    assert reload(later).balance == D("30.00")
    with pytest.raises(ValidationError) as error:
        payment_allocate(payment, by=admin_user, allocations={later.pk: D("0.01")})
    assert "allocations" in error.value.message_dict
    assert_invariants()


def test_amounts_stay_exact_to_the_cent(admin_user):
    invoice = invoice_for(admin_user, total="100.00")
    for _ in range(3):
        pay(admin_user, invoice.account, "33.33", {invoice: "33.33"})
    invoice = reload(invoice)
    assert invoice.balance == D("0.01")
    assert invoice.status == Invoice.Status.PARTLY_PAID
    pay(admin_user, invoice.account, "0.01", {invoice: "0.01"})
    assert reload(invoice).status == Invoice.Status.PAID


# --- Reads -----------------------------------------------------------------------------------


def test_overdue_invoices_are_past_due_with_a_balance(admin_user):
    today = timezone.localdate()
    late = invoice_for(admin_user, due_date=today - datetime.timedelta(days=1))
    due_today = invoice_for(admin_user, due_date=today)
    paid = invoice_for(admin_user, due_date=today - datetime.timedelta(days=5))
    pay(admin_user, paid.account, "113.00", {paid: "113.00"})
    cancelled = invoice_for(
        admin_user, due_date=today - datetime.timedelta(days=5), status=Invoice.Status.CANCELLED
    )
    overdue = set(overdue_invoices(admin_user))
    assert late in overdue
    assert not overdue & {due_today, paid, cancelled}


def test_account_balances_per_currency(admin_user):
    account = AccountFactory(owner=admin_user)
    today = timezone.localdate()
    late = invoice_for(
        admin_user, total="500.00", account=account, due_date=today - datetime.timedelta(days=3)
    )
    invoice_for(admin_user, total="200.00", account=account)
    invoice_for(admin_user, total="70.00", account=account, currency="USD")
    pay(admin_user, account, "150.00", {late: "100.00"})
    cny, usd = account_balances(admin_user, account=account)
    assert (cny.currency, cny.invoiced, cny.paid, cny.outstanding, cny.overdue, cny.credit) == (
        "CNY",
        D("700.00"),
        D("100.00"),
        D("600.00"),
        D("400.00"),
        D("50.00"),
    )
    assert (usd.currency, usd.outstanding, usd.credit) == ("USD", D("70.00"), D("0"))


def test_global_search_finds_invoices_and_payments_within_the_gate(
    admin_user, partner_a_user, partner_b_user
):
    invoice = invoice_for(partner_a_user, number="INV-2026-77777")
    payment = pay(partner_a_user, invoice.account, "5.00", reference="WIRE-ZX81")

    def found(user, query: str, group: str) -> list:
        return next(g["rows"] for g in global_search(user, query) if g["type"] == group)

    assert found(admin_user, "INV-2026-77777", "invoices") == [invoice]
    assert found(partner_a_user, "WIRE-ZX81", "payments") == [payment]
    assert found(partner_b_user, "INV-2026-77777", "invoices") == []
    assert found(partner_b_user, "WIRE-ZX81", "payments") == []


# --- Exports ---------------------------------------------------------------------------------


def _csv(response) -> list[list[str]]:
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_invoice_export_csv_and_xlsx(client, admin_user, partner_b_user):
    invoice = invoice_for(admin_user, total="1234.56", number="INV-2026-00420")
    pay(admin_user, invoice.account, "234.56", {invoice: "234.56"})
    hidden = invoice_for(partner_b_user, number="INV-2026-00999")
    client.force_login(admin_user)
    url = reverse("orders:invoice-export")
    rows = _csv(client.get(url, {"format": "csv", "status": "partly_paid"}))
    assert rows[0][:2] == ["Number", "Account"]
    assert [row[0] for row in rows[1:]] == ["INV-2026-00420"]
    assert rows[1][rows[0].index("Balance")] == "1000.00"
    response = client.get(url, {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    numbers = {row[0] for row in values[1:]}
    assert "INV-2026-00420" in numbers and hidden.number in numbers  # the admin sees all
    row = next(r for r in values if r[0] == "INV-2026-00420")
    assert D(str(row[values[0].index("Paid")])) == D("234.56")
    client.force_login(partner_b_user)
    rows = _csv(client.get(url, {"format": "csv"}))
    assert [row[0] for row in rows[1:]] == [hidden.number]


def test_payment_export_lists_allocations_and_credit(client, admin_user):
    account = AccountFactory(owner=admin_user, name="华东机械")
    first = invoice_for(admin_user, total="100.00", account=account, number="INV-2026-00501")
    second = invoice_for(admin_user, total="100.00", account=account, number="INV-2026-00502")
    pay(admin_user, account, "250.00", {first: "100.00", second: "80.00"}, reference="=HACK()")
    client.force_login(admin_user)
    rows = _csv(client.get(reverse("orders:payment-export"), {"format": "csv"}))
    header, body = rows[0], rows[1:]
    allocated_to = header.index("Allocated to")
    assert [(row[allocated_to], row[allocated_to + 1]) for row in body] == [
        ("INV-2026-00501", "100.00"),
        ("INV-2026-00502", "80.00"),
        ("Unallocated credit", "70.00"),
    ]
    assert {row[header.index("Account")] for row in body} == {"华东机械"}
    assert body[0][header.index("Reference")] == "'=HACK()"
    response = client.get(reverse("orders:payment-export"), {"format": "xlsx"})
    values = list(load_workbook(io.BytesIO(response.content)).active.values)
    assert len(values) == 4


@pytest.mark.parametrize(
    ("language", "account", "currency"), [("zh-hans", "客户", None), ("zh-hant", None, "幣別")]
)
def test_export_headers_are_in_the_users_language(client, admin_user, language, account, currency):
    admin_user.language = language
    admin_user.save()
    client.force_login(admin_user)
    header = _csv(client.get(reverse("orders:invoice-export"), {"format": "csv"}))[0]
    assert header[1] != "Account" and header[6] != "Currency"
    assert account is None or header[1] == account
    assert currency is None or header[6] == currency


def test_exports_refuse_unknown_formats(client, admin_user):
    client.force_login(admin_user)
    for name in ("orders:invoice-export", "orders:payment-export", "orders:receivables-export"):
        assert client.get(reverse(name), {"format": "pdf"}).status_code == 404
        assert client.get(reverse(name), {"format": "csv"}).status_code == 200


# --- Pages -----------------------------------------------------------------------------------


def test_invoice_pages_show_a_partner_only_its_own_invoices(client, partner_a_user, partner_b_user):
    mine = invoice_for(partner_a_user, number="INV-2026-11111")
    theirs = invoice_for(partner_b_user, number="INV-2026-22222")
    client.force_login(partner_a_user)
    html = client.get(reverse("orders:invoice-list")).content.decode()
    assert "INV-2026-11111" in html and "INV-2026-22222" not in html
    assert client.get(mine.get_absolute_url()).status_code == 200
    assert client.get(theirs.get_absolute_url()).status_code == 404
    assert client.get(reverse("orders:payment-create"), {"invoice": theirs.pk}).status_code == 200
    response = client.get(reverse("orders:payment-create"), {"invoice": theirs.pk})
    assert "INV-2026-22222" not in response.content.decode()


def test_invoice_detail_shows_balance_status_overdue_and_payments(client, admin_user):
    invoice = invoice_for(
        admin_user, total="500.00", due_date=timezone.localdate() - datetime.timedelta(days=12)
    )
    payment = pay(admin_user, invoice.account, "200.00", {invoice: "200.00"}, reference="R-42")
    client.force_login(admin_user)
    html = client.get(invoice.get_absolute_url()).content.decode()
    assert 'data-testid="invoice-balance">300.00 CNY' in html
    assert 'data-testid="invoice-status"' in html and "Partly paid" in html
    assert 'data-testid="invoice-overdue"' in html and "12 days" in html
    assert f'data-testid="invoice-allocation-{payment.pk}"' in html
    assert f"{reverse('orders:payment-create')}?invoice={invoice.pk}" in html
    assert 'data-testid="invoice-record-payment"' in html


def test_overdue_page_lists_only_overdue_invoices(client, admin_user):
    late = invoice_for(
        admin_user, number="INV-2026-30001", due_date=timezone.localdate() - datetime.timedelta(1)
    )
    invoice_for(admin_user, number="INV-2026-30002")
    client.force_login(admin_user)
    html = client.get(reverse("orders:invoice-overdue-list")).content.decode()
    assert late.number in html and "INV-2026-30002" not in html
    html = client.get(reverse("orders:invoice-list"), {"overdue": "true"}).content.decode()
    assert late.number in html and "INV-2026-30002" not in html


def test_invoice_from_order_page_prefills_what_remains_and_shows_errors_by_the_line(
    client, admin_user
):
    order = make_order(admin_user, lines=((5, "10.00", "0"),))
    line = order.lines.get()
    invoice_from_order(order, by=admin_user, quantities={line.pk: D("2")})
    client.force_login(admin_user)
    url = reverse("orders:invoice-from-order")
    assert client.get(url).status_code == 200
    response = client.get(url, {"order": order.number})
    assert response.status_code == 200
    assert f'name="line_{line.pk}" value="3"' in response.content.decode()
    post = {"issue_date": "2026-12-01", "payment_terms_days": "14", f"line_{line.pk}": "4"}
    response = client.post(f"{url}?order={order.pk}", post)
    assert response.status_code == 400
    assert f'data-field-error="line_{line.pk}"' in response.content.decode()
    post[f"line_{line.pk}"] = "3"
    response = client.post(f"{url}?order={order.pk}", post)
    invoice = Invoice.objects.latest("id")
    assert response.status_code == 302 and response.url == invoice.get_absolute_url()
    assert invoice.total == D("30.00")
    assert invoice.due_date == datetime.date(2026, 12, 15)


def test_invoice_from_order_page_does_not_find_another_partners_order(
    client, partner_a_user, partner_b_user
):
    theirs = make_order(partner_b_user)
    client.force_login(partner_a_user)
    response = client.get(reverse("orders:invoice-from-order"), {"order": theirs.number})
    assert response.status_code == 400
    assert 'data-field-error="order"' in response.content.decode()


def test_cancel_page(client, admin_user):
    invoice = invoice_from_order(make_order(admin_user), by=admin_user)
    client.force_login(admin_user)
    url = reverse("orders:invoice-cancel", args=[invoice.pk])
    response = client.post(url, {"reason": "", "version": invoice.version})
    assert response.status_code == 400
    assert 'data-field-error="reason"' in response.content.decode()
    response = client.post(url, {"reason": "Wrong customer", "version": invoice.version})
    assert response.status_code == 302
    assert reload(invoice).status == Invoice.Status.CANCELLED


def test_payment_form_prefilled_from_an_invoice_records_and_allocates(client, admin_user):
    account = AccountFactory(owner=admin_user)
    older = invoice_for(
        admin_user, total="80.00", account=account, due_date=datetime.date(2026, 10, 1)
    )
    invoice = invoice_for(admin_user, total="120.00", account=account)
    client.force_login(admin_user)
    url = reverse("orders:payment-create")
    html = client.get(url, {"invoice": invoice.pk}).content.decode()
    assert f'data-testid="payment-allocation-{invoice.pk}"' in html
    assert f'data-testid="payment-allocation-{older.pk}"' in html
    assert 'name="amount" value="120.00"' in html
    post = {
        "loaded_for": f"{account.pk}-CNY",
        "account": account.pk,
        "received_on": "2026-12-01",
        "amount": "150.00",
        "currency": "CNY",
        "method": "bank_transfer",
        "reference": "TT-77",
        f"allocation_{invoice.pk}": "120.00",
        f"allocation_{older.pk}": "30.00",
    }
    response = client.post(url, post)
    payment = Payment.objects.get()
    assert response.status_code == 302 and response.url == payment.get_absolute_url()
    assert reload(invoice).status == Invoice.Status.PAID
    assert reload(older).balance == D("50.00")
    detail = client.get(payment.get_absolute_url()).content.decode()
    assert f'data-testid="payment-allocated-{invoice.pk}"' in detail


def test_payment_form_spreads_the_amount_oldest_first_and_shows_errors_by_the_field(
    client, admin_user
):
    account = AccountFactory(owner=admin_user)
    oldest = invoice_for(
        admin_user, total="50.00", account=account, due_date=datetime.date(2026, 9, 1)
    )
    newer = invoice_for(
        admin_user, total="100.00", account=account, due_date=datetime.date(2026, 11, 1)
    )
    client.force_login(admin_user)
    url = reverse("orders:payment-create")
    base = {
        "account": account.pk,
        "received_on": "2026-12-01",
        "amount": "80.00",
        "currency": "CNY",
        "method": "cash",
    }
    response = client.post(url, {**base, "load": "1"})
    html = response.content.decode()
    assert f'name="allocation_{oldest.pk}" value="50.00"' in html
    assert f'name="allocation_{newer.pk}" value="30.00"' in html
    assert not Payment.objects.exists()
    over = {
        **base,
        "loaded_for": f"{account.pk}-CNY",
        f"allocation_{oldest.pk}": "60.00",
    }
    response = client.post(url, over)
    assert response.status_code == 400
    assert f'data-field-error="allocation_{oldest.pk}"' in response.content.decode()
    assert not Payment.objects.exists()


def test_payment_pages_allocate_the_rest_and_delete(client, admin_user):
    account = AccountFactory(owner=admin_user)
    invoice = invoice_for(admin_user, total="100.00", account=account)
    payment = pay(admin_user, account, "100.00")
    client.force_login(admin_user)
    html = client.get(payment.get_absolute_url()).content.decode()
    assert f'name="allocation_{invoice.pk}" value="100.00"' in html
    url = reverse("orders:payment-allocate", args=[payment.pk])
    response = client.post(url, {f"allocation_{invoice.pk}": "100.01", "version": 1})
    assert response.status_code == 400
    response = client.post(url, {f"allocation_{invoice.pk}": "100.00", "version": 1})
    assert response.status_code == 302
    assert reload(invoice).status == Invoice.Status.PAID
    html = client.get(payment.get_absolute_url()).content.decode()
    assert 'data-testid="payment-allocated">100.00 CNY' in html
    assert 'data-testid="payment-unallocated">0.00 CNY' in html
    response = client.post(reverse("orders:payment-delete", args=[payment.pk]))
    assert response.status_code == 302
    assert reload(invoice).status == Invoice.Status.ISSUED


def test_payment_list_shows_a_partner_only_its_own_payments(client, partner_a_user, partner_b_user):
    mine = pay(partner_a_user, invoice_for(partner_a_user).account, "1.00", reference="OURS-1")
    theirs = pay(partner_b_user, invoice_for(partner_b_user).account, "1.00", reference="THEIRS-1")
    client.force_login(partner_a_user)
    html = client.get(reverse("orders:payment-list")).content.decode()
    assert "OURS-1" in html and "THEIRS-1" not in html
    assert client.get(mine.get_absolute_url()).status_code == 200
    assert client.get(theirs.get_absolute_url()).status_code == 404
    response = client.post(reverse("orders:payment-delete", args=[theirs.pk]))
    assert response.status_code == 404
    assert Payment.objects.filter(pk=theirs.pk).exists()


def test_account_page_shows_the_billing_panel(client, admin_user):
    account = AccountFactory(owner=admin_user)
    invoice_for(
        admin_user,
        total="300.00",
        account=account,
        number="INV-2026-40404",
        due_date=timezone.localdate() - datetime.timedelta(days=2),
    )
    invoice = Invoice.objects.get(number="INV-2026-40404")
    pay(admin_user, account, "100.20", {invoice: "100.10"})
    client.force_login(admin_user)
    html = client.get(account.get_absolute_url()).content.decode()
    assert 'data-testid="account-billing"' in html
    assert "INV-2026-40404" in html
    row = html.split('data-testid="account-balance-CNY">', 1)[1].split("</tr>", 1)[0]
    cells = [cell.split(">", 1)[1] for cell in row.split("</td>")[:4]]
    assert cells == ["CNY", "199.90", "199.90", "0.10"]  # outstanding, overdue, credit


def test_portal_customer_reads_but_cannot_record_payments(client, admin_user):
    invoice = invoice_for(admin_user)
    customer = UserFactory(role=Role.CUSTOMER, customer_account=invoice.account)
    client.force_login(customer)
    html = client.get(invoice.get_absolute_url()).content.decode()
    assert 'data-testid="invoice-balance"' in html
    assert 'data-testid="invoice-record-payment"' not in html
    assert client.get(reverse("orders:payment-create")).status_code == 403


# --- API -------------------------------------------------------------------------------------


def test_api_invoices_an_order_in_part_and_refuses_too_much(api, admin_user):
    order = make_order(admin_user, lines=((3, "10.00", "0"),))
    line = order.lines.get()
    client = api(admin_user)
    response = client.post(
        "/api/v1/invoices/",
        {"order": order.pk, "lines": [{"order_line": line.pk, "quantity": "2"}]},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["total"] == "20.00" and body["balance"] == "20.00"
    assert body["lines"][0]["quantity"] == "2.000"
    response = client.post(
        "/api/v1/invoices/",
        {"order": order.pk, "lines": [{"order_line": line.pk, "quantity": "2"}]},
        format="json",
    )
    assert response.status_code == 400
    assert str(line.pk) in response.json()["lines"]
    response = client.post("/api/v1/invoices/", {"order": order.pk}, format="json")
    assert response.status_code == 201 and response.json()["total"] == "10.00"
    assert client.patch(f"/api/v1/invoices/{body['id']}/", {"notes": "x"}).status_code == 405


def test_api_cancel_and_overdue_filter(api, admin_user):
    late = invoice_for(admin_user, due_date=timezone.localdate() - datetime.timedelta(days=3))
    current = invoice_for(admin_user)
    client = api(admin_user)
    ids = {row["id"] for row in client.get("/api/v1/invoices/?overdue=true").json()["results"]}
    assert ids == {late.pk}
    response = client.post(f"/api/v1/invoices/{current.pk}/cancel/", {}, format="json")
    assert response.status_code == 400
    response = client.post(
        f"/api/v1/invoices/{current.pk}/cancel/", {"reason": "Duplicate"}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "cancelled"


def test_api_payments_create_allocate_and_delete(api, admin_user):
    account = AccountFactory(owner=admin_user)
    first = invoice_for(admin_user, total="100.00", account=account)
    second = invoice_for(admin_user, total="100.00", account=account)
    client = api(admin_user)
    payload = {
        "account": account.pk,
        "received_on": "2026-12-01",
        "amount": "150.00",
        "currency": "CNY",
        "method": "bank_transfer",
        "reference": "API-1",
        "allocations": [{"invoice": first.pk, "amount": "100.00"}],
    }
    response = client.post("/api/v1/payments/", payload, format="json")
    assert response.status_code == 201, response.content
    payment = response.json()
    assert payment["unallocated"] == "50.00"
    assert payment["allocated"][0]["invoice"] == first.pk
    assert reload(first).status == Invoice.Status.PAID
    response = client.post(
        f"/api/v1/payments/{payment['id']}/allocate/",
        {"allocations": [{"invoice": second.pk, "amount": "50.01"}]},
        format="json",
    )
    assert response.status_code == 400 and "allocations" in response.json()
    response = client.post(
        f"/api/v1/payments/{payment['id']}/allocate/",
        {"allocations": [{"invoice": second.pk, "amount": "50.00"}]},
        format="json",
    )
    assert response.status_code == 200 and response.json()["unallocated"] == "0.00"
    over = {**payload, "allocations": [{"invoice": second.pk, "amount": "60.00"}]}
    response = client.post("/api/v1/payments/", over, format="json")
    assert response.status_code == 400
    assert str(second.pk) in response.json()["allocations"]
    assert client.delete(f"/api/v1/payments/{payment['id']}/").status_code == 204
    assert reload(first).status == Invoice.Status.ISSUED
    assert reload(second).amount_paid == D("0")
    assert_invariants()


def test_api_partner_sees_only_its_own_invoices_and_payments(api, partner_a_user, partner_b_user):
    mine = invoice_for(partner_a_user)
    theirs = invoice_for(partner_b_user)
    their_payment = pay(partner_b_user, theirs.account, "1.00")
    client = api(partner_a_user)
    ids = {row["id"] for row in client.get("/api/v1/invoices/").json()["results"]}
    assert ids == {mine.pk}
    assert client.get(f"/api/v1/invoices/{theirs.pk}/").status_code == 404
    assert client.get("/api/v1/payments/").json()["results"] == []
    assert client.delete(f"/api/v1/payments/{their_payment.pk}/").status_code == 404
    response = client.post(
        "/api/v1/payments/",
        {
            "account": theirs.account_id,
            "received_on": "2026-12-01",
            "amount": "1.00",
            "currency": "CNY",
        },
        format="json",
    )
    assert response.status_code == 400 and "account" in response.json()


# --- Invoices without an order ---------------------------------------------------------------


def test_an_invoice_without_an_order_has_free_text_lines(admin_user):
    account = AccountFactory(owner=admin_user)
    invoice = invoice_create(
        by=admin_user,
        account=account,
        currency="CNY",
        issue_date=datetime.date(2026, 12, 1),
        payment_terms_days=15,
        lines=[
            {"description": "Installation", "quantity": "2", "unit_price": "150", "tax_rate": "6"},
            {"description": "", "quantity": "", "unit_price": ""},  # an empty row is skipped
        ],
    )
    assert invoice.order is None and invoice.account == account
    assert invoice.lines.count() == 1
    assert invoice.total == D("318.00")
    assert invoice.due_date == datetime.date(2026, 12, 16)
    assert invoice.number.startswith("INV-2026-")


def test_an_invoice_without_an_order_refuses_bad_lines_and_keeps_no_number(admin_user):
    account = AccountFactory(owner=admin_user)
    with pytest.raises(ValidationError) as error:
        invoice_create(by=admin_user, account=account, currency="CNY", lines=[])
    assert "lines" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        invoice_create(
            by=admin_user,
            account=account,
            currency="CNY",
            lines=[
                {"description": "Fine", "quantity": "1", "unit_price": "10"},
                {"description": "No price", "quantity": "1"},
                {"description": "Odd", "quantity": "many", "unit_price": "1"},
            ],
        )
    assert set(error.value.message_dict) == {"line_1", "line_2"}
    assert not Invoice.objects.exists()
    invoice = invoice_create(
        by=admin_user,
        account=account,
        currency="CNY",
        issue_date=datetime.date(2026, 12, 1),
        lines=[{"description": "Fine", "quantity": "1", "unit_price": "10"}],
    )
    assert invoice.number == "INV-2026-00001"  # refused attempts used no number


def test_invoice_create_page_shows_line_errors_beside_the_line(client, admin_user):
    account = AccountFactory(owner=admin_user)
    client.force_login(admin_user)
    url = reverse("orders:invoice-create")
    assert client.get(url).status_code == 200
    post = {
        "account": account.pk,
        "currency": "CNY",
        "issue_date": "2026-12-01",
        "payment_terms_days": "30",
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-0-description": "Training day",
        "lines-0-quantity": "1",
        "lines-1-description": "",
    }
    response = client.post(url, post)
    assert response.status_code == 400
    assert 'data-field-error="lines-0"' in response.content.decode()
    post["lines-0-unit_price"] = "800"
    response = client.post(url, post)
    invoice = Invoice.objects.get()
    assert response.status_code == 302 and response.url == invoice.get_absolute_url()
    assert invoice.total == D("800.00")


def test_api_invoice_without_an_order(api, admin_user, partner_a_user):
    account = AccountFactory(owner=admin_user)
    client = api(admin_user)
    payload = {
        "account": account.pk,
        "currency": "USD",
        "lines": [{"description": "Support", "quantity": "3", "unit_price": "99.99"}],
    }
    response = client.post("/api/v1/invoices/", payload, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["total"] == "299.97" and response.json()["currency"] == "USD"
    response = client.post("/api/v1/invoices/", {"lines": []}, format="json")
    assert response.status_code == 400 and "order" in response.json()
    partner = api(partner_a_user).post("/api/v1/invoices/", payload, format="json")
    assert partner.status_code == 400 and "account" in partner.json()
