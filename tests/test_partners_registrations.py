"""Deal registration: a partner registers a deal, the system finds the same customer in open
company deals and other partners' active registrations, the channel manager approves (the
partner is protected and owns the new opportunity) or rejects with a reason; protection ends;
and a partner never learns anything about another partner's registrations."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from allyance.core.models import CustomField, Notification, Organisation, Role
from allyance.core.search import global_search
from allyance.customers.models import Account
from allyance.partners.models import DealRegistration, ProgrammeSettings
from allyance.partners.services import registrations as services
from allyance.sales.models import Stage
from allyance.sales.services.pipelines import pipeline_default
from tests.factories import (
    AccountFactory,
    OpportunityFactory,
    OrganisationFactory,
    PipelineFactory,
    ProductFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Status = DealRegistration.Status


@pytest.fixture
def channel_manager():
    return UserFactory(role=Role.CHANNEL_MANAGER, username="cm", first_name="Chen")


@pytest.fixture
def alpha(channel_manager):
    return OrganisationFactory(name="Alpha Trading", channel_manager=channel_manager)


@pytest.fixture
def beta(channel_manager):
    return OrganisationFactory(name="Beta Supply", channel_manager=channel_manager)


@pytest.fixture
def alice(alpha):
    return UserFactory(role=Role.PARTNER_USER, organisation=alpha, username="alice")


@pytest.fixture
def bob(beta):
    return UserFactory(role=Role.PARTNER_ADMIN, organisation=beta, username="bob")


def submit(by, customer_name="Huadong Machinery", **fields) -> DealRegistration:
    products = fields.pop("products", None)
    fields.setdefault("estimated_amount", Decimal("120000.00"))
    fields.setdefault("currency", "CNY")
    return services.registration_submit(
        registration=DealRegistration(customer_name=customer_name, **fields),
        by=by,
        products=products,
    )


def company_deal(account_name="Huadong Machinery Co", **account_fields):
    account = AccountFactory(name=account_name, **account_fields)
    return OpportunityFactory(account=account, name=f"{account_name} storage")


# --- Normalisation ---------------------------------------------------------------------------


def test_submission_normalises_name_tax_id_and_domain(alice):
    registration = submit(
        alice,
        customer_name="  ＨＵＡＤＯＮＧ  Machinery, Co. ",
        tax_id="91310000 ma1fl2xx",
        domain="https://www.Huadong.cn/about",
    )
    assert registration.customer_name == "ＨＵＡＤＯＮＧ  Machinery, Co."
    assert registration.customer_key == "huadongmachineryco"
    assert registration.tax_id == "91310000MA1FL2XX"
    assert registration.domain == "huadong.cn"
    assert registration.organisation == alice.organisation
    assert registration.owner == alice
    assert registration.status == Status.SUBMITTED
    assert registration.submitted_at is not None
    assert submit(alice, "Other", domain="li.wei@Huadong.CN").domain == "huadong.cn"


def test_only_partner_users_register_deals(channel_manager):
    rep = UserFactory(role=Role.SALES_REP)
    for user in (rep, channel_manager):
        with pytest.raises(PermissionDenied):
            submit(user)
    assert not DealRegistration.objects.exists()


def test_a_name_is_required(alice):
    with pytest.raises(ValidationError) as error:
        submit(alice, customer_name=" ,. ")
    assert "customer_name" in error.value.message_dict


def test_the_channel_manager_is_told_of_a_new_registration(alice, channel_manager):
    company_deal("Huadong Machinery")
    registration = submit(alice)
    note = Notification.objects.get(recipient=channel_manager)
    assert note.kind == "deal_registration_submitted"
    assert "Alpha Trading" in note.message and "(1 possible conflict)" in note.message
    assert note.url == registration.get_absolute_url()


# --- Conflicts ---------------------------------------------------------------------------------


def test_conflict_with_an_open_company_deal_by_name_whatever_the_width_and_case(alice):
    deal = company_deal("Huadong Machinery Co")
    registration = submit(alice, customer_name="ＨＵＡＤＯＮＧ machinery co.")
    assert registration.conflicts == [
        {
            "kind": "opportunity",
            "id": deal.pk,
            "label": f"{deal.name} · Huadong Machinery Co",
            "why": ["name"],
            "own": False,
        }
    ]


def test_conflict_by_chinese_name_with_different_spacing(alice):
    deal = company_deal("上海华东机械有限公司")
    registration = submit(alice, customer_name="上海华东机械 有限公司")
    assert [(c["kind"], c["id"], c["why"]) for c in registration.conflicts] == [
        ("opportunity", deal.pk, ["name"])
    ]


def test_conflict_by_tax_id_however_the_account_wrote_it(alice):
    deal = company_deal("SH Huadong Group", tax_id="91310000 ma1fl2xx")
    registration = submit(alice, customer_name="Huadong (Shanghai)", tax_id="91310000MA1FL2XX")
    assert [(c["id"], c["why"]) for c in registration.conflicts] == [(deal.pk, ["tax_id"])]


def test_conflict_by_web_domain_from_a_url_or_an_email(alice):
    deal = company_deal("East China Machines", website="https://www.huadong.cn/about")
    by_mail = submit(alice, customer_name="Huadong Shanghai", domain="purchasing@HUADONG.cn")
    assert [(c["id"], c["why"]) for c in by_mail.conflicts] == [(deal.pk, ["domain"])]
    not_a_subdomain = submit(alice, customer_name="Other Co", domain="nothuadong.cn")
    assert not_a_subdomain.conflicts == []


def test_closed_company_deals_and_partner_deals_are_no_conflict(alice, beta):
    pipeline = PipelineFactory()
    won = pipeline.stages.get(outcome=Stage.Outcome.WON)
    account = AccountFactory(name="Huadong Machinery")
    OpportunityFactory(account=account, pipeline=pipeline, stage=won, outcome=Stage.Outcome.WON)
    partner_account = AccountFactory(name="Huadong Machinery", organisation=beta)
    OpportunityFactory(account=partner_account, organisation=beta)
    assert submit(alice).conflicts == []


def test_conflict_with_another_partners_active_registration(alice, bob):
    theirs = submit(bob, customer_name="Huadong Machinery", tax_id="913100")
    mine = submit(alice, customer_name="HUADONG MACHINERY", tax_id="913100")
    assert mine.conflicts == [
        {
            "kind": "registration",
            "id": theirs.pk,
            "label": "Huadong Machinery · Beta Supply",
            "why": ["name", "tax_id"],
            "own": False,
        }
    ]


def test_an_approved_and_protected_registration_is_a_conflict(alice, bob, channel_manager):
    theirs = submit(bob, domain="huadong.cn")
    services.registration_approve(registration=theirs, by=channel_manager)
    mine = submit(alice, customer_name="Something else", domain="www.huadong.cn")
    assert [(c["kind"], c["id"], c["why"]) for c in mine.conflicts] == [
        ("registration", theirs.pk, ["domain"])
    ]


@pytest.mark.parametrize("ended", ["rejected", "withdrawn", "expired"])
def test_no_conflict_with_a_registration_that_is_no_longer_active(
    ended, alice, bob, channel_manager
):
    theirs = submit(bob)
    if ended == "rejected":
        services.registration_reject(registration=theirs, reason="Known deal", by=channel_manager)
    elif ended == "withdrawn":
        services.registration_withdraw(registration=theirs, by=bob)
    else:
        services.registration_approve(registration=theirs, by=channel_manager, protection_days=1)
        services.registrations_expire(today=timezone.localdate() + datetime.timedelta(days=2))
        theirs.refresh_from_db()
        assert theirs.status == Status.EXPIRED
    assert submit(alice).conflicts == []


def test_approved_whose_protection_passed_is_no_conflict_even_before_the_job_ran(
    alice, bob, channel_manager
):
    theirs = submit(bob)
    services.registration_approve(registration=theirs, by=channel_manager, protection_days=1)
    DealRegistration.objects.filter(pk=theirs.pk).update(
        protected_until=timezone.localdate() - datetime.timedelta(days=1)
    )
    assert submit(alice).conflicts == []


def test_the_partners_own_duplicate_is_flagged_as_its_own(alice):
    first = submit(alice)
    second = submit(alice, customer_name="huadong  machinery")
    assert [(c["id"], c["own"]) for c in second.conflicts] == [(first.pk, True)]


# --- Decisions -----------------------------------------------------------------------------


def test_approval_creates_the_partners_opportunity_and_protects_it(alice, channel_manager):
    settings_row = ProgrammeSettings.current()
    settings_row.protection_days = 60
    settings_row.save()
    product = ProductFactory(name="Array X200")
    registration = submit(
        alice,
        customer_name="Huadong Machinery",
        tax_id="913100MA",
        domain="huadong.cn",
        product_interest="storage upgrade",
        estimated_amount=Decimal("250000.50"),
        currency="USD",
        expected_close=datetime.date(2031, 3, 31),
        products=[product],
    )
    approved = services.registration_approve(registration=registration, by=channel_manager)

    assert approved.status == Status.APPROVED
    assert approved.protected_until == timezone.localdate() + datetime.timedelta(days=60)
    assert approved.decided_by == channel_manager and approved.decided_at is not None
    deal = approved.opportunity
    assert deal.organisation == alice.organisation
    assert deal.owner == alice
    assert deal.amount == Decimal("250000.50") and deal.currency == "USD"
    assert deal.close_date == datetime.date(2031, 3, 31)
    assert deal.name == "Huadong Machinery · storage upgrade"
    assert "Array X200" in deal.description
    pipeline = pipeline_default()
    assert deal.pipeline == pipeline
    assert deal.stage == pipeline.stages.filter(outcome="open").order_by("order").first()
    account = deal.account
    assert account.organisation == alice.organisation and account.owner == alice
    assert (account.name, account.tax_id, account.website) == (
        "Huadong Machinery",
        "913100MA",
        "https://huadong.cn",
    )
    note = Notification.objects.get(recipient=alice, kind="deal_registration_approved")
    assert approved.protected_until.isoformat() in note.message


def test_approval_uses_the_partners_own_account_and_given_days(alice, channel_manager):
    own = AccountFactory(organisation=alice.organisation, owner=alice, name="华东机械")
    registration = submit(alice, customer_name="华东机械", account=own)
    approved = services.registration_approve(
        registration=registration, by=channel_manager, protection_days=10
    )
    assert approved.opportunity.account == own
    assert approved.protected_until == timezone.localdate() + datetime.timedelta(days=10)
    assert Account.objects.count() == 1


def test_a_partner_cannot_register_with_another_partners_account(alice, bob):
    theirs = AccountFactory(organisation=bob.organisation, owner=bob)
    with pytest.raises(ValidationError) as error:
        submit(alice, account=theirs)
    assert "account" in error.value.message_dict


def test_rejection_needs_a_reason_and_the_partner_reads_it(alice, channel_manager):
    registration = submit(alice)
    with pytest.raises(ValidationError) as error:
        services.registration_reject(registration=registration, reason="  ", by=channel_manager)
    assert "reason" in error.value.message_dict
    registration.refresh_from_db()
    assert registration.status == Status.SUBMITTED
    services.registration_reject(
        registration=registration, reason="Our own team has this deal.", by=channel_manager
    )
    registration.refresh_from_db()
    assert registration.status == Status.REJECTED
    assert registration.decision_reason == "Our own team has this deal."
    assert registration.opportunity is None
    assert Notification.objects.filter(recipient=alice, kind="deal_registration_rejected").exists()


def test_a_partner_cannot_approve_its_own_registration(alice, alpha, api):
    partner_admin = UserFactory(role=Role.PARTNER_ADMIN, organisation=alpha)
    registration = submit(alice)
    for user in (alice, partner_admin):
        with pytest.raises(PermissionDenied):
            services.registration_approve(registration=registration, by=user)
        answer = api(user).post(f"/api/v1/deal-registrations/{registration.pk}/approve/", {})
        assert answer.status_code == 403
    registration.refresh_from_db()
    assert registration.status == Status.SUBMITTED and registration.opportunity is None


def test_only_the_partners_channel_manager_or_an_admin_decides(alice, admin_user):
    other_manager = UserFactory(role=Role.CHANNEL_MANAGER)
    rep = UserFactory(role=Role.SALES_REP)
    registration = submit(alice)
    for user in (other_manager, rep):
        with pytest.raises(PermissionDenied):
            services.registration_reject(registration=registration, reason="no", by=user)
    services.registration_approve(registration=registration, by=admin_user)
    assert registration.status == Status.APPROVED


def test_the_channel_manager_of_a_distributor_decides_for_its_resellers(channel_manager, alpha):
    reseller = OrganisationFactory(name="Reseller", parent=alpha)
    user = UserFactory(role=Role.PARTNER_USER, organisation=reseller)
    registration = submit(user)
    assert Notification.objects.filter(recipient=channel_manager).exists()
    services.registration_approve(registration=registration, by=channel_manager)
    assert registration.opportunity.organisation == reseller


def test_decided_registrations_stay_decided(alice, channel_manager):
    registration = submit(alice)
    services.registration_approve(registration=registration, by=channel_manager)
    with pytest.raises(ValidationError):
        services.registration_reject(registration=registration, reason="late", by=channel_manager)
    with pytest.raises(ValidationError):
        services.registration_withdraw(registration=registration, by=alice)
    with pytest.raises(ValidationError):
        services.registration_approve(registration=registration, by=channel_manager)


def test_the_partner_withdraws_while_submitted(alice, bob):
    registration = submit(alice)
    with pytest.raises(PermissionDenied):
        services.registration_withdraw(registration=registration, by=bob)
    services.registration_withdraw(registration=registration, by=alice)
    registration.refresh_from_db()
    assert registration.status == Status.WITHDRAWN


# --- Protection ends -----------------------------------------------------------------------


def test_the_expiry_job_ends_protection_once(alice, channel_manager, capsys):
    ending = submit(alice)
    services.registration_approve(registration=ending, by=channel_manager, protection_days=5)
    lasting = submit(alice, customer_name="Other customer")
    services.registration_approve(registration=lasting, by=channel_manager, protection_days=30)
    waiting = submit(alice, customer_name="Third customer")
    later = timezone.localdate() + datetime.timedelta(days=6)

    call_command("expire_deal_protection", today=later.isoformat())
    assert "1 deal registrations expired." in capsys.readouterr().out
    assert services.registrations_expire(today=later) == 0
    for registration, status in (
        (ending, "expired"),
        (lasting, "approved"),
        (waiting, "submitted"),
    ):
        registration.refresh_from_db()
        assert registration.status == status
    assert (
        Notification.objects.filter(recipient=alice, kind="deal_registration_expired").count() == 1
    )
    ending.opportunity.refresh_from_db()  # the deal stays the partner's


def test_the_expiry_task_calls_the_service(alice, channel_manager, settings):
    from allyance.partners.tasks.registrations import deal_protection_expire_task

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    registration = submit(alice)
    services.registration_approve(registration=registration, by=channel_manager, protection_days=1)
    DealRegistration.objects.filter(pk=registration.pk).update(
        protected_until=timezone.localdate() - datetime.timedelta(days=1)
    )
    result = deal_protection_expire_task.enqueue()
    assert result.return_value == 1


# --- What each side sees -------------------------------------------------------------------


def test_partner_b_sees_nothing_of_partner_as_registrations(alice, bob, api, client):
    mine = submit(alice, customer_name="Alpha customer", tax_id="AAA111")
    submit(bob, customer_name="Beta customer")
    listed = api(bob).get("/api/v1/deal-registrations/").json()["results"]
    assert [row["customer_name"] for row in listed] == ["Beta customer"]
    assert api(bob).get(f"/api/v1/deal-registrations/{mine.pk}/").status_code == 404
    assert api(bob).post(f"/api/v1/deal-registrations/{mine.pk}/withdraw/").status_code == 404
    client.force_login(bob)
    page = client.get(reverse("partners:registration-list")).content.decode()
    assert "Beta customer" in page and "Alpha customer" not in page
    detail = client.get(reverse("partners:registration-detail", args=[mine.pk]))
    assert detail.status_code == 404
    assert all(not group["rows"] for group in global_search(bob, "AAA111"))


def test_the_partner_never_reads_who_else_claims_its_customer(
    alice, bob, channel_manager, api, client
):
    theirs = submit(bob, customer_name="Huadong Machinery")
    deal = company_deal("Huadong Machinery", owner=UserFactory(username="rep.zhou"))
    mine = submit(alice, customer_name="Huadong Machinery")
    assert len(mine.conflicts) == 2

    body = api(alice).get(f"/api/v1/deal-registrations/{mine.pk}/").json()
    assert "conflicts" not in body and body["has_conflicts"] is True
    history = api(alice).get(f"/api/v1/deal-registrations/{mine.pk}/history/").content.decode()
    client.force_login(alice)
    page = client.get(reverse("partners:registration-detail", args=[mine.pk])).content.decode()
    listing = client.get(reverse("partners:registration-list")).content.decode()
    for text in (str(body), history, page, listing):
        assert "Beta Supply" not in text
        assert deal.name not in text
    assert "under review" in page

    client.force_login(channel_manager)
    review = client.get(reverse("partners:registration-detail", args=[mine.pk])).content.decode()
    assert "Beta Supply" in review and deal.name in review
    assert reverse("partners:registration-detail", args=[theirs.pk]) in review
    assert reverse("sales:opportunity-detail", args=[deal.pk]) in review
    staff_body = api(channel_manager).get(f"/api/v1/deal-registrations/{mine.pk}/").json()
    assert {c["kind"] for c in staff_body["conflicts"]} == {"opportunity", "registration"}
    flagged = api(channel_manager).get("/api/v1/deal-registrations/?has_conflicts=true").json()
    assert [row["id"] for row in flagged["results"]] == [mine.pk]
    clear = api(channel_manager).get("/api/v1/deal-registrations/?has_conflicts=false").json()
    assert [row["id"] for row in clear["results"]] == [theirs.pk]


def test_the_channel_manager_lists_the_registrations_of_the_partners_it_manages(alice, bob, api):
    unmanaged = OrganisationFactory(name="Gamma")
    stranger = UserFactory(role=Role.PARTNER_USER, organisation=unmanaged)
    submit(alice, customer_name="A customer")
    submit(bob, customer_name="B customer")
    submit(stranger, customer_name="C customer")
    manager = Organisation.objects.get(name="Alpha Trading").channel_manager
    names = {
        row["customer_name"]
        for row in api(manager).get("/api/v1/deal-registrations/").json()["results"]
    }
    assert names == {"A customer", "B customer"}
    conflicted = api(manager).get("/api/v1/deal-registrations/?status=submitted").json()
    assert len(conflicted["results"]) == 2


# --- Pages ---------------------------------------------------------------------------------


def test_the_partner_registers_a_deal_on_the_form(alice, client):
    product = ProductFactory(name="Array X200")
    ProductFactory(name="Old array", active=False)
    own = AccountFactory(organisation=alice.organisation, owner=alice, name="Own account")
    other = AccountFactory(name="Company account")
    client.force_login(alice)
    form = client.get(reverse("partners:registration-create")).content.decode()
    assert "Own account" in form and "Company account" not in form
    assert "Array X200" in form and "Old array" not in form
    answer = client.post(
        reverse("partners:registration-create"),
        {
            "customer_name": "Huadong Machinery",
            "tax_id": "9131 0000",
            "domain": "www.huadong.cn",
            "account": own.pk,
            "products": [product.pk],
            "estimated_amount": "88000",
            "currency": "CNY",
            "expected_close": "2031-01-31",
        },
    )
    registration = DealRegistration.objects.get()
    assert answer.status_code == 302 and answer["Location"] == registration.get_absolute_url()
    assert registration.tax_id == "91310000" and registration.domain == "huadong.cn"
    assert list(registration.products.all()) == [product]
    refused = client.post(
        reverse("partners:registration-create"),
        {"customer_name": "X", "account": other.pk, "estimated_amount": "1", "currency": "CNY"},
    )
    assert refused.status_code == 200 and DealRegistration.objects.count() == 1


def test_staff_do_not_get_the_registration_form(channel_manager, client):
    client.force_login(channel_manager)
    assert client.get(reverse("partners:registration-create")).status_code == 403


def test_the_channel_manager_approves_and_rejects_on_the_page(alice, channel_manager, client):
    first = submit(alice, customer_name="First")
    second = submit(alice, customer_name="Second")
    client.force_login(channel_manager)
    page = client.get(reverse("partners:registration-detail", args=[first.pk])).content.decode()
    assert 'data-testid="registration-approve"' in page
    assert f'value="{ProgrammeSettings.current().protection_days}"' in page
    decide = reverse("partners:registration-decide", args=[first.pk])
    answer = client.post(decide, {"action": "approve", "protection_days": "45"})
    assert answer.status_code == 302
    first.refresh_from_db()
    assert first.protected_until == timezone.localdate() + datetime.timedelta(days=45)

    refused = client.post(
        reverse("partners:registration-decide", args=[second.pk]),
        {"action": "reject", "reason": ""},
    )
    assert refused.status_code == 400
    assert "Say why the registration is rejected." in refused.content.decode()
    second.refresh_from_db()
    assert second.status == Status.SUBMITTED


def test_the_partner_page_shows_the_decision_and_links_the_opportunity(
    alice, channel_manager, client
):
    approved = submit(alice, customer_name="Approved customer")
    services.registration_approve(registration=approved, by=channel_manager)
    rejected = submit(alice, customer_name="Rejected customer")
    services.registration_reject(registration=rejected, reason="Direct account", by=channel_manager)
    client.force_login(alice)
    page = client.get(approved.get_absolute_url()).content.decode()
    assert "Protected until" in page
    assert approved.opportunity.get_absolute_url() in page
    assert 'data-testid="registration-approve"' not in page
    assert "Direct account" in client.get(rejected.get_absolute_url()).content.decode()


def test_a_partner_cannot_approve_on_the_page(alice, client):
    registration = submit(alice)
    client.force_login(alice)
    answer = client.post(
        reverse("partners:registration-decide", args=[registration.pk]), {"action": "approve"}
    )
    assert answer.status_code == 400
    registration.refresh_from_db()
    assert registration.status == Status.SUBMITTED


def test_the_opportunity_page_shows_the_protection(alice, channel_manager, client):
    registration = submit(alice)
    services.registration_approve(registration=registration, by=channel_manager)
    client.force_login(alice)
    page = client.get(registration.opportunity.get_absolute_url()).content.decode()
    assert "Protected until" in page and "registered by Alpha Trading" in page


def test_staff_export_the_list_and_partners_do_not(alice, channel_manager, client):
    submit(alice, customer_name="华东机械", tax_id="913100")
    client.force_login(channel_manager)
    answer = client.get(reverse("partners:registration-export") + "?format=csv")
    text = b"".join(answer.streaming_content if answer.streaming else [answer.content]).decode()
    assert answer.status_code == 200 and "华东机械" in text and "913100" in text
    xlsx = client.get(reverse("partners:registration-export") + "?format=xlsx")
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd")
    client.force_login(alice)
    assert client.get(reverse("partners:registration-export")).status_code == 404


# --- API -----------------------------------------------------------------------------------


def test_a_partner_submits_through_the_api_with_custom_fields(alice, api):
    CustomField.objects.create(
        content_type=ContentType.objects.get_for_model(DealRegistration),
        name="campaign_code",
        label="Campaign code",
        required=True,
    )
    product = ProductFactory()
    payload = {
        "customer_name": "Huadong Machinery",
        "domain": "sales@huadong.cn",
        "products": [product.pk],
        "estimated_amount": "5000.00",
        "currency": "CNY",
    }
    missing = api(alice).post("/api/v1/deal-registrations/", payload, format="json")
    assert missing.status_code == 400 and "custom_fields" in missing.json()
    payload["custom_fields"] = {"campaign_code": "Q3-EXPO"}
    answer = api(alice).post("/api/v1/deal-registrations/", payload, format="json")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["status"] == "submitted" and body["domain"] == "huadong.cn"
    assert body["custom_fields"] == {"campaign_code": "Q3-EXPO"}
    assert body["products"] == [product.pk] and body["owner"] == alice.pk


def test_staff_cannot_submit_through_the_api(channel_manager, api):
    answer = api(channel_manager).post(
        "/api/v1/deal-registrations/",
        {"customer_name": "X", "estimated_amount": "1", "currency": "CNY"},
        format="json",
    )
    assert answer.status_code == 403


def test_api_actions_approve_reject_and_withdraw(alice, channel_manager, api):
    first, second, third = (submit(alice, customer_name=n) for n in ("One", "Two", "Three"))
    approved = api(channel_manager).post(
        f"/api/v1/deal-registrations/{first.pk}/approve/", {"protection_days": 7}, format="json"
    )
    assert approved.status_code == 200 and approved.json()["opportunity"]
    no_reason = api(channel_manager).post(
        f"/api/v1/deal-registrations/{second.pk}/reject/", {"reason": ""}, format="json"
    )
    assert no_reason.status_code == 400
    rejected = api(channel_manager).post(
        f"/api/v1/deal-registrations/{second.pk}/reject/", {"reason": "Direct"}, format="json"
    )
    assert rejected.json()["decision_reason"] == "Direct"
    withdrawn = api(alice).post(f"/api/v1/deal-registrations/{third.pk}/withdraw/")
    assert withdrawn.json()["status"] == "withdrawn"
    assert (
        api(alice)
        .patch(f"/api/v1/deal-registrations/{third.pk}/", {"customer_name": "x"}, format="json")
        .status_code
        == 405
    )


def test_search_finds_registrations_by_name_tax_id_and_domain(alice, channel_manager):
    registration = submit(
        alice, customer_name="华东机械", tax_id="91310000MA1", domain="huadong.cn"
    )
    for query in ("华东", "91310000MA1", "huadong.cn"):
        groups = {g["type"]: g["rows"] for g in global_search(channel_manager, query)}
        assert groups["deal_registrations"] == [registration], query


# --- Accounts carry a tax id ---------------------------------------------------------------


def test_accounts_take_a_tax_id_in_the_api_and_the_search(admin_user, api):
    answer = api(admin_user).post(
        "/api/v1/accounts/", {"name": "Huadong", "tax_id": "91310000MA1FL"}, format="json"
    )
    assert answer.status_code == 201 and answer.json()["tax_id"] == "91310000MA1FL"
    groups = {g["type"]: g["rows"] for g in global_search(admin_user, "91310000MA1FL")}
    assert [a.name for a in groups["accounts"]] == ["Huadong"]
