"""The calendar: its events endpoint (visible entries in range only), rescheduling by drag and
drop with the version check, the team calendar, invitations and the task list."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from allyance.activities import services, services_invitations
from allyance.activities.models import Activity, ActivityInvitee
from allyance.core.models import Notification, Role
from tests.factories import ActivityFactory, ContactFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC
SHANGHAI = ZoneInfo("Asia/Shanghai")


def meeting(owner, start, hours=1, **extra) -> Activity:
    return ActivityFactory(
        kind=Activity.Kind.MEETING,
        owner=owner,
        organisation=owner.organisation,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=hours),
        **extra,
    )


def events(client, start="2026-03-01T00:00:00Z", end="2026-03-08T00:00:00Z", **params):
    response = client.get(
        reverse("activities:calendar-events"), {"start": start, "end": end, **params}
    )
    assert response.status_code == 200, response.content
    return response.json()


def titles(client, **params) -> set[str]:
    return {event["title"] for event in events(client, **params)}


def test_events_are_the_users_visible_entries_in_the_range(client, rep):
    other_rep = UserFactory(role=Role.SALES_REP)
    meeting(rep, dt.datetime(2026, 3, 2, 9, tzinfo=UTC), subject="In range")
    meeting(rep, dt.datetime(2026, 3, 9, 9, tzinfo=UTC), subject="Next week")
    meeting(rep, dt.datetime(2026, 2, 27, 9, tzinfo=UTC), subject="Last week")
    meeting(other_rep, dt.datetime(2026, 3, 3, 9, tzinfo=UTC), subject="Not mine to see")
    ActivityFactory(
        kind=Activity.Kind.TASK,
        owner=rep,
        subject="Send the quote",
        due_at=dt.datetime(2026, 3, 4, 17, tzinfo=UTC),
    )
    ActivityFactory(
        kind=Activity.Kind.NOTE,
        owner=rep,
        subject="A note",
        starts_at=dt.datetime(2026, 3, 2, tzinfo=UTC),
    )
    client.force_login(rep)
    assert titles(client) == {"In range", "Send the quote"}
    assert titles(client, scope="team") == {"In range", "Send the quote"}
    assert titles(client, user=str(other_rep.pk)) == set()


def test_a_meeting_spanning_the_range_start_is_shown(client, rep):
    meeting(rep, dt.datetime(2026, 2, 28, 22, tzinfo=UTC), hours=5, subject="Overnight")
    client.force_login(rep)
    assert titles(client) == {"Overnight"}


def test_timed_and_all_day_entries_are_shaped_for_fullcalendar_in_the_users_zone(client, rep):
    rep.time_zone = "Asia/Shanghai"
    rep.save()
    visit = meeting(rep, dt.datetime(2026, 3, 2, 1, 30, tzinfo=UTC), subject="Visit")
    # 20:00 UTC on the 4th is already the 5th in Shanghai.
    ActivityFactory(
        kind=Activity.Kind.TASK,
        owner=rep,
        subject="Task",
        due_at=dt.datetime(2026, 3, 4, 20, tzinfo=UTC),
    )
    client.force_login(rep)
    by_title = {event["title"]: event for event in events(client)}
    timed = by_title["Visit"]
    assert dt.datetime.fromisoformat(timed["start"]) == visit.starts_at
    assert dt.datetime.fromisoformat(timed["end"]) == visit.ends_at
    assert timed["allDay"] is False and timed["editable"] is True
    assert timed["extendedProps"]["version"] == visit.version
    assert by_title["Task"] == by_title["Task"] | {"start": "2026-03-05", "allDay": True}


def test_range_without_offset_is_read_in_the_users_zone(client, rep):
    rep.time_zone = "Asia/Shanghai"
    rep.save()
    # 23:00 UTC on 28 Feb is 07:00 on 1 March in Shanghai: inside a local 1 March range.
    meeting(rep, dt.datetime(2026, 2, 28, 23, tzinfo=UTC), subject="Early")
    client.force_login(rep)
    assert titles(client, start="2026-03-01T00:00:00", end="2026-03-02T00:00:00") == {"Early"}


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"start": "soon", "end": "later"},
        {"start": "2026-03-08", "end": "2026-03-01"},
        {"start": "2020-01-01", "end": "2026-01-01"},
    ],
)
def test_a_bad_range_is_a_400_not_a_500(client, rep, params):
    client.force_login(rep)
    response = client.get(reverse("activities:calendar-events"), params)
    assert response.status_code == 400
    assert "error" in response.json()


def test_partner_calendar_never_shows_another_partners_meetings(
    client, partner_a_user, partner_b_user
):
    meeting(partner_a_user, dt.datetime(2026, 3, 2, 9, tzinfo=UTC), subject="Alpha visit")
    meeting(partner_b_user, dt.datetime(2026, 3, 2, 9, tzinfo=UTC), subject="Beta visit")
    client.force_login(partner_a_user)
    for params in ({}, {"scope": "team"}, {"user": str(partner_b_user.pk)}):
        assert "Beta visit" not in titles(client, **params)
    assert titles(client) == {"Alpha visit"}


def test_manager_sees_team_members_on_the_team_calendar(client, rep):
    manager = UserFactory(role=Role.SALES_MANAGER)
    team = TeamFactory(manager=manager)
    team.members.add(rep)
    outsider = UserFactory(role=Role.SALES_REP)
    meeting(rep, dt.datetime(2026, 3, 2, 9, tzinfo=UTC), subject="Rep's demo")
    meeting(manager, dt.datetime(2026, 3, 3, 9, tzinfo=UTC), subject="Manager's review")
    meeting(outsider, dt.datetime(2026, 3, 3, 9, tzinfo=UTC), subject="Outsider")
    client.force_login(manager)
    assert titles(client) == {"Manager's review"}
    assert titles(client, scope="team") == {"Rep's demo", "Manager's review"}
    assert titles(client, user=str(rep.pk)) == {"Rep's demo"}
    page = client.get(reverse("activities:calendar")).content.decode()
    assert f'value="user={rep.pk}"' in page
    assert f'value="user={outsider.pk}"' not in page


def test_calendar_page_loads_fullcalendar_with_the_users_zone_and_language(client, rep):
    rep.time_zone = "Asia/Shanghai"
    rep.language = "zh-hans"
    rep.save()
    client.force_login(rep)
    page = client.get(reverse("activities:calendar")).content.decode()
    assert "vendor/fullcalendar/all/global.js" in page
    assert "allyance/calendar.js" in page
    assert '"timeZone": "Asia/Shanghai"' in page
    assert '"locale": "zh-cn"' in page


# --- Rescheduling --------------------------------------------------------------------------


def move(client, activity, **data):
    return client.post(reverse("activities:calendar-move", args=[activity.pk]), data)


def test_dragging_a_meeting_moves_its_start_and_end(client, rep):
    visit = meeting(rep, dt.datetime(2026, 3, 2, 9, tzinfo=UTC), hours=2)
    client.force_login(rep)
    response = move(client, visit, start="2026-03-04T13:00:00Z", version=visit.version)
    assert response.status_code == 200, response.content
    visit.refresh_from_db()
    assert visit.starts_at == dt.datetime(2026, 3, 4, 13, tzinfo=UTC)
    assert visit.ends_at == dt.datetime(2026, 3, 4, 15, tzinfo=UTC)  # its length is kept
    assert response.json()["extendedProps"]["version"] == visit.version == 2


def test_resizing_a_meeting_changes_its_end(client, rep):
    visit = meeting(rep, dt.datetime(2026, 3, 2, 9, tzinfo=UTC))
    client.force_login(rep)
    response = move(
        client, visit, start="2026-03-02T09:00:00Z", end="2026-03-02T11:30:00Z", version=1
    )
    assert response.status_code == 200
    visit.refresh_from_db()
    assert visit.ends_at == dt.datetime(2026, 3, 2, 11, 30, tzinfo=UTC)


def test_moving_a_stale_version_is_refused_and_changes_nothing(client, rep):
    visit = meeting(rep, dt.datetime(2026, 3, 2, 9, tzinfo=UTC))
    services.activity_save(activity=visit, by=rep)  # someone else saved it: version 2
    client.force_login(rep)
    response = move(client, visit, start="2026-03-05T09:00:00Z", version=1)
    assert response.status_code == 409
    assert "error" in response.json()
    visit.refresh_from_db()
    assert visit.starts_at == dt.datetime(2026, 3, 2, 9, tzinfo=UTC)


def test_moving_a_task_to_another_day_keeps_its_time_of_day(client, rep):
    rep.time_zone = "Asia/Shanghai"
    rep.save()
    task = ActivityFactory(
        kind=Activity.Kind.TASK,
        owner=rep,
        due_at=dt.datetime(2026, 3, 4, 17, 30, tzinfo=SHANGHAI),
    )
    client.force_login(rep)
    response = move(client, task, start="2026-03-06", version=1)
    assert response.status_code == 200, response.content
    task.refresh_from_db()
    assert task.due_at == dt.datetime(2026, 3, 6, 17, 30, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    "data",
    [
        {"start": "not a date", "version": "1"},
        {"start": "2026-03-05T09:00:00Z", "version": "x"},
        {"start": "2026-03-05T09:00:00Z", "end": "2026-03-05T08:00:00Z", "version": "1"},
        {"start": "2026-03-05", "version": "1"},  # a timed meeting cannot become all-day
    ],
)
def test_bad_moves_are_400_with_the_field_named(client, rep, data):
    visit = meeting(rep, dt.datetime(2026, 3, 2, 9, tzinfo=UTC))
    client.force_login(rep)
    response = move(client, visit, **data)
    assert response.status_code == 400
    assert response.json()["errors"]
    visit.refresh_from_db()
    assert visit.version == 1


def test_nobody_moves_a_meeting_they_cannot_see(client, partner_a_user, partner_b_user):
    theirs = meeting(partner_b_user, dt.datetime(2026, 3, 2, 9, tzinfo=UTC))
    client.force_login(partner_a_user)
    response = move(client, theirs, start="2026-03-05T09:00:00Z", version=1)
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.version == 1


# --- Invitations ---------------------------------------------------------------------------


def test_inviting_notifies_colleagues_and_mails_contacts_an_ics(
    rep, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    colleague = UserFactory(role=Role.SALES_REP, language="zh-hans")
    contact = ContactFactory(owner=rep, email="li.wei@example.com")
    visit = meeting(
        rep, dt.datetime(2026, 3, 2, 9, tzinfo=UTC), subject="Plant tour", location="Suzhou plant"
    )
    with django_capture_on_commit_callbacks(execute=True):
        services_invitations.activity_invitees_set(
            activity=visit, users=[colleague], contacts=[contact], by=rep
        )

    note = Notification.objects.get(recipient=colleague)
    assert note.kind == "invitation"
    assert "Plant tour" in note.message and "2026年3月2日" in note.message  # their language
    assert note.emailed_at is not None

    invitation = next(m for m in mail.outbox if m.to == ["li.wei@example.com"])
    assert "Plant tour" in invitation.subject
    (name, content, mimetype) = invitation.attachments[0]
    assert name == "invite.ics" and mimetype.startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(content)
    (event,) = calendar.walk("VEVENT")
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["SUMMARY"]) == "Plant tour"
    assert str(event["LOCATION"]) == "Suzhou plant"
    assert event.decoded("DTSTART") == visit.starts_at
    assert "li.wei@example.com" in str(event["ATTENDEE"])
    assert ActivityInvitee.objects.get(contact=contact).notified_at is not None

    # Saving the same list again notifies nobody a second time.
    count = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        services_invitations.activity_invitees_set(
            activity=visit, users=[colleague], contacts=[contact], by=rep
        )
    assert Notification.objects.filter(recipient=colleague).count() == 1
    assert len(mail.outbox) == count


def test_invitation_mail_is_sent_once_even_if_the_job_runs_twice(rep, settings):
    contact = ContactFactory(owner=rep)
    visit = meeting(rep, dt.datetime(2026, 3, 2, 9, tzinfo=UTC))
    services_invitations.activity_invitees_set(activity=visit, contacts=[contact], by=rep)
    invitee = visit.invitees.get()
    assert services_invitations.invitation_email_send(invitee_id=invitee.pk) is True
    assert services_invitations.invitation_email_send(invitee_id=invitee.pk) is False
    assert len(mail.outbox) == 1


def test_invitees_see_the_meeting_on_their_calendar(client, rep):
    outsider = UserFactory(role=Role.SALES_REP)
    visit = meeting(outsider, dt.datetime(2026, 3, 2, 9, tzinfo=UTC), subject="Joint visit")
    meeting(outsider, dt.datetime(2026, 3, 3, 9, tzinfo=UTC), subject="Not invited")
    services_invitations.activity_invitees_set(activity=visit, users=[rep], by=outsider)
    client.force_login(rep)
    (event,) = events(client)
    assert event["title"] == "Joint visit"
    assert event["editable"] is False and "url" not in event  # shared to see, not to change


def test_only_meetings_take_invitees(rep):
    from django.core.exceptions import ValidationError

    call = ActivityFactory(owner=rep, kind=Activity.Kind.CALL)
    with pytest.raises(ValidationError):
        services_invitations.activity_invitees_set(activity=call, users=[UserFactory()], by=rep)


def test_partner_cannot_invite_another_partners_contact(partner_a_user, partner_b_user):
    from django.core.exceptions import ValidationError

    visit = meeting(partner_a_user, dt.datetime(2026, 3, 2, 9, tzinfo=UTC))
    theirs = ContactFactory(organisation=partner_b_user.organisation)
    with pytest.raises(ValidationError):
        services_invitations.activity_invitees_set(
            activity=visit, contacts=[theirs], by=partner_a_user
        )
    assert not visit.invitees.exists()


def test_the_meeting_form_invites_and_sets_a_reminder(
    client, rep, django_capture_on_commit_callbacks
):
    colleague = UserFactory(role=Role.SALES_REP)
    client.force_login(rep)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            reverse("activities:activity-create"),
            {
                "kind": "meeting",
                "subject": "Kick-off",
                "status": "planned",
                "priority": "normal",
                "starts_at": "2026-03-02T09:00",
                "ends_at": "2026-03-02T10:00",
                "location": "Room 3",
                "remind": "10m",
                "invite_users": [colleague.pk],
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    visit = Activity.objects.get(subject="Kick-off")
    assert visit.remind_at == visit.starts_at - dt.timedelta(minutes=10)
    assert [i.user for i in visit.invitees.all()] == [colleague]
    assert Notification.objects.filter(recipient=colleague, kind="invitation").exists()
    form = client.get(reverse("activities:activity-edit", args=[visit.pk])).content.decode()
    assert '<option value="10m" selected>' in form


def test_the_api_takes_invitees_for_a_meeting(api, rep):
    colleague = UserFactory(role=Role.SALES_REP)
    response = api(rep).post(
        "/api/v1/activities/",
        {
            "kind": "meeting",
            "subject": "API meeting",
            "starts_at": "2026-03-02T09:00:00Z",
            "ends_at": "2026-03-02T10:00:00Z",
            "invite_users": [colleague.pk],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert [i["user"] for i in response.json()["invitees"]] == [colleague.pk]
    refused = api(rep).post(
        "/api/v1/activities/",
        {"kind": "task", "subject": "Task", "invite_users": [colleague.pk]},
        format="json",
    )
    assert refused.status_code == 400
    assert "invite_users" in refused.json()


# --- Task list -----------------------------------------------------------------------------


def test_task_list_groups_my_open_tasks_and_marks_overdue(client, rep):
    now = timezone.now()
    ActivityFactory(kind="task", owner=rep, subject="Late one", due_at=now - dt.timedelta(days=2))
    ActivityFactory(kind="task", owner=rep, subject="Far one", due_at=now + dt.timedelta(days=30))
    ActivityFactory(kind="task", owner=rep, subject="Someday")
    ActivityFactory(kind="task", owner=rep, subject="Finished", status="done")
    ActivityFactory(kind="task", owner=UserFactory(), subject="Not mine")
    ActivityFactory(kind="meeting", owner=rep, subject="A meeting")
    client.force_login(rep)
    page = client.get(reverse("activities:task-list")).content.decode()
    overdue = page.split('data-testid="tasks-overdue"')[1].split('data-testid="tasks-')[0]
    assert "Late one" in overdue and 'data-testid="overdue"' in overdue
    assert "Far one" in page.split('data-testid="tasks-later"')[1]
    assert "Someday" in page.split('data-testid="tasks-none"')[1]
    for absent in ("Finished", "Not mine", "A meeting"):
        assert absent not in page


def test_marking_a_task_done_with_htmx_swaps_the_row(client, rep):
    task = ActivityFactory(kind="task", owner=rep, subject="Call back")
    client.force_login(rep)
    response = client.post(
        reverse("activities:task-done", args=[task.pk]),
        {"version": task.version},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert 'data-testid="task-completed"' in response.content.decode()
    task.refresh_from_db()
    assert task.status == Activity.Status.DONE and task.completed_at is not None


def test_marking_a_stale_task_done_says_so(client, rep):
    task = ActivityFactory(kind="task", owner=rep, subject="Call back")
    services.activity_save(activity=task, by=rep)
    client.force_login(rep)
    response = client.post(
        reverse("activities:task-done", args=[task.pk]),
        {"version": 1},
        headers={"HX-Request": "true"},
    )
    assert "Someone else changed" in response.content.decode()
    task.refresh_from_db()
    assert task.status == Activity.Status.PLANNED


def test_home_still_lists_open_tasks(client, rep):
    ActivityFactory(kind="task", owner=rep, subject="Prepare the demo")
    client.force_login(rep)
    assert "Prepare the demo" in client.get("/").content.decode()


def test_moving_a_meeting_tells_its_invitees_once(
    rep, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    colleague = UserFactory(role=Role.SALES_REP)
    contact = ContactFactory(owner=rep, email="li.wei@example.com")
    visit = meeting(rep, dt.datetime(2026, 3, 2, 9, tzinfo=UTC), subject="Plant tour")
    with django_capture_on_commit_callbacks(execute=True):
        services_invitations.activity_invitees_set(
            activity=visit, users=[colleague], contacts=[contact], by=rep
        )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        visit = services.activity_reschedule(
            activity=visit,
            start=dt.datetime(2026, 3, 3, 9, tzinfo=UTC),
            end=None,
            by=rep,
            expected_version=visit.version,
        )
    moved = Notification.objects.filter(recipient=colleague).order_by("-id").first()
    assert "is now on" in moved.message
    update = next(m for m in mail.outbox if m.to == ["li.wei@example.com"])
    event = icalendar.Calendar.from_ical(update.attachments[0][1]).walk("VEVENT")[0]
    assert event.decoded("DTSTART") == dt.datetime(2026, 3, 3, 9, tzinfo=UTC)
    assert int(event["SEQUENCE"]) >= 1

    # The same job again, or a job for an older version, tells nobody.
    assert (
        services_invitations.meeting_change_announce(activity_id=visit.pk, version=visit.version)
        == 0
    )
    assert services_invitations.meeting_change_announce(activity_id=visit.pk, version=1) == 0

    # Cancelling sends a cancellation.
    mail.outbox.clear()
    visit.status = Activity.Status.CANCELLED
    with django_capture_on_commit_callbacks(execute=True):
        services.activity_save(activity=visit, by=rep, expected_version=visit.version)
    cancel = next(m for m in mail.outbox if m.to == ["li.wei@example.com"])
    assert str(icalendar.Calendar.from_ical(cancel.attachments[0][1])["METHOD"]) == "CANCEL"


def test_invitee_answers_and_the_organiser_is_told(client, rep):
    organiser = UserFactory(role=Role.SALES_REP)
    visit = meeting(organiser, dt.datetime(2026, 3, 2, 9, tzinfo=UTC), subject="Review")
    services_invitations.activity_invitees_set(activity=visit, users=[rep], by=organiser)
    client.force_login(rep)
    (event,) = events(client)
    assert event["extendedProps"]["response"] == "needs_action"
    url = event["extendedProps"]["respondUrl"]
    assert client.post(url, {"response": "maybe-later"}).status_code == 400
    response = client.post(url, {"response": "accepted"})
    assert response.status_code == 200 and response.json()["response"] == "accepted"
    assert visit.invitees.get().response == "accepted"
    assert Notification.objects.filter(recipient=organiser, kind="invitation").exists()


def test_only_invitees_can_answer(client, rep):
    visit = meeting(UserFactory(), dt.datetime(2026, 3, 2, 9, tzinfo=UTC))
    client.force_login(rep)
    url = reverse("activities:invitation-respond", args=[visit.pk])
    assert client.post(url, {"response": "accepted"}).status_code == 404


def test_clicking_a_time_on_the_calendar_opens_a_new_meeting_at_that_time(client, rep):
    rep.time_zone = "Asia/Shanghai"
    rep.save()
    client.force_login(rep)
    page = client.get(
        reverse("activities:activity-create"), {"kind": "meeting", "starts_at": "2026-03-02T09:30"}
    ).content.decode()
    assert 'value="2026-03-02T09:30"' in page
    assert 'value="2026-03-02T10:30"' in page  # an hour long by default


def test_invitations_are_in_the_audit_trail_as_the_inviters_doing(rep):
    from django.contrib.contenttypes.models import ContentType

    from allyance.core.models import AuditEntry

    visit = meeting(rep, dt.datetime(2026, 3, 2, 9, tzinfo=UTC))
    services_invitations.activity_invitees_set(activity=visit, users=[UserFactory()], by=rep)
    entry = AuditEntry.objects.get(content_type=ContentType.objects.get_for_model(ActivityInvitee))
    assert entry.action == "create" and entry.actor == rep


def test_events_take_the_same_few_queries_however_many_there_are(client, rep):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(rep)

    def queries_for_week() -> int:
        with CaptureQueriesContext(connection) as queries:
            events(client)
        return len(queries.captured_queries)

    meeting(rep, dt.datetime(2026, 3, 2, 9, tzinfo=UTC))
    few = queries_for_week()
    for day in range(2, 7):
        meeting(rep, dt.datetime(2026, 3, day, 11, tzinfo=UTC), account=None)
        ActivityFactory(kind="task", owner=rep, due_at=dt.datetime(2026, 3, day, 17, tzinfo=UTC))
    assert queries_for_week() == few


def test_the_api_filters_activities_by_start_for_calendar_clients(api, rep):
    meeting(rep, dt.datetime(2026, 3, 2, 9, tzinfo=UTC), subject="In")
    meeting(rep, dt.datetime(2026, 3, 9, 9, tzinfo=UTC), subject="Out")
    rows = (
        api(rep)
        .get(
            "/api/v1/activities/",
            {"starts_after": "2026-03-01T00:00:00Z", "starts_before": "2026-03-08T00:00:00Z"},
        )
        .json()["results"]
    )
    assert [r["subject"] for r in rows] == ["In"]
    assert api(rep).get("/api/v1/activities/", {"starts_after": "soon"}).status_code == 400
