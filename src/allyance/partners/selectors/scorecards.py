"""Partner scorecards: one partner's numbers for a period, and the same numbers for every
partner the user may see, side by side.

Every number starts from the visibility gate, so a channel manager compares only the partners
they manage and a partner sees only itself (and, in a two-tier channel, the partners below it
that share their records). The comparison costs a fixed number of grouped queries, however
many partners there are.

What the numbers mean (all per partner organisation, for a period whose both days count):
- pipeline: the amount of its open opportunities created by the period's end;
- won / lost / win rate: its deals closed in the period; win rate = won ÷ (won + lost);
- revenue: net amount of its accepted orders dated in the period (see `selectors.incentives`);
- leads: offers made to it in the period, as the distribution report counts them
  (`selectors.distribution.distribution_stats`); acceptance rate = accepted ÷ (accepted +
  rejected + expired); median hours from offer to acceptance;
- registrations: submitted in the period; approved (or approved and since expired) and
  rejected when decided in the period;
- certifications: awards valid on the period's last day (or today, if that is later);
- MDF: the MDF ledger's rows (`selectors.mdf.mdf_ledger`) for the allocations whose period
  overlaps this one: allocated, approved, paid, the won revenue of the funded activities'
  leads, and ROI = revenue ÷ paid;
- incentives: what its plans paid for the period (`selectors.incentives`).
Money is counted in one currency (the default unless asked): currencies are never added up.
`include_below` rolls the partners below (a distributor's resellers) into the partner's card.
"""

from __future__ import annotations

import datetime
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from allyance.core.models import Organisation
from allyance.core.money import round_money
from allyance.core.visibility import (
    Scope,
    managed_organisation_ids_of,
    partner_organisation_ids_of,
    scope_of,
    visible_to,
)
from allyance.partners.selectors import incentives as incentive_selectors

ZERO = Decimal("0")
HUNDRED = Decimal("100")
TENTH = Decimal("0.1")
PERIOD_KINDS = ("month", "quarter", "year", "custom")


# --- Periods ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScorePeriod:
    """A month, quarter, year or custom range; `start` and `end` both included."""

    kind: str
    start: datetime.date
    end: datetime.date

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.start.year} Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "year":
            return str(self.start.year)
        return f"{self.start.isoformat()} – {self.end.isoformat()}"

    def shifted(self, steps: int) -> ScorePeriod:
        """The period `steps` periods later (earlier when negative), of the same length."""
        if self.kind == "custom":
            days = (self.end - self.start).days + 1
            delta = datetime.timedelta(days=days * steps)
            return ScorePeriod("custom", self.start + delta, self.end + delta)
        months = {"month": 1, "quarter": 3, "year": 12}[self.kind] * steps
        index = self.start.year * 12 + self.start.month - 1 + months
        return score_period(self.kind, datetime.date(index // 12, index % 12 + 1, 1))

    def datetime_range(self) -> tuple[datetime.datetime, datetime.datetime]:
        """[first moment, first moment after) in the current time zone, for timestamps."""
        zone = timezone.get_current_timezone()
        return (
            datetime.datetime.combine(self.start, datetime.time.min, tzinfo=zone),
            datetime.datetime.combine(
                self.end + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
            ),
        )


def score_period(
    kind: str = "quarter",
    day: datetime.date | None = None,
    *,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
) -> ScorePeriod:
    """The month, quarter or year containing `day` (today by default), or `start`…`end`."""
    if kind == "custom" and start and end:
        return ScorePeriod("custom", min(start, end), max(start, end))
    kind = kind if kind in ("month", "year") else "quarter"
    day = day or timezone.localdate()
    if kind == "year":
        return ScorePeriod(kind, datetime.date(day.year, 1, 1), datetime.date(day.year, 12, 31))
    first_month = day.month if kind == "month" else (day.month - 1) // 3 * 3 + 1
    first = datetime.date(day.year, first_month, 1)
    index = first.year * 12 + first.month - 1 + (1 if kind == "month" else 3)
    following = datetime.date(index // 12, index % 12 + 1, 1)
    return ScorePeriod(kind, first, following - datetime.timedelta(days=1))


# --- Which partners ----------------------------------------------------------------------------


def partners_visible_to(user) -> QuerySet[Organisation]:
    """The partner organisations whose scorecards `user` may see.

    Administrators, marketing and service see every partner; a channel manager the partners
    they manage and those below; a partner user its own organisation and the partners below
    that share with it; everyone else none.
    """
    partners = Organisation.objects.filter(kind=Organisation.Kind.PARTNER).select_related("tier")
    if user is None or not user.is_authenticated or not user.is_active:
        return partners.none()
    if user.is_partner and not user.is_superuser:
        return partners.filter(pk__in=partner_organisation_ids_of(user))
    scope = scope_of(user) if user.is_internal else None
    if scope == Scope.ALL:
        return partners
    if scope == Scope.PARTNERS:
        return partners.filter(pk__in=managed_organisation_ids_of(user))
    return partners.none()


def partner_visible_or_404(user, organisation) -> Organisation:
    """The partner (an id or an organisation) if the user may see its scorecard, else 404."""
    pk = getattr(organisation, "pk", organisation)
    try:
        return partners_visible_to(user).get(pk=pk)
    except (Organisation.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


# --- The scorecard ---------------------------------------------------------------------------


@dataclass
class Scorecard:
    """One partner's numbers for one period, money in one currency."""

    organisation: Organisation
    period: ScorePeriod
    currency: str
    include_below: bool = False
    organisation_ids: list[int] = field(default_factory=list)
    pipeline: Decimal = ZERO
    pipeline_count: int = 0
    revenue: Decimal = ZERO
    orders: int = 0
    won: int = 0
    lost: int = 0
    won_amount: Decimal = ZERO
    leads_offered: int = 0
    leads_accepted: int = 0
    leads_rejected: int = 0
    leads_expired: int = 0
    median_hours_to_accept: Decimal | None = None
    registrations_submitted: int = 0
    registrations_approved: int = 0
    registrations_rejected: int = 0
    certifications_held: int = 0
    certification_names: list[str] = field(default_factory=list)
    mdf_allocated: Decimal = ZERO
    mdf_approved: Decimal = ZERO
    mdf_paid: Decimal = ZERO
    mdf_revenue: Decimal = ZERO
    customer_satisfaction: Decimal | None = None  # no surveys yet: shown as not available
    incentives: list = field(default_factory=list)  # IncentiveResult, every currency

    @property
    def win_rate(self) -> Decimal | None:
        return _percent(self.won, self.won + self.lost)

    @property
    def acceptance_rate(self) -> Decimal | None:
        answered = self.leads_accepted + self.leads_rejected + self.leads_expired
        return _percent(self.leads_accepted, answered)

    @property
    def mdf_remaining(self) -> Decimal:
        """Allocated funds not yet committed by an approved request."""
        return self.mdf_allocated - self.mdf_approved

    @property
    def mdf_roi(self) -> Decimal | None:
        """Won revenue per unit of MDF paid (the MDF ledger's ROI); None while nothing is paid."""
        from allyance.partners.selectors.mdf import roi_of

        return roi_of(self.mdf_revenue, self.mdf_paid)

    @property
    def incentives_earned(self) -> Decimal:
        """Earned in the scorecard's currency."""
        return sum((r.amount for r in self.incentives if r.currency == self.currency), start=ZERO)

    @property
    def incentives_by_currency(self) -> dict[str, Decimal]:
        return incentive_selectors.earned_totals(self.incentives)


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(TENTH)


def scorecard(
    *,
    user,
    organisation,
    start: datetime.date,
    end: datetime.date,
    include_below: bool = False,
    currency: str | None = None,
    kind: str = "custom",
) -> Scorecard:
    """The scorecard of one partner the user may see (else 404) for `start`…`end`."""
    partner = partner_visible_or_404(user, organisation)
    cards = _scorecards(
        user,
        period=ScorePeriod(kind, start, end),
        currency=currency or settings.DEFAULT_CURRENCY,
        include_below=include_below,
        roots=[partner.pk],
    )
    return cards[0]


def scorecards_compare(
    *,
    user,
    start: datetime.date,
    end: datetime.date,
    include_below: bool = False,
    currency: str | None = None,
    kind: str = "custom",
) -> list[Scorecard]:
    """A scorecard for every partner the user may see, by name; a fixed number of queries."""
    return _scorecards(
        user,
        period=ScorePeriod(kind, start, end),
        currency=currency or settings.DEFAULT_CURRENCY,
        include_below=include_below,
        roots=None,
    )


def _scorecards(
    user, *, period: ScorePeriod, currency: str, include_below: bool, roots: list[int] | None
) -> list[Scorecard]:
    partners = {org.pk: org for org in partners_visible_to(user).order_by("name", "pk")}
    root_ids = list(partners) if roots is None else [pk for pk in roots if pk in partners]
    children: dict[int, list[int]] = defaultdict(list)
    for org in partners.values():
        if org.parent_id in partners:
            children[org.parent_id].append(org.pk)

    cards: dict[int, Scorecard] = {}
    members: dict[int, list[int]] = defaultdict(list)  # organisation id → cards it counts in
    for root in root_ids:
        ids = _subtree(root, children) if include_below else [root]
        cards[root] = Scorecard(
            organisation=partners[root],
            period=period,
            currency=currency,
            include_below=include_below,
            organisation_ids=ids,
        )
        for pk in ids:
            members[pk].append(root)
    if not cards:
        return []
    ids = list(members)

    def add(org_id: int, name: str, value) -> None:
        for root in members.get(org_id, ()):
            setattr(cards[root], name, getattr(cards[root], name) + value)

    _add_deals(user, ids, period, currency, add)
    revenue = incentive_selectors.revenue_by_partner(
        user, organisation_ids=ids, start=period.start, end=period.end
    )
    for (org_id, money_currency), (net, count) in revenue.items():
        if money_currency == currency:
            add(org_id, "revenue", net)
        add(org_id, "orders", count)
    _add_leads(user, ids, period, cards, members, add)
    _add_registrations(user, ids, period, add)
    _add_certifications(user, ids, period, cards, members)
    _add_mdf(user, period, currency, add)
    _add_incentives(user, partners, ids, period, revenue, cards, members)
    return [cards[root] for root in root_ids]


def _subtree(root: int, children: dict[int, list[int]]) -> list[int]:
    found, frontier = [root], [root]
    while frontier:
        frontier = [
            child for pk in frontier for child in children.get(pk, ()) if child not in found
        ]
        found.extend(frontier)
    return found


def _add_deals(user, ids, period: ScorePeriod, currency: str, add) -> None:
    from allyance.sales.models import Opportunity, Stage

    opened, closed = period.datetime_range()
    deals = visible_to(user, Opportunity.objects.all()).filter(organisation_id__in=ids).order_by()
    for row in (
        deals.filter(outcome=Stage.Outcome.OPEN, currency=currency, created_at__lt=closed)
        .values("organisation_id")
        .annotate(amount=Sum("amount"), count=Count("id"))
    ):
        add(row["organisation_id"], "pipeline", round_money(row["amount"] or ZERO, currency))
        add(row["organisation_id"], "pipeline_count", row["count"])
    for row in (
        deals.filter(
            outcome__in=[Stage.Outcome.WON, Stage.Outcome.LOST],
            closed_at__gte=opened,
            closed_at__lt=closed,
        )
        .values("organisation_id", "outcome")
        .annotate(count=Count("id"), amount=Sum("amount", filter=Q(currency=currency)))
    ):
        if row["outcome"] == Stage.Outcome.WON:
            add(row["organisation_id"], "won", row["count"])
            add(row["organisation_id"], "won_amount", round_money(row["amount"] or 0, currency))
        else:
            add(row["organisation_id"], "lost", row["count"])


def _add_leads(user, ids, period: ScorePeriod, cards, members, add) -> None:
    """Counts, rates and median time from `distribution_stats` (the distribution report's own
    numbers); a roll-up's median needs the single durations, read in one more query."""
    from allyance.partners.models import LeadDistribution
    from allyance.partners.selectors.distribution import distribution_stats

    opened, closed = period.datetime_range()
    stats = distribution_stats(user=user, start=opened, end=closed)
    for org_id, row in stats.items():
        for name in ("offered", "accepted", "rejected", "expired"):
            add(org_id, f"leads_{name}", row[name])
    rolled_up = [card for card in cards.values() if len(card.organisation_ids) > 1]
    for card in cards.values():
        if len(card.organisation_ids) == 1:
            median = stats.get(card.organisation.pk, {}).get("median_hours_to_accept")
            if median is not None:
                card.median_hours_to_accept = Decimal(str(median)).quantize(TENTH)
    if not rolled_up:
        return
    hours: dict[int, list[float]] = defaultdict(list)
    for org_id, offered_at, responded_at in (
        visible_to(user, LeadDistribution.objects.all())
        .filter(
            organisation_id__in=ids,
            offered_at__gte=opened,
            offered_at__lt=closed,
            status=LeadDistribution.Status.ACCEPTED,
            responded_at__isnull=False,
        )
        .order_by()
        .values_list("organisation_id", "offered_at", "responded_at")
    ):
        for root in members.get(org_id, ()):
            hours[root].append((responded_at - offered_at).total_seconds() / 3600)
    for card in rolled_up:
        values = hours.get(card.organisation.pk)
        if values:
            card.median_hours_to_accept = Decimal(str(statistics.median(values))).quantize(TENTH)


def _add_registrations(user, ids, period: ScorePeriod, add) -> None:
    from allyance.partners.models import DealRegistration

    Status = DealRegistration.Status
    opened, closed = period.datetime_range()
    submitted = Q(submitted_at__gte=opened, submitted_at__lt=closed)
    decided = Q(decided_at__gte=opened, decided_at__lt=closed)
    rows = (
        visible_to(user, DealRegistration.objects.all())
        .filter(organisation_id__in=ids)
        .filter(submitted | decided)
        .order_by()
        .values("organisation_id")
        .annotate(
            submitted=Count("id", filter=submitted),
            approved=Count("id", filter=decided & Q(status__in=[Status.APPROVED, Status.EXPIRED])),
            rejected=Count("id", filter=decided & Q(status=Status.REJECTED)),
        )
    )
    for row in rows:
        add(row["organisation_id"], "registrations_submitted", row["submitted"])
        add(row["organisation_id"], "registrations_approved", row["approved"])
        add(row["organisation_id"], "registrations_rejected", row["rejected"])


def _add_certifications(user, ids, period: ScorePeriod, cards, members) -> None:
    from allyance.partners.models import CertificationAward

    on = min(period.end, timezone.localdate())
    names: dict[int, set[str]] = defaultdict(set)
    for org_id, name in (
        visible_to(user, CertificationAward.objects.all())
        .filter(organisation_id__in=ids, awarded_on__lte=on, expires_on__gte=on)
        .order_by()
        .values_list("organisation_id", "certification__name")
    ):
        for root in members.get(org_id, ()):
            cards[root].certifications_held += 1
            names[root].add(name)
    for root, held in names.items():
        cards[root].certification_names = sorted(held)


def _add_mdf(user, period: ScorePeriod, currency: str, add) -> None:
    """The MDF ledger's rows (allocations overlapping the period) in the card's currency.

    A partner's allocated funds are those it keeps: what a distributor passed down to a
    reseller counts on the reseller's card, so a roll-up counts each amount once."""
    from allyance.partners.selectors.mdf import mdf_ledger

    for row in mdf_ledger(user=user, period_start=period.start, period_end=period.end):
        if row.currency == currency:
            add(row.organisation_id, "mdf_allocated", row.allocated - row.passed_down)
            add(row.organisation_id, "mdf_approved", row.approved)
            add(row.organisation_id, "mdf_paid", row.paid)
            add(row.organisation_id, "mdf_revenue", row.revenue)


def _add_incentives(user, partners, ids, period: ScorePeriod, revenue, cards, members) -> None:
    plans = incentive_selectors.plans_valid_in(user, start=period.start, end=period.end)
    if not plans:
        return
    units = incentive_selectors.units_by_partner(
        user,
        organisation_ids=ids,
        product_ids={plan.product_id for plan in plans if plan.product_id},
        start=period.start,
        end=period.end,
    )
    results = incentive_selectors.compute_incentives(
        plans=plans,
        partners=[(pk, partners[pk].tier_id) for pk in ids],
        revenue=revenue,
        units=units,
    )
    for result in results:
        for root in members.get(result.organisation_id, ()):
            cards[root].incentives.append(result)


# --- For exports and the API -----------------------------------------------------------------


def scorecard_columns() -> list[tuple[str, str]]:
    """(attribute, header) of the numbers a comparison shows, in order."""
    return [
        ("pipeline", _("Pipeline")),
        ("revenue", _("Revenue")),
        ("orders", _("Orders")),
        ("won", _("Won")),
        ("lost", _("Lost")),
        ("win_rate", _("Win rate (%)")),
        ("leads_offered", _("Leads offered")),
        ("leads_accepted", _("Leads accepted")),
        ("acceptance_rate", _("Acceptance rate (%)")),
        ("median_hours_to_accept", _("Median hours to accept")),
        ("registrations_submitted", _("Registrations submitted")),
        ("registrations_approved", _("Registrations approved")),
        ("certifications_held", _("Certifications held")),
        ("mdf_allocated", _("MDF allocated")),
        ("mdf_paid", _("MDF paid")),
        ("mdf_roi", _("MDF ROI")),
        ("incentives_earned", _("Incentives earned")),
    ]


def comparison_rows(cards: Iterable[Scorecard]) -> list[list]:
    """The comparison as rows for a spreadsheet, headers first."""
    columns = scorecard_columns()
    rows: list[list] = [[_("Partner"), _("Tier"), _("Currency"), *(h for _a, h in columns)]]
    for card in cards:
        tier = card.organisation.tier.name if card.organisation.tier_id else ""
        rows.append(
            [
                card.organisation.name,
                tier,
                card.currency,
                *(getattr(card, attribute) for attribute, _h in columns),
            ]
        )
    return rows
