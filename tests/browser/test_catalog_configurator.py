"""In a real browser: a rep configures a product, is refused a combination a rule excludes
(the page names the rule), changes the choice and sees the explained price."""

import pytest
from playwright.sync_api import Page, expect

from allyance.catalog.models import ConfigurationRule, OptionValue, ProductOption
from tests.browser.conftest import PASSWORD, log_in
from tests.factories import PriceListFactory, PriceListItemFactory, ProductFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rep_is_refused_an_excluded_combination_then_sees_the_price(page: Page, live_server):
    UserFactory(username="rep_cfg", password=PASSWORD)
    product = ProductFactory(name="Array X200", sku="X200")
    price_list = PriceListFactory(name="Standard 2027", discount_percent="5")
    PriceListItemFactory(price_list=price_list, product=product, price="1000")
    capacity = ProductOption.objects.create(
        product=product, name="Capacity", code="capacity", required=True, order=1
    )
    colour = ProductOption.objects.create(product=product, name="Colour", code="colour", order=2)
    OptionValue.objects.create(option=capacity, name="2 TB", code="2tb", is_default=True)
    four = OptionValue.objects.create(
        option=capacity, name="4 TB", code="4tb", price_effect="200", order=1
    )
    OptionValue.objects.create(option=colour, name="Black", code="black")
    red = OptionValue.objects.create(option=colour, name="Red", code="red", order=1)
    ConfigurationRule.objects.create(kind="excludes", if_value=four, then_value=red)

    log_in(page, live_server, "rep_cfg")
    page.goto(f"{live_server.url}/catalog/configure/")
    expect(page.locator("#id_price_list")).to_have_value(str(price_list.pk))  # the only list
    page.select_option("#id_product", str(product.pk))
    expect(page.locator("[data-testid=option]")).to_have_count(2)
    expect(page.locator("[data-testid=configurator-price]")).to_contain_text("Capacity: 2 TB")

    page.get_by_label("4 TB").check()
    expect(page.locator("[data-testid=configurator-price]")).to_contain_text("Capacity: 4 TB")
    page.get_by_label("Red").check()
    error = page.locator("[data-testid=configurator-error]")
    expect(error).to_contain_text("“Capacity: 4 TB” cannot be combined with “Colour: Red”.")
    expect(page.locator("[data-testid=configurator-price]")).to_have_count(0)

    page.get_by_label("Black").check()
    price = page.locator("[data-testid=configurator-price]")
    expect(price).to_contain_text("Array X200 — Capacity: 4 TB, Colour: Black")
    expect(price).to_contain_text("List discount 5 %")
    expect(page.locator("[data-testid=unit-price]")).to_contain_text("1,140.00")
    page.fill("#id_quantity", "3")
    page.click("[data-testid=configure]")
    expect(page.locator("[data-testid=line-total]")).to_contain_text("3,420.00")
    expect(page.locator("[data-testid=total]")).to_contain_text("3,864.60")  # with 13 % tax
