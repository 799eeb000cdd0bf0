"""Orders and fulfilment: conversion from a quote, direct entry, shipments and the status they
drive, cancellation, the account's timeline, and the pages and API through the gate."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from allyance.core.models import Role
from allyance.core.search import global_search
from allyance.core.timeline import timeline_for
from allyance.orders.models import Order, Shipment
from allyance.orders.services.fulfilment import (
    order_cancel,
    order_close,
    order_create,
    order_from_quote,
    order_line_add,
    order_line_remove,
    order_mark_delivered,
    order_save,
    remaining_quantities,
    shipment_delete,
    shipment_mark_delivered,
    shipment_record,
)
from allyance.orders.services.lines import recalculate
from tests.factories import (
    AccountFactory,
    OrganisationFactory,
    PriceListItemFactory,
    QuoteFactory,
    QuoteLineFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()


def accepted_quote(owner, **fields):
    """An accepted quote of two lines: 2 × 100.00 and 3 × 50.00 at 13 % tax, 10 % off overall."""
    quote = QuoteFactory(
        status="accepted",
        owner=owner,
        organisation=owner.organisation,
        discount_percent=Decimal("10"),
        terms="Net 30",
        **fields,
    )
    QuoteLineFactory(quote=quote, quantity=2, unit_price="100.00", list_price="100.00")
    QuoteLineFactory(quote=quote, quantity=3, unit_price="50.00", list_price="50.00")
    recalculate(quote)
    quote.refresh_from_db()
    return quote


def order_with_lines(owner, *quantities) -> Order:
    """A directly entered order with free-text lines of the given quantities at 10.00 each."""
    account = AccountFactory(organisation=owner.organisation, owner=owner)
    order = order_create(by=owner, account=account, currency="CNY")
    for number, quantity in enumerate(quantities, start=1):
        order_line_add(
            order,
            by=owner,
            quantity=Decimal(quantity),
            description=f"Item {number}",
            unit_price=Decimal("10.00"),
            tax_rate=Decimal("13"),
        )
    order.refresh_from_db()
    return order


def ship(order, by, quantities, **extra) -> Shipment:
    lines = list(order.lines.order_by("position"))
    return shipment_record(
        order,
        by=by,
        shipped_on=extra.pop("shipped_on", TODAY),
        carrier=extra.pop("carrier", "SF Express"),
        tracking_number=extra.pop("tracking_number", "SF1234567890"),
        lines={line.pk: Decimal(q) for line, q in zip(lines, quantities, strict=True) if q},
        **extra,
    )


# --------------------------------------------------------------------------- from a quote


def test_an_accepted_quote_becomes_an_order_with_its_lines_and_totals(rep):
    quote = accepted_quote(rep)
    order = order_from_quote(quote, by=rep)
    assert order.number.startswith(f"SO-{TODAY.year}-")
    assert order.status == Order.Status.CONFIRMED
    assert order.order_date == TODAY
    assert order.quote == quote
    assert (order.account, order.price_list, order.currency) == (
        quote.account,
        quote.price_list,
        quote.currency,
    )
    assert order.discount_percent == Decimal("10") and order.terms == "Net 30"
    assert order.owner == rep and order.organisation == rep.organisation
    lines = list(order.lines.order_by("position"))
    assert [(line.quantity, line.unit_price) for line in lines] == [
        (Decimal("2"), Decimal("100.00")),
        (Decimal("3"), Decimal("50.00")),
    ]
    # 350.00 less 10 % = 315.00, plus 13 % tax = 355.95: the quote's own totals.
    assert order.subtotal == quote.subtotal == Decimal("350.00")
    assert order.total == quote.total == Decimal("355.95")


@pytest.mark.parametrize("status", ["draft", "sent", "rejected", "expired"])
def test_only_an_accepted_quote_becomes_an_order(rep, status):
    quote = accepted_quote(rep)
    quote.status = status
    quote.save()
    with pytest.raises(ValidationError, match="accepted"):
        order_from_quote(quote, by=rep)
    assert not Order.objects.exists()


def test_a_quote_makes_one_live_order_a_second_only_after_cancelling(rep):
    quote = accepted_quote(rep)
    first = order_from_quote(quote, by=rep)
    with pytest.raises(ValidationError, match=first.number):
        order_from_quote(quote, by=rep)
    order_cancel(first, by=rep, reason="Customer changed the model")
    second = order_from_quote(quote, by=rep)
    assert second.number != first.number
    assert quote.orders.count() == 2


def test_a_partner_cannot_convert_another_partners_quote(partner_a_user, partner_b_user):
    quote = accepted_quote(partner_b_user)
    with pytest.raises(PermissionDenied):
        order_from_quote(quote, by=partner_a_user)
    assert not Order.objects.exists()


# --------------------------------------------------------------------------- direct entry


def test_a_direct_order_takes_lines_while_confirmed(rep):
    order = order_with_lines(rep, "2", "1")
    assert order.total == Decimal("33.90")  # 30.00 + 13 % tax
    line = order.lines.order_by("position").first()
    order_line_remove(order, line, by=rep)
    order.refresh_from_db()
    assert order.total == Decimal("11.30")


def test_a_product_line_is_priced_on_the_orders_price_list(rep):
    item = PriceListItemFactory(price="80.00")
    account = AccountFactory(organisation=rep.organisation, owner=rep)
    order = order_create(by=rep, account=account, price_list=item.price_list)
    line = order_line_add(order, by=rep, product=item.product, quantity=Decimal("2"))
    order.refresh_from_db()
    assert line.unit_price == Decimal("80.00")
    assert order.subtotal == Decimal("160.00")


def test_lines_cannot_change_once_something_shipped(rep):
    order = order_with_lines(rep, "2")
    ship(order, rep, ["1"])
    with pytest.raises(ValidationError, match="partly shipped"):
        order_line_add(
            order, by=rep, quantity=Decimal("1"), description="Extra", unit_price=Decimal("1")
        )
    with pytest.raises(ValidationError):
        order_line_remove(order, order.lines.first(), by=rep)
    order.refresh_from_db()
    order.discount_percent = Decimal("50")
    with pytest.raises(ValidationError, match="prices"):
        order_save(order=order, by=rep)


def test_an_order_needs_an_account(rep):
    with pytest.raises(ValidationError) as error:
        order_create(by=rep, account=None)
    assert "account" in error.value.message_dict


# --------------------------------------------------------------------------- shipments


def test_shipments_move_the_order_from_partly_shipped_to_closed(rep):
    order = order_with_lines(rep, "5", "2")
    first = ship(order, rep, ["3", "0"])
    order.refresh_from_db()
    assert order.status == Order.Status.PARTLY_SHIPPED
    assert sorted(remaining_quantities(order).values()) == [Decimal("2"), Decimal("2")]

    second = ship(order, rep, ["2", "2"], tracking_number="SF999")
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    assert not any(remaining_quantities(order).values())

    shipment_mark_delivered(first, by=rep, on=TODAY)
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED  # the second shipment is still on its way
    shipment_mark_delivered(second, by=rep, on=TODAY)
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED and order.delivered_at is not None

    order_close(order, by=rep)
    order.refresh_from_db()
    assert order.status == Order.Status.CLOSED and order.closed_at is not None


def test_marking_a_shipped_order_delivered_marks_its_shipments_arrived(rep):
    order = order_with_lines(rep, "1")
    shipment = ship(order, rep, ["1"])
    order.refresh_from_db()
    order_mark_delivered(order, by=rep)
    shipment.refresh_from_db()
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED
    assert shipment.delivered_on == TODAY


def test_only_a_shipped_order_is_marked_delivered_and_only_a_delivered_one_closed(rep):
    order = order_with_lines(rep, "2")
    with pytest.raises(ValidationError, match="Only a shipped order"):
        order_mark_delivered(order, by=rep)
    with pytest.raises(ValidationError, match="Only a delivered order"):
        order_close(order, by=rep)
    ship(order, rep, ["1"])
    with pytest.raises(ValidationError, match="partly shipped"):
        order_mark_delivered(order, by=rep)


def test_shipping_more_than_remains_is_refused(rep):
    order = order_with_lines(rep, "3")
    ship(order, rep, ["2"])
    with pytest.raises(ValidationError, match="only 1 remain"):
        ship(order, rep, ["2"])
    assert order.shipments.count() == 1


@pytest.mark.parametrize("quantity", ["-1", "0"])
def test_a_shipment_of_nothing_or_a_negative_quantity_is_refused(rep, quantity):
    order = order_with_lines(rep, "3")
    line = order.lines.get()
    with pytest.raises(ValidationError):
        shipment_record(order, by=rep, lines={line.pk: Decimal(quantity)})
    assert not order.shipments.exists()


def test_a_shipment_cannot_carry_another_orders_line(rep):
    order, other = order_with_lines(rep, "3"), order_with_lines(rep, "3")
    with pytest.raises(ValidationError, match="another order"):
        shipment_record(order, by=rep, lines={other.lines.get().pk: Decimal("1")})


def test_a_cancelled_or_closed_order_ships_nothing(rep):
    order = order_with_lines(rep, "1")
    order_cancel(order, by=rep, reason="Duplicate")
    with pytest.raises(ValidationError, match="cancelled"):
        ship(order, rep, ["1"])
    closed = order_with_lines(rep, "1")
    ship(closed, rep, ["1"], delivered_on=TODAY)
    closed.refresh_from_db()
    assert closed.status == Order.Status.DELIVERED
    order_close(closed, by=rep)
    with pytest.raises(ValidationError, match="closed"):
        ship(closed, rep, ["1"])


def test_deleting_a_shipment_recomputes_the_status(rep):
    order = order_with_lines(rep, "2")
    first = ship(order, rep, ["1"])
    second = ship(order, rep, ["1"])
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    shipment_delete(second, by=rep)
    order.refresh_from_db()
    assert order.status == Order.Status.PARTLY_SHIPPED
    shipment_delete(first, by=rep)
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED


def test_a_delivered_orders_shipments_cannot_be_deleted(rep):
    order = order_with_lines(rep, "1")
    shipment = ship(order, rep, ["1"], delivered_on=TODAY)
    with pytest.raises(ValidationError, match="delivered"):
        shipment_delete(shipment, by=rep)
    assert order.shipments.count() == 1


# --------------------------------------------------------------------------- cancelling


def test_cancelling_needs_a_reason_and_nothing_shipped(rep):
    order = order_with_lines(rep, "2")
    with pytest.raises(ValidationError) as error:
        order_cancel(order, by=rep, reason="  ")
    assert "reason" in error.value.message_dict
    ship(order, rep, ["1"])
    with pytest.raises(ValidationError, match="cannot be cancelled"):
        order_cancel(order, by=rep, reason="Too late")
    fresh = order_with_lines(rep, "1")
    order_cancel(fresh, by=rep, reason="Customer withdrew")
    fresh.refresh_from_db()
    assert fresh.status == Order.Status.CANCELLED
    assert fresh.cancel_reason == "Customer withdrew"
    with pytest.raises(ValidationError):
        order_save(order=fresh, by=rep)


# --------------------------------------------------------------------------- history


def test_the_account_timeline_shows_the_order_its_status_changes_and_shipments(rep):
    order = order_with_lines(rep, "2")
    ship(order, rep, ["2"], carrier="顺丰速运", tracking_number="SF000111")
    entries = timeline_for(order.account, activities=order.account.activities.none(), user=rep)
    titles = [getattr(e.item, "title", "") for e in entries]
    assert f"Order {order.number} created" in titles
    assert f"Order {order.number}: Shipped" in titles
    shipment_entry = next(e for e in entries if "Shipment of order" in getattr(e.item, "title", ""))
    assert {str(change.after) for change in shipment_entry.changes} >= {"顺丰速运", "SF000111"}


def test_the_account_timeline_hides_orders_the_viewer_may_not_see(partner_a_user, partner_b_user):
    account = AccountFactory(organisation=partner_a_user.organisation, owner=partner_a_user)
    order = order_create(by=partner_a_user, account=account)
    mine = timeline_for(account, activities=account.activities.none(), user=partner_a_user)
    theirs = timeline_for(account, activities=account.activities.none(), user=partner_b_user)
    assert any(order.number in getattr(e.item, "title", "") for e in mine)
    assert not any(order.number in getattr(e.item, "title", "") for e in theirs)


def test_orders_are_found_by_number_reference_and_account_name(rep):
    account = AccountFactory(name="华东机械", organisation=rep.organisation, owner=rep)
    order = order_create(by=rep, account=account, customer_reference="PO-7788")
    for query in (order.number, "PO-7788", "华东"):
        groups = {g["type"]: g["rows"] for g in global_search(rep, query)}
        assert order in groups["orders"], query


# --------------------------------------------------------------------------- pages


def test_the_order_pages_show_status_lines_and_record_a_shipment(client, rep):
    order = order_with_lines(rep, "4")
    client.force_login(rep)
    page = client.get(reverse("orders:order-detail", args=[order.pk])).content.decode()
    assert 'data-testid="order-status"' in page and "Confirmed" in page
    assert 'data-testid="order-record-shipment"' in page
    line = order.lines.get()
    response = client.post(
        reverse("orders:shipment-record", args=[order.pk]),
        {
            "shipped_on": TODAY.isoformat(),
            "carrier": "EMS",
            "tracking_number": "EMS42",
            f"line_{line.pk}": "5",
        },
    )
    assert response.status_code == 200
    assert "only 4 remain" in response.content.decode()
    assert not order.shipments.exists()
    response = client.post(
        reverse("orders:shipment-record", args=[order.pk]),
        {
            "shipped_on": TODAY.isoformat(),
            "carrier": "EMS",
            "tracking_number": "EMS42",
            f"line_{line.pk}": "4",
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("orders:order-detail", args=[order.pk])).content.decode()
    assert 'data-testid="shipment-row"' in page and "EMS42" in page
    assert 'data-status="shipped"' in page


def test_the_order_page_refuses_a_cancel_without_reason_beside_the_field(client, rep):
    order = order_with_lines(rep, "1")
    client.force_login(rep)
    response = client.post(reverse("orders:order-cancel", args=[order.pk]), {"reason": ""})
    assert 'data-field-error="reason"' in response.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED


def test_creating_an_order_and_adding_a_free_text_line_on_the_pages(client, rep):
    account = AccountFactory(organisation=rep.organisation, owner=rep)
    client.force_login(rep)
    response = client.post(
        reverse("orders:order-create"),
        {
            "account": account.pk,
            "currency": "CNY",
            "discount_percent": "0",
            "customer_reference": "PO-1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    order = Order.objects.get(customer_reference="PO-1")
    response = client.post(
        reverse("orders:order-line-add", args=[order.pk]),
        {"quantity": "2", "description": "Installation", "unit_price": "500"},
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.subtotal == Decimal("1000.00")
    response = client.post(
        reverse("orders:order-line-add", args=[order.pk]), {"quantity": "1", "description": ""}
    )
    assert 'data-field-error="description"' in response.content.decode()


def test_the_quote_page_include_offers_conversion_and_then_links_the_order(client, rep):
    from django.template import Context, Template
    from django.test import RequestFactory

    quote = accepted_quote(rep)
    request = RequestFactory().get("/")
    request.user = rep
    snippet = Template('{% include "orders/includes/quote_order_actions.html" with quote=quote %}')
    html = snippet.render(Context({"quote": quote, "request": request}))
    assert 'data-testid="order-convert"' in html
    client.force_login(rep)
    response = client.post(reverse("orders:order-from-quote", args=[quote.pk]))
    order = Order.objects.get(quote=quote)
    assert response.status_code == 302 and response.url == order.get_absolute_url()
    html = snippet.render(Context({"quote": quote, "request": request}))
    assert order.number in html and 'data-testid="order-convert"' not in html


def test_the_account_page_lists_its_orders(client, rep):
    order = order_with_lines(rep, "1")
    client.force_login(rep)
    page = client.get(order.account.get_absolute_url()).content.decode()
    assert 'data-testid="account-orders"' in page and order.number in page


def test_the_order_list_filters_and_exports(client, rep):
    shipped = order_with_lines(rep, "1")
    ship(shipped, rep, ["1"])
    open_order = order_with_lines(rep, "1")
    client.force_login(rep)
    page = client.get(reverse("orders:order-list"), {"status": "shipped"}).content.decode()
    assert shipped.number in page and open_order.number not in page
    export = client.get(reverse("orders:order-export"), {"format": "csv"})
    text = b"".join(export).decode("utf-8-sig")
    assert shipped.number in text and open_order.number in text
    xlsx = client.get(reverse("orders:order-export"), {"format": "xlsx"})
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_a_partner_sees_only_its_organisations_orders_on_pages(client, partner_a_user):
    other = UserFactory(role=Role.PARTNER_ADMIN, organisation=OrganisationFactory(name="B"))
    mine, theirs = order_with_lines(partner_a_user, "1"), order_with_lines(other, "1")
    client.force_login(partner_a_user)
    page = client.get(reverse("orders:order-list")).content.decode()
    assert mine.number in page and theirs.number not in page
    assert client.get(reverse("orders:order-detail", args=[theirs.pk])).status_code == 404
    shipment = ship(theirs, other, ["1"])
    response = client.post(reverse("orders:shipment-delete", args=[shipment.pk]))
    assert response.status_code == 404
    assert Shipment.objects.filter(pk=shipment.pk).exists()


# --------------------------------------------------------------------------- API


def test_api_converts_a_quote_and_records_shipments(api, rep):
    quote = accepted_quote(rep)
    client = api(rep)
    response = client.post("/api/v1/orders/from-quote/", {"quote": quote.pk}, format="json")
    assert response.status_code == 201, response.content
    order = response.json()
    assert order["status"] == "confirmed" and len(order["lines"]) == 2
    again = client.post("/api/v1/orders/from-quote/", {"quote": quote.pk}, format="json")
    assert again.status_code == 400

    first, second = order["lines"]
    too_much = client.post(
        "/api/v1/shipments/",
        {"order": order["id"], "lines": [{"order_line": first["id"], "quantity": "3"}]},
        format="json",
    )
    assert too_much.status_code == 400 and "lines" in too_much.json()
    shipment = client.post(
        "/api/v1/shipments/",
        {
            "order": order["id"],
            "carrier": "SF",
            "tracking_number": "SF1",
            "lines": [
                {"order_line": first["id"], "quantity": "2"},
                {"order_line": second["id"], "quantity": "3"},
            ],
        },
        format="json",
    )
    assert shipment.status_code == 201, shipment.content
    detail = client.get(f"/api/v1/orders/{order['id']}/").json()
    assert detail["status"] == "shipped" and detail["shipments"][0]["tracking_number"] == "SF1"
    delivered = client.post(f"/api/v1/shipments/{shipment.json()['id']}/mark-delivered/", {})
    assert delivered.status_code == 200
    assert client.get(f"/api/v1/orders/{order['id']}/").json()["status"] == "delivered"
    closed = client.post(f"/api/v1/orders/{order['id']}/close/", {})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"


def test_api_cancel_needs_a_reason_and_status_is_read_only(api, rep):
    order = order_with_lines(rep, "1")
    client = api(rep)
    response = client.post(f"/api/v1/orders/{order.pk}/cancel/", {}, format="json")
    assert response.status_code == 400 and "reason" in response.json()
    client.patch(f"/api/v1/orders/{order.pk}/", {"status": "closed"}, format="json")
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED
    response = client.post(
        f"/api/v1/orders/{order.pk}/cancel/", {"reason": "Wrong address"}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "cancelled"


def test_api_creates_an_order_and_adds_and_removes_lines(api, rep):
    account = AccountFactory(organisation=rep.organisation, owner=rep)
    client = api(rep)
    response = client.post(
        "/api/v1/orders/", {"account": account.pk, "currency": "CNY"}, format="json"
    )
    assert response.status_code == 201, response.content
    order_id = response.json()["id"]
    line = client.post(
        "/api/v1/order-lines/",
        {"order": order_id, "quantity": "2", "description": "Setup", "unit_price": "10.00"},
        format="json",
    )
    assert line.status_code == 201, line.content
    bad = client.post("/api/v1/order-lines/", {"order": order_id, "quantity": "1"}, format="json")
    assert bad.status_code == 400 and "description" in bad.json()
    listed = client.get("/api/v1/order-lines/", {"order": order_id}).json()
    assert [row["id"] for row in listed["results"]] == [line.json()["id"]]
    assert client.delete(f"/api/v1/order-lines/{line.json()['id']}/").status_code == 204
    assert client.get(f"/api/v1/orders/{order_id}/").json()["total"] == "0.00"


def test_api_partner_sees_only_its_organisations_orders_and_shipments(
    api, partner_a_user, partner_b_user
):
    mine, theirs = order_with_lines(partner_a_user, "1"), order_with_lines(partner_b_user, "1")
    ship(theirs, partner_b_user, ["1"])
    client = api(partner_a_user)
    ids = {row["id"] for row in client.get("/api/v1/orders/").json()["results"]}
    assert ids == {mine.pk}
    assert client.get("/api/v1/shipments/").json()["results"] == []
    response = client.post(
        "/api/v1/shipments/",
        {"order": theirs.pk, "lines": [{"order_line": theirs.lines.get().pk, "quantity": "1"}]},
        format="json",
    )
    assert response.status_code == 400 and "order" in response.json()
    cancel = client.post(f"/api/v1/orders/{theirs.pk}/cancel/", {"reason": "x"}, format="json")
    assert cancel.status_code == 404


def test_the_account_page_timeline_shows_the_orders_history(client, rep):
    order = order_with_lines(rep, "1")
    ship(order, rep, ["1"], tracking_number="YT777")
    client.force_login(rep)
    page = client.get(order.account.get_absolute_url()).content.decode()
    assert f"Order {order.number} created" in page
    assert f"Order {order.number}: Shipped" in page
    assert "YT777" in page


def test_the_order_page_offers_only_the_actions_its_status_allows(client, rep):
    client.force_login(rep)
    order = order_with_lines(rep, "1")
    url = reverse("orders:order-detail", args=[order.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="order-cancel"' in page and 'data-testid="order-close"' not in page
    assert client.get(reverse("orders:order-edit", args=[order.pk])).status_code == 200
    ship(order, rep, ["1"])
    page = client.get(url).content.decode()
    assert 'data-testid="order-mark-delivered"' in page
    assert f"{reverse('orders:invoice-from-order')}?order={order.pk}" in page
    assert 'data-testid="order-cancel"' not in page
    response = client.post(reverse("orders:order-action", args=[order.pk]), {"action": "deliver"})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert 'data-status="delivered"' in page and 'data-testid="order-close"' in page
    client.post(reverse("orders:order-action", args=[order.pk]), {"action": "close"})
    page = client.get(url).content.decode()
    assert 'data-status="closed"' in page
    assert 'data-testid="order-record-shipment"' not in page
    assert 'data-testid="order-edit"' not in page
    cancelled = order_with_lines(rep, "1")
    client.post(reverse("orders:order-cancel", args=[cancelled.pk]), {"reason": "Duplicate"})
    page = client.get(reverse("orders:order-detail", args=[cancelled.pk])).content.decode()
    assert 'data-status="cancelled"' in page and "Duplicate" in page


def test_the_opportunity_page_lists_its_orders(client, rep):
    from tests.factories import OpportunityFactory

    deal = OpportunityFactory(owner=rep, organisation=rep.organisation)
    quote = accepted_quote(rep, opportunity=deal, account=deal.account)
    order = order_from_quote(quote, by=rep)
    client.force_login(rep)
    page = client.get(deal.get_absolute_url()).content.decode()
    assert 'data-testid="opportunity-orders"' in page and order.number in page


def test_an_orders_contact_and_deal_belong_to_its_account(rep):
    from tests.factories import ContactFactory, OpportunityFactory

    account = AccountFactory(organisation=rep.organisation, owner=rep)
    stranger = ContactFactory(organisation=rep.organisation, owner=rep)
    with pytest.raises(ValidationError) as error:
        order_create(by=rep, account=account, contact=stranger)
    assert "contact" in error.value.message_dict
    deal = OpportunityFactory(owner=rep, organisation=rep.organisation)
    with pytest.raises(ValidationError) as error:
        order_create(by=rep, account=account, opportunity=deal)
    assert "opportunity" in error.value.message_dict
