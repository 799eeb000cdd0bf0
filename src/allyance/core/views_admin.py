"""Administration pages: users, teams, territories, partner organisations (admins only),
and "My organisation's users" for partner admins. Every write goes through `services_admin`."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from allyance.core import selectors, services_admin
from allyance.core.forms import form_errors_from
from allyance.core.forms_admin import (
    OrganisationForm,
    TeamForm,
    TerritoryForm,
    UserFilterForm,
    UserForm,
)
from allyance.core.models import Organisation, Role, Team, Territory, User


def admin_required(view):
    """Administrators only; everyone else gets 403."""

    @login_required
    def wrapped(request, *args, **kwargs):
        if not request.user.is_admin:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def partner_admin_required(view):
    """Partner admins only: they manage the users of their own organisation."""

    @login_required
    def wrapped(request, *args, **kwargs):
        if request.user.role != Role.PARTNER_ADMIN or request.user.is_admin:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _apply_service_errors(form: Form, exc: ValidationError) -> None:
    """Show a service's errors beside the fields they concern."""
    form_errors_from(form, exc)


def _form_page(
    request: HttpRequest,
    *,
    form: Form,
    save: Callable[[], object],
    title: str,
    cancel_url: str,
    success_url: str,
    extra: dict | None = None,
) -> HttpResponse:
    """Validate, call the service, and redirect; errors stay beside the fields, input is kept."""
    if request.method == "POST" and form.is_valid():
        try:
            save()
        except ValidationError as exc:
            _apply_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(success_url)
    context = {"form": form, "title": title, "cancel_url": cancel_url, **(extra or {})}
    return render(request, "core/admin_form.html", context)


# --- Overview -------------------------------------------------------------------------------


@admin_required
def admin_home(request: HttpRequest) -> HttpResponse:
    """Overview of users, teams, territories and partner organisations, with links."""
    users = User.objects.all()
    return render(
        request,
        "core/admin_home.html",
        {
            "user_count": users.filter(is_active=True).count(),
            "inactive_count": users.filter(is_active=False).count(),
            "team_count": Team.objects.count(),
            "territory_count": Territory.objects.count(),
            "partner_count": Organisation.objects.filter(kind=Organisation.Kind.PARTNER).count(),
        },
    )


# --- Users ----------------------------------------------------------------------------------


def _user_list(request: HttpRequest, *, own_organisation: bool) -> HttpResponse:
    users = selectors.users_visible_to(request.user).order_by("username")
    filters = UserFilterForm(request.GET or None)
    if own_organisation:
        del filters.fields["organisation"]
        filters.fields["role"].choices = [
            ("", "---------"),
            (Role.PARTNER_ADMIN.value, Role.PARTNER_ADMIN.label),
            (Role.PARTNER_USER.value, Role.PARTNER_USER.label),
        ]
    if request.GET:
        users = filters.filter(users)
    page = Paginator(users, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "core/admin_users.html",
        {
            "page": page,
            "filters": filters,
            "own_organisation": own_organisation,
            "query_string": query.urlencode(),
            "title": _("My organisation's users") if own_organisation else _("Users"),
        },
    )


def _user_form(request: HttpRequest, *, user: User | None, own_organisation: bool):
    form = UserForm(request.POST or None, instance=user, manager=request.user)
    list_url = reverse("core:my-users" if own_organisation else "core:admin-users")

    def save() -> None:
        services_admin.user_save(data=form.service_data(), by=request.user, user=user)

    title = _("New user") if user is None else _("Edit user %(name)s") % {"name": user.username}
    return _form_page(
        request,
        form=form,
        save=save,
        title=title,
        cancel_url=list_url,
        success_url=list_url,
        extra={"deactivate_url": _deactivate_url(user, own_organisation)},
    )


def _deactivate_url(user: User | None, own_organisation: bool) -> str | None:
    if user is None or not user.is_active:
        return None
    name = "core:my-user-deactivate" if own_organisation else "core:admin-user-deactivate"
    return reverse(name, args=[user.pk])


def _user_deactivate(request: HttpRequest, *, user: User, own_organisation: bool):
    try:
        services_admin.user_deactivate(user=user, by=request.user)
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
    else:
        messages.success(request, _("%(name)s can no longer log in.") % {"name": user})
    return redirect("core:my-users" if own_organisation else "core:admin-users")


@admin_required
def user_list(request: HttpRequest) -> HttpResponse:
    """Every user, filtered by organisation, role and active."""
    return _user_list(request, own_organisation=False)


@admin_required
def user_create(request: HttpRequest) -> HttpResponse:
    return _user_form(request, user=None, own_organisation=False)


@admin_required
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(selectors.users_visible_to(request.user), pk=pk)
    return _user_form(request, user=user, own_organisation=False)


@admin_required
@require_POST
def user_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(selectors.users_visible_to(request.user), pk=pk)
    return _user_deactivate(request, user=user, own_organisation=False)


@partner_admin_required
def my_user_list(request: HttpRequest) -> HttpResponse:
    """A partner admin's own organisation's users."""
    return _user_list(request, own_organisation=True)


@partner_admin_required
def my_user_create(request: HttpRequest) -> HttpResponse:
    return _user_form(request, user=None, own_organisation=True)


@partner_admin_required
def my_user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(selectors.users_visible_to(request.user), pk=pk)
    return _user_form(request, user=user, own_organisation=True)


@partner_admin_required
@require_POST
def my_user_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(selectors.users_visible_to(request.user), pk=pk)
    return _user_deactivate(request, user=user, own_organisation=True)


# --- Teams ----------------------------------------------------------------------------------


@admin_required
def team_list(request: HttpRequest) -> HttpResponse:
    teams = (
        selectors.teams_visible_to(request.user)
        .select_related("manager")
        .prefetch_related("members")
        .order_by("name")
    )
    return render(request, "core/admin_teams.html", {"teams": teams})


def _team_form(request: HttpRequest, team: Team | None) -> HttpResponse:
    form = TeamForm(request.POST or None, instance=team)

    def save() -> None:
        services_admin.team_save(
            team=form.instance, by=request.user, members=form.cleaned_data["members"]
        )

    return _form_page(
        request,
        form=form,
        save=save,
        title=_("New team") if team is None else _("Edit team %(name)s") % {"name": team},
        cancel_url=reverse("core:admin-teams"),
        success_url=reverse("core:admin-teams"),
        extra={"delete_url": reverse("core:admin-team-delete", args=[team.pk]) if team else None},
    )


@admin_required
def team_create(request: HttpRequest) -> HttpResponse:
    return _team_form(request, None)


@admin_required
def team_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _team_form(request, get_object_or_404(selectors.teams_visible_to(request.user), pk=pk))


@admin_required
@require_POST
def team_delete(request: HttpRequest, pk: int) -> HttpResponse:
    team = get_object_or_404(selectors.teams_visible_to(request.user), pk=pk)
    services_admin.team_delete(team=team, by=request.user)
    messages.success(request, _("Team %(name)s removed.") % {"name": team})
    return redirect("core:admin-teams")


# --- Territories ----------------------------------------------------------------------------


def territory_tree(territories: list[Territory]) -> list[tuple[Territory, int]]:
    """The territories in tree order, each with its depth, for an indented list."""
    children: dict[int | None, list[Territory]] = {}
    for territory in territories:
        children.setdefault(territory.parent_id, []).append(territory)
    known = {t.pk for t in territories}
    roots = [t for t in territories if t.parent_id is None or t.parent_id not in known]
    rows: list[tuple[Territory, int]] = []
    seen: set[int] = set()
    stack = [(t, 0) for t in reversed(roots)]
    while stack:
        territory, depth = stack.pop()
        if territory.pk in seen:
            continue
        seen.add(territory.pk)
        rows.append((territory, depth))
        stack.extend((child, depth + 1) for child in reversed(children.get(territory.pk, [])))
    return rows


@admin_required
def territory_list(request: HttpRequest) -> HttpResponse:
    """The territory tree as an indented list."""
    territories = list(
        selectors.territories_visible_to(request.user)
        .prefetch_related("members")
        .annotate(account_count=Count("accounts", distinct=True))
        .order_by("name")
    )
    rows = [
        {"territory": t, "depth": depth, "indent": f"{depth * 1.5:.1f}"}
        for t, depth in territory_tree(territories)
    ]
    return render(request, "core/admin_territories.html", {"rows": rows})


def _territory_form(request: HttpRequest, territory: Territory | None) -> HttpResponse:
    initial = {}
    if territory is None and request.GET.get("parent", "").isdigit():
        initial["parent"] = request.GET["parent"]
    form = TerritoryForm(request.POST or None, instance=territory, initial=initial)

    def save() -> None:
        services_admin.territory_save(
            territory=form.instance, by=request.user, members=form.cleaned_data["members"]
        )

    if territory is None:
        title = _("New territory")
    else:
        title = _("Edit or redraw territory %(name)s") % {"name": territory}
    return _form_page(
        request,
        form=form,
        save=save,
        title=title,
        cancel_url=reverse("core:admin-territories"),
        success_url=reverse("core:admin-territories"),
        extra={
            "delete_url": reverse("core:admin-territory-delete", args=[territory.pk])
            if territory
            else None
        },
    )


@admin_required
def territory_create(request: HttpRequest) -> HttpResponse:
    return _territory_form(request, None)


@admin_required
def territory_edit(request: HttpRequest, pk: int) -> HttpResponse:
    territory = get_object_or_404(selectors.territories_visible_to(request.user), pk=pk)
    return _territory_form(request, territory)


@admin_required
@require_POST
def territory_delete(request: HttpRequest, pk: int) -> HttpResponse:
    territory = get_object_or_404(selectors.territories_visible_to(request.user), pk=pk)
    try:
        services_admin.territory_delete(territory=territory, by=request.user)
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
        return redirect("core:admin-territory-edit", pk=territory.pk)
    messages.success(request, _("Territory %(name)s removed.") % {"name": territory})
    return redirect("core:admin-territories")


# --- Partner organisations ------------------------------------------------------------------


@admin_required
def organisation_list(request: HttpRequest) -> HttpResponse:
    """Partner organisations with their type, tier, status, parent and channel manager."""
    organisations = (
        selectors.organisations_visible_to(request.user)
        .filter(kind=Organisation.Kind.PARTNER)
        .select_related("parent", "channel_manager")
        .annotate(user_count=Count("users", distinct=True))
        .order_by("name")
    )
    return render(request, "core/admin_organisations.html", {"organisations": organisations})


def _organisation_form(request: HttpRequest, organisation: Organisation | None) -> HttpResponse:
    form = OrganisationForm(request.POST or None, instance=organisation)

    def save() -> None:
        services_admin.organisation_save(organisation=form.instance, by=request.user)

    if organisation is None:
        title = _("New partner organisation")
    else:
        title = _("Edit organisation %(name)s") % {"name": organisation}
    return _form_page(
        request,
        form=form,
        save=save,
        title=title,
        cancel_url=reverse("core:admin-organisations"),
        success_url=reverse("core:admin-organisations"),
    )


@admin_required
def organisation_create(request: HttpRequest) -> HttpResponse:
    return _organisation_form(request, None)


@admin_required
def organisation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = get_object_or_404(
        selectors.organisations_visible_to(request.user).filter(kind=Organisation.Kind.PARTNER),
        pk=pk,
    )
    return _organisation_form(request, organisation)
