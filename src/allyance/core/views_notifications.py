"""The user's notifications: the list, opening one (marks it read), marking read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from allyance.core.models import Notification
from allyance.core.notifications import notifications_mark_read, notifications_of


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    """Newest first, unread ones marked; `?unread=1` shows only those."""
    notifications = notifications_of(request.user)
    only_unread = request.GET.get("unread") == "1"
    if only_unread:
        notifications = notifications.filter(read_at__isnull=True)
    page = Paginator(notifications, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "core/notifications.html",
        {"page": page, "only_unread": only_unread},
    )


@login_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow a notification's link, marking it read on the way."""
    notification = get_object_or_404(notifications_of(request.user), pk=pk)
    notifications_mark_read(recipient=request.user, ids=[notification.pk])
    url = notification.url
    if not url or not url_has_allowed_host_and_scheme(
        url, {request.get_host()}, request.is_secure()
    ):
        return redirect("core:notification-list")
    return redirect(url)


@login_required
@require_POST
def notification_read(request: HttpRequest) -> HttpResponse:
    """Mark one (`id`) or all of the user's notifications read."""
    ids = [int(i) for i in request.POST.getlist("id") if i.isdigit() and len(i) < 12]
    notifications_mark_read(recipient=request.user, ids=ids or None)
    if request.htmx and ids:
        notification = Notification.objects.filter(recipient=request.user, pk=ids[0]).first()
        if notification is not None:
            return render(request, "core/notification_row.html", {"notification": notification})
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "core:notification-list"
    return redirect(next_url)
