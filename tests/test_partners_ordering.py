"""Indirect ordering: a partner orders at its tier's prices, for stock or for an end customer;
the company confirms and ships; the partner follows status and shipments; nobody else sees it."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from allyance.core.models import Notification, Role
from allyance.orders.models import Order
from allyance.orders.services.fulfilment import (
    order_cancel,
    order_confirm,
    order_save,
    shipment_record,
)
from allyance.orders.services.invoices import invoice_from_order
from allyance.partners.models import HouseAccount, Tier
from allyance.partners.services.ordering import partner_house_account, partner_order_place
from tests.factories import (
    AccountFactory,
    OrganisationFactory,
    PriceListFactory,
    PriceListItemFactory,
    ProductFactory,
    TierFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()


@pytest.fixture
def channel_manager(db):
    return UserFactory(role=Role.CHANNEL_MANAGER, username="cm")


@pytest.fixture
def catalog(db):
    """A silver list: a disk array at 1,000.00 and a cable at 99.99, 13 % VAT on both."""
    silver = PriceListFactory(name="Silver partners")
    array = ProductFactory(name="Disk array DA-200", sku="DA-200")
    cable = ProductFactory(name="SAS cable", sku="CAB-1")
    PriceListItemFactory(price_list=silver, product=array, price="1000.00")
    PriceListItemFactory(price_list=silver, product=cable, price="99.99")
    return {"list": silver, "array": array, "cable": cable}


@pytest.fixture
def partner(catalog, channel_manager):
    """A Silver partner: the silver list and 7.5 % extra off."""
    tier = TierFactory(
        name="Silver", price_list=catalog["list"], extra_discount_percent=Decimal("7.50")
    )
    return OrganisationFactory(name="Jinqiao Systems", tier=tier, channel_manager=channel_manager)


@pytest.fixture
def buyer(partner):
    return UserFactory(role=Role.PARTNER_USER, organisation=partner, username="buyer")


@pytest.fixture
def other(catalog):
    tier = TierFactory(name="Silver")
    return UserFactory(
        role=Role.PARTNER_ADMIN,
        organisation=OrganisationFactory(name="Other Partner", tier=tier),
        username="other",
    )


@pytest.fixture
def staff(db):
    return UserFactory(role=Role.ADMIN, username="ops")


def place(buyer, catalog, **extra) -> Order:
    return partner_order_place(
        by=buyer,
        lines=[
            {"product": catalog["array"], "quantity": Decimal("3")},
            {"product": catalog["cable"], "quantity": Decimal("7")},
        ],
        **extra,
    )


# --------------------------------------------------------------------------- placing


def test_a_partner_orders_at_its_tier_price_exact_to_the_cent(buyer, partner, catalog):
    order = place(buyer, catalog, customer_reference="PO-7781")
    assert order.status == Order.Status.SUBMITTED
    assert order.number.startswith(f"SO-{TODAY.year}-")
    assert (order.organisation, order.owner) == (partner, buyer)
    assert order.price_list == catalog["list"] and order.currency == "CNY"
    # The tier's extra discount is the order's overall discount; each line carries its share.
    assert order.discount_percent == Decimal("7.50")
    lines = list(order.lines.order_by("position"))
    assert [
        (line.unit_price, line.discount_amount, line.tax_amount, line.total) for line in lines
    ] == [
        # 3 × 1,000.00 = 3,000.00; 7.5 % = 225.00; 13 % of 2,775.00 = 360.75
        (Decimal("1000.0000"), Decimal("225.00"), Decimal("360.75"), Decimal("3135.75")),
        # 7 × 99.99 = 699.93; 7.5 % = 52.49 (52.494…); 13 % of 647.44 = 84.17 (84.167…)
        (Decimal("99.9900"), Decimal("52.49"), Decimal("84.17"), Decimal("731.61")),
    ]
    assert (order.subtotal, order.discount_total, order.tax_total, order.total) == (
        Decimal("3699.93"),
        Decimal("277.49"),
        Decimal("444.92"),
        Decimal("3867.36"),
    )
    assert order.customer_reference == "PO-7781"


def test_the_tier_policy_as_it_stands_now_prices_the_order(buyer, partner, catalog):
    assert buyer.organisation.tier.extra_discount_percent == Decimal("7.50")  # loaded
    Tier.objects.filter(pk=partner.tier_id).update(extra_discount_percent=Decimal("10"))
    assert place(buyer, catalog).discount_percent == Decimal("10.00")


def test_an_order_for_stock_is_on_the_partners_house_account_created_once(buyer, partner, catalog):
    first = place(buyer, catalog)
    house = first.account
    assert house.name == "Jinqiao Systems" and house.organisation == partner
    assert first.end_customer is None
    house.name = "Jinqiao Systems (stock)"
    house.save()
    second = place(buyer, catalog)
    assert second.account == house
    assert HouseAccount.objects.filter(organisation=partner).count() == 1
    assert partner_house_account(partner) == house


def test_an_order_for_an_end_customer_is_on_that_customer(buyer, partner, catalog):
    customer = AccountFactory(organisation=partner, owner=buyer, name="Ningbo Port Logistics")
    order = place(buyer, catalog, end_customer=customer, shipping_address="Ningbo, Beilun")
    assert order.account == customer and order.end_customer == customer
    assert order.shipping_address == "Ningbo, Beilun"
    assert not HouseAccount.objects.filter(account=customer).exists()


def test_without_a_price_list_the_partner_is_refused_with_a_clear_message(catalog):
    lonely = UserFactory(
        role=Role.PARTNER_USER, organisation=OrganisationFactory(name="No Tier Ltd")
    )
    with pytest.raises(ValidationError) as refused:
        place(lonely, catalog)
    assert "No price list is set for your organisation" in str(refused.value.message_dict)
    assert not Order.objects.exists()


def test_a_partner_without_a_tier_list_orders_at_a_list_assigned_to_it(catalog):
    partner = OrganisationFactory(name="Assigned Ltd", tier=TierFactory(name="Registered"))
    catalog["list"].partners.add(partner)
    user = UserFactory(role=Role.PARTNER_USER, organisation=partner)
    order = place(user, catalog)
    assert order.price_list == catalog["list"]
    assert order.discount_percent == Decimal("0")
    assert order.total == Decimal("4180.92")  # 3,699.93 + 13 % tax (390.00 + 90.99)


def test_an_end_customer_the_partner_cannot_see_is_refused(buyer, other, catalog):
    theirs = AccountFactory(organisation=other.organisation, owner=other)
    with pytest.raises(ValidationError) as refused:
        place(buyer, catalog, end_customer=theirs)
    assert "end_customer" in refused.value.message_dict
    assert not Order.objects.exists()


def test_a_product_not_on_the_partners_list_is_refused_by_line(buyer, catalog):
    elsewhere = ProductFactory(name="Tape library")
    with pytest.raises(ValidationError) as refused:
        partner_order_place(by=buyer, lines=[{"product": elsewhere, "quantity": Decimal("1")}])
    assert "Tape library" in " ".join(refused.value.message_dict["lines"])
    assert not Order.objects.exists()


def test_only_partner_users_place_portal_orders(staff, catalog):
    with pytest.raises(PermissionDenied):
        place(staff, catalog)


def test_the_channel_manager_is_told_of_a_new_order(
    buyer, catalog, channel_manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = place(buyer, catalog)
    note = Notification.objects.get(recipient=channel_manager)
    assert order.number in note.message and note.url == order.get_absolute_url()


# --------------------------------------------------------------------------- fulfilment


def test_submitted_confirmed_by_staff_then_shipped_and_the_partner_follows_it(
    buyer, catalog, staff, client, django_capture_on_commit_callbacks
):
    order = place(buyer, catalog)
    with django_capture_on_commit_callbacks(execute=True):
        order = order_confirm(order, by=staff)
    assert order.status == Order.Status.CONFIRMED
    assert Notification.objects.filter(recipient=buyer, kind="order_confirmed").exists()
    lines = list(order.lines.order_by("position"))
    shipment_record(
        order,
        by=staff,
        carrier="SF Express",
        tracking_number="SF1409887766",
        lines={lines[0].pk: Decimal("3"), lines[1].pk: Decimal("2")},
    )
    order.refresh_from_db()
    assert order.status == Order.Status.PARTLY_SHIPPED

    client.force_login(buyer)
    page = client.get(order.get_absolute_url())
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-status="partly_shipped"' in html
    assert "SF1409887766" in html and "SF Express" in html
    # The partner follows: no shipping, editing, cancelling or invoicing of its own.
    for control in (
        "shipment-form",
        "order-edit",
        "order-cancel",
        "order-invoice",
        "order-confirm",
    ):
        assert f'data-testid="{control}"' not in html, control


def test_the_partner_reads_status_and_tracking_through_the_api(buyer, catalog, staff, api):
    order = order_confirm(place(buyer, catalog), by=staff)
    line = order.lines.order_by("position").first()
    shipment_record(order, by=staff, tracking_number="YT7788", lines={line.pk: Decimal("3")})
    body = api(buyer).get(f"/api/v1/orders/{order.pk}/").json()
    assert body["status"] == "partly_shipped"
    assert [s["tracking_number"] for s in body["shipments"]] == ["YT7788"]


def test_a_partner_cannot_confirm_its_own_order(buyer, catalog, client):
    order = place(buyer, catalog)
    with pytest.raises(PermissionDenied):
        order_confirm(order, by=buyer)
    client.force_login(buyer)
    assert (
        'data-testid="order-confirm"' not in client.get(order.get_absolute_url()).content.decode()
    )
    answer = client.post(reverse("orders:order-confirm", args=[order.pk]))
    assert answer.status_code == 400
    order.refresh_from_db()
    assert order.status == Order.Status.SUBMITTED


def test_staff_confirm_from_the_order_page(buyer, catalog, channel_manager, client):
    order = place(buyer, catalog)
    client.force_login(channel_manager)  # manages the partner, so sees its orders
    page = client.get(order.get_absolute_url()).content.decode()
    assert 'data-testid="order-confirm"' in page
    answer = client.post(
        reverse("orders:order-confirm", args=[order.pk]), {"version": order.version}
    )
    assert answer.status_code == 302
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED


def test_a_submitted_order_neither_ships_nor_is_invoiced(buyer, catalog, staff):
    order = place(buyer, catalog)
    line = order.lines.first()
    with pytest.raises(ValidationError):
        shipment_record(order, by=staff, lines={line.pk: Decimal("1")})
    with pytest.raises(ValidationError):
        invoice_from_order(order, by=staff)
    assert not order.shipments.exists() and not order.invoices.exists()


def test_the_partner_may_withdraw_a_submitted_order_but_not_change_a_confirmed_one(
    buyer, catalog, staff
):
    withdrawn = order_cancel(place(buyer, catalog), by=buyer, reason="Ordered twice")
    assert withdrawn.status == Order.Status.CANCELLED
    confirmed = order_confirm(place(buyer, catalog), by=staff)
    line = confirmed.lines.first()
    with pytest.raises(PermissionDenied):
        shipment_record(confirmed, by=buyer, lines={line.pk: Decimal("1")})
    with pytest.raises(PermissionDenied):
        order_cancel(confirmed, by=buyer, reason="Changed my mind")
    confirmed.discount_percent = Decimal("50")
    with pytest.raises(PermissionDenied):
        order_save(order=confirmed, by=buyer)
    confirmed.refresh_from_db()
    assert confirmed.discount_percent == Decimal("7.50")
    assert confirmed.status == Order.Status.CONFIRMED


def test_a_partner_cannot_enter_a_confirmed_order_on_its_house_account_directly(
    buyer, partner, catalog
):
    house = partner_house_account(partner)
    with pytest.raises(ValidationError):
        order_save(order=Order(account=house), by=buyer)


# --------------------------------------------------------------------------- the gate


def test_partner_b_sees_none_of_partner_a_orders(buyer, other, catalog, client, api):
    order = place(buyer, catalog, customer_reference="PO-SECRET-1")
    assert api(other).get(f"/api/v1/orders/{order.pk}/").status_code == 404
    listed = api(other).get("/api/v1/orders/").json()["results"]
    assert order.pk not in {row["id"] for row in listed}
    client.force_login(other)
    assert client.get(order.get_absolute_url()).status_code == 404
    assert "PO-SECRET-1" not in client.get(reverse("orders:order-list")).content.decode()
    assert client.post(reverse("orders:order-confirm", args=[order.pk])).status_code == 404


# --------------------------------------------------------------------------- the page


def test_the_order_page_lists_the_catalog_at_the_partners_prices(buyer, catalog, client):
    client.force_login(buyer)
    html = client.get(reverse("partners:portal-order-create")).content.decode()
    assert "Disk array DA-200" in html and "SAS cable" in html
    assert "925.00" in html  # 1,000.00 less the tier's 7.5 %
    assert "92.49" in html  # 99.99 less 7.5 % = 92.490…
    searched = client.get(reverse("partners:portal-order-create"), {"q": "cable"}).content
    assert "SAS cable" in searched.decode() and "Disk array DA-200" not in searched.decode()


def test_the_order_page_places_the_order_and_goes_to_it(buyer, partner, catalog, client):
    customer = AccountFactory(organisation=partner, owner=buyer, name="Hangzhou Metro")
    client.force_login(buyer)
    answer = client.post(
        reverse("partners:portal-order-create"),
        {
            f"qty-{catalog['array'].pk}": "3",
            f"qty-{catalog['cable'].pk}": "7",
            "end_customer": customer.pk,
            "customer_reference": "HZ-88",
            "requested_delivery": (TODAY + datetime.timedelta(days=14)).isoformat(),
            "shipping_address": "Hangzhou, Xihu",
            "place": "1",
        },
    )
    order = Order.objects.get()
    assert answer.status_code == 302 and answer["Location"] == order.get_absolute_url()
    assert order.account == customer and order.total == Decimal("3867.36")
    assert order.requested_delivery == TODAY + datetime.timedelta(days=14)


def test_the_order_page_shows_errors_beside_the_fields_and_keeps_the_input(
    buyer, other, catalog, client
):
    theirs = AccountFactory(organisation=other.organisation, owner=other)
    client.force_login(buyer)
    url = reverse("partners:portal-order-create")
    bad_quantity = client.post(
        url, {f"qty-{catalog['array'].pk}": "three", f"qty-{catalog['cable'].pk}": "2"}
    )
    html = bad_quantity.content.decode()
    assert bad_quantity.status_code == 400
    assert f'data-field-error="qty-{catalog["array"].pk}"' in html
    assert 'value="three"' in html and 'value="2"' in html
    unseen = client.post(url, {f"qty-{catalog['cable'].pk}": "1", "end_customer": theirs.pk})
    assert unseen.status_code == 400
    assert 'data-field-error="end_customer"' in unseen.content.decode()
    nothing = client.post(url, {"place": "1"})
    assert "Order at least one product." in nothing.content.decode()
    assert not Order.objects.exists()


def test_a_search_keeps_the_quantities_already_typed(buyer, catalog, client):
    client.force_login(buyer)
    html = client.post(
        reverse("partners:portal-order-create"),
        {f"qty-{catalog['array'].pk}": "4", "q": "cable", "search": "1"},
    ).content.decode()
    assert f'name="qty-{catalog["array"].pk}" value="4"' in html  # kept as a hidden input
    assert not Order.objects.exists()


def test_the_order_page_is_for_partner_users_only(staff, client):
    client.force_login(staff)
    assert client.get(reverse("partners:portal-order-create")).status_code == 403


# --------------------------------------------------------------------------- the API


def test_the_api_places_an_order_in_the_order_shape(buyer, partner, catalog, api):
    customer = AccountFactory(organisation=partner, owner=buyer)
    answer = api(buyer).post(
        "/api/v1/partner-orders/",
        {
            "lines": [
                {"product": catalog["array"].pk, "quantity": "3"},
                {"product": catalog["cable"].pk, "quantity": "7"},
            ],
            "end_customer": customer.pk,
            "customer_reference": "API-1",
        },
        format="json",
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["status"] == "submitted" and body["account"] == customer.pk
    assert body["total"] == "3867.36" and body["discount_percent"] == "7.50"
    assert len(body["lines"]) == 2 and body["shipments"] == []


def test_the_api_refuses_staff_and_unseen_customers_and_lists_nothing(
    buyer, other, staff, catalog, api
):
    lines = [{"product": catalog["array"].pk, "quantity": "1"}]
    assert (
        api(staff).post("/api/v1/partner-orders/", {"lines": lines}, format="json").status_code
        == 403
    )
    theirs = AccountFactory(organisation=other.organisation, owner=other)
    refused = api(buyer).post(
        "/api/v1/partner-orders/", {"lines": lines, "end_customer": theirs.pk}, format="json"
    )
    assert refused.status_code == 400 and "end_customer" in refused.json()
    assert api(buyer).get("/api/v1/partner-orders/").status_code == 405
    assert not Order.objects.exists()
