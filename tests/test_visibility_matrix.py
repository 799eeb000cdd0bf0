"""The visibility matrix: a user of partner A sees none of partner B's rows on any API
endpoint or list page, and cannot read, change or delete them by id.

The endpoints come from the router and the list pages from the URL map, so a new module's
endpoint or list page fails `test_the_matrix_knows_every_endpoint_and_list_page` until a
row in `ROWS` says how to make a record that belongs to a partner.
"""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Model
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from allyance.core.attachments import attachment_add
from allyance.core.audit import snapshot
from allyance.core.models import AuditEntry, CustomField, Notification, Role, User
from allyance.customers.models import Account
from allyance.urls import router
from tests.factories import (
    AccountFactory,
    ActivityFactory,
    ContactFactory,
    LeadFactory,
    OpportunityFactory,
    OrganisationFactory,
    PipelineFactory,
    ProductFamilyFactory,
    TaxClassFactory,
    TeamFactory,
    TerritoryFactory,
    UserFactory,
)
from tests.visibility_rows import PART_PAGES, PART_ROWS, Row, marker

pytestmark = pytest.mark.django_db

LIST_PAGE_NAMESPACES = (
    "customers",
    "activities",
    "core",
    "sales",
    "catalog",
    "orders",
    "partners",
    "service",
)


def _attachment(user: User):
    account = AccountFactory(organisation=user.organisation, owner=user)
    upload = SimpleUploadedFile(f"{marker()}.txt", b"quarterly numbers")
    return attachment_add(target=account, uploaded_file=upload, by=user)


def _audit_entry(user: User):
    account = AccountFactory(organisation=user.organisation, owner=user, name=marker())
    return AuditEntry.objects.get(
        content_type=ContentType.objects.get_for_model(Account), object_id=str(account.pk)
    )


def _opportunity(user: User):
    deal = OpportunityFactory(organisation=user.organisation, owner=user, name=marker())
    deal.refresh_from_db()  # the amount as the database keeps it, for the snapshot
    return deal


def _opportunity_contact(user: User):
    from allyance.sales.models import OpportunityContact

    deal = OpportunityFactory(organisation=user.organisation, owner=user)
    contact = ContactFactory(organisation=user.organisation, owner=user, family_name=marker())
    return OpportunityContact.objects.create(opportunity=deal, contact=contact, role="user")


def _lead_event(user: User):
    from allyance.sales.models import LeadEvent

    lead = LeadFactory(organisation=user.organisation, owner=user, family_name=marker())
    return LeadEvent.objects.create(lead=lead, kind="visit", detail=marker(), at=lead.created_at)


def _scoring_rule(user: User):
    from allyance.sales.models import ScoringRule

    return ScoringRule.objects.create(name=marker(), kind="reply", points=5)


def _deal_owner(user: User, **kwargs) -> User:
    """A deal of the user's organisation in this period; the reports list it by owner."""
    from django.utils import timezone

    from tests.factories import OpportunityFactory

    OpportunityFactory(
        organisation=user.organisation,
        owner=user,
        name=marker(),
        close_date=timezone.localdate(),
        **kwargs,
    )
    return user


def _won_deal_owner(user: User) -> User:
    from django.utils import timezone

    from tests.factories import PipelineFactory

    pipeline = PipelineFactory(name=marker())
    won = pipeline.stages.get(outcome="won")
    return _deal_owner(user, pipeline=pipeline, stage=won, outcome="won", closed_at=timezone.now())


def _funnel_stage(user: User):
    """A pipeline whose only deal is the user's; the funnel lists its stages by id."""
    from tests.factories import OpportunityFactory, PipelineFactory

    deal = OpportunityFactory(
        organisation=user.organisation, owner=user, pipeline=PipelineFactory(name=marker())
    )
    return deal.stage


def _target(user: User):
    from tests.factories import TargetFactory

    target = TargetFactory(user=user)
    target.refresh_from_db()  # amounts as the database gives them back
    return target


def _assignment_rule(user: User):
    from allyance.sales.models import AssignmentRule

    return AssignmentRule.objects.create(name=marker(), action="queue")


def _routable_lead(user: User):
    from tests.factories import LeadFactory

    return LeadFactory(organisation=user.organisation, owner=user, family_name=marker())


def _queued_lead(user: User):
    """An open lead nobody owns: the lead queue lists it."""
    from tests.factories import LeadFactory

    return LeadFactory(organisation=user.organisation, owner=None, family_name=marker())


def _lead_assignment(user: User):
    from allyance.sales.models import LeadAssignment

    lead = _routable_lead(user)
    return LeadAssignment.objects.create(lead=lead, rule_name=marker(), assigned_user=user)


def _expense(user: User):
    from allyance.sales.models import Expense

    account = AccountFactory(organisation=user.organisation, owner=user)
    return Expense.objects.create(
        organisation=user.organisation,
        owner=user,
        account=account,
        date="2026-11-02",
        amount="120.00",
        currency="CNY",
        description=marker(),
    )


def _commission_plan(user: User):
    from allyance.sales.models import CommissionPlan

    plan = CommissionPlan.objects.create(name=marker(), flat_rate="2.00")
    plan.users.add(user)
    return plan


def _with_member(group, user: User):
    group.members.add(user)
    return group


def _quote(user: User, **extra):
    from tests.factories import QuoteFactory

    quote = QuoteFactory(organisation=user.organisation, owner=user, title=marker(), **extra)
    quote.refresh_from_db()  # amounts as the database keeps them, for the snapshot
    return quote


def _quote_line(user: User):
    from tests.factories import QuoteLineFactory

    line = QuoteLineFactory(quote=_quote(user), product=None, description=marker())
    line.refresh_from_db()
    return line


def _document_template(user: User):
    from allyance.orders.models import DocumentTemplate

    return DocumentTemplate.objects.create(
        kind="quote",
        language="en",
        name=marker(),
        body="<p>{{ record.number }}</p>",
        is_default=False,
    )


def _generated_document(user: User):
    """A PDF record of a quote of the user's organisation: visible exactly when the quote is."""
    from allyance.orders.models import GeneratedDocument, Quote
    from tests.factories import QuoteFactory

    quote = QuoteFactory(organisation=user.organisation, owner=user)
    return GeneratedDocument.objects.create(
        kind="quote",
        language="en",
        content_type=ContentType.objects.get_for_model(Quote),
        object_id=str(quote.pk),
        created_by=user,
        emailed_to=marker(),
    )


def _assigned_price_list(user: User):
    """An active price list the company assigned to the user's organisation."""
    from tests.factories import PriceListFactory

    price_list = PriceListFactory(name=marker())
    price_list.partners.add(user.organisation)
    price_list.refresh_from_db()  # the discount as the database gives it back
    return price_list


def _assigned_price(user: User):
    """A price of an active product on a list assigned to the user's organisation."""
    from tests.factories import PriceListItemFactory, ProductFactory

    item = PriceListItemFactory(
        price_list=_assigned_price_list(user), product=ProductFactory(name=marker())
    )
    item.refresh_from_db()  # the price as the database gives it back
    return item


def _invoice(user: User, **fields):
    """An issued invoice of the user's organisation, for one of its accounts."""
    from tests.factories import InvoiceFactory

    account = AccountFactory(organisation=user.organisation, owner=user)
    invoice = InvoiceFactory(
        organisation=user.organisation,
        owner=user,
        account=account,
        number=marker(),
        total="113.00",
        **fields,
    )
    invoice.refresh_from_db()  # amounts as the database gives them back
    return invoice


def _overdue_invoice(user: User):
    import datetime

    return _invoice(user, due_date=datetime.date.today() - datetime.timedelta(days=10))


def _payment(user: User):
    from tests.factories import PaymentFactory

    account = AccountFactory(organisation=user.organisation, owner=user)
    payment = PaymentFactory(
        organisation=user.organisation, owner=user, account=account, reference=marker()
    )
    payment.refresh_from_db()
    return payment


def _receivable_account(user: User):
    """An account of the user's organisation that owes an invoice: the ageing lists it."""
    return _invoice(user).account


def _catalog_product(user: User):
    """An active product: central data every partner reads and none changes."""
    from tests.factories import ProductFactory

    return ProductFactory(name=marker())


def _product_option(user: User):
    from allyance.catalog.models import OptionValue, ProductOption

    option = ProductOption.objects.create(
        product=_catalog_product(user), name=marker(), code=marker()
    )
    OptionValue.objects.create(option=option, name=marker(), code="v1")
    return option


def _configuration_rule(user: User):
    from allyance.catalog.models import ConfigurationRule

    option = _product_option(user)
    return ConfigurationRule.objects.create(
        product=option.product,
        kind="requires",
        if_value=option.values.get(),
        then_product=_catalog_product(user),
        message=marker(),
    )


def _order(user: User):
    """A confirmed order of the user's organisation with one free-text line."""
    from tests.factories import OrderFactory, OrderLineFactory

    account = AccountFactory(organisation=user.organisation, owner=user)
    order = OrderFactory(
        organisation=user.organisation, owner=user, account=account, customer_reference=marker()
    )
    OrderLineFactory(order=order, product=None, description=marker())
    order.refresh_from_db()  # dates and amounts as the database gives them back
    return order


def _order_line(user: User):
    line = _order(user).lines.get()
    line.refresh_from_db()
    return line


def _shipment(user: User):
    from allyance.orders.models import Shipment, ShipmentLine

    order = _order(user)
    shipment = Shipment.objects.create(
        order=order, shipped_on="2026-11-02", carrier="SF", tracking_number=marker()
    )
    ShipmentLine.objects.create(shipment=shipment, order_line=order.lines.get(), quantity=1)
    shipment.refresh_from_db()
    return shipment


ROWS: dict[str, Row] = {
    "expenses": Row(make=_expense, shown_as=lambda e: e.description, change={"amount": "1.00"}),
    # Central plans: staff read, administrators write, partners see none.
    "commission-plans": Row(
        make=_commission_plan, change={"name": "hijacked"}, partners_see_own=False
    ),
    # Computed statements, list only; partners are refused.
    "commission-statements": Row(make=_commission_plan, partners_see_own=False),
    "leads": Row(
        make=lambda u: LeadFactory(organisation=u.organisation, owner=u, family_name=marker()),
        shown_as=lambda lead: lead.family_name,
        change={"company": "hijacked"},
    ),
    "lead-events": Row(make=_lead_event, shown_as=lambda e: e.detail),
    "scoring-rules": Row(make=_scoring_rule, change={"name": "hijacked"}, partners_see_own=False),
    "accounts": Row(
        make=lambda u: AccountFactory(organisation=u.organisation, owner=u, name=marker()),
        change={"name": "hijacked"},
    ),
    "contacts": Row(
        make=lambda u: ContactFactory(organisation=u.organisation, owner=u, family_name=marker()),
        change={"family_name": "hijacked"},
    ),
    "activities": Row(
        make=lambda u: ActivityFactory(organisation=u.organisation, owner=u, subject=marker()),
        change={"subject": "hijacked"},
    ),
    "attachments": Row(make=_attachment, shown_as=lambda a: a.name),
    "audit": Row(make=_audit_entry, shown_as=lambda e: e.object_repr),
    "organisations": Row(make=lambda u: u.organisation, change={"name": "hijacked"}),
    "users": Row(
        make=lambda u: UserFactory(
            role=Role.PARTNER_USER, organisation=u.organisation, username=marker()
        ),
        shown_as=lambda u: u.username,
        change={"first_name": "hijacked"},
    ),
    "tokens": Row(
        make=lambda u: Token.objects.get_or_create(user=u)[0],
        shown_as=lambda t: t.key,
        lookup="key",
        lookup_field="key",
    ),
    "teams": Row(
        make=lambda u: _with_member(TeamFactory(name=marker()), u),
        change={"name": "hijacked"},
        partners_see_own=False,
    ),
    "territories": Row(
        make=lambda u: _with_member(TerritoryFactory(name=marker()), u),
        change={"name": "hijacked"},
        partners_see_own=False,
    ),
    "custom-fields": Row(
        make=lambda u: CustomField.objects.create(
            content_type=ContentType.objects.get_for_model(Account), name=marker(), label=marker()
        ),
        shown_as=lambda f: f.label,
        change={"label": "hijacked"},
        partners_see_own=False,
    ),
    "notifications": Row(
        make=lambda u: Notification.objects.create(recipient=u, message=marker()),
        shown_as=lambda n: n.message,
    ),
    "opportunities": Row(
        make=_opportunity,
        change={"name": "hijacked"},
    ),
    "opportunity-contacts": Row(
        make=_opportunity_contact,
        shown_as=lambda link: link.contact.family_name,
        change={"role": "champion"},
    ),
    "pipelines": Row(
        make=lambda u: PipelineFactory(name=marker()),
        change={"name": "hijacked"},
        partners_see_own=False,
    ),
    "pipeline-stages": Row(
        make=lambda u: PipelineFactory(name=marker()).stages.first(),
        shown_as=lambda stage: stage.pipeline.name,
        change={"name": "hijacked"},
        partners_see_own=False,
    ),
    # Report endpoints list aggregates: by owner (forecast, win rate) or by stage (funnel).
    "reports/forecast": Row(make=_deal_owner, lookup_field="owner"),
    "reports/win-rate": Row(make=_won_deal_owner, lookup_field="owner"),
    "reports/funnel": Row(make=_funnel_stage, lookup_field="stage"),
    "targets": Row(make=_target, change={"amount": "1.00"}, partners_see_own=False),
    "assignment-rules": Row(
        make=_assignment_rule, change={"name": "hijacked"}, partners_see_own=False
    ),
    # POST-only: routes the given lead ids; partners may not route at all.
    "lead-routing": Row(
        make=_routable_lead, shown_as=lambda lead: lead.family_name, partners_see_own=False
    ),
    "lead-assignments": Row(make=_lead_assignment, shown_as=lambda a: a.rule_name),
    "lead-queue": Row(make=_queued_lead, shown_as=lambda lead: lead.family_name),  # a page
    # Price lists: central; a partner reads the lists assigned to it and changes none.
    "price-lists": Row(
        make=_assigned_price_list, shown_as=lambda p: p.name, change={"name": "x"}, central=True
    ),
    "price-list-items": Row(
        make=_assigned_price, shown_as=lambda i: i.product.name, change={"price": "1"}, central=True
    ),
    # POST-only: prices a configuration on a list the user may read; nothing to list.
    "configurator": Row(make=_assigned_price_list, partners_see_own=False),
    # Company templates: staff read, administrators write, partners are refused.
    "document-templates": Row(
        make=_document_template, change={"name": "hijacked"}, partners_see_own=False
    ),
    # Generated PDFs follow their quote, order or invoice through the gate; read-only.
    "documents": Row(make=_generated_document, shown_as=lambda d: d.emailed_to),
    # The catalog: central data every partner reads (active products and what concerns
    # them), only administrators change.
    "products": Row(
        make=_catalog_product,
        shown_as=lambda p: p.name,
        change={"name": "hijacked"},
        central=True,
        shared_with_all=True,
    ),
    "product-families": Row(
        make=lambda u: ProductFamilyFactory(name=marker()),
        shown_as=lambda f: f.name,
        change={"name": "hijacked"},
        central=True,
        shared_with_all=True,
    ),
    "tax-classes": Row(
        make=lambda u: TaxClassFactory(name=marker()),
        shown_as=lambda t: t.name,
        change={"name": "hijacked"},
        central=True,
        shared_with_all=True,
    ),
    "product-options": Row(
        make=_product_option, change={"name": "hijacked"}, central=True, shared_with_all=True
    ),
    "configuration-rules": Row(
        make=_configuration_rule,
        shown_as=lambda r: r.if_value.option.name,
        change={"message": "hijacked"},
        central=True,
        shared_with_all=True,
    ),
    # Invoices and payments belong to the organisation that sold; the ageing report
    # lists rows by account.
    "invoices": Row(make=_invoice, shown_as=lambda i: i.number, change={"notes": "hijacked"}),
    "invoice-overdue": Row(make=_overdue_invoice, shown_as=lambda i: i.number),  # a page
    "payments": Row(make=_payment, shown_as=lambda p: p.reference, change={"reference": "x"}),
    "reports/receivables-ageing": Row(make=_receivable_account, lookup_field="account"),
    "orders": Row(
        make=_order, shown_as=lambda o: o.customer_reference, change={"customer_reference": "x"}
    ),
    "order-lines": Row(make=_order_line, shown_as=lambda line: line.description),
    "shipments": Row(make=_shipment, shown_as=lambda s: s.tracking_number, change={"carrier": "x"}),
    "quotes": Row(make=_quote, shown_as=lambda q: q.title, change={"title": "hijacked"}),
    "quote-lines": Row(
        make=_quote_line, shown_as=lambda line: line.description, change={"quantity": "5"}
    ),
    # Quotes waiting for a sales manager's approval: partners approve none.
    "quote-approvals": Row(
        make=lambda u: _quote(u, status="pending_approval"),
        shown_as=lambda q: q.title,
        partners_see_own=False,
    ),
}

# List pages by URL name, and the row each one lists. Every page whose name ends in
# `-list` must be here; the partner admin's own user list is added by hand.
PAGES: dict[str, str] = {
    "sales:expense-list": "expenses",
    "sales:commission-plan-list": "commission-plans",
    "sales:lead-list": "leads",
    "sales:scoring-rule-list": "scoring-rules",
    "customers:account-list": "accounts",
    "customers:contact-list": "contacts",
    "activities:activity-list": "activities",
    "core:custom-field-list": "custom-fields",
    "core:my-users": "users",
    "activities:task-list": "activities",
    "core:notification-list": "notifications",
    "sales:opportunity-list": "opportunities",
    "sales:pipeline-list": "pipelines",
    "sales:target-list": "targets",
    "sales:assignment-rule-list": "assignment-rules",
    "sales:lead-queue-list": "lead-queue",
    "catalog:price-list-list": "price-lists",
    "orders:document-template-list": "document-templates",
    "catalog:product-list": "products",
    "catalog:family-list": "product-families",
    "catalog:tax-class-list": "tax-classes",
    "catalog:rule-list": "configuration-rules",
    "orders:invoice-list": "invoices",
    "orders:invoice-overdue-list": "invoice-overdue",
    "orders:payment-list": "payments",
    "orders:order-list": "orders",
    "orders:quote-list": "quotes",
    "orders:quote-approval-list": "quote-approvals",
}
ROWS.update(PART_ROWS)
PAGES.update(PART_PAGES)


def list_page_names() -> set[str]:
    """Names of the list pages in the URL map (`namespace:…-list`)."""
    found: set[str] = set()

    def walk(patterns, namespace: str | None) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, pattern.namespace or namespace)
            elif (
                isinstance(pattern, URLPattern)
                and (pattern.name or "").endswith("-list")
                and namespace in LIST_PAGE_NAMESPACES
            ):
                found.add(f"{namespace}:{pattern.name}")

    walk(get_resolver().url_patterns, None)
    return found


def endpoints() -> list[str]:
    return [prefix for prefix, _viewset, _basename in router.registry]


def viewset_of(prefix: str):
    return next(viewset for p, viewset, _basename in router.registry if p == prefix)


def test_the_matrix_knows_every_endpoint_and_list_page():
    assert set(endpoints()) <= set(ROWS), "add a Row for the new endpoint"
    assert list_page_names() <= set(PAGES), "add the new list page to PAGES"
    for name in PAGES:
        reverse(name)  # every page the matrix names still exists


@pytest.fixture(params=[Role.PARTNER_USER, Role.PARTNER_ADMIN])
def pair(request) -> tuple[User, User]:
    """(a user of partner A with the given role, a partner admin of partner B)."""
    a = UserFactory(role=request.param, organisation=OrganisationFactory(name="Alpha Trading"))
    b = UserFactory(role=Role.PARTNER_ADMIN, organisation=OrganisationFactory(name="Beta Supply"))
    return a, b


def listed_keys(client: APIClient, prefix: str, lookup_field: str) -> set[str] | None:
    """Every id the endpoint lists for the client, across pages; None if it refuses."""
    response = client.get(f"/api/v1/{prefix}/")
    if response.status_code in (403, 405):
        return None
    keys: set[str] = set()
    while True:
        assert response.status_code == 200, (prefix, response.content[:300])
        body = response.json()
        rows = body["results"] if isinstance(body, dict) else body
        keys |= {str(row[lookup_field]) for row in rows}
        if not (isinstance(body, dict) and body.get("next")):
            return keys
        response = client.get(body["next"])


@pytest.mark.parametrize("prefix", endpoints())
def test_partner_lists_none_of_the_other_partners_rows(prefix, pair):
    a, b = pair
    row = ROWS[prefix]
    mine, theirs = row.make(a), row.make(b)
    client = APIClient()
    client.force_authenticate(a)
    keys = listed_keys(client, prefix, row.lookup_field)
    if keys is None:
        assert not row.partners_see_own, f"{prefix} refuses partners their own rows"
        return
    if row.shared_with_all:
        assert {str(getattr(mine, row.lookup)), str(getattr(theirs, row.lookup))} <= keys
        return
    assert str(getattr(theirs, row.lookup)) not in keys
    if row.partners_see_own:
        assert str(getattr(mine, row.lookup)) in keys, "the row was not populated visibly"


@pytest.mark.parametrize("prefix", endpoints())
def test_partner_cannot_read_change_or_delete_the_other_partners_rows(prefix, pair):
    a, b = pair
    row = ROWS[prefix]
    theirs = row.make(b)
    before = snapshot(theirs)
    client = APIClient()
    client.force_authenticate(a)
    if row.central:
        assert_partner_cannot_change(client, prefix, row, row.make(a))
        if row.shared_with_all:
            assert_partner_cannot_change(client, prefix, row, theirs)
            return
    url = f"/api/v1/{prefix}/{getattr(theirs, row.lookup)}/"
    unknown = f"/api/v1/{prefix}/{'9' * 12 if row.lookup == 'pk' else 'f' * 40}/"
    detail_gets = [""] + [
        f"{extra.url_path}/"
        for extra in viewset_of(prefix).get_extra_actions()
        if extra.detail and "get" in extra.mapping
    ]
    calls = [("get", suffix, None) for suffix in detail_gets] + [
        ("patch", "", row.change),
        ("put", "", row.change),
        ("delete", "", None),
    ]
    for method, suffix, body in calls:
        answer = getattr(client, method)(url + suffix, body, format="json")
        # The answer for another partner's row is the answer for a row that does not exist.
        control = getattr(client, method)(unknown + suffix, body, format="json")
        assert answer.status_code == control.status_code, (method, suffix, answer.content[:300])
        assert answer.status_code in (403, 404, 405), (method, suffix)
        if method == "get" and row.partners_see_own:
            assert answer.status_code in (404, 405), suffix  # 405: the endpoint has no reads
    still = type(theirs)._default_manager.filter(pk=theirs.pk).first()
    assert still is not None, "deleted"
    assert snapshot(still) == before, "changed"


def assert_partner_cannot_change(client: APIClient, prefix: str, row: Row, record: Model) -> None:
    """A partner reads a central record shared with it, and every write is refused."""
    before = snapshot(record)
    url = f"/api/v1/{prefix}/{getattr(record, row.lookup)}/"
    assert client.get(url).status_code == 200, "a shared central record cannot be read"
    for method, body in (("patch", row.change), ("put", row.change), ("delete", None)):
        answer = getattr(client, method)(url, body, format="json")
        assert answer.status_code in (403, 405), (method, answer.status_code)
    still = type(record)._default_manager.filter(pk=record.pk).first()
    assert still is not None and snapshot(still) == before, "a partner changed central data"


@pytest.mark.parametrize("page", sorted(PAGES))
def test_partner_list_pages_show_none_of_the_other_partners_rows(page, pair, client):
    a, b = pair
    row = ROWS[PAGES[page]]
    mine, theirs = row.make(a), row.make(b)
    client.force_login(a)
    response = client.get(reverse(page))
    if response.status_code != 200:
        assert response.status_code in (302, 403, 404), response.status_code
        assert not row.partners_see_own or a.role != Role.PARTNER_ADMIN, "refused its own rows"
        return
    html = response.content.decode()
    if row.shared_with_all:
        assert row.shown_as(mine) in html and row.shown_as(theirs) in html
        return
    assert row.shown_as(theirs) not in html
    if row.partners_see_own:
        assert row.shown_as(mine) in html, "the row was not populated visibly"
