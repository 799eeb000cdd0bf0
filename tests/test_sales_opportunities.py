"""Opportunities: saving with defaults, moving through stages, and the rules a move keeps."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError

from allyance.activities.models import Activity
from allyance.core.models import Role
from allyance.sales.models import Opportunity, Pipeline, Stage, StageChange
from allyance.sales.services.opportunities import opportunity_move, opportunity_save
from tests.factories import (
    AccountFactory,
    ActivityFactory,
    OpportunityFactory,
    PipelineFactory,
    TerritoryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def stage_named(pipeline: Pipeline, name: str) -> Stage:
    return pipeline.stages.get(name=name)


def my_deal(user, **fields) -> Opportunity:
    """A deal the user owns, on an account the user owns (so forms offer it)."""
    account = AccountFactory(owner=user, organisation=user.organisation)
    return OpportunityFactory(owner=user, organisation=user.organisation, account=account, **fields)


def done_activity(opportunity: Opportunity, *, kind: str, subject: str, status="done"):
    return ActivityFactory(
        owner=opportunity.owner,
        kind=kind,
        subject=subject,
        status=status,
        account=opportunity.account,
        organisation=opportunity.organisation,
        target_type=ContentType.objects.get_for_model(Opportunity),
        target_id=str(opportunity.pk),
    )


# --- opportunity_save -----------------------------------------------------------------------


def test_new_deal_gets_owner_default_pipeline_first_stage_and_a_stage_change(rep):
    territory = TerritoryFactory()
    account = AccountFactory(territory=territory)
    deal = opportunity_save(
        opportunity=Opportunity(name="Boilers for plant 2", account=account, amount=50000),
        by=rep,
    )
    deal.refresh_from_db()
    assert deal.owner == rep
    assert deal.organisation == rep.organisation
    assert deal.pipeline.name == "Sales"
    assert [s.name for s in deal.pipeline.stages.order_by("order")] == [
        "Qualification",
        "Needs analysis",
        "Proposal",
        "Negotiation",
        "Won",
        "Lost",
    ]
    assert deal.stage.name == "Qualification"
    assert deal.probability == 10
    assert deal.forecast_category == "pipeline"
    assert deal.outcome == "open"
    assert deal.territory == territory
    assert deal.stage_entered_at is not None
    change = StageChange.objects.get(opportunity=deal)
    assert change.from_stage is None and change.to_stage == deal.stage
    assert change.changed_by == rep


def test_the_default_pipeline_is_the_one_marked_default():
    PipelineFactory(name="Channel")
    marked = PipelineFactory(name="Enterprise", is_default=True)
    deal = opportunity_save(
        opportunity=Opportunity(name="Deal", account=AccountFactory()), by=UserFactory()
    )
    assert deal.pipeline == marked
    assert deal.stage == marked.stages.order_by("order").first()


def test_save_refuses_a_stage_of_another_pipeline_no_account_and_negative_amount(rep):
    mine, other = PipelineFactory(), PipelineFactory()
    with pytest.raises(ValidationError) as refused:
        opportunity_save(
            opportunity=Opportunity(
                name="Deal", pipeline=mine, stage=other.stages.first(), amount=-5, currency="XXX"
            ),
            by=rep,
        )
    assert set(refused.value.message_dict) == {"stage", "account", "amount", "currency"}


# --- opportunity_move -----------------------------------------------------------------------


def test_move_refused_for_a_missing_required_field_then_allowed(rep):
    deal = OpportunityFactory(owner=rep, close_date=None)
    propose = stage_named(deal.pipeline, "Propose")
    propose.required_fields = ["close_date", "next_step"]
    propose.save()
    with pytest.raises(ValidationError) as refused:
        opportunity_move(opportunity=deal, stage=propose, by=rep)
    message = " ".join(refused.value.message_dict["stage"])
    assert "Propose" in message and "expected close" in message and "next step" in message
    deal.refresh_from_db()
    assert deal.stage.name == "Qualify"

    deal.close_date = datetime.date(2026, 12, 31)
    deal.next_step = "Send the quote"
    opportunity_move(opportunity=deal, stage=propose, by=rep)
    deal.refresh_from_db()
    assert deal.stage == propose
    assert deal.probability == 50 and deal.forecast_category == "best_case"


def test_move_refused_until_the_checklist_activity_is_done(rep):
    deal = OpportunityFactory(owner=rep)
    propose = stage_named(deal.pipeline, "Propose")
    propose.checklist = [{"kind": "meeting", "subject": "Demo"}]
    propose.save()
    done_activity(deal, kind="meeting", subject="Product demo", status="planned")
    done_activity(deal, kind="call", subject="Demo follow-up")  # done, but the wrong kind
    with pytest.raises(ValidationError) as refused:
        opportunity_move(opportunity=deal, stage=propose, by=rep)
    assert "Meeting “Demo”" in refused.value.message_dict["stage"][0]

    Activity.objects.filter(kind="meeting").update(status="done")
    opportunity_move(opportunity=deal, stage=propose, by=rep)
    deal.refresh_from_db()
    assert deal.stage == propose


def test_won_sets_outcome_and_closed_at_and_closed_deals_stay_closed(rep):
    deal = OpportunityFactory(owner=rep)
    won, qualify = stage_named(deal.pipeline, "Won"), stage_named(deal.pipeline, "Qualify")
    opportunity_move(opportunity=deal, stage=won, by=rep)
    deal.refresh_from_db()
    assert deal.outcome == "won" and deal.closed_at is not None
    assert deal.probability == 100 and deal.forecast_category == "closed"

    with pytest.raises(ValidationError) as refused:
        opportunity_move(opportunity=deal, stage=qualify, by=rep)
    assert "Reopen" in refused.value.message_dict["stage"][0]

    opportunity_move(opportunity=deal, stage=qualify, by=rep, reopen=True)
    deal.refresh_from_db()
    assert deal.outcome == "open" and deal.closed_at is None


def test_lost_needs_a_loss_reason(rep):
    deal = OpportunityFactory(owner=rep)
    lost = stage_named(deal.pipeline, "Lost")
    with pytest.raises(ValidationError) as refused:
        opportunity_move(opportunity=deal, stage=lost, by=rep)
    assert "loss_reason" in refused.value.message_dict
    opportunity_move(opportunity=deal, stage=lost, by=rep, loss_reason="Price too high")
    deal.refresh_from_db()
    assert deal.outcome == "lost" and deal.loss_reason == "Price too high"
    assert deal.closed_at is not None


def test_editing_the_stage_goes_through_the_move_rules(rep):
    deal = OpportunityFactory(owner=rep)
    propose = stage_named(deal.pipeline, "Propose")
    propose.required_fields = ["next_step"]
    propose.save()
    deal.stage = propose
    with pytest.raises(ValidationError):
        opportunity_save(opportunity=deal, by=rep)
    deal.next_step = "Call the buyer"
    opportunity_save(opportunity=deal, by=rep)
    assert StageChange.objects.filter(opportunity=deal, to_stage=propose).exists()


def test_time_in_stage_is_logged_on_each_move(rep):
    deal = opportunity_save(
        opportunity=Opportunity(name="Deal", account=AccountFactory(), pipeline=PipelineFactory()),
        by=rep,
    )
    Opportunity.objects.filter(pk=deal.pk).update(
        stage_entered_at=deal.stage_entered_at - datetime.timedelta(days=3)
    )
    deal.refresh_from_db()
    opportunity_move(opportunity=deal, stage=stage_named(deal.pipeline, "Propose"), by=rep)
    change = StageChange.objects.filter(opportunity=deal).last()
    assert change.from_stage.name == "Qualify"
    assert 3 * 86400 <= change.seconds_in_from_stage < 3 * 86400 + 60


def test_partner_creates_a_deal_in_their_own_organisation(partner_a_user):
    deal = opportunity_save(
        opportunity=Opportunity(
            name="Reseller deal", account=AccountFactory(organisation=partner_a_user.organisation)
        ),
        by=partner_a_user,
    )
    assert deal.organisation == partner_a_user.organisation
    assert deal.owner == partner_a_user
    assert partner_a_user.role == Role.PARTNER_USER


# --- Pages ----------------------------------------------------------------------------------


def test_detail_page_shows_stage_progress_playbook_next_checklist_and_timeline(client, rep):
    deal = my_deal(rep)
    qualify, propose = stage_named(deal.pipeline, "Qualify"), stage_named(deal.pipeline, "Propose")
    qualify.playbook = "<p><b>Ask about budget</b></p>"
    qualify.save()
    propose.checklist = [{"kind": "meeting", "subject": "Demo"}]
    propose.save()
    done_activity(deal, kind="call", subject="Discovery call")
    client.force_login(rep)
    html = client.get(deal.get_absolute_url()).content.decode()
    assert "<b>Ask about budget</b>" in html
    assert "Meeting “Demo”" in html and 'data-done="false"' in html
    assert "Discovery call" in html
    assert 'data-testid="stage-history"' in html


def test_board_shows_columns_with_counts_and_totals_per_currency(client, rep):
    pipeline = PipelineFactory()
    qualify = stage_named(pipeline, "Qualify")
    propose = stage_named(pipeline, "Propose")
    for amount in (1000, 2500):
        OpportunityFactory(owner=rep, pipeline=pipeline, stage=qualify, amount=amount)
    OpportunityFactory(owner=rep, pipeline=pipeline, stage=qualify, amount=700, currency="USD")
    OpportunityFactory(owner=rep, pipeline=pipeline, stage=propose, amount=9000, name="Big one")
    client.force_login(rep)
    response = client.get("/opportunities/board/", {"pipeline": pipeline.pk})
    columns = {c.stage.name: c for c in response.context["columns"]}
    assert columns["Qualify"].count == 3
    assert columns["Qualify"].totals == {"CNY": 3500, "USD": 700}
    assert columns["Propose"].count == 1 and columns["Propose"].cards[0].name == "Big one"
    assert columns["Won"].count == 0
    html = response.content.decode()
    assert "3,500 CNY" in html and "700 USD" in html


def test_a_board_card_shows_the_deal_and_where_to_move_it(client, rep):
    from django.test.html import parse_html

    pipeline = PipelineFactory()
    deal = OpportunityFactory(
        owner=rep, pipeline=pipeline, stage=stage_named(pipeline, "Propose"), name="Big <one>",
        amount=12500, currency="USD", close_date=datetime.date(2026, 3, 31),
        account=AccountFactory(name="华东机械"),
    )  # fmt: skip
    client.force_login(rep)

    html = client.get("/opportunities/board/", {"pipeline": pipeline.pk}).content.decode()

    card = parse_html(
        f'<article class="card card-sm board-card" data-id="{deal.pk}" data-version="1" '
        f'data-move-url="/opportunities/{deal.pk}/move/" data-testid="board-card" '
        'style="cursor: grab;"><div class="card-body p-2">'
        f'<a class="fw-bold d-block text-truncate" href="/opportunities/{deal.pk}/">'
        "Big &lt;one&gt;</a>"
        '<div class="small text-truncate">华东机械</div>'
        '<div class="d-flex small text-secondary"><span>12,500 USD</span>'
        '<span class="ms-auto">03/31/2026</span></div>'
        '<div class="small text-secondary text-truncate">'
        f'<i class="ti ti-user me-1" aria-hidden="true"></i>{rep}</div></div></article>'
    )
    assert parse_html(html).count(card) == 1


def test_the_board_reads_the_same_few_queries_for_few_or_many_cards(client, rep):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    pipeline = PipelineFactory()
    client.force_login(rep)
    counts = []
    for deals in (2, 20):
        OpportunityFactory.create_batch(deals, owner=rep, pipeline=pipeline)
        with CaptureQueriesContext(connection) as queries:
            client.get("/opportunities/board/", {"pipeline": pipeline.pk})
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_board_cards_are_limited_per_column_with_a_link_to_the_rest(rep):
    from allyance.sales.selectors.opportunities import board_columns

    pipeline = PipelineFactory()
    for amount in range(5):
        OpportunityFactory(owner=rep, pipeline=pipeline, amount=amount * 100)
    columns = board_columns(rep, pipeline=pipeline, per_column=3)
    first = columns[0]
    assert first.count == 5 and first.more == 2
    assert [int(card.amount) for card in first.cards] == [400, 300, 200]


def test_board_my_deals_shows_only_mine(client, rep):
    manager = UserFactory(role=Role.ADMIN)
    pipeline = PipelineFactory()
    OpportunityFactory(owner=rep, pipeline=pipeline, name="Rep deal")
    OpportunityFactory(owner=manager, pipeline=pipeline, name="Manager deal")
    client.force_login(manager)
    html = client.get("/opportunities/board/", {"pipeline": pipeline.pk, "mine": "1"}).content
    assert b"Manager deal" in html and b"Rep deal" not in html


def test_board_shows_a_partner_only_their_own_deals(client, partner_a_user, partner_b_user):
    pipeline = PipelineFactory()
    OpportunityFactory(
        pipeline=pipeline, organisation=partner_a_user.organisation, name="Alpha deal"
    )
    OpportunityFactory(
        pipeline=pipeline, organisation=partner_b_user.organisation, name="Beta deal"
    )
    client.force_login(partner_a_user)
    html = client.get("/opportunities/board/", {"pipeline": pipeline.pk}).content
    assert b"Alpha deal" in html and b"Beta deal" not in html


def test_board_move_endpoint_answers_json_and_refusals_with_the_reason(client, rep):
    deal = OpportunityFactory(owner=rep)
    propose = stage_named(deal.pipeline, "Propose")
    propose.required_fields = ["next_step"]
    propose.save()
    client.force_login(rep)
    url = f"/opportunities/{deal.pk}/move/"
    refused = client.post(url, {"stage": propose.pk}, headers={"accept": "application/json"})
    assert refused.status_code == 400
    assert "next step" in refused.json()["message"]
    deal.next_step = "Quote"
    deal.save()
    moved = client.post(
        url, {"stage": propose.pk, "version": deal.version}, headers={"accept": "application/json"}
    )
    assert moved.status_code == 200, moved.content
    counts = {c["stage"]: c["count"] for c in moved.json()["columns"]}
    assert counts[propose.pk] == 1
    stale = client.post(
        url,
        {"stage": stage_named(deal.pipeline, "Qualify").pk, "version": deal.version},
        headers={"accept": "application/json"},
    )
    assert stale.status_code == 409


def test_edit_form_refuses_a_stage_with_unmet_requirements_beside_the_field(client, rep):
    deal = my_deal(rep)
    propose = stage_named(deal.pipeline, "Propose")
    propose.required_fields = ["close_date"]
    propose.save()
    client.force_login(rep)
    response = client.post(
        f"/opportunities/{deal.pk}/edit/",
        {
            "name": deal.name,
            "account": deal.account_id,
            "pipeline": deal.pipeline_id,
            "stage": propose.pk,
            "amount": "10000",
            "currency": "CNY",
            "probability": 10,
            "version": deal.version,
        },
    )
    assert response.status_code == 200
    assert 'data-field-error="stage"' in response.content.decode()
    deal.refresh_from_db()
    assert deal.stage.name == "Qualify"


def test_create_form_makes_a_deal_in_the_default_pipeline(client, rep):
    account = AccountFactory(owner=rep)
    client.force_login(rep)
    response = client.post(
        "/opportunities/new/",
        {"name": "New boiler", "account": account.pk, "amount": "1200", "currency": "CNY"},
    )
    deal = Opportunity.objects.get(name="New boiler")
    assert response.status_code == 302 and response.url == deal.get_absolute_url()
    assert deal.stage.name == "Qualification"


def test_logging_an_activity_on_the_deal_ticks_off_the_checklist(client, rep):
    deal = my_deal(rep)
    propose = stage_named(deal.pipeline, "Propose")
    propose.checklist = [{"kind": "meeting", "subject": "Demo"}]
    propose.save()
    client.force_login(rep)
    page = client.get(f"/opportunities/{deal.pk}/log-activity/?kind=meeting&subject=Demo")
    assert page.status_code == 200
    response = client.post(
        f"/opportunities/{deal.pk}/log-activity/",
        {
            "kind": "meeting",
            "subject": "Demo",
            "status": "done",
            "priority": "normal",
            "account": deal.account_id,
            "owner": rep.pk,
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    opportunity_move(opportunity=deal, stage=propose, by=rep)


def test_contacts_with_roles_are_added_and_removed(client, rep):
    from tests.factories import ContactFactory

    deal = my_deal(rep)
    contact = ContactFactory(account=deal.account, organisation=deal.organisation, owner=rep)
    client.force_login(rep)
    client.post(f"/opportunities/{deal.pk}/contacts/", {"contact": contact.pk, "role": "champion"})
    link = deal.contact_roles.get()
    assert link.contact == contact and link.role == "champion"
    client.post(f"/opportunities/{deal.pk}/contacts/{link.pk}/remove/")
    assert not deal.contact_roles.exists()


def test_list_page_filters_by_stage_and_amount(client, rep):
    pipeline = PipelineFactory()
    OpportunityFactory(owner=rep, pipeline=pipeline, amount=50, name="Small deal")
    OpportunityFactory(owner=rep, pipeline=pipeline, amount=5000, name="Large deal")
    client.force_login(rep)
    html = client.get("/opportunities/", {"amount_min": 1000, "pipeline": pipeline.pk}).content
    assert b"Large deal" in html and b"Small deal" not in html


# --- API ------------------------------------------------------------------------------------


def test_api_move_refused_is_a_400_naming_what_is_missing(api, rep):
    deal = OpportunityFactory(owner=rep)
    propose = stage_named(deal.pipeline, "Propose")
    propose.checklist = [{"kind": "meeting", "subject": "Demo"}]
    propose.save()
    client = api(rep)
    refused = client.post(
        f"/api/v1/opportunities/{deal.pk}/move/", {"stage": propose.pk}, format="json"
    )
    assert refused.status_code == 400
    assert "Demo" in refused.json()["stage"][0]
    done_activity(deal, kind="meeting", subject="Demo")
    moved = client.post(
        f"/api/v1/opportunities/{deal.pk}/move/", {"stage": propose.pk}, format="json"
    )
    assert moved.status_code == 200 and moved.json()["stage"] == propose.pk
    history = client.get(f"/api/v1/opportunities/{deal.pk}/stage-history/").json()
    assert [h["to_stage_name"] for h in history] == ["Propose"]
    assert history[0]["from_stage_name"] == "Qualify"


def test_api_creates_a_deal_with_defaults_and_refuses_a_foreign_stage(api, rep):
    account = AccountFactory(owner=rep)
    client = api(rep)
    created = client.post(
        "/api/v1/opportunities/", {"name": "API deal", "account": account.pk}, format="json"
    )
    assert created.status_code == 201, created.content
    assert created.json()["probability"] == 10
    pipeline = Opportunity.objects.get(pk=created.json()["id"]).pipeline
    other = PipelineFactory()
    refused = client.post(
        "/api/v1/opportunities/",
        {
            "name": "Bad",
            "account": account.pk,
            "pipeline": pipeline.pk,
            "stage": other.stages.first().pk,
        },
        format="json",
    )
    assert refused.status_code == 400 and "stage" in refused.json()


def test_api_opportunity_contacts_nested_and_written_separately(api, rep):
    from tests.factories import ContactFactory

    deal = my_deal(rep)
    contact = ContactFactory(account=deal.account, organisation=deal.organisation, owner=rep)
    client = api(rep)
    added = client.post(
        "/api/v1/opportunity-contacts/",
        {"opportunity": deal.pk, "contact": contact.pk, "role": "decision_maker"},
        format="json",
    )
    assert added.status_code == 201, added.content
    body = client.get(f"/api/v1/opportunities/{deal.pk}/").json()
    assert body["contact_roles"][0]["role"] == "decision_maker"


def test_search_finds_a_deal_by_its_account_name(client, rep):
    from allyance.core.search import global_search

    account = AccountFactory(name="华东机械")
    OpportunityFactory(owner=rep, account=account, name="Pumps")
    groups = {g["type"]: g["rows"] for g in global_search(rep, "华东")}
    assert [deal.name for deal in groups["opportunities"]] == ["Pumps"]


def test_time_in_each_stage_sums_every_visit_and_counts_the_current_one_to_now(rep):
    from allyance.sales.selectors.opportunities import time_in_stages

    deal = opportunity_save(
        opportunity=Opportunity(name="Deal", account=AccountFactory(), pipeline=PipelineFactory()),
        by=rep,
    )
    qualify, propose = stage_named(deal.pipeline, "Qualify"), stage_named(deal.pipeline, "Propose")
    day = datetime.timedelta(days=1)

    def spend(days: int, then: Stage) -> None:
        Opportunity.objects.filter(pk=deal.pk).update(
            stage_entered_at=deal.stage_entered_at - days * day
        )
        deal.refresh_from_db()
        opportunity_move(opportunity=deal, stage=then, by=rep)

    spend(2, propose)  # two days in Qualify
    spend(1, qualify)  # one day in Propose
    spend(3, propose)  # three more days in Qualify
    Opportunity.objects.filter(pk=deal.pk).update(stage_entered_at=deal.stage_entered_at - day)
    deal.refresh_from_db()
    times = {t.stage.name: t for t in time_in_stages(deal)}
    assert round(times["Qualify"].days) == 5 and times["Qualify"].visits == 2
    assert round(times["Propose"].days) == 2 and times["Propose"].current
    assert times["Won"].seconds == 0
