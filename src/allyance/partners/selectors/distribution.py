"""Reads of lead distribution: offers through the gate with the lead's progress, the rules,
and the per-partner figures of the distribution report and the scorecard.

The company follows a distributed lead through its offer rows: the progress columns (lead
status, last activity, conversion and the deal's outcome) are read along the offer, so the
distributor sees how the lead goes without being able to open the partner's other records.
"""

from __future__ import annotations

import datetime
import statistics
from collections import defaultdict
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Cast, Coalesce

from allyance.activities.models import Activity
from allyance.core.models import User
from allyance.core.visibility import visibility_filter
from allyance.partners.models import DistributionRule, LeadDistribution
from allyance.sales.models import Lead, Opportunity, Stage

Status = LeadDistribution.Status


def _last_activity_on(model, ref: str) -> Subquery:
    """The latest activity (done, starting or entered) on the record whose id is `ref`."""
    return Subquery(
        Activity.objects.filter(
            target_type=ContentType.objects.get_for_model(model),
            target_id=Cast(OuterRef(ref), output_field=CharField()),
        )
        .values("target_id")
        .annotate(last=Max(Coalesce("completed_at", "starts_at", "created_at")))
        .values("last")[:1]
    )


def offers_visible_to(user, queryset: QuerySet[LeadDistribution] | None = None):
    """The gate for offers, plus, for a partner user, the offers its organisation made down
    the chain: a distributor follows the leads it offered to a reseller even when the reseller
    does not share its records upwards."""
    if queryset is None:
        queryset = LeadDistribution.objects.all()
    condition = visibility_filter(user, LeadDistribution)
    if condition is None:
        return queryset
    if (
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.is_partner
        and not user.is_superuser
        and user.organisation_id is not None
    ):
        condition |= Q(previous_organisation_id=user.organisation_id)
    return queryset.filter(condition)


def distributions_visible_to(user) -> QuerySet[LeadDistribution]:
    """Offers the user may see: partners their organisation's (and, in a two-tier channel, its
    resellers' that share, and the offers it made to resellers), the distributor the ones they
    made, managers and administrators by their scope. Each row carries its lead's progress."""
    queryset = LeadDistribution.objects.select_related(
        "lead",
        "lead__converted_opportunity",
        "organisation",
        "organisation__tier",
        "owner",
        "rule",
        "responded_by",
        "previous_organisation",
    )
    # A converted lead's activities move to its deal: the progress reads both.
    return offers_visible_to(user, queryset).annotate(
        lead_last_activity_at=_last_activity_on(Lead, "lead_id"),
        deal_last_activity_at=_last_activity_on(Opportunity, "lead__converted_opportunity_id"),
    )


def last_activity_of(distribution: LeadDistribution) -> datetime.datetime | None:
    """The lead's latest activity, or its deal's once the lead was converted."""
    dates = [
        getattr(distribution, "lead_last_activity_at", None),
        getattr(distribution, "deal_last_activity_at", None),
    ]
    deal = distribution.lead.converted_opportunity
    if deal is not None:
        dates.append(deal.last_activity_at)
    dates = [d for d in dates if d is not None]
    return max(dates) if dates else None


def lead_hops_visible_to(user, lead: Lead) -> QuerySet[LeadDistribution]:
    """Every offer of one lead the user may see, first hop first."""
    return (
        offers_visible_to(user, LeadDistribution.objects.filter(lead=lead))
        .select_related("organisation", "owner", "responded_by", "rule", "previous_organisation")
        .order_by("hop", "offered_at", "pk")
    )


def distribution_rules_visible_to(user) -> QuerySet[DistributionRule]:
    """The channel's rules: staff read them; partners and customers do not."""
    if user is None or not user.is_authenticated or not user.is_internal:
        return DistributionRule.objects.none()
    return (
        DistributionRule.objects.select_related("minimum_tier", "required_certification")
        .prefetch_related("territories", "partners")
        .order_by("priority", "id")
    )


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.01"))


def distribution_stats(
    *, user: User, start: datetime.datetime, end: datetime.datetime
) -> dict[int, dict]:
    """Per partner organisation, for the offers the user may see made in [start, end) (a
    distributor: its own, and those it made to its resellers):

    `offered, accepted, rejected, expired` (counts), `acceptance_rate` (accepted out of the
    answered — accepted, rejected, expired — as a Decimal percent, None without answers),
    `median_hours_to_accept` (float, None without acceptances), `converted` (accepted leads
    converted), `revenue` (Decimal: won deals converted from the accepted leads) and
    `revenue_by_currency`. Recalled offers count as offered only.
    """
    rows = (
        offers_visible_to(user)
        .filter(offered_at__gte=start, offered_at__lt=end)
        .values_list(
            "organisation_id",
            "status",
            "offered_at",
            "responded_at",
            "lead__status",
            "lead__converted_opportunity__outcome",
            "lead__converted_opportunity__amount",
            "lead__converted_opportunity__currency",
        )
    )
    stats: dict[int, dict] = {}
    hours: dict[int, list[float]] = defaultdict(list)
    for org_id, status, offered_at, responded_at, lead_status, outcome, amount, currency in rows:
        row = stats.setdefault(
            org_id,
            {
                "offered": 0,
                "accepted": 0,
                "rejected": 0,
                "expired": 0,
                "converted": 0,
                "revenue": Decimal("0"),
                "revenue_by_currency": {},
            },
        )
        row["offered"] += 1
        if status in (Status.ACCEPTED, Status.REJECTED, Status.EXPIRED):
            row[status] += 1
        if status != Status.ACCEPTED:
            continue
        if responded_at is not None:
            hours[org_id].append((responded_at - offered_at).total_seconds() / 3600)
        if lead_status == Lead.Status.CONVERTED:
            row["converted"] += 1
            if outcome == Stage.Outcome.WON and amount is not None:
                row["revenue"] += Decimal(amount)
                by_currency = row["revenue_by_currency"]
                by_currency[currency] = by_currency.get(currency, Decimal("0")) + Decimal(amount)
    for org_id, row in stats.items():
        answered = row["accepted"] + row["rejected"] + row["expired"]
        row["acceptance_rate"] = _percent(row["accepted"], answered)
        row["conversion_rate"] = _percent(row["converted"], row["accepted"])
        row["median_hours_to_accept"] = (
            round(statistics.median(hours[org_id]), 2) if hours[org_id] else None
        )
        row["revenue"] = row["revenue"].quantize(Decimal("0.01"))
    return stats


__all__ = [
    "distribution_rules_visible_to",
    "distribution_stats",
    "distributions_visible_to",
    "last_activity_of",
    "lead_hops_visible_to",
    "offers_visible_to",
]
