"""Web pages for activities: the list, logging a new one, editing."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from allyance.activities import selectors, services
from allyance.activities.filters import ActivityFilter
from allyance.activities.forms import ActivityForm
from allyance.activities.models import Activity
from allyance.core.editing import record_form_page
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
    return record_form_page(
        request,
        form_class=ActivityForm,
        instance=Activity(),
        save=_save,
        title=_("New activity"),
        cancel_url=reverse("activities:activity-list"),
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
    )
