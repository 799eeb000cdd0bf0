"""Administration pages: users, roles, teams, territories (admins only)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from allyance.core.models import Team, Territory, User


def admin_required(view):
    @login_required
    def wrapped(request, *args, **kwargs):
        if not request.user.is_admin:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@admin_required
def admin_home(request: HttpRequest) -> HttpResponse:
    """Overview of users, teams and territories."""
    return render(
        request,
        "core/admin_home.html",
        {
            "users": User.objects.select_related("organisation").order_by("username"),
            "teams": Team.objects.prefetch_related("members").select_related("manager"),
            "territories": Territory.objects.select_related("parent").order_by("parent_id", "name"),
        },
    )
