"""In a real browser: a rep records an expense with a receipt and submits it, the manager
approves it, and the rep sees it approved."""

import pytest
from playwright.sync_api import Page, expect

from allyance.core.models import Role
from allyance.sales.models import Expense
from tests.browser.conftest import PASSWORD, log_in
from tests.factories import AccountFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rep_submits_expense_with_receipt_and_manager_approves(page: Page, live_server, tmp_path):
    manager = UserFactory(username="mgr_exp", password=PASSWORD, role=Role.SALES_MANAGER)
    rep = UserFactory(username="rep_exp", password=PASSWORD, first_name="Rita")
    TeamFactory(manager=manager).members.add(rep)
    account = AccountFactory(name="华东机械有限公司", owner=rep)
    receipt = tmp_path / "发票.pdf"
    receipt.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")

    log_in(page, live_server, "rep_exp")
    page.goto(f"{live_server.url}/expenses/")
    page.click("[data-testid=create]")
    page.fill("#id_date", "2026-11-02")
    page.select_option("#id_category", "meals")
    page.fill("#id_amount", "356.50")
    page.select_option("#id_account", str(account.pk))
    page.fill("#id_description", "Dinner with the buyer")
    page.click("[data-testid=save]")
    expect(page.locator("[data-testid=expense-status]")).to_have_text("Draft")

    page.set_input_files("[data-testid=attachment-file]", str(receipt))
    page.click("[data-testid=attachment-upload]")
    expect(page.locator("[data-testid=attachment]")).to_contain_text("发票.pdf")
    page.click("[data-testid=expense-submit]")
    expect(page.locator("[data-testid=expense-status]")).to_have_text("Submitted")
    expect(page.locator("[data-testid=expense-approve]")).to_have_count(0)  # not their own

    page.context.clear_cookies()
    log_in(page, live_server, "mgr_exp")
    page.goto(f"{live_server.url}/expenses/?show=to_approve")
    page.get_by_role("link", name="2026").first.click()
    expect(page.locator("[data-testid=attachment]")).to_contain_text("发票.pdf")
    page.fill("#id_comment", "Fine, receipt attached")
    page.click("[data-testid=expense-approve]")
    expect(page.locator("[data-testid=expense-status]")).to_have_text("Approved")

    page.context.clear_cookies()
    log_in(page, live_server, "rep_exp")
    page.goto(f"{live_server.url}/expenses/?show=mine")
    expect(page.locator("#record-table")).to_contain_text("Approved")
    page.get_by_role("link", name="2026").first.click()
    expect(page.locator("[data-testid=expense-status]")).to_have_text("Approved")
    expect(page.locator("[data-testid=decision-comment]")).to_contain_text("Fine, receipt attached")
    expect(page.locator("[data-testid=expense-edit]")).to_have_count(0)  # locked
    assert Expense.objects.get().status == Expense.Status.APPROVED
