"""In a real browser: an admin writes an assignment rule, routes a queued lead with it after a
preview, sees on the lead which rule did it, and reassigns a territory's open records."""

import pytest
from playwright.sync_api import Page, expect

from allyance.core.models import Role
from allyance.sales.models import Lead
from tests.browser.conftest import PASSWORD, log_in
from tests.factories import LeadFactory, TerritoryFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_writes_a_rule_and_routes_the_queue_with_it(page: Page, live_server):
    UserFactory(username="boss", role=Role.ADMIN, is_superuser=True, password=PASSWORD)
    wang = UserFactory(username="wang", first_name="Wei", last_name="Wang")
    waiting = LeadFactory(family_name="Zhao", city="Shenzhen", owner=None)
    LeadFactory(family_name="Qian", city="Wuhan", owner=None)

    log_in(page, live_server, "boss")
    page.goto(f"{live_server.url}/leads/routing-rules/")
    page.click("[data-testid=create]")
    page.fill("input[name=name]", "Shenzhen to Wang")
    page.fill("input[name=cities]", "shenzhen")
    # The form shows only the target the chosen action needs.
    page.select_option("select[name=action]", "round_robin")
    expect(page.locator("select[name=assign_team]")).to_be_visible()
    expect(page.locator("select[name=assign_user]")).to_be_hidden()
    page.select_option("select[name=action]", "user")
    expect(page.locator("select[name=assign_team]")).to_be_hidden()
    page.select_option("select[name=assign_user]", str(wang.pk))
    page.click("[data-testid=save]")
    expect(page.locator("[data-testid=rules]")).to_contain_text("Shenzhen to Wang")
    expect(page.locator("[data-testid=rules]")).to_contain_text("City: shenzhen")

    page.goto(f"{live_server.url}/leads/queue/")
    expect(page.locator("table")).to_contain_text("Zhao")
    page.locator("tr", has_text="Zhao").locator("input[name=selected]").check()
    page.click("[data-testid=route-selected]")
    preview = page.locator("[data-testid=route-preview]")
    expect(preview).to_contain_text("Shenzhen to Wang")
    expect(preview).to_contain_text("Wei")
    assert Lead.objects.get(pk=waiting.pk).owner is None  # nothing moves before confirming
    page.click("[data-testid=confirm-route]")
    expect(page.locator(".alert")).to_contain_text("1 leads routed")
    expect(page.locator("table")).not_to_contain_text("Zhao")
    expect(page.locator("table")).to_contain_text("Qian")

    page.goto(f"{live_server.url}/leads/{waiting.pk}/")
    history = page.locator("[data-testid=routing-history]")
    expect(history).to_contain_text("Shenzhen to Wang")
    expect(history).to_contain_text("Wang")


def test_manager_previews_and_confirms_a_territory_reassignment(page: Page, live_server):
    manager = UserFactory(username="mgr", role=Role.SALES_MANAGER, password=PASSWORD)
    old = UserFactory(username="old", first_name="Old", last_name="Rep")
    new = UserFactory(username="new", first_name="New", last_name="Rep")
    north = TerritoryFactory(name="North")
    north.members.add(manager)  # a manager reassigns what they may see
    LeadFactory(family_name="Sun", territory=north, owner=old)
    LeadFactory(family_name="Zhou", territory=north, owner=old, status=Lead.Status.CONVERTED)

    log_in(page, live_server, "mgr")
    page.goto(f"{live_server.url}/territories/reassign/")
    page.select_option("select[name=territory]", label="North")
    page.select_option("select[name=new_owner]", str(new.pk))
    page.click("[data-testid=preview]")
    expect(page.locator("[data-testid=count-leads]")).to_contain_text("1")
    moves = page.locator("[data-testid=moves-leads]")
    expect(moves).to_contain_text("Sun")
    expect(moves).not_to_contain_text("Zhou")
    page.click("[data-testid=confirm]")
    expect(page.locator(".alert")).to_contain_text("1 leads")
    assert Lead.objects.get(family_name="Sun").owner_id == new.pk
    assert Lead.objects.get(family_name="Zhou").owner_id == old.pk
