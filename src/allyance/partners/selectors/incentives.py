"""Reads of incentive plans and what each partner earned under them in a period.

Earnings are computed, never stored: a rebate is the plan's percent of the partner's revenue
in the plan's currency above the threshold; a spiff is the plan's amount per unit of its
product on the partner's orders. Revenue is the net amount (after discounts, before tax) of
the partner's orders dated in the period that the company accepted: submitted orders (not yet
confirmed) and cancelled ones do not count. Only active plans valid during the period and
open to the partner's tier pay out; amounts are exact Decimals rounded to the currency.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum

from allyance.core.money import round_money
from allyance.core.visibility import visible_to
from allyance.partners.models import IncentivePlan

MONEY = DecimalField(max_digits=20, decimal_places=2)
ZERO = Decimal("0")
HUNDRED = Decimal("100")


def incentive_plans_visible_to(user) -> QuerySet[IncentivePlan]:
    """Staff read every plan; a partner the active plans open to its tier."""
    return visible_to(
        user, IncentivePlan.objects.select_related("product").prefetch_related("tiers")
    )


def plans_valid_in(user, *, start: datetime.date, end: datetime.date) -> list[IncentivePlan]:
    """Active plans the user may see whose validity overlaps the period (both days included)."""
    return list(
        incentive_plans_visible_to(user)
        .filter(active=True)
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=end))
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=start))
        .order_by("name", "id")
    )


def plan_is_open_to(plan: IncentivePlan, tier_id: int | None) -> bool:
    """A plan without tiers is open to every partner; otherwise only to the tiers it names."""
    tier_ids = {tier.pk for tier in plan.tiers.all()}  # prefetched
    return not tier_ids or tier_id in tier_ids


# --- What the partners sold ------------------------------------------------------------------


def revenue_orders(user, *, organisation_ids: Iterable[int], start, end) -> QuerySet:
    """The partners' orders that count as revenue: dated in the period, accepted, not cancelled."""
    from allyance.orders.models import Order

    return visible_to(user, Order.objects.all()).filter(
        organisation_id__in=list(organisation_ids),
        order_date__gte=start,
        order_date__lte=end,
        status__in=[
            status
            for status in Order.Status.values
            if status not in (Order.Status.SUBMITTED, Order.Status.CANCELLED)
        ],
    )


def revenue_by_partner(
    user, *, organisation_ids: Iterable[int], start, end
) -> dict[tuple[int, str], tuple[Decimal, int]]:
    """(organisation id, currency) → (net revenue, order count); one grouped query."""
    rows = (
        revenue_orders(user, organisation_ids=organisation_ids, start=start, end=end)
        .order_by()
        .values("organisation_id", "currency")
        .annotate(
            net=Sum(ExpressionWrapper(F("total") - F("tax_total"), output_field=MONEY)),
            count=Count("id"),
        )
    )
    return {
        (row["organisation_id"], row["currency"]): (
            round_money(row["net"] or ZERO, row["currency"]),
            int(row["count"] or 0),
        )
        for row in rows
    }


def units_by_partner(
    user, *, organisation_ids: Iterable[int], product_ids: Iterable[int], start, end
) -> dict[tuple[int, int], Decimal]:
    """(organisation id, product id) → units on the partners' revenue orders; one query."""
    from allyance.orders.models import OrderLine

    product_ids = list(product_ids)
    if not product_ids:
        return {}
    orders = revenue_orders(user, organisation_ids=organisation_ids, start=start, end=end)
    rows = (
        OrderLine.objects.filter(order__in=orders.values("pk"), product_id__in=product_ids)
        .order_by()
        .values("order__organisation_id", "product_id")
        .annotate(units=Sum("quantity"))
    )
    return {
        (row["order__organisation_id"], row["product_id"]): Decimal(row["units"] or 0).quantize(
            Decimal("0.001")
        )
        for row in rows
    }


# --- What they earned ------------------------------------------------------------------------


@dataclass(frozen=True)
class IncentiveResult:
    """What one partner earned under one plan in one period."""

    plan: IncentivePlan
    organisation_id: int
    revenue: Decimal  # rebate: the partner's net revenue in the plan's currency
    units: Decimal  # spiff: units of the plan's product sold
    amount: Decimal  # earned, rounded to the plan's currency

    @property
    def kind(self) -> str:
        return self.plan.kind

    @property
    def currency(self) -> str:
        return self.plan.currency

    @property
    def base(self) -> Decimal:
        """What the rate applies to: revenue above the threshold, or units sold."""
        if self.plan.kind == IncentivePlan.Kind.REBATE:
            return max(self.revenue - self.plan.threshold, ZERO)
        return self.units


def incentive_amount(plan: IncentivePlan, *, revenue: Decimal, units: Decimal) -> Decimal:
    """A rebate: percent × revenue above the threshold; a spiff: amount × units."""
    if plan.kind == IncentivePlan.Kind.REBATE:
        base = max(revenue - plan.threshold, ZERO)
        return round_money(base * plan.rebate_percent / HUNDRED, plan.currency)
    return round_money(plan.spiff_amount * units, plan.currency)


def compute_incentives(
    *,
    plans: list[IncentivePlan],
    partners: Iterable[tuple[int, int | None]],
    revenue: dict[tuple[int, str], tuple[Decimal, int]],
    units: dict[tuple[int, int], Decimal],
) -> list[IncentiveResult]:
    """Results for every (plan, partner) where the plan is open to the partner's tier.

    `partners` holds (organisation id, tier id) pairs; `revenue` and `units` come from
    `revenue_by_partner` and `units_by_partner`. No query runs here.
    """
    results = []
    for organisation_id, tier_id in partners:
        for plan in plans:
            if not plan_is_open_to(plan, tier_id):
                continue
            sold = revenue.get((organisation_id, plan.currency), (ZERO, 0))[0]
            count = units.get((organisation_id, plan.product_id), ZERO) if plan.product_id else ZERO
            if plan.kind == IncentivePlan.Kind.REBATE:
                count = ZERO
            results.append(
                IncentiveResult(
                    plan=plan,
                    organisation_id=organisation_id,
                    revenue=sold,
                    units=count,
                    amount=incentive_amount(plan, revenue=sold, units=count),
                )
            )
    return results


def incentives_earned(
    *, user, start: datetime.date, end: datetime.date, organisation=None
) -> list[IncentiveResult]:
    """Per plan and partner, what the partners the user may see earned in the period.

    `organisation` narrows it to one partner; one the user may not see earns nothing here.
    A fixed number of queries, whatever the number of partners and plans.
    """
    from allyance.partners.selectors.scorecards import partners_visible_to

    partners = partners_visible_to(user)
    if organisation is not None:
        partners = partners.filter(pk=getattr(organisation, "pk", organisation))
    pairs = list(partners.values_list("pk", "tier_id"))
    if not pairs:
        return []
    plans = plans_valid_in(user, start=start, end=end)
    if not plans:
        return []
    ids = [pk for pk, _tier in pairs]
    revenue = revenue_by_partner(user, organisation_ids=ids, start=start, end=end)
    units = units_by_partner(
        user,
        organisation_ids=ids,
        product_ids={plan.product_id for plan in plans if plan.product_id},
        start=start,
        end=end,
    )
    return compute_incentives(plans=plans, partners=pairs, revenue=revenue, units=units)


def earned_totals(results: Iterable[IncentiveResult]) -> dict[str, Decimal]:
    """Currency → total earned."""
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for result in results:
        totals[result.currency] += result.amount
    return dict(sorted(totals.items()))


# --- The partner portal home -----------------------------------------------------------------


@dataclass
class PortalHome:
    """What a partner user finds on the portal home: what waits for them, and how they do."""

    organisation: object
    leads_waiting: int = 0
    leads_next: list = field(default_factory=list)  # offers awaiting an answer, soonest first
    registrations: list = field(default_factory=list)  # (status, label, count)
    accounts: int = 0
    open_orders: int = 0
    submitted_orders: int = 0
    mdf: list = field(default_factory=list)  # this period's ledger rows of the organisation
    open_cases: int = 0
    open_warranty_claims: int = 0
    certifications_held: int = 0
    tier_gaps: list = field(default_factory=list)
    new_content: list = field(default_factory=list)
    new_content_count: int = 0
    scorecard: object = None
    announcements: list = field(default_factory=list)


NEW_CONTENT_DAYS = 30


def portal_home_summary(user, *, today: datetime.date | None = None) -> PortalHome:
    """The portal home's counts, each read through the gate (a distributor's include the
    partners below that share with it), with this quarter's scorecard of its organisation."""
    from django.utils import timezone

    from allyance.customers.selectors import accounts_visible_to
    from allyance.orders.models import Order
    from allyance.orders.selectors.fulfilment import orders_visible_to
    from allyance.partners.models import DealRegistration, LeadDistribution
    from allyance.partners.selectors.distribution import distributions_visible_to
    from allyance.partners.selectors.mdf import mdf_ledger
    from allyance.partners.selectors.registrations import registrations_visible_to
    from allyance.partners.selectors.scorecards import score_period, scorecard
    from allyance.partners.selectors.training import (
        announcements_current,
        certification_awards_visible_to,
        content_items_visible_to,
        tier_certification_gaps,
    )
    from allyance.service.models import Case
    from allyance.service.selectors import cases_visible_to

    today = today or timezone.localdate()
    organisation = user.organisation
    home = PortalHome(organisation=organisation)

    waiting = distributions_visible_to(user).filter(status=LeadDistribution.Status.OFFERED)
    home.leads_waiting = waiting.count()
    home.leads_next = list(waiting.select_related("lead").order_by("respond_by", "id")[:5])

    counts = dict(
        registrations_visible_to(user)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    home.registrations = [
        (status, label, counts.get(status, 0))
        for status, label in DealRegistration.Status.choices
        if counts.get(status) or status in ("submitted", "approved")
    ]
    home.accounts = accounts_visible_to(user).count()
    orders = (
        orders_visible_to(user)
        .order_by()
        .aggregate(
            open=Count(
                "id",
                filter=~Q(
                    status__in=[Order.Status.DELIVERED, Order.Status.CLOSED, Order.Status.CANCELLED]
                ),
            ),
            submitted=Count("id", filter=Q(status=Order.Status.SUBMITTED)),
        )
    )
    home.open_orders, home.submitted_orders = orders["open"], orders["submitted"]
    if organisation is not None:
        home.mdf = mdf_ledger(
            user=user, period_start=today, period_end=today, organisation=organisation
        )
    cases = (
        cases_visible_to(user)
        .order_by()
        .aggregate(
            open=Count(
                "id",
                filter=~Q(
                    status__in=[Case.Status.RESOLVED, Case.Status.REJECTED, Case.Status.CLOSED]
                ),
            ),
            warranty=Count(
                "id",
                filter=Q(kind=Case.Kind.WARRANTY)
                & ~Q(status__in=[Case.Status.RESOLVED, Case.Status.REJECTED, Case.Status.CLOSED]),
            ),
        )
    )
    home.open_cases, home.open_warranty_claims = cases["open"], cases["warranty"]
    if organisation is not None:
        home.certifications_held = (
            certification_awards_visible_to(user)
            .filter(organisation=organisation, awarded_on__lte=today, expires_on__gte=today)
            .count()
        )
        home.tier_gaps = list(tier_certification_gaps(organisation, today=today))
    since = timezone.now() - datetime.timedelta(days=NEW_CONTENT_DAYS)
    new_content = content_items_visible_to(user).filter(updated_at__gte=since)
    home.new_content_count = new_content.count()
    home.new_content = list(new_content.order_by("-updated_at", "-id")[:5])
    if organisation is not None and user.is_partner:
        quarter = score_period("quarter", today)
        home.scorecard = scorecard(
            user=user,
            organisation=organisation,
            start=quarter.start,
            end=quarter.end,
            kind=quarter.kind,
        )
    home.announcements = list(announcements_current(user, today=today)[:5])
    return home
