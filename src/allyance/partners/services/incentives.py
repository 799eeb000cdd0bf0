"""Writes on incentive plans: centrally maintained, changed by administrators and channel
managers only. A rebate needs a percent; a spiff needs a product and an amount per unit."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from allyance.core import audit
from allyance.core.models import Role, User
from allyance.partners.models import IncentivePlan, Tier


def may_manage_incentives(user: User | None) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and (user.is_admin or user.role == Role.CHANNEL_MANAGER)
    )


def ensure_may_manage_incentives(by: User | None) -> None:
    """Incentive plans are the company's: administrators and channel managers change them."""
    if by is not None and not may_manage_incentives(by):
        raise PermissionDenied(
            _("Only administrators and channel managers change incentive plans.")
        )


def _validate(plan: IncentivePlan) -> None:
    errors: dict[str, str] = {}
    if plan.kind == IncentivePlan.Kind.REBATE:
        if not plan.rebate_percent or plan.rebate_percent <= 0:
            errors["rebate_percent"] = _("A rebate needs a percent above zero.")
    else:
        if plan.product_id is None:
            errors["product"] = _("A spiff is paid per unit of a product: choose the product.")
        if not plan.spiff_amount or plan.spiff_amount <= 0:
            errors["spiff_amount"] = _("A spiff needs an amount per unit above zero.")
    if plan.valid_from and plan.valid_until and plan.valid_until < plan.valid_from:
        errors["valid_until"] = _("The plan cannot end before it starts.")
    if errors:
        raise ValidationError(errors)


def incentive_plan_save(
    *, plan: IncentivePlan, by: User | None, tiers: Iterable[Tier] | None = None
) -> IncentivePlan:
    """Add or change a plan and, when given, the tiers it is open to (none: every tier).

    The fields the other kind uses are cleared, so a rebate never carries a spiff amount.
    """
    ensure_may_manage_incentives(by)
    plan.name = (plan.name or "").strip()
    if plan.kind == IncentivePlan.Kind.REBATE:
        plan.product = None
        plan.spiff_amount = Decimal("0")
    else:
        plan.rebate_percent = Decimal("0")
        plan.threshold = Decimal("0")
    plan.full_clean()
    _validate(plan)
    with audit.acting_as(by), transaction.atomic():
        plan.save()
        if tiers is not None:
            plan.tiers.set(list(tiers))
    return plan


def incentive_plan_delete(*, plan: IncentivePlan, by: User | None) -> None:
    """Remove a plan; what partners earned under it is computed, so nothing else is lost."""
    ensure_may_manage_incentives(by)
    with audit.acting_as(by), transaction.atomic():
        plan.delete()
