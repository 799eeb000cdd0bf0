"""Commission plans (central, administrators write) and the statement of one rep's commission.

Rounding: every line is rounded to 2 places with ROUND_HALF_UP; a statement's
totals are the sums of its lines, so a printed statement always adds up.

Periods are calendar months or quarters in the site's time zone (`TIME_ZONE`):
a deal counts when its outcome is won and it closed (`closed_at`) inside the
period. Deals in another currency than the plan's are listed as excluded with
the reason; they are never converted.

Tiered plans read the rep's target (`sales.Target` for the user, the plan's
period and the period's start, in the plan's currency). Attainment is the
period's won amount in % of that target. Without a usable target the lowest
tier's rate applies and the statement says so.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from allyance.core import audit
from allyance.core.models import User
from allyance.sales.models import CommissionPlan, CommissionTier, Opportunity, Stage, Target

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
QUARTER_START_MONTHS = (1, 4, 7, 10)


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------------------- plans


def _check_tiers(tiers: list[dict]) -> list[dict]:
    cleaned, seen = [], set()
    for tier in tiers:
        start, rate = Decimal(tier["from_attainment"]), Decimal(tier["rate"])
        if start in seen:
            raise ValidationError(
                {"tiers": _("Two tiers start at %(start)s %%.") % {"start": start}}
            )
        seen.add(start)
        cleaned.append({"from_attainment": start, "rate": rate})
    cleaned.sort(key=lambda tier: tier["from_attainment"])
    if cleaned and cleaned[0]["from_attainment"] != 0:
        raise ValidationError({"tiers": _("The first tier must start at 0 %.")})
    return cleaned


def commission_plan_save(
    *,
    plan: CommissionPlan,
    by: User,
    tiers: list[dict] | None = None,
    users: list[User] | None = None,
) -> CommissionPlan:
    """Create or change a plan with its tiers and reps; only administrators may.

    `tiers` ([{"from_attainment": 0, "rate": 2}, …]) replaces the plan's tiers when given.
    Only staff can be on a plan: partners' people are paid by their own organisation.
    """
    if by is None or not by.is_admin:
        raise PermissionDenied(_("Only administrators may change commission plans."))
    tier_rows = _check_tiers(tiers) if tiers is not None else None
    if plan.rate_kind == CommissionPlan.RateKind.FLAT and plan.flat_rate is None:
        raise ValidationError({"flat_rate": _("Enter the percentage a flat plan pays.")})
    if plan.rate_kind == CommissionPlan.RateKind.TIERED:
        has_tiers = bool(tier_rows) if tier_rows is not None else plan.pk and plan.tiers.exists()
        if not has_tiers:
            raise ValidationError({"tiers": _("A tiered plan needs at least one tier.")})
    if users is not None and any(not user.is_internal for user in users):
        raise ValidationError({"users": _("Only company staff can be on a commission plan.")})
    plan.full_clean()
    with audit.acting_as(by), transaction.atomic():
        plan.save()
        if tier_rows is not None:
            plan.tiers.all().delete()
            for row in tier_rows:
                CommissionTier(plan=plan, **row).full_clean(exclude=["plan"])
                CommissionTier.objects.create(plan=plan, **row)
        if users is not None:
            plan.users.set(users)
    return plan


def commission_plan_delete(*, plan: CommissionPlan, by: User) -> None:
    if by is None or not by.is_admin:
        raise PermissionDenied(_("Only administrators may change commission plans."))
    with audit.acting_as(by), transaction.atomic():
        plan.delete()


# ---------------------------------------------------------------------------- periods


def period_end(*, period: str, period_start: datetime.date) -> datetime.date:
    """The first day after the month or quarter that starts on `period_start`.

    Refuses a date that does not start a month (or a quarter: January, April, July, October).
    """
    if not 1900 <= period_start.year <= 9998:
        raise ValidationError({"period_start": _("Choose a period between 1900 and 9998.")})
    if period_start.day != 1 or (
        period == CommissionPlan.Period.QUARTER and period_start.month not in QUARTER_START_MONTHS
    ):
        message = (
            _("A quarter starts on 1 January, April, July or October.")
            if period == CommissionPlan.Period.QUARTER
            else _("A month starts on its first day.")
        )
        raise ValidationError({"period_start": message})
    months = 3 if period == CommissionPlan.Period.QUARTER else 1
    month_index = period_start.month - 1 + months
    return datetime.date(period_start.year + month_index // 12, month_index % 12 + 1, 1)


def period_containing(*, period: str, day: datetime.date) -> datetime.date:
    """The first day of the month or quarter that `day` falls in."""
    month = day.month if period == CommissionPlan.Period.MONTH else (day.month - 1) // 3 * 3 + 1
    return datetime.date(day.year, month, 1)


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(
        datetime.datetime.combine(day, datetime.time.min), timezone.get_default_timezone()
    )


# ---------------------------------------------------------------------------- statement


@dataclass
class StatementLine:
    """One won deal with the rate it earns and the commission, rounded to the cent."""

    deal: Opportunity
    closed_on: datetime.date
    amount: Decimal
    rate: Decimal  # the effective percentage of the deal's amount
    commission: Decimal
    # [(slice of the amount, rate %)]: one slice, or several when a marginal plan's tier
    # boundary falls inside this deal.
    slices: list[tuple[Decimal, Decimal]] = field(default_factory=list)


@dataclass
class ExcludedDeal:
    deal: Opportunity
    closed_on: datetime.date
    amount: Decimal
    currency: str
    reason: str


@dataclass
class CommissionStatement:
    user: User
    plan: CommissionPlan
    period_start: datetime.date
    period_end: datetime.date  # exclusive
    target_amount: Decimal | None
    attainment: Decimal | None  # % of target, 2 places; None without a usable target
    lines: list[StatementLine]
    excluded: list[ExcludedDeal]
    notes: list[str]

    @property
    def total_amount(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    @property
    def total_commission(self) -> Decimal:
        return sum((line.commission for line in self.lines), Decimal("0.00"))

    @property
    def last_day(self) -> datetime.date:
        return self.period_end - datetime.timedelta(days=1)


def _tiers(plan: CommissionPlan) -> list[tuple[Decimal, Decimal]]:
    return [(t.from_attainment, t.rate) for t in plan.tiers.order_by("from_attainment")]


def _tier_rate(tiers: list[tuple[Decimal, Decimal]], attainment: Decimal | None) -> Decimal:
    rate = tiers[0][1]
    if attainment is None:
        return rate
    for start, tier_rate in tiers:
        if attainment >= start:
            rate = tier_rate
    return rate


def deal_rate(*, plan: CommissionPlan, deal: Opportunity, plan_rate: Decimal) -> Decimal:
    """The rate a deal earns: the plan's rate for now.

    Extension point for rates per product family: once the catalog exists, a plan
    gets rates per product family and this function picks the rate from the deal's
    products. Until then there is nothing to pick, so it returns the plan's rate.
    """
    return plan_rate


def _marginal_slices(
    *,
    tiers: list[tuple[Decimal, Decimal]],
    target: Decimal,
    before: Decimal,
    amount: Decimal,
) -> list[tuple[Decimal, Decimal]]:
    """Split a deal's amount at the tier boundaries, given the won amount before it."""
    bounds = [(start * target / HUNDRED, rate) for start, rate in tiers]
    slices, position, left = [], before, amount
    for index, (low, rate) in enumerate(bounds):
        high = bounds[index + 1][0] if index + 1 < len(bounds) else None
        if left <= 0:
            break
        if high is not None and position >= high:
            continue
        take = left if high is None else min(left, high - max(position, low))
        if take > 0:
            slices.append((take, rate))
            position += take
            left -= take
    return slices


def commission_statement(
    *, user: User, plan: CommissionPlan, period_start: datetime.date
) -> CommissionStatement:
    """The rep's commission under `plan` for the period starting `period_start`.

    Lines are the won deals the rep owns that closed in the period, oldest first.
    """
    end = period_end(period=plan.period, period_start=period_start)
    won = (
        Opportunity.objects.filter(
            owner=user,
            outcome=Stage.Outcome.WON,
            closed_at__gte=_day_start(period_start),
            closed_at__lt=_day_start(end),
        )
        .select_related("account")
        .order_by("closed_at", "id")
    )
    included, excluded = [], []
    zone = timezone.get_default_timezone()
    for deal in won:
        closed_on = timezone.localtime(deal.closed_at, zone).date()
        if deal.currency != plan.currency:
            excluded.append(
                ExcludedDeal(
                    deal=deal,
                    closed_on=closed_on,
                    amount=deal.amount,
                    currency=deal.currency,
                    reason=_(
                        "In %(currency)s, not in the plan's %(plan_currency)s; "
                        "amounts are not converted."
                    )
                    % {"currency": deal.currency, "plan_currency": plan.currency},
                )
            )
        else:
            included.append((deal, closed_on))

    notes: list[str] = []
    won_amount = sum((deal.amount for deal, _closed in included), Decimal("0.00"))
    target = (
        Target.objects.filter(user=user, period=plan.period, period_start=period_start)
        .order_by("id")
        .first()
    )
    target_amount = attainment = exact_attainment = None
    if target is not None and target.currency == plan.currency and target.amount > 0:
        target_amount = target.amount
        # Tiers compare the exact figure: 49.999 % has not reached a tier starting at 50 %.
        exact_attainment = won_amount * HUNDRED / target_amount
        attainment = money(exact_attainment)
    tiered = plan.rate_kind == CommissionPlan.RateKind.TIERED
    tiers = _tiers(plan) if tiered else []
    if tiered and attainment is None:
        if target is None:
            notes.append(_("No target for this period: the lowest tier's rate applies."))
        elif target.currency != plan.currency:
            notes.append(
                _(
                    "The target is in %(currency)s, not in the plan's currency: "
                    "the lowest tier's rate applies."
                )
                % {"currency": target.currency}
            )
        else:
            notes.append(_("The target is zero: the lowest tier's rate applies."))

    lines, cumulative = [], Decimal("0.00")
    marginal = tiered and plan.tier_mode == CommissionPlan.TierMode.MARGINAL
    for deal, closed_on in included:
        if not tiered:
            slices = [(deal.amount, plan.flat_rate or Decimal(0))]
        elif marginal and target_amount is not None:
            slices = _marginal_slices(
                tiers=tiers, target=target_amount, before=cumulative, amount=deal.amount
            )
        else:
            slices = [(deal.amount, _tier_rate(tiers, exact_attainment))]
        slices = [(part, deal_rate(plan=plan, deal=deal, plan_rate=rate)) for part, rate in slices]
        commission = money(sum((part * rate / HUNDRED for part, rate in slices), Decimal(0)))
        rate = (
            slices[0][1]
            if len(slices) == 1
            else money(commission * HUNDRED / deal.amount)
            if deal.amount
            else Decimal(0)
        )
        lines.append(
            StatementLine(
                deal=deal,
                closed_on=closed_on,
                amount=deal.amount,
                rate=rate,
                commission=commission,
                slices=slices,
            )
        )
        cumulative += deal.amount
    return CommissionStatement(
        user=user,
        plan=plan,
        period_start=period_start,
        period_end=end,
        target_amount=target_amount,
        attainment=attainment,
        lines=lines,
        excluded=excluded,
        notes=notes,
    )
