"""In a real browser, order to cash: a rep builds a quote whose discount needs approval, is
refused sending it, asks for approval; the sales manager approves it; the rep makes the quote
PDF, sends it, records the customer's acceptance and converts it to an order; ships part of
it, invoices it, records a partial payment and sees the balance."""

import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from allyance.catalog.models import OptionValue, ProductOption
from allyance.core.models import Role
from allyance.orders.models import Order, OrderSettings, Quote
from tests.browser.conftest import PASSWORD, log_in
from tests.factories import (
    AccountFactory,
    ContactFactory,
    PriceListFactory,
    PriceListItemFactory,
    ProductFactory,
    TaxClassFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The machine running these is often loaded: wait long rather than fail early.
WAIT_MS = 60_000


@pytest.fixture(autouse=True)
def _patient(page: Page):
    page.set_default_timeout(WAIT_MS)
    page.set_default_navigation_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)
    yield
    expect.set_options(timeout=5_000)


def _switch_user(page: Page, live_server, username: str) -> None:
    page.context.clear_cookies()
    log_in(page, live_server, username)


def _success(page: Page, text: str):
    return page.locator(".alert-success[role=alert]").filter(has_text=text)


def test_quote_with_approval_to_order_shipment_invoice_and_partial_payment(
    page: Page, live_server, tmp_path: Path
):
    # --- Set-up: the catalog, the threshold, the team and the customer ---------------------
    settings_row = OrderSettings.current()
    settings_row.discount_approval_percent = Decimal("15")
    settings_row.save()
    manager = UserFactory(
        username="mgr_o2c", password=PASSWORD, role=Role.SALES_MANAGER, first_name="Mei"
    )
    rep = UserFactory(username="rep_o2c", password=PASSWORD, first_name="Rita")
    TeamFactory(manager=manager).members.add(rep)
    account = AccountFactory(name="华东机械有限公司", owner=rep)
    ContactFactory(
        account=account, owner=rep, given_name="Li", family_name="Wei", email="li.wei@example.com"
    )
    vat = TaxClassFactory(name="VAT 13%", rate="13.00")
    product = ProductFactory(name="Array X200", sku="X200", tax_class=vat)
    price_list = PriceListFactory(name="Standard CNY", currency="CNY", is_default=True)
    PriceListItemFactory(price_list=price_list, product=product, price="1000.00")
    capacity = ProductOption.objects.create(
        product=product, name="Capacity", code="capacity", required=True, order=1
    )
    OptionValue.objects.create(option=capacity, name="2 TB", code="2tb", is_default=True)
    OptionValue.objects.create(
        option=capacity, name="4 TB", code="4tb", price_effect="250", order=1
    )

    # --- 1. The rep builds the quote from the account page ---------------------------------
    log_in(page, live_server, "rep_o2c")
    page.goto(f"{live_server.url}{account.get_absolute_url()}")
    page.click("[data-testid=quote-new]")
    expect(page.locator("#id_account")).to_have_value(str(account.pk))
    page.fill("#id_title", "Storage for the Suzhou plant")
    page.click("[data-testid=save]")
    status = page.locator("[data-testid=quote-status]")
    expect(status).to_have_text("Draft")
    quote_number = page.locator("[data-testid=quote-number]").inner_text().strip()
    assert quote_number
    quote_url = page.url

    page.click("[data-testid=quote-add-line]")
    # The form's script (deferred) listens for the product change: wait until it has run.
    page.wait_for_url("**/lines/new/")
    page.wait_for_load_state("domcontentloaded")
    page.select_option("#id_product", str(product.pk))
    option = page.locator("[data-testid=quote-line-option]")
    expect(option).to_have_count(1)  # the form came back with the product's options
    option.locator("select").select_option(label="4 TB")
    page.fill("#id_quantity", "4")
    page.fill("#id_discount_percent", "20")
    page.click("[data-testid=save]")
    expect(_success(page, "Line added.")).to_be_visible()
    line = page.locator("[data-testid=quote-line]")
    expect(line).to_have_count(1)
    expect(line).to_contain_text("Array X200")
    expect(line).to_contain_text("Capacity: 4 TB")
    expect(line).to_contain_text("20 %")
    # 4 × (1000 + 250) = 5000.00; 20 % off = 1000.00; 13 % tax on 4000.00 = 520.00
    expect(page.locator("[data-testid=quote-subtotal]")).to_have_text("5000.00 CNY")
    expect(page.locator("[data-testid=quote-discount]")).to_have_text("−1000.00 CNY")
    expect(page.locator("[data-testid=quote-net]")).to_have_text("4000.00 CNY")
    expect(page.locator("[data-testid=quote-tax]")).to_have_text("520.00 CNY")
    expect(page.locator("[data-testid=quote-total]")).to_have_text("4520.00 CNY")

    # Sending is not offered: asking for approval is.
    expect(page.locator("[data-testid=quote-needs-approval]")).to_contain_text(
        "a sales manager must approve this quote before it is sent"
    )
    expect(page.locator("[data-testid=quote-mark-sent]")).to_have_count(0)
    request_approval = page.locator("[data-testid=quote-request-approval]")
    expect(request_approval).to_be_visible()
    # A page that still offered "Mark as sent" (e.g. one loaded before the discount was
    # raised) posts that action: the server refuses it and says why.
    request_approval.evaluate(
        "button => { button.form.querySelector('[name=action]').value = 'mark_sent'; }"
    )
    request_approval.click()
    expect(page.locator("[data-testid=quote-action-error]")).to_contain_text(
        "a manager must approve this quote before it is sent"
    )
    expect(status).to_have_text("Draft")

    page.goto(quote_url)
    page.click("[data-testid=quote-request-approval]")
    expect(_success(page, "Approval requested.")).to_be_visible()
    expect(status).to_have_text("Pending approval")
    expect(page.locator("[data-testid=quote-approve]")).to_have_count(0)  # not the rep's call

    # --- 2. The sales manager approves it from the approvals list --------------------------
    _switch_user(page, live_server, "mgr_o2c")
    page.goto(f"{live_server.url}/quotes/approvals/")
    page.get_by_role("link", name=quote_number).first.click()
    expect(status).to_have_text("Pending approval")
    expect(page.locator("[data-testid=quote-total]")).to_have_text("4520.00 CNY")
    page.fill("[data-testid=quote-approval-comment-input]", "20 % agreed for the plant roll-out")
    page.click("[data-testid=quote-approve]")
    expect(_success(page, "Quote approved.")).to_be_visible()
    expect(status).to_have_text("Approved")
    expect(page.locator("[data-testid=quote-approval-comment]")).to_contain_text(
        "20 % agreed for the plant roll-out"
    )
    expect(page.locator("[data-testid=quote-approved-by]")).to_contain_text("Mei")

    # --- 3. The rep makes the PDF, sends the quote, records the acceptance, converts it ----
    _switch_user(page, live_server, "rep_o2c")
    page.goto(quote_url)
    expect(status).to_have_text("Approved")
    expect(page.locator("[data-testid=document]")).to_have_count(0)
    generate = page.locator("[data-testid=document-generate-form]")
    generate.locator("select[name=kind]").select_option("quote")
    generate.locator("select[name=language]").select_option("en")
    generate.locator("[data-testid=document-generate]").click()
    document = page.locator("[data-testid=document]")
    expect(document).to_have_count(1)
    expect(document).to_contain_text("Quote")
    download_link = document.locator("[data-testid=document-download]")
    expect(download_link).to_contain_text(quote_number)
    with page.expect_download(timeout=WAIT_MS) as download_info:
        download_link.click()
    pdf_path = tmp_path / "quote.pdf"
    download_info.value.save_as(pdf_path)
    assert pdf_path.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(pdf_path), "-"],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout
        assert quote_number in text
        assert "4,520.00" in text or "4520.00" in text

    page.click("[data-testid=quote-mark-sent]")
    expect(_success(page, "Quote marked as sent.")).to_be_visible()
    expect(status).to_have_text("Sent")
    page.click("[data-testid=quote-accept]")
    expect(_success(page, "Quote accepted.")).to_be_visible()
    expect(status).to_have_text("Accepted")
    page.click("[data-testid=order-convert]")

    # --- 4. On the order page: ship 3 of the 4 ---------------------------------------------
    order_status = page.locator("[data-testid=order-status]")
    expect(order_status).to_have_text("Confirmed")
    order = Order.objects.get(quote__number=quote_number)
    expect(_success(page, f"Order {order.number} created.")).to_be_visible()
    expect(page.locator("h1.page-title")).to_contain_text(order.number)
    expect(page.locator("[data-testid=order-line]")).to_have_count(1)
    expect(page.locator("[data-testid=order-total]")).to_contain_text("4,520.00")

    shipment = page.locator("[data-testid=shipment-form]")
    shipment.get_by_label("Carrier").fill("SF Express")
    shipment.get_by_label("Tracking number").fill("SF1234567890")
    shipment.locator("[data-testid=shipment-line] input").fill("3")
    shipment.locator("[data-testid=order-record-shipment]").click()
    expect(order_status).to_have_text("Partly shipped")
    expect(page.locator("[data-testid=shipment-tracking]")).to_have_text("SF1234567890")
    expect(page.locator("[data-testid=shipment-row]")).to_contain_text("SF Express")
    expect(page.locator("[data-testid=line-shipped]")).to_have_text("3")
    expect(page.locator("[data-testid=line-remaining]")).to_have_text("1")

    # --- 5. Invoice the order, record a partial payment, see the balance -------------------
    page.goto(f"{live_server.url}/invoices/")
    page.click("[data-testid=invoice-from-order]")
    page.fill("#id_order", order.number)
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("h1.page-title")).to_contain_text(order.number)
    page.click("[data-testid=invoice-issue]")
    invoice_status = page.locator("[data-testid=invoice-status]")
    expect(invoice_status).to_have_text("Issued")
    expect(page.locator("[data-testid=invoice-total]")).to_have_text("4520.00 CNY")
    expect(page.locator("[data-testid=invoice-balance]")).to_have_text("4520.00 CNY")
    invoice_url = page.url

    page.click("[data-testid=invoice-record-payment]")
    expect(page.locator("#id_amount")).to_have_value("4520.00")
    page.fill("#id_amount", "1500.00")
    allocation = page.locator("[data-testid^=payment-allocation-]")
    expect(allocation).to_have_count(1)
    allocation.fill("1500.00")
    page.fill("#id_reference", "TT 2026-118")
    page.click("[data-testid=save]")
    expect(_success(page, "Payment recorded.")).to_be_visible()
    expect(page.locator("[data-testid=payment-allocated]")).to_have_text("1500.00 CNY")
    expect(page.locator("[data-testid=payment-unallocated]")).to_have_text("0.00 CNY")

    page.goto(invoice_url)
    expect(invoice_status).to_have_text("Partly paid")
    expect(page.locator("[data-testid=invoice-total]")).to_have_text("4520.00 CNY")
    expect(page.locator("[data-testid=invoice-paid]")).to_have_text("1500.00 CNY")
    expect(page.locator("[data-testid=invoice-balance]")).to_have_text("3020.00 CNY")
    expect(page.locator("[data-testid=invoice-payments]")).to_contain_text("TT 2026-118")

    quote = Quote.objects.get(number=quote_number, revision=1)
    assert quote.status == Quote.Status.ACCEPTED and quote.approved_by == manager
