"""Shared fixtures: users of every kind, two partners, API clients, and the browser."""

import os

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from allyance.core.models import Role
from tests.factories import OrganisationFactory, UserFactory

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """A request by a user with a language of their own leaves it active in the thread
    (the next request's middleware chooses again); the next test starts in English."""
    yield
    translation.deactivate()


@pytest.fixture
def admin_user(db):
    return UserFactory(role=Role.ADMIN, username="boss", is_superuser=True, is_staff=True)


@pytest.fixture
def rep(db):
    return UserFactory(role=Role.SALES_REP)


@pytest.fixture
def partner_a(db):
    return OrganisationFactory(name="Partner A")


@pytest.fixture
def partner_b(db):
    return OrganisationFactory(name="Partner B")


@pytest.fixture
def partner_a_user(partner_a):
    return UserFactory(role=Role.PARTNER_USER, organisation=partner_a, username="alice_a")


@pytest.fixture
def partner_b_user(partner_b):
    return UserFactory(role=Role.PARTNER_USER, organisation=partner_b, username="bob_b")


@pytest.fixture
def api():
    def client_for(user) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return client_for


# --- Browser tests: Playwright on Debian's Chromium ----------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
        "chromium_sandbox": False,
        "headless": True,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }
