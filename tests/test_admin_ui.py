"""Administration pages: users, teams, territories (with redraw), partner organisations,
a partner admin's own users, and every user's language and time-zone preferences."""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from allyance.core.models import AuditEntry, Organisation, Role, Team, Territory, User
from allyance.customers.selectors import accounts_visible_to
from tests.factories import (
    AccountFactory,
    OrganisationFactory,
    TeamFactory,
    TerritoryFactory,
    TierFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PASSWORD = "Plum-blossom 2024 spring"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin(admin_user) -> Client:
    return logged_in(admin_user)


@pytest.fixture
def partner_admin(partner_a):
    return UserFactory(role=Role.PARTNER_ADMIN, organisation=partner_a, username="pa_admin")


def user_form(**overrides) -> dict:
    data = {
        "username": "new_rep",
        "first_name": "Mei",
        "last_name": "Chen",
        "email": "mei@example.com",
        "phone": "",
        "organisation": Organisation.company().pk,
        "role": Role.SALES_REP,
        "customer_account": "",
        "language": "",
        "time_zone": "",
        "is_active": "on",
        "password": PASSWORD,
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def field_errors(response, field: str) -> list[str]:
    return response.context["form"].errors.get(field, [])


# --- Overview and access --------------------------------------------------------------------

ADMIN_PAGES = [
    "core:admin-home",
    "core:admin-users",
    "core:admin-user-create",
    "core:admin-teams",
    "core:admin-team-create",
    "core:admin-territories",
    "core:admin-territory-create",
    "core:admin-organisations",
    "core:admin-organisation-create",
]


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_admin_pages_open_for_an_admin(admin, name):
    assert admin.get(reverse(name)).status_code == 200


def test_overview_links_every_admin_page(admin):
    html = admin.get(reverse("core:admin-home")).content.decode()
    for name in (
        "core:admin-users",
        "core:admin-teams",
        "core:admin-territories",
        "core:admin-organisations",
        "core:custom-field-list",
        "api-docs",
    ):
        assert f'href="{reverse(name)}"' in html


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_partner_admin_gets_403_on_admin_pages(partner_admin, name):
    assert logged_in(partner_admin).get(reverse(name)).status_code == 403


def test_only_admins_see_the_administration_menu(admin, rep, partner_admin):
    assert "Administration" in admin.get("/").content.decode()
    assert "Administration" not in logged_in(rep).get("/").content.decode()
    partner_home = logged_in(partner_admin).get("/").content.decode()
    assert f'href="{reverse("core:my-users")}"' in partner_home
    assert "My users" in partner_home
    assert "My users" not in logged_in(rep).get("/").content.decode()


# --- Users ----------------------------------------------------------------------------------


def test_user_list_filters_by_organisation_role_and_active(admin, partner_a, partner_a_user):
    UserFactory(username="quiet_rep", is_active=False)
    UserFactory(username="busy_rep")
    url = reverse("core:admin-users")

    by_org = admin.get(url, {"organisation": partner_a.pk}).context["page"]
    assert [u.username for u in by_org] == ["alice_a"]

    by_role = admin.get(url, {"role": Role.SALES_REP}).context["page"]
    assert {u.username for u in by_role} == {"quiet_rep", "busy_rep"}

    inactive = admin.get(url, {"active": "no"}).context["page"]
    assert [u.username for u in inactive] == ["quiet_rep"]

    active_reps = admin.get(url, {"role": Role.SALES_REP, "active": "yes"}).context["page"]
    assert [u.username for u in active_reps] == ["busy_rep"]


def test_admin_creates_user_with_password_language_and_time_zone(admin, admin_user):
    response = admin.post(
        reverse("core:admin-user-create"),
        user_form(language="zh-hans", time_zone="Asia/Shanghai"),
    )
    assert response.status_code == 302, response.context["form"].errors
    user = User.objects.get(username="new_rep")
    assert user.role == Role.SALES_REP
    assert user.organisation.is_company
    assert (user.language, user.time_zone) == ("zh-hans", "Asia/Shanghai")
    assert user.check_password(PASSWORD)
    created = AuditEntry.objects.get(
        object_id=str(user.pk), action="create", object_repr="Mei Chen"
    )
    assert created.actor == admin_user


def test_editing_user_without_password_keeps_the_old_one(admin):
    user = UserFactory(username="kept", password=PASSWORD)
    response = admin.post(
        reverse("core:admin-user-edit", args=[user.pk]),
        user_form(username="kept", first_name="Renamed", password=""),
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.first_name == "Renamed"
    assert user.check_password(PASSWORD)


def test_new_user_needs_a_password_and_weak_ones_are_refused(admin):
    missing = admin.post(reverse("core:admin-user-create"), user_form(password=""))
    assert field_errors(missing, "password")
    weak = admin.post(reverse("core:admin-user-create"), user_form(password="12345678"))
    assert weak.status_code == 200
    assert field_errors(weak, "password")
    assert not User.objects.filter(username="new_rep").exists()


def test_partner_role_in_company_is_refused_beside_the_field(admin):
    response = admin.post(reverse("core:admin-user-create"), user_form(role=Role.PARTNER_USER))
    assert response.status_code == 200
    assert "Partner users belong to a partner organisation." in field_errors(
        response, "organisation"
    )
    assert response.context["form"]["first_name"].value() == "Mei"  # input is kept
    assert not User.objects.filter(username="new_rep").exists()


def test_staff_role_in_partner_organisation_is_refused(admin, partner_a):
    response = admin.post(
        reverse("core:admin-user-create"), user_form(organisation=partner_a.pk, role=Role.ADMIN)
    )
    assert field_errors(response, "role")
    assert not User.objects.filter(username="new_rep").exists()


def test_portal_user_needs_a_customer_account(admin):
    account = AccountFactory(name="Portal Co")
    missing = admin.post(reverse("core:admin-user-create"), user_form(role=Role.CUSTOMER))
    assert field_errors(missing, "customer_account")
    unknown = admin.post(
        reverse("core:admin-user-create"), user_form(role=Role.CUSTOMER, customer_account=999999)
    )
    assert "No account has this number." in field_errors(unknown, "customer_account")
    ok = admin.post(
        reverse("core:admin-user-create"),
        user_form(role=Role.CUSTOMER, customer_account=account.pk),
    )
    assert ok.status_code == 302
    assert User.objects.get(username="new_rep").customer_account == account


def test_unknown_time_zone_is_refused(admin):
    response = admin.post(reverse("core:admin-user-create"), user_form(time_zone="Mars/Olympus"))
    assert field_errors(response, "time_zone")


def test_deactivated_user_stays_but_cannot_log_in_and_loses_api_token(admin):
    user = UserFactory(username="leaver", password=PASSWORD)
    Token.objects.create(user=user)
    response = admin.post(reverse("core:admin-user-deactivate", args=[user.pk]))
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.is_active
    assert not Token.objects.filter(user=user).exists()
    browser = Client()
    attempt = browser.post(reverse("login"), {"username": "leaver", "password": PASSWORD})
    assert attempt.status_code == 200  # the form again, with an error
    assert "_auth_user_id" not in browser.session


def test_deactivate_is_post_only(admin):
    user = UserFactory()
    assert admin.get(reverse("core:admin-user-deactivate", args=[user.pk])).status_code == 405
    user.refresh_from_db()
    assert user.is_active


def test_admin_cannot_deactivate_or_demote_themself(admin, admin_user):
    admin.post(reverse("core:admin-user-deactivate", args=[admin_user.pk]))
    admin_user.refresh_from_db()
    assert admin_user.is_active
    response = admin.post(
        reverse("core:admin-user-edit", args=[admin_user.pk]),
        user_form(username="boss", role=Role.SALES_REP, password=""),
    )
    assert "You cannot change your own role." in field_errors(response, "role")
    admin_user.refresh_from_db()
    assert admin_user.role == Role.ADMIN


# --- Teams ----------------------------------------------------------------------------------


def test_admin_creates_and_edits_team(admin, rep):
    manager = UserFactory(role=Role.SALES_MANAGER, username="mgr")
    response = admin.post(
        reverse("core:admin-team-create"),
        {"name": "East sales", "manager": manager.pk, "members": [rep.pk]},
    )
    assert response.status_code == 302
    team = Team.objects.get(name="East sales")
    assert team.manager == manager
    assert list(team.members.all()) == [rep]

    other = UserFactory(username="other_rep")
    admin.post(
        reverse("core:admin-team-edit", args=[team.pk]),
        {"name": "East sales", "manager": manager.pk, "members": [other.pk]},
    )
    assert list(team.members.all()) == [other]
    assert "East sales" in admin.get(reverse("core:admin-teams")).content.decode()


def test_team_name_must_be_unique(admin):
    TeamFactory(name="North")
    response = admin.post(reverse("core:admin-team-create"), {"name": "North"})
    assert field_errors(response, "name")
    assert Team.objects.filter(name="North").count() == 1


def test_partner_users_cannot_join_a_team(admin, partner_a_user):
    response = admin.post(
        reverse("core:admin-team-create"), {"name": "Mixed", "members": [partner_a_user.pk]}
    )
    assert field_errors(response, "members")
    assert not Team.objects.filter(name="Mixed").exists()


def test_admin_removes_team(admin):
    team = TeamFactory(name="Gone")
    admin.post(reverse("core:admin-team-delete", args=[team.pk]))
    assert not Team.objects.filter(pk=team.pk).exists()


# --- Territories ----------------------------------------------------------------------------


def test_territory_tree_is_an_indented_list(admin):
    china = TerritoryFactory(name="China")
    east = TerritoryFactory(name="East China", parent=china)
    TerritoryFactory(name="Shanghai", parent=east)
    TerritoryFactory(name="Europe")
    rows = admin.get(reverse("core:admin-territories")).context["rows"]
    assert [(row["territory"].name, row["depth"]) for row in rows] == [
        ("China", 0),
        ("East China", 1),
        ("Shanghai", 2),
        ("Europe", 0),
    ]


def test_admin_creates_territory_under_another_with_members(admin, rep):
    china = TerritoryFactory(name="China")
    response = admin.post(
        reverse("core:admin-territory-create"),
        {"name": "East China", "parent": china.pk, "members": [rep.pk], "description": "华东"},
    )
    assert response.status_code == 302
    east = Territory.objects.get(name="East China")
    assert east.parent == china
    assert list(east.members.all()) == [rep]


def test_redraw_moves_territory_and_visibility_follows_at_once(admin, rep):
    east = TerritoryFactory(name="East China")
    east.members.add(rep)
    shanghai = TerritoryFactory(name="Shanghai")
    account = AccountFactory(name="Pudong Tools", territory=shanghai)
    assert account not in accounts_visible_to(User.objects.get(pk=rep.pk))

    response = admin.post(
        reverse("core:admin-territory-edit", args=[shanghai.pk]),
        {"name": "Shanghai", "parent": east.pk, "description": ""},
    )
    assert response.status_code == 302
    assert account in accounts_visible_to(User.objects.get(pk=rep.pk))
    assert logged_in(rep).get(account.get_absolute_url()).status_code == 200


def test_changing_members_changes_visibility(admin, rep):
    west = TerritoryFactory(name="West")
    account = AccountFactory(name="Chengdu Pumps", territory=west)
    admin.post(
        reverse("core:admin-territory-edit", args=[west.pk]),
        {"name": "West", "members": [rep.pk], "description": ""},
    )
    assert account in accounts_visible_to(User.objects.get(pk=rep.pk))
    admin.post(
        reverse("core:admin-territory-edit", args=[west.pk]),
        {"name": "West", "description": ""},
    )
    assert account not in accounts_visible_to(User.objects.get(pk=rep.pk))
    assert logged_in(rep).get(account.get_absolute_url()).status_code == 404


def test_moving_territory_under_its_own_descendant_is_refused_clearly(admin):
    china = TerritoryFactory(name="China")
    east = TerritoryFactory(name="East China", parent=china)
    shanghai = TerritoryFactory(name="Shanghai", parent=east)
    response = admin.post(
        reverse("core:admin-territory-edit", args=[china.pk]),
        {"name": "China", "parent": shanghai.pk, "description": ""},
    )
    assert response.status_code == 200
    assert field_errors(response, "parent") == [
        "“China” cannot move under “Shanghai”: that territory lies inside it."
    ]
    china.refresh_from_db()
    assert china.parent is None


def test_territory_with_children_cannot_be_removed(admin):
    china = TerritoryFactory(name="China")
    TerritoryFactory(name="East China", parent=china)
    admin.post(reverse("core:admin-territory-delete", args=[china.pk]))
    assert Territory.objects.filter(pk=china.pk).exists()


# --- Organisations --------------------------------------------------------------------------


def test_admin_creates_two_tier_partner_with_channel_manager(admin):
    distributor = OrganisationFactory(
        name="Big Distribution", partner_type=Organisation.PartnerType.DISTRIBUTOR
    )
    cm = UserFactory(role=Role.CHANNEL_MANAGER, username="cm")
    silver = TierFactory(name="Silver")
    response = admin.post(
        reverse("core:admin-organisation-create"),
        {
            "name": "Small Reseller",
            "partner_type": Organisation.PartnerType.RESELLER,
            "tier": silver.pk,
            "status": Organisation.Status.ACTIVE,
            "parent": distributor.pk,
            "channel_manager": cm.pk,
            "shares_with_parent": "on",
        },
    )
    assert response.status_code == 302
    reseller = Organisation.objects.get(name="Small Reseller")
    assert reseller.kind == Organisation.Kind.PARTNER
    assert (reseller.parent, reseller.channel_manager, reseller.tier) == (distributor, cm, silver)
    assert reseller.shares_with_parent is True
    listing = admin.get(reverse("core:admin-organisations")).content.decode()
    assert "Small Reseller" in listing and "Big Distribution" in listing


def test_organisation_cannot_sit_under_its_own_sub_partner(admin):
    top = OrganisationFactory(name="Top")
    below = OrganisationFactory(name="Below", parent=top)
    response = admin.post(
        reverse("core:admin-organisation-edit", args=[top.pk]),
        {"name": "Top", "status": "active", "parent": below.pk, "partner_type": "distributor"},
    )
    assert field_errors(response, "parent")
    top.refresh_from_db()
    assert top.parent is None


def test_a_partner_sits_only_under_a_distributor_when_its_parent_is_chosen(admin):
    reseller = OrganisationFactory(name="Small Reseller", partner_type="reseller")
    legacy = OrganisationFactory(name="Legacy", parent=reseller)
    response = admin.post(
        reverse("core:admin-organisation-create"),
        {"name": "Under A Reseller", "status": "active", "parent": reseller.pk},
    )
    assert any("not a distributor" in error for error in field_errors(response, "parent"))
    assert not Organisation.objects.filter(name="Under A Reseller").exists()
    # A partner put under another before the rule keeps its parent when edited.
    response = admin.post(
        reverse("core:admin-organisation-edit", args=[legacy.pk]),
        {"name": "Legacy renamed", "status": "active", "parent": reseller.pk},
    )
    assert response.status_code == 302
    legacy.refresh_from_db()
    assert legacy.name == "Legacy renamed" and legacy.parent == reseller


def test_channel_manager_must_be_staff(admin, partner_a_user):
    org = OrganisationFactory(name="Reseller")
    response = admin.post(
        reverse("core:admin-organisation-edit", args=[org.pk]),
        {"name": "Reseller", "status": "active", "channel_manager": partner_a_user.pk},
    )
    assert field_errors(response, "channel_manager")


def test_company_is_not_edited_as_a_partner(admin):
    company = Organisation.company()
    assert admin.get(reverse("core:admin-organisation-edit", args=[company.pk])).status_code == 404


# --- A partner admin's own users ------------------------------------------------------------


def test_partner_admin_sees_only_own_organisations_users(partner_admin, partner_b_user):
    page = logged_in(partner_admin).get(reverse("core:my-users"))
    names = {u.username for u in page.context["page"]}
    assert names == {"pa_admin"}
    assert partner_b_user.username not in page.content.decode()


def test_partner_admin_creates_partner_user_in_own_organisation(partner_admin, partner_a):
    client = logged_in(partner_admin)
    form = user_form(username="a_new", role=Role.PARTNER_USER)
    response = client.post(reverse("core:my-user-create"), form)
    assert response.status_code == 302
    created = User.objects.get(username="a_new")
    assert (created.organisation, created.role) == (partner_a, Role.PARTNER_USER)


def test_partner_admin_cannot_give_staff_role(partner_admin):
    client = logged_in(partner_admin)
    response = client.post(
        reverse("core:my-user-create"), user_form(username="sneaky", role=Role.ADMIN)
    )
    assert field_errors(response, "role")
    assert not User.objects.filter(username="sneaky").exists()


def test_partner_admin_cannot_place_user_in_another_organisation(partner_admin, partner_b):
    client = logged_in(partner_admin)
    client.post(
        reverse("core:my-user-create"),
        user_form(username="moved", role=Role.PARTNER_USER, organisation=partner_b.pk),
    )
    assert User.objects.get(username="moved").organisation == partner_admin.organisation


def test_partner_admin_cannot_touch_other_partners_users(partner_admin, partner_b_user):
    client = logged_in(partner_admin)
    edit = client.post(
        reverse("core:my-user-edit", args=[partner_b_user.pk]),
        user_form(username="bob_b", role=Role.PARTNER_USER, first_name="Hacked"),
    )
    assert edit.status_code == 404
    assert client.post(
        reverse("core:my-user-deactivate", args=[partner_b_user.pk])
    ).status_code == (404)
    partner_b_user.refresh_from_db()
    assert partner_b_user.is_active and partner_b_user.first_name != "Hacked"


def test_partner_admin_edits_and_deactivates_own_user(partner_admin, partner_a_user):
    client = logged_in(partner_admin)
    response = client.post(
        reverse("core:my-user-edit", args=[partner_a_user.pk]),
        user_form(username="alice_a", role=Role.PARTNER_ADMIN, password=""),
    )
    assert response.status_code == 302
    partner_a_user.refresh_from_db()
    assert partner_a_user.role == Role.PARTNER_ADMIN
    client.post(reverse("core:my-user-deactivate", args=[partner_a_user.pk]))
    partner_a_user.refresh_from_db()
    assert not partner_a_user.is_active


@pytest.mark.parametrize("role", [Role.PARTNER_USER, Role.SALES_REP, Role.ADMIN])
def test_my_users_page_is_for_partner_admins_only(role, partner_a):
    org = partner_a if role == Role.PARTNER_USER else Organisation.company()
    user = UserFactory(role=role, organisation=org)
    assert logged_in(user).get(reverse("core:my-users")).status_code == 403


# --- Everyone's own preferences -------------------------------------------------------------


def test_user_sets_own_language_and_time_zone_on_profile(rep):
    client = logged_in(rep)
    response = client.post(
        reverse("core:profile"),
        {"action": "preferences", "language": "zh-hant", "time_zone": "Asia/Taipei"},
    )
    assert response.status_code == 302
    rep.refresh_from_db()
    assert (rep.language, rep.time_zone) == ("zh-hant", "Asia/Taipei")
    page = client.get(reverse("core:profile"))
    assert 'lang="zh-hant"' in page.content.decode()
    assert page.context["TIME_ZONE"] == "Asia/Taipei"


def test_bad_time_zone_on_profile_is_shown_beside_the_field(rep):
    response = logged_in(rep).post(
        reverse("core:profile"),
        {"action": "preferences", "language": "en", "time_zone": "Nowhere/Else"},
    )
    assert response.status_code == 200
    assert response.context["preferences"].errors["time_zone"]
    rep.refresh_from_db()
    assert rep.time_zone == ""


# --- The API follows the same rules ---------------------------------------------------------


def test_api_territory_cycle_is_a_400_with_the_same_message(api, admin_user):
    china = TerritoryFactory(name="China")
    east = TerritoryFactory(name="East China", parent=china)
    response = api(admin_user).patch(
        f"/api/v1/territories/{china.pk}/", {"parent": east.pk}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["parent"] == [
        "“China” cannot move under “East China”: that territory lies inside it."
    ]


def test_api_redraw_and_members_through_the_service(api, admin_user, rep):
    east = TerritoryFactory(name="East China")
    shanghai = TerritoryFactory(name="Shanghai")
    account = AccountFactory(territory=shanghai)
    client = api(admin_user)
    assert (
        client.patch(
            f"/api/v1/territories/{east.pk}/", {"members": [rep.pk]}, format="json"
        ).status_code
        == 200
    )
    assert (
        client.patch(
            f"/api/v1/territories/{shanghai.pk}/", {"parent": east.pk}, format="json"
        ).status_code
        == 200
    )
    assert account in accounts_visible_to(User.objects.get(pk=rep.pk))
    assert AuditEntry.objects.filter(object_id=str(shanghai.pk), actor=admin_user).exists()


def test_api_team_refuses_partner_members(api, admin_user, partner_a_user):
    response = api(admin_user).post(
        "/api/v1/teams/", {"name": "Mixed", "members": [partner_a_user.pk]}, format="json"
    )
    assert response.status_code == 400
    assert "members" in response.json()


def test_api_creates_partner_organisation_never_a_second_company(api, admin_user):
    response = api(admin_user).post(
        "/api/v1/organisations/", {"name": "New Partner", "kind": "company"}, format="json"
    )
    assert response.status_code == 201
    assert Organisation.objects.get(name="New Partner").kind == Organisation.Kind.PARTNER


def test_api_rep_cannot_write_teams_territories_or_organisations(api, rep):
    client = api(rep)
    assert client.post("/api/v1/teams/", {"name": "T"}, format="json").status_code == 403
    assert client.post("/api/v1/territories/", {"name": "T"}, format="json").status_code == 403
    assert client.post("/api/v1/organisations/", {"name": "O"}, format="json").status_code == 403


def test_api_territory_with_children_cannot_be_deleted(api, admin_user):
    china = TerritoryFactory(name="China")
    TerritoryFactory(name="East China", parent=china)
    response = api(admin_user).delete(f"/api/v1/territories/{china.pk}/")
    assert response.status_code == 400
    assert Territory.objects.filter(pk=china.pk).exists()


def test_api_user_delete_only_deactivates(api, admin_user):
    user = UserFactory(username="temp")
    assert api(admin_user).delete(f"/api/v1/users/{user.pk}/").status_code == 204
    user.refresh_from_db()
    assert not user.is_active
    assert User.objects.filter(pk=user.pk).exists()
