"""Leads: clean entry, status flow, duplicates on entry, conversion by UI and API, import."""

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from allyance.activities.models import Activity
from allyance.core.imports import import_job_create, import_job_start
from allyance.core.models import AuditEntry, ImportJob, Role
from allyance.customers.models import Account, Contact
from allyance.sales.models import Lead, Opportunity
from allyance.sales.models.routing import AssignmentRule, LeadAssignment
from allyance.sales.services.leads import lead_convert, lead_save
from tests.factories import (
    AccountFactory,
    ActivityFactory,
    ContactFactory,
    LeadFactory,
    OpportunityFactory,
    OrganisationFactory,
    PipelineFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def pipeline():
    return PipelineFactory(name="Direct sales", is_default=True)


def new_lead(by, **fields) -> Lead:
    fields.setdefault("family_name", "Wang")
    return lead_save(lead=Lead(**fields), by=by)


def activity_on(lead: Lead, **fields) -> Activity:
    return ActivityFactory(
        account=None,
        organisation=lead.organisation,
        owner=lead.owner,
        target_type=ContentType.objects.get_for_model(Lead),
        target_id=str(lead.pk),
        **fields,
    )


# --- Entry ------------------------------------------------------------------------------


def test_phones_become_e164_and_email_lower_case(rep):
    lead = new_lead(rep, phone="021 6234 5678", mobile="138 1234 5678", email=" Wang@Example.COM ")
    assert (lead.phone, lead.mobile, lead.email) == (
        "+862162345678",
        "+8613812345678",
        "wang@example.com",
    )
    assert lead.owner == rep


def test_a_bad_phone_is_a_field_error(rep):
    with pytest.raises(ValidationError) as caught:
        new_lead(rep, phone="not a phone")
    assert "phone" in caught.value.message_dict


def test_disqualifying_needs_a_reason(rep):
    lead = new_lead(rep)
    lead.status = Lead.Status.DISQUALIFIED
    with pytest.raises(ValidationError) as caught:
        lead_save(lead=lead, by=rep)
    assert "disqualified_reason" in caught.value.message_dict
    lead.disqualified_reason = "No budget this year"
    lead_save(lead=lead, by=rep)
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.DISQUALIFIED


def test_status_cannot_be_set_to_converted_by_editing(rep):
    lead = new_lead(rep)
    lead.status = Lead.Status.CONVERTED
    with pytest.raises(ValidationError) as caught:
        lead_save(lead=lead, by=rep)
    assert "status" in caught.value.message_dict


def test_disqualify_without_reason_over_the_api_is_400(rep, api):
    lead = new_lead(rep)
    answer = api(rep).patch(f"/api/v1/leads/{lead.pk}/", {"status": "disqualified"}, format="json")
    assert answer.status_code == 400
    assert "disqualified_reason" in answer.json()


# --- Duplicates ---------------------------------------------------------------------------


def test_duplicate_flagged_by_email_against_a_contact(rep):
    contact = ContactFactory(email="li@huadong.cn")
    lead = new_lead(rep, email="LI@huadong.cn")
    assert {"type": "contact", "id": contact.pk, "why": "email"} in [
        {k: d[k] for k in ("type", "id", "why")} for d in lead.possible_duplicates
    ]


def test_duplicate_flagged_by_phone_against_a_lead_and_an_account(rep):
    earlier = new_lead(rep, family_name="Zhao", mobile="13812345678")
    account = AccountFactory(phone="+8613812345678")
    lead = new_lead(rep, phone="138-1234-5678")
    found = {(d["type"], d["id"], d["why"]) for d in lead.possible_duplicates}
    assert ("lead", earlier.pk, "phone") in found
    assert ("account", account.pk, "phone") in found


def test_duplicate_flagged_by_company_name_ignoring_case(rep):
    account = AccountFactory(name="Huadong Machinery")
    earlier = new_lead(rep, family_name="Zhao", company="HUADONG machinery")
    lead = new_lead(rep, company="huadong Machinery")
    found = {(d["type"], d["id"], d["why"]) for d in lead.possible_duplicates}
    assert ("account", account.pk, "company") in found
    assert ("lead", earlier.pk, "company") in found
    assert not any(d["type"] == "lead" and d["id"] == lead.pk for d in lead.possible_duplicates)


def test_a_lead_with_nothing_in_common_has_no_duplicates(rep):
    AccountFactory(name="Other Co", phone="+862100000000")
    lead = new_lead(rep, company="Unique Gears", email="x@unique.cn")
    assert lead.possible_duplicates == []


def test_detail_page_links_only_duplicates_the_user_may_see(partner_a_user, partner_b_user, client):
    theirs = ContactFactory(
        organisation=partner_b_user.organisation, family_name="Secretname", email="s@b.cn"
    )
    lead = new_lead(partner_a_user, email="s@b.cn")
    assert lead.possible_duplicates  # found, whoever may see it …
    client.force_login(partner_a_user)
    html = client.get(lead.get_absolute_url()).content.decode()
    assert "Secretname" not in html  # … but not shown to those who may not
    assert theirs.get_absolute_url() not in html
    assert 'data-testid="duplicates"' in html


def test_form_warns_about_duplicates_after_saving(rep, client):
    ContactFactory(email="dup@example.com", family_name="Existing", owner=rep)
    client.force_login(rep)
    answer = client.post(
        reverse("sales:lead-create"),
        {"family_name": "Newcomer", "email": "dup@example.com", "status": "new", "currency": "CNY"},
        follow=True,
    )
    html = answer.content.decode()
    assert "may be a duplicate" in html
    assert "Existing" in html


# --- Routing on create ----------------------------------------------------------------------


def test_a_new_lead_is_routed_by_the_rules(rep):
    other = UserFactory()
    rule = AssignmentRule.objects.create(
        name="Shanghai", priority=1, cities=["Shanghai"], action="user", assign_user=other
    )
    lead = new_lead(rep, city="shanghai")
    assert Lead.objects.get(pk=lead.pk).owner == other
    assert LeadAssignment.objects.get(lead=lead).rule == rule


def test_a_new_lead_is_scored_before_rules_on_the_score_route_it(rep):
    from allyance.sales.models.scoring import ScoringRule

    ScoringRule.objects.create(
        name="Manufacturing", kind="field", field="industry", value="manufacturing", points=40
    )
    hot_desk = UserFactory()
    AssignmentRule.objects.create(
        name="Hot leads", priority=1, score_min=30, action="user", assign_user=hot_desk
    )
    hot = new_lead(rep, industry="manufacturing")
    cold = new_lead(rep, industry="retail")
    assert Lead.objects.get(pk=hot.pk).owner == hot_desk
    assert Lead.objects.get(pk=cold.pk).owner != hot_desk


# --- Conversion -----------------------------------------------------------------------------


def test_converted_account_and_contact_pages_link_back_to_the_lead_and_list_the_deal(
    client, rep, pipeline
):
    lead = new_lead(rep, family_name="Xu", company="Lakeside Pumps", email="xu@lakeside.cn")
    lead = lead_convert(lead=lead, by=rep, opportunity_name="Pumps for plant 2")
    client.force_login(rep)

    account_page = client.get(lead.converted_account.get_absolute_url()).content.decode()
    assert lead.get_absolute_url() in account_page
    assert "Pumps for plant 2" in account_page
    contact_page = client.get(lead.converted_contact.get_absolute_url()).content.decode()
    assert lead.get_absolute_url() in contact_page


def test_account_page_lists_only_the_deals_the_user_may_see(client, rep, pipeline):
    account = AccountFactory(owner=rep, name="Shared Account")
    OpportunityFactory(account=account, owner=rep, name="Rep deal", pipeline=pipeline)
    partner = OrganisationFactory(name="Some Partner")
    OpportunityFactory(
        account=account, organisation=partner, owner=UserFactory(organisation=partner,
        role=Role.PARTNER_USER), name="Partner deal", pipeline=pipeline, territory=None,
    )  # fmt: skip
    client.force_login(rep)
    page = client.get(account.get_absolute_url()).content.decode()
    assert "Rep deal" in page
    assert "Partner deal" not in page


def test_conversion_creates_account_contact_opportunity_and_moves_activities(rep, pipeline):
    lead = new_lead(
        rep,
        family_name="Chen",
        given_name="Jie",
        company="Eastern Tools",
        email="chen@eastern.cn",
        budget=Decimal("50000"),
        industry="manufacturing",
    )
    call = activity_on(lead, subject="First call")
    lead = lead_convert(lead=lead, by=rep)

    assert lead.status == Lead.Status.CONVERTED and lead.converted_at
    account, contact, deal = (
        lead.converted_account,
        lead.converted_contact,
        lead.converted_opportunity,
    )
    assert account.name == "Eastern Tools" and account.industry == "manufacturing"
    assert contact.account == account and contact.email == "chen@eastern.cn"
    assert deal.account == account and deal.pipeline == pipeline
    assert deal.amount == Decimal("50000")
    assert deal.stage.order == 0
    assert list(deal.contacts.all()) == [contact]
    call.refresh_from_db()
    assert (call.account, call.contact, call.target) == (account, contact, deal)
    # The new records link back to the lead.
    assert list(deal.source_leads.all()) == [lead]
    assert list(account.source_leads.all()) == [lead]
    assert (
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Lead), object_id=str(lead.pk)
        )
        .filter(changes__has_key="status")
        .exists()
    )


def test_conversion_links_an_existing_account_and_contact(rep, pipeline):
    account = AccountFactory(owner=rep)
    contact = ContactFactory(account=account, owner=rep)
    lead = new_lead(rep)
    lead = lead_convert(lead=lead, by=rep, contact=contact, create_opportunity=False)
    assert lead.converted_account == account
    assert lead.converted_contact == contact
    assert lead.converted_opportunity is None
    assert Account.objects.count() == 1 and Contact.objects.count() == 1


def test_a_lead_is_converted_only_once(rep, pipeline):
    lead = lead_convert(lead=new_lead(rep), by=rep)
    with pytest.raises(ValidationError) as caught:
        lead_convert(lead=lead, by=rep)
    assert "status" in caught.value.message_dict
    assert Opportunity.objects.count() == 1


def test_conversion_without_a_default_pipeline_says_so(rep):
    lead = new_lead(rep)
    with pytest.raises(ValidationError) as caught:
        lead_convert(lead=lead, by=rep)
    assert "pipeline" in caught.value.message_dict
    assert Account.objects.count() == 0  # nothing half-done


def test_a_converted_lead_is_read_only_except_notes(rep, pipeline):
    lead = lead_convert(lead=new_lead(rep), by=rep)
    lead.notes = "Signed in March"
    lead_save(lead=lead, by=rep)
    lead.company = "Something else"
    with pytest.raises(ValidationError) as caught:
        lead_save(lead=lead, by=rep)
    assert "company" in caught.value.message_dict


def test_conversion_through_the_api(rep, pipeline, api):
    lead = new_lead(rep, company="Api Co", email="api@co.cn")
    client = api(rep)
    answer = client.post(
        f"/api/v1/leads/{lead.pk}/convert/",
        {"opportunity_name": "Api Co rollout", "amount": "1200.50"},
        format="json",
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["status"] == "converted"
    deal = Opportunity.objects.get(pk=body["converted_opportunity"])
    assert deal.name == "Api Co rollout" and deal.amount == Decimal("1200.50")
    again = client.post(f"/api/v1/leads/{lead.pk}/convert/", {}, format="json")
    assert again.status_code == 400
    assert "status" in again.json()


def test_conversion_through_the_api_without_pipeline_is_400(rep, api):
    lead = new_lead(rep)
    answer = api(rep).post(f"/api/v1/leads/{lead.pk}/convert/", {}, format="json")
    assert answer.status_code == 400
    assert "pipeline" in answer.json()


def test_conversion_page_lands_on_the_opportunity(rep, pipeline, client):
    lead = new_lead(rep, company="Page Co")
    client.force_login(rep)
    answer = client.post(
        reverse("sales:lead-convert", args=[lead.pk]),
        {"create_opportunity": "on", "pipeline": pipeline.pk},
    )
    lead.refresh_from_db()
    assert lead.status == Lead.Status.CONVERTED
    assert answer.status_code == 302
    assert answer["Location"] == lead.converted_opportunity.get_absolute_url()


def test_partner_cannot_see_or_convert_another_partners_lead(
    partner_a_user, partner_b_user, pipeline, api, client
):
    theirs = new_lead(partner_b_user, company="Beta prospect")
    client_a = api(partner_a_user)
    assert client_a.get(f"/api/v1/leads/{theirs.pk}/").status_code == 404
    assert client_a.post(f"/api/v1/leads/{theirs.pk}/convert/", {}).status_code == 404
    client.force_login(partner_a_user)
    assert client.get(reverse("sales:lead-convert", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("sales:lead-convert", args=[theirs.pk]), {}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Lead.Status.NEW
    # Nor may they link their own conversion to the other partner's account.
    other_account = AccountFactory(organisation=partner_b_user.organisation)
    mine = new_lead(partner_a_user)
    answer = client_a.post(
        f"/api/v1/leads/{mine.pk}/convert/", {"account": other_account.pk}, format="json"
    )
    assert answer.status_code == 400


# --- Lists and search ------------------------------------------------------------------------


def test_list_page_and_api_sort_by_score(rep, client, api):
    low = LeadFactory(owner=rep, family_name="Lowscore", score=5)
    high = LeadFactory(owner=rep, family_name="Highscore", score=90)
    client.force_login(rep)
    html = client.get(reverse("sales:lead-list")).content.decode()
    assert html.index("Highscore") < html.index("Lowscore")  # highest score first by default
    body = api(rep).get("/api/v1/leads/?ordering=-score").json()
    ids = [row["id"] for row in body["results"]]
    assert ids.index(high.pk) < ids.index(low.pk)
    body = api(rep).get("/api/v1/leads/?ordering=score").json()
    ids = [row["id"] for row in body["results"]]
    assert ids.index(low.pk) < ids.index(high.pk)


def test_list_filters_by_status(rep, client):
    LeadFactory(owner=rep, family_name="Workinglead", status="working")
    LeadFactory(owner=rep, family_name="Newlead", status="new")
    client.force_login(rep)
    html = client.get(reverse("sales:lead-list"), {"status": "working"}).content.decode()
    assert "Workinglead" in html and "Newlead" not in html


def test_lead_is_found_by_search(rep, client):
    new_lead(rep, family_name="欧阳", given_name="娜娜", company="华东机械")
    client.force_login(rep)
    html = client.get(reverse("sales:lead-list"), {"q": "华东"}).content.decode()
    assert "欧阳" in html


def test_bulk_assign_owner(rep, client):
    other = UserFactory()
    leads = [LeadFactory(owner=rep) for _ in range(2)]
    client.force_login(rep)
    client.post(
        reverse("sales:lead-list"),
        {"action": "assign_owner", "owner": other.pk, "selected": [lead.pk for lead in leads]},
    )
    assert set(Lead.objects.values_list("owner", flat=True)) == {other.pk}


# --- Import ----------------------------------------------------------------------------------


@pytest.fixture
def _jobs_run_in_process(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.mark.usefixtures("_jobs_run_in_process")
def test_import_of_leads_creates_and_routes_them(rep):
    router_target = UserFactory(role=Role.SALES_REP, username="shanghai_rep")
    AssignmentRule.objects.create(
        name="Shanghai", priority=1, cities=["上海"], action="user", assign_user=router_target
    )
    ContactFactory(email="known@example.com")
    data = (
        "姓名,公司名称,手机,邮箱,城市,行业,预算\n"
        "王小明,华东机械有限公司,138 1234 5678,Wang@Example.com,上海,制造业,20000\n"
        "李雷,西部电子,139 8765 4321,known@example.com,成都,,\n"
    ).encode()
    job = import_job_create(by=rep, target="leads", upload=SimpleUploadedFile("leads.csv", data))
    job = import_job_start(job=job, dry_run=True)
    assert job.status == ImportJob.Status.PREVIEWED, (job.message, job.errors)
    job = import_job_start(job=job, dry_run=False)
    assert job.status == ImportJob.Status.DONE, (job.message, job.errors)
    wang = Lead.objects.get(family_name="王")
    assert (wang.given_name, wang.company, wang.mobile) == (
        "小明",
        "华东机械有限公司",
        "+8613812345678",
    )
    assert wang.email == "wang@example.com" and wang.budget == Decimal("20000")
    assert wang.industry == "manufacturing"
    assert wang.owner == router_target  # routed on create
    li = Lead.objects.get(family_name="李")
    assert li.owner == rep
    assert [d["type"] for d in li.possible_duplicates] == ["contact"]


def test_a_call_logged_on_the_lead_shows_on_its_timeline_and_scores(rep, client):
    from allyance.sales.models import ScoringRule

    ScoringRule.objects.create(name="Calls", kind="activity", activity_kind="call", points=7)
    lead = new_lead(rep)
    client.force_login(rep)
    answer = client.post(
        reverse("sales:lead-log-activity", args=[lead.pk]),
        {"kind": "call", "subject": "Discovery call", "status": "done", "priority": "normal"},
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert answer["Location"] == lead.get_absolute_url()
    html = client.get(lead.get_absolute_url()).content.decode()
    assert "Discovery call" in html
    assert "+7 1 activity of type Call logged" in html


def test_leads_export_as_csv(rep, client):
    LeadFactory(owner=rep, family_name="Exported", company="Export Co")
    client.force_login(rep)
    answer = client.get(reverse("core:export", kwargs={"target": "leads"}), {"format": "csv"})
    assert answer.status_code == 200
    body = b"".join(answer.streaming_content) if answer.streaming else answer.content
    assert "Export Co" in body.decode("utf-8-sig")


def test_import_page_offers_leads(rep, client):
    client.force_login(rep)
    answer = client.get(reverse("core:import-new"), {"target": "leads"})
    assert answer.status_code == 200
    assert 'value="leads"' in answer.content.decode()


def test_api_lists_duplicates_without_a_query_per_lead(rep, api):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    hidden = ContactFactory(email="hidden@example.com", family_name="Hiddenname")
    for n in range(3):
        new_lead(rep, family_name=f"Dup{n}", email="hidden@example.com")
    client = api(rep)
    client.get("/api/v1/leads/")  # warm the caches (content types, custom fields)
    with CaptureQueriesContext(connection) as few:
        body = client.get("/api/v1/leads/").json()
    for n in range(3, 9):
        new_lead(rep, family_name=f"Dup{n}", email="hidden@example.com")
    with CaptureQueriesContext(connection) as more:
        client.get("/api/v1/leads/")
    assert len(more.captured_queries) == len(few.captured_queries)
    contact_entries = [
        d for row in body["results"] for d in row["possible_duplicates"] if d["type"] == "contact"
    ]
    # The rep may not see the contact: the match is reported, its name and id are not.
    assert contact_entries and all(d["id"] is None and d["label"] == "" for d in contact_entries)
    assert "Hiddenname" not in str(body)
    assert hidden.pk


def test_converted_lead_form_keeps_all_but_notes(rep, pipeline, client):
    lead = lead_convert(lead=new_lead(rep, company="Locked Co"), by=rep)
    client.force_login(rep)
    url = reverse("sales:lead-edit", args=[lead.pk])
    form = client.get(url).context["form"]
    assert form.fields["company"].disabled and not form.fields["notes"].disabled
    answer = client.post(
        url,
        {"company": "Changed", "notes": "Kick-off in May", "version": lead.version},
    )
    assert answer.status_code == 302, answer.content.decode()[:3000]
    lead = Lead.objects.get(pk=lead.pk)
    assert (lead.company, lead.notes) == ("Locked Co", "Kick-off in May")
