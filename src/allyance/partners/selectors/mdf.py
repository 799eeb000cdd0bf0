"""Reads of marketing development funds, always through the visibility gate, and the ledger.

The ledger has one row per partner and allocation (period and currency): allocated, passed
down (to the resellers below, in a two-tier channel), requested (still pending), approved,
claimed (claims not rejected), claims approved, paid and remaining (= allocated − passed
down − approved), with the results of the funded activities: the
leads attributed to its requests and the won revenue of the opportunities those leads
became, and ROI = revenue / paid. Amounts are Decimals, summed per currency, never across.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet, Sum

from allyance.core.models import Organisation, Role
from allyance.core.money import round_money
from allyance.core.visibility import visible_to
from allyance.partners.models import MdfAllocation, MdfClaim, MdfRequest

ZERO = Decimal("0.00")
LEDGER_AMOUNTS = (
    "allocated",
    "passed_down",
    "requested",
    "approved",
    "claimed",
    "claims_approved",
    "paid",
    "remaining",
)


def allocations_visible_to(user) -> QuerySet[MdfAllocation]:
    return visible_to(user, MdfAllocation.objects.select_related("organisation", "owner"))


def requests_visible_to(user) -> QuerySet[MdfRequest]:
    return visible_to(
        user,
        MdfRequest.objects.select_related("organisation", "owner", "allocation", "decided_by"),
    )


def claims_visible_to(user) -> QuerySet[MdfClaim]:
    return visible_to(
        user,
        MdfClaim.objects.select_related(
            "organisation", "owner", "request__allocation", "decided_by"
        ),
    )


@dataclass
class LedgerRow:
    """One partner's funds for one period in one currency, and what became of them."""

    organisation_id: int
    organisation: Organisation
    period_start: datetime.date
    period_end: datetime.date
    currency: str
    allocated: Decimal = ZERO
    requested: Decimal = ZERO  # pending requests
    approved: Decimal = ZERO  # approved requests
    claimed: Decimal = ZERO  # claims submitted, approved or paid: what they claimed
    paid: Decimal = ZERO
    remaining: Decimal = ZERO  # allocated − approved
    leads: int = 0
    revenue: Decimal = ZERO  # won opportunities converted from the attributed leads
    roi: Decimal | None = None  # revenue / paid; None while nothing is paid
    claims_approved: Decimal = ZERO  # what approved and paid claims were approved for
    allocation_id: int | None = None
    requests: int = 0
    claims: int = 0
    passed_down: Decimal = ZERO  # to the resellers below, from these funds
    parent_allocation_id: int | None = None  # passed down from the partner above


@dataclass
class LedgerTotal:
    """The ledger's rows of one currency added up."""

    currency: str
    allocated: Decimal = ZERO
    requested: Decimal = ZERO
    approved: Decimal = ZERO
    claimed: Decimal = ZERO
    claims_approved: Decimal = ZERO
    paid: Decimal = ZERO
    remaining: Decimal = ZERO
    leads: int = 0
    revenue: Decimal = ZERO
    roi: Decimal | None = None
    passed_down: Decimal = ZERO


def roi_of(revenue: Decimal, paid: Decimal) -> Decimal | None:
    """Won revenue per unit of MDF paid, to two places; None when nothing was paid."""
    if not paid:
        return None
    return (revenue / paid).quantize(Decimal("0.01"))


def _allocations(user, *, period_start, period_end, organisation) -> QuerySet[MdfAllocation]:
    allocations = allocations_visible_to(user)
    if period_start is not None:
        allocations = allocations.filter(period_end__gte=period_start)
    if period_end is not None:
        allocations = allocations.filter(period_start__lte=period_end)
    if organisation is not None:
        allocations = allocations.filter(organisation=organisation)
    return allocations.order_by("organisation__name", "organisation_id", "period_start", "currency")


def mdf_ledger(
    *,
    user,
    period_start: datetime.date | None = None,
    period_end: datetime.date | None = None,
    organisation: Organisation | None = None,
) -> list[LedgerRow]:
    """The ledger rows `user` may see: allocations whose period overlaps the given one."""
    allocations = list(
        _allocations(
            user, period_start=period_start, period_end=period_end, organisation=organisation
        )
    )
    ids = [allocation.pk for allocation in allocations]
    by_request_status: dict[tuple[int, str], dict] = {}
    for entry in (
        MdfRequest.objects.filter(allocation_id__in=ids)
        .values("allocation_id", "status")
        .annotate(asked=Sum("amount"), granted=Sum("approved_amount"))
        .order_by()
    ):
        by_request_status[(entry["allocation_id"], entry["status"])] = entry
    by_claim_status: dict[tuple[int, str], dict] = {}
    for entry in (
        MdfClaim.objects.filter(request__allocation_id__in=ids)
        .values("request__allocation_id", "status")
        .annotate(claimed=Sum("amount"), granted=Sum("approved_amount"), paid=Sum("paid_amount"))
        .order_by()
    ):
        by_claim_status[(entry["request__allocation_id"], entry["status"])] = entry
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for allocation_id in MdfRequest.objects.filter(allocation_id__in=ids).values_list(
        "allocation_id", flat=True
    ):
        counts[allocation_id][0] += 1
    for allocation_id in MdfClaim.objects.filter(request__allocation_id__in=ids).values_list(
        "request__allocation_id", flat=True
    ):
        counts[allocation_id][1] += 1
    results = _results(ids)
    # Passed down is read from the children whatever the reader sees of them: a distributor
    # knows what it passed down even to a reseller that does not share its records.
    passed_down = dict(
        MdfAllocation.objects.filter(parent_allocation_id__in=ids)
        .values("parent_allocation_id")
        .annotate(total=Sum("amount"))
        .values_list("parent_allocation_id", "total")
        .order_by()
    )

    def requests_sum(allocation_id: int, status: str, key: str) -> Decimal:
        return (by_request_status.get((allocation_id, status)) or {}).get(key) or ZERO

    def claims_sum(allocation_id: int, statuses, key: str) -> Decimal:
        return sum(
            ((by_claim_status.get((allocation_id, s)) or {}).get(key) or ZERO for s in statuses),
            ZERO,
        )

    rows: list[LedgerRow] = []
    for allocation in allocations:
        pk, currency = allocation.pk, allocation.currency

        def money(value, currency=currency) -> Decimal:
            return round_money(value, currency)

        approved = money(requests_sum(pk, MdfRequest.Status.APPROVED, "granted"))
        paid = money(claims_sum(pk, [MdfClaim.Status.PAID], "paid"))
        down = money(passed_down.get(pk) or ZERO)
        leads, revenue = results.get(pk, (0, ZERO))
        revenue = money(revenue)
        rows.append(
            LedgerRow(
                organisation_id=allocation.organisation_id,
                organisation=allocation.organisation,
                period_start=allocation.period_start,
                period_end=allocation.period_end,
                currency=currency,
                allocated=money(allocation.amount),
                requested=money(requests_sum(pk, MdfRequest.Status.SUBMITTED, "asked")),
                approved=approved,
                claimed=money(
                    claims_sum(
                        pk,
                        [MdfClaim.Status.SUBMITTED, MdfClaim.Status.APPROVED, MdfClaim.Status.PAID],
                        "claimed",
                    )
                ),
                claims_approved=money(
                    claims_sum(pk, [MdfClaim.Status.APPROVED, MdfClaim.Status.PAID], "granted")
                ),
                paid=paid,
                remaining=money(allocation.amount - down - approved),
                passed_down=down,
                parent_allocation_id=allocation.parent_allocation_id,
                leads=leads,
                revenue=revenue,
                roi=roi_of(revenue, paid),
                allocation_id=pk,
                requests=counts[pk][0],
                claims=counts[pk][1],
            )
        )
    return rows


def _results(allocation_ids: list[int]) -> dict[int, tuple[int, Decimal]]:
    """Per allocation: distinct leads attributed to its requests, and the won revenue (in the
    allocation's currency) of the distinct opportunities those leads were converted to."""
    from allyance.sales.models import Lead, Opportunity

    through = MdfRequest.leads.through
    links = through.objects.filter(mdfrequest__allocation_id__in=allocation_ids).values_list(
        "mdfrequest__allocation_id", "lead_id"
    )
    leads_of: dict[int, set[int]] = defaultdict(set)
    for allocation_id, lead_id in links:
        leads_of[allocation_id].add(lead_id)
    if not leads_of:
        return {}
    all_leads = set().union(*leads_of.values())
    opportunity_of = dict(
        Lead.objects.filter(pk__in=all_leads, converted_opportunity__isnull=False).values_list(
            "pk", "converted_opportunity_id"
        )
    )
    won = {
        pk: (amount, currency)
        for pk, amount, currency in Opportunity.objects.filter(
            pk__in=set(opportunity_of.values()), outcome="won"
        ).values_list("pk", "amount", "currency")
    }
    currencies = dict(MdfAllocation.objects.filter(pk__in=leads_of).values_list("pk", "currency"))
    results: dict[int, tuple[int, Decimal]] = {}
    for allocation_id, lead_ids in leads_of.items():
        opportunities = {opportunity_of[lead] for lead in lead_ids if lead in opportunity_of}
        revenue = sum(
            (
                won[pk][0]
                for pk in opportunities
                if pk in won and won[pk][1] == currencies[allocation_id]
            ),
            ZERO,
        )
        results[allocation_id] = (len(lead_ids), revenue)
    return results


def ledger_totals(rows: list[LedgerRow]) -> list[LedgerTotal]:
    """The rows added up per currency (never across currencies), with the overall ROI."""
    totals: dict[str, LedgerTotal] = {}
    for row in rows:
        total = totals.setdefault(row.currency, LedgerTotal(currency=row.currency))
        for name in (*LEDGER_AMOUNTS, "leads", "revenue"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
    for total in totals.values():
        total.roi = roi_of(total.revenue, total.paid)
    return [totals[currency] for currency in sorted(totals)]


def passed_down_from(allocation: MdfAllocation) -> QuerySet[MdfAllocation]:
    """The allocations passed down from `allocation` to the resellers below its partner. Shown
    to whoever may see `allocation`: what a partner passed down is its own business."""
    return allocation.passed_down.select_related("organisation").order_by(
        "organisation__name", "pk"
    )


def mdf_partners_for(user) -> QuerySet[Organisation]:
    """The partners whose funds `user` may look at: a partner its own and those below it that
    share with it; a channel manager the partners they look after; other staff every partner."""
    from allyance.core.visibility import managed_organisation_ids_of, partner_organisation_ids_of

    partners = Organisation.objects.filter(kind=Organisation.Kind.PARTNER).order_by("name")
    if user.is_partner:
        return partners.filter(pk__in=partner_organisation_ids_of(user))
    if not user.is_internal:
        return partners.none()
    if user.is_admin or user.role != Role.CHANNEL_MANAGER:
        return partners
    return partners.filter(pk__in=managed_organisation_ids_of(user))


def request_search_document(request: MdfRequest) -> list[str | None]:
    """What finds a fund request: its activity, plan and partner."""
    return [request.activity_name, request.plan, request.organisation.name]


def claim_search_document(claim: MdfClaim) -> list[str | None]:
    """What finds a claim: its invoice number, the activity and the partner."""
    return [claim.invoice_number, claim.request.activity_name, claim.organisation.name]
