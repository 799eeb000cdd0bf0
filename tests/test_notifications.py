"""Notifications: the navbar bell's unread count, the list with mark read / mark all read and
links to the record, and the API, each showing the user's own notifications only."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from allyance.core.models import Notification
from allyance.core.notifications import notification_send
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def notify(user, message="Deal won", url="/accounts/"):
    return notification_send(recipient=user, message=message, url=url, kind="test")


def test_the_bell_shows_the_unread_count_with_one_query(client, rep):
    notify(rep)
    notify(rep)
    notify(rep)
    first = Notification.objects.filter(recipient=rep).order_by("id").first()
    first.read_at = first.created_at
    first.save()
    notify(UserFactory())  # someone else's
    client.force_login(rep)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("activities:calendar")).content.decode()
    assert 'data-testid="unread-count">2<' in page
    counting = [q["sql"] for q in queries.captured_queries if "core_notification" in q["sql"]]
    assert len(counting) == 1


def test_no_badge_when_all_is_read(client, rep):
    client.force_login(rep)
    page = client.get("/").content.decode()
    assert 'data-testid="notification-bell"' in page
    assert 'data-testid="unread-count"' not in page


def test_list_shows_only_my_notifications_newest_first(client, rep):
    notify(rep, "first message")
    notify(rep, "second message")
    notify(UserFactory(), "someone else's")
    client.force_login(rep)
    page = client.get(reverse("core:notification-list")).content.decode()
    assert page.index("second message") < page.index("first message")
    assert "someone else's" not in page


def test_opening_a_notification_marks_it_read_and_goes_to_the_record(client, rep):
    note = notify(rep, url="/accounts/")
    client.force_login(rep)
    response = client.get(reverse("core:notification-open", args=[note.pk]))
    assert response.status_code == 302 and response["Location"] == "/accounts/"
    note.refresh_from_db()
    assert note.read_at is not None


def test_opening_never_redirects_off_site(client, rep):
    note = notify(rep, url="https://evil.example/")
    client.force_login(rep)
    response = client.get(reverse("core:notification-open", args=[note.pk]))
    assert response["Location"] == reverse("core:notification-list")


def test_cannot_open_someone_elses_notification(client, rep):
    theirs = notify(UserFactory())
    client.force_login(rep)
    assert client.get(reverse("core:notification-open", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_one_read_with_htmx_and_mark_all_read(client, rep):
    one, two = notify(rep), notify(rep)
    theirs = notify(UserFactory())
    client.force_login(rep)
    response = client.post(
        reverse("core:notification-read"), {"id": [one.pk]}, headers={"HX-Request": "true"}
    )
    assert (
        response.status_code == 200 and 'data-testid="mark-read"' not in response.content.decode()
    )
    one.refresh_from_db()
    two.refresh_from_db()
    assert one.read_at is not None and two.read_at is None
    client.post(reverse("core:notification-read"), {"id": [theirs.pk]})
    theirs.refresh_from_db()
    assert theirs.read_at is None
    client.post(reverse("core:notification-read"))
    two.refresh_from_db()
    theirs.refresh_from_db()
    assert two.read_at is not None and theirs.read_at is None


def test_api_lists_own_notifications_and_marks_them_read(api, rep):
    mine = notify(rep, "mine")
    notify(rep, "also mine")
    theirs = notify(UserFactory(), "theirs")
    client = api(rep)
    rows = client.get("/api/v1/notifications/").json()["results"]
    assert [r["message"] for r in rows] == ["also mine", "mine"]
    assert client.get(f"/api/v1/notifications/{theirs.pk}/").status_code == 404
    assert client.post(f"/api/v1/notifications/{theirs.pk}/read/").status_code == 404
    response = client.post(f"/api/v1/notifications/{mine.pk}/read/")
    assert response.status_code == 200 and response.json()["read_at"]
    unread = client.get("/api/v1/notifications/", {"unread": "true"}).json()["results"]
    assert [r["message"] for r in unread] == ["also mine"]
    assert client.post("/api/v1/notifications/read-all/").json() == {"marked": 1}
    assert client.get("/api/v1/notifications/", {"unread": "true"}).json()["results"] == []
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_api_refuses_writes(api, rep):
    mine = notify(rep)
    client = api(rep)
    assert client.post("/api/v1/notifications/", {"message": "x"}).status_code == 405
    assert client.patch(f"/api/v1/notifications/{mine.pk}/", {"message": "x"}).status_code == 405
    assert client.delete(f"/api/v1/notifications/{mine.pk}/").status_code == 405


def test_a_mail_server_that_does_not_answer_leaves_the_notification_in_the_app(settings, rep):
    import socket

    from allyance.core.notifications import notification_email

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": closed_port, "timeout": 2},
        }
    }
    rep.email = "rep@example.com"
    rep.save()
    notification = notification_send(recipient=rep, message="Big deal", url="/opportunities/1/")

    assert notification_email(notification_id=notification.pk) is False
    notification.refresh_from_db()
    assert notification.emailed_at is None
    assert notification.read_at is None  # still waiting in the app
