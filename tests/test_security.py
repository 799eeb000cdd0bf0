"""Security basics, each proved through the real stack: password hashing, login lockout,
API throttling, CSRF, HTTPS settings, the Content-Security-Policy, and who manages users."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.authtoken.models import Token
from rest_framework.settings import api_settings
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from allyance.core import services_admin
from allyance.core.models import Organisation, Role, User
from tests.factories import AccountFactory, UserFactory

pytestmark = pytest.mark.django_db

PROJECT_DIR = Path(__file__).resolve().parent.parent
PASSWORD = "Plum-blossom 2024 spring"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- Passwords ------------------------------------------------------------------------------


def test_new_users_password_is_hashed_with_argon2(admin_user):
    user = services_admin.user_save(
        data={"username": "fresh", "role": Role.SALES_REP, "password": PASSWORD}, by=admin_user
    )
    stored = User.objects.get(pk=user.pk).password
    assert stored.startswith("argon2")
    assert PASSWORD not in stored


# --- Login throttling and lockout (django-axes) ---------------------------------------------


@pytest.fixture
def clean_cache():
    cache.clear()
    yield
    cache.clear()


def test_login_locks_out_after_failure_limit_even_for_the_right_password(settings, clean_cache):
    UserFactory(username="target", password=PASSWORD)
    client = Client()
    login = reverse("login")
    first = client.post(login, {"username": "target", "password": "wrong one"})
    assert first.status_code == 200
    assert "registration/login.html" in [t.name for t in first.templates]
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(login, {"username": "target", "password": "wrong again"})

    locked = client.post(login, {"username": "target", "password": PASSWORD})
    assert locked.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in locked.templates]
    assert "Too many failed log-in attempts" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("home")).status_code == 302  # still sent to log in


def test_lockout_of_one_user_does_not_lock_another(settings, clean_cache):
    UserFactory(username="target", password=PASSWORD)
    UserFactory(username="bystander", password=PASSWORD)
    client = Client()
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "target", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "bystander", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(username="bystander").pk)


def test_behind_a_proxy_lockout_hits_the_attackers_address_not_everyone(settings, clean_cache):
    settings.TRUSTED_PROXY_COUNT = 1
    UserFactory(username="target", password=PASSWORD)
    # The attacker forges an entry; the proxy appends the address it really saw.
    attacker = Client(HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.9")
    owner = Client(HTTP_X_FORWARDED_FOR="198.51.100.7")
    login = reverse("login")
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        attacker.post(login, {"username": "target", "password": "wrong"})
    assert attacker.post(login, {"username": "target", "password": PASSWORD}).status_code == 429
    assert owner.post(login, {"username": "target", "password": PASSWORD}).status_code == 302


# --- API throttling per token ---------------------------------------------------------------


@pytest.fixture
def low_api_rate(settings):
    """Three API requests a minute per user, for this test only."""
    cache.clear()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "3/minute", "anon": "3/minute"},
    }
    api_settings.reload()
    # DRF binds the rates to the throttle class when it is imported; follow the new settings.
    original_rates = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    yield
    SimpleRateThrottle.THROTTLE_RATES = original_rates
    api_settings.reload()
    cache.clear()


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_api_throttles_each_token_separately(low_api_rate, rep):
    busy = token_client(rep)
    other = token_client(UserFactory(username="other_rep"))
    assert [busy.get("/api/v1/accounts/").status_code for _ in range(3)] == [200, 200, 200]
    throttled = busy.get("/api/v1/accounts/")
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) > 0
    assert other.get("/api/v1/accounts/").status_code == 200


def test_api_throttle_rate_comes_from_settings(settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    classes = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]
    assert "rest_framework.throttling.UserRateThrottle" in classes
    assert rates["user"] and rates["anon"]


# --- CSRF -----------------------------------------------------------------------------------


def test_web_forms_refuse_posts_without_csrf_token(admin_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    form = {"username": "csrf_victim", "role": Role.SALES_REP, "password": PASSWORD}
    form |= {"organisation": Organisation.company().pk, "is_active": "on"}
    refused = client.post(reverse("core:admin-user-create"), form)
    assert refused.status_code == 403
    assert not User.objects.filter(username="csrf_victim").exists()

    client.get(reverse("core:admin-user-create"))  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    accepted = client.post(
        reverse("core:admin-user-create"), {**form, "csrfmiddlewaretoken": token}
    )
    assert accepted.status_code == 302
    assert User.objects.filter(username="csrf_victim").exists()


def test_profile_and_login_forms_need_csrf_token(rep):
    client = Client(enforce_csrf_checks=True)
    assert client.post(reverse("login"), {"username": "x", "password": "y"}).status_code == 403
    client.force_login(rep)
    response = client.post(
        reverse("core:profile"), {"action": "preferences", "language": "zh-hans"}
    )
    assert response.status_code == 403
    rep.refresh_from_db()
    assert rep.language == ""


def test_api_with_session_cookie_needs_csrf_token(rep):
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)
    response = client.post("/api/v1/accounts/", {"name": "Forged"}, content_type="application/json")
    assert response.status_code == 403


# --- HTTPS: secure cookies and HSTS with SECURE=1 -------------------------------------------


def django_subprocess(
    args: list[str], tmp_path: Path, **env_overrides
) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DATABASE_URL",
            "SECURE",
            "DEBUG",
            "SECRET_KEY",
            "SECURE_SSL_REDIRECT",
            "DJANGO_ALLOW_ASYNC_UNSAFE",  # set for the browser tests, never in deployment
        }
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "allyance.settings",
            "PYTHONPATH": str(PROJECT_DIR / "src"),
            "ALLYANCE_VAR_DIR": str(tmp_path),
            "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
            "SECRET_KEY": secrets.token_urlsafe(64),
            "DEBUG": "0",
        }
    )
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, *args],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_secure_switch_turns_on_secure_cookies_and_hsts(tmp_path):
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS,"
        " s.SECURE_SSL_REDIRECT, s.SECURE_PROXY_SSL_HEADER is not None)"
    )
    on = django_subprocess(["-c", code], tmp_path, SECURE="1")
    assert on.returncode == 0, on.stderr
    session_secure, csrf_secure, hsts, redirect, proxy_header = on.stdout.split()
    assert (session_secure, csrf_secure, redirect, proxy_header) == ("True",) * 4
    assert int(hsts) > 0

    off = django_subprocess(["-c", code], tmp_path)
    assert off.stdout.split()[:3] == ["False", "False", "0"]  # plain HTTP for local use


def security_warnings(output: str) -> set[str]:
    return {word.strip("():") for word in output.split() if word.startswith("(security.")}


def test_deploy_check_is_clean_with_secure_on(tmp_path):
    """With SECURE=1 `check --deploy` reports no security warning but security.W021.

    W021 asks for SECURE_HSTS_PRELOAD. Submitting a domain to the browsers' preload
    list is hard to undo and covers every subdomain, so it is the operator's choice,
    not a default a self-hosted product may make for them.
    """
    result = django_subprocess(["manage.py", "check", "--deploy"], tmp_path, SECURE="1")
    assert result.returncode == 0, result.stderr
    assert security_warnings(result.stdout + result.stderr) <= {"security.W021"}


def test_deploy_check_flags_plain_http_settings(tmp_path):
    """The same check without SECURE=1 does complain: the switch is what makes it clean."""
    result = django_subprocess(["manage.py", "check", "--deploy"], tmp_path)
    warnings = security_warnings(result.stdout + result.stderr)
    assert {"security.W004", "security.W012", "security.W016"} <= warnings


# --- Content-Security-Policy on every page --------------------------------------------------


def parameterless_paths(resolver=None, prefix: str = "") -> list[str]:
    """Every URL of the project that takes no argument."""
    resolver = resolver or get_resolver()
    paths = []
    for pattern in resolver.url_patterns:
        route = str(pattern.pattern)
        if "<" in route or "(?P" in route or "\\" in route:
            continue
        route = route.lstrip("^").rstrip("$")
        if isinstance(pattern, URLResolver):
            paths += parameterless_paths(pattern, prefix + route)
        elif isinstance(pattern, URLPattern):
            paths.append("/" + prefix + route)
    return sorted(set(paths))


def script_policy(response) -> list[str]:
    header = response["Content-Security-Policy"]
    directives = dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in header.split(";") if part.strip()
    )
    return directives["script-src"].split()


def test_every_page_sends_a_strict_content_security_policy(admin_user):
    account = AccountFactory(name="CSP Co")
    paths = parameterless_paths() + [
        account.get_absolute_url(),
        reverse("core:admin-user-edit", args=[admin_user.pk]),
        "/no-such-page/",
    ]
    assert "/manage/territories/" in paths and "/login/" in paths
    admin = logged_in(admin_user)
    for path in paths:
        response = admin.get(path)
        assert "Content-Security-Policy" in response, path
        sources = script_policy(response)
        assert "'self'" in sources, path
        assert "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources, path


def test_pages_have_no_inline_scripts(admin_user):
    """The policy forbids inline scripts, so no page may rely on one."""
    admin = logged_in(admin_user)
    for path in ["/", "/manage/", "/manage/users/new/", "/manage/territories/", "/profile/"]:
        html = admin.get(path).content.decode()
        for tag in html.split("<script")[1:]:
            assert tag.split(">", 1)[0].strip().startswith("src="), path
    login = Client().get(reverse("login"))
    assert "'unsafe-inline'" not in script_policy(login)


# --- Only admins manage users ---------------------------------------------------------------

ADMIN_ONLY = [
    "/manage/",
    "/manage/users/",
    "/manage/users/new/",
    "/manage/teams/",
    "/manage/teams/new/",
    "/manage/territories/",
    "/manage/territories/new/",
    "/manage/organisations/",
    "/manage/organisations/new/",
]


@pytest.mark.parametrize("path", ADMIN_ONLY)
def test_rep_gets_403_on_admin_pages(rep, path):
    client = logged_in(rep)
    assert client.get(path).status_code == 403
    assert client.post(path, {"name": "x", "username": "x"}).status_code == 403


def test_rep_gets_403_editing_or_deactivating_a_user(rep):
    victim = UserFactory(username="victim")
    client = logged_in(rep)
    assert client.get(reverse("core:admin-user-edit", args=[victim.pk])).status_code == 403
    assert client.post(reverse("core:admin-user-deactivate", args=[victim.pk])).status_code == 403
    victim.refresh_from_db()
    assert victim.is_active


def test_anonymous_is_sent_to_log_in(client):
    response = client.get("/manage/users/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_rep_cannot_create_users_through_api(api, rep):
    response = api(rep).post(
        "/api/v1/users/",
        {"username": "rogue", "role": Role.ADMIN, "password": PASSWORD},
        format="json",
    )
    assert response.status_code == 403
    assert not User.objects.filter(username="rogue").exists()


def test_partner_user_cannot_create_users_through_api(api, partner_a_user):
    response = api(partner_a_user).post(
        "/api/v1/users/", {"username": "rogue", "role": Role.PARTNER_USER}, format="json"
    )
    assert response.status_code == 403


@pytest.fixture
def partner_admin(partner_a):
    return UserFactory(role=Role.PARTNER_ADMIN, organisation=partner_a, username="pa_admin")


def test_partner_admin_creates_partner_user_in_own_organisation_through_api(
    api, partner_admin, partner_a
):
    response = api(partner_admin).post(
        "/api/v1/users/",
        {"username": "a_colleague", "role": Role.PARTNER_USER, "password": PASSWORD},
        format="json",
    )
    assert response.status_code == 201, response.json()
    created = User.objects.get(username="a_colleague")
    assert created.organisation == partner_a
    assert created.password.startswith("argon2")


def test_partner_admin_cannot_create_user_in_another_organisation(api, partner_admin, partner_b):
    response = api(partner_admin).post(
        "/api/v1/users/",
        {"username": "planted", "role": Role.PARTNER_USER, "organisation": partner_b.pk},
        format="json",
    )
    assert response.status_code == 400
    assert "organisation" in response.json()
    assert not User.objects.filter(username="planted").exists()


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SALES_REP, Role.CHANNEL_MANAGER, Role.CUSTOMER])
def test_partner_admin_cannot_give_a_staff_or_customer_role(api, partner_admin, role):
    response = api(partner_admin).post(
        "/api/v1/users/", {"username": "climber", "role": role}, format="json"
    )
    assert response.status_code == 400
    assert "role" in response.json()
    assert not User.objects.filter(username="climber").exists()


def test_partner_admin_cannot_promote_own_user_to_staff(api, partner_admin, partner_a_user):
    response = api(partner_admin).patch(
        f"/api/v1/users/{partner_a_user.pk}/", {"role": Role.ADMIN}, format="json"
    )
    assert response.status_code == 400
    partner_a_user.refresh_from_db()
    assert partner_a_user.role == Role.PARTNER_USER


def test_partner_admin_cannot_see_or_change_other_partners_users(
    api, partner_admin, partner_b_user
):
    client = api(partner_admin)
    assert client.get(f"/api/v1/users/{partner_b_user.pk}/").status_code == 404
    patch = client.patch(
        f"/api/v1/users/{partner_b_user.pk}/", {"first_name": "Hacked"}, format="json"
    )
    assert patch.status_code == 404
    assert client.delete(f"/api/v1/users/{partner_b_user.pk}/").status_code == 404
    partner_b_user.refresh_from_db()
    assert partner_b_user.is_active and partner_b_user.first_name != "Hacked"


def test_superuser_flags_cannot_be_set_through_the_api(api, admin_user):
    response = api(admin_user).post(
        "/api/v1/users/",
        {"username": "quiet", "role": Role.SALES_REP, "is_superuser": True, "is_staff": True},
        format="json",
    )
    assert response.status_code == 201
    created = User.objects.get(username="quiet")
    assert not created.is_superuser and not created.is_staff


def test_list_pages_escape_record_values_and_link_to_the_record(rep):
    account = AccountFactory(owner=rep, name='<img src=x onerror="alert(1)">', city="<b>Xi'an</b>")
    client = Client()
    client.force_login(rep)
    page = client.get(reverse("customers:account-list")).content.decode()
    assert "<img src=x" not in page and "<b>Xi" not in page
    assert (
        f'<a href="{account.get_absolute_url()}">&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</a>'
        in page
    )
    assert "<td>&lt;b&gt;Xi&#x27;an&lt;/b&gt;</td>" in page
