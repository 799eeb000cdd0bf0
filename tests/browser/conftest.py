"""Browser test helpers: logging in through the real form."""

import pytest
from playwright.sync_api import Page, expect

from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"


def log_in(page: Page, live_server, username: str, password: str = PASSWORD) -> Page:
    """Log in through the login form and wait for the home page."""
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Welcome")
    return page


@pytest.fixture
def logged_in(page: Page, live_server) -> Page:
    """A sales rep, logged in."""
    UserFactory(username="rep1", password=PASSWORD, first_name="Rita")
    return log_in(page, live_server, "rep1")
