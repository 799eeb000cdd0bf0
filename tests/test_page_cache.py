"""The page cache: a logged-in page is served again until any data changes — never to
another session, never after a write anyone committed, never when it would hide a message.

The suite runs with the page cache off (no Redis); these tests turn it on with the
in-process cache. Writes must really commit for the generation to move, so the tests
run outside a wrapping transaction.
"""

from pathlib import Path

import pytest
from django.contrib import messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.sessions.backends.db import SessionStore
from django.core import checks
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.test import RequestFactory

from allyance.core import page_cache
from allyance.core.models import Role
from allyance.customers.models import Contact
from allyance.customers.services import contact_save
from tests.factories import ContactFactory, OrganisationFactory, UserFactory
from tests.settings_child import empty_redis, manage_in_child

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def kept_pages(settings):
    settings.PAGE_CACHE_SECONDS = 60
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def rep_client(client, rep):
    ContactFactory(family_name="Lin", given_name="Mei", owner=rep)
    client.force_login(rep)
    client.get("/contacts/")  # the first page sets the CSRF cookie the next ones are kept with
    return client


def served_from_cache(response) -> bool:
    return response.get("X-Page-Cache") == "hit"


def test_a_page_seen_again_is_served_from_the_cache(kept_pages, rep_client):
    first = rep_client.get("/contacts/")
    again = rep_client.get("/contacts/")

    assert not served_from_cache(first)
    assert served_from_cache(again)
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]
    assert again["X-Frame-Options"] == "DENY"


def test_a_committed_change_is_seen_on_the_next_visit(kept_pages, rep_client, rep):
    rep_client.get("/contacts/")
    contact = Contact.objects.get(family_name="Lin")
    contact.family_name = "Lam"
    contact_save(contact=contact, by=rep)

    response = rep_client.get("/contacts/")

    assert not served_from_cache(response)
    assert "Lam" in response.content.decode()


def test_a_change_outside_any_service_is_noticed_too(kept_pages, rep_client):
    """A bulk UPDATE sends no model signal: the write is seen in the SQL itself."""
    rep_client.get("/contacts/")
    Contact.objects.filter(family_name="Lin").update(family_name="Lam")

    response = rep_client.get("/contacts/")

    assert not served_from_cache(response)
    assert "Lam" in response.content.decode()


def test_the_generation_moves_once_per_commit_and_not_on_rollback(kept_pages, rep):
    before = page_cache.data_generation()
    with transaction.atomic():
        ContactFactory(owner=rep)
        ContactFactory(owner=rep)
        assert page_cache.data_generation() == before, "not before the commit"
    committed = page_cache.data_generation()
    assert committed != before

    with pytest.raises(RuntimeError), transaction.atomic():
        ContactFactory(owner=rep)
        raise RuntimeError("rolled back")
    assert page_cache.data_generation() == committed


def test_what_is_a_write():
    assert page_cache._is_write('UPDATE "customers_contact" SET "family_name" = %s')
    assert page_cache._is_write('INSERT INTO "core_auditentry" ("id") VALUES (%s)')
    assert page_cache._is_write(' DELETE FROM "sales_lead" WHERE "id" = %s')
    assert not page_cache._is_write('SELECT "x" FROM "customers_contact" FOR UPDATE')


def test_a_page_showing_the_session_is_fresh_after_the_session_changes(kept_pages, rep):
    """A session change is a write like any other: a page may show what the session holds."""
    session = _saved_session()

    def page(request):
        return HttpResponse(f"<p>{request.session.get('step', 0)}</p>", content_type="text/html")

    def visit():
        request = RequestFactory().get("/wizard/")
        request.user = rep
        request.session = SessionStore(session.session_key)
        return page_cache.PageCacheMiddleware(page)(request)

    visit()
    assert served_from_cache(visit())
    moved_on = SessionStore(session.session_key)
    moved_on["step"] = 2
    moved_on.save()  # what the next request's SessionMiddleware does after a view set it

    response = visit()
    assert not served_from_cache(response)
    assert response.content == b"<p>2</p>"


def test_another_user_never_gets_the_kept_page(kept_pages, rep_client, client, rep):
    partner = UserFactory(role=Role.PARTNER_USER, organisation=OrganisationFactory())
    rep_client.get("/contacts/")
    rep_client.get("/contacts/")

    client.logout()
    client.force_login(partner)
    client.get("/contacts/")
    response = client.get("/contacts/")

    assert "Lin" not in response.content.decode()


def test_a_page_answered_as_a_tokens_user_is_never_served_to_the_sessions_user(
    kept_pages, rep_client, rep
):
    """The API answers as the token's user before the session's: such a page is kept for
    nobody (and the token is part of the key anyway)."""
    from rest_framework.authtoken.models import Token

    other = UserFactory(role=Role.SALES_REP)
    ContactFactory(family_name="Hidden", owner=other)
    token = Token.objects.create(user=other)
    as_other = {"Authorization": f"Token {token.key}"}

    for _ in range(2):
        answered = rep_client.get("/api/v1/contacts/?format=json", headers=as_other)
        assert not served_from_cache(answered)
        assert "Hidden" in answered.content.decode()
    own = rep_client.get("/api/v1/contacts/?format=json")

    assert "Hidden" not in own.content.decode()
    assert "Lin" in own.content.decode()


def test_a_hard_reload_renders_the_page_afresh(kept_pages, rep_client):
    rep_client.get("/contacts/")

    response = rep_client.get("/contacts/", headers={"Cache-Control": "no-cache"})

    assert not served_from_cache(response)
    assert served_from_cache(rep_client.get("/contacts/"))


def test_each_language_has_its_own_page(kept_pages, rep_client, rep):
    rep_client.get("/contacts/")
    rep.language = "zh-hans"
    rep.save(update_fields=["language"])

    response = rep_client.get("/contacts/")

    assert not served_from_cache(response)
    assert "联系人" in response.content.decode()


def test_htmx_fragments_and_full_pages_are_kept_apart(kept_pages, rep_client):
    rep_client.get("/contacts/")
    table_only = {"HX-Request": "true", "HX-Target": "record-table"}
    fragment = rep_client.get("/contacts/", headers=table_only)

    assert not served_from_cache(fragment)
    assert b"<html" not in fragment.content
    assert b"<html" in rep_client.get("/contacts/").content
    assert served_from_cache(rep_client.get("/contacts/", headers=table_only))


def test_a_waiting_message_is_shown_not_hidden_behind_a_kept_page(kept_pages, rep_client):
    rep_client.get("/contacts/")
    assert served_from_cache(rep_client.get("/contacts/"))
    # What a view's messages.success leaves in the browser for the next page.
    storage = CookieStorage(RequestFactory().get("/"))
    storage.add(messages.SUCCESS, "Contact merged.")
    carrier = HttpResponse()
    storage.update(carrier)
    rep_client.cookies["messages"] = carrier.cookies["messages"].value

    response = rep_client.get("/contacts/")

    assert not served_from_cache(response)
    assert "Contact merged." in response.content.decode()


def test_a_page_whose_request_wrote_is_not_kept(kept_pages, rep):
    """A GET with a side effect (a first visit that creates records) must run every time."""
    calls = []

    def view(request):
        calls.append(1)
        ContactFactory(owner=rep)
        return HttpResponse("<p>made</p>", content_type="text/html")

    middleware = page_cache.PageCacheMiddleware(view)
    for _ in range(2):
        request = RequestFactory().get("/onboarding/")
        request.user = rep
        request.session = _saved_session()
        middleware(request)

    assert len(calls) == 2


def test_only_gets_and_only_pages_are_kept(kept_pages, rep_client):
    rep_client.get("/api/v1/contacts/?format=json")
    assert served_from_cache(rep_client.get("/api/v1/contacts/?format=json"))

    rep_client.get("/exports/contacts/?format=csv")
    export = rep_client.get("/exports/contacts/?format=csv")
    assert export.status_code == 200
    assert not served_from_cache(export)
    assert rep_client.post("/contacts/", {}).get("X-Page-Cache") is None


def test_nothing_is_kept_for_anonymous_visitors(kept_pages, client):
    client.get("/login/")
    assert not served_from_cache(client.get("/login/"))


def test_off_without_a_shared_cache_by_default(settings, client, rep):
    settings.PAGE_CACHE_SECONDS = 0
    client.force_login(rep)
    client.get("/contacts/")
    assert not served_from_cache(client.get("/contacts/"))


def test_a_process_local_cache_is_reported(settings):
    settings.PAGE_CACHE_SECONDS = 60
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

    found = [m for m in checks.run_checks() if m.id == "allyance.W001"]

    assert found and "REDIS_URL" in found[0].hint


def _saved_session():
    session = SessionStore()
    session["seen"] = True
    session.save()
    session.modified = False
    return session


# --- Across processes, on Redis (the production shape) ---------------------------------

REDIS_URL = "redis://127.0.0.1:6379/14"

VISIT = """
import json, os
from django.test import Client
client = Client(HTTP_HOST="127.0.0.1")
client.cookies.load(json.loads(os.environ["COOKIES"]))
response = client.get("/contacts/")
print(json.dumps({"hit": response.get("X-Page-Cache") == "hit",
                  "cookies": {k: v.value for k, v in client.cookies.items()},
                  "names": [n for n in ("Lin", "Lam") if n in response.content.decode()]}))
"""

LOG_IN = """
import json
from django.test import Client
from allyance.core.models import Organisation, Role, User
from allyance.customers.models import Account, Contact
rep = User.objects.create_user(username="rep", role=Role.SALES_REP,
                               organisation=Organisation.company())
account = Account.objects.create(name="华东机械", organisation=Organisation.company(), owner=rep)
Contact.objects.create(family_name="Lin", given_name="Mei", account=account, owner=rep,
                       organisation=Organisation.company())
client = Client(HTTP_HOST="127.0.0.1")
client.force_login(rep)
print(json.dumps({k: v.value for k, v in client.cookies.items()}))
"""

RENAME = """
import json
from allyance.customers.models import Contact
print(json.dumps(Contact.objects.filter(family_name="Lin").update(family_name="Lam")))
"""


@pytest.fixture
def redis_cache():
    with empty_redis(REDIS_URL) as connection:
        yield connection


def _manage(tmp_path: Path, *args: str, **extra_env: str) -> str:
    """manage.py on a machine whose cache is Redis (the page cache on); its last line."""
    done = manage_in_child(
        tmp_path, *args, unset=("DATABASE_URL", "PAGE_CACHE_SECONDS"), REDIS_URL=REDIS_URL,
        ALLOWED_HOSTS="127.0.0.1", **extra_env,
    )  # fmt: skip
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


@pytest.mark.slow_subprocess
def test_a_change_made_by_another_process_ends_the_kept_page_on_redis(tmp_path, redis_cache):
    """Web workers and job workers are separate processes, often on separate machines: the
    generation they share in Redis is what keeps every one of them from serving old pages."""
    import json

    _manage(tmp_path, "migrate", "--noinput", "-v", "0")
    cookies = _manage(tmp_path, "shell", "-v", "0", "-c", LOG_IN)

    def visit(cookie_jar: str) -> dict:
        return json.loads(_manage(tmp_path, "shell", "-v", "0", "-c", VISIT, COOKIES=cookie_jar))

    first = visit(cookies)
    cookies = json.dumps(first["cookies"])  # now with the CSRF cookie
    kept = visit(cookies)
    seen_again = visit(cookies)
    assert seen_again["hit"], "a web process serves the page another one kept"
    assert seen_again["names"] == ["Lin"]
    assert kept["names"] == ["Lin"]

    assert _manage(tmp_path, "shell", "-v", "0", "-c", RENAME) == "1"  # a worker elsewhere

    after = visit(cookies)
    assert not after["hit"]
    assert after["names"] == ["Lam"]
