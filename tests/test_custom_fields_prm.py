"""Custom fields on the PRM, service and billing pages that create records through a service
with keyword arguments: MDF requests and claims, portal orders, invoices and payments.

For each: the field is on the form, a good value is saved and shown on the detail page, a bad
one is reported beside the field with the rest of the input kept, the list filters by it,
and the API writes and reads it.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.urls import reverse

from allyance.core.models import CustomField, Role
from allyance.partners.models import MdfAllocation, MdfClaim, MdfRequest
from allyance.partners.services.mdf import (
    allocation_save,
    claim_submit,
    request_approve,
    request_submit,
)
from tests.factories import OrganisationFactory, UserFactory

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
