"""Service requests and warranty claims: numbering, the warranty check to the day, the status
table and who may move it, files, the account's timeline, search, export, pages and API."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from allyance.core.attachments import attachment_add, attachments_visible_to
from allyance.core.models import Notification, Role
from allyance.core.search import global_search
from allyance.core.timeline import timeline_for
from allyance.service.models import Case
from allyance.service.services import (
    add_months,
    case_move,
    case_open,
    case_update,
    moves_for,
)
from tests.factories import (
    AccountFactory,
    OrderFactory,
    OrderLineFactory,
    OrganisationFactory,
    ProductFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()
Status = Case.Status


@pytest.fixture
def agent(db):
    return UserFactory(role=Role.SERVICE_AGENT, username="agent")


@pytest.fixture
def partner(db):
    return OrganisationFactory(name="Pacific Bridge")


@pytest.fixture
def seller(partner):
    return UserFactory(role=Role.PARTNER_USER, organisation=partner, username="seller")


@pytest.fixture
def other(db):
    return UserFactory(
        role=Role.PARTNER_ADMIN, organisation=OrganisationFactory(name="Beta"), username="beta"
    )


@pytest.fixture
def customer(partner, seller):
    return AccountFactory(organisation=partner, owner=seller, name="Harbour Clinic")


@pytest.fixture
def array(db):
    return ProductFactory(name="Disk array DA-200", sku="DA-200", warranty_months=12)


def claim(by, account, **fields) -> Case:
    fields.setdefault("subject", "Controller fails")
    fields.setdefault("problem", "The controller restarts every hour.")
    return case_open(case=Case(kind=Case.Kind.WARRANTY, account=account, **fields), by=by)


# --------------------------------------------------------------------------- opening


def test_a_case_is_numbered_new_and_belongs_to_the_partner(seller, partner, customer):
    first = case_open(case=Case(account=customer, subject="Noise", problem="Fan noise"), by=seller)
    second = case_open(case=Case(account=customer, subject="Slow", problem="Slow"), by=seller)
    assert first.number == f"CASE-{TODAY.year}-00001"
    assert second.number == f"CASE-{TODAY.year}-00002"
    assert (first.status, first.organisation, first.owner) == (Status.NEW, partner, seller)
    # A service request is not a warranty claim: nothing is checked.
    assert first.warranty_valid is None and first.warranty_until is None


def test_a_warranty_claim_on_the_last_day_of_the_warranty_is_valid(seller, customer, array):
    bought = add_months(TODAY, -12) + datetime.timedelta(days=1)
    case = claim(seller, customer, product=array, purchase_date=bought, serial_number="SN-1")
    assert case.warranty_until == TODAY
    assert case.warranty_valid is True


def test_a_warranty_claim_the_day_after_is_expired_but_recorded(seller, customer, array):
    case = claim(seller, customer, product=array, purchase_date=add_months(TODAY, -12))
    assert case.warranty_until == TODAY - datetime.timedelta(days=1)
    assert case.warranty_valid is False
    assert Case.objects.filter(pk=case.pk, status=Status.NEW).exists()


def test_months_end_on_the_last_day_of_a_shorter_month():
    assert add_months(datetime.date(2026, 1, 31), 1) == datetime.date(2026, 2, 28)
    assert add_months(datetime.date(2024, 2, 29), 12) == datetime.date(2025, 2, 28)
    assert add_months(datetime.date(2026, 11, 30), 3) == datetime.date(2027, 2, 28)


def test_the_warranty_runs_from_the_order_date(seller, partner, customer, array):
    sold = add_months(TODAY, -6)
    order = OrderFactory(
        organisation=partner, owner=seller, account=customer, order_date=sold, status="confirmed"
    )
    OrderLineFactory(order=order, product=array)
    case = claim(seller, customer, product=array, order=order)
    assert case.purchase_date == sold
    assert case.warranty_until == add_months(sold, 12) - datetime.timedelta(days=1)
    assert case.warranty_valid is True


def test_the_warranty_runs_from_the_delivery_when_the_order_arrived(
    seller, partner, customer, array
):
    from allyance.orders.models import Shipment

    order = OrderFactory(
        organisation=partner,
        owner=seller,
        account=customer,
        order_date=add_months(TODAY, -13),
        status="delivered",
    )
    OrderLineFactory(order=order, product=array)
    Shipment.objects.create(
        order=order, shipped_on=add_months(TODAY, -13), delivered_on=add_months(TODAY, -12)
    )
    case = claim(seller, customer, product=array, order=order)
    # Delivered a year ago today: the warranty ended yesterday.
    assert case.purchase_date == add_months(TODAY, -12)
    assert case.warranty_valid is False


def test_a_claim_without_a_product_is_not_checked(seller, customer):
    case = claim(seller, customer, purchase_date=TODAY - datetime.timedelta(days=10))
    assert case.warranty_valid is None and case.warranty_until is None


def test_a_claim_needs_a_purchase_date_or_an_order(seller, customer, array):
    with pytest.raises(ValidationError) as refused:
        claim(seller, customer, product=array)
    assert "purchase_date" in refused.value.message_dict
    assert not Case.objects.exists()


def test_an_order_of_another_account_is_refused(seller, partner, customer, array):
    elsewhere = AccountFactory(organisation=partner, owner=seller)
    order = OrderFactory(organisation=partner, owner=seller, account=elsewhere)
    with pytest.raises(ValidationError) as refused:
        claim(seller, customer, product=array, order=order)
    assert "order" in refused.value.message_dict


def test_a_partner_cannot_open_a_case_for_an_account_it_cannot_see(seller, other):
    theirs = AccountFactory(organisation=other.organisation, owner=other)
    with pytest.raises(ValidationError) as refused:
        claim(seller, theirs, purchase_date=TODAY)
    assert "account" in refused.value.message_dict


def test_a_case_staff_open_belongs_to_the_accounts_partner(agent, seller, customer, array):
    case = claim(agent, customer, product=array, purchase_date=TODAY)
    assert case.organisation == customer.organisation and case.owner == agent
    assert case.pk in {c.pk for c in Case.objects.filter(organisation=seller.organisation)}


def test_changing_the_purchase_date_checks_the_warranty_again(seller, customer, array):
    case = claim(seller, customer, product=array, purchase_date=TODAY)
    assert case.warranty_valid is True
    case.purchase_date = add_months(TODAY, -24)
    case = case_update(case=case, by=seller)
    assert case.warranty_valid is False
    assert case.warranty_until == add_months(TODAY, -12) - datetime.timedelta(days=1)


# --------------------------------------------------------------------------- statuses


def test_the_service_team_moves_a_case_through_its_statuses(agent, seller, customer):
    case = claim(seller, customer, purchase_date=TODAY)
    case = case_move(case=case, to=Status.IN_PROGRESS, by=agent)
    case = case_move(case=case, to=Status.WAITING, by=agent)
    case = case_move(case=case, to=Status.IN_PROGRESS, by=agent)
    with pytest.raises(ValidationError) as no_answer:
        case_move(case=case, to=Status.RESOLVED, by=agent)
    assert "resolution" in no_answer.value.message_dict
    case = case_move(case=case, to=Status.RESOLVED, by=agent, resolution="Controller replaced")
    assert case.resolved_at is not None and case.resolution == "Controller replaced"
    case = case_move(case=case, to=Status.CLOSED, by=seller)
    assert case.status == Status.CLOSED
    with pytest.raises(ValidationError):
        case_move(case=case, to=Status.IN_PROGRESS, by=agent)


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (Status.NEW, Status.RESOLVED),
        (Status.NEW, Status.CLOSED),
        (Status.WAITING, Status.RESOLVED),
        (Status.REJECTED, Status.IN_PROGRESS),
        (Status.CLOSED, Status.NEW),
    ],
)
def test_moves_outside_the_table_are_refused(agent, customer, start, target):
    case = claim(agent, customer, purchase_date=TODAY)
    Case.objects.filter(pk=case.pk).update(status=start)
    case.refresh_from_db()
    with pytest.raises(ValidationError):
        case_move(case=case, to=target, by=agent, resolution="x")
    case.refresh_from_db()
    assert case.status == start


def test_an_expired_claim_may_be_rejected_with_a_reason(agent, seller, customer, array):
    case = claim(seller, customer, product=array, purchase_date=add_months(TODAY, -30))
    case = case_move(case=case, to=Status.REJECTED, by=agent, resolution="Out of warranty")
    assert case.status == Status.REJECTED and case.resolution == "Out of warranty"


def test_a_partner_cannot_move_its_case_to_resolved_or_in_progress(agent, seller, customer):
    case = claim(seller, customer, purchase_date=TODAY)
    with pytest.raises(PermissionDenied):
        case_move(case=case, to=Status.IN_PROGRESS, by=seller)
    case = case_move(case=case, to=Status.IN_PROGRESS, by=agent)
    with pytest.raises(PermissionDenied):
        case_move(case=case, to=Status.RESOLVED, by=seller, resolution="Fixed it myself")
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS
    assert moves_for(seller, case) == []
    assert moves_for(agent, case) == [Status.WAITING, Status.RESOLVED]


def test_the_partner_is_told_of_every_status_change(
    agent, seller, customer, django_capture_on_commit_callbacks
):
    case = claim(seller, customer, purchase_date=TODAY)
    with django_capture_on_commit_callbacks(execute=True):
        case_move(case=case, to=Status.IN_PROGRESS, by=agent)
    note = Notification.objects.get(recipient=seller)
    assert case.number in note.message and note.url == case.get_absolute_url()


def test_the_partner_can_still_add_information_while_the_case_is_open(seller, customer):
    case = claim(seller, customer, purchase_date=TODAY)
    case.problem += "\nIt also beeps."
    case = case_update(case=case, by=seller)
    assert "beeps" in case.problem
    Case.objects.filter(pk=case.pk).update(status=Status.CLOSED)
    case.refresh_from_db()
    case.problem = "changed after closing"
    with pytest.raises(ValidationError):
        case_update(case=case, by=seller)


# --------------------------------------------------------------------------- files, timeline


def test_the_partner_attaches_receipts_and_the_other_partner_cannot(seller, other, customer):
    case = claim(seller, customer, purchase_date=TODAY)
    receipt = attachment_add(
        target=case,
        uploaded_file=SimpleUploadedFile("receipt.txt", b"Invoice 2291, paid"),
        by=seller,
    )
    assert list(attachments_visible_to(seller, case)) == [receipt]
    assert not attachments_visible_to(other, case).exists()
    with pytest.raises(PermissionDenied):
        attachment_add(target=case, uploaded_file=SimpleUploadedFile("x.txt", b"sneaky"), by=other)


def test_cases_are_on_the_accounts_timeline(agent, seller, customer):
    case = claim(seller, customer, purchase_date=TODAY)
    case_move(case=case, to=Status.IN_PROGRESS, by=agent)
    titles = [
        entry.item.get_action_display()
        for entry in timeline_for(customer, activities=customer.activities.none(), user=seller)
        if entry.kind == "change"
    ]
    assert any(case.number in title and "opened" in title for title in titles)
    assert any(case.number in title and "In progress" in title for title in titles)


def test_search_finds_a_case_by_serial_number_for_its_partner_only(seller, other, customer):
    case = claim(seller, customer, purchase_date=TODAY, serial_number="DA200-77812")
    found = {row.pk for group in global_search(seller, "DA200-77812") for row in group["rows"]}
    assert case.pk in found
    hidden = {row.pk for group in global_search(other, "DA200-77812") for row in group["rows"]}
    assert case.pk not in hidden


# --------------------------------------------------------------------------- pages


def test_the_partner_opens_a_claim_on_the_page(seller, customer, array, client):
    client.force_login(seller)
    answer = client.post(
        reverse("service:case-create"),
        {
            "kind": "warranty",
            "subject": "Disk fails",
            "account": customer.pk,
            "product": array.pk,
            "serial_number": "SN-9",
            "purchase_date": (TODAY - datetime.timedelta(days=30)).isoformat(),
            "problem": "Red light on disk 3.",
        },
    )
    case = Case.objects.get()
    assert answer.status_code == 302 and answer["Location"] == case.get_absolute_url()
    page = client.get(case.get_absolute_url()).content.decode()
    assert 'data-warranty="valid"' in page and "SN-9" in page
    # A partner closes resolved cases only: no status form while it is new.
    assert 'data-testid="case-move-card"' not in page


def test_the_page_shows_errors_beside_the_fields(seller, customer, array, client):
    client.force_login(seller)
    answer = client.post(
        reverse("service:case-create"),
        {
            "kind": "warranty",
            "subject": "Disk fails",
            "account": customer.pk,
            "product": array.pk,
            "problem": "Red light.",
        },
    )
    assert answer.status_code == 200
    assert 'data-field-error="purchase_date"' in answer.content.decode()
    assert not Case.objects.exists()


def test_staff_resolve_on_the_page_and_a_missing_resolution_is_shown(
    agent, seller, customer, client
):
    case = case_move(case=claim(seller, customer, purchase_date=TODAY), to="in_progress", by=agent)
    client.force_login(agent)
    url = reverse("service:case-move", args=[case.pk])
    refused = client.post(url, {"to": "resolved", "version": case.version})
    assert refused.status_code == 400
    assert 'data-field-error="resolution"' in refused.content.decode()
    done = client.post(url, {"to": "resolved", "resolution": "Swapped", "version": case.version})
    assert done.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.RESOLVED


def test_the_partner_sees_its_own_cases_only(seller, other, customer, client):
    mine = claim(seller, customer, purchase_date=TODAY, subject="Mine: fan noise")
    theirs_account = AccountFactory(organisation=other.organisation, owner=other)
    theirs = claim(other, theirs_account, purchase_date=TODAY, subject="Theirs: broken rail")
    client.force_login(seller)
    listed = client.get(reverse("service:case-list"), {"kind": "warranty"}).content.decode()
    assert "Mine: fan noise" in listed and "Theirs: broken rail" not in listed
    assert client.get(theirs.get_absolute_url()).status_code == 404
    assert client.get(reverse("service:case-edit", args=[theirs.pk])).status_code == 404
    assert (
        client.post(reverse("service:case-move", args=[theirs.pk]), {"to": "closed"}).status_code
        == 404
    )
    assert client.get(mine.get_absolute_url()).status_code == 200


def test_staff_export_cases_and_partners_cannot(agent, seller, customer, client):
    claim(seller, customer, purchase_date=TODAY, serial_number="EXP-SN-1")
    client.force_login(agent)
    answer = client.get(reverse("service:case-export"), {"format": "csv"})
    text = (
        b"".join(answer).decode("utf-8-sig")
        if answer.streaming
        else answer.content.decode("utf-8-sig")
    )
    assert answer.status_code == 200 and "EXP-SN-1" in text and "Pacific Bridge" in text
    assert client.get(reverse("service:case-export"), {"format": "xlsx"}).status_code == 200
    client.force_login(seller)
    assert client.get(reverse("service:case-export")).status_code == 403


# --------------------------------------------------------------------------- API


def test_the_api_opens_and_moves_cases_with_the_same_rules(agent, seller, customer, array, api):
    opened = api(seller).post(
        "/api/v1/cases/",
        {
            "kind": "warranty",
            "subject": "PSU dead",
            "account": customer.pk,
            "product": array.pk,
            "purchase_date": add_months(TODAY, -12).isoformat(),
            "problem": "No power.",
            "status": "closed",
        },
        format="json",
    )
    assert opened.status_code == 201, opened.content
    body = opened.json()
    assert body["status"] == "new" and body["number"].startswith("CASE-")
    assert body["warranty_valid"] is False
    url = f"/api/v1/cases/{body['id']}/move/"
    assert api(seller).post(url, {"to": "in_progress"}, format="json").status_code == 403
    moved = api(agent).post(url, {"to": "rejected", "resolution": "Expired"}, format="json")
    assert moved.status_code == 200 and moved.json()["status"] == "rejected"
    assert api(agent).post(url, {"to": "in_progress"}, format="json").status_code == 400


def test_the_api_refuses_a_case_for_another_partners_account(seller, other, api):
    theirs = AccountFactory(organisation=other.organisation, owner=other)
    answer = api(seller).post(
        "/api/v1/cases/",
        {"subject": "x", "account": theirs.pk, "problem": "x"},
        format="json",
    )
    assert answer.status_code == 400 and "account" in answer.json()
    assert not Case.objects.exists()


def test_only_staff_delete_a_new_case(agent, seller, customer, api):
    case = claim(seller, customer, purchase_date=TODAY)
    assert api(seller).delete(f"/api/v1/cases/{case.pk}/").status_code == 403
    assert api(agent).delete(f"/api/v1/cases/{case.pk}/").status_code == 204
    assert not Case.objects.exists()
