"""In a real browser, the partner portal: a partner's user answers the leads offered to it,
registers a deal the channel manager approves despite a conflict, asks for and claims
marketing funds, orders at its tier's price, opens a warranty claim, ships an order its
distributor handed down to it — and another partner's user sees none of it."""

from __future__ import annotations

import datetime
import re
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import formats, timezone, translation
from playwright.sync_api import Page, expect

from allyance.catalog.models import Product
from allyance.core.models import Organisation, Role, User
from allyance.customers.models import Account
from allyance.orders.models import Order
from allyance.partners.models import DealRegistration, LeadDistribution, MdfClaim, MdfRequest
from allyance.partners.services.distribution import lead_distribute
from allyance.partners.services.mdf import claim_submit, request_approve, request_submit
from allyance.partners.services.ordering import partner_order_place
from allyance.partners.services.registrations import registration_submit
from allyance.sales.models import Lead
from allyance.service.models import Case
from allyance.service.services import case_open
from tests.browser.conftest import log_in
from tests.factories import (
    AccountFactory,
    LeadFactory,
    MdfAllocationFactory,
    OpportunityFactory,
    OrganisationFactory,
    PriceListFactory,
    PriceListItemFactory,
    ProductFactory,
    TierFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The machine running these is often loaded: wait long rather than fail early.
WAIT_MS = 60_000
ZONE = "Asia/Shanghai"


@pytest.fixture(autouse=True)
def _patient(page: Page):
    page.set_default_timeout(WAIT_MS)
    page.set_default_navigation_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)
    yield
    expect.set_options(timeout=5_000)


# --- The channel: the company's staff, two partners, their users and customers -------------


@dataclass
class Channel:
    admin: User
    channel_manager: User
    partner: Organisation
    partner_user: User
    other: Organisation
    other_user: User
    customer: Account
    array: Product
    cable: Product


@pytest.fixture
def channel(db) -> Channel:
    """Jinqiao Systems, a Gold partner (its own price list, 5 % extra off) looked after by
    channel manager Chen; Pacific Bridge, another partner; each with a user of its own."""
    admin = UserFactory(role=Role.ADMIN, username="ops", first_name="Olga", last_name="Admin")
    channel_manager = UserFactory(
        role=Role.CHANNEL_MANAGER, username="chen", first_name="Chen", last_name="Jing"
    )
    gold_list = PriceListFactory(name="Gold partners CNY", currency="CNY")
    array = ProductFactory(name="Disk array DA-200", sku="DA-200", warranty_months=24)
    cable = ProductFactory(name="SAS cable 2 m", sku="CAB-2")
    PriceListItemFactory(price_list=gold_list, product=array, price="1234.56")
    PriceListItemFactory(price_list=gold_list, product=cable, price="19.99")
    gold = TierFactory(
        name="Gold", rank=3, price_list=gold_list, extra_discount_percent=Decimal("5.00")
    )
    partner = OrganisationFactory(
        name="Jinqiao Systems", tier=gold, channel_manager=channel_manager
    )
    UserFactory(role=Role.PARTNER_ADMIN, organisation=partner, username="jinqiao.admin")
    partner_user = UserFactory(
        role=Role.PARTNER_USER,
        organisation=partner,
        username="li.na",
        first_name="Na",
        last_name="Li",
        time_zone=ZONE,
    )
    other = OrganisationFactory(name="Pacific Bridge", tier=gold, channel_manager=channel_manager)
    other_user = UserFactory(
        role=Role.PARTNER_USER,
        organisation=other,
        username="pb.user",
        first_name="Peter",
        last_name="Bridge",
    )
    customer = AccountFactory(name="东方精工 Dongfang Precision", organisation=partner)
    return Channel(
        admin=admin,
        channel_manager=channel_manager,
        partner=partner,
        partner_user=partner_user,
        other=other,
        other_user=other_user,
        customer=customer,
        array=array,
        cable=cable,
    )


def _switch_user(page: Page, live_server, username: str) -> None:
    page.context.clear_cookies()
    log_in(page, live_server, username)


def _success(page: Page, text: str):
    return page.locator(".alert-success[role=alert]").filter(has_text=text)


def _offer(channel: Channel, company: str, **lead_fields) -> LeadDistribution:
    """The company offers a new lead to the partner, answer within 24 hours."""
    lead = LeadFactory(
        owner=channel.admin,
        organisation=Organisation.company(),
        company=company,
        **lead_fields,
    )
    return lead_distribute(lead=lead, partner=channel.partner, respond_hours=24, by=channel.admin)


def _shown_date(day: datetime.date) -> str:
    """A date as the pages show it by default, in English."""
    with translation.override("en"):
        return formats.date_format(day)


# --- 1. Leads offered to the partner ---------------------------------------------------------


def test_partner_accepts_an_offered_lead_before_its_deadline_and_rejects_another_with_a_reason(
    page: Page, live_server, channel: Channel
):
    wanted = _offer(channel, "Suzhou Robotics", family_name="Zhao", given_name="Lei")
    unwanted = _offer(channel, "Far Away Mining", family_name="Qian", given_name="Hui")
    deadline = timezone.localtime(wanted.respond_by, zoneinfo.ZoneInfo(ZONE))

    log_in(page, live_server, "li.na")
    page.goto(f"{live_server.url}/distribution/")
    expect(page.locator("h1")).to_have_text("Leads offered to us")
    row = page.locator(f"tr[data-distribution='{wanted.pk}']")
    expect(row).to_contain_text("Suzhou Robotics")
    expect(row.locator("[data-testid=status]")).to_have_text("Offered")
    # The deadline, in the user's own time zone.
    expect(row.locator("[data-testid=respond-by]")).to_contain_text(
        deadline.strftime("%Y-%m-%d %H:%M")
    )
    row.locator("[data-testid=accept]").click()
    expect(_success(page, "Lead accepted: it is yours now.")).to_be_visible()
    row = page.locator(f"tr[data-distribution='{wanted.pk}']")
    expect(row.locator("[data-testid=status]")).to_have_text("Accepted")
    expect(row.locator("[data-testid=accept]")).to_have_count(0)

    # The other one: a reason is needed, and given.
    other_row = page.locator(f"tr[data-distribution='{unwanted.pk}']")
    other_row.locator("input[name=reason]").fill("Outside our region")
    other_row.locator("[data-testid=reject]").click()
    company = Organisation.company().name
    expect(_success(page, f"Lead rejected; it went back to {company}.")).to_be_visible()
    other_row = page.locator(f"tr[data-distribution='{unwanted.pk}']")
    expect(other_row.locator("[data-testid=status]")).to_contain_text("Rejected")
    expect(other_row.locator("[data-testid=status]")).to_contain_text("Outside our region")

    # The accepted lead is theirs: it opens from the offers, owned by the user who accepted.
    row.get_by_role("link", name=re.compile("Zhao")).click()
    expect(page.locator("h1")).to_contain_text("Zhao")
    owner = page.locator("dt", has_text=re.compile(r"^Owner$")).locator(
        "xpath=following-sibling::dd[1]"
    )
    expect(owner).to_have_text(str(channel.partner_user))
    page.goto(f"{live_server.url}/leads/")
    expect(page.locator("table")).to_contain_text("Zhao")
    expect(page.locator("table")).not_to_contain_text("Qian")

    lead = Lead.objects.get(pk=wanted.lead_id)
    assert (lead.organisation, lead.owner) == (channel.partner, channel.partner_user)
    rejected = LeadDistribution.objects.get(pk=unwanted.pk)
    assert (rejected.status, rejected.reason) == ("rejected", "Outside our region")
    assert Lead.objects.get(pk=unwanted.lead_id).organisation.is_company


# --- 2. A deal registration that collides with a company deal --------------------------------


def test_a_registration_conflicting_with_a_company_deal_is_approved_by_the_channel_manager(
    page: Page, live_server, channel: Channel
):
    company_account = AccountFactory(
        name="Huadong Machinery Co., Ltd.", tax_id="91310000MA1FL2XX0Q"
    )
    deal = OpportunityFactory(account=company_account, name="Huadong storage refresh")

    # The partner registers the same customer, its tax id typed its own way.
    log_in(page, live_server, "li.na")
    page.goto(f"{live_server.url}/partners/registrations/")
    page.click("[data-testid=create]")
    page.fill("#id_customer_name", "Huadong Machinery")
    page.fill("#id_tax_id", "91310000 ma1fl2xx0q")
    page.fill("#id_contact_name", "Wang Fang")
    page.fill("#id_estimated_amount", "185000.00")
    page.select_option("#id_currency", "CNY")
    page.fill("#id_description", "Two arrays for the Suzhou plant.")
    page.click("[data-testid=save]")
    expect(_success(page, "Deal registered; your channel manager will decide.")).to_be_visible()
    status = page.locator("[data-testid=registration-status]")
    expect(status).to_have_text("Submitted")
    # The partner is told a review is going on, not which company deal it collides with.
    expect(page.locator("[data-testid=registration-under-review]")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text(deal.name)
    registration = DealRegistration.objects.get(organisation=channel.partner)
    registration_url = page.url

    # The channel manager sees the conflict on the registration's page, and approves it.
    _switch_user(page, live_server, "chen")
    page.goto(f"{live_server.url}/partners/registrations/")
    row = page.locator("[data-testid=registration-row]").filter(has_text="Huadong Machinery")
    expect(row.locator("[data-testid=conflict-badge]")).to_have_text("1 conflict")
    row.get_by_role("link", name="Huadong Machinery").click()
    conflict = page.locator("[data-testid=registration-conflicts] [data-testid=conflict]")
    expect(conflict).to_have_count(1)
    expect(conflict).to_contain_text("Company opportunity")
    expect(conflict).to_contain_text("Huadong storage refresh · Huadong Machinery Co., Ltd.")
    expect(conflict).to_contain_text("same tax id")
    page.fill("#protection-days", "60")
    page.click("[data-testid=registration-approve]")
    expect(
        _success(page, "Registration approved; the partner's opportunity is created.")
    ).to_be_visible()
    expect(status).to_have_text("Approved")

    # The partner sees it approved, and until when the deal is protected.
    protected_until = timezone.localdate() + datetime.timedelta(days=60)
    _switch_user(page, live_server, "li.na")
    page.goto(f"{live_server.url}/partners/registrations/")
    row = page.locator("[data-testid=registration-row]").filter(has_text="Huadong Machinery")
    expect(row).to_contain_text("Approved")
    expect(row).to_contain_text(_shown_date(protected_until))
    row.get_by_role("link", name="Huadong Machinery").click()
    assert page.url == registration_url
    expect(status).to_have_text("Approved")
    expect(page.locator("[data-testid=registration-protected]")).to_contain_text(
        f"Protected until {_shown_date(protected_until)}."
    )

    registration.refresh_from_db()
    assert registration.status == DealRegistration.Status.APPROVED
    assert registration.protected_until == protected_until
    assert registration.decided_by == channel.channel_manager
    assert [c["id"] for c in registration.conflicts] == [deal.pk]


# --- 3. Marketing development funds: request, approval, claim with proof, ledger ------------


def test_partner_asks_for_funds_claims_them_with_proof_and_reads_the_ledger_to_the_cent(
    page: Page, live_server, channel: Channel, tmp_path: Path
):
    allocation = MdfAllocationFactory(
        organisation=channel.partner, amount="50000.00", currency="CNY"
    )

    # The partner asks for funds for a seminar.
    log_in(page, live_server, "li.na")
    page.goto(f"{live_server.url}/partners/mdf/requests/")
    page.click("[data-testid=create]")
    page.select_option("#id_allocation", str(allocation.pk))
    page.fill("#id_activity_name", "Suzhou storage seminar")
    page.select_option("#id_activity_type", label="Event")
    page.fill("#id_plan", "A half-day seminar for 40 manufacturers, with a live demo.")
    page.fill("#id_amount", "12000.00")
    page.fill("#id_expected_leads", "15")
    page.click("[data-testid=save]")
    expect(_success(page, "Request submitted.")).to_be_visible()
    expect(page.locator("h1")).to_contain_text("Suzhou storage seminar")
    expect(page.locator("[data-testid=mdf-request-amount]")).to_have_text("12000.00 CNY")
    request_url = page.url

    # The channel manager approves less than asked.
    _switch_user(page, live_server, "chen")
    page.goto(request_url)
    decision = page.locator("[data-testid=mdf-request-decision]")
    decision.locator("input[name=amount]").fill("10000.00")
    decision.locator("input[name=reason]").fill("The demo kit is lent by us.")
    page.click("[data-testid=mdf-request-approve]")
    expect(_success(page, "Request approved.")).to_be_visible()
    expect(page.locator("[data-testid=mdf-request-approved]")).to_have_text("10000.00 CNY")

    # After the seminar, the partner claims with the expense invoice's lines and its proof.
    _switch_user(page, live_server, "li.na")
    page.goto(request_url)
    page.click("[data-testid=mdf-claim-new]")
    page.fill("#id_invoice_number", "FP-2026-0815")
    page.fill("input[name=lines-0-description]", "Hotel conference room, half a day")
    page.fill("input[name=lines-0-amount]", "4200.50")
    page.fill("input[name=lines-1-description]", "Printed brochures (500)")
    page.fill("input[name=lines-1-amount]", "1799.25")
    page.click("[data-testid=save]")
    expect(_success(page, "Claim submitted.")).to_be_visible()
    expect(page.locator("h1")).to_contain_text("FP-2026-0815")
    expect(page.locator("[data-testid=mdf-claim-amount]")).to_have_text("5999.75 CNY")
    lines = page.locator("[data-testid=mdf-claim-lines] tbody tr")
    expect(lines).to_have_count(2)
    proof = tmp_path / "seminar-receipts.pdf"
    proof.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    page.set_input_files("[data-testid=attachment-file]", str(proof))
    page.click("[data-testid=attachment-upload]")
    expect(page.locator("[data-testid=attachment]")).to_contain_text("seminar-receipts.pdf")

    # The ledger: allocated, approved, claimed and what is left, exact.
    page.goto(f"{live_server.url}/partners/mdf/")
    row = page.locator(f"[data-testid=mdf-ledger-row-{allocation.pk}]")
    cells = row.locator("td")
    expect(cells.nth(0)).to_have_text("Jinqiao Systems")
    expect(cells.nth(2)).to_have_text("CNY")
    expect(cells.nth(3)).to_have_text("50000.00")  # allocated
    expect(cells.nth(4)).to_have_text("0.00")  # requested, still waiting for a decision
    expect(cells.nth(5)).to_have_text("10000.00")  # approved
    expect(cells.nth(6)).to_have_text("5999.75")  # claimed
    expect(cells.nth(7)).to_have_text("0.00")  # claims approved
    expect(cells.nth(8)).to_have_text("0.00")  # paid
    expect(cells.nth(9)).to_have_text("40000.00")  # remaining = allocated − approved
    expect(page.locator("[data-testid=mdf-ledger] tbody tr")).to_have_count(1)

    claim = MdfClaim.objects.get(organisation=channel.partner)
    assert (claim.amount, claim.status) == (Decimal("5999.75"), MdfClaim.Status.SUBMITTED)
    assert claim.owner == channel.partner_user
    assert MdfRequest.objects.get().approved_amount == Decimal("10000.00")


# --- 4. Ordering at the tier's price ----------------------------------------------------------


def test_partner_orders_at_its_tier_price_and_sees_the_total_to_the_cent(
    page: Page, live_server, channel: Channel
):
    log_in(page, live_server, "li.na")
    page.goto(f"{live_server.url}/portal/orders/new/")
    expect(page.locator("[data-testid=portal-price-list]")).to_contain_text(
        "Prices from Gold partners CNY"
    )
    expect(page.locator("[data-testid=portal-price-list]")).to_contain_text("5 % off")
    array_row = page.locator(f"[data-testid=portal-product][data-product='{channel.array.pk}']")
    cable_row = page.locator(f"[data-testid=portal-product][data-product='{channel.cable.pk}']")
    # The list price, and the partner's: 5 % off 1,234.56 is 1,172.83 (1,172.832), 5 % off
    # 19.99 is 18.99 (18.9905).
    expect(array_row.locator("td").nth(2)).to_contain_text("1,234.56")
    expect(array_row.locator("[data-testid=portal-price]")).to_contain_text("1,172.83")
    expect(cable_row.locator("td").nth(2)).to_contain_text("19.99")
    expect(cable_row.locator("[data-testid=portal-price]")).to_contain_text("18.99")
    array_row.locator("input[type=number]").fill("2")
    cable_row.locator("input[type=number]").fill("5")
    page.select_option("#id_end_customer", label=channel.customer.name)
    page.fill("#id_customer_reference", "PO-DF-0042")
    page.click("[data-testid=portal-order-place]")
    expect(_success(page, "submitted; you will be notified when it is confirmed.")).to_be_visible()

    # 2 × 1,234.56 = 2,469.12, 5 % off = 123.46 (123.456), 13 % VAT on 2,345.66 = 304.94
    #   (304.9358): 2,650.60; 5 × 19.99 = 99.95, 5 % off = 5.00 (4.9975), 13 % VAT on 94.95 =
    #   12.34 (12.3435): 107.29. Together 2,757.89.
    expect(page.locator("[data-testid=order-status]")).to_have_text("Submitted")
    expect(page.locator("[data-testid=order-subtotal]")).to_have_text("CN¥2,569.07")
    expect(page.locator("[data-testid=order-total]")).to_have_text("CN¥2,757.89")
    number = page.locator("h1").inner_text().split()[0]

    # In their orders, submitted.
    page.goto(f"{live_server.url}/portal/orders/new/")
    page.get_by_role("link", name="My orders").click()
    row = page.locator("tbody tr").filter(has_text=number)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Submitted")
    expect(row).to_contain_text("2757.89")
    expect(row).to_contain_text("PO-DF-0042")

    order = Order.objects.get(number=number)
    assert (order.organisation, order.owner) == (channel.partner, channel.partner_user)
    assert order.end_customer == channel.customer
    assert (order.discount_percent, order.total) == (Decimal("5.00"), Decimal("2757.89"))


# --- 4b. An order handed down the channel ----------------------------------------------------


def test_a_distributor_hands_a_company_order_to_its_reseller_who_ships_it(
    page: Page, live_server, channel: Channel
):
    from allyance.orders.services.lines import recalculate
    from allyance.partners.models import OrderHandover
    from allyance.partners.services.handover import order_hand_down
    from tests.factories import OrderFactory, OrderLineFactory

    distributor = OrganisationFactory(
        name="Huadong Distribution",
        partner_type=Organisation.PartnerType.DISTRIBUTOR,
        channel_manager=channel.channel_manager,
    )
    UserFactory(role=Role.PARTNER_ADMIN, organisation=distributor, username="huadong.admin")
    channel.partner.parent = distributor
    channel.partner.save()
    order = OrderFactory(owner=channel.admin, account=AccountFactory(owner=channel.admin))
    OrderLineFactory(order=order, product=channel.array, description="Disk array", quantity=3)
    OrderLineFactory(order=order, product=channel.cable, description="SAS cable", quantity=2)
    recalculate(order)
    order_hand_down(order=order, partner=distributor, by=channel.admin)

    # The distributor's admin hands it on to its reseller from the order's page.
    log_in(page, live_server, "huadong.admin")
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    panel = page.locator("[data-testid=order-handover]")
    expect(panel.locator("[data-hop='1']")).to_contain_text("Huadong Distribution")
    form = panel.locator("[data-testid=hand-down-form]")
    form.locator("select[name=partner]").select_option(label="Jinqiao Systems")
    form.locator("textarea[name=note]").fill("Ship from your Suzhou stock")
    form.locator("[data-testid=hand-down]").click()
    expect(_success(page, "handed to Jinqiao Systems")).to_be_visible()
    expect(panel.locator("[data-hop='2']")).to_contain_text("Jinqiao Systems")
    expect(panel.locator("[data-hop='2']")).to_contain_text("Ship from your Suzhou stock")

    # The reseller's user records the shipment with the normal order flow.
    _switch_user(page, live_server, "li.na")
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    expect(page.locator("[data-testid=hand-back-form]")).to_be_visible()
    shipment = page.locator("[data-testid=shipment-form]")
    shipment.get_by_label("Carrier").fill("SF Express")
    shipment.get_by_label("Tracking number").fill("SF7700123")
    shipment.get_by_label("Disk array").fill("3")
    shipment.get_by_label("SAS cable").fill("2")
    shipment.locator("[data-testid=order-record-shipment]").click()
    expect(page.locator("[data-testid=shipment-tracking]")).to_have_text("SF7700123")
    expect(page.locator("[data-testid=order-status]")).to_have_text("Shipped")
    expect(page.locator("[data-testid=hand-back-form]")).to_have_count(0)

    # The distributor follows it on its handed-down orders.
    _switch_user(page, live_server, "huadong.admin")
    page.goto(f"{live_server.url}/order-handovers/")
    hop = OrderHandover.objects.get(order=order, organisation=channel.partner)
    row = page.locator(f"[data-handover='{hop.pk}']")
    expect(row.locator("[data-testid=order-status]")).to_have_text("Shipped")
    expect(row.locator("[data-testid=progress]")).to_contain_text("100 %")
    order.refresh_from_db()
    assert (order.organisation, order.status) == (channel.partner, Order.Status.SHIPPED)


# --- 5. A warranty claim ----------------------------------------------------------------------


def test_partner_opens_a_warranty_claim_within_the_warranty_and_sees_it_under_warranty(
    page: Page, live_server, channel: Channel
):
    today = timezone.localdate()
    bought = datetime.date(today.year - 1, today.month, 1)  # 24 months' warranty: a year left
    last_day = datetime.date(today.year + 1, today.month, 1) - datetime.timedelta(days=1)

    log_in(page, live_server, "li.na")
    page.goto(f"{live_server.url}/cases/")
    page.click("[data-testid=create]")
    page.select_option("#id_kind", label="Warranty claim")
    page.fill("#id_subject", "Controller B fails after power loss")
    page.select_option("#id_account", label=channel.customer.name)
    page.select_option("#id_product", str(channel.array.pk))
    page.fill("#id_serial_number", "DA200-7731-K")
    page.fill("#id_purchase_date", bought.isoformat())
    page.fill("#id_problem", "Controller B does not come back after a power loss.")
    page.click("[data-testid=save]")
    expect(_success(page, "Saved.")).to_be_visible()

    expect(page.locator("h1")).to_contain_text("Controller B fails after power loss")
    expect(page.locator("[data-testid=case-status]")).to_have_text("New")
    warranty = page.locator("[data-testid=case-warranty] [data-warranty]")
    expect(warranty).to_have_attribute("data-warranty", "valid")
    expect(warranty).to_have_text(f"Under warranty until {_shown_date(last_day)}")

    case = Case.objects.get(organisation=channel.partner)
    assert case.number.startswith(f"CASE-{today.year}-")
    assert (case.kind, case.account, case.owner) == (
        Case.Kind.WARRANTY,
        channel.customer,
        channel.partner_user,
    )
    assert (case.warranty_valid, case.warranty_until) == (True, last_day)
    page.goto(f"{live_server.url}/cases/")
    row = page.locator("tbody tr").filter(has_text=case.number)
    expect(row).to_contain_text("Controller B fails after power loss")
    expect(row).to_contain_text("New")


# --- 6. Another partner sees none of it -------------------------------------------------------


def test_another_partners_user_sees_none_of_these_records_in_lists_or_by_their_address(
    page: Page, live_server, channel: Channel
):
    # The first partner's records, made through the services.
    user, manager = channel.partner_user, channel.channel_manager
    offer = _offer(channel, "Secret Robotics", family_name="Sun", given_name="Mei")
    registration = registration_submit(
        registration=DealRegistration(
            customer_name="Hidden Textiles Ltd", estimated_amount=Decimal("90000"), currency="CNY"
        ),
        by=user,
    )
    allocation = MdfAllocationFactory(organisation=channel.partner, amount="20000.00")
    fund_request = request_submit(
        allocation=allocation,
        activity_name="Confidential roadshow",
        plan="Three cities.",
        amount=Decimal("6000.00"),
        by=user,
    )
    request_approve(request=fund_request, by=manager)
    claim = claim_submit(
        request=fund_request,
        invoice_number="SECRET-INV-9",
        invoice_date=timezone.localdate(),
        lines=[("Venue", Decimal("2500.00"))],
        by=user,
    )
    order = partner_order_place(
        by=user,
        lines=[{"product": channel.array, "quantity": Decimal("1")}],
        end_customer=channel.customer,
        customer_reference="PO-HIDDEN-1",
    )
    case = case_open(
        case=Case(
            kind=Case.Kind.WARRANTY,
            subject="Hidden fan noise",
            account=channel.customer,
            product=channel.array,
            purchase_date=timezone.localdate() - datetime.timedelta(days=30),
            problem="Loud fan.",
        ),
        by=user,
    )
    # The other partner's own records, so its lists are not empty for another reason.
    other_user = channel.other_user
    own_registration = registration_submit(
        registration=DealRegistration(
            customer_name="Bridge Own Customer", estimated_amount=Decimal("1000"), currency="CNY"
        ),
        by=other_user,
    )
    own_allocation = MdfAllocationFactory(organisation=channel.other, amount="7000.00")
    own_case = case_open(
        case=Case(
            kind=Case.Kind.SERVICE,
            subject="Bridge own question",
            account=AccountFactory(name="Bridge Customer", organisation=channel.other),
            problem="How to set up replication?",
        ),
        by=other_user,
    )

    log_in(page, live_server, "pb.user")

    # Lists: their own records, none of the first partner's.
    page.goto(f"{live_server.url}/distribution/")
    expect(page.locator("[data-testid=distributions] tbody tr")).to_have_count(1)
    expect(page.locator(f"tr[data-distribution='{offer.pk}']")).to_have_count(0)
    expect(page.locator("[data-testid=distributions]")).to_contain_text("No distributed leads.")
    page.goto(f"{live_server.url}/leads/")
    expect(page.locator("table").first).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("Secret Robotics")

    page.goto(f"{live_server.url}/partners/registrations/")
    rows = page.locator("[data-testid=registration-row]")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(own_registration.customer_name)

    page.goto(f"{live_server.url}/partners/mdf/")
    expect(page.locator(f"[data-testid=mdf-ledger-row-{own_allocation.pk}]")).to_contain_text(
        "7000.00"
    )
    expect(page.locator("[data-testid=mdf-ledger] tbody tr")).to_have_count(1)
    expect(page.locator(f"[data-testid=mdf-ledger-row-{allocation.pk}]")).to_have_count(0)
    for path, secret in (
        ("/partners/mdf/allocations/", "20000.00"),
        ("/partners/mdf/requests/", fund_request.activity_name),
        ("/partners/mdf/claims/", claim.invoice_number),
        ("/orders/", order.number),
        ("/cases/", case.number),
        ("/accounts/", channel.customer.name),
    ):
        page.goto(f"{live_server.url}{path}")
        expect(page.locator("table").first).to_be_visible()
        expect(page.locator("body")).not_to_contain_text(secret)
    page.goto(f"{live_server.url}/accounts/")
    expect(page.locator("body")).to_contain_text("Bridge Customer")
    page.goto(f"{live_server.url}/cases/")
    expect(page.locator("tbody tr").filter(has_text=own_case.number)).to_have_count(1)

    # Nor does the global search find them.
    page.fill("[data-testid=global-search]", "Hidden")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("Hidden Textiles Ltd")
    expect(page.locator("body")).not_to_contain_text("Hidden fan noise")

    # Their addresses answer 404 (while the first partner's user opens every one of them).
    addresses = (
        f"/leads/{offer.lead_id}/",
        registration.get_absolute_url(),
        allocation.get_absolute_url(),
        fund_request.get_absolute_url(),
        claim.get_absolute_url(),
        f"/partners/mdf/claims/{claim.pk}/invoice/",
        order.get_absolute_url(),
        case.get_absolute_url(),
        f"/cases/{case.pk}/edit/",
        channel.customer.get_absolute_url(),
    )
    for url in addresses:
        response = page.goto(f"{live_server.url}{url}")
        assert response is not None and response.status == 404, url

    _switch_user(page, live_server, "li.na")
    for url in addresses:
        response = page.goto(f"{live_server.url}{url}")
        assert response is not None and response.status == 200, url
    page.goto(f"{live_server.url}/distribution/")
    expect(page.locator(f"tr[data-distribution='{offer.pk}']")).to_contain_text("Secret Robotics")
    page.fill("[data-testid=global-search]", "Hidden")
    page.keyboard.press("Enter")
    expect(page.locator("body")).to_contain_text("Hidden Textiles Ltd")
    expect(page.locator("body")).to_contain_text("Hidden fan noise")
