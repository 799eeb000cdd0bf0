"""In a real browser: attach a file on an account page and find it in the timeline."""

import pytest
from playwright.sync_api import Page, expect

from allyance.core.models import Attachment
from tests.browser.conftest import PASSWORD, log_in
from tests.factories import AccountFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_upload_a_file_on_an_account_page_and_see_it_in_the_timeline(
    page: Page, live_server, tmp_path
):
    rep = UserFactory(username="rep_files", password=PASSWORD)
    account = AccountFactory(name="华东机械有限公司", owner=rep)
    offer = tmp_path / "报价单.pdf"
    offer.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")
    evil = tmp_path / "invoice.pdf.html"
    evil.write_bytes(b"<!DOCTYPE html><html><script>alert(1)</script></html>")

    log_in(page, live_server, "rep_files")
    page.goto(f"{live_server.url}{account.get_absolute_url()}")

    page.set_input_files("[data-testid=attachment-file]", str(evil))
    page.click("[data-testid=attachment-upload]")
    expect(page.locator("[data-field-error=file]")).to_be_visible()

    page.set_input_files("[data-testid=attachment-file]", str(offer))
    page.click("[data-testid=attachment-upload]")
    expect(page.locator("[data-testid=timeline]")).to_contain_text("报价单.pdf")
    expect(page.locator("[data-testid=attachment]")).to_contain_text("报价单.pdf")
    assert Attachment.objects.get().name == "报价单.pdf"
