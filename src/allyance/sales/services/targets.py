"""Targets (quotas): who may set them, and the rules a target keeps.

Administrators set any target; a sales manager sets targets for the members of the teams
they manage, for those teams, and for the territories they belong to (with everything below).
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from allyance.core import audit
from allyance.core.models import Role, User
from allyance.sales.models import Target
from allyance.sales.selectors.reports import period_of


def may_plan_targets(user: User | None) -> bool:
    """Administrators and sales managers create and change targets."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and (user.is_admin or user.role == Role.SALES_MANAGER)
    )


def _check_may_change(by: User, target: Target) -> None:
    if not may_plan_targets(by):
        raise PermissionDenied(_("Only administrators and sales managers may set targets."))
    if by.is_admin:
        return
    if not _in_scope(by, target):
        raise PermissionDenied(_("You may set targets only for your teams and territories."))


def _in_scope(by: User, target: Target) -> bool:
    from allyance.core.visibility import team_member_ids_of, territory_ids_of

    if target.user_id:
        return target.user_id in team_member_ids_of(by)
    if target.team_id:
        return by.managed_teams.filter(pk=target.team_id).exists()
    return target.territory_id in territory_ids_of(by)


def target_save(*, target: Target, by: User) -> Target:
    """Validate and save a target. Its start moves to the first day of its month or quarter."""
    whom = [f for f in ("user_id", "team_id", "territory_id") if getattr(target, f)]
    if len(whom) != 1:
        raise ValidationError(
            {"user": _("Set the target for exactly one user, team or territory.")}
        )
    if target.pk is not None:
        _check_may_change(by, Target.objects.get(pk=target.pk))
    _check_may_change(by, target)
    if target.user_id and not target.user.is_internal:
        raise ValidationError({"user": _("Targets are for the company's own staff.")})
    if target.period_start is None:
        raise ValidationError({"period_start": _("Choose the month or quarter.")})
    target.period_start = period_of(target.period, target.period_start).start
    if target.amount is None or target.amount < 0:
        raise ValidationError({"amount": _("The amount cannot be negative.")})
    if (target.amount or Decimal(0)) == 0 and not target.count:
        raise ValidationError({"amount": _("Give an amount, a number of deals, or both.")})
    duplicate = Target.objects.filter(
        user_id=target.user_id,
        team_id=target.team_id,
        territory_id=target.territory_id,
        period=target.period,
        period_start=target.period_start,
    ).exclude(pk=target.pk)
    if duplicate.exists():
        raise ValidationError(
            {"period_start": _("There is already a target for them in this period.")}
        )
    target.full_clean()
    with audit.acting_as(by), transaction.atomic():
        target.save()
    return target


def target_delete(*, target: Target, by: User) -> None:
    _check_may_change(by, target)
    with audit.acting_as(by), transaction.atomic():
        target.delete()
