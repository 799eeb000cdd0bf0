"""In a real browser: log in, create an account and a contact, log a call, search, switch to 中文."""

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_create_account_contact_log_call_search_and_switch_language(logged_in: Page, live_server):
    page = logged_in
    page.goto(f"{live_server.url}/accounts/new/")
    page.fill("input[name=name]", "华东机械有限公司")
    page.fill("input[name=phone]", "021 6234 5678")
    page.click("[data-testid=save]")
    expect(page.locator("h1")).to_have_text("华东机械有限公司")

    page.click("text=Add contact")
    page.fill("input[name=family_name]", "王")
    page.fill("input[name=given_name]", "小明")
    page.fill("input[name=mobile]", "138 1234 5678")
    page.click("[data-testid=save]")
    expect(page.locator("h1")).to_have_text("王小明")

    page.click("[data-testid=log-call]")
    page.fill("input[name=subject]", "Introduced the new catalogue")
    page.fill("input[name=outcome]", "Wants a quote")
    page.click("[data-testid=save]")

    page.goto(f"{live_server.url}/contacts/")
    page.click("text=王小明")
    expect(page.locator("[data-testid=timeline]")).to_contain_text("Introduced the new catalogue")

    page.fill("[data-testid=global-search]", "王")
    page.keyboard.press("Enter")
    expect(page.locator("[data-testid=results-contacts]")).to_contain_text("王小明")

    page.select_option("[data-testid=language-switcher]", "zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("nav, header").first).to_contain_text("客户")


def test_form_errors_show_beside_the_field_and_keep_input(logged_in: Page, live_server):
    page = logged_in
    page.goto(f"{live_server.url}/contacts/new/")
    page.fill("input[name=family_name]", "Li")
    page.fill("input[name=email]", "not-an-email")
    page.click("[data-testid=save]")
    expect(page.locator("[data-field-error=email]")).to_be_visible()
    expect(page.locator("input[name=family_name]")).to_have_value("Li")


def test_usable_at_phone_width(logged_in: Page, live_server):
    page = logged_in
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_server.url}/accounts/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    expect(page.get_by_role("button", name=re.compile("Menu"))).to_be_visible()


def test_sales_menu_opens_and_leads_to_the_board_in_one_row_of_navigation(
    logged_in: Page, live_server
):
    page = logged_in
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/accounts/")
    menu = page.locator("#navbar-menu .navbar-nav").first
    heights = {round(box["y"]) for box in menu.locator(":scope > li").evaluate_all(
        "items => items.map(i => i.getBoundingClientRect())")}  # fmt: skip
    assert len(heights) == 1, "the main navigation wraps onto a second row"
    page.get_by_role("button", name="Sales").or_(page.get_by_role("link", name="Sales")).click()
    page.get_by_role("link", name="Pipeline board").click()
    expect(page).to_have_url(re.compile(r"/opportunities/board/"))
