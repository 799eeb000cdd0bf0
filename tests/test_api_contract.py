"""The API contract every endpoint keeps: auth, clear 400s, 403/404, cursor pages,
ordering, filtering, a valid schema, and a read-only audit trail."""

import json
from base64 import b64encode
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS
from rest_framework.test import APIClient

from allyance.core.models import AuditEntry, Role
from allyance.customers.models import Account
from allyance.urls import router
from tests.factories import AccountFactory, ActivityFactory, ContactFactory, UserFactory

pytestmark = pytest.mark.django_db


def ids_of(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


def walk_pages(client: APIClient, url: str, params: dict) -> list[int]:
    """Every id of a listing, following the `next` links."""
    seen, response = [], client.get(url, params)
    while True:
        assert response.status_code == 200, response.json()
        seen += ids_of(response)
        if not response.json()["next"]:
            return seen
        response = client.get(response.json()["next"])


def cursor(**tokens: str) -> str:
    from urllib.parse import urlencode

    return b64encode(urlencode(tokens).encode()).decode()


# --- Schema and docs -----------------------------------------------------------------------


def test_schema_is_valid_and_generates_without_warnings(tmp_path):
    GENERATOR_STATS.reset()
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml")
    )
    assert "/api/v1/audit/" in (tmp_path / "schema.yml").read_text()


def test_schema_documents_every_registered_endpoint(client):
    paths = client.get("/api/schema/", {"format": "json"}).json()["paths"]
    for prefix, _viewset, _basename in router.registry:
        assert f"/api/v1/{prefix}/" in paths, prefix


def test_record_ids_are_integers_in_the_schema(client):
    paths = client.get("/api/schema/", {"format": "json"}).json()["paths"]
    (parameter,) = paths["/api/v1/accounts/{id}/"]["get"]["parameters"]
    assert parameter["schema"]["type"] == "integer"


def test_docs_page_is_served_with_a_content_security_policy(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


# --- Authentication ------------------------------------------------------------------------


def test_token_auth_reads_and_a_wrong_or_missing_token_is_refused(api, rep):
    key = api(rep).post("/api/v1/tokens/").json()["key"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/accounts/").status_code == 200
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    assert client.get("/api/v1/accounts/").status_code == 401
    assert APIClient().get("/api/v1/accounts/").status_code == 401


def test_session_auth_writes_need_the_csrf_token(rep):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(rep)
    assert client.get("/api/v1/accounts/").status_code == 200
    refused = client.post("/api/v1/accounts/", {"name": "No token"}, format="json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    client.get("/accounts/")  # any page sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    created = client.post(
        "/api/v1/accounts/", {"name": "With token"}, format="json", HTTP_X_CSRFTOKEN=token
    )
    assert created.status_code == 201, created.json()


# --- 400, 403, 404 -------------------------------------------------------------------------


def test_bad_input_gets_400_with_an_error_per_field(api, rep):
    response = api(rep).post(
        "/api/v1/accounts/",
        {"name": "", "kind": "alien", "email": "not-an-email", "tags": "vip"},
        format="json",
    )
    assert response.status_code == 400
    assert {"name", "kind", "email", "tags"} <= set(response.json())


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": ["a", "list"]}, "name"),
        ({"name": "Ok", "custom_fields": ["not", "an", "object"]}, "custom_fields"),
        ({"name": "Ok", "version": "seven"}, "version"),
        ({"name": "Ok", "version": 2**70}, "version"),
        ({"name": "Ok", "parent": 2**70}, "parent"),
        ({"name": "Ok", "territory": "north"}, "territory"),
        ({"name": "Ok", "tags": [1, 2]}, "tags"),
    ],
)
def test_wrong_json_types_get_field_errors(api, rep, body, field):
    response = api(rep).post("/api/v1/accounts/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_a_body_that_is_not_an_object_or_not_json_gets_400(api, rep):
    client = api(rep)
    assert client.post("/api/v1/accounts/", [1, 2], format="json").status_code == 400
    broken = client.post("/api/v1/accounts/", "{", content_type="application/json")
    assert broken.status_code == 400
    nested = client.post("/api/v1/accounts/", "[" * 100_000, content_type="application/json")
    assert nested.status_code == 400


def test_bad_dates_get_field_errors(api, rep):
    client = api(rep)
    response = client.post(
        "/api/v1/activities/", {"subject": "Call", "starts_at": "yesterday"}, format="json"
    )
    assert response.status_code == 400
    assert "starts_at" in response.json()
    far = client.post(
        "/api/v1/activities/",
        {"subject": "Call", "due_at": "0001-01-01T00:00:00+14:00"},
        format="json",
    )
    assert far.status_code == 400
    assert "due_at" in far.json()
    listing = client.get("/api/v1/activities/", {"due_before": "2025-13-45"})
    assert listing.status_code == 400
    assert "due_before" in listing.json()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": "A\x00B"}, "name"),
        ({"name": "Ok", "custom_fields": {"region": "x\x00"}}, "custom_fields"),
        ({"name": "Ok", "custom_fields": {"re\x00gion": "x"}}, "custom_fields"),
        ({"name": "Ok", "tags": ["v\x00ip"]}, "tags"),
    ],
)
def test_nul_characters_in_the_body_get_400_not_a_database_error(api, rep, body, field):
    response = api(rep).post("/api/v1/accounts/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Account.objects.exists()


def test_nul_characters_in_the_query_or_path_get_400(api, rep, client):
    api_client = api(rep)
    response = api_client.get("/api/v1/accounts/?q=%00")
    assert response.status_code == 400
    assert "q" in response.json()
    assert api_client.get("/api/v1/accounts/?city=a%00b").status_code == 400
    assert api_client.get("/api/v1/tokens/%00/").status_code == 400
    client.force_login(rep)
    assert client.get("/accounts/?q=%00").status_code == 400


def test_nul_characters_in_a_token_or_session_cookie_get_400(rep, client):
    """Both keys reach a database lookup before any view runs."""
    token_client = APIClient()
    token_client.credentials(HTTP_AUTHORIZATION="Token abc\x00def")
    assert token_client.get("/api/v1/accounts/").status_code == 400
    assert client.get("/accounts/", HTTP_COOKIE="sessionid=abcdefgh\x00ijkl").status_code == 400
    client.cookies["sessionid"] = "abcdefgh\x00ijkl"  # sent quoted, as `\000`
    assert client.get("/accounts/").status_code == 400


def test_non_finite_numbers_in_custom_fields_get_400(api, rep):
    response = api(rep).post(
        "/api/v1/accounts/",
        '{"name": "Ok", "custom_fields": {"score": 1e999}}',
        content_type="application/json",
    )
    assert response.status_code == 400


def test_unknown_or_absurd_ids_are_404(api, rep):
    client = api(rep)
    for path in ("999999", str(2**70), "abc", "-1"):
        assert client.get(f"/api/v1/accounts/{path}/").status_code == 404, path
        assert client.patch(f"/api/v1/accounts/{path}/", {}, format="json").status_code == 404


def test_huge_integers_in_filters_are_answered_not_crashed(api, rep):
    client = api(rep)
    owner = client.get("/api/v1/accounts/", {"owner": str(2**70)})
    assert owner.status_code == 400
    assert "owner" in owner.json()
    actor = client.get("/api/v1/audit/", {"actor": str(2**70)})
    assert actor.status_code == 400
    assert "actor" in actor.json()
    assert client.get("/api/v1/audit/", {"object_id": "9" * 64}).status_code == 200


def test_rep_deleting_a_user_or_creating_an_organisation_is_403(api, rep):
    other = UserFactory()
    client = api(rep)
    assert client.delete(f"/api/v1/users/{other.pk}/").status_code == 403
    assert client.post("/api/v1/organisations/", {"name": "X"}, format="json").status_code == 403
    other.refresh_from_db()
    assert other.is_active


# --- Cursor pages, ordering, filtering -----------------------------------------------------


def test_cursor_pages_cover_every_row_once_in_a_stable_order(api, rep):
    accounts = [AccountFactory(owner=rep) for _ in range(7)]
    # Equal sort values are the hard case: the primary key must break the tie.
    Account.objects.update(updated_at=datetime(2025, 5, 1, tzinfo=UTC))
    seen = walk_pages(api(rep), "/api/v1/accounts/", {"page_size": 3})
    assert seen == sorted((a.pk for a in accounts), reverse=True)


def test_a_later_page_starts_from_an_index_range_not_from_the_first_row(api, admin_user):
    """The cursor's condition is an OR over the sort terms, which no index can seek to;
    the first term's own range in front of it lets page 1,000 start where it begins."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    for _ in range(5):
        AccountFactory()
    client = api(admin_user)
    first = client.get("/api/v1/accounts/", {"page_size": 2}).json()
    with CaptureQueriesContext(connection) as queries:
        assert len(ids_of(client.get(first["next"]))) == 2
    sql = next(q["sql"] for q in queries if "LIMIT 3" in q["sql"])
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            plan = " ".join(str(row) for row in cursor.fetchall())
            assert "USING INDEX" in plan and "updated_at<" in plan, plan
        else:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}")
            plan = " ".join(row[0] for row in cursor.fetchall())
            assert "Index Cond: (updated_at <=" in plan, plan


def test_cursor_pages_go_back_with_the_previous_link(api, rep):
    for _ in range(5):
        AccountFactory(owner=rep)
    client = api(rep)
    first = client.get("/api/v1/accounts/", {"page_size": 2})
    second = client.get(first.json()["next"])
    back = client.get(second.json()["previous"])
    assert ids_of(back) == ids_of(first)


def test_previous_links_walk_back_through_the_same_pages(api, rep):
    for _ in range(7):
        AccountFactory(owner=rep)
    client = api(rep)
    pages, response = [], client.get("/api/v1/accounts/", {"page_size": 3})
    while True:
        pages.append(ids_of(response))
        if not response.json()["next"]:
            break
        response = client.get(response.json()["next"])
    back = []
    while response.json()["previous"]:
        response = client.get(response.json()["previous"])
        back.append(ids_of(response))
    assert back == pages[-2::-1]


@pytest.mark.parametrize("ordering", ["due_at", "-due_at"])
def test_a_nullable_sort_field_pages_through_every_row(api, rep, ordering):
    """A blank due date sorts after every date (before, descending) on both databases."""
    undated = [ActivityFactory(owner=rep) for _ in range(3)]
    dated = [
        ActivityFactory(owner=rep, due_at=datetime(2025, 1, day, tzinfo=UTC)) for day in (3, 1, 2)
    ]
    seen = walk_pages(api(rep), "/api/v1/activities/", {"ordering": ordering, "page_size": 2})
    ascending = [a.pk for a in sorted(dated, key=lambda a: a.due_at)] + [a.pk for a in undated]
    assert seen == (ascending if ordering == "due_at" else ascending[::-1])


def test_a_list_page_sorted_by_a_nullable_field_shows_every_row(client, rep):
    activities = [ActivityFactory(owner=rep) for _ in range(3)] + [
        ActivityFactory(owner=rep, due_at=datetime(2025, 1, 1, tzinfo=UTC)) for _ in range(3)
    ]
    client.force_login(rep)
    seen, url = [], "/activities/?sort=due_at&page_size=2"
    while url:
        response = client.get(url)
        assert response.status_code == 200
        seen += [row.pk for row in response.context["rows"]]
        url = response.context["next_url"]
    assert sorted(seen) == sorted(a.pk for a in activities)
    assert len(seen) == len(set(seen))


def test_more_than_a_thousand_equal_sort_values_still_page_without_repeats(api, rep):
    Account.objects.bulk_create(
        Account(name="Same", owner=rep, organisation=rep.organisation) for _ in range(1100)
    )
    seen = walk_pages(api(rep), "/api/v1/accounts/", {"ordering": "name", "page_size": 500})
    assert len(seen) == len(set(seen)) == 1100


def test_page_size_is_honoured_and_out_of_range_gets_400(api, rep):
    for _ in range(3):
        AccountFactory(owner=rep)
    client = api(rep)
    assert len(ids_of(client.get("/api/v1/accounts/", {"page_size": 2}))) == 2
    assert len(ids_of(client.get("/api/v1/accounts/", {"page_size": 500}))) == 3
    for bad in ("0", "-1", "501", "many", str(2**70)):
        response = client.get("/api/v1/accounts/", {"page_size": bad})
        assert response.status_code == 400, bad
        assert "page_size" in response.json()


@pytest.mark.parametrize(
    "value",
    [
        "garbage!",
        cursor(p="not json"),
        cursor(p=json.dumps(["not-a-date", "1"])),
        cursor(p=json.dumps(["2025-01-01 00:00:00+00:00\x00", "1"])),
        cursor(p=json.dumps(["2025-01-01 00:00:00+00:00"])),
        cursor(p=json.dumps([None, "1"])),
        cursor(p=json.dumps(["2025-01-01 00:00:00+00:00", str(2**70)])),
        cursor(p=json.dumps([{"a": 1}, 2])),
        cursor(r="maybe"),
    ],
)
def test_a_malformed_cursor_gets_400(api, rep, value):
    AccountFactory(owner=rep)
    response = api(rep).get("/api/v1/accounts/", {"cursor": value})
    assert response.status_code == 400
    assert "cursor" in response.json()


def test_a_forged_cursor_on_a_text_field_is_checked_too(api, rep):
    AccountFactory(owner=rep)
    forged = cursor(p=json.dumps(["a\x00", "1"]))
    response = api(rep).get("/api/v1/accounts/", {"ordering": "name", "cursor": forged})
    assert response.status_code == 400


def test_ordering_sorts_both_ways_and_an_unknown_field_gets_400(api, rep):
    for name in ("Beta", "Alpha", "Gamma"):
        AccountFactory(owner=rep, name=name)
    client = api(rep)
    names = [
        r["name"] for r in client.get("/api/v1/accounts/", {"ordering": "name"}).json()["results"]
    ]
    assert names == ["Alpha", "Beta", "Gamma"]
    names = [
        r["name"] for r in client.get("/api/v1/accounts/", {"ordering": "-name"}).json()["results"]
    ]
    assert names == ["Gamma", "Beta", "Alpha"]
    response = client.get("/api/v1/accounts/", {"ordering": "password"})
    assert response.status_code == 400
    assert "ordering" in response.json()


def test_ordering_by_a_repeated_value_still_pages_through_every_row(api, rep):
    accounts = [AccountFactory(owner=rep, name="Same") for _ in range(5)]
    seen = walk_pages(api(rep), "/api/v1/accounts/", {"ordering": "name", "page_size": 2})
    assert sorted(seen) == sorted(a.pk for a in accounts)
    assert len(seen) == len(set(seen))


def test_filters_narrow_the_list(api, rep):
    active = AccountFactory(owner=rep, status=Account.Status.ACTIVE, name="Kept")
    AccountFactory(owner=rep, status=Account.Status.INACTIVE, name="Dropped")
    client = api(rep)
    assert ids_of(client.get("/api/v1/accounts/", {"status": "active"})) == [active.pk]
    assert ids_of(client.get("/api/v1/accounts/", {"q": "kept"})) == [active.pk]
    bad = client.get("/api/v1/accounts/", {"status": "sleeping"})
    assert bad.status_code == 400
    assert "status" in bad.json()


# --- Audit trail ---------------------------------------------------------------------------


def test_history_action_lists_the_records_changes(api, rep):
    account = AccountFactory(owner=rep, name="Before")
    api(rep).patch(f"/api/v1/accounts/{account.pk}/", {"name": "After"}, format="json")
    history = api(rep).get(f"/api/v1/accounts/{account.pk}/history/").json()
    assert [entry["action"] for entry in history] == ["update", "create"]
    assert history[0]["by"] == rep.pk
    assert history[0]["by_name"] == str(rep)
    assert history[0]["changes"]["name"] == ["Before", "After"]


def test_audit_endpoint_lists_entries_about_visible_records_only(
    api, partner_a_user, partner_b_user
):
    mine = AccountFactory(organisation=partner_a_user.organisation, name="Mine")
    theirs = AccountFactory(organisation=partner_b_user.organisation, name="Theirs")
    client = api(partner_a_user)
    rows = walk_pages(client, "/api/v1/audit/", {})
    about = set(AuditEntry.objects.filter(pk__in=rows).values_list("object_id", flat=True))
    assert about == {str(mine.pk)}
    hidden = AuditEntry.objects.get(object_id=str(theirs.pk), content_type__model="account")
    assert client.get(f"/api/v1/audit/{hidden.pk}/").status_code == 404


def test_audit_endpoint_hides_user_and_organisation_history_from_non_admins(api, rep, admin_user):
    UserFactory(username="newcomer")
    assert api(rep).get("/api/v1/audit/", {"content_type": "user"}).json()["results"] == []
    assert api(admin_user).get("/api/v1/audit/", {"content_type": "user"}).json()["results"]


def test_audit_endpoint_filters_by_record_action_and_actor(api, rep, admin_user):
    account = AccountFactory(owner=rep, name="Before")
    contact = ContactFactory(owner=rep)
    api(rep).patch(f"/api/v1/accounts/{account.pk}/", {"name": "After"}, format="json")
    client = api(admin_user)

    def entries(**params):
        return [
            (r["content_type"], r["object_id"], r["action"])
            for r in client.get("/api/v1/audit/", params).json()["results"]
        ]

    assert entries(content_type="account", object_id=str(account.pk)) == [
        ("account", str(account.pk), "update"),
        ("account", str(account.pk), "create"),
    ]
    assert entries(content_type="contact", action="create") == [
        ("contact", str(contact.pk), "create")
    ]
    assert entries(actor=rep.pk) == [("account", str(account.pk), "update")]
    assert client.get("/api/v1/audit/", {"content_type": "nonsense"}).status_code == 400
    assert client.get("/api/v1/audit/", {"action": "erase"}).status_code == 400


def test_audit_endpoint_shows_who_changed_what(api, rep, admin_user):
    account = AccountFactory(owner=rep, name="Before")
    api(rep).patch(f"/api/v1/accounts/{account.pk}/", {"name": "After"}, format="json")
    (entry,) = (
        api(admin_user)
        .get("/api/v1/audit/", {"content_type": "account", "action": "update"})
        .json()["results"]
    )
    assert entry["actor"] == rep.pk
    assert entry["actor_name"] == str(rep)
    assert entry["object_repr"] == "After"
    assert entry["changes"]["name"] == ["Before", "After"]


def test_audit_endpoint_is_read_only(api, admin_user):
    account = AccountFactory(name="Audited")
    entry = AuditEntry.objects.filter(object_id=str(account.pk)).first()
    client = api(admin_user)
    assert client.post("/api/v1/audit/", {"action": "create"}, format="json").status_code == 405
    url = f"/api/v1/audit/{entry.pk}/"
    assert client.put(url, {"object_repr": "x"}, format="json").status_code == 405
    assert client.patch(url, {"object_repr": "x"}, format="json").status_code == 405
    assert client.delete(url).status_code == 405
    entry.refresh_from_db()
    assert entry.object_repr == "Audited"


def test_activity_audit_is_visible_to_the_partner_who_owns_it(api, partner_a_user):
    activity = ActivityFactory(organisation=partner_a_user.organisation, subject="Visit")
    rows = api(partner_a_user).get("/api/v1/audit/", {"content_type": "activity"}).json()
    assert [r["object_id"] for r in rows["results"]] == [str(activity.pk)]


def test_admin_role_without_superuser_flag_reads_the_whole_trail(api):
    admin = UserFactory(role=Role.ADMIN)
    AccountFactory(name="Anyone's")
    assert api(admin).get("/api/v1/audit/", {"content_type": "account"}).json()["results"]
