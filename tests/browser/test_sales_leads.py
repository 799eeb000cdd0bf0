"""In a real browser: enter a lead, see it flagged as a duplicate, convert it, land on the deal."""

import pytest
from playwright.sync_api import Page, expect

from allyance.core.models import User
from allyance.sales.models import Lead
from tests.factories import ContactFactory, PipelineFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_create_lead_see_duplicate_convert_and_land_on_the_opportunity(
    logged_in: Page, live_server
):
    page = logged_in
    rep = User.objects.get(username="rep1")
    PipelineFactory(name="Direct sales", is_default=True)
    known = ContactFactory(
        family_name="Zhou", email="zhou@huadong.cn", owner=rep, account__owner=rep
    )

    page.goto(f"{live_server.url}/leads/new/")
    page.fill("input[name=family_name]", "周")
    page.fill("input[name=given_name]", "杰")
    page.fill("input[name=company]", "华东机械")
    page.fill("input[name=email]", "Zhou@Huadong.cn")
    page.fill("input[name=mobile]", "139 1111 2222")
    page.click("[data-testid=save]")

    expect(page.locator(".alert-warning").first).to_contain_text("may be a duplicate")
    duplicates = page.locator("[data-testid=duplicates]")
    expect(duplicates).to_contain_text(str(known))
    expect(duplicates).to_contain_text("same e-mail")

    page.click("[data-testid=convert]")
    # The matching contact is offered, and chosen, for the conversion.
    expect(page.locator("select[name=contact]")).to_have_value(str(known.pk))
    page.fill("input[name=opportunity_name]", "华东机械 rollout")
    page.fill("input[name=amount]", "88000")
    page.click("[data-testid=convert-submit]")

    expect(page.locator("h1")).to_contain_text("华东机械 rollout")
    lead = Lead.objects.get(email="zhou@huadong.cn")
    assert lead.status == Lead.Status.CONVERTED
    assert lead.converted_contact == known
    assert page.url.endswith(lead.converted_opportunity.get_absolute_url())
