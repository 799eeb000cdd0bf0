"""In a real browser: drag a deal across the pipeline board; a refused move snaps back."""

import pytest
from playwright.sync_api import Locator, Page, expect

from allyance.core.models import User
from allyance.sales.models import Opportunity
from tests.factories import AccountFactory, OpportunityFactory, PipelineFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def column(page: Page, name: str) -> Locator:
    return page.locator("[data-testid=board-column]", has=page.locator(f"h2:text-is('{name}')"))


def drag(page: Page, card: Locator, target: Locator) -> None:
    """Press on the card, move over the target column in steps, release (as a hand would)."""
    card.scroll_into_view_if_needed()
    box = card.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    goal = target.locator(".board-cards").bounding_box()
    page.mouse.move(goal["x"] + goal["width"] / 2, goal["y"] + 20, steps=20)
    page.mouse.move(goal["x"] + goal["width"] / 2, goal["y"] + 30, steps=5)
    page.mouse.up()


def test_drag_a_deal_to_another_stage_and_a_refused_move_snaps_back(logged_in: Page, live_server):
    page = logged_in
    rep = User.objects.get(username="rep1")
    pipeline = PipelineFactory(name="Direct sales", is_default=True)
    won = pipeline.stages.get(name="Won")
    won.required_fields = ["close_date"]
    won.save()
    account = AccountFactory(owner=rep, name="华东机械")
    deal = OpportunityFactory(
        owner=rep, account=account, pipeline=pipeline, name="Boiler retrofit", amount=88000
    )

    page.goto(f"{live_server.url}/opportunities/board/?pipeline={pipeline.pk}")
    card = page.locator("[data-testid=board-card]", has_text="Boiler retrofit")
    expect(column(page, "Qualify").locator("[data-testid=column-count]")).to_have_text("1")

    drag(page, card, column(page, "Propose"))
    expect(column(page, "Propose").locator("[data-testid=board-card]")).to_contain_text(
        "Boiler retrofit"
    )
    expect(column(page, "Propose").locator("[data-testid=column-count]")).to_have_text("1")
    expect(column(page, "Propose").locator("[data-testid=column-total]")).to_contain_text(
        "88,000 CNY"
    )
    expect(column(page, "Qualify").locator("[data-testid=column-count]")).to_have_text("0")

    page.reload()
    expect(column(page, "Propose").locator("[data-testid=board-card]")).to_contain_text(
        "Boiler retrofit"
    )
    deal.refresh_from_db()
    assert deal.stage.name == "Propose" and deal.probability == 50

    # Won needs an expected close date the deal does not have: refused, the card returns.
    drag(
        page,
        page.locator("[data-testid=board-card]", has_text="Boiler retrofit"),
        column(page, "Won"),
    )
    message = page.locator("[data-testid=board-message]")
    expect(message).to_be_visible()
    expect(message).to_contain_text("expected close")
    expect(column(page, "Propose").locator("[data-testid=board-card]")).to_contain_text(
        "Boiler retrofit"
    )
    expect(column(page, "Won").locator("[data-testid=board-card]")).to_have_count(0)
    assert Opportunity.objects.get(pk=deal.pk).stage.name == "Propose"
