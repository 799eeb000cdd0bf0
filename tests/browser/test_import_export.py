"""In a real browser: upload a Chinese CSV, check the dry run, import it, see the records."""

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSV = (
    "公司名称,姓名,手机,邮箱,职位\n"
    "华东机械有限公司,王小明,138 1234 5678,wang@example.com,销售经理\n"
    "华东机械有限公司,李雷,not a phone,li@example.com,工程师\n"
).encode("gb18030")


@pytest.fixture(autouse=True)
def _jobs_run_at_once(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def test_upload_preview_and_import_contacts(logged_in: Page, live_server):
    page = logged_in
    page.goto(f"{live_server.url}/contacts/")
    page.get_by_role("link", name="Import").click()
    expect(page.locator("select[name=target]")).to_have_value("contacts")
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "联系人.csv", "mimeType": "text/csv", "buffer": CSV}],
    )
    page.click("[data-testid=upload]")

    # The dry run: the first rows as read, and the bad row with its line number.
    expect(page.locator("[data-testid=preview-rows]")).to_contain_text("王小明")
    expect(page.locator("[data-testid=bad-rows]")).to_contain_text("not a phone")
    expect(page.locator("[data-testid=bad-rows] td").first).to_have_text("3")

    # Skip the bad row, check again, import.
    page.check("input[name=skip_invalid_rows]")
    page.click("[data-testid=preview]")
    page.click("[data-testid=run-import]")
    expect(page.locator("[data-testid=created-count]")).to_have_text("1")

    page.click("[data-testid=see-records]")
    expect(page.locator("#record-table")).to_contain_text("王小明")
    expect(page.locator("#record-table")).to_contain_text("华东机械有限公司")
    expect(page.locator("#record-table")).not_to_contain_text("李雷")

    with page.expect_download() as download:
        page.click("[data-testid=export-csv]")
    path = download.value.path()
    with open(path, encoding="utf-8-sig") as exported:
        assert "王" in exported.read()
