"""Reads of opportunities, their contacts, stage history and the board, through the gate.

Pipelines and stages are central data: staff read them all; partner users read the
active ones their deals need (board, forms) but not through the API of central data.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, F, Prefetch, QuerySet, Sum, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from allyance.core.models import User
from allyance.core.visibility import visible_to
from allyance.sales.models import Opportunity, OpportunityContact, Pipeline, Stage, StageChange

BOARD_CARDS_PER_COLUMN = 50


def opportunities_visible_to(user) -> QuerySet[Opportunity]:
    return visible_to(
        user,
        Opportunity.objects.select_related("owner", "account", "pipeline", "stage", "territory"),
    )


def opportunity_contacts_visible_to(user) -> QuerySet[OpportunityContact]:
    """Contact roles on the deals the user may see."""
    return (
        OpportunityContact.objects.filter(
            opportunity__in=visible_to(user, Opportunity.objects.all()).values("pk")
        )
        .select_related("contact", "opportunity")
        .order_by("opportunity_id", "id")
    )


def pipelines_visible_to(user) -> QuerySet[Pipeline]:
    """Pipelines with their stages for the pipeline API and admin pages: staff only."""
    pipelines = Pipeline.objects.prefetch_related(
        Prefetch("stages", queryset=Stage.objects.order_by("order", "id"))
    )
    if user is None or not user.is_authenticated or not user.is_internal:
        return pipelines.none()
    return pipelines


def stages_visible_to(user) -> QuerySet[Stage]:
    stages = Stage.objects.select_related("pipeline").order_by("pipeline__order", "order", "id")
    if user is None or not user.is_authenticated or not user.is_internal:
        return stages.none()
    return stages


def pipelines_to_work_in(user) -> QuerySet[Pipeline]:
    """Active pipelines a user may put deals in (partners included, not portal customers)."""
    if user is None or not user.is_authenticated or user.is_customer:
        return Pipeline.objects.none()
    return Pipeline.objects.filter(is_active=True).order_by("-is_default", "order", "name")


# --- Stage history --------------------------------------------------------------------------


@dataclass
class StageTime:
    """How long a deal has spent in one stage, summed over its visits."""

    stage: Stage
    seconds: int = 0
    visits: int = 0
    current: bool = False
    passed: bool = False

    @property
    def days(self) -> float:
        return round(self.seconds / 86400, 1)


def stage_history(opportunity: Opportunity) -> list[StageChange]:
    return list(
        StageChange.objects.filter(opportunity=opportunity)
        .select_related("from_stage", "to_stage", "changed_by")
        .order_by("changed_at", "id")
    )


def time_in_stages(
    opportunity: Opportunity,
    *,
    changes: list[StageChange] | None = None,
    now: datetime | None = None,
) -> list[StageTime]:
    """Every stage of the deal's pipeline, in order, with the time the deal spent in it.

    Left stages count the seconds logged on each StageChange; the current stage counts
    up to now (or to the close, for a closed deal).
    """
    changes = stage_history(opportunity) if changes is None else changes
    now = now or timezone.now()
    times = {
        stage.pk: StageTime(stage=stage)
        for stage in opportunity.pipeline.stages.order_by("order", "id")
    }
    for change in changes:
        if change.from_stage_id in times and change.seconds_in_from_stage is not None:
            times[change.from_stage_id].seconds += change.seconds_in_from_stage
        if change.to_stage_id in times:
            times[change.to_stage_id].visits += 1
    current = times.get(opportunity.stage_id)
    if current is not None:
        current.current = True
        if opportunity.stage_entered_at and not opportunity.stage.is_closed:
            current.seconds += max(0, int((now - opportunity.stage_entered_at).total_seconds()))
        current_order = opportunity.stage.order
        for item in times.values():
            item.passed = item.stage.order < current_order and not item.stage.is_closed
    return list(times.values())


# --- Board ----------------------------------------------------------------------------------


@dataclass
class BoardColumn:
    stage: Stage
    cards: list[Opportunity] = field(default_factory=list)
    count: int = 0
    totals: dict[str, Decimal] = field(default_factory=dict)  # currency -> amount

    @property
    def more(self) -> int:
        return max(0, self.count - len(self.cards))


def _board_deals(user, *, pipeline: Pipeline, owner: User | None) -> QuerySet[Opportunity]:
    deals = visible_to(user, Opportunity.objects.filter(pipeline=pipeline))
    return deals.filter(owner=owner) if owner is not None else deals


def board_summaries(user, *, pipeline: Pipeline, owner: User | None = None) -> list[BoardColumn]:
    """A column per stage with its deal count and totals per currency: one aggregate query."""
    columns = {
        stage.pk: BoardColumn(stage=stage) for stage in pipeline.stages.order_by("order", "id")
    }
    rows = (
        _board_deals(user, pipeline=pipeline, owner=owner)
        .order_by()
        .values("stage_id", "currency")
        .annotate(count=Count("id"), total=Sum("amount"))
    )
    for row in rows:
        column = columns.get(row["stage_id"])
        if column is not None:
            column.count += row["count"]
            column.totals[row["currency"]] = row["total"] or Decimal(0)
    return list(columns.values())


# What a card shows (sales/templatetags/board_tags.py), and nothing more of 300 deals.
BOARD_CARD_FIELDS = (
    "id", "name", "version", "stage_id", "amount", "currency", "close_date", "updated_at",
    "account", "account__name", "owner", "owner__first_name", "owner__last_name",
    "owner__username",
)  # fmt: skip


def board_columns(
    user,
    *,
    pipeline: Pipeline,
    owner: User | None = None,
    per_column: int = BOARD_CARDS_PER_COLUMN,
) -> list[BoardColumn]:
    """The board of one pipeline: a column per stage with its count, totals and cards.

    Three queries whatever the number of deals: the aggregate of `board_summaries`, the
    ids of the cards (the largest, then latest, `per_column` deals of each stage, numbered
    with a window function), and those cards with their account and owner.
    """
    columns = board_summaries(user, pipeline=pipeline, owner=owner)
    by_stage = {column.stage.pk: column for column in columns}
    # The deals are numbered on their own narrow rows; only the cards that make it onto
    # the board are read with their account and owner (joining those for every deal of
    # a busy territory, ~40,000, before numbering them took most of the board's time).
    on_board = (
        _board_deals(user, pipeline=pipeline, owner=owner)
        .select_related(None)
        .annotate(
            position=Window(
                RowNumber(),
                partition_by=[F("stage_id")],
                order_by=[F("amount").desc(), F("updated_at").desc(), F("id").desc()],
            )
        )
        .filter(position__lte=per_column)
        .values_list("pk", flat=True)
    )
    cards = (
        # The ids as a list: as a subquery the planner expected every deal to come back
        # and joined the whole account table again.
        Opportunity.objects.filter(pk__in=list(on_board))
        .select_related("account", "owner")
        .only(*BOARD_CARD_FIELDS)
        .order_by("stage_id", "-amount", "-updated_at", "-id")
    )
    for card in cards:
        column = by_stage.get(card.stage_id)
        if column is not None:
            column.cards.append(card)
    return columns


def board_totals_by_currency(columns: list[BoardColumn]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for column in columns:
        for currency, amount in column.totals.items():
            totals[currency] += amount
    return dict(totals)


def opportunity_search_document(opportunity: Opportunity) -> list[str]:
    """What finds a deal in search: its name, its account's name, its next step."""
    account = opportunity.account
    return [opportunity.name, account.name if account is not None else "", opportunity.next_step]
