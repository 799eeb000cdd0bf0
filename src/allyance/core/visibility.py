"""The one visibility gate: which rows of a business model a user may see.

Every selector, view, API endpoint, export, search and report starts from
`visible_to(user, queryset)`. Staff see by their role's scope (own / team /
territory / all), partner users see their own organisation's records (and, in a
two-tier channel, those of the partners below that share with them), and portal
customers see their own account's records.

Centrally maintained data (the catalog, price lists) is the company's: staff read
all of it, partners and customers read what the model's `shared_with(user)` says
the company shares with them, and only the company changes it.
"""

from __future__ import annotations

from enum import StrEnum

from django.db.models import Model, Q, QuerySet
from django.http import Http404

from allyance.core.models import PARTNER_ROLES, Organisation, Role, Team, territory_subtree_ids


class Scope(StrEnum):
    OWN = "own"
    TEAM = "team"
    TERRITORY = "territory"
    PARTNERS = "partners"
    ALL = "all"


ROLE_SCOPES: dict[str, Scope] = {
    Role.ADMIN: Scope.ALL,
    Role.MARKETING: Scope.ALL,
    Role.SERVICE_AGENT: Scope.ALL,
    Role.SALES_MANAGER: Scope.TEAM,
    Role.SALES_REP: Scope.TERRITORY,
    Role.CHANNEL_MANAGER: Scope.PARTNERS,
}


def scope_of(user) -> Scope | None:
    if user.is_superuser:
        return Scope.ALL
    return ROLE_SCOPES.get(user.role)


def territory_ids_of(user) -> set[int]:
    """Territories the user belongs to, with every territory below them."""
    cached = getattr(user, "_territory_ids", None)
    if cached is None:
        roots = list(user.territories.values_list("id", flat=True))
        cached = territory_subtree_ids(roots) if roots else set()
        user._territory_ids = cached
    return cached


def team_member_ids_of(user) -> set[int]:
    """Everyone in the teams the user manages or belongs to, the user included."""
    cached = getattr(user, "_team_member_ids", None)
    if cached is None:
        teams = Team.objects.filter(Q(manager=user) | Q(members=user)).values("id")
        cached = set(
            Team.members.through.objects.filter(team_id__in=teams).values_list("user_id", flat=True)
        )
        cached.add(user.pk)
        user._team_member_ids = cached
    return cached


def _organisations_below(roots: set[int], *, shared_only: bool) -> set[int]:
    found = set(roots)
    frontier = set(roots)
    while frontier:
        children = Organisation.objects.filter(parent_id__in=frontier)
        if shared_only:
            children = children.filter(shares_with_parent=True)
        frontier = set(children.values_list("id", flat=True)) - found
        found |= frontier
    return found


def partner_organisation_ids_of(user) -> set[int]:
    """A partner user's organisation and, in a two-tier channel, every partner below it that
    shares its records upwards (a distributor sees its resellers; a reseller never sees its
    distributor or the distributor's other resellers)."""
    cached = getattr(user, "_partner_organisation_ids", None)
    if cached is None:
        roots = {user.organisation_id} if user.organisation_id else set()
        cached = _organisations_below(roots, shared_only=True) if roots else set()
        user._partner_organisation_ids = cached
    return cached


def managed_organisation_ids_of(user) -> set[int]:
    """The partners a channel manager looks after, with every partner below them."""
    cached = getattr(user, "_managed_organisation_ids", None)
    if cached is None:
        roots = set(Organisation.objects.filter(channel_manager=user).values_list("id", flat=True))
        cached = _organisations_below(roots, shared_only=False) if roots else set()
        user._managed_organisation_ids = cached
    return cached


def visibility_filter(user, model: type[Model]) -> Q | None:
    """The filter that restricts `model` to what `user` may see; None means everything."""
    nothing = Q(pk__in=[])
    if user is None or not user.is_authenticated or not user.is_active:
        return nothing
    if getattr(model, "centrally_maintained", False):
        return None if user.is_internal else model.shared_with(user)
    if user.role == Role.CUSTOMER and not user.is_superuser:
        path = getattr(model, "visibility_account_path", None)
        if path is None or user.customer_account_id is None:
            return nothing
        return Q(**{path: user.customer_account_id})
    if user.role in PARTNER_ROLES and not user.is_superuser:
        organisations = partner_organisation_ids_of(user)
        condition = Q(organisation_id__in=organisations)
        # A record between two partners (an order handed down) is also the other party's.
        for path in getattr(model, "visibility_partner_paths", ()):
            condition |= Q(**{f"{path}__in": organisations})
        return condition

    scope = scope_of(user)
    if scope is None:
        return nothing
    if scope == Scope.ALL:
        return None
    condition = Q(owner_id=user.pk)
    if scope == Scope.TEAM:
        condition |= Q(owner_id__in=team_member_ids_of(user))
    if scope in (Scope.TEAM, Scope.TERRITORY):
        path = getattr(model, "visibility_territory_path", None)
        territories = territory_ids_of(user)
        if path and territories:
            condition |= Q(**{f"{path}__in": territories})
    if scope == Scope.PARTNERS:
        condition |= Q(organisation_id__in=managed_organisation_ids_of(user))
    return condition


def visible_to(user, queryset: QuerySet) -> QuerySet:
    """`queryset` narrowed to the rows `user` may see."""
    condition = visibility_filter(user, queryset.model)
    return queryset if condition is None else queryset.filter(condition)


def get_visible_or_404(user, queryset: QuerySet, **lookup) -> Model:
    """One record the user may see, or 404: a forbidden id looks like an unknown one."""
    try:
        return visible_to(user, queryset).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def can_see(user, obj: Model) -> bool:
    return visible_to(user, type(obj)._default_manager.filter(pk=obj.pk)).exists()
