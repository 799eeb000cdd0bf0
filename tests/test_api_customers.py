"""The REST API for accounts, contacts and activities: CRUD, validation, versions, history."""

import pytest

from allyance.core.audit import acting_as
from allyance.core.models import AuditEntry
from allyance.customers.models import Account, Contact
from tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


def test_create_account_normalises_phone_and_email(api, rep):
    response = api(rep).post(
        "/api/v1/accounts/",
        {"name": "上海华东机械有限公司", "phone": "021 6234 5678", "email": " Info@HuaDong.CN "},
        format="json",
    )
    assert response.status_code == 201, response.json()
    account = Account.objects.get(pk=response.json()["id"])
    assert account.phone == "+862162345678"
    assert account.email == "info@huadong.cn"
    assert account.owner == rep
    assert account.organisation.is_company


def test_bad_phone_gets_field_error_not_500(api, rep):
    response = api(rep).post(
        "/api/v1/contacts/", {"family_name": "王", "mobile": "not a number"}, format="json"
    )
    assert response.status_code == 400
    assert "mobile" in response.json()


def test_stale_version_is_refused_with_409(api, rep):
    account = AccountFactory(owner=rep, name="Old name")
    client = api(rep)
    first = client.patch(
        f"/api/v1/accounts/{account.pk}/", {"name": "New", "version": 1}, format="json"
    )
    assert first.status_code == 200
    second = client.patch(
        f"/api/v1/accounts/{account.pk}/", {"name": "Lost", "version": 1}, format="json"
    )
    assert second.status_code == 409
    account.refresh_from_db()
    assert account.name == "New"


def test_update_is_audited_and_history_exposed(api, rep):
    account = AccountFactory(owner=rep, name="Before")
    api(rep).patch(f"/api/v1/accounts/{account.pk}/", {"name": "After"}, format="json")
    entry = AuditEntry.objects.filter(object_id=str(account.pk), action="update").get()
    assert entry.actor == rep
    assert entry.changes["name"] == ["Before", "After"]
    history = api(rep).get(f"/api/v1/accounts/{account.pk}/history/").json()
    assert history[0]["changes"]["name"] == ["Before", "After"]


def test_audit_entries_cannot_be_edited(rep):
    account = AccountFactory(owner=rep)
    entry = AuditEntry.objects.filter(object_id=str(account.pk)).first()
    entry.object_repr = "tampered"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()


def test_audit_records_the_before_value_of_a_field_that_was_not_loaded(rep):
    """Reading records costs no audit work; a record read with `.only()` and then changed
    still has its old value of the unloaded field in the audit entry."""
    account = AccountFactory(owner=rep, name="Before", city="Shanghai")
    partial = Account.objects.only("id", "name").get(pk=account.pk)
    partial.city = "Beijing"
    with acting_as(rep):
        partial.save()
    entry = AuditEntry.objects.filter(object_id=str(account.pk), action="update").get()
    assert entry.changes == {"city": ["Shanghai", "Beijing"]}


def test_reading_records_with_unloaded_fields_asks_no_more_queries(rep, django_assert_num_queries):
    AccountFactory.create_batch(5, owner=rep)
    with django_assert_num_queries(1):
        names = [account.name for account in Account.objects.only("id", "name")]
    assert len(names) == 5


def test_contact_cannot_be_linked_to_invisible_account(api, partner_a_user, partner_b_user):
    foreign = AccountFactory(organisation=partner_b_user.organisation)
    response = api(partner_a_user).post(
        "/api/v1/contacts/", {"family_name": "Li", "account": foreign.pk}, format="json"
    )
    assert response.status_code == 400
    assert "account" in response.json()


def test_partner_cannot_read_change_or_delete_other_partners_contact(
    api, partner_a_user, partner_b_user
):
    theirs = ContactFactory(organisation=partner_b_user.organisation)
    client = api(partner_a_user)
    assert client.get(f"/api/v1/contacts/{theirs.pk}/").status_code == 404
    assert (
        client.patch(f"/api/v1/contacts/{theirs.pk}/", {"title": "x"}, format="json").status_code
        == 404
    )
    assert client.delete(f"/api/v1/contacts/{theirs.pk}/").status_code == 404
    assert Contact.objects.filter(pk=theirs.pk).exists()


def test_list_is_cursor_paginated_and_searchable(api, rep):
    for index in range(3):
        AccountFactory(owner=rep, name=f"Searchable {index}")
    AccountFactory(owner=rep, name="Other")
    body = api(rep).get("/api/v1/accounts/", {"q": "searchable", "page_size": 2}).json()
    assert len(body["results"]) == 2
    assert body["next"]
    assert {r["name"] for r in body["results"]} <= {"Searchable 0", "Searchable 1", "Searchable 2"}


def test_token_auth(rep, client):
    from rest_framework.test import APIClient

    api_client = APIClient()
    api_client.force_authenticate(rep)
    key = api_client.post("/api/v1/tokens/").json()["key"]
    token_client = APIClient()
    token_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert token_client.get("/api/v1/accounts/").status_code == 200
    assert APIClient().get("/api/v1/accounts/").status_code in (401, 403)


def test_portal_customer_reads_own_account_but_cannot_change_it(api):
    from allyance.core.models import Role
    from tests.factories import UserFactory

    own = AccountFactory(name="Own")
    customer = UserFactory(role=Role.CUSTOMER, customer_account=own)
    client = api(customer)
    assert client.get(f"/api/v1/accounts/{own.pk}/").status_code == 200
    assert (
        client.patch(f"/api/v1/accounts/{own.pk}/", {"name": "x"}, format="json").status_code == 403
    )
    assert client.delete(f"/api/v1/accounts/{own.pk}/").status_code == 403
    own.refresh_from_db()
    assert own.name == "Own"


@pytest.mark.parametrize("path", ["/api/v1/contacts/", "/api/v1/accounts/"])
def test_a_page_of_the_list_asks_the_same_few_queries_for_5_or_50_records(
    api, rep, path, django_assert_max_num_queries
):
    """Related records are given by id: no query per row, and none joined in for nothing."""
    client = api(rep)
    for number in range(5):
        ContactFactory(owner=rep, account=AccountFactory(owner=rep, name=f"Few {number}"))
    client.get(path)  # the token and content types are read once
    with django_assert_max_num_queries(6) as few:
        assert len(client.get(path).json()["results"]) == 5
    for number in range(45):
        ContactFactory(owner=rep, account=AccountFactory(owner=rep, name=f"Many {number}"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get(path).json()["results"]) == 50
    first_page = few.captured_queries
    record_query = next(q["sql"] for q in first_page if "LIMIT 51" in q["sql"])
    assert 'JOIN "core_user"' not in record_query
