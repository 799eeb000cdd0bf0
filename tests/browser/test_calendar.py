"""In a real browser: the calendar's week view, drag a meeting to another day, reload, and see
it there; the move is saved through the reschedule endpoint."""

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from allyance.activities.models import Activity
from allyance.core.models import User
from tests.factories import ActivityFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def drag(page: Page, source, target_column) -> None:
    """Drag `source` sideways into `target_column`, at the same height, in small steps."""
    source.scroll_into_view_if_needed()
    box = source.bounding_box()
    column = target_column.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + 8
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 5, y + 2, steps=5)
    page.mouse.move(column["x"] + column["width"] / 2, y, steps=20)
    page.mouse.up()


def test_drag_a_meeting_to_another_day_in_week_view(logged_in: Page, live_server):
    page = logged_in
    rep = User.objects.get(username="rep1")
    meeting = ActivityFactory(
        kind=Activity.Kind.MEETING,
        owner=rep,
        organisation=rep.organisation,
        subject="Plant tour",
        starts_at=dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC),
        ends_at=dt.datetime(2026, 3, 2, 11, tzinfo=dt.UTC),
    )
    page.goto(f"{live_server.url}/calendar/?date=2026-03-04")
    page.get_by_role("tab", name="Week view").click()
    event = page.locator("[data-testid=calendar-event]", has_text="Plant tour")
    expect(event).to_be_visible()
    thursday = page.locator('[role=gridcell][data-date="2026-03-05"]').last
    with page.expect_response(lambda r: "/move/" in r.url) as moved:
        drag(page, event, thursday)
    assert moved.value.status == 200
    expect(page.locator("#calendar-message")).to_have_class("alert alert-success")

    page.reload()
    event = page.locator("[data-testid=calendar-event]", has_text="Plant tour")
    expect(event).to_be_visible()
    event.scroll_into_view_if_needed()
    column = thursday.bounding_box()
    box = event.bounding_box()
    assert column["x"] <= box["x"] + box["width"] / 2 <= column["x"] + column["width"]
    meeting.refresh_from_db()
    assert meeting.starts_at == dt.datetime(2026, 3, 5, 10, tzinfo=dt.UTC)
    assert meeting.ends_at == dt.datetime(2026, 3, 5, 11, tzinfo=dt.UTC)
    assert meeting.version == 2


def test_the_activity_form_offers_invitees_only_for_meetings(logged_in: Page, live_server):
    page = logged_in
    page.goto(f"{live_server.url}/activities/new/?kind=task")
    invitees = page.get_by_text("Invite colleagues")
    expect(invitees).to_be_hidden()
    expect(page.locator("input[name=remind_at]")).to_be_hidden()
    page.select_option("select[name=kind]", "meeting")
    expect(invitees).to_be_visible()
    page.select_option("select[name=remind]", "custom")
    expect(page.locator("input[name=remind_at]")).to_be_visible()


def test_a_meeting_changed_meanwhile_jumps_back_with_a_message(logged_in: Page, live_server):
    page = logged_in
    rep = User.objects.get(username="rep1")
    meeting = ActivityFactory(
        kind=Activity.Kind.MEETING,
        owner=rep,
        organisation=rep.organisation,
        subject="Plant tour",
        starts_at=dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC),
        ends_at=dt.datetime(2026, 3, 2, 11, tzinfo=dt.UTC),
    )
    page.goto(f"{live_server.url}/calendar/?date=2026-03-04&view=timeGridWeek")
    event = page.locator("[data-testid=calendar-event]", has_text="Plant tour")
    expect(event).to_be_visible()
    Activity.objects.filter(pk=meeting.pk).update(version=2)  # someone else saved it
    monday = page.locator('[role=gridcell][data-date="2026-03-02"]').last
    with page.expect_response(lambda r: "/move/" in r.url) as moved:
        drag(page, event, page.locator('[role=gridcell][data-date="2026-03-05"]').last)
    assert moved.value.status == 409
    expect(page.locator("#calendar-message")).to_contain_text("Someone else changed")
    column, box = monday.bounding_box(), event.bounding_box()
    assert column["x"] <= box["x"] + box["width"] / 2 <= column["x"] + column["width"]
    meeting.refresh_from_db()
    assert meeting.starts_at == dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)


def test_the_calendar_fits_a_phone(logged_in: Page, live_server):
    page = logged_in
    rep = User.objects.get(username="rep1")
    ActivityFactory(
        kind=Activity.Kind.MEETING,
        owner=rep,
        organisation=rep.organisation,
        subject="Plant tour",
        starts_at=dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC),
    )
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_server.url}/calendar/?date=2026-03-02")
    expect(page.get_by_text("Plant tour")).to_be_visible()  # the agenda list
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
