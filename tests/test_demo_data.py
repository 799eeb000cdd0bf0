"""The bilingual demo data set: a user per role, partners, hierarchies, history, loaded once."""

from datetime import timedelta
from io import StringIO

import phonenumbers
import pytest
from django.core.management import call_command
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from allyance.activities.models import Activity
from allyance.core.models import AuditEntry, Organisation, Role, Team, Territory, User
from allyance.core.names import has_cjk
from allyance.core.visibility import visible_to
from allyance.customers.models import Account, Contact

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo loaded once for this module, in a transaction rolled back after its last test."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            output = StringIO()
            call_command("demo_data", "--seed", "7", stdout=output)
            yield output.getvalue()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def test_demo_has_a_user_for_every_role_and_prints_their_logins(demo):
    roles = set(User.objects.values_list("role", flat=True))
    assert roles == set(Role.values)
    assert User.objects.filter(role=Role.SALES_REP).count() == 2
    for user in User.objects.all():
        assert user.username in demo
        assert user.has_usable_password()
    for partner in Organisation.objects.filter(kind=Organisation.Kind.PARTNER):
        assert set(partner.users.values_list("role", flat=True)) == {
            Role.PARTNER_ADMIN,
            Role.PARTNER_USER,
        }
    customer = User.objects.get(role=Role.CUSTOMER)
    assert customer.customer_account is not None
    assert "200 accounts, 600 contacts, 2000 activities, 60 leads, 51 opportunities" in demo


def test_demo_has_three_partners_of_different_types_under_the_channel_manager(demo):
    partners = Organisation.objects.filter(kind=Organisation.Kind.PARTNER)
    assert partners.count() == 3
    assert len(set(partners.values_list("partner_type", flat=True))) == 3
    assert {p.tier.name for p in partners} == {"Gold", "Silver", "Registered"}
    reseller = partners.get(partner_type=Organisation.PartnerType.RESELLER)
    assert reseller.parent.partner_type == Organisation.PartnerType.DISTRIBUTOR
    assert {p.channel_manager.role for p in partners} == {Role.CHANNEL_MANAGER}
    assert Organisation.company().is_company


def test_demo_has_a_sales_team_and_a_territory_tree_with_reps(demo):
    team = Team.objects.get(manager__role=Role.SALES_MANAGER)
    assert set(team.members.values_list("role", flat=True)) == {Role.SALES_REP}
    shanghai = Territory.objects.get(name="上海")
    assert [t.name for t in shanghai.ancestors()] == ["中国", "华东"]
    assert Territory.objects.filter(name="International", parent=None).exists()
    for rep in User.objects.filter(role=Role.SALES_REP):
        assert rep.territories.exists()
        assert Account.objects.filter(owner=rep).count() > 20


def test_demo_accounts_form_group_subsidiary_site_hierarchies(demo):
    # 200 generated, 4 made by converting leads, the two partners' house accounts (their
    # orders for stock) and the account of the approved deal registration.
    assert Account.objects.count() == 200 + 4 + 2 + 1
    # Converted leads: 4 into new accounts, 1 by a partner into one of its accounts.
    assert Account.objects.filter(source_leads__isnull=False).distinct().count() == 5
    sites = Account.objects.filter(parent__parent__isnull=False)
    assert sites.count() >= 5
    assert not sites.filter(parent__parent__parent__isnull=False).exists()
    assert Account.objects.filter(kind=Account.Kind.INDIVIDUAL).exists()
    assert len(set(Account.objects.values_list("industry", flat=True))) >= 8
    assert len(set(Account.objects.values_list("city", flat=True))) >= 10


def test_demo_mixes_chinese_and_english_names(demo):
    account_names = list(Account.objects.values_list("name", flat=True))
    chinese = [n for n in account_names if has_cjk(n)]
    assert 0.4 * len(account_names) < len(chinese) < 0.9 * len(account_names)
    contacts = list(Contact.objects.all())
    assert len(contacts) == 600 + 4  # generated, and made by converting leads
    chinese_people = [c for c in contacts if has_cjk(c.family_name)]
    assert 0.4 * len(contacts) < len(chinese_people) < 0.95 * len(contacts)
    wang = next(c for c in chinese_people if c.family_name == "王")
    assert wang.full_name == f"王{wang.given_name}"  # family name first, no space
    english = next(c for c in contacts if not has_cjk(c.family_name))
    assert english.full_name == f"{english.given_name} {english.family_name}"


def test_demo_phones_and_emails_are_valid(demo):
    phones = [
        *Account.objects.exclude(phone="").values_list("phone", flat=True),
        *Contact.objects.values_list("mobile", flat=True),
        *Contact.objects.exclude(phone="").values_list("phone", flat=True),
    ]
    for number in phones:
        assert phonenumbers.is_valid_number(phonenumbers.parse(number)), number
    assert any(p.startswith("+861") for p in phones)  # Chinese mobiles
    assert any(p.startswith("+8621") for p in phones)  # Shanghai landlines
    assert any(not p.startswith("+86") for p in phones)  # international numbers
    emails = [
        *Account.objects.exclude(email="").values_list("email", flat=True),
        *Contact.objects.exclude(email="").values_list("email", flat=True),
    ]
    assert len(emails) > 700
    for email in emails:
        validate_email(email)
        assert email.endswith("example.com")


def test_demo_contacts_have_reporting_chains_within_their_account(demo):
    chained = Contact.objects.filter(reports_to__reports_to__isnull=False)
    assert chained.exists()
    for contact in Contact.objects.filter(reports_to__isnull=False).select_related("reports_to"):
        assert contact.reports_to.account_id == contact.account_id
    assert len(set(Contact.objects.values_list("decision_role", flat=True))) >= 6
    assert Contact.objects.exclude(title="").count() > 550


def test_demo_activities_cluster_in_the_last_90_days_with_upcoming_tasks_per_rep(demo):
    now = timezone.now()
    activities = list(Activity.objects.filter(target_type__isnull=True))
    assert len(activities) == 2000
    assert {a.kind for a in activities} == set(Activity.Kind.values)
    past = [a for a in activities if a.when <= now]
    recent = [a for a in past if a.when >= now - timedelta(days=90)]
    assert len(recent) > 0.9 * len(past)
    assert all(a.created_at <= now for a in activities)
    for rep in User.objects.filter(role=Role.SALES_REP):
        upcoming = Activity.objects.filter(
            owner=rep, status=Activity.Status.PLANNED, due_at__gt=now
        ) | Activity.objects.filter(owner=rep, status=Activity.Status.PLANNED, starts_at__gt=now)
        assert upcoming.count() >= 5


def test_demo_records_are_audited_as_their_owner(demo):
    account = (  # the first a partner's user entered (the builder's, not the programme's)
        Account.objects.filter(organisation__kind=Organisation.Kind.PARTNER, owner__isnull=False)
        .order_by("pk")
        .first()
    )
    entry = AuditEntry.objects.get(
        object_id=str(account.pk), action="create", changes__name=[None, account.name]
    )
    assert entry.actor == account.owner


def test_partner_user_sees_only_their_organisations_accounts(demo):
    """…and, for the distributor, those of the reseller below it that shares with it."""
    reseller = Organisation.objects.get(partner_type=Organisation.PartnerType.RESELLER)
    for user in User.objects.filter(role__in=[Role.PARTNER_USER, Role.PARTNER_ADMIN]):
        theirs = {user.organisation_id}
        if user.organisation_id == reseller.parent_id:
            theirs.add(reseller.pk)
        visible = visible_to(user, Account.objects.all())
        assert visible.exists()
        assert set(visible) == set(Account.objects.filter(organisation__in=theirs))
        assert not visible_to(user, Contact.objects.exclude(organisation__in=theirs))
        assert not visible_to(user, Activity.objects.exclude(organisation__in=theirs))


def test_customer_sees_only_their_own_account(demo):
    customer = User.objects.get(role=Role.CUSTOMER)
    assert list(visible_to(customer, Account.objects.all())) == [customer.customer_account]
    contacts = visible_to(customer, Contact.objects.all())
    assert contacts.exists()
    assert {c.account_id for c in contacts} == {customer.customer_account_id}


def test_running_the_demo_again_changes_nothing(demo):
    counts = (User.objects.count(), Account.objects.count(), Contact.objects.count())
    output = StringIO()
    call_command("demo_data", stdout=output)
    assert "already" in output.getvalue()
    assert (User.objects.count(), Account.objects.count(), Contact.objects.count()) == counts
    assert Activity.objects.filter(target_type__isnull=True).count() == 2000


def test_demo_has_a_pipeline_with_deals_at_every_stage_and_their_history(demo):
    from allyance.sales.models import Opportunity, Pipeline

    pipeline = Pipeline.objects.get(is_default=True)
    stages = list(pipeline.stages.order_by("order"))
    assert [s.outcome for s in stages][-2:] == ["won", "lost"]
    assert any("<li>" in s.playbook for s in stages)
    deals = Opportunity.objects.filter(pipeline=pipeline)
    assert {d.stage_id for d in deals} == {s.pk for s in stages}
    for deal in deals.prefetch_related("stage_changes"):
        changes = list(deal.stage_changes.all())
        assert changes[-1].to_stage_id == deal.stage_id
        assert changes[0].changed_at >= deal.created_at - timedelta(seconds=1)
    won = deals.filter(outcome="won")
    assert won.exists() and not won.filter(closed_at__isnull=True).exists()
    assert "leads" in demo and "opportunities" in demo


def test_demo_leads_are_scored_routed_and_some_converted(demo):
    from allyance.sales.models import Lead
    from allyance.sales.models.routing import LeadAssignment

    leads = Lead.objects.all()
    assert leads.filter(score__gt=0).exists()
    company_leads = leads.filter(organisation=Organisation.company())
    routed = LeadAssignment.objects.filter(rule__isnull=False, lead__in=company_leads)
    assert routed.count() == company_leads.count()
    converted = leads.filter(status=Lead.Status.CONVERTED)
    assert converted.exists()
    assert not converted.filter(converted_opportunity__isnull=True).exists()
    assert leads.exclude(organisation=Organisation.company()).exists()  # a partner's own leads


def test_demo_reps_have_targets_a_commission_plan_and_expenses(demo):
    from allyance.sales.models import Target
    from allyance.sales.models.commissions import CommissionPlan
    from allyance.sales.models.expenses import Expense

    rep = User.objects.get(username="rep.zhang")
    assert Target.objects.filter(user=rep).exists()
    assert CommissionPlan.objects.filter(users=rep).exists()
    assert {e.status for e in Expense.objects.all()} >= {"draft", "submitted", "approved"}


def test_demo_has_a_configurable_catalog_and_order_to_cash_at_every_step(demo):
    from allyance.catalog.models import ConfigurationRule, PriceList, Product
    from allyance.catalog.services.configurator import configure_line
    from allyance.orders.models import Invoice, Order, Quote

    array = Product.objects.get(sku="AX-200")
    assert array.options.count() == 3 and ConfigurationRule.objects.filter(product=array).exists()
    assert PriceList.objects.filter(is_default=True).count() == 2  # CNY and USD
    cny = PriceList.objects.get(is_default=True, currency="CNY")
    line = configure_line(array, price_list=cny, quantity=1)  # the defaults keep every rule
    assert line.unit_price == 98_000
    statuses = set(Quote.objects.values_list("status", flat=True))
    assert statuses >= {"draft", "pending_approval", "sent", "accepted"}
    assert {o.status for o in Order.objects.all()} >= {"partly_shipped", "shipped"}
    today = timezone.localdate()
    overdue = [i for i in Invoice.objects.all() if i.due_date < today and i.balance > 0]
    assert overdue and all(i.status == "partly_paid" for i in overdue)
    assert {i.status for i in Invoice.objects.all()} >= {"paid", "partly_paid"}


def test_demo_has_a_partner_programme_with_every_prm_flow(demo):
    """The three demo partners show each part of PRM: tiers with a policy, agreements,
    distributed leads, registrations, MDF, partner orders, cases, training and incentives."""
    from allyance.partners.models import (
        CertificationAward,
        ContentItem,
        Course,
        DealRegistration,
        IncentivePlan,
        LeadDistribution,
        MdfClaim,
        MdfRequest,
        PartnerAgreement,
        Tier,
    )
    from allyance.partners.selectors.mdf import mdf_ledger
    from allyance.service.models import Case

    gold = Tier.objects.get(name="Gold")
    assert gold.price_list is not None and gold.mdf_share_percent > 0
    assert PartnerAgreement.objects.count() >= 3
    assert {d.status for d in LeadDistribution.objects.all()} >= {"offered", "accepted"}
    assert {r.status for r in DealRegistration.objects.all()} >= {
        "submitted",
        "approved",
        "rejected",
    }
    assert DealRegistration.objects.filter(status="approved", opportunity__isnull=False).exists()
    assert {r.status for r in MdfRequest.objects.all()} >= {"submitted", "approved"}
    assert MdfClaim.objects.filter(status="paid").exists()
    channel = User.objects.get(username="channel")
    ledger = mdf_ledger(user=channel)
    assert ledger and all(row.remaining == row.allocated - row.approved for row in ledger)
    from allyance.orders.models import Order

    assert Order.objects.filter(status="submitted").exists()
    assert Case.objects.filter(kind="warranty").exists()
    assert Course.objects.exists() and CertificationAward.objects.exists()
    assert ContentItem.objects.exists() and IncentivePlan.objects.exists()


def test_demo_hands_a_company_order_down_the_channel(demo):
    """One of the company's orders went to the distributor 华东 and on to its reseller 金桥."""
    from allyance.orders.models import Order
    from allyance.partners.models import OrderHandover

    order = Order.objects.get(customer_reference="SH-PO-2026-118")
    hops = list(order.handovers.order_by("hop"))
    assert [(h.from_organisation_id, h.organisation.name) for h in hops] == [
        (None, hops[0].organisation.name),
        (hops[0].organisation_id, order.organisation.name),
    ]
    assert all(h.status == OrderHandover.Status.ACTIVE for h in hops)
    assert hops[1].organisation.parent_id == hops[0].organisation_id
    holder = order.owner  # the reseller's administrator
    assert holder.role == Role.PARTNER_ADMIN and holder.organisation_id == order.organisation_id
    assert visible_to(holder, Order.objects.filter(pk=order.pk)).exists()
    assert order.lines.count() == 2 and order.status == "confirmed"
