"""Pipelines and stages: administrators shape them, playbooks are sanitised, staff read them."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from allyance.core.models import AuditEntry, Role
from allyance.sales.models import Pipeline, Stage
from allyance.sales.services.pipelines import (
    pipeline_default,
    pipeline_save,
    playbook_sanitised,
    stage_save,
)
from tests.factories import OpportunityFactory, PipelineFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_playbook_keeps_basic_formatting_and_drops_scripts_and_handlers():
    html = (
        '<p onclick="steal()"><b>Qualify</b> the <i>budget</i></p>'
        "<script>alert(1)</script>"
        '<ul><li><a href="https://wiki.example.com/x" onmouseover="x()">guide</a></li></ul>'
        '<a href="javascript:alert(1)">bad</a><img src=x onerror="alert(1)">'
    )
    clean = playbook_sanitised(html)
    assert "<b>Qualify</b>" in clean and "<i>budget</i>" in clean
    assert "<ul><li>" in clean and 'href="https://wiki.example.com/x"' in clean
    assert "script" not in clean and "alert" not in clean
    assert "onclick" not in clean and "onmouseover" not in clean and "<img" not in clean


def test_stage_save_sanitises_the_playbook_and_checks_requirements(admin_user):
    pipeline = PipelineFactory()
    stage = Stage(
        pipeline=pipeline,
        name="Demo",
        playbook="<strong>Show the ROI</strong><script>x()</script>",
        required_fields=["close_date"],
        checklist=[{"kind": "meeting", "subject": " Demo "}],
    )
    stage_save(stage=stage, by=admin_user)
    stage.refresh_from_db()
    assert stage.playbook == "<strong>Show the ROI</strong>"
    assert stage.checklist == [{"kind": "meeting", "subject": "Demo"}]
    assert stage.order == 4  # after the factory's four stages

    stage.required_fields = ["password"]
    with pytest.raises(ValidationError) as refused:
        stage_save(stage=stage, by=admin_user)
    assert "required_fields" in refused.value.message_dict
    stage.required_fields = []
    stage.checklist = [{"kind": "dance"}]
    with pytest.raises(ValidationError):
        stage_save(stage=stage, by=admin_user)


def test_only_administrators_change_pipelines(rep):
    with pytest.raises(PermissionDenied):
        pipeline_save(pipeline=Pipeline(name="Mine"), by=rep)


def test_only_one_pipeline_is_the_default(admin_user):
    first = pipeline_save(pipeline=Pipeline(name="Direct", is_default=True), by=admin_user)
    second = pipeline_save(pipeline=Pipeline(name="Channel", is_default=True), by=admin_user)
    first.refresh_from_db()
    assert second.is_default and not first.is_default
    assert pipeline_default() == second


def test_pipeline_changes_are_audited(admin_user):
    pipeline = pipeline_save(pipeline=Pipeline(name="Audited"), by=admin_user)
    entry = AuditEntry.objects.filter(
        content_type__model="pipeline", object_id=str(pipeline.pk), action="create"
    ).get()
    assert entry.actor == admin_user


def test_admin_pages_create_a_pipeline_and_a_stage_with_requirements(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/pipelines/new/", {"name": "Projects", "is_active": "on", "order": 1, "description": ""}
    )
    pipeline = Pipeline.objects.get(name="Projects")
    assert response.status_code == 302
    response = client.post(
        f"/pipelines/{pipeline.pk}/stages/new/",
        {
            "name": "Site survey",
            "order": 0,
            "probability": 20,
            "forecast_category": "pipeline",
            "outcome": "open",
            "required_fields": ["close_date", "contacts"],
            "checklist": "meeting: Site visit\ntask",
            "playbook": "<b>Bring the drawings</b><script>x()</script>",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    stage = pipeline.stages.get()
    assert stage.required_fields == ["close_date", "contacts"]
    assert stage.checklist == [
        {"kind": "meeting", "subject": "Site visit"},
        {"kind": "task", "subject": ""},
    ]
    assert stage.playbook == "<b>Bring the drawings</b>"
    page = client.get(f"/pipelines/{pipeline.pk}/").content.decode()
    assert "Site survey" in page and "Expected close" in page


def test_a_bad_checklist_line_is_shown_beside_the_field(client, admin_user):
    pipeline = PipelineFactory()
    client.force_login(admin_user)
    response = client.post(
        f"/pipelines/{pipeline.pk}/stages/new/",
        {
            "name": "X",
            "order": 5,
            "probability": 20,
            "forecast_category": "pipeline",
            "outcome": "open",
            "checklist": "party: cake",
        },
    )
    assert response.status_code == 200
    assert 'data-field-error="checklist"' in response.content.decode()


def test_pipeline_admin_pages_are_for_administrators_only(client, rep):
    client.force_login(rep)
    assert client.get("/pipelines/").status_code == 403


def test_a_used_stage_or_pipeline_cannot_be_deleted(client, admin_user):
    deal = OpportunityFactory()
    client.force_login(admin_user)
    client.post(f"/stages/{deal.stage_id}/delete/")
    client.post(f"/pipelines/{deal.pipeline_id}/delete/")
    assert Stage.objects.filter(pk=deal.stage_id).exists()
    assert Pipeline.objects.filter(pk=deal.pipeline_id).exists()


def test_api_staff_read_pipelines_with_stages_in_order(api, rep):
    pipeline = PipelineFactory(name="Direct")
    body = api(rep).get("/api/v1/pipelines/").json()
    row = next(p for p in body if p["id"] == pipeline.pk)
    assert [s["name"] for s in row["stages"]] == ["Qualify", "Propose", "Won", "Lost"]
    assert api(rep).post("/api/v1/pipelines/", {"name": "Nope"}, format="json").status_code == 403


def test_api_admins_write_stages_with_sanitised_playbooks(api, admin_user):
    pipeline = PipelineFactory()
    response = api(admin_user).post(
        "/api/v1/pipeline-stages/",
        {
            "pipeline": pipeline.pk,
            "name": "Trial",
            "probability": 30,
            "checklist": [{"kind": "call", "subject": "Check-in"}],
            "required_fields": ["amount"],
            "playbook": "<em>Watch usage</em><script>x()</script>",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["playbook"] == "<em>Watch usage</em>"
    bad = api(admin_user).post(
        "/api/v1/pipeline-stages/",
        {"pipeline": pipeline.pk, "name": "Bad", "required_fields": ["password"]},
        format="json",
    )
    assert bad.status_code == 400


def test_api_partners_see_no_pipelines(api, partner_a_user):
    PipelineFactory()
    assert api(partner_a_user).get("/api/v1/pipelines/").json() == []


def test_partner_may_work_on_the_board_but_not_administer(client, partner_a_user):
    PipelineFactory()
    client.force_login(partner_a_user)
    assert client.get("/opportunities/board/").status_code == 200
    assert client.get("/pipelines/").status_code == 403


def test_portal_customers_have_no_board(client):
    customer = UserFactory(role=Role.CUSTOMER)
    client.force_login(customer)
    assert client.get("/opportunities/board/").status_code == 403


def test_a_stage_does_not_move_to_another_pipeline(api, admin_user):
    stage = Stage.objects.create(pipeline=PipelineFactory(), name="Only here", order=9)
    other = PipelineFactory()
    response = api(admin_user).patch(
        f"/api/v1/pipeline-stages/{stage.pk}/", {"pipeline": other.pk}, format="json"
    )
    assert response.status_code == 400 and "pipeline" in response.json()
