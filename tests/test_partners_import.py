"""Import of the partner programme's records: partner organisations (administrators), deal
registrations (a partner's users, for their own organisation, through the registration
service and its conflict checks) and MDF allocations (channel managers and administrators,
through the allocation rules). Every row goes through the record's service, a bad row is
reported by its line and nothing is saved, and nothing of another partner shows through."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from allyance.core.imports import import_job_create, import_job_start, targets_for
from allyance.core.models import (
    AuditEntry,
    CustomField,
    ImportJob,
    Notification,
    Organisation,
    Role,
)
from allyance.partners.models import DealRegistration, MdfAllocation, OnboardingItem
from allyance.partners.selectors.registrations import conflicts_for_review
from allyance.partners.services import registrations as registration_services
from tests.factories import (
    DealRegistrationFactory,
    MdfAllocationFactory,
    MdfRequestFactory,
    OnboardingStepFactory,
    OrganisationFactory,
    TierFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Type = Organisation.PartnerType


@pytest.fixture(autouse=True)
def _jobs_run_in_process(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def channel_manager():
    return UserFactory(
        role=Role.CHANNEL_MANAGER,
        username="cm.chen",
        email="chen@example.com",
        first_name="小明",
        last_name="陈",
    )


@pytest.fixture
def other_manager():
    return UserFactory(role=Role.CHANNEL_MANAGER, username="cm.li")


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


def xlsx_bytes(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def preview(user, data: bytes, *, target: str, name: str = "file.csv", **options) -> ImportJob:
    upload = SimpleUploadedFile(name, data)
    job = import_job_create(by=user, target=target, upload=upload, **options)
    return import_job_start(job=job, dry_run=True)


def run(user, data: bytes, **kwargs) -> ImportJob:
    job = preview(user, data, **kwargs)
    assert job.status == ImportJob.Status.PREVIEWED, (job.message, job.errors)
    return import_job_start(job=job, dry_run=False)


def bad_rows(job: ImportJob) -> dict[int, str]:
    return {r["line"]: " ".join(r["messages"]) for r in job.errors if r["kind"] == "error"}


def audited(record, action: str = "create") -> AuditEntry:
    return AuditEntry.objects.get(
        content_type=ContentType.objects.get_for_model(type(record)),
        object_id=str(record.pk),
        action=action,
    )


# --- Partner organisations -----------------------------------------------------------------


@pytest.fixture
def programme(channel_manager):
    TierFactory(name="Gold", rank=3)
    TierFactory(name="Silver", rank=2)
    OnboardingStepFactory(name="Sign the partner agreement")
    OnboardingStepFactory(name="Complete the sales training")
    return OrganisationFactory(name="East China Distribution", partner_type=Type.DISTRIBUTOR)


PARTNERS_CSV = (
    "Partner name,Partner type,Tier,Parent partner,Channel manager,Status,Shares with parent\n"
    "North Star Distribution,Distributor,gold,,cm.chen,Active,\n"
    "Jinqiao Systems,Reseller,Silver,North Star Distribution,chen@example.com,Prospect,no\n"
    "Pudong IT,reseller,Silver,EAST CHINA DISTRIBUTION,陈小明,active,yes\n"
)


def test_an_administrator_onboards_a_two_tier_channel_from_a_csv(
    admin_user, programme, channel_manager
):
    job = run(admin_user, PARTNERS_CSV.encode(), target="partners")
    assert job.status == ImportJob.Status.DONE, (job.message, job.errors)
    assert job.created_count == 3
    north = Organisation.objects.get(name="North Star Distribution")
    assert north.kind == Organisation.Kind.PARTNER and north.partner_type == Type.DISTRIBUTOR
    assert north.tier.name == "Gold" and north.channel_manager == channel_manager
    jinqiao = Organisation.objects.get(name="Jinqiao Systems")
    # A reseller may sit under a distributor from an earlier line of the same file.
    assert jinqiao.parent == north and jinqiao.status == Organisation.Status.PROSPECT
    assert not jinqiao.shares_with_parent and jinqiao.channel_manager == channel_manager
    pudong = Organisation.objects.get(name="Pudong IT")
    assert pudong.parent == programme and pudong.channel_manager == channel_manager
    # Saved through the service: audited, and each new partner has its onboarding checklist.
    assert audited(north).actor == admin_user
    for partner in (north, jinqiao, pudong):
        assert OnboardingItem.objects.filter(organisation=partner).count() == 2


def test_chinese_headers_in_gb18030_import_partners(admin_user, programme, channel_manager):
    data = (
        "合作伙伴名称,合作伙伴类型,等级,上级合作伙伴,渠道经理,状态\n"
        "上海金桥信息系统有限公司,分销商,Silver,East China Distribution,cm.chen,活跃\n"
    )
    job = preview(admin_user, data.encode("gb18030"), target="partners")
    assert job.encoding == "gb18030" and bad_rows(job) == {}
    assert set(job.mapping.values()) == {
        "name",
        "partner_type",
        "tier",
        "parent",
        "channel_manager",
        "status",
    }
    traditional = (
        "合作夥伴名稱,合作夥伴類型,等級,上層合作夥伴,通路經理\n"
        "臺灣精誠資訊,經銷商,Silver,East China Distribution,chen@example.com\n"
    )
    job = run(admin_user, traditional.encode("big5"), target="partners", encoding="big5")
    assert job.status == ImportJob.Status.DONE, (job.message, job.errors)
    taiwan = Organisation.objects.get(name="臺灣精誠資訊")
    assert taiwan.partner_type == Type.RESELLER and taiwan.parent == programme
    assert taiwan.channel_manager == channel_manager and taiwan.tier.name == "Silver"


def test_bad_partner_rows_are_reported_by_line_and_nothing_is_saved(admin_user, programme):
    OrganisationFactory(name="Small Reseller", partner_type=Type.RESELLER)
    before = Organisation.objects.count()
    data = (
        "Partner name,Partner type,Tier,Parent partner,Channel manager\n"
        "Good Partner,Reseller,Gold,,\n"
        "Under A Reseller,Reseller,,Small Reseller,\n"
        "No Such Tier,Reseller,Platinum,,\n"
        "Orphan,Reseller,,Nobody Distribution,\n"
        "Partner Run By A Partner,Reseller,,,alice_nobody\n"
    )
    job = preview(admin_user, data.encode(), target="partners")
    errors = bad_rows(job)
    assert set(errors) == {3, 4, 5, 6}
    assert "not a distributor" in errors[3]
    assert "Platinum" in errors[4] and "Gold" in errors[4]
    assert "Nobody Distribution" in errors[5]
    assert "alice_nobody" in errors[6]
    job = import_job_start(job=job, dry_run=False)
    assert job.status == ImportJob.Status.FAILED and job.created_count == 0
    assert Organisation.objects.count() == before
    assert not Organisation.objects.filter(name="Good Partner").exists()
    assert not OnboardingItem.objects.exists()


def test_a_partner_cannot_be_put_under_its_own_reseller(admin_user, programme):
    reseller = OrganisationFactory(name="Loop Reseller", parent=programme)
    programme_row = f"Partner name,Parent partner\n{programme.name},{reseller.name}\n"
    reseller.partner_type = Type.DISTRIBUTOR
    reseller.save()
    job = preview(admin_user, programme_row.encode(), target="partners", on_duplicate="update")
    assert "itself or one of its own partners" in bad_rows(job)[2]
    itself = f"Partner name,Parent partner\n{programme.name},{programme.name}\n"
    job = preview(admin_user, itself.encode(), target="partners", on_duplicate="update")
    assert "itself or one of its own partners" in bad_rows(job)[2]


def test_partner_duplicates_match_the_normalised_name_and_skip_or_update(
    admin_user, programme, other_manager
):
    data = "Partner name,Tier,Channel manager\nＥＡＳＴ china  distribution,Gold,cm.li\n"
    job = run(admin_user, data.encode(), target="partners")
    assert (job.created_count, job.skipped_count) == (0, 1)
    duplicate = job.errors[0]
    assert (
        duplicate["kind"] == "duplicate" and "East China Distribution" in duplicate["messages"][0]
    )
    assert duplicate["record_url"] == reverse("partners:partner-detail", args=[programme.pk])
    programme.refresh_from_db()
    assert programme.tier is None

    job = run(admin_user, data.encode(), target="partners", on_duplicate="update")
    assert job.updated_count == 1 and Organisation.objects.filter(kind="partner").count() == 1
    programme.refresh_from_db()
    assert programme.tier.name == "Gold" and programme.channel_manager == other_manager
    assert programme.name == "ＥＡＳＴ china  distribution"  # the file's spelling, as asked
    assert audited(programme, "update").actor == admin_user


def test_only_administrators_import_partners(channel_manager, alice, rep, admin_user, client):
    for user in (channel_manager, alice, rep):
        with pytest.raises(ValidationError) as caught:
            preview(user, PARTNERS_CSV.encode(), target="partners")
        assert "administrators" in " ".join(caught.value.messages)
        assert "partners" not in [t.key for t in targets_for(user)]
    assert "partners" in [t.key for t in targets_for(admin_user)]

    client.force_login(channel_manager)
    page = client.get(reverse("partners:partner-list")).content.decode()
    assert "?target=partners" not in page
    upload_page = client.get(reverse("core:import-new")).content.decode()
    assert 'value="partners"' not in upload_page
    client.force_login(admin_user)
    assert "?target=partners" in client.get(reverse("partners:partner-list")).content.decode()
    assert 'value="partners"' in client.get(reverse("core:import-new")).content.decode()


# --- Deal registrations --------------------------------------------------------------------

REGISTRATIONS_CSV = (
    "Customer,Tax id,Domain,Product interest,Estimated amount,Currency,Expected close,Notes\n"
    'Huadong Machinery,91310000 ma1fl,https://www.huadong.cn,Storage,"120,000.50",CNY,'
    "2026-06-30,Tender in June\n"
    "Pudong Logistics,,pudong-logistics.com,Switches,8000,cny,2026/7/15,\n"
)


def test_a_partner_bulk_registers_deals_for_its_own_organisation(alice, alpha, channel_manager):
    job = run(alice, REGISTRATIONS_CSV.encode(), target="registrations")
    assert job.status == ImportJob.Status.DONE, (job.message, job.errors)
    assert job.created_count == 2
    huadong = DealRegistration.objects.get(customer_name="Huadong Machinery")
    assert huadong.organisation == alpha and huadong.owner == alice
    assert huadong.status == DealRegistration.Status.SUBMITTED
    # Normalised by the registration service, as for one typed in.
    assert huadong.tax_id == "91310000MA1FL" and huadong.domain == "huadong.cn"
    assert huadong.estimated_amount == Decimal("120000.50") and huadong.currency == "CNY"
    assert huadong.expected_close == datetime.date(2026, 6, 30)
    assert huadong.description == "Tender in June" and huadong.product_interest == "Storage"
    pudong = DealRegistration.objects.get(customer_name="Pudong Logistics")
    assert pudong.expected_close == datetime.date(2026, 7, 15)
    assert audited(huadong).actor == alice
    told = Notification.objects.filter(
        recipient=channel_manager, kind="deal_registration_submitted"
    )
    assert told.count() == 2


def test_traditional_headers_in_xlsx_register_deals(alice, alpha):
    data = xlsx_bytes(
        [
            ["客戶名稱", "統一編號", "網站", "預估金額", "幣別", "預計成交日期", "備註"],
            ["臺灣精密機械股份有限公司", "12345678", "tpm.com.tw", 50000, "TWD", datetime.date(2026, 9, 1), "年底採購"],
        ]
    )  # fmt: skip
    job = run(alice, data, target="registrations", name="報備.xlsx")
    assert job.status == ImportJob.Status.DONE, (job.message, job.errors)
    registration = DealRegistration.objects.get()
    assert registration.customer_name == "臺灣精密機械股份有限公司"
    assert registration.organisation == alpha and registration.currency == "TWD"
    assert registration.estimated_amount == Decimal("50000")
    assert registration.expected_close == datetime.date(2026, 9, 1)


def test_bad_registration_rows_are_reported_by_line_and_nothing_is_registered(
    alice, channel_manager
):
    data = (
        "Customer,Estimated amount,Currency,Expected close\n"
        "Good Customer,1000,CNY,2026-05-01\n"
        "Bad Amount,lots,CNY,\n"
        "Bad Date,100,CNY,next spring\n"
        "Bad Currency,100,DOGE,\n"
        ",100,CNY,\n"
        "Negative,-5,CNY,\n"
    )
    job = preview(alice, data.encode(), target="registrations")
    errors = bad_rows(job)
    assert set(errors) == {3, 4, 5, 6, 7}
    assert "lots" in errors[3] and "next spring" in errors[4] and "DOGE" in errors[5]
    assert errors[6] and errors[7]
    job = import_job_start(job=job, dry_run=False)
    assert job.status == ImportJob.Status.FAILED
    assert not DealRegistration.objects.exists()
    assert not Notification.objects.filter(recipient=channel_manager).exists()


def test_a_conflict_with_another_partners_registration_is_for_the_channel_manager_only(
    alice, bob, beta, channel_manager, client
):
    theirs = registration_services.registration_submit(
        registration=DealRegistration(customer_name="Huadong Machinery", tax_id="913100"),
        by=bob,
    )
    data = "客户名称,税号,预计金额\nHUADONG  machinery,913100,5000\n".encode("gb18030")
    job = run(alice, data, target="registrations")
    # Another partner's registration is no duplicate of the partner's own rows: the row is
    # registered, and nothing in the import tells the partner who else claims the customer.
    assert job.status == ImportJob.Status.DONE and job.created_count == 1
    assert job.errors == []
    assert "Beta" not in job.message
    mine = DealRegistration.objects.exclude(pk=theirs.pk).get()
    assert mine.organisation == alice.organisation
    assert [c["id"] for c in mine.conflicts] == [theirs.pk]
    review = conflicts_for_review(mine)
    assert len(review) == 1
    client.force_login(channel_manager)
    page = client.get(reverse("partners:registration-detail", args=[mine.pk])).content.decode()
    assert "Beta Supply" in page
    message = Notification.objects.filter(recipient=channel_manager).latest("pk").message
    assert "1 possible conflict" in message
    client.force_login(alice)
    detail = client.get(reverse("core:import-detail", args=[job.pk])).content.decode()
    response = client.get(reverse("core:import-report", args=[job.pk]))
    report = b"".join(response.streaming_content).decode("utf-8-sig")
    for text in (detail, report):
        assert "Beta Supply" not in text


def test_a_partners_own_active_registration_is_a_duplicate_skipped_not_updated(alice, bob):
    own = DealRegistrationFactory(
        organisation=alice.organisation, owner=alice, customer_name="Huadong Machinery"
    )
    own.customer_key = "huadongmachinery"
    own.save()
    theirs = DealRegistrationFactory(organisation=bob.organisation, customer_name="Pudong Port")
    theirs.customer_key = "pudongport"
    theirs.save()
    data = b"Customer,Estimated amount\nhuadong machinery,100\nPudong Port,200\n"
    job = run(alice, data, target="registrations")
    assert (job.created_count, job.skipped_count) == (1, 1)
    duplicate = next(r for r in job.errors if r["kind"] == "duplicate")
    assert duplicate["line"] == 2 and "Huadong Machinery" in duplicate["messages"][0]
    assert DealRegistration.objects.filter(organisation=alice.organisation).count() == 2

    job = preview(alice, data, target="registrations", on_duplicate="update")
    assert "not changed by an import" in bad_rows(job)[2]


def test_registrations_are_imported_by_partner_users_only(
    admin_user, channel_manager, alice, client
):
    for user in (admin_user, channel_manager):
        with pytest.raises(ValidationError) as caught:
            preview(user, REGISTRATIONS_CSV.encode(), target="registrations")
        assert "partner users" in " ".join(caught.value.messages)
    assert [t.key for t in targets_for(alice)] == ["accounts", "contacts", "leads", "registrations"]
    client.force_login(alice)
    page = client.get(reverse("partners:registration-list")).content.decode()
    assert "?target=registrations" in page
    client.force_login(channel_manager)
    page = client.get(reverse("partners:registration-list")).content.decode()
    assert "?target=registrations" not in page


def test_a_partner_column_cannot_send_registrations_to_another_partner(alice, alpha, beta):
    data = b"Customer,Partner,Organisation\nHuadong Machinery,Beta Supply,Beta Supply\n"
    job = run(alice, data, target="registrations")
    assert set(job.mapping.values()) == {"customer_name"}
    assert DealRegistration.objects.get().organisation == alpha


def test_custom_fields_of_registrations_import(alice):
    CustomField.objects.create(
        content_type=ContentType.objects.get_for_model(DealRegistration),
        name="tender_no",
        label="招标编号",
        type=CustomField.Type.TEXT,
    )
    job = run(alice, "客户名称,招标编号\n华东机械,ZB-2026-01\n".encode(), target="registrations")
    assert job.status == ImportJob.Status.DONE, (job.message, job.errors)
    assert DealRegistration.objects.get().custom_fields == {"tender_no": "ZB-2026-01"}


# --- MDF allocations -----------------------------------------------------------------------

ALLOCATIONS_CSV = (
    "Partner,Period,Amount,Currency,Note\n"
    'Alpha Trading,2026 Q1,"50,000.00",CNY,Launch campaign\n'
    "beta supply,Q1 2026,20000,CNY,\n"
    "Alpha Trading,2026 Q2,30000,,\n"
)


def test_a_channel_manager_loads_the_quarters_allocations(channel_manager, alpha, beta):
    job = run(channel_manager, ALLOCATIONS_CSV.encode(), target="mdf_allocations")
    assert job.status == ImportJob.Status.DONE, (job.message, job.errors)
    assert job.created_count == 3
    first = MdfAllocation.objects.get(organisation=alpha, period_start=datetime.date(2026, 1, 1))
    assert first.period_end == datetime.date(2026, 3, 31)
    assert first.amount == Decimal("50000.00") and first.currency == "CNY"
    assert first.note == "Launch campaign" and first.owner == channel_manager
    assert first.source == MdfAllocation.Source.MANUAL
    second = MdfAllocation.objects.get(organisation=alpha, period_start=datetime.date(2026, 4, 1))
    assert second.period_end == datetime.date(2026, 6, 30) and second.currency == "CNY"
    assert MdfAllocation.objects.get(organisation=beta).amount == Decimal("20000")
    assert audited(first).actor == channel_manager


def test_chinese_headers_and_explicit_dates_load_allocations(admin_user, alpha):
    simplified = "合作伙伴,期间,金额,币种,备注\nAlpha Trading,2026年第三季度,15000,CNY,展会\n"
    job = run(admin_user, simplified.encode("gb18030"), target="mdf_allocations")
    assert job.status == ImportJob.Status.DONE, (job.message, job.errors)
    allocation = MdfAllocation.objects.get()
    assert (allocation.period_start, allocation.period_end) == (
        datetime.date(2026, 7, 1),
        datetime.date(2026, 9, 30),
    )
    traditional = xlsx_bytes(
        [
            ["合作夥伴", "期間開始日期", "期間結束日期", "金額", "幣別"],
            ["Alpha Trading", datetime.date(2026, 10, 1), datetime.date(2026, 12, 31), 8000, "CNY"],
        ]
    )
    job = run(admin_user, traditional, target="mdf_allocations", name="額度.xlsx")
    assert job.status == ImportJob.Status.DONE, (job.message, job.errors)
    assert MdfAllocation.objects.get(period_start=datetime.date(2026, 10, 1)).amount == 8000


def test_bad_allocation_rows_are_reported_by_line_and_nothing_is_allocated(
    channel_manager, other_manager, alpha
):
    OrganisationFactory(name="Gamma Partners", channel_manager=other_manager)
    data = (
        "Partner,Period,Amount\n"
        "Alpha Trading,2026 Q1,1000\n"
        "Gamma Partners,2026 Q1,1000\n"
        "Nobody Ltd,2026 Q1,1000\n"
        "Alpha Trading,spring,1000\n"
        "Alpha Trading,2026 Q3,1000.005\n"
        "Alpha Trading,2026 Q4,-10\n"
    )
    job = preview(channel_manager, data.encode(), target="mdf_allocations")
    errors = bad_rows(job)
    assert set(errors) == {3, 4, 5, 6, 7}
    # Another channel manager's partner gets the message of a partner that does not exist.
    assert errors[3] == errors[4].replace("Nobody Ltd", "Gamma Partners")
    assert "spring" in errors[5] and "decimal places" in errors[6] and "zero" in errors[7]
    job = import_job_start(job=job, dry_run=False)
    assert job.status == ImportJob.Status.FAILED
    assert not MdfAllocation.objects.exists()


def test_allocation_duplicates_skip_or_update_but_never_below_what_is_committed(
    channel_manager, alpha, beta
):
    q1 = datetime.date(2026, 1, 1)
    alpha_funds = MdfAllocationFactory(
        organisation=alpha, period_start=q1, period_end=datetime.date(2026, 3, 31)
    )
    beta_funds = MdfAllocationFactory(
        organisation=beta, period_start=q1, period_end=datetime.date(2026, 3, 31)
    )
    MdfRequestFactory(allocation=beta_funds, organisation=beta, amount=Decimal("6000.00"))
    data = "Partner,Period,Amount\nAlpha Trading,2026 Q1,12000\nBeta Supply,2026 Q1,7000\n"
    job = run(channel_manager, data.encode(), target="mdf_allocations")
    assert (job.created_count, job.updated_count, job.skipped_count) == (0, 0, 2)
    assert {r["record_url"] for r in job.errors} == {
        alpha_funds.get_absolute_url(),
        beta_funds.get_absolute_url(),
    }
    job = run(channel_manager, data.encode(), target="mdf_allocations", on_duplicate="update")
    assert job.updated_count == 2
    alpha_funds.refresh_from_db()
    beta_funds.refresh_from_db()
    assert alpha_funds.amount == Decimal("12000") and beta_funds.amount == Decimal("7000")

    lower = "Partner,Period,Amount\nAlpha Trading,2026 Q1,15000\nBeta Supply,2026 Q1,5000\n"
    job = preview(channel_manager, lower.encode(), target="mdf_allocations", on_duplicate="update")
    assert set(bad_rows(job)) == {3} and "6000" in bad_rows(job)[3]
    job = import_job_start(job=job, dry_run=False)
    assert job.status == ImportJob.Status.FAILED
    alpha_funds.refresh_from_db()
    assert alpha_funds.amount == Decimal("12000")


def test_mdf_allocations_are_imported_by_channel_managers_and_administrators_only(
    alice, rep, channel_manager, client
):
    for user in (alice, rep):
        with pytest.raises(ValidationError) as caught:
            preview(user, ALLOCATIONS_CSV.encode(), target="mdf_allocations")
        assert "channel managers" in " ".join(caught.value.messages)
        assert "mdf_allocations" not in [t.key for t in targets_for(user)]
    client.force_login(channel_manager)
    page = client.get(reverse("partners:mdf-allocation-list")).content.decode()
    assert "?target=mdf_allocations" in page
    client.force_login(alice)
    page = client.get(reverse("partners:mdf-allocation-list")).content.decode()
    assert "?target=mdf_allocations" not in page


def test_custom_fields_of_allocations_import(channel_manager, alpha):
    CustomField.objects.create(
        content_type=ContentType.objects.get_for_model(MdfAllocation),
        name="budget_code",
        label="Budget code",
        type=CustomField.Type.TEXT,
    )
    data = b"Partner,Period,Amount,Budget code\nAlpha Trading,2026-03,500,MKT-7\n"
    job = run(channel_manager, data, target="mdf_allocations")
    assert job.status == ImportJob.Status.DONE, (job.message, job.errors)
    allocation = MdfAllocation.objects.get()
    assert allocation.custom_fields == {"budget_code": "MKT-7"}
    assert allocation.period_end == datetime.date(2026, 3, 31)


def test_generic_export_does_not_serve_the_programmes_targets(admin_user, client):
    client.force_login(admin_user)
    for key in ("partners", "registrations", "mdf_allocations"):
        assert client.get(reverse("core:export", kwargs={"target": key})).status_code == 404


def test_a_partner_imports_registrations_through_the_import_pages(alice, alpha, client):
    client.force_login(alice)
    upload = SimpleUploadedFile("deals.csv", REGISTRATIONS_CSV.encode())
    response = client.post(
        reverse("core:import-new"),
        {"file": upload, "target": "registrations", "on_duplicate": "skip"},
    )
    job = ImportJob.objects.get(created_by=alice)
    assert response.status_code == 302 and job.status == ImportJob.Status.PREVIEWED
    preview_page = client.get(reverse("core:import-detail", args=[job.pk])).content.decode()
    assert "Huadong Machinery" in preview_page
    client.post(reverse("core:import-run", args=[job.pk]))
    result = client.get(reverse("core:import-detail", args=[job.pk])).content.decode()
    assert reverse("partners:registration-list") in result
    assert DealRegistration.objects.filter(organisation=alpha).count() == 2
    # A target the partner may not import into is refused by the form, not only the service.
    upload = SimpleUploadedFile("funds.csv", ALLOCATIONS_CSV.encode())
    response = client.post(
        reverse("core:import-new"),
        {"file": upload, "target": "mdf_allocations", "on_duplicate": "skip"},
    )
    assert response.status_code == 200 and ImportJob.objects.filter(created_by=alice).count() == 1
