"""Reads of commission plans and statements, scoped by who asks.

Plans are central data: staff read them, partners and portal customers see none.
Statements are personal: a rep sees their own, a sales manager their teams',
an administrator everyone's.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from allyance.core.models import Role, User
from allyance.core.visibility import team_member_ids_of
from allyance.sales.models import CommissionPlan
from allyance.sales.services.commissions import CommissionStatement, commission_statement


def commission_plans_visible_to(user) -> QuerySet[CommissionPlan]:
    plans = CommissionPlan.objects.prefetch_related("tiers")
    if user is None or not user.is_authenticated or not user.is_internal:
        return plans.none()
    return plans


def commission_reps_visible_to(user) -> QuerySet[User]:
    """Whose statements `user` may read."""
    users = User.objects.filter(is_active=True)
    if user is None or not user.is_authenticated or not user.is_internal:
        return users.none()
    if user.is_admin:
        return users
    if user.role == Role.SALES_MANAGER:
        return users.filter(pk__in=team_member_ids_of(user))
    return users.filter(pk=user.pk)


def plans_of(user: User) -> QuerySet[CommissionPlan]:
    return CommissionPlan.objects.filter(users=user, is_active=True).prefetch_related("tiers")


def commission_statement_for(
    *, viewer, user: User, plan: CommissionPlan, period_start: datetime.date
) -> CommissionStatement:
    """`user`'s statement under `plan`, if `viewer` may read it (else ValidationError on user)."""
    if not commission_reps_visible_to(viewer).filter(pk=user.pk).exists():
        raise ValidationError({"user": _("Select a valid choice.")})
    if not plan.users.filter(pk=user.pk).exists():
        raise ValidationError({"plan": _("%(user)s is not on this plan.") % {"user": user}})
    return commission_statement(user=user, plan=plan, period_start=period_start)


def commission_totals(
    *, viewer, plan: CommissionPlan, period_start: datetime.date
) -> list[CommissionStatement]:
    """The statements of every rep on `plan` whom `viewer` may see, by name."""
    reps = commission_reps_visible_to(viewer).filter(commission_plans=plan)
    return [
        commission_statement(user=rep, plan=plan, period_start=period_start)
        for rep in reps.order_by("last_name", "first_name", "username")
    ]
