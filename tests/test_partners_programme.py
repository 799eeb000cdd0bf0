"""The partner programme: tiers and their policy, programme settings, the partner overview
and a partner's page, agreements with expiry warnings, onboarding checklists, the partner's
own organisation page, and two-tier visibility (distributor → resellers)."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from allyance.core.attachments import attachment_add
from allyance.core.models import AuditEntry, Notification, Organisation, Role, User
from allyance.core.search import global_search
from allyance.core.visibility import visible_to
from allyance.customers.models import Account
from allyance.partners.models import (
    OnboardingItem,
    OnboardingStep,
    PartnerAgreement,
    ProgrammeSettings,
    Tier,
)
from allyance.partners.services.programme import (
    agreement_save,
    agreement_warnings_send,
    onboarding_item_tick,
    onboarding_items_ensure,
    onboarding_step_delete,
    organisation_share_with_parent,
    tier_delete,
    tier_save,
)
from tests.factories import (
    AccountFactory,
    CertificationFactory,
    LeadFactory,
    OnboardingStepFactory,
    OpportunityFactory,
    OrderFactory,
    OrganisationFactory,
    PartnerAgreementFactory,
    PriceListFactory,
    TierFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()


@pytest.fixture(autouse=True)
def _jobs_run_in_process(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def admin():
    return UserFactory(role=Role.ADMIN, username="admin")


@pytest.fixture
def manager():
    return UserFactory(role=Role.CHANNEL_MANAGER, username="channel", language="en")


@pytest.fixture
def other_manager():
    return UserFactory(role=Role.CHANNEL_MANAGER, username="channel2")


@pytest.fixture
def gold():
    return TierFactory(name="Gold", rank=3, extra_discount_percent=Decimal("12.50"))


@pytest.fixture
def channel(manager, gold):
    """A distributor managed by `manager` with two resellers below it, and an unrelated agent
    of another channel manager."""
    distributor = OrganisationFactory(
        name="华东分销 Huadong Distribution",
        partner_type=Organisation.PartnerType.DISTRIBUTOR,
        tier=gold,
        channel_manager=manager,
    )
    reseller = OrganisationFactory(name="金桥 Jinqiao Reseller", parent=distributor)
    sibling = OrganisationFactory(name="Sibling Reseller", parent=distributor)
    agent = OrganisationFactory(
        name="Pacific Bridge Agent",
        partner_type=Organisation.PartnerType.AGENT,
        channel_manager=UserFactory(role=Role.CHANNEL_MANAGER),
    )
    return {"distributor": distributor, "reseller": reseller, "sibling": sibling, "agent": agent}


def partner_user(organisation, role=Role.PARTNER_USER, **fields) -> User:
    return UserFactory(role=role, organisation=organisation, **fields)


def fresh(user: User) -> User:
    """The user as a new request loads it (the gate caches what a user object may see)."""
    return User.objects.get(pk=user.pk)


# --- Tiers -------------------------------------------------------------------------------


def test_admin_creates_a_tier_with_its_policy_on_the_page(client, admin):
    price_list = PriceListFactory(name="Channel list")
    certification = CertificationFactory(name="Storage seller")
    client.force_login(admin)
    response = client.post(
        reverse("partners:tier-create"),
        {
            "name": "Platinum",
            "rank": 4,
            "price_list": price_list.pk,
            "extra_discount_percent": "7.5",
            "mdf_share_percent": "3",
            "lead_priority": 9,
            "required_certifications": [certification.pk],
            "description": "Top partners",
        },
    )
    assert response.status_code == 302
    tier = Tier.objects.get(name="Platinum")
    assert tier.price_list == price_list
    assert tier.extra_discount_percent == Decimal("7.50")
    assert tier.mdf_share_percent == Decimal("3.00")
    assert tier.lead_priority == 9
    assert list(tier.required_certifications.all()) == [certification]
    assert AuditEntry.objects.filter(object_repr="Platinum", actor=admin).exists()


def test_a_discount_above_100_percent_is_refused_beside_the_field(client, admin):
    client.force_login(admin)
    response = client.post(
        reverse("partners:tier-create"),
        {"name": "Odd", "rank": 1, "extra_discount_percent": "120", "mdf_share_percent": "0",
         "lead_priority": 0},
    )  # fmt: skip
    assert response.status_code == 400
    assert "extra_discount_percent" in response.context["form"].errors
    assert not Tier.objects.filter(name="Odd").exists()


def test_channel_manager_reads_tiers_but_cannot_change_them(client, manager, gold):
    client.force_login(manager)
    page = client.get(reverse("partners:tier-list"))
    assert page.status_code == 200
    assert "Gold" in page.content.decode()
    assert reverse("partners:tier-create") not in page.content.decode()
    assert client.get(reverse("partners:tier-create")).status_code == 403
    assert client.post(reverse("partners:tier-delete", args=[gold.pk])).status_code == 403
    with pytest.raises(PermissionDenied):
        tier_save(tier=Tier(name="Mine"), by=manager)
    assert Tier.objects.filter(pk=gold.pk).exists()


def test_partner_reads_the_tiers_and_sees_which_is_theirs(client, channel):
    user = partner_user(channel["distributor"])
    TierFactory(name="Silver", rank=2)
    client.force_login(user)
    html = client.get(reverse("partners:tier-list")).content.decode()
    assert "Gold" in html and "Silver" in html
    assert "Your tier" in html
    assert reverse("partners:tier-create") not in html


def test_deleting_a_tier_partners_are_in_is_refused_with_a_clear_message(
    client, admin, channel, gold
):
    client.force_login(admin)
    response = client.post(reverse("partners:tier-delete", args=[gold.pk]), follow=True)
    assert Tier.objects.filter(pk=gold.pk).exists()
    assert "1 partner(s) are in this tier" in response.content.decode()
    channel["distributor"].tier = None
    channel["distributor"].save()
    client.post(reverse("partners:tier-delete", args=[gold.pk]))
    assert not Tier.objects.filter(pk=gold.pk).exists()


def test_tier_names_are_unique_whatever_the_case(admin, gold):
    with pytest.raises(ValidationError) as error:
        tier_save(tier=Tier(name=" gold "), by=admin)
    assert "name" in error.value.message_dict


def test_tiers_api_admins_write_everyone_reads(api, admin, channel):
    created = api(admin).post(
        "/api/v1/tiers/",
        {"name": "Silver", "rank": 2, "mdf_share_percent": "2.50", "lead_priority": 5},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["mdf_share_percent"] == "2.50"
    duplicate = api(admin).post("/api/v1/tiers/", {"name": "SILVER"}, format="json")
    assert duplicate.status_code == 400 and "name" in duplicate.json()
    user = partner_user(channel["reseller"])
    names = [row["name"] for row in api(user).get("/api/v1/tiers/").json()["results"]]
    assert {"Gold", "Silver"} <= set(names)
    silver = created.json()["id"]
    assert api(user).patch(f"/api/v1/tiers/{silver}/", {"name": "x"}).status_code == 403
    assert api(user).delete(f"/api/v1/tiers/{silver}/").status_code == 403
    gold_id = channel["distributor"].tier_id
    assert api(admin).delete(f"/api/v1/tiers/{gold_id}/").status_code == 400
    assert api(admin).delete(f"/api/v1/tiers/{silver}/").status_code == 204


def test_tier_delete_service_refuses_a_tier_in_use(admin, channel, gold):
    with pytest.raises(ValidationError):
        tier_delete(tier=gold, by=admin)
    assert Organisation.objects.get(pk=channel["distributor"].pk).tier == gold


# --- Programme settings ----------------------------------------------------------------------


def test_admin_changes_the_programme_settings(client, admin, manager):
    client.force_login(admin)
    response = client.post(
        reverse("partners:programme-settings"),
        {"accept_hours": 24, "protection_days": 60, "agreement_warning_days": 45,
         "certification_warning_days": 20},
    )  # fmt: skip
    assert response.status_code == 302
    current = ProgrammeSettings.current()
    assert (current.accept_hours, current.protection_days) == (24, 60)
    assert current.agreement_warning_days == 45
    assert ProgrammeSettings.objects.count() == 1
    bad = client.post(
        reverse("partners:programme-settings"),
        {"accept_hours": 0, "protection_days": 60, "agreement_warning_days": 45,
         "certification_warning_days": 20},
    )  # fmt: skip
    assert bad.status_code == 400 and "accept_hours" in bad.context["form"].errors
    client.force_login(manager)
    assert client.get(reverse("partners:programme-settings")).status_code == 403


# --- Partner overview --------------------------------------------------------------------


def overview_names(client) -> list[str]:
    response = client.get(reverse("partners:partner-list"))
    assert response.status_code == 200
    return [row.organisation.name for row in response.context["rows"]]


def test_channel_manager_sees_the_partners_they_manage_and_those_below_as_a_tree(
    client, manager, channel
):
    client.force_login(manager)
    response = client.get(reverse("partners:partner-list"))
    rows = [(row.organisation.name, row.depth) for row in response.context["rows"]]
    assert rows == [
        ("华东分销 Huadong Distribution", 0),
        ("Sibling Reseller", 1),
        ("金桥 Jinqiao Reseller", 1),
    ]
    assert "Pacific Bridge Agent" not in response.content.decode()


def test_admin_sees_every_partner_and_others_are_refused(client, admin, channel):
    client.force_login(admin)
    assert set(overview_names(client)) == {org.name for org in channel.values()}, (
        "the company organisation is not a partner"
    )
    for role in (Role.SALES_REP, Role.MARKETING):
        client.force_login(UserFactory(role=role))
        assert client.get(reverse("partners:partner-list")).status_code == 403
    client.force_login(partner_user(channel["distributor"], Role.PARTNER_ADMIN))
    assert client.get(reverse("partners:partner-list")).status_code == 403
    assert client.get(reverse("partners:partner-export")).status_code == 403


def test_overview_filters_by_type_tier_channel_manager_and_status(client, admin, manager, channel):
    channel["sibling"].status = Organisation.Status.SUSPENDED
    channel["sibling"].save()
    client.force_login(admin)

    def names(**params) -> set[str]:
        response = client.get(reverse("partners:partner-list"), params)
        return {row.organisation.name for row in response.context["rows"]}

    assert names(partner_type="agent") == {"Pacific Bridge Agent"}
    assert names(tier=channel["distributor"].tier_id) == {"华东分销 Huadong Distribution"}
    assert names(channel_manager=manager.pk) == {"华东分销 Huadong Distribution"}
    assert names(status="suspended") == {"Sibling Reseller"}
    assert len(names(status="nonsense")) == 4, "a bad filter value is ignored"


def test_overview_shows_agreements_ending_soon_and_onboarding_progress(client, manager, channel):
    first, _second = OnboardingStepFactory(name="Sign"), OnboardingStepFactory(name="Train")
    OnboardingStepFactory(name="Retired step", active=False)
    distributor = channel["distributor"]
    items = onboarding_items_ensure(organisation=distributor)
    onboarding_item_tick(item=items[0], done=True, by=manager)
    assert items[0].step == first
    PartnerAgreementFactory(organisation=distributor, ends_on=TODAY + datetime.timedelta(days=10))
    PartnerAgreementFactory(organisation=distributor, ends_on=TODAY + datetime.timedelta(days=90))
    PartnerAgreementFactory(organisation=distributor, ends_on=TODAY - datetime.timedelta(days=1),
                            starts_on=TODAY - datetime.timedelta(days=100))  # fmt: skip
    client.force_login(manager)
    response = client.get(reverse("partners:partner-list"))
    row = next(r for r in response.context["rows"] if r.organisation == distributor)
    assert row.ending_soon == 1
    assert (row.progress.done, row.progress.total) == (1, 2)
    reseller_row = next(r for r in response.context["rows"] if r.organisation.parent_id)
    assert (reseller_row.progress.done, reseller_row.progress.total) == (0, 2)
    assert "1 of 2" in response.content.decode()


def test_overview_exports_as_csv_and_excel_with_the_same_rows(client, manager, channel):
    client.force_login(manager)
    csv_response = client.get(reverse("partners:partner-export"), {"format": "csv"})
    assert csv_response.status_code == 200
    text = csv_response.content.decode("utf-8-sig")
    assert "华东分销 Huadong Distribution" in text and "金桥 Jinqiao Reseller" in text
    assert "Pacific Bridge Agent" not in text
    xlsx = client.get(
        reverse("partners:partner-export"), {"format": "xlsx", "partner_type": "reseller"}
    )
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][1] == "Name"
    assert {row[1] for row in rows[1:]} == {"金桥 Jinqiao Reseller", "Sibling Reseller"}
    assert {row[2] for row in rows[1:]} == {"华东分销 Huadong Distribution"}


# --- A partner's page and the onboarding checklist -----------------------------------------


def test_partner_page_creates_the_checklist_and_the_channel_manager_ticks_it(
    client, manager, channel
):
    OnboardingStepFactory(name="Sign the agreement")
    OnboardingStepFactory(name="Complete the sales course")
    distributor = channel["distributor"]
    client.force_login(manager)
    page = client.get(reverse("partners:partner-detail", args=[distributor.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Gold" in html and "12.50 %" in html, "the tier's policy is shown"
    assert "金桥 Jinqiao Reseller" in html, "the partners below are listed"
    items = list(OnboardingItem.objects.filter(organisation=distributor))
    assert len(items) == 2
    item = items[0]
    client.post(
        reverse("partners:onboarding-item-tick", args=[distributor.pk, item.pk]),
        {"done": "on", "note": "Signed in Shanghai"},
    )
    item.refresh_from_db()
    assert item.done_at is not None and item.done_by == manager
    assert item.note == "Signed in Shanghai"
    html = client.get(reverse("partners:partner-detail", args=[distributor.pk])).content.decode()
    assert "1 of 2 done" in html
    client.post(reverse("partners:onboarding-item-tick", args=[distributor.pk, item.pk]), {})
    item.refresh_from_db()
    assert item.done_at is None and item.done_by is None


def test_another_channel_manager_can_neither_open_nor_tick_the_partner(
    client, other_manager, channel
):
    OnboardingStepFactory()
    distributor = channel["distributor"]
    (item,) = onboarding_items_ensure(organisation=distributor)
    client.force_login(other_manager)
    assert client.get(reverse("partners:partner-detail", args=[distributor.pk])).status_code == 404
    url = reverse("partners:onboarding-item-tick", args=[distributor.pk, item.pk])
    assert client.post(url, {"done": "on"}).status_code == 404
    item.refresh_from_db()
    assert item.done_at is None
    with pytest.raises(PermissionDenied):
        onboarding_item_tick(item=item, done=True, by=other_manager)


def test_onboarding_items_are_ensured_once_per_active_step(channel):
    reseller = channel["reseller"]
    first = OnboardingStepFactory()
    assert [i.step for i in onboarding_items_ensure(organisation=reseller)] == [first]
    onboarding_items_ensure(organisation=reseller)
    later = OnboardingStepFactory()
    OnboardingStepFactory(active=False)
    steps = [i.step for i in onboarding_items_ensure(organisation=reseller)]
    assert steps == [first, later]
    assert OnboardingItem.objects.filter(organisation=reseller).count() == 2
    assert onboarding_items_ensure(organisation=Organisation.company()) == []


def test_a_step_someone_completed_cannot_be_deleted(admin, manager, channel):
    step = OnboardingStepFactory()
    (item,) = onboarding_items_ensure(organisation=channel["distributor"])
    onboarding_item_tick(item=item, done=True, by=manager)
    with pytest.raises(ValidationError):
        onboarding_step_delete(step=step, by=admin)
    unused = OnboardingStepFactory()
    onboarding_items_ensure(organisation=channel["distributor"])
    onboarding_step_delete(step=unused, by=admin)
    assert not OnboardingStep.objects.filter(pk=unused.pk).exists()


def test_onboarding_steps_page_admins_edit_staff_read_partners_refused(
    client, admin, manager, channel
):
    client.force_login(admin)
    client.post(
        reverse("partners:onboarding-step-create"),
        {"name": "Kick-off call", "position": 1, "active": "on"},
    )
    step = OnboardingStep.objects.get(name="Kick-off call")
    client.force_login(manager)
    assert "Kick-off call" in client.get(reverse("partners:onboarding-step-list")).content.decode()
    assert client.get(reverse("partners:onboarding-step-edit", args=[step.pk])).status_code == 403
    client.force_login(partner_user(channel["reseller"], Role.PARTNER_ADMIN))
    assert client.get(reverse("partners:onboarding-step-list")).status_code == 403


def test_onboarding_api_partners_read_their_own_checklist_and_active_steps(api, manager, channel):
    active, retired = OnboardingStepFactory(name="Active"), OnboardingStepFactory(active=False)
    (item,) = onboarding_items_ensure(organisation=channel["reseller"])
    onboarding_items_ensure(organisation=channel["agent"])
    user = partner_user(channel["reseller"])
    steps = {row["id"] for row in api(user).get("/api/v1/onboarding-steps/").json()["results"]}
    assert steps == {active.pk}
    assert retired.pk not in steps
    rows = api(user).get("/api/v1/onboarding-items/").json()["results"]
    assert [row["id"] for row in rows] == [item.pk]
    assert rows[0]["done"] is False and rows[0]["step_name"] == "Active"
    refused = api(user).patch(f"/api/v1/onboarding-items/{item.pk}/", {"done": True})
    assert refused.status_code == 403
    ticked = api(manager).patch(
        f"/api/v1/onboarding-items/{item.pk}/", {"done": True, "note": "ok"}, format="json"
    )
    assert ticked.status_code == 200, ticked.json()
    assert ticked.json()["done"] is True and ticked.json()["done_by"] == manager.pk


# --- The partner's own page and sharing upwards --------------------------------------------


def test_partner_reads_its_own_organisation_page_without_changing_anything(client, channel):
    OnboardingStepFactory(name="Sign the agreement")
    distributor = channel["distributor"]
    PartnerAgreementFactory(organisation=distributor, name="Distribution agreement 2026")
    PartnerAgreementFactory(organisation=channel["agent"], name="Agency agreement")
    user = partner_user(distributor)
    client.force_login(user)
    response = client.get(reverse("partners:my-organisation"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Gold" in html and "12.50 %" in html
    assert "Distribution agreement 2026" in html and "Agency agreement" not in html
    assert "Sign the agreement" in html
    assert 'data-testid="onboarding-tick"' not in html
    assert 'data-testid="agreement-create"' not in html
    assert client.get(reverse("partners:partner-detail", args=[distributor.pk])).url == reverse(
        "partners:my-organisation"
    )
    assert (
        client.get(reverse("partners:partner-detail", args=[channel["agent"].pk])).status_code
        == 404
    )
    client.force_login(UserFactory(role=Role.SALES_REP))
    assert client.get(reverse("partners:my-organisation")).status_code == 403


def test_reseller_admin_turns_sharing_with_the_distributor_off_and_on(client, channel):
    reseller = channel["reseller"]
    admin = partner_user(reseller, Role.PARTNER_ADMIN)
    client.force_login(admin)
    assert (
        'data-testid="share-with-parent"'
        in client.get(reverse("partners:my-organisation")).content.decode()
    )
    client.post(reverse("partners:organisation-sharing", args=[reseller.pk]), {})
    reseller.refresh_from_db()
    assert reseller.shares_with_parent is False
    entry = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Organisation), object_id=str(reseller.pk)
    ).first()
    assert entry.actor == admin and "shares_with_parent" in entry.changes
    client.post(reverse("partners:organisation-sharing", args=[reseller.pk]), {"share": "on"})
    reseller.refresh_from_db()
    assert reseller.shares_with_parent is True


def test_only_the_partners_admin_or_a_company_admin_decides_sharing(admin, manager, channel):
    reseller = channel["reseller"]
    for someone in (
        partner_user(reseller),
        partner_user(channel["sibling"], Role.PARTNER_ADMIN),
        partner_user(channel["distributor"], Role.PARTNER_ADMIN),
        manager,
    ):
        with pytest.raises(PermissionDenied):
            organisation_share_with_parent(organisation=reseller, share=False, by=someone)
    reseller.refresh_from_db()
    assert reseller.shares_with_parent is True
    organisation_share_with_parent(organisation=reseller, share=False, by=admin)
    reseller.refresh_from_db()
    assert reseller.shares_with_parent is False


def test_partner_user_cannot_switch_sharing_from_the_page(client, channel):
    reseller = channel["reseller"]
    client.force_login(partner_user(reseller))
    html = client.get(reverse("partners:my-organisation")).content.decode()
    assert 'data-testid="share-with-parent"' not in html
    response = client.post(reverse("partners:organisation-sharing", args=[reseller.pk]), {})
    assert response.status_code == 403
    reseller.refresh_from_db()
    assert reseller.shares_with_parent is True


def test_distributor_opens_a_sharing_resellers_page_read_only(client, channel):
    reseller = channel["reseller"]
    OnboardingStepFactory()
    client.force_login(partner_user(channel["distributor"]))
    response = client.get(reverse("partners:partner-detail", args=[reseller.pk]))
    assert response.status_code == 200
    assert 'data-testid="onboarding-tick"' not in response.content.decode()
    assert response.context["users"] is None
    reseller.shares_with_parent = False
    reseller.save()
    client.force_login(partner_user(channel["distributor"]))
    assert client.get(reverse("partners:partner-detail", args=[reseller.pk])).status_code == 404


# --- Agreements ------------------------------------------------------------------------------


def test_channel_manager_adds_an_agreement_on_the_partner_page(client, manager, channel):
    distributor = channel["distributor"]
    client.force_login(manager)
    url = reverse("partners:agreement-create", args=[distributor.pk])
    bad = client.post(
        url,
        {"kind": "agreement", "name": "Distribution 2026", "starts_on": "2026-06-01",
         "ends_on": "2026-01-01"},
    )  # fmt: skip
    assert "ends_on" in bad.context["form"].errors
    assert bad.context["form"]["name"].value() == "Distribution 2026", "input is kept"
    response = client.post(
        url,
        {"kind": "qualification", "name": "Certified storage partner", "reference": "Q-7",
         "starts_on": "2026-01-01", "ends_on": "2027-12-31"},
    )  # fmt: skip
    agreement = PartnerAgreement.objects.get(name="Certified storage partner")
    assert response.url == agreement.get_absolute_url()
    assert agreement.organisation == distributor
    assert agreement.owner == manager
    assert agreement.kind == PartnerAgreement.Kind.QUALIFICATION


def test_partners_and_unrelated_staff_cannot_add_agreements(client, other_manager, channel):
    distributor = channel["distributor"]
    url = reverse("partners:agreement-create", args=[distributor.pk])
    client.force_login(other_manager)
    assert client.get(url).status_code == 404
    client.force_login(partner_user(distributor, Role.PARTNER_ADMIN))
    assert client.get(url).status_code == 404
    with pytest.raises(PermissionDenied):
        agreement_save(
            agreement=PartnerAgreement(
                organisation=distributor, name="x", starts_on=TODAY, ends_on=TODAY
            ),
            by=partner_user(distributor, Role.PARTNER_ADMIN),
        )
    assert not PartnerAgreement.objects.exists()


def test_agreement_page_managers_attach_documents_partners_read_them(client, manager, channel):
    agreement = PartnerAgreementFactory(organisation=channel["distributor"], name="Frame 2026")
    attachment_add(
        target=agreement,
        uploaded_file=SimpleUploadedFile("signed.txt", b"signed copy"),
        by=manager,
    )
    client.force_login(manager)
    html = client.get(agreement.get_absolute_url()).content.decode()
    assert "signed.txt" in html and 'data-testid="attachment-upload"' in html
    client.force_login(partner_user(channel["distributor"]))
    html = client.get(agreement.get_absolute_url()).content.decode()
    assert "signed.txt" in html
    assert 'data-testid="attachment-upload"' not in html
    assert 'data-testid="agreement-edit"' not in html
    client.force_login(partner_user(channel["agent"]))
    assert client.get(agreement.get_absolute_url()).status_code == 404


def test_partners_cannot_add_or_remove_the_files_of_their_agreements(manager, channel):
    from allyance.core.attachments import attachment_delete

    agreement = PartnerAgreementFactory(organisation=channel["distributor"])
    signed = attachment_add(
        target=agreement, uploaded_file=SimpleUploadedFile("signed.txt", b"signed"), by=manager
    )
    partner_admin = partner_user(channel["distributor"], Role.PARTNER_ADMIN)
    with pytest.raises(PermissionDenied):
        attachment_add(
            target=agreement,
            uploaded_file=SimpleUploadedFile("forged.txt", b"changed terms"),
            by=partner_admin,
        )
    with pytest.raises(PermissionDenied):
        attachment_delete(attachment=signed, by=partner_admin)
    assert [a.name for a in agreement_files(agreement)] == ["signed.txt"]


def agreement_files(agreement):
    from allyance.core.models import Attachment

    return Attachment.objects.filter(
        content_type=ContentType.objects.get_for_model(agreement), object_id=agreement.pk
    )


def test_agreement_list_filters_those_ending_within_n_days(client, manager, channel):
    distributor = channel["distributor"]
    PartnerAgreementFactory(organisation=distributor, name="Ends soon",
                            ends_on=TODAY + datetime.timedelta(days=20))  # fmt: skip
    PartnerAgreementFactory(organisation=distributor, name="Ends later",
                            ends_on=TODAY + datetime.timedelta(days=200))  # fmt: skip
    PartnerAgreementFactory(organisation=channel["agent"], name="Not managed")
    client.force_login(manager)
    html = client.get(reverse("partners:agreement-list")).content.decode()
    assert "Ends soon" in html and "Ends later" in html and "Not managed" not in html
    html = client.get(reverse("partners:agreement-list"), {"ending_within": 30}).content.decode()
    assert "Ends soon" in html and "Ends later" not in html


def test_agreements_api_partners_read_their_own_and_cannot_write(api, manager, channel):
    distributor = channel["distributor"]
    created = api(manager).post(
        "/api/v1/partner-agreements/",
        {"organisation": distributor.pk, "name": "Frame 2026", "starts_on": "2026-01-01",
         "ends_on": "2026-12-31"},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    bad = api(manager).post(
        "/api/v1/partner-agreements/",
        {"organisation": distributor.pk, "name": "Bad", "starts_on": "2026-06-01",
         "ends_on": "2026-01-01"},
        format="json",
    )  # fmt: skip
    assert bad.status_code == 400 and "ends_on" in bad.json()
    foreign = api(manager).post(
        "/api/v1/partner-agreements/",
        {"organisation": channel["agent"].pk, "name": "x", "starts_on": "2026-01-01"},
        format="json",
    )
    assert foreign.status_code == 400 and "organisation" in foreign.json()
    pk = created.json()["id"]
    user = partner_user(distributor, Role.PARTNER_ADMIN)
    rows = api(user).get("/api/v1/partner-agreements/").json()["results"]
    assert [row["id"] for row in rows] == [pk]
    assert api(user).patch(f"/api/v1/partner-agreements/{pk}/", {"name": "x"}).status_code == 403
    assert api(user).delete(f"/api/v1/partner-agreements/{pk}/").status_code == 403
    posted = api(user).post(
        "/api/v1/partner-agreements/",
        {"organisation": distributor.pk, "name": "Own", "starts_on": "2026-01-01"},
        format="json",
    )
    assert posted.status_code == 403
    assert PartnerAgreement.objects.get(pk=pk).name == "Frame 2026"
    soon = PartnerAgreementFactory(
        organisation=distributor, ends_on=TODAY + datetime.timedelta(days=5)
    )
    listed = api(manager).get("/api/v1/partner-agreements/", {"ending_within": 10}).json()
    assert [row["id"] for row in listed["results"]] == [soon.pk]


def test_global_search_finds_agreements_only_for_those_who_may_see_them(manager, channel):
    PartnerAgreementFactory(
        organisation=channel["distributor"], name="华东 distribution frame", reference="HD-2026"
    )

    def found(user) -> list[str]:
        groups = global_search(user, "HD-2026")
        return [str(r) for g in groups if g["type"] == "partner_agreements" for r in g["rows"]]

    assert found(manager) == ["华东 distribution frame"]
    assert found(partner_user(channel["distributor"])) == ["华东 distribution frame"]
    assert found(partner_user(channel["agent"])) == []


# --- Expiry warnings -------------------------------------------------------------------------


def test_warning_goes_once_to_the_channel_manager_and_the_partners_admins(manager, channel):
    distributor = channel["distributor"]
    partner_admin = partner_user(distributor, Role.PARTNER_ADMIN, language="zh-hans")
    plain_user = partner_user(distributor)
    partner_user(distributor, Role.PARTNER_ADMIN, is_active=False)
    soon = PartnerAgreementFactory(
        organisation=distributor, name="Frame", ends_on=TODAY + datetime.timedelta(days=10)
    )
    PartnerAgreementFactory(organisation=distributor, ends_on=TODAY + datetime.timedelta(days=40))
    PartnerAgreementFactory(organisation=distributor, ends_on=None)
    assert agreement_warnings_send() == 1
    notified = Notification.objects.filter(kind="partners.agreement_ending")
    assert {n.recipient for n in notified} == {manager, partner_admin}
    assert plain_user not in {n.recipient for n in notified}
    to_manager = notified.get(recipient=manager)
    assert "Frame" in to_manager.message and "10 days" in to_manager.message
    assert to_manager.url == reverse("partners:partner-detail", args=[distributor.pk])
    assert notified.get(recipient=partner_admin).url == reverse("partners:my-organisation")
    soon.refresh_from_db()
    assert soon.warned_at is not None
    assert agreement_warnings_send() == 0
    assert Notification.objects.filter(kind="partners.agreement_ending").count() == 2


def test_warning_time_comes_from_the_programme_settings_and_a_new_end_date_warns_again(
    manager, channel
):
    settings_row = ProgrammeSettings.current()
    settings_row.agreement_warning_days = 60
    settings_row.save()
    agreement = PartnerAgreementFactory(
        organisation=channel["distributor"], ends_on=TODAY + datetime.timedelta(days=50)
    )
    assert agreement_warnings_send() == 1
    agreement.refresh_from_db()
    agreement.ends_on = TODAY + datetime.timedelta(days=55)
    agreement_save(agreement=agreement, by=manager)
    assert agreement.warned_at is None
    assert agreement_warnings_send() == 1
    assert agreement_warnings_send(today=TODAY + datetime.timedelta(days=100)) == 0


def test_ended_agreements_and_terminated_partners_are_not_warned(channel):
    PartnerAgreementFactory(organisation=channel["distributor"],
                            starts_on=TODAY - datetime.timedelta(days=400),
                            ends_on=TODAY - datetime.timedelta(days=1))  # fmt: skip
    channel["agent"].status = Organisation.Status.TERMINATED
    channel["agent"].save()
    PartnerAgreementFactory(organisation=channel["agent"], ends_on=TODAY)
    assert agreement_warnings_send() == 0


def test_partner_warnings_command_and_task_are_idempotent(manager, channel):
    from allyance.partners.tasks.programme import partner_warnings_task

    PartnerAgreementFactory(organisation=channel["distributor"],
                            ends_on=TODAY + datetime.timedelta(days=3))  # fmt: skip
    out = io.StringIO()
    call_command("partner_warnings", stdout=out)
    assert "1 agreement expiry warning(s), 0 certification expiry warning(s)" in out.getvalue()
    call_command("partner_warnings", stdout=out)
    assert "0 agreement expiry warning(s), 0 certification expiry warning(s)" in out.getvalue()
    PartnerAgreementFactory(organisation=channel["distributor"],
                            ends_on=TODAY + datetime.timedelta(days=4))  # fmt: skip
    assert partner_warnings_task.enqueue().return_value == 1
    assert Notification.objects.filter(recipient=manager).count() == 2


# --- Two-tier visibility -----------------------------------------------------------------


def records_of(organisation) -> dict[str, object]:
    """An account, a lead, an opportunity and an order owned by the organisation."""
    owner = partner_user(organisation)
    account = AccountFactory(organisation=organisation, owner=owner)
    return {
        "accounts": account,
        "leads": LeadFactory(organisation=organisation, owner=owner),
        "opportunities": OpportunityFactory(organisation=organisation, owner=owner),
        "orders": OrderFactory(organisation=organisation, owner=owner, account=account),
    }


def listed(api, user, prefix: str) -> set[int]:
    response = api(fresh(user)).get(f"/api/v1/{prefix}/", {"page_size": 500})
    assert response.status_code == 200, response.content[:200]
    return {row["id"] for row in response.json()["results"]}


def test_distributor_sees_a_sharing_resellers_records_until_it_stops_sharing(api, channel):
    reseller = channel["reseller"]
    theirs = records_of(reseller)
    distributor_user = partner_user(channel["distributor"])
    reseller_admin = partner_user(reseller, Role.PARTNER_ADMIN)
    for prefix, record in theirs.items():
        assert record.pk in listed(api, distributor_user, prefix), prefix
    organisation_share_with_parent(organisation=reseller, share=False, by=reseller_admin)
    for prefix, record in theirs.items():
        assert record.pk not in listed(api, distributor_user, prefix), prefix
        url = f"/api/v1/{prefix}/{record.pk}/"
        assert api(fresh(distributor_user)).get(url).status_code == 404, prefix
        assert record.pk in listed(api, reseller_admin, prefix), "the reseller keeps its own"


def test_reseller_never_sees_its_distributors_nor_a_sibling_resellers_records(api, channel):
    distributors = records_of(channel["distributor"])
    siblings = records_of(channel["sibling"])
    reseller_user = partner_user(channel["reseller"], Role.PARTNER_ADMIN)
    for prefix in distributors:
        seen = listed(api, reseller_user, prefix)
        assert distributors[prefix].pk not in seen, prefix
        assert siblings[prefix].pk not in seen, prefix


def test_channel_manager_sees_the_partners_they_manage_and_those_below(
    manager, other_manager, channel
):
    reseller = channel["reseller"]
    reseller.shares_with_parent = False  # sharing upwards is between partners, not the company
    reseller.save()
    resellers = records_of(reseller)
    agents = records_of(channel["agent"])
    for record in resellers.values():
        assert visible_to(fresh(manager), type(record).objects.filter(pk=record.pk)).exists()
        assert not visible_to(other_manager, type(record).objects.filter(pk=record.pk)).exists()
    for record in agents.values():
        assert not visible_to(fresh(manager), type(record).objects.filter(pk=record.pk)).exists()
    assert not visible_to(
        fresh(manager), Account.objects.filter(organisation=Organisation.company())
    ).exists()


# --- The tier's price list ---------------------------------------------------------------


def test_a_partner_reads_its_tiers_price_list_and_a_partner_of_another_tier_does_not(api, admin):
    gold_list = PriceListFactory(name="Gold partner prices")
    silver_list = PriceListFactory(name="Silver partner prices")
    gold = tier_save(tier=Tier(name="Gold", rank=3, price_list=gold_list), by=admin)
    silver = tier_save(tier=Tier(name="Silver", rank=2, price_list=silver_list), by=admin)
    gold_user = partner_user(OrganisationFactory(tier=gold))
    silver_user = partner_user(OrganisationFactory(tier=silver))
    gold_sees = {row["id"] for row in api(gold_user).get("/api/v1/price-lists/").json()["results"]}
    silver_sees = {
        row["id"] for row in api(silver_user).get("/api/v1/price-lists/").json()["results"]
    }
    assert gold_list.pk in gold_sees and silver_list.pk not in gold_sees
    assert silver_list.pk in silver_sees and gold_list.pk not in silver_sees
    assert api(silver_user).get(f"/api/v1/price-lists/{gold_list.pk}/").status_code == 404
    assert (
        api(gold_user).patch(f"/api/v1/price-lists/{gold_list.pk}/", {"name": "x"}).status_code
        == 403
    )
    gold_list.refresh_from_db()
    assert gold_list.name == "Gold partner prices"


def test_agreement_dates_use_the_partners_time_zone_of_today():
    """`ending_within` counts from today's date in the site's time zone."""
    from allyance.partners.selectors.programme import ending_within

    agreement = PartnerAgreementFactory(ends_on=timezone.localdate())
    assert ending_within(PartnerAgreement.objects.all(), 0).get() == agreement


# --- Demo ----------------------------------------------------------------------------------


def test_demo_sets_the_tier_policies_checklist_and_one_agreement_per_partner(admin, manager):
    from types import SimpleNamespace

    from allyance.core.demo.partners import PartnersDemo
    from allyance.partners.demo import programme as demo_programme

    channel_list = PriceListFactory(name=demo_programme.CHANNEL_PRICE_LIST)
    tiers = {name: TierFactory(name=name) for name in ("Gold", "Silver", "Registered")}
    huadong = OrganisationFactory(tier=tiers["Gold"], channel_manager=manager)
    partners = {
        "huadong": huadong,
        "jinqiao": OrganisationFactory(tier=tiers["Silver"], parent=huadong,
                                       channel_manager=manager),
        "pacific": OrganisationFactory(tier=tiers["Registered"], channel_manager=manager),
    }  # fmt: skip
    builder = SimpleNamespace(partners=partners, users={"channel": manager}, now=timezone.now())
    demo = PartnersDemo(builder=builder, admin=admin)
    demo_programme.build(demo)
    demo_programme.build(demo)  # a second run adds nothing

    gold = Tier.objects.get(name="Gold")
    assert gold.price_list == channel_list
    assert gold.extra_discount_percent > Tier.objects.get(name="Silver").extra_discount_percent
    assert gold.lead_priority > Tier.objects.get(name="Registered").lead_priority
    assert OnboardingStep.objects.count() == 4
    assert PartnerAgreement.objects.count() == 3
    for partner in partners.values():
        assert PartnerAgreement.objects.filter(organisation=partner).count() == 1
    ending = PartnerAgreement.objects.filter(ends_on__lte=TODAY + datetime.timedelta(days=30))
    assert [a.organisation for a in ending] == [partners["jinqiao"]]
    done = OnboardingItem.objects.filter(done_at__isnull=False, done_by=manager)
    assert done.filter(organisation=huadong).count() == 4
    assert done.count() == 4 + 2 + 1
