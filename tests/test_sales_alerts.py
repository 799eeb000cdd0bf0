"""Sales alerts: a large deal tells the sales manager once; a stalled deal tells its owner once
per stall episode; the daily scan queues itself without multiplying."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from allyance.core.models import Notification, Role
from allyance.sales.models import AlertSettings, Opportunity, StalledDealAlert
from allyance.sales.services import alerts
from allyance.sales.tasks.alerts import stalled_deals_scan_task
from tests.factories import (
    ActivityFactory,
    OpportunityFactory,
    PipelineFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def large(kind):
    return Notification.objects.filter(kind=alerts.LARGE_DEAL_KIND, recipient=kind)


def test_a_large_deal_notifies_the_owners_team_manager_once_and_emails_them(
    immediate_tasks, django_capture_on_commit_callbacks
):
    manager = UserFactory(role=Role.SALES_MANAGER, email="boss@example.com")
    other_manager = UserFactory(role=Role.SALES_MANAGER)
    rep = UserFactory()
    team = TeamFactory(manager=manager)
    team.members.add(rep)
    deal = OpportunityFactory(owner=rep, amount=Decimal("1500000"), currency="CNY")

    with django_capture_on_commit_callbacks(execute=True):
        notified = alerts.large_deal_check(opportunity=deal)

    assert notified == [manager]
    [note] = large(manager)
    assert deal.name in note.message and "1,500,000.00 CNY" in note.message
    assert not large(other_manager).exists()  # the owner's own manager, not every manager
    assert [m.to for m in mail.outbox] == [["boss@example.com"]]
    assert deal.name in mail.outbox[0].subject

    with django_capture_on_commit_callbacks(execute=True):
        assert alerts.large_deal_check(opportunity=deal) == []  # the same size: not again
    assert large(manager).count() == 1
    assert len(mail.outbox) == 1


def test_a_deal_that_grows_is_alerted_again_at_the_new_size(django_capture_on_commit_callbacks):
    manager = UserFactory(role=Role.SALES_MANAGER)
    deal = OpportunityFactory(owner=UserFactory(), amount=Decimal("1000000"))
    alerts.large_deal_check(opportunity=deal)
    Opportunity.objects.filter(pk=deal.pk).update(amount=Decimal("900000"))
    deal.refresh_from_db()
    alerts.large_deal_check(opportunity=deal)  # smaller than alerted: nothing
    Opportunity.objects.filter(pk=deal.pk).update(amount=Decimal("2500000"))
    deal.refresh_from_db()
    alerts.large_deal_check(opportunity=deal)
    assert large(manager).count() == 2


def test_without_a_team_manager_every_sales_manager_is_told():
    first, second = UserFactory(role=Role.SALES_MANAGER), UserFactory(role=Role.SALES_MANAGER)
    UserFactory(role=Role.SALES_MANAGER, is_active=False)
    deal = OpportunityFactory(owner=UserFactory(), amount=Decimal("1000000"))
    assert set(alerts.large_deal_check(opportunity=deal)) == {first, second}


def test_small_deals_and_other_currencies_are_not_alerted():
    manager = UserFactory(role=Role.SALES_MANAGER)
    small = OpportunityFactory(owner=UserFactory(), amount=Decimal("999999.99"))
    dollars = OpportunityFactory(owner=UserFactory(), amount=Decimal("5000000"), currency="USD")
    assert alerts.large_deal_check(opportunity=small) == []
    assert alerts.large_deal_check(opportunity=dollars) == []
    assert not large(manager).exists()


def test_the_threshold_is_configurable_by_administrators_only(client, admin_user, rep):
    manager = UserFactory(role=Role.SALES_MANAGER)
    client.force_login(rep)
    assert client.get(reverse("sales:alert-settings")).status_code == 403
    client.force_login(admin_user)
    response = client.post(
        reverse("sales:alert-settings"),
        {"large_deal_amount": "5000", "large_deal_currency": "USD"},
    )
    assert response.status_code == 302
    assert AlertSettings.current().large_deal_amount == Decimal("5000.00")
    deal = OpportunityFactory(owner=rep, amount=Decimal("5000"), currency="USD")
    assert alerts.large_deal_check(opportunity=deal) == [manager]
    bad = client.post(
        reverse("sales:alert-settings"), {"large_deal_amount": "-1", "large_deal_currency": "USD"}
    )
    assert bad.status_code == 200 and "large_deal_amount" in bad.content.decode()


# ---------------------------------------------------------------- stalled deals


def ago(days: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


@pytest.fixture
def stalling_pipeline():
    pipeline = PipelineFactory()
    pipeline.stages.filter(name="Qualify").update(stall_days=7)
    return pipeline


def open_deal(pipeline, owner, *, entered_days_ago: float):
    deal = OpportunityFactory(pipeline=pipeline, owner=owner)
    Opportunity.objects.filter(pk=deal.pk).update(
        created_at=ago(entered_days_ago + 1), stage_entered_at=ago(entered_days_ago)
    )
    return deal


def log_activity(deal, days_ago: float):
    activity = ActivityFactory(
        owner=deal.owner,
        account=deal.account,
        target_type=ContentType.objects.get_for_model(Opportunity),
        target_id=str(deal.pk),
    )
    type(activity).objects.filter(pk=activity.pk).update(created_at=ago(days_ago))


def stalled_notes(user):
    return Notification.objects.filter(kind=alerts.STALLED_DEAL_KIND, recipient=user)


def test_a_stalled_deal_notifies_its_owner_once_per_stall_episode(stalling_pipeline):
    owner = UserFactory()
    stalled = open_deal(stalling_pipeline, owner, entered_days_ago=10)
    fresh = open_deal(stalling_pipeline, owner, entered_days_ago=3)
    busy = open_deal(stalling_pipeline, owner, entered_days_ago=30)
    log_activity(busy, days_ago=2)

    assert alerts.stalled_deals_notify() == 1
    [note] = stalled_notes(owner)
    assert stalled.name in note.message and "Qualify" in note.message
    assert alerts.stalled_deals_notify() == 0  # the same episode: not again
    assert fresh.name not in note.message

    # An activity ends the episode; when the deal falls quiet again, a new one starts.
    log_activity(stalled, days_ago=8)
    assert alerts.stalled_deals_notify() == 1
    assert stalled_notes(owner).count() == 2
    assert StalledDealAlert.objects.filter(opportunity=stalled).count() == 2


def test_stages_without_stall_days_and_closed_deals_never_stall(stalling_pipeline):
    owner = UserFactory()
    propose = stalling_pipeline.stages.get(name="Propose")
    deal = open_deal(stalling_pipeline, owner, entered_days_ago=100)
    Opportunity.objects.filter(pk=deal.pk).update(stage=propose)
    won = stalling_pipeline.stages.get(name="Won")
    closed = open_deal(stalling_pipeline, owner, entered_days_ago=100)
    Opportunity.objects.filter(pk=closed.pk).update(stage=won, outcome="won")
    assert alerts.stalled_deals_notify() == 0


def test_the_forecast_page_lists_stalled_deals_the_user_may_see(client, stalling_pipeline):
    rep, other = UserFactory(), UserFactory()
    mine = open_deal(stalling_pipeline, rep, entered_days_ago=10)
    theirs = open_deal(stalling_pipeline, other, entered_days_ago=10)
    client.force_login(rep)
    html = client.get(reverse("sales:forecast")).content.decode()
    assert mine.name in html
    assert theirs.name not in html


def test_the_longest_quiet_deals_come_first_and_only_as_many_as_asked(stalling_pipeline):
    from allyance.sales.selectors.reports import stalled_deals_first

    rep, other = UserFactory(), UserFactory()
    deals = {days: open_deal(stalling_pipeline, rep, entered_days_ago=days) for days in (9, 30, 12)}
    log_activity(deals[30], days_ago=8)  # still quiet, but for fewer days than the 12
    open_deal(stalling_pipeline, rep, entered_days_ago=3)  # not stalled yet
    open_deal(stalling_pipeline, other, entered_days_ago=40)  # not the rep's to see

    first_two = stalled_deals_first(rep, limit=2)
    every = stalled_deals_first(rep, limit=10)

    assert [d.pk for d in first_two] == [deals[12].pk, deals[9].pk]
    assert [d.pk for d in every] == [deals[12].pk, deals[9].pk, deals[30].pk]
    assert every[0].owner == rep and every[0].stage.name == "Qualify"  # read with the card


def test_the_daily_scan_queues_itself_once(stalling_pipeline, django_capture_on_commit_callbacks):
    owner = UserFactory()
    open_deal(stalling_pipeline, owner, entered_days_ago=10)
    with django_capture_on_commit_callbacks(execute=True):
        first = alerts.stalled_scan_schedule()
        again = alerts.stalled_scan_schedule()
    assert first == again
    [queued] = DBTaskResult.objects.filter(task_path__endswith="stalled_deals_scan_task")
    assert queued.run_after == first
    key = queued.args_kwargs["kwargs"]["scheduled_for"]

    # The worker runs it: owners are told, and tomorrow's scan is queued (one chain only).
    with django_capture_on_commit_callbacks(execute=True):
        assert stalled_deals_scan_task.call(scheduled_for=key) == 1
    assert stalled_notes(owner).count() == 1
    assert DBTaskResult.objects.filter(task_path__endswith="stalled_deals_scan_task").count() == 2
    assert AlertSettings.current().stalled_scan_next_at > first
    with django_capture_on_commit_callbacks(execute=True):
        stalled_deals_scan_task.call(scheduled_for=key)  # a superseded run does not reschedule
    assert DBTaskResult.objects.filter(task_path__endswith="stalled_deals_scan_task").count() == 2


def test_the_sales_alerts_command_scans_and_schedules(stalling_pipeline, capsys):
    owner = UserFactory()
    open_deal(stalling_pipeline, owner, entered_days_ago=10)
    call_command("sales_alerts", "--schedule")
    out = capsys.readouterr().out
    assert "1 owner notification" in out and "next run at" in out
    assert AlertSettings.current().stalled_scan_next_at is not None


def test_saving_a_large_deal_through_the_service_alerts_the_manager(
    django_capture_on_commit_callbacks,
):
    from allyance.sales.services.opportunities import opportunity_save
    from tests.factories import AccountFactory

    manager = UserFactory(role=Role.SALES_MANAGER)
    rep = UserFactory()
    TeamFactory(manager=manager).members.add(rep)
    pipeline = PipelineFactory()
    deal = Opportunity(
        name="Big turbine order",
        account=AccountFactory(owner=rep),
        pipeline=pipeline,
        stage=pipeline.stages.get(name="Qualify"),
        amount=Decimal("3000000"),
        currency="CNY",
        owner=rep,
        organisation=rep.organisation,
    )
    with django_capture_on_commit_callbacks(execute=True):
        opportunity_save(opportunity=deal, by=rep)
    assert [n.message for n in large(manager)] == [
        f"Large deal: Big turbine order is 3,000,000.00 CNY (owner: {rep})."
    ]
