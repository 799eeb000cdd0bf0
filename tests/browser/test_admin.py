"""In a real browser: an admin draws a territory under another, adds a rep, redraws the map,
and the rep then sees the account of that territory."""

import pytest
from playwright.sync_api import Page, expect

from allyance.core.models import Role
from tests.browser.conftest import PASSWORD, log_in
from tests.factories import AccountFactory, TerritoryFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_draws_territory_adds_rep_and_rep_sees_its_account(page: Page, live_server):
    UserFactory(username="boss", role=Role.ADMIN, is_superuser=True, password=PASSWORD)
    UserFactory(username="rita", first_name="Rita", last_name="Rep", password=PASSWORD)
    TerritoryFactory(name="China")
    shanghai = TerritoryFactory(name="Shanghai")
    AccountFactory(name="Pudong Tools Ltd", territory=shanghai)

    log_in(page, live_server, "rita")
    page.goto(f"{live_server.url}/accounts/")
    expect(page.locator("table")).not_to_contain_text("Pudong Tools Ltd")
    page.click("[data-testid=user-menu]")
    page.click("text=Log out")

    log_in(page, live_server, "boss")
    page.click("text=Administration")
    page.click("[data-testid=admin-territories]")
    page.click("[data-testid=create]")
    page.fill("input[name=name]", "East China")
    page.select_option("select[name=parent]", label="China")
    members = page.locator("#id_members-ts-control")
    members.fill("Rita")
    page.locator(".ts-dropdown .option", has_text="Rita Rep").click()
    page.click("[data-testid=save]")
    expect(page.locator("[data-testid=territory-tree]")).to_contain_text("East China")
    east_row = page.locator("[data-testid=territory-tree] .list-group-item", has_text="East China")
    expect(east_row).to_have_attribute("data-depth", "1")
    expect(east_row).to_contain_text("Rita Rep")

    # Redraw: Shanghai moves under East China.
    page.locator("[data-testid=territory-tree] a", has_text="Shanghai").first.click()
    page.select_option("select[name=parent]", label="China › East China")
    page.click("[data-testid=save]")
    shanghai_row = page.locator(
        "[data-testid=territory-tree] .list-group-item", has_text="Shanghai"
    )
    expect(shanghai_row).to_have_attribute("data-depth", "2")
    page.click("[data-testid=user-menu]")
    page.click("text=Log out")

    log_in(page, live_server, "rita")
    page.goto(f"{live_server.url}/accounts/")
    page.locator("table a", has_text="Pudong Tools Ltd").click()
    expect(page.locator("h1")).to_have_text("Pudong Tools Ltd")
