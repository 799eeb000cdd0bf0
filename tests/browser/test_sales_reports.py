"""In a real browser: the forecast page draws its ECharts chart and shows the numbers."""

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from allyance.core.models import Role
from tests.browser.conftest import PASSWORD, log_in
from tests.factories import OpportunityFactory, PipelineFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_forecast_page_draws_the_chart_and_shows_the_numbers(page: Page, live_server):
    manager = UserFactory(username="mgr_fc", password=PASSWORD, role=Role.ADMIN)
    pipeline = PipelineFactory()
    propose = pipeline.stages.get(name="Propose")
    OpportunityFactory(
        owner=manager,
        pipeline=pipeline,
        stage=propose,
        probability=50,
        forecast_category="best_case",
        amount=240000,
        close_date=timezone.localdate(),
    )
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    log_in(page, live_server, "mgr_fc")
    page.goto(f"{live_server.url}/sales/forecast/")

    chart = page.locator("[data-testid=forecast-chart]")
    expect(chart.locator("canvas")).to_have_count(1)
    assert chart.get_attribute("data-chart-ready") == "1"
    totals = page.locator("[data-testid=forecast-totals] tr[data-currency=CNY]")
    expect(totals.locator("[data-category=best_case]")).to_have_text("240,000.00")
    expect(totals).to_contain_text("120,000.00")  # weighted: 50 %
    expect(page.locator("[data-testid=forecast-by-owner]")).to_contain_text(str(manager))
    assert not [e for e in errors if "Content Security Policy" in e or "echarts" in e], errors
