"""The menus: every link a role is shown opens for that role, and partner users get their own
portal navigation, without the company's programme set-up."""

import pytest
from django.urls import reverse

from allyance.core.context_processors import navigation
from allyance.core.models import Role
from tests.factories import OrganisationFactory, TierFactory, UserFactory

pytestmark = pytest.mark.django_db


def menu_links(user, rf) -> dict[str, str]:
    request = rf.get("/")
    request.user = user
    links = {}
    for item in navigation(request)["nav_items"]:
        for entry in item.children or [item]:
            links[str(entry.label)] = entry.url
    return links


def user_of(role: str):
    if role in (Role.PARTNER_ADMIN, Role.PARTNER_USER):
        organisation = OrganisationFactory(tier=TierFactory(name="Gold"))
        return UserFactory(role=role, organisation=organisation)
    return UserFactory(role=role, is_superuser=role == Role.ADMIN)


@pytest.mark.parametrize(
    "role",
    [Role.ADMIN, Role.CHANNEL_MANAGER, Role.SALES_REP, Role.PARTNER_ADMIN, Role.PARTNER_USER],
)
def test_every_menu_link_opens_for_the_role_that_sees_it(role, client, rf):
    user = user_of(role)
    client.force_login(user)
    for label, url in menu_links(user, rf).items():
        response = client.get(url)
        assert response.status_code == 200, (label, url, response.status_code)


def test_partner_users_get_the_portal_menu_without_the_programme_set_up(rf):
    links = menu_links(user_of(Role.PARTNER_USER), rf)
    assert links["Home"] == reverse("partners:portal-home")
    assert reverse("partners:distribution-list") in links.values()
    assert reverse("partners:portal-order-create") in links.values()
    for company_page in ("partners:tier-list", "partners:partner-list", "core:admin-home"):
        assert reverse(company_page) not in links.values()
    assert "My users" not in links  # only the partner's administrator manages its users
    assert "My users" in menu_links(user_of(Role.PARTNER_ADMIN), rf)


def test_the_programme_set_up_is_in_the_menu_of_who_runs_the_programme(rf):
    tiers = reverse("partners:tier-list")
    assert tiers in menu_links(user_of(Role.CHANNEL_MANAGER), rf).values()
    assert tiers in menu_links(user_of(Role.ADMIN), rf).values()
    rep_links = menu_links(user_of(Role.SALES_REP), rf)
    assert tiers not in rep_links.values()
    assert reverse("partners:registration-list") in rep_links.values()


def test_the_menu_bar_marks_the_open_page_and_its_menu_and_speaks_the_users_language(client):
    rep = user_of(Role.SALES_REP)
    client.force_login(rep)
    board = reverse("sales:opportunity-board")
    html = client.get(board).content.decode()
    menu_bar = html[html.index('id="navbar-menu"') : html.index("</ul>")]
    assert menu_bar.count(" active") == 2, menu_bar  # the sales menu and its board entry
    assert f'<a class="dropdown-item active" href="{board}">' in html
    assert '<li class="nav-item dropdown active"><a class="nav-link dropdown-toggle"' in html
    assert '<i class="ti ti-trending-up me-1"></i>Sales</a>' in html
    rep.language = "zh-hans"
    rep.save()
    contacts = reverse("customers:contact-list")
    html = client.get(contacts).content.decode()
    assert (
        f'<li class="nav-item active"><a class="nav-link" href="{contacts}">'
        '<i class="ti ti-users me-1"></i>联系人</a></li>'
    ) in html
