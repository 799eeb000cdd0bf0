"""Sales reports: forecast, funnel, win rate and sales cycle, target attainment, stalled deals.

Every number starts from the visibility gate on opportunities (`deals_visible_to`), so a rep
sees their scope and a partner only its organisation. Amounts are summed in SQL, grouped by
currency: different currencies are never added together.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    Avg,
    Case,
    CharField,
    Count,
    DecimalField,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Greatest
from django.utils import timezone

from allyance.activities.models import Activity
from allyance.core.models import Role, Team, territory_subtree_ids
from allyance.core.visibility import visible_to
from allyance.sales.models import ForecastCategory, Opportunity, Pipeline, Stage, StageChange

OPEN, WON, LOST = Stage.Outcome.OPEN, Stage.Outcome.WON, Stage.Outcome.LOST
FORECAST_CATEGORIES = [
    ForecastCategory.PIPELINE,
    ForecastCategory.BEST_CASE,
    ForecastCategory.COMMIT,
    ForecastCategory.CLOSED,
]
MONEY = DecimalField(max_digits=20, decimal_places=2)
CENT = Decimal("0.01")


def money(value) -> Decimal:
    return Decimal(value or 0).quantize(CENT)


# ---------------------------------------------------------------- periods


@dataclass(frozen=True)
class Period:
    """A month or quarter: `start` inclusive, `end` exclusive."""

    kind: str
    start: datetime.date
    end: datetime.date

    @property
    def last_day(self) -> datetime.date:
        return self.end - datetime.timedelta(days=1)

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        return f"{self.start.year} Q{(self.start.month - 1) // 3 + 1}"

    def shifted(self, steps: int) -> Period:
        months = 1 if self.kind == "month" else 3
        index = self.start.year * 12 + self.start.month - 1 + steps * months
        return period_of(self.kind, datetime.date(index // 12, index % 12 + 1, 1))

    def datetime_range(self) -> tuple[datetime.datetime, datetime.datetime]:
        """The period as aware datetimes in the current time zone (for `closed_at`)."""
        zone = timezone.get_current_timezone()
        return (
            datetime.datetime.combine(self.start, datetime.time.min, tzinfo=zone),
            datetime.datetime.combine(self.end, datetime.time.min, tzinfo=zone),
        )


def period_of(kind: str, day: datetime.date | None = None) -> Period:
    """The month or quarter (`kind`) that contains `day` (today by default)."""
    day = day or timezone.localdate()
    kind = "month" if kind == "month" else "quarter"
    first_month = day.month if kind == "month" else (day.month - 1) // 3 * 3 + 1
    start = datetime.date(day.year, first_month, 1)
    months = 1 if kind == "month" else 3
    index = start.year * 12 + start.month - 1 + months
    return Period(kind, start, datetime.date(index // 12, index % 12 + 1, 1))


# ---------------------------------------------------------------- the gate


def deals_visible_to(user) -> QuerySet[Opportunity]:
    """The one starting point of every report: the deals `user` may see."""
    return visible_to(user, Opportunity.objects.all())


def _weighted():
    """Amount × probability; a won deal counts in full."""
    return Case(
        When(outcome=WON, then=F("amount")),
        # "100.0": SQLite would otherwise divide integers (it has no decimal type).
        default=ExpressionWrapper(
            F("amount") * F("probability") / Value(Decimal("100.0")), output_field=MONEY
        ),
        output_field=MONEY,
    )


def _category():
    """The forecast category; won deals are always `closed`."""
    return Case(
        When(outcome=WON, then=Value(ForecastCategory.CLOSED.value)),
        default=F("forecast_category"),
        output_field=CharField(),
    )


# ---------------------------------------------------------------- forecast


def forecast_queryset(user, period: Period) -> QuerySet[Opportunity]:
    """Open and won deals the user may see whose close date falls in the period."""
    return (
        deals_visible_to(user)
        .filter(
            close_date__gte=period.start,
            close_date__lt=period.end,
            outcome__in=[OPEN, WON],
        )
        .annotate(category=_category())
        .filter(category__in=FORECAST_CATEGORIES)
    )


def _rollup(queryset: QuerySet, *keys: str) -> list[dict]:
    rows = (
        queryset.values(*keys, "category", "currency")
        .annotate(
            count=Count("id"),
            amount_sum=Sum("amount", output_field=MONEY),
            weighted_sum=Sum(_weighted(), output_field=MONEY),
        )
        .order_by(*keys, "currency", "category")
    )
    return [
        {
            **{k: v for k, v in row.items() if k not in ("amount_sum", "weighted_sum")},
            "amount": money(row["amount_sum"]),
            "weighted_amount": money(row["weighted_sum"]),
        }
        for row in rows
    ]


def forecast(user, period: Period) -> dict:
    """The forecast roll-up: totals, by owner and by team, per category and currency.

    A deal whose owner is in two teams counts in both teams' rows (each team's own view),
    never twice in the totals.
    """
    deals = forecast_queryset(user, period)
    totals = _rollup(deals)
    by_owner = _rollup(deals, "owner")
    by_team = _rollup(deals, "owner__teams")
    names = _user_names({row["owner"] for row in by_owner})
    team_names = dict(
        Team.objects.filter(pk__in={row["owner__teams"] for row in by_team}).values_list(
            "pk", "name"
        )
    )
    for row in by_owner:
        row["owner_name"] = names.get(row["owner"], "")
    for row in by_team:
        row["team"] = row.pop("owner__teams")
        row["team_name"] = team_names.get(row["team"], "")
    return {
        "period": period,
        "totals": totals,
        "by_owner": by_owner,
        "by_team": by_team,
        "currencies": sorted({row["currency"] for row in totals}),
    }


def _user_names(ids) -> dict[int, str]:
    from allyance.core.models import User

    return {user.pk: str(user) for user in User.objects.filter(pk__in=[i for i in ids if i])}


def pivot_by_category(rows: list[dict], key: str | None = None) -> list[dict]:
    """Rows `(key, currency, category)` as one row per key and currency with a column per
    category: what the tables and the chart show."""
    table: dict[tuple, dict] = {}
    for row in rows:
        group = (row.get(key) if key else None, row["currency"])
        entry = table.setdefault(
            group,
            {
                "key": group[0],
                "name": row.get(f"{key}_name", "") if key else "",
                "currency": row["currency"],
                "categories": {c.value: Decimal("0.00") for c in FORECAST_CATEGORIES},
                "count": 0,
                "amount": Decimal("0.00"),
                "weighted_amount": Decimal("0.00"),
            },
        )
        entry["categories"][row["category"]] += row["amount"]
        entry["count"] += row["count"]
        entry["amount"] += row["amount"]
        entry["weighted_amount"] += row["weighted_amount"]
    return sorted(table.values(), key=lambda e: (str(e["name"]), e["currency"]))


# ---------------------------------------------------------------- funnel


def _reached_order():
    """The furthest non-lost stage (by order) a deal has been in, from the stage log and its
    current stage; a lost deal counts for the stages it passed before it was lost."""
    # The furthest by ORDER BY … LIMIT 1: a few index rows per deal, where a GROUP BY per
    # deal also joined the deal again (6 µs a deal, 41,000 deals in a busy territory).
    logged = (
        StageChange.objects.filter(opportunity_id=OuterRef("pk"))
        .exclude(to_stage__outcome=LOST)
        .order_by("-to_stage__order")
        .values("to_stage__order")[:1]
    )
    current = Case(
        When(stage__outcome=LOST, then=Value(-1)),
        default=F("stage__order"),
        output_field=IntegerField(),
    )
    return Greatest(current, Coalesce(Subquery(logged, output_field=IntegerField()), Value(-1)))


def funnel(user, *, pipeline: Pipeline | None = None, period: Period | None = None) -> list[dict]:
    """Per pipeline, how many deals reached each (non-lost) stage, their amounts per currency,
    and the conversion from one stage to the next.

    A deal reached a stage when it has been in it or in any later stage. Pipelines without a
    deal the user may see are left out. With `period`, only deals created in it (a cohort).
    """
    deals = deals_visible_to(user)
    if pipeline is not None:
        deals = deals.filter(pipeline=pipeline)
    if period is not None:
        start, end = period.datetime_range()
        deals = deals.filter(created_at__gte=start, created_at__lt=end)
    groups = (
        deals.annotate(reached=_reached_order())
        .values("pipeline", "reached", "currency")
        .annotate(count=Count("id"), amount_sum=Sum("amount", output_field=MONEY))
        .order_by()
    )
    by_pipeline: dict[int, list[dict]] = {}
    for row in groups:
        by_pipeline.setdefault(row["pipeline"], []).append(row)
    stages = Stage.objects.filter(pipeline__in=by_pipeline).exclude(outcome=LOST)
    result = []
    for pipe in Pipeline.objects.filter(pk__in=by_pipeline).order_by("order", "name"):
        rows = by_pipeline[pipe.pk]
        pipe_stages = [s for s in stages if s.pipeline_id == pipe.pk]
        previous = None
        stage_rows = []
        for stage in sorted(pipe_stages, key=lambda s: (s.order, s.pk)):
            reached = [r for r in rows if r["reached"] >= stage.order]
            amounts: dict[str, Decimal] = {}
            for r in reached:
                amounts[r["currency"]] = amounts.get(r["currency"], Decimal(0)) + money(
                    r["amount_sum"]
                )
            count = sum(r["count"] for r in reached)
            conversion = None
            if previous is not None:
                conversion = (
                    (Decimal(count) * 100 / previous).quantize(Decimal("0.1")) if previous else None
                )
            stage_rows.append(
                {
                    "stage": stage.pk,
                    "stage_name": stage.name,
                    "outcome": stage.outcome,
                    "count": count,
                    "amounts": [
                        {"currency": c, "amount": money(a)} for c, a in sorted(amounts.items())
                    ],
                    "conversion": conversion,
                }
            )
            previous = count
        result.append({"pipeline": pipe.pk, "pipeline_name": pipe.name, "stages": stage_rows})
    return result


# ---------------------------------------------------------------- win rate and sales cycle


def closed_in(user, period: Period) -> QuerySet[Opportunity]:
    start, end = period.datetime_range()
    return deals_visible_to(user).filter(
        outcome__in=[WON, LOST], closed_at__gte=start, closed_at__lt=end
    )


def _cycle_rows(queryset: QuerySet, key: str) -> list[dict]:
    rows = (
        queryset.values(key)
        .annotate(
            won=Count("id", filter=Q(outcome=WON)),
            lost=Count("id", filter=Q(outcome=LOST)),
            cycle=Avg(
                ExpressionWrapper(F("closed_at") - F("created_at"), output_field=DurationField())
            ),
        )
        .order_by(key)
    )
    result = []
    for row in rows:
        closed = row["won"] + row["lost"]
        cycle = row["cycle"]
        if cycle is not None and not isinstance(cycle, datetime.timedelta):
            cycle = datetime.timedelta(microseconds=float(cycle))
        result.append(
            {
                key: row[key],
                "won": row["won"],
                "lost": row["lost"],
                "win_rate": (Decimal(row["won"]) * 100 / closed).quantize(Decimal("0.1"))
                if closed
                else None,
                "average_cycle_days": Decimal(cycle.total_seconds() / 86400).quantize(
                    Decimal("0.1")
                )
                if cycle is not None
                else None,
            }
        )
    return result


def win_rate(user, period: Period) -> dict:
    """Win rate (won of won + lost) and the average days from created to closed, by owner
    and by source, for deals closed in the period."""
    deals = closed_in(user, period)
    by_owner = _cycle_rows(deals, "owner")
    names = _user_names({row["owner"] for row in by_owner})
    for row in by_owner:
        row["owner_name"] = names.get(row["owner"], "")
    by_source = _cycle_rows(deals, "source")
    from allyance.customers.models import Source

    labels = dict(Source.choices)
    for row in by_source:
        row["source_name"] = str(labels.get(row["source"], row["source"] or ""))
    total = _cycle_rows(deals.annotate(all=Value(1)), "all")
    return {
        "period": period,
        "by_owner": by_owner,
        "by_source": by_source,
        "total": total[0] if total else None,
    }


# ---------------------------------------------------------------- attainment


def target_deals(user, target) -> QuerySet[Opportunity]:
    """The won deals, visible to `user`, that count towards `target`."""
    period = period_of(target.period, target.period_start)
    start, end = period.datetime_range()
    deals = deals_visible_to(user).filter(outcome=WON, closed_at__gte=start, closed_at__lt=end)
    if target.user_id:
        return deals.filter(owner_id=target.user_id)
    if target.team_id:
        return deals.filter(owner__teams=target.team_id)
    return deals.filter(territory_id__in=territory_subtree_ids([target.territory_id]))


def targets_visible_to(user) -> QuerySet:
    """Targets the user may see: administrators all; a sales manager those of their teams'
    members, their teams and their territories; other staff their own; partners none."""
    from allyance.core.visibility import team_member_ids_of, territory_ids_of
    from allyance.sales.models import Target

    targets = Target.objects.select_related("user", "team", "territory")
    if user is None or not user.is_authenticated or not user.is_active or not user.is_internal:
        return targets.none()
    if user.is_admin:
        return targets
    if user.role == Role.SALES_MANAGER:
        return targets.filter(
            Q(user_id__in=team_member_ids_of(user))
            | Q(team__in=Team.objects.filter(Q(manager=user) | Q(members=user)))
            | Q(territory_id__in=territory_ids_of(user))
        ).distinct()
    return targets.filter(user_id=user.pk)


def attainment(user, target) -> dict:
    """Won amount (in the target's currency only) and count to date, and the percentages."""
    totals = target_deals(user, target).aggregate(
        count=Count("id", distinct=True),
        amount_sum=Sum("amount", filter=Q(currency=target.currency), output_field=MONEY),
    )
    amount = money(totals["amount_sum"])
    count = totals["count"] or 0
    return {
        "won_amount": amount,
        "won_count": count,
        "amount_percent": (amount * 100 / target.amount).quantize(Decimal("0.1"))
        if target.amount
        else None,
        "count_percent": (Decimal(count) * 100 / target.count).quantize(Decimal("0.1"))
        if target.count
        else None,
    }


# ---------------------------------------------------------------- stalled deals


EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def _with_quiet_since(queryset: QuerySet[Opportunity]) -> QuerySet[Opportunity]:
    """Annotate `quiet_since`: the latest of the last activity on the deal (logged on the
    deal or as an Activity targeting it), its entry into the stage, and its creation."""
    activity = (
        Activity.objects.filter(
            target_type=ContentType.objects.get_for_model(Opportunity),
            target_id=Cast(OuterRef("pk"), output_field=CharField()),
        )
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    return queryset.annotate(
        quiet_since=Greatest(
            F("created_at"),
            Coalesce(F("last_activity_at"), Value(EPOCH)),
            Coalesce(F("stage_entered_at"), Value(EPOCH)),
            Coalesce(Subquery(activity), Value(EPOCH)),
        )
    )


def _stalled(queryset: QuerySet[Opportunity], now: datetime.datetime) -> QuerySet[Opportunity]:
    days_by_stage: dict[int, set[int]] = {}
    for stage_id, days in Stage.objects.filter(
        stall_days__isnull=False, stall_days__gt=0, outcome=OPEN
    ).values_list("id", "stall_days"):
        days_by_stage.setdefault(days, set()).add(stage_id)
    annotated = _with_quiet_since(queryset.filter(outcome=OPEN))
    if not days_by_stage:
        return annotated.none()
    condition = Q()
    for days, stage_ids in days_by_stage.items():
        condition |= Q(stage_id__in=stage_ids, quiet_since__lt=now - datetime.timedelta(days))
    return annotated.filter(condition)


def stalled_deals(user, *, now: datetime.datetime | None = None) -> QuerySet[Opportunity]:
    """Open deals the user may see with no activity for their stage's `stall_days`."""
    return (
        _stalled(deals_visible_to(user), now or timezone.now())
        .select_related("owner", "stage", "account")
        .order_by("quiet_since", "id")
    )


def stalled_deals_first(
    user, *, limit: int = 50, now: datetime.datetime | None = None
) -> list[Opportunity]:
    """The `limit` deals quiet the longest, as `stalled_deals` orders them.

    They are picked on the deals' own rows, then read with owner, stage and account: sorting
    a busy territory's ~19,000 open deals joined to their accounts made the planner walk
    the whole account table."""
    now = now or timezone.now()
    ids = list(
        _stalled(deals_visible_to(user).select_related(None), now)
        .order_by("quiet_since", "id")
        .values_list("pk", flat=True)[:limit]
    )
    deals = stalled_deals(user, now=now).filter(pk__in=ids).in_bulk()
    return [deals[pk] for pk in ids if pk in deals]


def stalled_deals_all(*, now: datetime.datetime | None = None) -> QuerySet[Opportunity]:
    """Every stalled deal (for the background scan that notifies their owners)."""
    return _stalled(Opportunity.objects.all(), now or timezone.now()).order_by("id")
