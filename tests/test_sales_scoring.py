"""Lead scoring: rules of every kind, the reasons in words, events from outside, re-scoring."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from allyance.core.models import AuditEntry
from allyance.sales.models import Lead, LeadEvent, ScoringRule
from allyance.sales.services.leads import lead_save
from allyance.sales.services.scoring import (
    lead_event_add,
    leads_rescore,
    reason_texts,
    scoring_rule_delete,
    scoring_rule_save,
)
from tests.factories import ActivityFactory, LeadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _jobs_run_in_process(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def rule(**fields) -> ScoringRule:
    fields.setdefault("name", f"{fields['kind']} rule")
    return ScoringRule.objects.create(**fields)


def new_lead(by, **fields) -> Lead:
    fields.setdefault("family_name", "Wang")
    return lead_save(lead=Lead(**fields), by=by)


def log_activity(lead: Lead, **fields):
    return ActivityFactory(
        account=None,
        organisation=lead.organisation,
        owner=lead.owner,
        target_type=ContentType.objects.get_for_model(Lead),
        target_id=str(lead.pk),
        **fields,
    )


def texts(lead: Lead) -> list[str]:
    """The reasons with ordinary spaces (time spans use no-break spaces)."""
    return [text.replace("\xa0", " ") for text in reason_texts(lead)]


def test_field_rule_scores_on_save_with_its_reason(rep):
    rule(kind="field", field="industry", value="manufacturing", points=20)
    rule(kind="field", field="size_band", value="1000+", points=10)
    lead = new_lead(rep, industry="manufacturing", size_band="10-49")
    assert lead.score == 20
    assert Lead.objects.get(pk=lead.pk).score == 20
    assert texts(lead) == ["+20 industry = Manufacturing"]


def test_field_rule_accepts_the_label_and_ignores_case(rep):
    rule(kind="field", field="city", value="SHANGHAI", points=5)
    rule(kind="field", field="industry", value="Manufacturing", points=7)
    lead = new_lead(rep, city="shanghai", industry="manufacturing")
    assert lead.score == 12


def test_reply_scores_with_relative_time(rep):
    rule(kind="reply", points=15)
    lead = new_lead(rep)
    assert lead.score == 0
    lead_event_add(lead=lead, kind="reply", by=rep, at=timezone.now() - timedelta(days=2))
    lead.refresh_from_db()
    assert lead.score == 15
    assert texts(lead) == ["+15 replied 2 days ago"]


def test_reasons_read_in_the_viewers_language(rep):
    rule(kind="reply", points=15)
    lead = new_lead(rep)
    lead_event_add(lead=lead, kind="reply", by=rep, at=timezone.now() - timedelta(days=2))
    lead.refresh_from_db()
    with translation.override("zh-hans"):
        text = texts(lead)[0]
    assert text.startswith("+15 ") and "2" in text


def test_activities_logged_score_once_the_threshold_is_met(rep):
    rule(kind="activity", activity_kind="call", threshold=2, points=10)
    lead = new_lead(rep)
    log_activity(lead, kind="call")
    lead.refresh_from_db()
    assert lead.score == 0
    log_activity(lead, kind="meeting")  # another kind does not count
    lead.refresh_from_db()
    assert lead.score == 0
    log_activity(lead, kind="call")
    lead.refresh_from_db()
    assert lead.score == 10
    assert texts(lead) == ["+10 2 activities of type Call logged"]


def test_feedback_rating_at_least_n(rep):
    rule(kind="feedback", threshold=4, points=8)
    lead = new_lead(rep)
    lead_event_add(lead=lead, kind="feedback", rating=3, by=rep)
    lead.refresh_from_db()
    assert lead.score == 0
    lead_event_add(lead=lead, kind="feedback", rating=5, by=rep)
    lead.refresh_from_db()
    assert lead.score == 8
    assert texts(lead)[0].startswith("+8 rated 5/5")


def test_decay_with_age_and_with_inactivity(rep):
    rule(kind="decay", decay_basis="age", threshold=7, points=-2)
    rule(kind="decay", decay_basis="inactivity", threshold=10, points=-5)
    lead = new_lead(rep)
    Lead.objects.filter(pk=lead.pk).update(created_at=timezone.now() - timedelta(days=22))
    leads_rescore()
    lead.refresh_from_db()
    # 22 days old: three steps of 7 days, two of 10 days without activity.
    assert lead.score == -6 - 10
    assert sorted(texts(lead)) == ["-10 no activity for 22 days", "-6 22 days old"]
    lead_event_add(lead=lead, kind="visit", by=rep)  # activity resets inactivity
    lead.refresh_from_db()
    assert lead.score == -6


def test_rule_change_rescores_open_leads_in_the_background(
    admin_user, rep, django_capture_on_commit_callbacks
):
    hot = LeadFactory(owner=rep, industry="manufacturing")
    cold = LeadFactory(owner=rep, industry="retail")
    done = LeadFactory(owner=rep, industry="manufacturing", status="converted")
    with django_capture_on_commit_callbacks(execute=True):
        saved = scoring_rule_save(
            rule=ScoringRule(
                name="Factories", kind="field", field="industry", value="manufacturing", points=20
            ),
            by=admin_user,
        )
    scores = dict(Lead.objects.values_list("pk", "score"))
    assert (scores[hot.pk], scores[cold.pk], scores[done.pk]) == (20, 0, 0)
    assert AuditEntry.objects.filter(object_id=str(saved.pk), action="create").exists()
    with django_capture_on_commit_callbacks(execute=True):
        scoring_rule_delete(rule=saved, by=admin_user)
    assert Lead.objects.get(pk=hot.pk).score == 0


def test_rescoring_runs_a_fixed_number_of_queries(rep):
    rule(kind="field", field="industry", value="retail", points=5)
    rule(kind="activity", points=3)
    rule(kind="reply", points=4)
    rule(kind="decay", decay_basis="inactivity", threshold=30, points=-1)
    for _ in range(30):
        LeadFactory(owner=rep, industry="retail")
    with CaptureQueriesContext(connection) as few:
        assert leads_rescore(batch_size=10) == 30
    for _ in range(30):
        LeadFactory(owner=rep, industry="retail")
    with CaptureQueriesContext(connection) as more:
        leads_rescore(batch_size=100)
    # One read per batch, one bulk update per batch: no query per lead.
    assert len(more.captured_queries) <= len(few.captured_queries)


def test_only_administrators_change_rules(rep):
    with pytest.raises(PermissionDenied):
        scoring_rule_save(rule=ScoringRule(name="x", kind="reply", points=1), by=rep)


def test_decay_rule_needs_negative_points_and_a_period(admin_user):
    with pytest.raises(ValidationError) as caught:
        scoring_rule_save(rule=ScoringRule(name="x", kind="decay", points=5), by=admin_user)
    assert {"threshold", "decay_basis", "points"} <= set(caught.value.message_dict)


def test_rules_api_staff_read_admins_write(admin_user, rep, partner_a_user, api):
    body = {"name": "Replies", "kind": "reply", "points": 15}
    assert api(rep).post("/api/v1/scoring-rules/", body, format="json").status_code == 403
    created = api(admin_user).post("/api/v1/scoring-rules/", body, format="json")
    assert created.status_code == 201, created.content
    assert api(rep).get("/api/v1/scoring-rules/").json()["results"][0]["name"] == "Replies"
    assert api(partner_a_user).get("/api/v1/scoring-rules/").json()["results"] == []
    bad = api(admin_user).post(
        "/api/v1/scoring-rules/", {"name": "d", "kind": "decay", "points": 3}, format="json"
    )
    assert bad.status_code == 400 and "points" in bad.json()


def test_events_api_scores_the_lead_and_refuses_bad_input(rep, api):
    rule(kind="visit", points=5)
    lead = new_lead(rep)
    client = api(rep)
    answer = client.post("/api/v1/lead-events/", {"lead": lead.pk, "kind": "visit"}, format="json")
    assert answer.status_code == 201, answer.content
    body = client.get(f"/api/v1/leads/{lead.pk}/").json()
    assert body["score"] == 5
    assert body["score_reason_texts"][0].startswith("+5 visited a form")
    no_rating = client.post(
        "/api/v1/lead-events/", {"lead": lead.pk, "kind": "feedback"}, format="json"
    )
    assert no_rating.status_code == 400 and "rating" in no_rating.json()
    assert LeadEvent.objects.count() == 1


def test_partner_cannot_post_events_on_another_partners_lead(partner_a_user, partner_b_user, api):
    theirs = new_lead(partner_b_user)
    answer = api(partner_a_user).post(
        "/api/v1/lead-events/", {"lead": theirs.pk, "kind": "reply"}, format="json"
    )
    assert answer.status_code == 400
    assert not LeadEvent.objects.exists()


def test_detail_page_shows_score_and_reasons(rep, client):
    rule(kind="field", field="source", value="referral", points=12)
    lead = new_lead(rep, source="referral")
    client.force_login(rep)
    html = client.get(lead.get_absolute_url()).content.decode()
    assert "+12 source = Referral" in html


def test_rules_page_for_administrators(admin_user, rep, client, django_capture_on_commit_callbacks):
    client.force_login(rep)
    assert client.get(reverse("sales:scoring-rule-list")).status_code == 403
    client.force_login(admin_user)
    lead = LeadFactory(source="website")
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            reverse("sales:scoring-rule-create"),
            {
                "name": "Web",
                "kind": "field",
                "field": "source",
                "value": "website",
                "points": 9,
                "is_active": "on",
            },
        )
    assert answer.status_code == 302
    assert Lead.objects.get(pk=lead.pk).score == 9
    html = client.get(reverse("sales:scoring-rule-list")).content.decode()
    assert "Web" in html
    bad = client.post(
        reverse("sales:scoring-rule-create"), {"name": "F", "kind": "field", "points": 1}
    )
    assert bad.status_code == 200 and 'data-field-error="field"' in bad.content.decode()


def test_daily_command_keeps_decay_current(rep):
    from io import StringIO

    from django.core.management import call_command

    rule(kind="decay", decay_basis="age", threshold=1, points=-1)
    lead = new_lead(rep)
    Lead.objects.filter(pk=lead.pk).update(created_at=timezone.now() - timedelta(days=3))
    out = StringIO()
    call_command("rescore_leads", stdout=out)
    assert Lead.objects.get(pk=lead.pk).score == -3
    assert "1 leads scored" in out.getvalue()
