"""Quotes: creation, exact totals, lines through the configurator, approval of deep
discounts, sending, the customer's answer, revisions, expiry, pages and API."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from allyance.catalog.models import ConfigurationRule, OptionValue, ProductOption
from allyance.core.exceptions import ConflictError
from allyance.core.models import AuditEntry, Notification, Role
from allyance.core.search import global_search
from allyance.orders.models import OrderSettings, Quote
from allyance.orders.selectors.quotes import quotes_awaiting_approval_by, quotes_visible_to
from allyance.orders.services import quotes as services
from allyance.sales.models import Stage
from tests.factories import (
    AccountFactory,
    ContactFactory,
    OpportunityFactory,
    OrganisationFactory,
    PriceListFactory,
    PriceListItemFactory,
    ProductFactory,
    QuoteFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Status = Quote.Status


@pytest.fixture(autouse=True)
def _jobs_run_in_process(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def order_settings():
    row = OrderSettings.current()
    row.discount_approval_percent = Decimal("15")
    row.quote_validity_days = 30
    row.default_terms = "Payment within 30 days."
    row.save()
    return row


@pytest.fixture
def team():
    """A sales manager with a team of one rep."""
    manager = UserFactory(role=Role.SALES_MANAGER, username="manager")
    rep = UserFactory(username="rep")
    squad = TeamFactory(manager=manager)
    squad.members.add(rep)
    return manager, rep


@pytest.fixture
def catalog():
    """A default CNY list with an array at 1000 (capacity option) and a cable at 20."""
    price_list = PriceListFactory(name="Standard", currency="CNY", is_default=True)
    array = ProductFactory(name="Array X200", sku="X200")
    cable = ProductFactory(name="Cable", sku="C1")
    PriceListItemFactory(price_list=price_list, product=array, price="1000.00")
    PriceListItemFactory(price_list=price_list, product=cable, price="20.00")
    capacity = ProductOption.objects.create(
        product=array, name="Capacity", code="capacity", required=True
    )
    two = OptionValue.objects.create(option=capacity, name="2 TB", code="2tb", is_default=True)
    four = OptionValue.objects.create(
        option=capacity, name="4 TB", code="4tb", price_effect=Decimal("250")
    )
    extras = ProductOption.objects.create(
        product=array, name="Extras", code="extras", multiple=True
    )
    rails = OptionValue.objects.create(option=extras, name="Rails", code="rails")
    ConfigurationRule.objects.create(
        kind=ConfigurationRule.Kind.EXCLUDES,
        if_value=two,
        then_value=rails,
        message="Rails do not fit the 2 TB model.",
    )
    return {
        "list": price_list,
        "array": array,
        "cable": cable,
        "2tb": two,
        "4tb": four,
        "rails": rails,
    }


def new_quote(owner, *, account=None, **extra) -> Quote:
    if account is None and extra.get("opportunity") is not None:
        account = extra["opportunity"].account
    account = account or AccountFactory(owner=owner, organisation=owner.organisation)
    return services.quote_create(by=owner, account=account, **extra)


def free_line(quote, by, price="100.00", quantity="1", discount="0", tax="13"):
    return services.quote_line_add(
        quote=quote,
        by=by,
        quantity=Decimal(quantity),
        description="Consulting day",
        unit_price=Decimal(price),
        discount_percent=Decimal(discount),
        tax_rate=Decimal(tax),
    )


def fresh(quote: Quote) -> Quote:
    return Quote.objects.get(pk=quote.pk)


# --- Creation ---------------------------------------------------------------------------


def test_a_new_quote_is_numbered_priced_on_the_default_list_and_valid_for_the_set_days(
    catalog, order_settings, rep
):
    quote = new_quote(rep, title="Storage")
    year = timezone.localdate().year
    assert quote.number == f"Q-{year}-00001"
    assert quote.revision == 1 and quote.status == Status.DRAFT
    assert quote.price_list == catalog["list"] and quote.currency == "CNY"
    assert quote.valid_until == timezone.localdate() + datetime.timedelta(days=30)
    assert quote.terms == "Payment within 30 days."
    assert quote.owner == rep and quote.organisation == rep.organisation
    assert new_quote(rep).number == f"Q-{year}-00002"


def test_a_quote_from_an_opportunity_takes_its_account_and_currency(catalog, rep):
    usd = PriceListFactory(name="Export", currency="USD", is_default=True)
    deal = OpportunityFactory(owner=rep, currency="USD")
    quote = services.quote_create(by=rep, account=None, opportunity=deal)
    assert quote.account == deal.account
    assert quote.currency == "USD" and quote.price_list == usd


def test_the_accounts_own_list_wins_over_the_default(catalog, rep):
    account = AccountFactory(owner=rep)
    special = PriceListFactory(name="Key accounts", currency="CNY")
    special.accounts.add(account)
    assert new_quote(rep, account=account).price_list == special


def test_a_quote_without_a_price_list_is_refused_clearly(rep):
    with pytest.raises(ValidationError) as refused:
        new_quote(rep, currency="EUR")
    assert refused.value.message_dict["price_list"] == [
        "No price list for this account and currency."
    ]


# --- Lines and totals -----------------------------------------------------------------


def test_totals_with_line_and_overall_discounts_and_13_percent_tax_are_exact(catalog, rep):
    quote = new_quote(rep, discount_percent=Decimal("5"))
    free_line(quote, rep, price="333.33", quantity="3", discount="10")
    free_line(quote, rep, price="19.99", quantity="7")
    quote = fresh(quote)
    # 999.99 − 100.00 (10 %) = 899.99; overall 5 % = 45.00; taxable 854.99; tax 111.15
    # 139.93; overall 7.00; taxable 132.93; tax 17.28
    assert quote.subtotal == Decimal("1139.92")
    assert quote.discount_total == Decimal("152.00")
    assert quote.tax_total == Decimal("128.43")
    assert quote.total == Decimal("1116.35")
    assert quote.net_total == Decimal("987.92")
    assert quote.subtotal - quote.discount_total + quote.tax_total == quote.total


def test_a_configured_line_is_priced_with_its_adjustments_explained(catalog, rep):
    quote = new_quote(rep)
    line = services.quote_line_add(
        quote=quote,
        by=rep,
        quantity=Decimal("2"),
        product=catalog["array"],
        option_value_ids=[catalog["4tb"].pk],
    )
    assert line.unit_price == Decimal("1250.0000")
    assert line.tax_rate == Decimal("13.00")
    assert any("4 TB" in step["label"] for step in line.adjustments)
    assert fresh(quote).total == Decimal("2825.00")


def test_a_configuration_that_breaks_a_rule_is_refused_with_its_message(catalog, rep):
    quote = new_quote(rep)
    with pytest.raises(ValidationError) as refused:
        services.quote_line_add(
            quote=quote,
            by=rep,
            quantity=Decimal("1"),
            product=catalog["array"],
            option_value_ids=[catalog["2tb"].pk, catalog["rails"].pk],
        )
    assert "Rails do not fit the 2 TB model." in " ".join(refused.value.messages)
    assert not quote.lines.exists()


def test_changing_a_lines_quantity_and_discount_reprices_the_quote(catalog, rep):
    quote = new_quote(rep)
    line = free_line(quote, rep, price="10.00", quantity="1", tax="0")
    services.quote_line_update(
        line=line, by=rep, quantity=Decimal("4"), discount_percent=Decimal("25")
    )
    assert fresh(quote).total == Decimal("30.00")
    services.quote_line_remove(line=line, by=rep)
    assert fresh(quote).total == Decimal("0.00")


# --- Approval ---------------------------------------------------------------------------


def test_a_discount_at_the_threshold_needs_no_approval_and_may_be_sent(
    catalog, order_settings, team
):
    manager, rep = team
    quote = new_quote(rep)
    free_line(quote, rep, discount="15")
    assert not services.needs_approval(fresh(quote))
    sent = services.quote_mark_sent(quote=quote, by=rep)
    assert sent.status == Status.SENT and sent.sent_at is not None


@pytest.mark.parametrize("where", ["line", "overall"])
def test_a_discount_above_the_threshold_cannot_be_sent_without_approval(
    catalog, order_settings, team, where
):
    manager, rep = team
    quote = new_quote(rep, discount_percent=Decimal("15.01") if where == "overall" else 0)
    free_line(quote, rep, discount="15.01" if where == "line" else "0")
    assert services.needs_approval(fresh(quote))
    with pytest.raises(ValidationError) as refused:
        services.quote_mark_sent(quote=quote, by=rep)
    assert "must approve" in " ".join(refused.value.messages)
    assert fresh(quote).status == Status.DRAFT


def test_requesting_approval_notifies_the_team_manager_and_the_administrators(
    catalog, order_settings, team, admin_user
):
    manager, rep = team
    other_manager = UserFactory(role=Role.SALES_MANAGER)
    quote = new_quote(rep)
    free_line(quote, rep, discount="20")
    quote = services.quote_request_approval(quote=quote, by=rep)
    assert quote.status == Status.PENDING_APPROVAL and quote.approval_requested_at
    told = set(
        Notification.objects.filter(kind="quote_approval_requested").values_list(
            "recipient__username", flat=True
        )
    )
    assert told == {manager.username, admin_user.username}
    assert other_manager.username not in told
    assert quote in quotes_awaiting_approval_by(manager)
    assert quote not in quotes_awaiting_approval_by(rep)


def test_requesting_approval_without_a_deep_discount_is_refused(catalog, order_settings, rep):
    quote = new_quote(rep)
    free_line(quote, rep, discount="5")
    with pytest.raises(ValidationError, match="needs no approval"):
        services.quote_request_approval(quote=quote, by=rep)


def pending_quote(rep):
    quote = new_quote(rep)
    free_line(quote, rep, discount="30")
    return services.quote_request_approval(quote=quote, by=rep)


def test_a_sales_manager_approves_and_the_owner_is_notified_then_it_may_be_sent(
    catalog, order_settings, team
):
    manager, rep = team
    quote = services.quote_approve(quote=pending_quote(rep), by=manager, comment="OK this once")
    assert quote.status == Status.APPROVED
    assert quote.approved_by == manager and quote.approval_comment == "OK this once"
    assert Notification.objects.filter(recipient=rep, kind="quote_approved").exists()
    assert services.quote_mark_sent(quote=quote, by=rep).status == Status.SENT


def test_a_rep_cannot_approve_and_nobody_approves_their_own_quote(catalog, order_settings, team):
    manager, rep = team
    quote = pending_quote(rep)
    with pytest.raises(PermissionDenied):
        services.quote_approve(quote=quote, by=UserFactory(role=Role.SALES_REP))
    own = pending_quote(manager)
    with pytest.raises(PermissionDenied, match="your own"):
        services.quote_approve(quote=own, by=manager)
    assert fresh(own).status == Status.PENDING_APPROVAL


def test_an_administrator_may_approve_their_own_quote(catalog, order_settings, admin_user):
    quote = pending_quote(admin_user)
    assert services.quote_approve(quote=quote, by=admin_user).status == Status.APPROVED


def test_declining_sends_the_quote_back_to_draft_with_the_comment(catalog, order_settings, team):
    manager, rep = team
    quote = pending_quote(rep)
    with pytest.raises(ValidationError) as refused:
        services.quote_decline_approval(quote=quote, by=manager, comment=" ")
    assert "comment" in refused.value.message_dict
    quote = services.quote_decline_approval(quote=quote, by=manager, comment="Too deep")
    assert quote.status == Status.DRAFT and quote.approval_comment == "Too deep"
    note = Notification.objects.get(recipient=rep, kind="quote_approval_declined")
    assert "Too deep" in note.message


def test_editing_an_approved_quote_sends_it_back_to_draft_and_clears_the_approval(
    catalog, order_settings, team
):
    manager, rep = team
    quote = services.quote_approve(quote=pending_quote(rep), by=manager)
    free_line(quote, rep, price="5.00")
    quote = fresh(quote)
    assert quote.status == Status.DRAFT
    assert quote.approved_by is None and quote.approved_at is None
    with pytest.raises(ValidationError):
        services.quote_mark_sent(quote=quote, by=rep)


def test_header_edit_of_a_pending_quote_sends_it_back_to_draft(catalog, order_settings, team):
    manager, rep = team
    quote = pending_quote(rep)
    quote.title = "Changed"
    quote = services.quote_save(quote=quote, by=rep)
    assert quote.status == Status.DRAFT and quote.approval_requested_at is None


# --- Sending and the customer's answer ------------------------------------------------------


def test_a_quote_without_lines_or_past_its_validity_cannot_be_sent(catalog, rep):
    quote = new_quote(rep)
    with pytest.raises(ValidationError, match="without lines"):
        services.quote_mark_sent(quote=quote, by=rep)
    free_line(quote, rep)
    Quote.objects.filter(pk=quote.pk).update(
        valid_until=timezone.localdate() - datetime.timedelta(days=1)
    )
    with pytest.raises(ValidationError) as refused:
        services.quote_mark_sent(quote=fresh(quote), by=rep)
    assert "valid_until" in refused.value.message_dict


def sent_quote(rep, **extra):
    quote = new_quote(rep, **extra)
    free_line(quote, rep, price="1000.00", quantity="2", discount="10")
    return services.quote_mark_sent(quote=quote, by=rep)


def test_only_a_sent_quote_may_be_accepted(catalog, rep):
    quote = new_quote(rep)
    free_line(quote, rep)
    with pytest.raises(ValidationError) as refused:
        services.quote_accept(quote=quote, by=rep)
    assert refused.value.message_dict["status"] == ["A quote that is draft cannot become accepted."]


def test_accepting_sets_the_deals_amount_to_the_net_total_before_tax(catalog, rep):
    deal = OpportunityFactory(owner=rep, amount=5, currency="CNY")
    quote = sent_quote(rep, opportunity=deal)
    quote = services.quote_accept(quote=quote, by=rep)
    assert quote.status == Status.ACCEPTED and quote.decided_at is not None
    deal.refresh_from_db()
    assert deal.amount == Decimal("1800.00")  # 2000 − 10 %, tax excluded
    assert deal.currency == "CNY"
    assert deal.stage.outcome == "open"


def test_accepting_with_mark_won_moves_the_deal_to_its_won_stage(catalog, rep):
    deal = OpportunityFactory(owner=rep)
    quote = services.quote_accept(quote=sent_quote(rep, opportunity=deal), by=rep, mark_won=True)
    deal.refresh_from_db()
    assert quote.status == Status.ACCEPTED
    assert deal.stage.outcome == "won" and deal.outcome == "won"


def test_when_the_won_stage_refuses_nothing_is_accepted(catalog, rep):
    deal = OpportunityFactory(owner=rep)
    Stage.objects.filter(pipeline=deal.pipeline, outcome="won").update(
        required_fields=["close_date"]
    )
    deal.close_date = None
    deal.save()
    quote = sent_quote(rep, opportunity=deal)
    with pytest.raises(ValidationError) as refused:
        services.quote_accept(quote=quote, by=rep, mark_won=True)
    assert "mark_won" in refused.value.message_dict
    assert fresh(quote).status == Status.SENT
    deal.refresh_from_db()
    assert deal.amount == Decimal("10000") and deal.stage.outcome == "open"


def test_rejecting_needs_a_reason_and_keeps_it(catalog, rep):
    quote = sent_quote(rep)
    with pytest.raises(ValidationError):
        services.quote_reject(quote=quote, by=rep, reason="")
    quote = services.quote_reject(quote=quote, by=rep, reason="Too expensive")
    assert quote.status == Status.REJECTED and quote.rejection_reason == "Too expensive"


def test_an_accepted_quote_is_final(catalog, rep):
    quote = services.quote_accept(quote=sent_quote(rep), by=rep)
    for attempt in (
        lambda: services.quote_reject(quote=quote, by=rep, reason="late"),
        lambda: services.quote_revise(quote=quote, by=rep),
        lambda: free_line(quote, rep),
    ):
        with pytest.raises(ValidationError):
            attempt()


def test_transitions_are_audited(catalog, rep):
    quote = sent_quote(rep)
    entries = AuditEntry.objects.filter(object_id=str(quote.pk), content_type__model="quote")
    assert any(entry.changes.get("status") for entry in entries)


# --- Revisions and expiry --------------------------------------------------------------


def test_a_revision_copies_the_lines_and_leaves_the_previous_one_unchanged(catalog, rep):
    old = sent_quote(rep, title="Storage")
    old_total, old_lines = old.total, list(old.lines.values_list("description", "total"))
    new = services.quote_revise(quote=old, by=rep)
    old = fresh(old)
    assert new.number == old.number and new.revision == 2 and new.previous == old
    assert new.status == Status.DRAFT and new.title == "Storage"
    assert list(new.lines.values_list("description", "total")) == old_lines
    assert new.total == old_total
    assert old.status == Status.SUPERSEDED and old.total == old_total
    free_line(new, rep, price="1.00")
    assert fresh(old).total == old_total
    with pytest.raises(ValidationError, match="cannot be changed"):
        free_line(old, rep)
    old.title = "Hijacked"
    with pytest.raises(ValidationError):
        services.quote_save(quote=old, by=rep)
    assert str(new) == f"{new.number} r2"


def test_sent_and_approved_quotes_past_validity_expire_once(catalog, order_settings, team):
    manager, rep = team
    past = timezone.localdate() - datetime.timedelta(days=1)
    sent = sent_quote(rep)
    approved = services.quote_approve(quote=pending_quote(rep), by=manager)
    draft = new_quote(rep)
    Quote.objects.update(valid_until=past)
    assert services.quotes_expire() == 2
    assert fresh(sent).status == Status.EXPIRED and fresh(approved).status == Status.EXPIRED
    assert fresh(draft).status == Status.DRAFT
    assert services.quotes_expire() == 0
    with pytest.raises(ValidationError):
        services.quote_accept(quote=fresh(sent), by=rep)


def test_the_expire_quotes_command(catalog, rep, capsys):
    quote = sent_quote(rep)
    later = (quote.valid_until + datetime.timedelta(days=1)).isoformat()
    call_command("expire_quotes", today=later)
    assert "1 quotes expired." in capsys.readouterr().out
    assert fresh(quote).status == Status.EXPIRED


# --- Concurrency --------------------------------------------------------------------------


def test_a_stale_edit_is_refused(catalog, rep):
    quote = new_quote(rep)
    first, second = fresh(quote), fresh(quote)
    first.title = "One"
    services.quote_save(quote=first, by=rep, expected_version=first.version)
    second.title = "Two"
    with pytest.raises(ConflictError):
        services.quote_save(quote=second, by=rep, expected_version=second.version)
    with pytest.raises(ConflictError):
        services.quote_mark_sent(quote=second, by=rep, expected_version=second.version)
    assert fresh(quote).title == "One"


# --- Visibility and search ----------------------------------------------------------------


def test_partners_see_only_their_own_organisations_quotes(catalog):
    a = UserFactory(role=Role.PARTNER_USER, organisation=OrganisationFactory())
    b = UserFactory(role=Role.PARTNER_USER, organisation=OrganisationFactory())
    mine = QuoteFactory(organisation=a.organisation, owner=a)
    theirs = QuoteFactory(organisation=b.organisation, owner=b)
    visible = set(quotes_visible_to(a))
    assert mine in visible and theirs not in visible


def test_global_search_finds_a_quote_by_number_and_account(catalog, rep):
    account = AccountFactory(owner=rep, name="华为技术")
    quote = new_quote(rep, account=account, title="Storage refresh")
    found = {
        row.pk
        for group in global_search(rep, quote.number)
        if group["type"] == "quotes"
        for row in group["rows"]
    }
    assert quote.pk in found
    found = {
        row.pk
        for group in global_search(rep, "华为")
        if group["type"] == "quotes"
        for row in group["rows"]
    }
    assert quote.pk in found


# --- API ----------------------------------------------------------------------------------


@pytest.fixture
def api(rep):
    client = APIClient()
    client.force_authenticate(rep)
    return client


def test_api_creates_a_quote_adds_lines_and_runs_the_actions(catalog, api, rep):
    account = AccountFactory(owner=rep)
    deal = OpportunityFactory(owner=rep, account=account)
    answer = api.post(
        "/api/v1/quotes/",
        {"account": account.pk, "opportunity": deal.pk, "title": "API quote"},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    quote_id = answer.json()["id"]
    assert answer.json()["number"].startswith("Q-") and answer.json()["status"] == "draft"
    line = api.post(
        "/api/v1/quote-lines/",
        {
            "quote": quote_id,
            "product": catalog["array"].pk,
            "option_values": [catalog["4tb"].pk],
            "quantity": "1",
        },
        format="json",
    )
    assert line.status_code == 201, line.content
    assert line.json()["unit_price"] == "1250.0000"
    refused = api.post(
        "/api/v1/quote-lines/",
        {
            "quote": quote_id,
            "product": catalog["array"].pk,
            "option_values": [catalog["2tb"].pk, catalog["rails"].pk],
            "quantity": "1",
        },
        format="json",
    )
    assert refused.status_code == 400
    assert "Rails do not fit" in refused.content.decode()
    detail = api.get(f"/api/v1/quotes/{quote_id}/").json()
    assert detail["total"] == "1412.50" and len(detail["lines"]) == 1
    assert api.post(f"/api/v1/quotes/{quote_id}/mark-sent/", {}, format="json").status_code == 200
    accepted = api.post(f"/api/v1/quotes/{quote_id}/accept/", {"mark_won": True}, format="json")
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["status"] == "accepted"
    deal.refresh_from_db()
    assert deal.amount == Decimal("1250.00") and deal.outcome == "won"


def test_api_refusals_are_400_with_the_reason_and_a_stale_version_is_409(catalog, api, rep):
    quote = new_quote(rep)
    answer = api.post(f"/api/v1/quotes/{quote.pk}/accept/", {}, format="json")
    assert answer.status_code == 400 and "status" in answer.json()
    answer = api.post(f"/api/v1/quotes/{quote.pk}/reject/", {}, format="json")
    assert answer.status_code == 400 and "reason" in answer.json()
    api.patch(f"/api/v1/quotes/{quote.pk}/", {"title": "New"}, format="json")
    stale = api.patch(f"/api/v1/quotes/{quote.pk}/", {"title": "Old", "version": 1}, format="json")
    assert stale.status_code == 409
    answer = api.post("/api/v1/quotes/", {"account": quote.account_id, "currency": "EUR"})
    assert answer.status_code == 400 and "price_list" in answer.json()


def test_api_approval_flow_and_revision(catalog, order_settings, team):
    manager, rep = team
    quote = pending_quote(rep)
    rep_api, manager_api = APIClient(), APIClient()
    rep_api.force_authenticate(rep)
    manager_api.force_authenticate(manager)
    assert rep_api.post(f"/api/v1/quotes/{quote.pk}/approve/").status_code == 403
    answer = manager_api.post(f"/api/v1/quotes/{quote.pk}/approve/", {"comment": "fine"})
    assert answer.status_code == 200 and answer.json()["status"] == "approved"
    revised = rep_api.post(f"/api/v1/quotes/{quote.pk}/revise/")
    assert revised.status_code == 200 and revised.json()["revision"] == 2
    assert revised.json()["previous"] == quote.pk


def test_api_lines_are_only_those_of_visible_quotes(catalog):
    a = UserFactory(role=Role.PARTNER_USER, organisation=OrganisationFactory())
    b = UserFactory(role=Role.PARTNER_USER, organisation=OrganisationFactory())
    theirs = QuoteFactory(organisation=b.organisation, owner=b)
    free_line(theirs, b)
    client = APIClient()
    client.force_authenticate(a)
    assert client.get("/api/v1/quote-lines/").json()["results"] == []
    answer = client.post(
        "/api/v1/quote-lines/",
        {"quote": theirs.pk, "description": "x", "unit_price": "1", "quantity": "1"},
        format="json",
    )
    assert answer.status_code == 400 and "quote" in answer.json()


# --- Pages --------------------------------------------------------------------------------


def test_the_list_shows_latest_revisions_by_default(catalog, client, rep):
    old = sent_quote(rep, title="Old revision")
    new = services.quote_revise(quote=old, by=rep)
    Quote.objects.filter(pk=new.pk).update(title="New revision")
    client.force_login(rep)
    page = client.get(reverse("orders:quote-list")).content.decode()
    assert "New revision" in page and "Old revision" not in page
    page = client.get(reverse("orders:quote-list") + "?revisions=all").content.decode()
    assert "New revision" in page and "Old revision" in page


def test_the_detail_page_offers_the_allowed_actions(catalog, order_settings, client, team):
    manager, rep = team
    quote = new_quote(rep)
    free_line(quote, rep, discount="30")
    client.force_login(rep)
    page = client.get(quote.get_absolute_url()).content.decode()
    assert 'data-testid="quote-request-approval"' in page
    assert 'data-testid="quote-mark-sent"' not in page
    assert 'data-testid="quote-status"' in page and 'data-testid="quote-total"' in page
    response = client.post(
        reverse("orders:quote-action", args=[quote.pk]),
        {"action": "request_approval", "version": fresh(quote).version},
    )
    assert response.status_code == 302
    assert (
        'data-testid="quote-approve"' not in client.get(quote.get_absolute_url()).content.decode()
    )
    client.force_login(manager)
    page = client.get(reverse("orders:quote-approval-list")).content.decode()
    assert quote.number in page
    page = client.get(quote.get_absolute_url()).content.decode()
    assert 'data-testid="quote-approve"' in page
    response = client.post(
        reverse("orders:quote-action", args=[quote.pk]),
        {"action": "approve", "version": fresh(quote).version},
    )
    assert response.status_code == 302 and fresh(quote).status == Status.APPROVED


def test_a_refused_action_shows_its_message_on_the_page(catalog, client, rep):
    quote = new_quote(rep)
    client.force_login(rep)
    response = client.post(reverse("orders:quote-action", args=[quote.pk]), {"action": "mark_sent"})
    assert response.status_code == 400
    assert "A quote without lines cannot be sent." in response.content.decode()


def test_new_quote_from_an_opportunity_is_prefilled(catalog, client, rep):
    deal = OpportunityFactory(owner=rep, currency="CNY", account=AccountFactory(owner=rep))
    client.force_login(rep)
    page = client.get(reverse("orders:quote-create") + f"?opportunity={deal.pk}")
    form = page.context["form"]
    assert form.initial["account"] == deal.account_id
    assert form.initial["opportunity"] == deal.pk and form.initial["currency"] == "CNY"
    response = client.post(
        reverse("orders:quote-create"),
        {"account": deal.account_id, "opportunity": deal.pk, "title": "From deal", "currency": ""},
    )
    assert response.status_code == 302, response.context["form"].errors
    quote = Quote.objects.get(title="From deal")
    assert quote.opportunity == deal and quote.price_list == catalog["list"]


def test_the_line_page_shows_the_products_options_and_refusals_beside_the_form(
    catalog, client, rep
):
    quote = new_quote(rep)
    client.force_login(rep)
    url = reverse("orders:quote-line-add", args=[quote.pk])
    page = client.get(url + f"?product={catalog['array'].pk}").content.decode()
    assert "Capacity" in page and "4 TB" in page and "Rails" in page
    option_capacity = f"option_{catalog['2tb'].option_id}"
    option_extras = f"option_{catalog['rails'].option_id}"
    response = client.post(
        url,
        {
            "product": catalog["array"].pk,
            option_capacity: catalog["2tb"].pk,
            option_extras: [catalog["rails"].pk],
            "quantity": "1",
            "discount_percent": "0",
        },
    )
    assert response.status_code == 400
    assert "Rails do not fit the 2 TB model." in response.content.decode()
    response = client.post(
        url,
        {
            "product": catalog["array"].pk,
            option_capacity: catalog["4tb"].pk,
            "quantity": "2",
            "discount_percent": "5",
        },
    )
    assert response.status_code == 302
    line = quote.lines.get()
    assert line.quantity == Decimal("2") and line.discount_percent == Decimal("5")
    response = client.post(url, {"quantity": "1", "description": "", "discount_percent": "0"})
    assert response.status_code == 400
    assert 'data-field-error="description"' in response.content.decode()


def test_removing_a_line_from_the_page(catalog, client, rep):
    quote = new_quote(rep)
    line = free_line(quote, rep)
    client.force_login(rep)
    client.post(reverse("orders:quote-line-remove", args=[quote.pk, line.pk]))
    assert not quote.lines.exists()


def test_account_and_opportunity_pages_show_their_quotes(catalog, client, rep):
    deal = OpportunityFactory(owner=rep, account=AccountFactory(owner=rep))
    quote = new_quote(rep, account=deal.account, opportunity=deal, title="On the card")
    hidden = QuoteFactory(number="X-1", account=deal.account, title="Someone else's")
    client.force_login(rep)
    for url in (deal.account.get_absolute_url(), deal.get_absolute_url()):
        page = client.get(url).content.decode()
        assert 'data-testid="quotes-card"' in page and "On the card" in page
        assert "Someone else&#x27;s" not in page and hidden.number not in page
    assert quote.number in page


def test_the_settings_page_is_for_administrators(client, rep, admin_user):
    client.force_login(rep)
    assert client.get(reverse("orders:settings")).status_code == 403
    client.force_login(admin_user)
    response = client.post(
        reverse("orders:settings"),
        {
            "discount_approval_percent": "12.5",
            "quote_validity_days": "14",
            "payment_terms_days": "45",
            "default_terms": "Net 45",
        },
    )
    assert response.status_code == 302
    assert OrderSettings.current().discount_approval_percent == Decimal("12.5")
    response = client.post(
        reverse("orders:settings"),
        {
            "discount_approval_percent": "120",
            "quote_validity_days": "14",
            "payment_terms_days": "1",
        },
    )
    assert response.status_code == 400 and 'data-field-error="discount_approval_percent"' in (
        response.content.decode()
    )


def test_export_lists_what_the_page_shows(catalog, client, rep):
    mine = new_quote(rep, title="Exported")
    QuoteFactory(number="X-1", title="Not mine")
    client.force_login(rep)
    response = client.get(reverse("orders:quote-export") + "?format=csv")
    body = b"".join(response.streaming_content).decode()
    assert mine.number in body and "Exported" in body and "Not mine" not in body
    response = client.get(reverse("orders:quote-export") + "?format=xlsx")
    assert response.status_code == 200


def test_a_contact_of_another_account_is_refused(catalog, rep):
    with pytest.raises(ValidationError) as refused:
        new_quote(rep, contact=ContactFactory())
    assert "contact" in refused.value.message_dict


def test_products_that_exclude_each_other_cannot_be_sent_together(catalog, rep):
    ConfigurationRule.objects.create(
        kind=ConfigurationRule.Kind.EXCLUDES,
        if_product=catalog["array"],
        then_product=catalog["cable"],
        message="The array ships with its own cables.",
    )
    quote = new_quote(rep)
    services.quote_line_add(
        quote=quote,
        by=rep,
        quantity=Decimal("1"),
        product=catalog["array"],
        option_value_ids=[catalog["4tb"].pk],
    )
    services.quote_line_add(quote=quote, by=rep, quantity=Decimal("1"), product=catalog["cable"])
    with pytest.raises(ValidationError) as refused:
        services.quote_mark_sent(fresh(quote), by=rep)
    assert "The array ships with its own cables." in " ".join(refused.value.messages)
    assert fresh(quote).status == Status.DRAFT


def test_changing_a_line_on_its_page(catalog, client, rep):
    quote = new_quote(rep)
    line = free_line(quote, rep, price="10.00", tax="0")
    client.force_login(rep)
    url = reverse("orders:quote-line-edit", args=[quote.pk, line.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"quantity": "3", "discount_percent": "101"})
    assert response.status_code == 400
    assert 'data-field-error="discount_percent"' in response.content.decode()
    response = client.post(
        url, {"quantity": "3", "discount_percent": "10", "version": fresh(quote).version}
    )
    assert response.status_code == 302
    assert fresh(quote).total == Decimal("27.00")


def test_a_manager_outside_the_reps_scope_declines_from_the_approvals_page(
    catalog, order_settings, client
):
    rep = UserFactory()
    manager = UserFactory(role=Role.SALES_MANAGER)  # no team: outside the rep's scope
    quote = pending_quote(rep)
    client.force_login(manager)
    assert quote.number in client.get(reverse("orders:quote-approval-list")).content.decode()
    response = client.post(
        reverse("orders:quote-action", args=[quote.pk]),
        {"action": "decline_approval", "comment": "No"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:quote-approval-list")
    assert fresh(quote).status == Status.DRAFT


def test_the_quote_api_list_reads_a_fixed_number_of_queries(catalog, order_settings, rep):
    """needs_approval comes from the prefetched lines: no query per quote."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = APIClient()
    client.force_authenticate(rep)

    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/v1/quotes/").status_code == 200
        return len(captured)

    for _ in range(2):
        free_line(new_quote(rep), rep, discount="30")
    few = queries_for_list()
    for _ in range(6):
        free_line(new_quote(rep), rep, discount="30")
    assert queries_for_list() == few
