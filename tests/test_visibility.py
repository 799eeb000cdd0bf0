"""The visibility gate: who sees which accounts, contacts and activities."""

import pytest

from allyance.core.models import Role
from allyance.core.visibility import visible_to
from allyance.customers.models import Account, Contact
from tests.factories import (
    AccountFactory,
    ContactFactory,
    TeamFactory,
    TerritoryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def visible_names(user, model=Account):
    return set(visible_to(user, model.objects.all()).values_list("name", flat=True))


def test_partner_sees_only_own_organisations_accounts(partner_a_user, partner_b_user):
    AccountFactory(name="A's customer", organisation=partner_a_user.organisation)
    AccountFactory(name="B's customer", organisation=partner_b_user.organisation)
    AccountFactory(name="Company customer")
    assert visible_names(partner_a_user) == {"A's customer"}
    assert visible_names(partner_b_user) == {"B's customer"}


def test_rep_sees_own_and_territory_accounts_including_subterritories(rep):
    east = TerritoryFactory(name="East")
    shanghai = TerritoryFactory(name="Shanghai", parent=east)
    east.members.add(rep)
    AccountFactory(name="mine", owner=rep)
    AccountFactory(name="in subterritory", territory=shanghai)
    AccountFactory(name="elsewhere", territory=TerritoryFactory(name="West"))
    assert visible_names(rep) == {"mine", "in subterritory"}


def test_redrawing_a_territory_changes_what_a_rep_sees(rep):
    north = TerritoryFactory(name="North")
    south = TerritoryFactory(name="South")
    north.members.add(rep)
    AccountFactory(name="southern", territory=south)
    assert visible_names(rep) == set()
    south.parent = north
    south.save()
    rep = type(rep).objects.get(pk=rep.pk)  # a new request: caches are per request
    assert visible_names(rep) == {"southern"}


def test_manager_sees_team_members_records(rep):
    manager = UserFactory(role=Role.SALES_MANAGER)
    team = TeamFactory(manager=manager)
    team.members.add(rep)
    AccountFactory(name="rep's", owner=rep)
    AccountFactory(name="stranger's", owner=UserFactory())
    assert visible_names(manager) == {"rep's"}


def test_admin_sees_everything(admin_user, partner_a):
    AccountFactory(name="one")
    AccountFactory(name="two", organisation=partner_a)
    assert visible_names(admin_user) == {"one", "two"}


def test_portal_customer_sees_only_own_account_and_its_contacts():
    own = AccountFactory(name="Own")
    other = AccountFactory(name="Other")
    ContactFactory(family_name="Mine", account=own)
    ContactFactory(family_name="Theirs", account=other)
    customer = UserFactory(role=Role.CUSTOMER, customer_account=own)
    assert visible_names(customer) == {"Own"}
    families = set(
        visible_to(customer, Contact.objects.all()).values_list("family_name", flat=True)
    )
    assert families == {"Mine"}


def test_channel_manager_sees_managed_partners_records(partner_a, partner_b):
    manager = UserFactory(role=Role.CHANNEL_MANAGER)
    partner_a.channel_manager = manager
    partner_a.save()
    AccountFactory(name="managed", organisation=partner_a)
    AccountFactory(name="unmanaged", organisation=partner_b)
    assert visible_names(manager) == {"managed"}


def test_inactive_user_sees_nothing(admin_user):
    AccountFactory(name="one")
    admin_user.is_active = False
    assert visible_names(admin_user) == set()


def test_list_filters_never_name_another_partners_records_or_users(
    client, partner_a_user, partner_b_user
):
    theirs = AccountFactory(name="Secret B Holdings", organisation=partner_b_user.organisation)
    ContactFactory(family_name="Hidden", account=theirs, organisation=partner_b_user.organisation)
    client.force_login(partner_a_user)
    for url in ("/accounts/", "/contacts/", "/activities/"):
        page = client.get(url).content.decode()
        assert "Secret B Holdings" not in page, url
        assert partner_b_user.username not in page and partner_b_user.last_name not in page, url


def test_filtering_by_an_invisible_account_id_shows_nothing(client, partner_a_user, partner_b_user):
    theirs = AccountFactory(organisation=partner_b_user.organisation)
    ContactFactory(family_name="Hidden", account=theirs, organisation=partner_b_user.organisation)
    client.force_login(partner_a_user)
    page = client.get("/contacts/", {"account": theirs.pk}).content.decode()
    assert "Hidden" not in page


def test_api_filter_by_another_partners_id_answers_like_an_unknown_id(
    api, partner_a_user, partner_b_user
):
    theirs = AccountFactory(organisation=partner_b_user.organisation)
    client = api(partner_a_user)
    unknown = client.get("/api/v1/accounts/", {"parent": 10**9})
    invisible = client.get("/api/v1/accounts/", {"parent": theirs.pk})
    assert invisible.status_code == unknown.status_code == 400
    owner = client.get("/api/v1/contacts/", {"owner": partner_b_user.pk})
    assert owner.status_code == 400
