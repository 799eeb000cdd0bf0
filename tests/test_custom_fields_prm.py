"""Custom fields on the PRM, service and billing pages that create records through a service
with keyword arguments: MDF requests and claims, portal orders, invoices and payments.

For each: the field is on the form, a good value is saved and shown on the detail page, a bad
one is reported beside the field with the rest of the input kept, the list filters by it,
and the API writes and reads it.
"""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from allyance.core.models import AuditEntry, CustomField, Role
from allyance.orders.models import Invoice, Order, Payment
from allyance.orders.services.invoices import invoice_create, invoice_from_order
from allyance.orders.services.lines import recalculate
from allyance.orders.services.payments import payment_record
from allyance.partners.models import DealRegistration, MdfAllocation, MdfClaim, MdfRequest
from allyance.partners.services.mdf import (
    allocation_save,
    claim_submit,
    request_approve,
    request_submit,
)
from allyance.partners.services.ordering import partner_order_place
from allyance.partners.services.registrations import registration_submit
from allyance.service.models import Case
from allyance.service.services import case_open
from tests.factories import (
    AccountFactory,
    OrderFactory,
    OrderLineFactory,
    OrganisationFactory,
    PriceListFactory,
    PriceListItemFactory,
    ProductFactory,
    TierFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

CHANNELS = ["WeChat", "Trade fair", "Webinar"]


def define(model, name, type=CustomField.Type.TEXT, **extra) -> CustomField:
    return CustomField.objects.create(
        content_type=ContentType.objects.get_for_model(model),
        name=name,
        label=extra.pop("label", name.replace("_", " ").capitalize()),
        type=type,
        **extra,
    )


def define_three(model) -> None:
    """A number, a choice and a required text field on `model`."""
    define(model, "attendees", CustomField.Type.NUMBER, label="Attendees")
    define(model, "channel", CustomField.Type.CHOICE, label="Channel", choices=CHANNELS)
    define(model, "cost_centre", label="Cost centre", required=True)


def field_error(page: str, name: str) -> bool:
    return f'data-field-error="{name}"' in page


def table_of(response) -> str:
    """The list's table only: the filter panel above it names values too."""
    return response.content.decode().split('id="record-table"', 1)[1]


# --- MDF requests and claims ---------------------------------------------------------------

Q_START, Q_END = datetime.date(2026, 4, 1), datetime.date(2026, 6, 30)
LINES = [("Venue hire", Decimal("1200.00")), ("Printing", Decimal("800.05"))]


@pytest.fixture
def channel_manager():
    return UserFactory(role=Role.CHANNEL_MANAGER, username="cm")


@pytest.fixture
def partner(channel_manager):
    return OrganisationFactory(name="华东 Distribution", channel_manager=channel_manager)


@pytest.fixture
def partner_user(partner):
    return UserFactory(role=Role.PARTNER_USER, organisation=partner, username="pat")


@pytest.fixture
def other_partner(channel_manager):
    return OrganisationFactory(name="Pacific Bridge", channel_manager=channel_manager)


@pytest.fixture
def other_user(other_partner):
    return UserFactory(role=Role.PARTNER_USER, organisation=other_partner, username="olga")


def allocate(partner, by) -> MdfAllocation:
    return allocation_save(
        allocation=MdfAllocation(
            organisation=partner,
            amount=Decimal("10000.00"),
            period_start=Q_START,
            period_end=Q_END,
            currency="CNY",
        ),
        by=by,
    )


def ask(allocation, by, name="Shanghai roadshow", **extra) -> MdfRequest:
    return request_submit(
        allocation=allocation,
        activity_name=name,
        plan="Two seminars with a demo.",
        amount=Decimal("3000.00"),
        by=by,
        **extra,
    )


def approved(partner, partner_user, channel_manager, **extra) -> MdfRequest:
    return request_approve(
        request=ask(allocate(partner, channel_manager), partner_user, **extra),
        amount=Decimal("2500.00"),
        by=channel_manager,
    )


def request_form(allocation, **extra) -> dict:
    return {
        "allocation": allocation.pk,
        "activity_name": "Hangzhou seminar",
        "activity_type": "event",
        "plan": "Half-day seminar for 40 IT managers.",
        "amount": "3000.00",
        "expected_leads": "15",
        **extra,
    }


def test_mdf_request_page_takes_custom_fields_and_shows_them(
    client, channel_manager, partner, partner_user
):
    define_three(MdfRequest)
    allocation = allocate(partner, channel_manager)
    client.force_login(partner_user)
    page = client.get(reverse("partners:mdf-request-create")).content.decode()
    assert 'name="cf_attendees"' in page and 'name="cf_channel"' in page
    response = client.post(
        reverse("partners:mdf-request-create"),
        request_form(allocation, cf_attendees="40", cf_channel="Webinar", cf_cost_centre="MK-7"),
    )
    request = MdfRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == request.get_absolute_url()
    assert request.custom_fields == {"attendees": 40, "channel": "Webinar", "cost_centre": "MK-7"}
    detail = client.get(request.get_absolute_url()).content.decode()
    assert "Cost centre" in detail and "MK-7" in detail and "Webinar" in detail


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"cf_attendees": "forty", "cf_cost_centre": "MK-7"}, "cf_attendees"),
        ({"cf_channel": "Billboard", "cf_cost_centre": "MK-7"}, "cf_channel"),
        ({"cf_attendees": "40"}, "cf_cost_centre"),
    ],
)
def test_mdf_request_page_reports_a_bad_custom_value_beside_it_and_keeps_the_input(
    client, channel_manager, partner, partner_user, bad, field
):
    define_three(MdfRequest)
    allocation = allocate(partner, channel_manager)
    client.force_login(partner_user)
    response = client.post(reverse("partners:mdf-request-create"), request_form(allocation, **bad))
    page = response.content.decode()
    assert response.status_code == 400
    assert field_error(page, field)
    assert 'value="Hangzhou seminar"' in page and "Half-day seminar for 40 IT managers." in page
    assert not MdfRequest.objects.exists()


def test_mdf_request_service_keys_custom_field_errors_as_the_form_inputs(
    channel_manager, partner, partner_user
):
    define_three(MdfRequest)
    allocation = allocate(partner, channel_manager)
    with pytest.raises(ValidationError) as caught:
        ask(allocation, partner_user, custom_fields={"attendees": "forty", "channel": "Radio"})
    assert set(caught.value.message_dict) == {"cf_attendees", "cf_channel", "cf_cost_centre"}
    assert not MdfRequest.objects.exists()
    # A request the system makes (no values given at all) is not held up by a required field.
    assert ask(allocation, partner_user).custom_fields == {}


def test_mdf_request_list_filters_by_custom_field_within_the_partner(
    client, channel_manager, partner, partner_user, other_partner, other_user
):
    define(MdfRequest, "channel", CustomField.Type.CHOICE, choices=CHANNELS)
    allocation = allocate(partner, channel_manager)
    ask(allocation, partner_user, "Alpha fair", custom_fields={"channel": "Trade fair"})
    ask(allocation, partner_user, "Beta webinar", custom_fields={"channel": "Webinar"})
    ask(
        allocate(other_partner, channel_manager),
        other_user,
        "Gamma fair",
        custom_fields={"channel": "Trade fair"},
    )
    url = reverse("partners:mdf-request-list")
    client.force_login(partner_user)
    assert 'name="cf_channel"' in client.get(url).content.decode()
    table = table_of(client.get(url, {"cf_channel": "Trade fair"}))
    assert "Alpha fair" in table and "Beta webinar" not in table and "Gamma fair" not in table
    client.force_login(channel_manager)
    table = table_of(client.get(url, {"cf_channel": "Trade fair"}))
    assert "Alpha fair" in table and "Gamma fair" in table and "Beta webinar" not in table


def test_mdf_request_api_writes_reads_and_filters_custom_fields(
    api, channel_manager, partner, partner_user
):
    define_three(MdfRequest)
    allocation = allocate(partner, channel_manager)
    me = api(partner_user)
    body = {
        "allocation": allocation.pk,
        "activity_name": "Expo",
        "plan": "Booth",
        "amount": "1000.00",
    }
    answer = me.post(
        "/api/v1/mdf-requests/",
        {**body, "custom_fields": {"attendees": "lots", "cost_centre": "MK-7"}},
        format="json",
    )
    assert answer.status_code == 400 and "attendees" in answer.json()["custom_fields"]
    answer = me.post("/api/v1/mdf-requests/", body, format="json")
    assert answer.status_code == 400 and "cost_centre" in answer.json()["custom_fields"]
    assert not MdfRequest.objects.exists()
    answer = me.post(
        "/api/v1/mdf-requests/",
        {**body, "custom_fields": {"attendees": "120", "cost_centre": "MK-7"}},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["custom_fields"] == {"attendees": 120, "cost_centre": "MK-7"}
    request_id = answer.json()["id"]
    assert me.get(f"/api/v1/mdf-requests/{request_id}/").json()["custom_fields"]["attendees"] == 120
    # Saved with the request by the service: one audited create that names the values.
    entries = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(MdfRequest), object_id=str(request_id)
    )
    assert [entry.action for entry in entries] == ["create"]
    assert "custom_fields" in entries[0].changes
    ask(allocation, partner_user, "Other", custom_fields={"attendees": 5, "cost_centre": "X"})
    listed = me.get("/api/v1/mdf-requests/", {"cf_attendees": "120"}).json()["results"]
    assert [row["id"] for row in listed] == [request_id]
    assert me.get("/api/v1/mdf-requests/", {"cf_attendees": "many"}).status_code == 400


def claim_form(request, **extra) -> dict:
    data = {
        "request": request.pk,
        "invoice_number": "FP-88",
        "invoice_date": "2026-05-20",
        "lines-TOTAL_FORMS": "4",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "50",
        **extra,
    }
    for index, (description, amount) in enumerate(LINES):
        data[f"lines-{index}-description"] = description
        data[f"lines-{index}-amount"] = str(amount)
    return data


def test_mdf_claim_page_takes_custom_fields_and_shows_them(
    client, channel_manager, partner, partner_user
):
    define_three(MdfClaim)
    request = approved(partner, partner_user, channel_manager)
    client.force_login(partner_user)
    page = client.get(reverse("partners:mdf-claim-create")).content.decode()
    assert 'name="cf_attendees"' in page and 'name="cf_cost_centre"' in page
    response = client.post(
        reverse("partners:mdf-claim-create"),
        claim_form(request, cf_attendees="38", cf_channel="Trade fair", cf_cost_centre="MK-7"),
    )
    claim = MdfClaim.objects.get()
    assert response.status_code == 302 and response["Location"] == claim.get_absolute_url()
    assert claim.custom_fields == {"attendees": 38, "channel": "Trade fair", "cost_centre": "MK-7"}
    detail = client.get(claim.get_absolute_url()).content.decode()
    assert "Attendees" in detail and "38" in detail and "Trade fair" in detail


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"cf_attendees": "4.5", "cf_cost_centre": "MK-7"}, "cf_attendees"),
        ({"cf_channel": "Billboard", "cf_cost_centre": "MK-7"}, "cf_channel"),
        ({"cf_channel": "Webinar"}, "cf_cost_centre"),
    ],
)
def test_mdf_claim_page_reports_a_bad_custom_value_beside_it_and_keeps_the_lines(
    client, channel_manager, partner, partner_user, bad, field
):
    define_three(MdfClaim)
    request = approved(partner, partner_user, channel_manager)
    client.force_login(partner_user)
    response = client.post(reverse("partners:mdf-claim-create"), claim_form(request, **bad))
    page = response.content.decode()
    assert response.status_code == 400
    assert field_error(page, field)
    assert 'value="FP-88"' in page and 'value="Venue hire"' in page and 'value="800.05"' in page
    assert not MdfClaim.objects.exists()


def test_mdf_claim_list_and_api_filter_write_and_read_custom_fields(
    client, api, channel_manager, partner, partner_user
):
    define(MdfClaim, "channel", CustomField.Type.CHOICE, choices=CHANNELS)
    request = approved(partner, partner_user, channel_manager)
    claim_submit(
        request=request,
        invoice_number="INV-ALPHA",
        invoice_date=datetime.date(2026, 5, 20),
        lines=[("Venue", Decimal("100.00"))],
        custom_fields={"channel": "Webinar"},
        by=partner_user,
    )
    me = api(partner_user)
    answer = me.post(
        "/api/v1/mdf-claims/",
        {
            "request": request.pk,
            "invoice_number": "INV-BETA",
            "invoice_date": "2026-05-21",
            "lines": [{"description": "Print", "amount": "50.00"}],
            "custom_fields": {"channel": "Radio"},
        },
        format="json",
    )
    assert answer.status_code == 400 and "channel" in answer.json()["custom_fields"]
    answer = me.post(
        "/api/v1/mdf-claims/",
        {
            "request": request.pk,
            "invoice_number": "INV-BETA",
            "invoice_date": "2026-05-21",
            "lines": [{"description": "Print", "amount": "50.00"}],
            "custom_fields": {"channel": "Trade fair"},
        },
        format="json",
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["custom_fields"] == {"channel": "Trade fair"}
    listed = me.get("/api/v1/mdf-claims/", {"cf_channel": "Trade fair"}).json()["results"]
    assert [row["invoice_number"] for row in listed] == ["INV-BETA"]
    client.force_login(partner_user)
    table = table_of(client.get(reverse("partners:mdf-claim-list"), {"cf_channel": "Webinar"}))
    assert "INV-ALPHA" in table and "INV-BETA" not in table


# --- Invoices and payments -----------------------------------------------------------------


def confirmed_order(owner):
    """A confirmed order of two units at 100.00 for an account of the owner's organisation."""
    account = AccountFactory(organisation=owner.organisation, owner=owner)
    order = OrderFactory(organisation=owner.organisation, owner=owner, account=account)
    OrderLineFactory(
        order=order,
        position=1,
        quantity=Decimal("2"),
        unit_price=Decimal("100.00"),
        list_price=Decimal("100.00"),
        tax_rate=Decimal("0"),
    )
    recalculate(order)
    order.refresh_from_db()
    return order


def invoice_form(account, **extra) -> dict:
    return {
        "account": account.pk,
        "currency": "CNY",
        "issue_date": "2026-12-01",
        "payment_terms_days": "30",
        "notes": "Delivered in Suzhou",
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-0-description": "Training day",
        "lines-0-quantity": "1",
        "lines-0-unit_price": "800",
        **extra,
    }


def test_invoice_page_takes_custom_fields_and_shows_them(client, admin_user):
    define_three(Invoice)
    account = AccountFactory(owner=admin_user)
    client.force_login(admin_user)
    url = reverse("orders:invoice-create")
    page = client.get(url).content.decode()
    assert 'name="cf_attendees"' in page and 'name="cf_channel"' in page
    response = client.post(
        url, invoice_form(account, cf_attendees="12", cf_channel="WeChat", cf_cost_centre="FI-2")
    )
    invoice = Invoice.objects.get()
    assert response.status_code == 302 and response.url == invoice.get_absolute_url()
    assert invoice.custom_fields == {"attendees": 12, "channel": "WeChat", "cost_centre": "FI-2"}
    detail = client.get(invoice.get_absolute_url()).content.decode()
    assert "Cost centre" in detail and "FI-2" in detail and "WeChat" in detail


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"cf_attendees": "twelve", "cf_cost_centre": "FI-2"}, "cf_attendees"),
        ({"cf_channel": "Fax", "cf_cost_centre": "FI-2"}, "cf_channel"),
        ({"cf_channel": "WeChat"}, "cf_cost_centre"),
    ],
)
def test_invoice_page_reports_a_bad_custom_value_beside_it_and_keeps_the_lines(
    client, admin_user, bad, field
):
    define_three(Invoice)
    account = AccountFactory(owner=admin_user)
    client.force_login(admin_user)
    response = client.post(reverse("orders:invoice-create"), invoice_form(account, **bad))
    page = response.content.decode()
    assert response.status_code == 400
    assert field_error(page, field)
    assert 'value="Training day"' in page and "Delivered in Suzhou" in page
    assert not Invoice.objects.exists()


def test_invoice_from_order_page_takes_custom_fields(client, admin_user):
    define_three(Invoice)
    order = confirmed_order(admin_user)
    line = order.lines.get()
    client.force_login(admin_user)
    url = f"{reverse('orders:invoice-from-order')}?order={order.pk}"
    assert 'name="cf_cost_centre"' in client.get(url).content.decode()
    post = {"issue_date": "2026-12-01", "payment_terms_days": "14", f"line_{line.pk}": "1"}
    response = client.post(url, {**post, "cf_attendees": "1.5", "cf_cost_centre": "FI-2"})
    page = response.content.decode()
    assert response.status_code == 400 and field_error(page, "cf_attendees")
    assert f'name="line_{line.pk}" value="1"' in page and 'value="FI-2"' in page
    assert not Invoice.objects.exists()
    response = client.post(url, {**post, "cf_attendees": "3", "cf_cost_centre": "FI-2"})
    invoice = Invoice.objects.get()
    assert response.status_code == 302 and response.url == invoice.get_absolute_url()
    assert invoice.custom_fields == {"attendees": 3, "cost_centre": "FI-2"}


def test_invoice_services_key_custom_field_errors_as_the_form_inputs(admin_user):
    define_three(Invoice)
    order = confirmed_order(admin_user)
    with pytest.raises(ValidationError) as caught:
        invoice_from_order(order, by=admin_user, custom_fields={"channel": "Fax"})
    assert set(caught.value.message_dict) == {"cf_channel", "cf_cost_centre"}
    with pytest.raises(ValidationError) as caught:
        invoice_create(
            by=admin_user,
            account=order.account,
            currency="CNY",
            lines=[{"description": "Fine", "quantity": "1", "unit_price": "10"}],
            custom_fields={"attendees": "many", "cost_centre": "FI-2"},
        )
    assert set(caught.value.message_dict) == {"cf_attendees"}
    assert not Invoice.objects.exists()
    # An invoice the system makes (no values given at all) is not held up by a required field.
    assert invoice_from_order(order, by=admin_user).custom_fields == {}


def test_invoice_list_and_api_filter_write_and_read_custom_fields(
    client, api, admin_user, partner_a_user
):
    define(Invoice, "channel", CustomField.Type.CHOICE, choices=CHANNELS)
    first = invoice_from_order(
        confirmed_order(admin_user), by=admin_user, custom_fields={"channel": "WeChat"}
    )
    theirs = invoice_from_order(
        confirmed_order(partner_a_user), by=partner_a_user, custom_fields={"channel": "Webinar"}
    )
    me = api(admin_user)
    account = AccountFactory(owner=admin_user)
    payload = {
        "account": account.pk,
        "currency": "CNY",
        "lines": [{"description": "Support", "quantity": "1", "unit_price": "99.99"}],
    }
    answer = me.post(
        "/api/v1/invoices/", {**payload, "custom_fields": {"channel": "Fax"}}, format="json"
    )
    assert answer.status_code == 400 and "channel" in answer.json()["custom_fields"]
    answer = me.post(
        "/api/v1/invoices/", {**payload, "custom_fields": {"channel": "Webinar"}}, format="json"
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["custom_fields"] == {"channel": "Webinar"}
    created = answer.json()["number"]
    answer = me.post(
        "/api/v1/invoices/",
        {"order": confirmed_order(admin_user).pk, "custom_fields": {"channel": "WeChat"}},
        format="json",
    )
    assert answer.status_code == 201 and answer.json()["custom_fields"] == {"channel": "WeChat"}
    listed = me.get("/api/v1/invoices/", {"cf_channel": "Webinar"}).json()["results"]
    assert {row["number"] for row in listed} == {created, theirs.number}
    partner_rows = api(partner_a_user).get("/api/v1/invoices/", {"cf_channel": "WeChat"})
    assert partner_rows.json()["results"] == []
    client.force_login(admin_user)
    table = table_of(client.get(reverse("orders:invoice-list"), {"cf_channel": "WeChat"}))
    assert first.number in table and created not in table and theirs.number not in table


def payment_form(account, **extra) -> dict:
    return {
        "loaded_for": f"{account.pk}-CNY",
        "account": account.pk,
        "received_on": "2026-12-01",
        "amount": "150.00",
        "currency": "CNY",
        "method": "bank_transfer",
        "reference": "TT-77",
        **extra,
    }


def test_payment_page_takes_custom_fields_and_shows_them(client, admin_user):
    define_three(Payment)
    define(Payment, "regions", CustomField.Type.MULTI_CHOICE, choices=CHANNELS)
    account = AccountFactory(owner=admin_user)
    client.force_login(admin_user)
    url = reverse("orders:payment-create")
    page = client.get(url).content.decode()
    assert 'name="cf_attendees"' in page and 'name="cf_regions"' in page
    # "Show open invoices" redraws the form: the custom values typed so far stay.
    redrawn = client.post(
        url,
        payment_form(account, load="1", cf_cost_centre="FI-9", cf_regions=["WeChat", "Webinar"]),
    ).content.decode()
    assert 'value="FI-9"' in redrawn
    assert '<option value="WeChat" selected>' in redrawn
    assert '<option value="Webinar" selected>' in redrawn
    response = client.post(
        url,
        payment_form(account, cf_channel="Trade fair", cf_cost_centre="FI-9", cf_regions="WeChat"),
    )
    payment = Payment.objects.get()
    assert response.status_code == 302 and response.url == payment.get_absolute_url()
    assert payment.custom_fields == {
        "channel": "Trade fair",
        "cost_centre": "FI-9",
        "regions": ["WeChat"],
    }
    detail = client.get(payment.get_absolute_url()).content.decode()
    assert "Cost centre" in detail and "FI-9" in detail and "Trade fair" in detail


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"cf_attendees": "x", "cf_cost_centre": "FI-9"}, "cf_attendees"),
        ({"cf_channel": "Fax", "cf_cost_centre": "FI-9"}, "cf_channel"),
        ({"cf_attendees": "4"}, "cf_cost_centre"),
    ],
)
def test_payment_page_reports_a_bad_custom_value_beside_it_and_keeps_the_input(
    client, admin_user, bad, field
):
    define_three(Payment)
    account = AccountFactory(owner=admin_user)
    client.force_login(admin_user)
    response = client.post(reverse("orders:payment-create"), payment_form(account, **bad))
    page = response.content.decode()
    assert response.status_code == 400
    assert field_error(page, field)
    assert 'value="TT-77"' in page and 'value="150.00"' in page
    assert not Payment.objects.exists()


def test_payment_list_and_api_filter_write_and_read_custom_fields(client, api, admin_user):
    define_three(Payment)
    account = AccountFactory(owner=admin_user)
    payment_record(
        by=admin_user,
        account=account,
        received_on=datetime.date(2026, 12, 1),
        amount=Decimal("10.00"),
        currency="CNY",
        reference="REF-ALPHA",
        custom_fields={"channel": "WeChat", "cost_centre": "A"},
    )
    with pytest.raises(ValidationError) as caught:
        payment_record(
            by=admin_user,
            account=account,
            received_on=datetime.date(2026, 12, 1),
            amount=Decimal("10.00"),
            currency="CNY",
            custom_fields={"attendees": "x"},
        )
    assert set(caught.value.message_dict) == {"cf_attendees", "cf_cost_centre"}
    me = api(admin_user)
    body = {"account": account.pk, "received_on": "2026-12-02", "amount": "20.00"}
    answer = me.post("/api/v1/payments/", body, format="json")
    assert answer.status_code == 400 and "cost_centre" in answer.json()["custom_fields"]
    answer = me.post(
        "/api/v1/payments/",
        {**body, "reference": "REF-BETA", "custom_fields": {"attendees": 7, "cost_centre": "B"}},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["custom_fields"] == {"attendees": 7, "cost_centre": "B"}
    assert Payment.objects.count() == 2
    listed = me.get("/api/v1/payments/", {"cf_cost_centre": "b"}).json()["results"]
    assert [row["reference"] for row in listed] == ["REF-BETA"]
    client.force_login(admin_user)
    table = table_of(client.get(reverse("orders:payment-list"), {"cf_channel": "WeChat"}))
    assert "REF-ALPHA" in table and "REF-BETA" not in table


# --- Partner portal orders -----------------------------------------------------------------


@pytest.fixture
def portal_catalog(db):
    """A partner list with one product at 100.00, a tier on it and a partner in that tier."""
    price_list = PriceListFactory(name="Partner list")
    product = ProductFactory(name="Disk array DA-200", sku="DA-200")
    PriceListItemFactory(price_list=price_list, product=product, price="100.00")
    tier = TierFactory(name="Silver", price_list=price_list)
    return {"product": product, "tier": tier}


@pytest.fixture
def buyer(portal_catalog):
    organisation = OrganisationFactory(name="Jinqiao Systems", tier=portal_catalog["tier"])
    return UserFactory(role=Role.PARTNER_USER, organisation=organisation, username="buyer")


@pytest.fixture
def rival_buyer(portal_catalog):
    organisation = OrganisationFactory(name="Rival Systems", tier=portal_catalog["tier"])
    return UserFactory(role=Role.PARTNER_USER, organisation=organisation, username="rival")


def portal_order(by, catalog, reference, **custom) -> Order:
    return partner_order_place(
        by=by,
        lines=[{"product": catalog["product"], "quantity": Decimal("1")}],
        customer_reference=reference,
        custom_fields=custom,
    )


def test_portal_order_page_takes_custom_fields_and_shows_them(client, buyer, portal_catalog):
    define_three(Order)
    product = portal_catalog["product"]
    url = reverse("partners:portal-order-create")
    client.force_login(buyer)
    page = client.get(url).content.decode()
    assert 'name="cf_attendees"' in page and 'name="cf_cost_centre"' in page
    response = client.post(
        url,
        {
            f"qty-{product.pk}": "2",
            "customer_reference": "HZ-88",
            "cf_attendees": "9",
            "cf_channel": "Trade fair",
            "cf_cost_centre": "PO-1",
            "place": "1",
        },
    )
    order = Order.objects.get()
    assert response.status_code == 302 and response["Location"] == order.get_absolute_url()
    assert order.custom_fields == {"attendees": 9, "channel": "Trade fair", "cost_centre": "PO-1"}
    detail = client.get(order.get_absolute_url()).content.decode()
    assert "Cost centre" in detail and "PO-1" in detail and "Trade fair" in detail


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"cf_attendees": "nine", "cf_cost_centre": "PO-1"}, "cf_attendees"),
        ({"cf_channel": "Fax", "cf_cost_centre": "PO-1"}, "cf_channel"),
        ({"cf_attendees": "9"}, "cf_cost_centre"),
    ],
)
def test_portal_order_page_reports_a_bad_custom_value_beside_it_and_keeps_the_input(
    client, buyer, portal_catalog, bad, field
):
    define_three(Order)
    product = portal_catalog["product"]
    client.force_login(buyer)
    response = client.post(
        reverse("partners:portal-order-create"),
        {f"qty-{product.pk}": "2", "customer_reference": "HZ-88", "place": "1", **bad},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert field_error(page, field)
    assert f'name="qty-{product.pk}"' in page and 'value="2"' in page
    assert 'value="HZ-88"' in page
    assert not Order.objects.exists()


def test_portal_order_service_keys_custom_field_errors_as_the_form_inputs(buyer, portal_catalog):
    define_three(Order)
    with pytest.raises(ValidationError) as caught:
        portal_order(buyer, portal_catalog, "X", channel="Fax")
    assert set(caught.value.message_dict) == {"cf_channel", "cf_cost_centre"}
    assert not Order.objects.exists()


def test_portal_orders_filter_by_custom_field_within_the_partner(
    client, api, buyer, rival_buyer, portal_catalog
):
    define(Order, "channel", CustomField.Type.CHOICE, choices=CHANNELS)
    portal_order(buyer, portal_catalog, "REF-ALPHA", channel="WeChat")
    portal_order(rival_buyer, portal_catalog, "REF-GAMMA", channel="WeChat")
    me = api(buyer)
    line = [{"product": portal_catalog["product"].pk, "quantity": "1"}]
    answer = me.post(
        "/api/v1/partner-orders/",
        {"lines": line, "customer_reference": "REF-BETA", "custom_fields": {"channel": "Fax"}},
        format="json",
    )
    assert answer.status_code == 400 and "channel" in answer.json()["custom_fields"]
    answer = me.post(
        "/api/v1/partner-orders/",
        {"lines": line, "customer_reference": "REF-BETA", "custom_fields": {"channel": "Webinar"}},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["custom_fields"] == {"channel": "Webinar"}
    listed = me.get("/api/v1/orders/", {"cf_channel": "WeChat"}).json()["results"]
    assert [row["customer_reference"] for row in listed] == ["REF-ALPHA"]
    client.force_login(buyer)
    table = table_of(client.get(reverse("orders:order-list"), {"cf_channel": "WeChat"}))
    numbers = {order.customer_reference: order.number for order in Order.objects.all()}
    assert numbers["REF-ALPHA"] in table
    assert numbers["REF-BETA"] not in table and numbers["REF-GAMMA"] not in table


# --- Partner users: their own records, their own colleagues ---------------------------------


def test_partner_user_picker_on_a_plain_form_offers_colleagues_only(
    client, channel_manager, partner, partner_user, other_user
):
    define(MdfRequest, "promoter", CustomField.Type.USER)
    allocate(partner, channel_manager)
    colleague = UserFactory(role=Role.PARTNER_USER, organisation=partner, username="col")
    client.force_login(partner_user)
    page = client.get(reverse("partners:mdf-request-create")).content.decode()
    picker = page.split('name="cf_promoter"', 1)[1].split("</select>", 1)[0]
    assert f'value="{colleague.pk}"' in picker
    assert f'value="{other_user.pk}"' not in picker
    assert f'value="{channel_manager.pk}"' not in picker


def test_partner_fills_case_custom_fields_and_lists_only_its_own(
    client, api, partner_user, other_user
):
    define_three(Case)
    mine = AccountFactory(organisation=partner_user.organisation, owner=partner_user)
    theirs_account = AccountFactory(organisation=other_user.organisation, owner=other_user)
    case_open(
        case=Case(
            account=theirs_account,
            subject="Their noise",
            problem="Fan",
            custom_fields={"channel": "WeChat", "cost_centre": "T"},
        ),
        by=other_user,
    )
    client.force_login(partner_user)
    url = reverse("service:case-create")
    assert 'name="cf_channel"' in client.get(url).content.decode()
    form = {"kind": "service", "subject": "Our noise", "account": mine.pk, "problem": "Fan noise"}
    bad = client.post(url, {**form, "cf_attendees": "some", "cf_cost_centre": "S-1"})
    assert field_error(bad.content.decode(), "cf_attendees")
    assert 'value="Our noise"' in bad.content.decode()
    response = client.post(url, {**form, "cf_channel": "WeChat", "cf_cost_centre": "S-1"})
    case = Case.objects.get(subject="Our noise")
    assert response.status_code == 302
    assert case.custom_fields == {"channel": "WeChat", "cost_centre": "S-1"}
    assert "S-1" in client.get(case.get_absolute_url()).content.decode()
    table = table_of(client.get(reverse("service:case-list"), {"cf_channel": "WeChat"}))
    assert case.number in table and "Their noise" not in table
    listed = api(partner_user).get("/api/v1/cases/", {"cf_channel": "WeChat"}).json()["results"]
    assert [row["id"] for row in listed] == [case.pk]
    assert listed[0]["custom_fields"] == {"channel": "WeChat", "cost_centre": "S-1"}


# --- Exports -------------------------------------------------------------------------------


def _csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_invoice_and_payment_exports_end_with_the_custom_field_columns(client, admin_user):
    define(Invoice, "attendees", CustomField.Type.NUMBER, label="Attendees")
    define(Invoice, "channels", CustomField.Type.MULTI_CHOICE, label="Channels", choices=CHANNELS)
    define(Payment, "checked", CustomField.Type.BOOLEAN, label="Checked", order=1)
    define(Payment, "booked_on", CustomField.Type.DATE, label="Booked on", order=2)
    invoice = invoice_from_order(
        confirmed_order(admin_user),
        by=admin_user,
        custom_fields={"attendees": 12, "channels": ["WeChat", "Webinar"]},
    )
    payment_record(
        by=admin_user,
        account=invoice.account,
        received_on=datetime.date(2026, 12, 1),
        amount=Decimal("250.00"),
        currency=invoice.currency,
        allocations={invoice.pk: Decimal("200.00")},
        custom_fields={"checked": True, "booked_on": "2026-12-02"},
    )
    client.force_login(admin_user)
    rows = _csv_rows(client.get(reverse("orders:invoice-export"), {"format": "csv"}))
    assert rows[0][-2:] == ["Attendees", "Channels"]
    assert rows[1][0] == invoice.number and rows[1][-2:] == ["12", "WeChat, Webinar"]
    sheet = load_workbook(
        io.BytesIO(client.get(reverse("orders:invoice-export"), {"format": "xlsx"}).content)
    ).active
    assert list(sheet.values)[1][-2] == 12  # a number cell, not text
    rows = _csv_rows(client.get(reverse("orders:payment-export"), {"format": "csv"}))
    assert rows[0][-2:] == ["Checked", "Booked on"]
    # One row for the allocation and one for the credit left: both carry the payment's values.
    assert [row[-2:] for row in rows[1:]] == [["Yes", "2026-12-02"], ["Yes", "2026-12-02"]]


def test_case_export_ends_with_the_custom_field_columns(client, partner_user):
    define(Case, "engineer", CustomField.Type.USER, label="Engineer", order=1)
    define(Case, "cost", CustomField.Type.DECIMAL, label="Cost", order=2)
    agent = UserFactory(role=Role.SERVICE_AGENT, username="agent")
    account = AccountFactory(organisation=partner_user.organisation, owner=partner_user)
    case_open(
        case=Case(
            account=account,
            subject="Fan noise",
            problem="Loud",
            custom_fields={"engineer": agent.pk, "cost": "12.5"},
        ),
        by=partner_user,
    )
    client.force_login(agent)
    response = client.get(reverse("service:case-export"), {"format": "csv"})
    rows = _csv_rows(response)
    assert rows[0][-2:] == ["Engineer", "Cost"]
    assert rows[1][3] == "Fan noise" and rows[1][-2:] == ["agent", "12.5"]


def test_registration_export_ends_with_the_custom_field_columns(client, partner_user):
    define(DealRegistration, "campaign_code", label="Campaign code")
    registration_submit(
        registration=DealRegistration(
            customer_name="华东机械",
            estimated_amount=Decimal("88000"),
            currency="CNY",
            custom_fields={"campaign_code": "SPRING-26"},
        ),
        by=partner_user,
    )
    client.force_login(UserFactory(role=Role.ADMIN, username="boss"))
    rows = _csv_rows(client.get(reverse("partners:registration-export"), {"format": "csv"}))
    assert rows[0][-1] == "Campaign code"
    assert rows[1][1] == "华东机械" and rows[1][-1] == "SPRING-26"


# ------------------------------------------------------------------ records the system writes


@pytest.mark.parametrize(
    "model_name",
    ["leaddistribution", "onboardingitem", "courseattempt", "certificationaward", "orderhandover"],
)
def test_records_the_system_writes_take_no_custom_fields(admin_user, client, model_name):
    """Lead offers, onboarding ticks, quiz attempts, awards and order hops have no form to
    fill a custom field in, so administrators are not offered them as record types."""
    from allyance.core.custom_fields.services import custom_field_save
    from allyance.core.record_types import record_model_for

    model = record_model_for(model_name)
    content_type = ContentType.objects.get_for_model(model)
    field = CustomField(content_type=content_type, name="region", label="Region", type="text")
    with pytest.raises(ValidationError) as refused:
        custom_field_save(field=field, by=admin_user)
    assert "content_type" in refused.value.message_dict
    client.force_login(admin_user)
    page = client.get(reverse("core:custom-field-create")).content.decode()
    assert f'value="{content_type.pk}"' not in page
    registrations = ContentType.objects.get_for_model(DealRegistration)
    assert f'value="{registrations.pk}"' in page
