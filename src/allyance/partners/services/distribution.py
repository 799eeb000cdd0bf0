"""Lead distribution: offer leads to partners by hand or by rules, and follow every hop.

An offered lead moves to the partner's organisation (owner: the partner's admin) so the
partner's users see it through the gate. Accepted, it stays there with the accepting user.
Rejected, expired or recalled, it returns to the company and its previous owner and, when
its rule says so, is offered to the next eligible partner — never one that already had it.

Two-tier channels: a distributor's administrator offers a lead its organisation holds (open,
not waiting for its own answer) to an active reseller directly below it, with the same
`lead_distribute`. The offer records where the lead came from (`previous_organisation`);
rejected, expired or recalled, the lead returns to the distributor and the admin who had it,
never to the company and never passed on automatically. The distributor follows the offers
it made even when the reseller does not share its records.

Partner choice reads every figure it needs once per batch (tiers, certifications, open
offers, acceptance rates), so distributing many leads costs a fixed number of queries; the
writes are grouped updates and bulk inserts, with their audit entries written in bulk.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from allyance.core import audit
from allyance.core.audit import snapshot
from allyance.core.models import AuditEntry, Organisation, Role, User, territory_subtree_ids
from allyance.core.notifications import in_language_of, notification_send
from allyance.core.visibility import visible_to
from allyance.partners.models import (
    CertificationAward,
    DistributionRule,
    LeadDistribution,
    ProgrammeSettings,
)
from allyance.sales.models import Lead

Status = LeadDistribution.Status

# The offer's status flow: only an open offer is answered; an accepted lead may be recalled
# while it is still open (not converted).
TRANSITIONS: dict[str, set[str]] = {
    Status.OFFERED: {Status.ACCEPTED, Status.REJECTED, Status.EXPIRED, Status.RECALLED},
    Status.ACCEPTED: {Status.RECALLED},
    Status.REJECTED: set(),
    Status.EXPIRED: set(),
    Status.RECALLED: set(),
}
OPEN_LEAD_STATUSES = (Lead.Status.NEW, Lead.Status.WORKING, Lead.Status.QUALIFIED)
HOLDING = (Status.OFFERED, Status.ACCEPTED)  # offers that count as a partner's open leads
ANSWERED = (Status.ACCEPTED, Status.REJECTED, Status.EXPIRED)  # the acceptance rate's base
DISTRIBUTOR_ROLES = frozenset({Role.ADMIN, Role.CHANNEL_MANAGER, Role.SALES_MANAGER})
MAX_RESPOND_HOURS = 24 * 365


# --- Who may do what ------------------------------------------------------------------------


def may_distribute(user: User | None) -> bool:
    """Administrators, channel managers and sales managers hand leads to partners."""
    return (
        user is not None
        and user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.role in DISTRIBUTOR_ROLES)
    )


def may_manage_rules(user: User | None) -> bool:
    """Distribution rules are the channel's: administrators and channel managers keep them."""
    return (
        user is not None
        and user.is_authenticated
        and (user.is_admin or user.role == Role.CHANNEL_MANAGER)
    )


def may_answer(user: User | None, distribution: LeadDistribution) -> bool:
    """Only a user of the partner offered the lead accepts or rejects it."""
    return (
        user is not None
        and user.is_authenticated
        and user.is_partner
        and user.organisation_id == distribution.organisation_id
    )


def _partner_admin(user: User | None) -> bool:
    return (
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.role == Role.PARTNER_ADMIN
        and user.organisation_id is not None
    )


def resellers_of(organisation_id: int | None):
    """The active partners directly below `organisation_id`: whom its admins offer leads to."""
    if organisation_id is None:
        return Organisation.objects.none()
    return Organisation.objects.filter(
        parent_id=organisation_id,
        kind=Organisation.Kind.PARTNER,
        status=Organisation.Status.ACTIVE,
    ).order_by("name")


def may_offer_down(user: User | None) -> bool:
    """A partner admin whose organisation has active partners below it offers them leads."""
    return _partner_admin(user) and resellers_of(user.organisation_id).exists()


def may_recall(user: User | None, distribution: LeadDistribution) -> bool:
    """Distributors who can see the offer (the one who made it, the partner's channel manager,
    managers by their scope, administrators) take the lead back; so do the administrators of
    the partner that offered it down to a reseller."""
    if _partner_admin(user):
        return distribution.previous_organisation_id == user.organisation_id
    return (
        may_distribute(user)
        and visible_to(user, LeadDistribution.objects.filter(pk=distribution.pk)).exists()
    )


def _ensure(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionDenied(message)


# --- Partner choice -------------------------------------------------------------------------


def _casefold(value: str | None) -> str:
    return (value or "").strip().casefold()


@dataclass
class PartnerFigures:
    """What rule-based choice knows about one active partner organisation."""

    organisation: Organisation
    tier_rank: int
    lead_priority: int
    open_leads: int
    answered: int
    accepted: int
    certifications: set[int] = field(default_factory=set)

    @property
    def acceptance_rate(self) -> Decimal | None:
        if not self.answered:
            return None
        return (Decimal(self.accepted) * 100 / self.answered).quantize(Decimal("0.01"))

    def sort_key(self) -> tuple:
        # A partner without answered offers yet sorts after those with a known rate.
        rate = self.acceptance_rate
        return (
            -self.lead_priority,
            rate is None,
            -(rate or 0),
            self.open_leads,
            self.organisation.name.casefold(),
            self.organisation.pk,
        )


def partner_figures(*, partner_ids: Iterable[int] | None = None) -> dict[int, PartnerFigures]:
    """Active partner organisations with their tier, open offers, acceptance record and the
    certifications their users hold today: four queries, whatever the number of partners."""
    partners = Organisation.objects.filter(
        kind=Organisation.Kind.PARTNER, status=Organisation.Status.ACTIVE
    ).select_related("tier")
    if partner_ids is not None:
        partners = partners.filter(pk__in=list(partner_ids))
    figures = {
        org.pk: PartnerFigures(
            organisation=org,
            tier_rank=org.tier.rank if org.tier else -1,
            lead_priority=org.tier.lead_priority if org.tier else 0,
            open_leads=0,
            answered=0,
            accepted=0,
        )
        for org in partners
    }
    if not figures:
        return figures
    ids = list(figures)
    for org_id, count in (
        LeadDistribution.objects.filter(
            organisation_id__in=ids, status__in=HOLDING, lead__status__in=OPEN_LEAD_STATUSES
        )
        .values("organisation_id")
        .annotate(n=Count("id"))
        .values_list("organisation_id", "n")
    ):
        figures[org_id].open_leads = count
    for org_id, answered, accepted in (
        LeadDistribution.objects.filter(organisation_id__in=ids, status__in=ANSWERED)
        .values("organisation_id")
        .annotate(answered=Count("id"), accepted=Count("id", filter=Q(status=Status.ACCEPTED)))
        .values_list("organisation_id", "answered", "accepted")
    ):
        figures[org_id].answered = answered
        figures[org_id].accepted = accepted
    today = timezone.localdate()
    for org_id, certification_id in (
        CertificationAward.objects.filter(
            holder__organisation_id__in=ids,
            holder__is_active=True,
            expires_on__gte=today,
            awarded_on__lte=today,
        )
        .values_list("holder__organisation_id", "certification_id")
        .distinct()
    ):
        figures[org_id].certifications.add(certification_id)
    return figures


@dataclass
class CompiledRule:
    """A rule with its lead conditions as sets, and its partner conditions applied."""

    rule: DistributionRule
    territory_ids: set[int]
    provinces: set[str]
    industries: set[str]
    partners: list[PartnerFigures]  # eligible before load and exclusions, best first

    def matches(self, lead: Lead) -> bool:
        if self.territory_ids and lead.territory_id not in self.territory_ids:
            return False
        if self.provinces and _casefold(lead.province) not in self.provinces:
            return False
        return not (self.industries and lead.industry not in self.industries)

    def best(self, *, exclude: set[int]) -> PartnerFigures | None:
        """The best-placed partner not excluded and not over the rule's load limit."""
        limit = self.rule.max_open_leads
        for partner in self.partners:
            if partner.organisation.pk in exclude:
                continue
            if limit is not None and partner.open_leads >= limit:
                continue
            return partner
        return None


def _partner_eligible(rule: DistributionRule, partner: PartnerFigures, only: set[int]) -> bool:
    org = partner.organisation
    if only and org.pk not in only:
        return False
    if rule.partner_types and org.partner_type not in rule.partner_types:
        return False
    if rule.minimum_tier_id and partner.tier_rank < rule.minimum_tier.rank:
        return False
    if rule.required_certification_id and (
        rule.required_certification_id not in partner.certifications
    ):
        return False
    if rule.min_acceptance_rate is not None:
        rate = partner.acceptance_rate
        if rate is not None and rate < rule.min_acceptance_rate:
            return False
    return True


def rules_compile(
    *, rules: Iterable[DistributionRule] | None = None, figures: dict[int, PartnerFigures]
) -> list[CompiledRule]:
    """The active rules in priority order, each with its eligible partners ranked."""
    if rules is None:
        rules = (
            DistributionRule.objects.filter(is_active=True)
            .select_related("minimum_tier")
            .prefetch_related("territories", "partners")
        )
    compiled = []
    ranked = sorted(figures.values(), key=PartnerFigures.sort_key)
    for rule in sorted(rules, key=lambda r: (r.priority, r.pk or 0)):
        if not rule.is_active:
            continue
        roots = [t.pk for t in rule.territories.all()]
        only = {org.pk for org in rule.partners.all()}
        compiled.append(
            CompiledRule(
                rule=rule,
                territory_ids=territory_subtree_ids(roots) if roots else set(),
                provinces={_casefold(p) for p in rule.provinces or () if _casefold(p)},
                industries={str(i) for i in rule.industries or () if i},
                partners=[p for p in ranked if _partner_eligible(rule, p, only)],
            )
        )
    return compiled


def eligible_partners(*, rule: DistributionRule, lead: Lead) -> list[Organisation]:
    """The partners `rule` would offer `lead` to now, best first (none if the lead does not
    match, and never one that already had the lead)."""
    compiled = rules_compile(rules=[rule], figures=partner_figures())
    if not compiled or not compiled[0].matches(lead):
        return []
    had = set(lead.distributions.values_list("organisation_id", flat=True)) if lead.pk else set()
    limit = rule.max_open_leads
    return [
        p.organisation
        for p in compiled[0].partners
        if p.organisation.pk not in had and (limit is None or p.open_leads < limit)
    ]


# --- Writing offers -------------------------------------------------------------------------


@dataclass
class _Offer:
    lead: Lead
    partner: Organisation
    rule: DistributionRule | None
    distributor_id: int | None
    hop: int
    hours: int  # to answer, from the moment of the offer
    source_id: int  # the organisation the lead comes from (and returns to)


def _hours_to_answer(rule: DistributionRule | None, hours: int | None) -> int:
    """Given by hand, else the rule's, else the programme's setting."""
    if hours is None and rule is not None:
        hours = rule.accept_hours
    if hours is None:
        hours = ProgrammeSettings.current().accept_hours
    if not 1 <= int(hours) <= MAX_RESPOND_HOURS:
        raise ValidationError(
            {"respond_hours": _("Give between 1 and %(max)d hours.") % {"max": MAX_RESPOND_HOURS}}
        )
    return int(hours)


def _partner_admins(partner_ids: set[int]) -> dict[int, int]:
    """Each partner's first active administrator: the owner of the leads offered to it."""
    admins: dict[int, int] = {}
    for org_id, user_id in (
        User.objects.filter(
            organisation_id__in=partner_ids, role=Role.PARTNER_ADMIN, is_active=True
        )
        .order_by("organisation_id", "pk")
        .values_list("organisation_id", "pk")
    ):
        admins.setdefault(org_id, user_id)
    return admins


def _audit_rows(entries: list[tuple[ContentType, object, str, dict]], actor_id) -> None:
    """Audit entries for writes that bypassed the model signals, in one insert."""
    now = timezone.now()
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                content_type=content_type,
                object_id=str(record.pk),
                object_repr=str(record)[:250],
                action=action,
                actor_id=actor_id,
                at=now,
                changes=changes,
            )
            for content_type, record, action, changes in entries
        ]
    )


def _offers_write(offers: list[_Offer], *, by: User | None) -> list[LeadDistribution]:
    """Move each lead to its partner and record the offer: grouped lead updates, one bulk
    insert of offers, one of audit entries. Runs inside the caller's transaction."""
    if not offers:
        return []
    now = timezone.now()
    admins = _partner_admins({offer.partner.pk for offer in offers})
    lead_type = ContentType.objects.get_for_model(Lead)
    offer_type = ContentType.objects.get_for_model(LeadDistribution)
    groups: dict[tuple[int, int, int | None], list[int]] = defaultdict(list)
    rows, entries = [], []
    for offer in offers:
        lead = offer.lead
        new_owner = admins.get(offer.partner.pk)
        groups[(offer.source_id, offer.partner.pk, new_owner)].append(lead.pk)
        rows.append(
            LeadDistribution(
                lead=lead,
                organisation=offer.partner,
                owner_id=offer.distributor_id,
                rule=offer.rule,
                hop=offer.hop,
                status=Status.OFFERED,
                offered_at=now,
                respond_by=now + datetime.timedelta(hours=offer.hours),
                previous_organisation_id=offer.source_id,
                previous_owner_id=lead.owner_id,
            )
        )
        changes = {"organisation_id": [lead.organisation_id, offer.partner.pk]}
        if lead.owner_id != new_owner:
            changes["owner_id"] = [lead.owner_id, new_owner]
        entries.append((lead_type, lead, "update", changes))
        lead.organisation_id, lead.owner_id = offer.partner.pk, new_owner
        lead.version += 1
        lead.updated_at = now
        lead._audit_snapshot = snapshot(lead)
    for (source_id, partner_id, owner_id), ids in groups.items():
        for start in range(0, len(ids), 900):
            Lead.objects.filter(pk__in=ids[start : start + 900], organisation_id=source_id).update(
                organisation_id=partner_id,
                owner_id=owner_id,
                version=F("version") + 1,
                updated_at=now,
            )
    created = LeadDistribution.objects.bulk_create(rows, batch_size=500)
    if any(row.pk is None for row in created):  # a backend that returns no ids
        created = list(
            LeadDistribution.objects.filter(
                lead_id__in=[row.lead_id for row in rows], status=Status.OFFERED
            )
        )
    for row in created:
        row._audit_snapshot = snapshot(row)
        entries.append(
            (
                offer_type,
                row,
                "create",
                {k: [None, v] for k, v in row._audit_snapshot.items() if v not in (None, "")},
            )
        )
    actor = by if by is not None and by.is_authenticated else audit.current_actor()
    _audit_rows(entries, actor.pk if actor is not None else None)
    transaction.on_commit(lambda: _notify_offered([row.pk for row in created]))
    deadlines = {_next_minute(row.respond_by) for row in created}
    transaction.on_commit(lambda: _schedule_expiry(deadlines))
    return created


def _next_minute(moment: datetime.datetime) -> datetime.datetime:
    """Offers made together share one expiry run: deadlines rounded up to the minute."""
    return moment.replace(second=0, microsecond=0) + datetime.timedelta(minutes=1)


def _schedule_expiry(deadlines: set[datetime.datetime]) -> None:
    """Queue the expiry job for just after each deadline, so the worker returns unanswered
    leads on time (the daily `expire_lead_offers` is only a safety net)."""
    from allyance.partners.tasks.distribution import lead_offers_expire_task

    if not lead_offers_expire_task.get_backend().supports_defer:
        return  # a backend that runs jobs at once cannot wait for a deadline
    for at in sorted(deadlines):
        lead_offers_expire_task.using(run_after=at).enqueue()


def _notify_offered(distribution_ids: list[int]) -> None:
    """Tell the partners' users what they were offered: one notification per user."""
    by_partner: dict[int, list[LeadDistribution]] = defaultdict(list)
    for row in LeadDistribution.objects.filter(
        pk__in=distribution_ids, status=Status.OFFERED
    ).select_related("lead"):
        by_partner[row.organisation_id].append(row)
    if not by_partner:
        return
    url = reverse("partners:distribution-list")
    users = User.objects.filter(
        organisation_id__in=list(by_partner),
        role__in=(Role.PARTNER_ADMIN, Role.PARTNER_USER),
        is_active=True,
    )
    for user in users:
        rows = by_partner[user.organisation_id]
        with in_language_of(user):
            if len(rows) == 1:
                message = _(
                    "A lead is offered to you: %(lead)s. Accept or reject it by %(deadline)s."
                ) % {
                    "lead": rows[0].lead,
                    "deadline": timezone.localtime(rows[0].respond_by, _zone_of(user)).strftime(
                        "%Y-%m-%d %H:%M"
                    ),
                }
            else:
                message = _(
                    "%(count)d leads are offered to you. Accept or reject them in time."
                ) % {"count": len(rows)}
            notification_send(
                recipient=user, message=message, url=url, kind="lead_offered", email=True
            )


def _zone_of(user: User):
    import zoneinfo

    try:
        return zoneinfo.ZoneInfo(user.time_zone) if user.time_zone else None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def _notify_distributor(distribution: LeadDistribution, kind: str) -> None:
    """Tell whoever distributed the lead (or, for a rule, its previous owner) the answer."""
    recipient = distribution.owner or distribution.previous_owner
    if recipient is None or not recipient.is_active:
        return
    with in_language_of(recipient):
        values = {"lead": distribution.lead, "partner": distribution.organisation}
        message = {
            Status.ACCEPTED: _("%(partner)s accepted the lead %(lead)s."),
            Status.REJECTED: _("%(partner)s rejected the lead %(lead)s: %(reason)s"),
            Status.EXPIRED: _("%(partner)s did not answer in time; the lead %(lead)s came back."),
        }[kind] % {**values, "reason": distribution.reason}
        notification_send(
            recipient=recipient,
            message=message,
            url=reverse("partners:distribution-list"),
            kind=f"lead_{kind}",
        )


# --- Distributing ---------------------------------------------------------------------------


def _check_distributable(lead: Lead, company: Organisation) -> None:
    if not lead.is_open:
        raise ValidationError({"lead": _("Only open leads are distributed.")})
    if lead.organisation_id != company.pk:
        raise ValidationError(
            {"lead": _("The lead is with a partner already; recall it before offering it again.")}
        )


def _check_offerable_down(lead: Lead, by: User) -> None:
    """A distributor offers down only an open lead it holds, once it accepted it itself."""
    if lead.organisation_id != by.organisation_id:
        raise PermissionDenied(_("You may not distribute this lead."))
    if not lead.is_open:
        raise ValidationError({"lead": _("Only open leads are distributed.")})
    if lead.distributions.filter(status=Status.OFFERED).exists():
        raise ValidationError({"lead": _("Accept the lead before you offer it to a reseller.")})


def _locked_leads(ids: list[int]) -> list[Lead]:
    return list(Lead.objects.select_for_update().filter(pk__in=ids).order_by("pk"))


def lead_distribute(
    *, lead: Lead, partner: Organisation, by: User, respond_hours: int | None = None
) -> LeadDistribution:
    """Offer `lead` to `partner` by hand; the partner answers within `respond_hours`
    (the programme's setting when not given).

    Company staff offer the company's leads to any active partner. A distributor's partner
    admin offers a lead its organisation holds to an active partner directly below it."""
    offering_down = _partner_admin(by)
    if offering_down:
        _ensure(
            partner.parent_id == by.organisation_id and partner.pk != by.organisation_id,
            _("You offer leads only to the partners directly below yours."),
        )
    else:
        _ensure(may_distribute(by), _("Only administrators and managers distribute leads."))
    _ensure(
        visible_to(by, Lead.objects.filter(pk=lead.pk)).exists(),
        _("You may not distribute this lead."),
    )
    if not (
        partner.kind == Organisation.Kind.PARTNER and partner.status == Organisation.Status.ACTIVE
    ):
        raise ValidationError({"partner": _("Choose an active partner.")})
    source = Organisation.objects.get(pk=by.organisation_id) if offering_down else None
    with audit.acting_as(by), transaction.atomic():
        locked = _locked_leads([lead.pk])
        if not locked:
            raise ValidationError({"lead": _("The lead no longer exists.")})
        current = locked[0]
        if offering_down:
            _check_offerable_down(current, by)
        else:
            source = Organisation.company()
            _check_distributable(current, source)
        hops = current.distributions.count()
        offer = _Offer(
            lead=current,
            partner=partner,
            rule=None,
            distributor_id=by.pk,
            hop=hops + 1,
            hours=_hours_to_answer(None, respond_hours),
            source_id=source.pk,
        )
        row = _offers_write([offer], by=by)[0]
    _refresh(lead, current)
    return row


def _refresh(target: Lead, source: Lead) -> None:
    for name in ("organisation_id", "owner_id", "version", "updated_at"):
        setattr(target, name, getattr(source, name))


@dataclass
class DistributionResult:
    offered: list[LeadDistribution]  # one per lead offered to a partner
    unmatched: list[Lead]  # open company leads no rule found a partner for
    skipped: int  # leads not open or already with a partner


def leads_distribute_by_rules(*, leads: Iterable[Lead], by: User | None) -> DistributionResult:
    """Offer many leads by the rules: each goes to the best-placed eligible partner of the
    first rule that matches it and still has one. `by=None` is the system (a job)."""
    if by is not None:
        _ensure(may_distribute(by), _("Only administrators and managers distribute leads."))
    ids = sorted({lead.pk for lead in leads})
    if by is not None and ids:
        visible = set(visible_to(by, Lead.objects.filter(pk__in=ids)).values_list("pk", flat=True))
        _ensure(len(visible) == len(ids), _("You may not distribute some of these leads."))
    company = Organisation.company()
    with audit.acting_as(by), transaction.atomic():
        locked = _locked_leads(ids)
        candidates = [
            lead for lead in locked if lead.is_open and lead.organisation_id == company.pk
        ]
        skipped = len(ids) - len(candidates)
        figures = partner_figures()
        compiled = rules_compile(figures=figures)
        history: dict[int, set[int]] = defaultdict(set)
        hops: dict[int, int] = defaultdict(int)
        for lead_id, org_id in LeadDistribution.objects.filter(
            lead_id__in=[lead.pk for lead in candidates]
        ).values_list("lead_id", "organisation_id"):
            history[lead_id].add(org_id)
            hops[lead_id] += 1
        offers, unmatched = [], []
        default_hours = ProgrammeSettings.current().accept_hours
        for lead in candidates:
            chosen = None
            for rule in compiled:
                if not rule.matches(lead) or hops[lead.pk] >= rule.rule.max_hops:
                    continue
                partner = rule.best(exclude=history[lead.pk])
                if partner is not None:
                    chosen = (rule.rule, partner)
                    break
            if chosen is None:
                unmatched.append(lead)
                continue
            rule, partner = chosen
            partner.open_leads += 1  # the load counts as the batch hands out leads
            offers.append(
                _Offer(
                    lead=lead,
                    partner=partner.organisation,
                    rule=rule,
                    distributor_id=by.pk if by is not None else None,
                    hop=hops[lead.pk] + 1,
                    hours=rule.accept_hours or default_hours,
                    source_id=company.pk,
                )
            )
        created = _offers_write(offers, by=by)
    return DistributionResult(offered=created, unmatched=unmatched, skipped=skipped)


def lead_distribute_by_rules(*, lead: Lead, by: User | None) -> LeadDistribution | None:
    """Offer one lead by the rules; None when no rule has a partner for it."""
    result = leads_distribute_by_rules(leads=[lead], by=by)
    if result.offered:
        lead.refresh_from_db()
        return result.offered[0]
    if result.skipped:
        company = Organisation.company()
        current = Lead.objects.get(pk=lead.pk)
        _check_distributable(current, company)
    return None


# --- Answers and their consequences ---------------------------------------------------------


def _locked(distribution: LeadDistribution, target: str) -> LeadDistribution:
    """The offer re-read under a row lock; refused if it may not move to `target` now."""
    current = (
        LeadDistribution.objects.select_for_update(of=("self",))
        .select_related("lead", "organisation", "rule", "owner", "previous_owner")
        .get(pk=distribution.pk)
    )
    if target not in TRANSITIONS[current.status]:
        raise ValidationError(
            {
                "status": _("This offer is %(status)s; it cannot become %(target)s.")
                % {
                    "status": current.get_status_display().lower(),
                    "target": Status(target).label.lower(),
                }
            }
        )
    return current


def _move(distribution: LeadDistribution, status: str, *, by: User | None, reason: str = ""):
    distribution.status = status
    distribution.responded_at = timezone.now()
    distribution.responded_by = by if by is not None and by.is_authenticated else None
    distribution.reason = reason[:255]
    distribution.version += 1
    distribution.save(
        update_fields=["status", "responded_at", "responded_by", "reason", "version", "updated_at"]
    )


def _return_lead(distribution: LeadDistribution, *, holders: Iterable[int] = ()) -> Lead:
    """The lead goes back where it came from (the company, or the distributor that offered it
    down) and to the owner it had there. `holders`: partners below that got it from this one."""
    lead = Lead.objects.select_for_update().get(pk=distribution.lead_id)
    if lead.organisation_id in {distribution.organisation_id, *holders}:
        lead.organisation_id = distribution.previous_organisation_id or Organisation.company().pk
        lead.owner_id = distribution.previous_owner_id
        lead.version += 1
        lead.save(update_fields=["organisation", "owner", "version", "updated_at"])
    return lead


def _pass_on(distribution: LeadDistribution, *, by: User | None) -> LeadDistribution | None:
    """Offer the returned lead to the rule's next eligible partner, if the rule says so."""
    rule = distribution.rule
    if rule is None or not rule.pass_on or not rule.is_active:
        return None
    company = Organisation.company()
    if distribution.previous_organisation_id not in (None, company.pk):
        return None  # a partner's own offer down is never passed on
    lead = Lead.objects.select_for_update().get(pk=distribution.lead_id)
    if not lead.is_open or lead.organisation_id != company.pk:
        return None
    had = list(lead.distributions.values_list("organisation_id", flat=True))
    if len(had) >= rule.max_hops:
        return None
    compiled = rules_compile(rules=[rule], figures=partner_figures())
    if not compiled or not compiled[0].matches(lead):
        return None
    partner = compiled[0].best(exclude=set(had))
    if partner is None:
        return None
    offer = _Offer(
        lead=lead,
        partner=partner.organisation,
        rule=rule,
        distributor_id=distribution.owner_id,
        hop=len(had) + 1,
        hours=_hours_to_answer(rule, None),
        source_id=company.pk,
    )
    return _offers_write([offer], by=by)[0]


def distribution_accept(*, distribution: LeadDistribution, by: User) -> LeadDistribution:
    """The partner takes the lead: it stays with the partner, owned by the accepting user."""
    _ensure(may_answer(by, distribution), _("Only the partner offered the lead answers."))
    with audit.acting_as(by), transaction.atomic():
        current = _locked(distribution, Status.ACCEPTED)
        if current.respond_by < timezone.now():
            raise ValidationError({"status": _("The time to answer this offer has passed.")})
        _move(current, Status.ACCEPTED, by=by)
        lead = Lead.objects.select_for_update().get(pk=current.lead_id)
        if lead.owner_id != by.pk:
            lead.owner = by
            lead.version += 1
            lead.save(update_fields=["owner", "version", "updated_at"])
        transaction.on_commit(lambda: _notify_distributor(current, Status.ACCEPTED))
    return current


def distribution_reject(
    *, distribution: LeadDistribution, reason: str, by: User
) -> LeadDistribution:
    """The partner declines (with a reason): the lead returns and may pass on to the next."""
    _ensure(may_answer(by, distribution), _("Only the partner offered the lead answers."))
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": _("Say why you reject the lead.")})
    with audit.acting_as(by), transaction.atomic():
        current = _locked(distribution, Status.REJECTED)
        if not current.lead.is_open:
            raise ValidationError({"status": _("You converted this lead; it is yours.")})
        _move(current, Status.REJECTED, by=by, reason=reason)
        _return_lead(current)
        _pass_on(current, by=by)
        transaction.on_commit(lambda: _notify_distributor(current, Status.REJECTED))
    return current


def distribution_recall(
    *, distribution: LeadDistribution, reason: str, by: User
) -> LeadDistribution:
    """The company (or the distributor that offered it down) takes an offered or accepted
    (still open) lead back, saying why; the lead returns where it came from, to its previous
    owner, and may pass on to the next partner. Offers the partner made further down the
    chain for this lead end with it."""
    _ensure(may_recall(by, distribution), _("You may not recall this lead."))
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": _("Say why you recall the lead.")})
    with audit.acting_as(by), transaction.atomic():
        current = _locked(distribution, Status.RECALLED)
        if not current.lead.is_open:
            raise ValidationError({"status": _("A converted lead cannot be recalled.")})
        _move(current, Status.RECALLED, by=by, reason=reason)
        holders = _recall_below(current, by=by, reason=reason)
        _return_lead(current, holders=holders)
        _pass_on(current, by=by)
    return current


def _recall_below(distribution: LeadDistribution, *, by: User, reason: str) -> set[int]:
    """End the open offers of the same lead made down the chain from the recalled one (the
    partner offered it on to a reseller, who may have offered it on again); returns the
    partners that held it there."""
    holders: set[int] = set()
    sources = {distribution.organisation_id}
    later = (
        LeadDistribution.objects.select_for_update(of=("self",))
        .filter(lead_id=distribution.lead_id, hop__gt=distribution.hop, status__in=HOLDING)
        .order_by("hop", "pk")
    )
    for row in later:
        if row.previous_organisation_id in sources:
            _move(row, Status.RECALLED, by=by, reason=reason)
            holders.add(row.organisation_id)
            sources.add(row.organisation_id)
    return holders


def distributions_expire(*, now: datetime.datetime | None = None) -> int:
    """Expire every offer past its deadline: the lead returns and may pass on. Each offer is
    handled in its own transaction under a row lock, so two runs never expire one twice.

    An offer whose lead the partner converted meanwhile counts as accepted. Returns the
    number of offers expired.
    """
    now = now or timezone.now()
    due = list(
        LeadDistribution.objects.filter(status=Status.OFFERED, respond_by__lt=now)
        .order_by("respond_by", "pk")
        .values_list("pk", flat=True)
    )
    expired = 0
    for pk in due:
        with audit.acting_as(None), transaction.atomic():
            current = (
                LeadDistribution.objects.select_for_update(of=("self",))
                .select_related("lead", "organisation", "rule", "owner", "previous_owner")
                .filter(pk=pk, status=Status.OFFERED, respond_by__lt=now)
                .first()
            )
            if current is None:  # answered or expired by someone else meanwhile
                continue
            if not current.lead.is_open:
                current.status = Status.ACCEPTED
                current.responded_at = current.lead.converted_at or now
                current.version += 1
                current.save(update_fields=["status", "responded_at", "version", "updated_at"])
                continue
            _move(current, Status.EXPIRED, by=None)
            _return_lead(current)
            _pass_on(current, by=None)
            transaction.on_commit(
                lambda current=current: _notify_distributor(current, Status.EXPIRED)
            )
            expired += 1
    return expired


# --- Rules ----------------------------------------------------------------------------------


def _rule_validate(rule: DistributionRule) -> None:
    errors: dict[str, str] = {}
    types = set(Organisation.PartnerType.values)
    for name, known in (
        ("partner_types", types),
        ("industries", {code for code, _label in Lead._meta.get_field("industry").choices}),
        ("provinces", None),
    ):
        value = getattr(rule, name)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            errors[name] = _("Enter a list of values.")
        elif known is not None and any(v not in known for v in value):
            errors[name] = _("Choose from the listed values.")
    if rule.max_hops is not None and rule.max_hops < 1:
        errors["max_hops"] = _("At least one offer.")
    if rule.accept_hours is not None and not 1 <= rule.accept_hours <= MAX_RESPOND_HOURS:
        errors["accept_hours"] = _("Give between 1 and %(max)d hours.") % {"max": MAX_RESPOND_HOURS}
    if rule.min_acceptance_rate is not None and not (
        Decimal("0") <= rule.min_acceptance_rate <= Decimal("100")
    ):
        errors["min_acceptance_rate"] = _("Give a percentage from 0 to 100.")
    if errors:
        raise ValidationError(errors)


def distribution_rule_save(
    *,
    rule: DistributionRule,
    by: User,
    territories: Iterable | None = None,
    partners: Iterable | None = None,
) -> DistributionRule:
    """Create or update a rule (administrators and channel managers); the lists it matches
    on hold known values only."""
    _ensure(may_manage_rules(by), _("Only administrators and channel managers change rules."))
    _rule_validate(rule)
    rule.full_clean()
    if partners is not None:
        partners = list(partners)
        if any(org.kind != Organisation.Kind.PARTNER for org in partners):
            raise ValidationError({"partners": _("Choose partner organisations.")})
    with audit.acting_as(by), transaction.atomic():
        rule.save()
        if territories is not None:
            rule.territories.set(territories)
        if partners is not None:
            rule.partners.set(partners)
    return rule


def distribution_rule_delete(*, rule: DistributionRule, by: User) -> None:
    """Remove a rule; its offers keep their history (their rule becomes empty)."""
    _ensure(may_manage_rules(by), _("Only administrators and channel managers change rules."))
    with audit.acting_as(by), transaction.atomic():
        rule.delete()


__all__ = [
    "DistributionResult",
    "TRANSITIONS",
    "distribution_accept",
    "distribution_recall",
    "distribution_reject",
    "distribution_rule_delete",
    "distribution_rule_save",
    "distributions_expire",
    "eligible_partners",
    "lead_distribute",
    "lead_distribute_by_rules",
    "leads_distribute_by_rules",
    "may_answer",
    "may_distribute",
    "may_manage_rules",
    "may_offer_down",
    "may_recall",
    "partner_figures",
    "resellers_of",
]
