"""The calendar page, its events and reschedule endpoints, invitation answers, and the
private iCalendar feed."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from allyance.activities import selectors, services, services_invitations
from allyance.activities.models import Activity, ActivityInvitee, CalendarFeedToken
from allyance.core.exceptions import ConflictError
from allyance.core.notifications import in_language_of
from allyance.core.visibility import get_visible_or_404

FULLCALENDAR_LOCALES = {"zh-hans": "zh-cn", "zh-hant": "zh-tw"}
CALENDAR_VIEWS = ("dayGridMonth", "timeGridWeek", "timeGridDay", "listWeek")
# Tabler's palette: meetings blue, calls green, tasks orange, done grey.
KIND_COLOURS = {"meeting": "#206bc4", "call": "#2fb344", "task": "#f76707"}
DONE_COLOUR = "#868e96"


def _calendar_which(request: HttpRequest) -> dict:
    """Whose entries the calendar shows: mine (default), the team's, or one person's."""
    person = request.GET.get("user", "")
    if person.isdigit() and len(person) < 12:
        allowed = selectors.calendar_people_for(request.user).filter(pk=int(person)).exists()
        return {"owner_id": int(person) if allowed else 0}
    if request.GET.get("scope") == "team":
        return {}
    return {"mine": True}


def parse_moment(value: str, zone) -> dt.datetime | dt.date | None:
    """An ISO date or date-time; a naive one is read in `zone`."""
    value = (value or "").strip().replace(" ", "+")
    if not value or len(value) > 40:
        return None
    try:
        if len(value) == 10:
            return parse_date(value)
        moment = parse_datetime(value)
    except ValueError:
        return None
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, zone)
    return moment


def _as_moment(value, zone) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(), tzinfo=zone)
    return None


def calendar_event(
    activity: Activity, *, user, editable_ids: set[int], zone, responses: dict | None = None
) -> dict:
    """One entry as FullCalendar reads it; `responses`: the user's answers to invitations."""
    editable = activity.pk in editable_ids
    event = {
        "id": str(activity.pk),
        "title": activity.subject,
        "classNames": [f"allyance-event-{activity.kind}"]
        + (["allyance-event-done"] if activity.status == Activity.Status.DONE else []),
        "editable": editable,
        "color": DONE_COLOUR
        if activity.status == Activity.Status.DONE
        else KIND_COLOURS.get(activity.kind, KIND_COLOURS["meeting"]),
        "extendedProps": {
            "kind": activity.kind,
            "kindLabel": activity.get_kind_display(),
            "version": activity.version,
            "owner": str(activity.owner) if activity.owner else "",
            "location": activity.location,
            "moveUrl": reverse("activities:calendar-move", args=[activity.pk]),
        },
    }
    if editable:
        event["url"] = activity.get_absolute_url()
    if responses and activity.pk in responses:
        event["extendedProps"]["response"] = responses[activity.pk]
        event["extendedProps"]["respondUrl"] = reverse(
            "activities:invitation-respond", args=[activity.pk]
        )
    if activity.starts_at is not None:
        event["start"] = activity.starts_at.isoformat()
        if activity.ends_at:
            event["end"] = activity.ends_at.isoformat()
        event["allDay"] = False
    else:
        event["start"] = timezone.localtime(activity.due_at, zone).date().isoformat()
        event["allDay"] = True
        event["durationEditable"] = False
    return event


@login_required
def calendar(request: HttpRequest) -> HttpResponse:
    """Day, week and month calendar of the user's (or their team's) meetings, calls and tasks."""
    language = translation.get_language() or ""
    people = selectors.calendar_people_for(request.user)
    view = request.GET.get("view", "")
    try:
        day = parse_date(request.GET.get("date", "")[:10])
    except ValueError:
        day = None
    options = {
        "eventsUrl": reverse("activities:calendar-events"),
        "timeZone": str(services.zone_of(request.user)),
        "locale": FULLCALENDAR_LOCALES.get(language.lower(), "en"),
        "initialView": view if view in CALENDAR_VIEWS else "timeGridWeek",
        "initialDate": day.isoformat() if day else "",
        "newUrl": reverse("activities:activity-create"),
        "messages": {
            "conflict": _(
                "Someone else changed this entry. It is back where it was; reload to see the latest."
            ),
            "failed": _("The entry could not be moved."),
            "moved": _("Moved."),
            "responses": {key: str(label) for key, label in ActivityInvitee.Response.choices},
        },
    }
    return render(
        request,
        "activities/calendar.html",
        {
            "options": options,
            "people": people[:500],
            "which": request.GET.get("user") or request.GET.get("scope") or "mine",
        },
    )


@login_required
def calendar_events(request: HttpRequest) -> JsonResponse:
    """The calendar's entries between `start` and `end`, as the gate lets the user see them."""
    zone = services.zone_of(request.user)
    start = _as_moment(parse_moment(request.GET.get("start", ""), zone), zone)
    end = _as_moment(parse_moment(request.GET.get("end", ""), zone), zone)
    if start is None or end is None or end <= start or end - start > dt.timedelta(days=400):
        return JsonResponse(
            {"error": _("Give a start and an end (ISO 8601), at most 400 days apart.")},
            status=400,
        )
    activities = list(
        selectors.calendar_activities_between(request.user, start, end, **_calendar_which(request))[
            :2000
        ]
    )
    editable_ids = set()
    if not request.user.is_customer:
        editable_ids = set(
            selectors.activities_visible_to(request.user)
            .filter(pk__in=[a.pk for a in activities])
            .values_list("pk", flat=True)
        )
    responses = dict(
        ActivityInvitee.objects.filter(
            user_id=request.user.pk, activity_id__in=[a.pk for a in activities]
        ).values_list("activity_id", "response")
    )
    return JsonResponse(
        [
            calendar_event(
                a, user=request.user, editable_ids=editable_ids, zone=zone, responses=responses
            )
            for a in activities
        ],
        safe=False,
    )


@login_required
@require_POST
def invitation_respond(request: HttpRequest, pk: int) -> JsonResponse:
    """An invitee's answer to a meeting: accepted, tentative or declined."""
    activity = get_object_or_404(
        selectors.calendar_activities_for(request.user, mine=True).filter(
            invitees__user_id=request.user.pk
        ),
        pk=pk,
    )
    try:
        invitee = services_invitations.invitation_respond(
            activity=activity, user=request.user, response=request.POST.get("response", "")
        )
    except ValidationError as exc:
        return JsonResponse({"errors": exc.message_dict}, status=400)
    return JsonResponse(
        {"response": invitee.response, "label": str(invitee.get_response_display())}
    )


@login_required
@require_POST
def calendar_move(request: HttpRequest, pk: int) -> JsonResponse:
    """Reschedule by drag and drop; a stale version is refused (409) so the page reverts."""
    activity = get_visible_or_404(
        request.user, selectors.activities_visible_to(request.user), pk=pk
    )
    zone = services.zone_of(request.user)
    start = parse_moment(request.POST.get("start", ""), zone)
    end = parse_moment(request.POST.get("end", ""), zone) if request.POST.get("end") else None
    version = request.POST.get("version", "")
    if start is None or (end is not None and not isinstance(end, dt.datetime)):
        return JsonResponse({"errors": {"start": [_("Enter a valid date/time.")]}}, status=400)
    if not version.isdigit() or len(version) > 9:
        return JsonResponse({"errors": {"version": [_("Enter a whole number.")]}}, status=400)
    if isinstance(start, dt.date) and not isinstance(start, dt.datetime) and activity.starts_at:
        return JsonResponse(
            {"errors": {"start": [_("This entry needs a start time.")]}}, status=400
        )
    try:
        activity = services.activity_reschedule(
            activity=activity,
            start=start,
            end=end,
            by=request.user,
            expected_version=int(version),
        )
    except ConflictError as exc:
        return JsonResponse({"error": str(exc)}, status=409)
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"start": exc.messages}
        return JsonResponse({"errors": errors}, status=400)
    except PermissionDenied as exc:
        return JsonResponse({"error": str(exc)}, status=403)
    return JsonResponse(
        calendar_event(activity, user=request.user, editable_ids={activity.pk}, zone=zone)
    )


# --- The private iCalendar feed ------------------------------------------------------------


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The user's calendar for subscription in Google, Outlook or Apple: the token is the key."""
    from allyance.activities.calendar_feed import calendar_ics, feed_activities

    feed_token = (
        CalendarFeedToken.objects.select_related("user")
        .filter(token=token, user__is_active=True)
        .first()
        if len(token) <= 64
        else None
    )
    if feed_token is None:
        raise Http404
    user = feed_token.user
    with in_language_of(user):
        name = _("Allyance: %(name)s") % {"name": user}
        body = calendar_ics(feed_activities(user), user=user, name=name)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="allyance.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_required
@require_POST
def calendar_feed_token(request: HttpRequest) -> HttpResponse:
    """Create or replace the user's feed URL, or revoke it."""
    if request.POST.get("action") == "revoke":
        services.calendar_feed_token_revoke(user=request.user)
        messages.success(request, _("Your calendar feed URL is revoked."))
    else:
        services.calendar_feed_token_renew(user=request.user)
        messages.success(
            request, _("A new calendar feed URL is ready. The old one no longer works.")
        )
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = reverse("core:profile")
    return redirect(next_url)
