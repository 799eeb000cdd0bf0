"""Administration writes: users and their roles, teams, territories, organisations, API tokens.

The web pages and the REST API both call these functions, so one rule decides
who may change what: administrators manage everything, a partner admin manages
only the users of their own organisation and only with partner roles.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from functools import cache

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from allyance.core import audit
from allyance.core.models import PARTNER_ROLES, Organisation, Role, Team, Territory, User

# What `user_save` may change, in form order; anything else (is_superuser, is_staff, …) is not.
USER_FIELDS = (
    "username",
    "first_name",
    "last_name",
    "email",
    "phone",
    "organisation",
    "role",
    "customer_account",
    "language",
    "time_zone",
    "is_active",
)


@cache
def time_zone_names() -> frozenset[str]:
    """Every IANA time zone name this machine knows."""
    return frozenset(zoneinfo.available_timezones())


def _is_partner_admin(user: User) -> bool:
    return user.role == Role.PARTNER_ADMIN and not user.is_admin


def _require_admin(by: User) -> None:
    if not (by.is_active and by.is_admin):
        raise PermissionDenied


def _check_preferences(*, language: str, time_zone: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if language and language not in dict(settings.LANGUAGES):
        errors["language"] = [_("Choose one of the offered languages.")]
    if time_zone and time_zone not in time_zone_names():
        errors["time_zone"] = [_("Choose a time zone from the list, e.g. Asia/Shanghai.")]
    return errors


def _check_role_fits(user: User) -> None:
    """Partner roles belong to partner organisations, staff roles to the company."""
    errors: dict[str, list[str]] = {}
    organisation = user.organisation
    if user.role in PARTNER_ROLES:
        if organisation is None or organisation.is_company:
            errors["organisation"] = [_("Partner users belong to a partner organisation.")]
    elif user.role == Role.CUSTOMER:
        if user.customer_account_id is None:
            errors["customer_account"] = [_("Choose the account this portal user belongs to.")]
    elif organisation is not None and not organisation.is_company:
        errors["role"] = [_("Users of a partner organisation get a partner role.")]
    if user.role != Role.CUSTOMER and user.customer_account_id is not None:
        errors["customer_account"] = [_("Only customer portal users belong to an account.")]
    errors.update(_check_preferences(language=user.language, time_zone=user.time_zone))
    if errors:
        raise ValidationError(errors)


def user_save(*, data: dict, by: User, user: User | None = None) -> User:
    """Create or change a user. Admins manage everyone; partner admins their own partner's users.

    `data` holds model field values (see USER_FIELDS) and optionally `password`.
    A partner admin may not place a user in another organisation, give a staff
    or customer role, or touch another organisation's user.
    """
    data = dict(data)
    password = data.pop("password", None)
    unknown = set(data) - set(USER_FIELDS)
    if unknown:
        raise TypeError(f"user_save() cannot set {sorted(unknown)}")
    if not by.is_active:
        raise PermissionDenied
    if _is_partner_admin(by):
        if user is not None and user.pk is not None:
            stored = User.objects.filter(pk=user.pk).values_list("organisation_id", flat=True)
            if stored.first() != by.organisation_id:
                raise PermissionDenied
        errors: dict[str, list[str]] = {}
        organisation = data.get("organisation")
        if organisation is not None and organisation.pk != by.organisation_id:
            errors["organisation"] = [_("You can add users to your own organisation only.")]
        role = data.get("role", user.role if user is not None else Role.PARTNER_USER)
        if role not in PARTNER_ROLES:
            errors["role"] = [_("Partner admins give partner roles only.")]
        if data.get("customer_account") is not None:
            errors["customer_account"] = [_("Partner admins cannot create portal customers.")]
        if errors:
            raise ValidationError(errors)
        data["organisation"] = by.organisation
        data["role"] = role
    elif not by.is_admin:
        raise PermissionDenied

    with audit.acting_as(by), transaction.atomic():
        if user is None:
            user = User()
        before = (
            User.objects.filter(pk=user.pk).values("role", "is_active").first()
            if user.pk is not None
            else None
        )
        for name, value in data.items():
            setattr(user, name, value)
        if user.organisation_id is None and user.role not in PARTNER_ROLES:
            user.organisation = Organisation.company()
        if before is not None and user.pk == by.pk:
            if before["role"] != user.role:
                raise ValidationError({"role": _("You cannot change your own role.")})
            if before["is_active"] and not user.is_active:
                raise ValidationError({"is_active": _("You cannot deactivate yourself.")})
        _check_role_fits(user)
        if password:
            try:
                validate_password(password, user)
            except ValidationError as exc:
                raise ValidationError({"password": exc.messages}) from exc
            user.set_password(password)
        elif user.pk is None:
            user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save()
        if not user.is_active:
            Token.objects.filter(user=user).delete()
    return user


def user_deactivate(*, user: User, by: User) -> User:
    """Users are never deleted (their records and history keep their name); they are disabled."""
    if _is_partner_admin(by):
        if user.organisation_id != by.organisation_id:
            raise PermissionDenied
    elif not by.is_admin:
        raise PermissionDenied
    if user.pk == by.pk:
        raise ValidationError({"is_active": _("You cannot deactivate yourself.")})
    with audit.acting_as(by), transaction.atomic():
        user.is_active = False
        user.save(update_fields=["is_active"])
        Token.objects.filter(user=user).delete()
    return user


def user_preferences_save(*, user: User, language: str, time_zone: str) -> User:
    """A user's own interface language and time zone; blank means the site default."""
    errors = _check_preferences(language=language, time_zone=time_zone)
    if errors:
        raise ValidationError(errors)
    with audit.acting_as(user), transaction.atomic():
        user.language = language
        user.time_zone = time_zone
        user.save(update_fields=["language", "time_zone"])
    return user


def token_renew(*, user: User) -> Token:
    """Replace the user's API token with a new one; the old key stops working at once."""
    with transaction.atomic():
        Token.objects.filter(user=user).delete()
        return Token.objects.create(user=user)


def _check_staff(users: Iterable[User], field: str) -> None:
    """Teams, territories and channel management are for active company staff only."""
    outsiders = [str(u) for u in users if u is not None and not (u.is_internal and u.is_active)]
    if outsiders:
        raise ValidationError(
            {
                field: _("Only active staff can be chosen: %(names)s")
                % {"names": ", ".join(outsiders)}
            }
        )


def team_save(*, team: Team, by: User, members: Iterable[User] | None = None) -> Team:
    """Create or change a team; its manager and members are active staff."""
    _require_admin(by)
    members = list(members) if members is not None else None
    _check_staff([team.manager], "manager")
    if members is not None:
        _check_staff(members, "members")
    team.full_clean()
    with audit.acting_as(by), transaction.atomic():
        team.save()
        if members is not None:
            team.members.set(members)
    return team


def team_delete(*, team: Team, by: User) -> None:
    """Remove a team; its members keep their records, only team scope changes."""
    _require_admin(by)
    with audit.acting_as(by), transaction.atomic():
        team.delete()


def _check_territory_parent(territory: Territory) -> None:
    """Refuse a parent that is the territory itself or lies below it: the tree has no cycles."""
    if territory.parent_id is None or territory.pk is None:
        return
    # Lock the tree so two concurrent moves cannot build a cycle between them.
    parents = dict(
        Territory.objects.select_for_update().order_by("pk").values_list("pk", "parent_id")
    )
    node, seen = territory.parent_id, set()
    while node is not None and node not in seen:
        if node == territory.pk:
            raise ValidationError(
                {
                    "parent": _(
                        "“%(territory)s” cannot move under “%(parent)s”: "
                        "that territory lies inside it."
                    )
                    % {"territory": territory.name, "parent": territory.parent.name}
                }
            )
        seen.add(node)
        node = parents.get(node)


def territory_save(
    *, territory: Territory, by: User, members: Iterable[User] | None = None
) -> Territory:
    """Create, change or redraw a territory: move it under another parent and set its members.

    Visibility follows at once, since the gate reads the tree on every request.
    """
    _require_admin(by)
    members = list(members) if members is not None else None
    if members is not None:
        _check_staff(members, "members")
    territory.full_clean()
    with audit.acting_as(by), transaction.atomic():
        _check_territory_parent(territory)
        territory.save()
        if members is not None:
            territory.members.set(members)
    return territory


def territory_delete(*, territory: Territory, by: User) -> None:
    """Remove a territory without children; its accounts keep their data but lose the territory."""
    _require_admin(by)
    if territory.children.exists():
        raise ValidationError(
            _("Move or remove the territories inside “%(name)s” first.") % {"name": territory.name}
        )
    with audit.acting_as(by), transaction.atomic():
        territory.delete()


def _check_organisation_parent(organisation: Organisation) -> None:
    """Two-tier channels: a partner sits under a distributor, never under itself or below.

    A partner put under another partner before that rule (or whose parent later changed
    type) keeps its parent; the rule applies when the parent is chosen.
    """
    parent = organisation.parent
    if parent is None:
        return
    if organisation.is_company or parent.is_company:
        raise ValidationError(
            {"parent": _("Only partner organisations sit under another partner organisation.")}
        )
    stored_parent = (
        Organisation.objects.filter(pk=organisation.pk).values_list("parent_id", flat=True).first()
        if organisation.pk
        else None
    )
    if parent.pk != stored_parent and parent.partner_type != Organisation.PartnerType.DISTRIBUTOR:
        raise ValidationError(
            {
                "parent": _(
                    "%(parent)s is not a distributor; partners sit only under a distributor."
                )
                % {"parent": parent}
            }
        )
    node, seen = parent, set()
    while node is not None and node.pk not in seen:
        if organisation.pk is not None and node.pk == organisation.pk:
            raise ValidationError(
                {"parent": _("An organisation cannot sit under itself or one of its own partners.")}
            )
        seen.add(node.pk)
        node = node.parent


def organisation_save(*, organisation: Organisation, by: User) -> Organisation:
    """Create or change an organisation; new ones are always partners (there is one company)."""
    _require_admin(by)
    if organisation.pk is None:
        organisation.kind = Organisation.Kind.PARTNER
    else:
        stored_kind = (
            Organisation.objects.filter(pk=organisation.pk).values_list("kind", flat=True).first()
        )
        organisation.kind = stored_kind or organisation.kind
    _check_organisation_parent(organisation)
    _check_staff([organisation.channel_manager], "channel_manager")
    organisation.full_clean()
    with audit.acting_as(by), transaction.atomic():
        organisation.save()
    return organisation


def organisation_delete(*, organisation: Organisation, by: User) -> None:
    """Remove an organisation that nothing refers to; the company itself stays."""
    _require_admin(by)
    if organisation.is_company:
        raise ValidationError({"kind": _("The company organisation cannot be removed.")})
    with audit.acting_as(by), transaction.atomic():
        organisation.delete()
