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


def done_activity(opportunity: Opportunity, *, kind: str, subject: str, status="done"):
    return ActivityFactory(
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
