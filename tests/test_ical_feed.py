"""The private iCalendar feed: a token URL any calendar client can subscribe to, with the
user's meetings, calls and tasks only; replacing or revoking the token kills the old URL."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone

from allyance.activities import services, services_invitations
from allyance.activities.models import Activity, CalendarFeedToken
from allyance.core.models import Role
from tests.factories import ActivityFactory, UserFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def feed_url(user) -> str:
    token = services.calendar_feed_token_renew(user=user)
    return reverse("activities:calendar-feed", args=[token.token])


def parse(response) -> icalendar.Calendar:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return icalendar.Calendar.from_ical(response.content)


def test_feed_has_the_users_meetings_calls_and_tasks_and_nobody_elses(client, rep):
    rep.time_zone = "Asia/Shanghai"
    rep.save()
    soon = timezone.now().replace(microsecond=0) + dt.timedelta(days=3)
    visit = ActivityFactory(
        kind=Activity.Kind.MEETING,
        owner=rep,
        subject="Plant tour",
        body="Bring the samples",
        location="Suzhou",
        starts_at=soon,
        ends_at=soon + dt.timedelta(hours=2),
    )
    ActivityFactory(kind=Activity.Kind.CALL, owner=rep, subject="Call Li", starts_at=soon)
    task = ActivityFactory(
        kind=Activity.Kind.TASK,
        owner=rep,
        subject="Send quote",
        due_at=dt.datetime.combine(soon.date(), dt.time(23, 30), tzinfo=UTC),
    )
    ActivityFactory(kind=Activity.Kind.NOTE, owner=rep, subject="A note", starts_at=soon)
    ActivityFactory(
        kind=Activity.Kind.MEETING,
        owner=rep,
        subject="Ages ago",
        starts_at=soon - dt.timedelta(days=90),
    )
    ActivityFactory(
        kind=Activity.Kind.MEETING,
        owner=rep,
        subject="Called off",
        starts_at=soon,
        status=Activity.Status.CANCELLED,
    )
    ActivityFactory(
        kind=Activity.Kind.MEETING, owner=UserFactory(), subject="Someone else's", starts_at=soon
    )

    calendar = parse(client.get(feed_url(rep)))  # no session: the token is the key
    events = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {"Plant tour", "Call Li", "Send quote"}
    meeting = events["Plant tour"]
    assert str(meeting["UID"]) == f"activity-{visit.pk}@127.0.0.1"
    assert meeting.decoded("DTSTART") == visit.starts_at
    assert meeting.decoded("DTEND") == visit.ends_at
    assert str(meeting["LOCATION"]) == "Suzhou"
    assert "Bring the samples" in str(meeting["DESCRIPTION"])
    assert str(meeting["URL"]).endswith(visit.get_absolute_url())
    assert "DTSTAMP" in meeting
    # 23:30 UTC is the next morning in Shanghai: the task is on that day, all day.
    day = task.due_at.astimezone(ZoneInfo("Asia/Shanghai")).date()
    assert events["Send quote"].decoded("DTSTART") == day
    assert events["Send quote"].decoded("DTEND") == day + dt.timedelta(days=1)


def test_uid_is_stable_when_the_meeting_moves(client, rep):
    start = timezone.now() + dt.timedelta(days=1)
    visit = ActivityFactory(kind=Activity.Kind.MEETING, owner=rep, starts_at=start)
    url = feed_url(rep)
    first = parse(client.get(url)).walk("VEVENT")[0]
    services.activity_reschedule(
        activity=visit, start=start + dt.timedelta(days=1), end=None, by=rep, expected_version=1
    )
    second = parse(client.get(url)).walk("VEVENT")[0]
    assert str(first["UID"]) == str(second["UID"])
    assert second.decoded("DTSTART") > first.decoded("DTSTART")
    assert int(second["SEQUENCE"]) > int(first["SEQUENCE"])


def test_invited_meetings_are_in_the_feed(client, rep):
    organiser = UserFactory(role=Role.SALES_REP)
    visit = ActivityFactory(
        kind=Activity.Kind.MEETING,
        owner=organiser,
        subject="Joint visit",
        starts_at=timezone.now() + dt.timedelta(days=1),
    )
    services_invitations.activity_invitees_set(activity=visit, users=[rep], by=organiser)
    events = parse(client.get(feed_url(rep))).walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in events] == ["Joint visit"]


def test_a_replaced_or_revoked_token_is_404(client, rep):
    old = feed_url(rep)
    new = feed_url(rep)
    assert old != new
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    services.calendar_feed_token_revoke(user=rep)
    assert client.get(new).status_code == 404
    assert client.get("/calendar/feed/made-up-token.ics").status_code == 404


def test_an_inactive_users_feed_is_404(client, rep):
    url = feed_url(rep)
    rep.is_active = False
    rep.save()
    assert client.get(url).status_code == 404


def test_profile_page_creates_replaces_and_revokes_the_feed(client, rep):
    client.force_login(rep)
    page = client.get(reverse("core:profile")).content.decode()
    assert 'data-testid="calendar-feed"' in page
    assert 'data-testid="calendar-feed-url"' not in page
    response = client.post(reverse("activities:calendar-feed-token"), {"action": "renew"})
    assert response.status_code == 302
    token = CalendarFeedToken.objects.get(user=rep).token
    page = client.get(reverse("core:profile")).content.decode()
    assert f"/calendar/feed/{token}.ics" in page
    client.post(reverse("activities:calendar-feed-token"), {"action": "renew"})
    assert CalendarFeedToken.objects.get(user=rep).token != token
    client.post(reverse("activities:calendar-feed-token"), {"action": "revoke"})
    assert not CalendarFeedToken.objects.filter(user=rep).exists()


def test_tokens_are_long_random_and_unique(rep):
    tokens = {services.calendar_feed_token_renew(user=rep).token for _ in range(5)}
    assert len(tokens) == 5 and all(len(t) >= 40 for t in tokens)
