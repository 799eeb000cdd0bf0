"""Web pages for activities: the list, logging and editing, and the task list.

The calendar and its feed are in `views_calendar`."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from allyance.activities import selectors, services
from allyance.activities.filters import ActivityFilter
from allyance.activities.forms import ActivityForm
from allyance.activities.models import Activity
from allyance.activities.views_calendar import parse_moment
from allyance.core.editing import record_form_page
from allyance.core.exceptions import ConflictError
from allyance.core.listing import Column, RecordList
from allyance.core.visibility import get_visible_or_404

ACTIVITY_LIST = RecordList(
    selector=selectors.activities_visible_to,
    filterset_class=ActivityFilter,
    title=gettext_lazy("Activities"),
    columns=[
        Column("subject", gettext_lazy("Subject"), link=True),
        Column("kind", gettext_lazy("Type")),
        Column("status", gettext_lazy("Status")),
        Column("due_at", gettext_lazy("Due"), sort="due_at"),
        Column("account", gettext_lazy("Account")),
        Column("contact", gettext_lazy("Contact")),
        Column("owner", gettext_lazy("Assigned to")),
        Column("created_at", gettext_lazy("Created"), sort="created_at"),
    ],
    default_ordering="-created_at",
    create_url=reverse_lazy("activities:activity-create"),
    bulk_actions=("assign_owner", "delete"),
)


def _save(record, *, by, expected_version):
    return services.activity_save(activity=record, by=by, expected_version=expected_version)


@login_required
def activity_list(request: HttpRequest) -> HttpResponse:
    return ACTIVITY_LIST.render(request)


@login_required
def activity_create(request: HttpRequest) -> HttpResponse:
    initial = {"kind": request.GET.get("kind", Activity.Kind.TASK)}
    for name in ("account", "contact"):
        if request.GET.get(name, "").isdigit():
            initial[name] = request.GET[name]
    starts_at = parse_moment(request.GET.get("starts_at", ""), services.zone_of(request.user))
    if isinstance(starts_at, dt.datetime):
        initial["starts_at"] = timezone.localtime(starts_at, services.zone_of(request.user))
        initial["ends_at"] = initial["starts_at"] + dt.timedelta(hours=1)
    return record_form_page(
        request,
        form_class=ActivityForm,
        instance=Activity(),
        save=_save,
        title=_("New activity"),
        cancel_url=reverse("activities:activity-list"),
        template="activities/activity_form.html",
        initial=initial,
    )


@login_required
def activity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    activity = get_visible_or_404(
        request.user, selectors.activities_visible_to(request.user), pk=pk
    )
    return record_form_page(
        request,
        form_class=ActivityForm,
        instance=activity,
        save=_save,
        title=_("Edit %(name)s") % {"name": activity},
        cancel_url=reverse("activities:activity-list"),
        template="activities/activity_form.html",
    )


# --- The task list -------------------------------------------------------------------------


def task_groups(tasks, *, zone) -> list[tuple[str, str, list[Activity]]]:
    """Open to-dos by when they are due: overdue, today, this week, later, no date."""
    now = timezone.now()
    today = timezone.localtime(now, zone).date()
    week_end = today + dt.timedelta(days=6 - today.weekday())
    groups = {key: [] for key in ("overdue", "today", "week", "later", "none")}
    for task in tasks:
        due = task.due_at or task.starts_at
        if due is None:
            groups["none"].append(task)
            continue
        day = timezone.localtime(due, zone).date()
        if due < now:
            groups["overdue"].append(task)
        elif day == today:
            groups["today"].append(task)
        elif day <= week_end:
            groups["week"].append(task)
        else:
            groups["later"].append(task)
    labels = {
        "overdue": _("Overdue"),
        "today": _("Due today"),
        "week": _("This week"),
        "later": _("Later"),
        "none": _("No due date"),
    }
    return [(key, labels[key], items) for key, items in groups.items()]


@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    """My open tasks and calls to make, grouped by when they are due."""
    tasks = list(selectors.task_list_of(request.user)[:500])
    return render(
        request,
        "activities/task_list.html",
        {
            "groups": task_groups(tasks, zone=services.zone_of(request.user)),
            "count": len(tasks),
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
def task_done(request: HttpRequest, pk: int) -> HttpResponse:
    """Tick a task off (htmx swaps the row; without htmx, back to the list)."""
    activity = get_visible_or_404(
        request.user, selectors.activities_visible_to(request.user), pk=pk
    )
    version = request.POST.get("version", "")
    error = ""
    try:
        activity = services.activity_complete(
            activity=activity,
            by=request.user,
            expected_version=int(version) if version.isdigit() and len(version) < 10 else None,
        )
    except (ConflictError, ValidationError, PermissionDenied) as exc:
        error = exc.messages[0] if hasattr(exc, "messages") else str(exc)
        activity.refresh_from_db()
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("activities:task-list")
    return render(
        request,
        "activities/task_row.html",
        {"task": activity, "error": error, "now": timezone.now()},
    )
