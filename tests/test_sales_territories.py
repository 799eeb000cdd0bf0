"""Territory reassignment: the preview lists exactly the open records, the confirm moves them."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from allyance.core.models import AuditEntry, Role
from allyance.customers.models import Account
from allyance.sales.models import Lead, Opportunity
from allyance.sales.services.territories import (
    territory_reassign,
    territory_reassignment_preview,
)
from tests.factories import (
    AccountFactory,
    LeadFactory,
    OpportunityFactory,
    TerritoryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(partner_a):
    """A territory with open and closed records of every kind, and records elsewhere."""
    east, west = TerritoryFactory(name="East"), TerritoryFactory(name="West")
    below = TerritoryFactory(name="East coast", parent=east)
    old = UserFactory(username="old_rep")
    account = AccountFactory(territory=east, owner=old)
    deal = OpportunityFactory(territory=east, owner=old, account=account)
    won_stage = deal.pipeline.stages.get(outcome="won")
    closed_deal = OpportunityFactory(
        territory=east, owner=old, pipeline=deal.pipeline, stage=won_stage, account=account
    )
    return {
        "east": east,
        "west": west,
        "below": below,
        "old": old,
        "open_leads": [
            LeadFactory(territory=east, owner=old, status=s) for s in ("new", "working")
        ],
        "closed_lead": LeadFactory(territory=east, owner=old, status=Lead.Status.CONVERTED),
        "account": account,
        "inactive_account": AccountFactory(territory=east, owner=old, status="inactive"),
        "deal": deal,
        "closed_deal": closed_deal,
        "elsewhere": LeadFactory(territory=west, owner=old),
        "below_lead": LeadFactory(territory=below, owner=old),
        "partner_lead": LeadFactory(territory=east, organisation=partner_a),
    }


def test_preview_lists_exactly_the_open_records_and_changes_nothing(world, admin_user):
    new = UserFactory()
    plan = territory_reassignment_preview(territory=world["east"], new_owner=new, by=admin_user)
    ids = plan.ids()
    assert sorted(ids["leads"]) == sorted(lead.pk for lead in world["open_leads"])
    assert ids["opportunities"] == [world["deal"].pk]
    assert ids["accounts"] == [world["account"].pk]
    assert plan.total == 4
    assert all(m.from_owner_id == world["old"].pk for t in plan.types for m in t.moves)
    assert not Lead.objects.filter(owner=new).exists()

    deeper = territory_reassignment_preview(
        territory=world["east"], new_owner=new, by=admin_user, include_subterritories=True
    )
    assert world["below_lead"].pk in deeper.ids()["leads"]


def test_confirm_moves_those_records_and_only_those(world, admin_user):
    new = UserFactory()
    counts = territory_reassign(territory=world["east"], new_owner=new, by=admin_user)
    assert counts == {"leads": 2, "opportunities": 1, "accounts": 1}
    assert set(Lead.objects.filter(owner=new)) == set(world["open_leads"])
    assert list(Opportunity.objects.filter(owner=new)) == [world["deal"]]
    assert list(Account.objects.filter(owner=new)) == [world["account"]]
    for untouched in ("closed_lead", "inactive_account", "closed_deal", "elsewhere", "below_lead"):
        record = world[untouched]
        record.refresh_from_db()
        assert record.owner == world["old"], untouched
    world["partner_lead"].refresh_from_db()
    assert world["partner_lead"].owner_id is None
    # One audit entry per moved record, by whoever confirmed; versions went up.
    entries = AuditEntry.objects.filter(actor=admin_user, changes__owner_id__1=new.pk)
    assert entries.count() == 4
    world["deal"].refresh_from_db()
    assert world["deal"].version == 2


def test_confirm_moves_nothing_the_preview_did_not_show(world, admin_user):
    new = UserFactory()
    plan = territory_reassignment_preview(territory=world["east"], new_owner=new, by=admin_user)
    shown = plan.ids()
    late = LeadFactory(territory=world["east"], owner=world["old"])  # arrives after the preview
    counts = territory_reassign(territory=world["east"], new_owner=new, by=admin_user, only=shown)
    assert counts["leads"] == 2
    late.refresh_from_db()
    assert late.owner == world["old"]


def test_members_in_turn(world, admin_user):
    a, b = UserFactory(), UserFactory()
    world["east"].members.set([a, b, UserFactory(is_active=False)])
    territory_reassign(territory=world["east"], new_owner=None, by=admin_user)
    owners = [
        *Lead.objects.filter(pk__in=[x.pk for x in world["open_leads"]]).order_by("pk"),
        world["deal"],
        world["account"],
    ]
    for record in owners:
        record.refresh_from_db()
    assert [r.owner_id for r in owners] == [a.pk, b.pk, a.pk, b.pk]


def test_members_in_turn_needs_members(world, admin_user):
    with pytest.raises(ValidationError):
        territory_reassignment_preview(territory=world["west"], new_owner=None, by=admin_user)


def test_only_admins_and_sales_managers(world, rep, partner_a_user):
    for user in (rep, partner_a_user):
        with pytest.raises(PermissionDenied):
            territory_reassignment_preview(territory=world["east"], new_owner=rep, by=user)
    manager = UserFactory(role=Role.SALES_MANAGER)
    manager.territories.add(world["east"])
    plan = territory_reassignment_preview(territory=world["east"], new_owner=rep, by=manager)
    assert plan.total == 4


def test_a_manager_moves_only_what_they_may_see(world):
    manager = UserFactory(role=Role.SALES_MANAGER)  # neither member nor team of old_rep
    plan = territory_reassignment_preview(
        territory=world["east"], new_owner=UserFactory(), by=manager
    )
    assert plan.total == 0


def test_page_previews_then_confirms(world, admin_user, client):
    new = UserFactory()
    client.force_login(admin_user)
    url = reverse("sales:territory-reassign")
    assert client.get(url).status_code == 200
    data = {"territory": world["east"].pk, "new_owner": str(new.pk)}
    preview = client.post(url, {**data, "step": "preview"})
    html = preview.content.decode()
    assert preview.status_code == 200
    assert world["deal"].name in html and world["account"].name in html
    assert world["closed_deal"].name not in html and world["elsewhere"].family_name not in html
    assert not Lead.objects.filter(owner=new).exists()
    confirm = preview.context["confirm_data"]
    response = client.post(url, confirm, follow=True)
    assert response.status_code == 200
    assert Lead.objects.filter(owner=new).count() == 2
    assert Opportunity.objects.filter(owner=new).count() == 1


def test_page_is_for_admins_and_managers(rep, partner_a_user, client):
    for user in (rep, partner_a_user):
        client.force_login(user)
        assert client.get(reverse("sales:territory-reassign")).status_code == 403
