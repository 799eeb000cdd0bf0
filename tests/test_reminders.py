"""Reminders: queued for their time with `run_after`, delivered once in-app and by e-mail to
the owner and internal invitees, moved with their activity, and swept up if a job is lost."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from allyance.activities import services, services_invitations
from allyance.activities.models import Activity
from allyance.activities.tasks import activity_reminder_task
from allyance.core.models import Notification, Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC


@pytest.fixture
def db_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def planned_meeting(
    owner, *, starts_in=dt.timedelta(hours=2), remind_before=dt.timedelta(minutes=10)
):
    start = timezone.now().replace(microsecond=0) + starts_in
    activity = Activity(
        kind=Activity.Kind.MEETING,
        subject="Board review",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        remind_at=start - remind_before,
    )
    return services.activity_save(activity=activity, by=owner)


def reminder_jobs() -> list[DBTaskResult]:
    return list(
        DBTaskResult.objects.filter(task_path="allyance.activities.tasks.activity_reminder_task")
    )


def test_saving_a_reminder_queues_a_job_to_run_at_the_reminder_time(
    rep, db_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        visit = planned_meeting(rep)
    (job,) = reminder_jobs()
    assert job.run_after == visit.remind_at
    assert job.args_kwargs["args"] == [visit.pk, visit.remind_at.isoformat()]


def test_the_job_delivers_in_app_and_by_mail_to_owner_and_invitees_at_its_time(
    rep, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    colleague = UserFactory(role=Role.SALES_REP)
    decliner = UserFactory(role=Role.SALES_REP)
    visit = planned_meeting(rep)
    services_invitations.activity_invitees_set(activity=visit, users=[colleague, decliner], by=rep)
    visit.invitees.filter(user=decliner).update(response="declined")

    # Too early: the job does nothing (and leaves the reminder for later).
    assert not activity_reminder_task.call(visit.pk, visit.remind_at.isoformat())
    assert not Notification.objects.filter(kind="reminder").exists()

    with django_capture_on_commit_callbacks(execute=True):
        delivered = services.activity_reminder_deliver(
            activity_id=visit.pk, remind_at=visit.remind_at, now=visit.remind_at
        )
    assert delivered
    reminded = set(Notification.objects.filter(kind="reminder").values_list("recipient", flat=True))
    assert reminded == {rep.pk, colleague.pk}
    assert {tuple(m.to) for m in mail.outbox if "Board review" in m.subject} >= {
        (rep.email,),
        (colleague.email,),
    }
    visit.refresh_from_db()
    assert visit.reminded_at == visit.remind_at

    # A second run (the job retried, or the sweep) sends nothing more.
    assert not services.activity_reminder_deliver(
        activity_id=visit.pk,
        remind_at=visit.remind_at,
        now=visit.remind_at + dt.timedelta(minutes=1),
    )
    assert Notification.objects.filter(kind="reminder").count() == 2


def test_rescheduling_moves_the_reminder_and_the_stale_job_does_nothing(
    rep, db_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        visit = planned_meeting(rep)
    old_remind_at = visit.remind_at
    with django_capture_on_commit_callbacks(execute=True):
        visit = services.activity_reschedule(
            activity=visit,
            start=visit.starts_at + dt.timedelta(days=1),
            end=None,
            by=rep,
            expected_version=visit.version,
        )
    assert visit.remind_at == old_remind_at + dt.timedelta(days=1)  # still 10 minutes before
    assert sorted(job.run_after for job in reminder_jobs()) == [old_remind_at, visit.remind_at]

    # The old job runs at its time: the reminder has moved, so it does nothing.
    assert not services.activity_reminder_deliver(
        activity_id=visit.pk, remind_at=old_remind_at, now=old_remind_at
    )
    assert not Notification.objects.filter(kind="reminder").exists()
    # The new one delivers.
    assert services.activity_reminder_deliver(
        activity_id=visit.pk, remind_at=visit.remind_at, now=visit.remind_at
    )


@pytest.mark.django_db(transaction=True)  # the worker runs its jobs in their own transactions
def test_the_queued_job_is_run_by_the_database_worker_once_due(rep, db_tasks):
    visit = planned_meeting(rep, starts_in=dt.timedelta(minutes=5))  # reminder 5 min ago
    later = planned_meeting(rep, starts_in=dt.timedelta(days=1))
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert Notification.objects.filter(recipient=rep, kind="reminder").count() == 1
    visit.refresh_from_db()
    later.refresh_from_db()
    assert visit.reminded_at is not None
    assert later.reminded_at is None  # its job waits for its time


def test_a_delivered_reminder_set_again_is_delivered_again(rep, db_tasks):
    visit = planned_meeting(rep)
    assert services.activity_reminder_deliver(
        activity_id=visit.pk, remind_at=visit.remind_at, now=visit.remind_at
    )
    visit.refresh_from_db()
    visit.remind_at = visit.starts_at - dt.timedelta(minutes=5)
    visit = services.activity_save(activity=visit, by=rep)
    assert visit.reminded_at is None


def test_done_or_cancelled_activities_are_not_reminded(rep, db_tasks):
    visit = planned_meeting(rep)
    visit.status = Activity.Status.CANCELLED
    services.activity_save(activity=visit, by=rep)
    assert not services.activity_reminder_deliver(
        activity_id=visit.pk, remind_at=visit.remind_at, now=visit.remind_at
    )


def test_the_sweep_delivers_due_reminders_whose_job_was_lost(rep, db_tasks):
    due = planned_meeting(rep, starts_in=dt.timedelta(minutes=5))  # reminder 5 minutes ago
    later = planned_meeting(rep, starts_in=dt.timedelta(days=2))
    DBTaskResult.objects.all().delete()  # the jobs are lost
    call_command("send_due_reminders", verbosity=0)
    assert list(Notification.objects.filter(kind="reminder").values_list("message", flat=True))
    due.refresh_from_db()
    later.refresh_from_db()
    assert due.reminded_at is not None and later.reminded_at is None
    call_command("send_due_reminders", verbosity=0)
    assert Notification.objects.filter(kind="reminder").count() == 1


def test_a_reminder_needs_a_time_to_be_before(client, rep):
    client.force_login(rep)
    response = client.post(
        "/activities/new/",
        {
            "kind": "task",
            "subject": "Undated",
            "status": "planned",
            "priority": "normal",
            "remind": "1h",
        },
    )
    assert response.status_code == 200
    assert 'data-field-error="remind"' in response.content.decode()
    assert not Activity.objects.exists()


def test_a_chosen_reminder_time_is_kept(client, rep):
    client.force_login(rep)
    response = client.post(
        "/activities/new/",
        {
            "kind": "task",
            "subject": "Renewal",
            "status": "planned",
            "priority": "normal",
            "due_at": "2026-05-10T17:00",
            "remind": "custom",
            "remind_at": "2026-05-08T09:00",
        },
    )
    assert response.status_code == 302
    task = Activity.objects.get()
    assert task.remind_at == dt.datetime(2026, 5, 8, 9, tzinfo=UTC)
