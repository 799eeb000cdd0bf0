"""Writes on marketing development funds: allocations, fund requests, claims, payment.

Rules kept here, each write in one transaction with the rows it depends on locked:
- a request asks for at most what is left of its allocation (allocated − approved of the
  other requests − what they still ask for); the allocation row is locked while this is
  checked, so two requests at once cannot both take the last yuan;
- a request is approved in full or for less, never above what is left;
- the claims of a request (submitted, approved or paid) add up to at most what was approved;
  the request row is locked while this is checked;
- a claim carries its expense invoice (lines that add up to the amount claimed) and proof
  (attachments); it is approved, in full or in part, only with proof, and paid only once
  approved, for the amount approved.
Partner users submit and cancel; the partner's channel manager and administrators decide
and pay. Statuses move only along `REQUEST_TRANSITIONS` / `CLAIM_TRANSITIONS`.

Two-tier channels: a distributor passes part of its allocation down to a reseller directly
below it (`allocation_pass_down`, by the distributor's partner admin or the company). The
reseller gets its own allocation for the same period and currency (source "from the partner
above", `parent_allocation` the distributor's); what is passed down counts against the
distributor's remaining, never above it, checked with the distributor's allocation locked.
The reseller then asks for and claims funds as usual, and the company (the channel manager,
administrators) still decides: the money is the company's until it is paid.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from allyance.core import audit
from allyance.core.custom_fields import new_record_custom_values
from allyance.core.exceptions import ConflictError
from allyance.core.models import Attachment, Organisation, Role, User
from allyance.core.money import minor_units, round_money
from allyance.core.notifications import in_language_of, notification_send
from allyance.core.services import record_delete, record_save
from allyance.core.visibility import can_see, managed_organisation_ids_of, visible_to
from allyance.partners.models import MdfAllocation, MdfClaim, MdfClaimLine, MdfRequest
from allyance.sales.models import Lead
from allyance.sales.models.money import default_currency

ZERO = Decimal("0")
RequestStatus = MdfRequest.Status
ClaimStatus = MdfClaim.Status

# From each status, the statuses a fund request may move to.
REQUEST_TRANSITIONS: dict[str, frozenset[str]] = {
    RequestStatus.SUBMITTED: frozenset(
        {RequestStatus.APPROVED, RequestStatus.REJECTED, RequestStatus.CANCELLED}
    ),
    RequestStatus.APPROVED: frozenset(),
    RequestStatus.REJECTED: frozenset(),
    RequestStatus.CANCELLED: frozenset(),
}
# From each status, the statuses a claim may move to.
CLAIM_TRANSITIONS: dict[str, frozenset[str]] = {
    ClaimStatus.SUBMITTED: frozenset({ClaimStatus.APPROVED, ClaimStatus.REJECTED}),
    ClaimStatus.APPROVED: frozenset({ClaimStatus.PAID}),
    ClaimStatus.REJECTED: frozenset(),
    ClaimStatus.PAID: frozenset(),
}
# Claims that count against what the request approved.
OPEN_CLAIM_STATUSES = (ClaimStatus.SUBMITTED, ClaimStatus.APPROVED, ClaimStatus.PAID)
STALE = _("Someone else changed this record since you opened it. Reload and try again.")


# --- Who may do what -------------------------------------------------------------------


def may_manage_mdf(user: User | None, organisation: Organisation | None = None) -> bool:
    """Administrators, and channel managers for the partners they look after (and below).

    Without `organisation`: whether the user manages MDF for any partner at all.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_admin:
        return True
    if user.role != Role.CHANNEL_MANAGER:
        return False
    if organisation is None:
        return True
    return organisation.pk in managed_organisation_ids_of(user)


def may_submit_for(user: User | None, organisation_id: int | None) -> bool:
    """Partner users ask for and claim funds for their own organisation."""
    return (
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.is_partner
        and organisation_id is not None
        and user.organisation_id == organisation_id
    )


def _ensure_manager(by: User, organisation: Organisation, message: str) -> None:
    if not may_manage_mdf(by, organisation):
        raise PermissionDenied(message)


# --- Money --------------------------------------------------------------------------------


def parse_amount(value, currency: str, *, field: str, allow_zero: bool = False) -> Decimal:
    """`value` as an exact amount of `currency`, or a ValidationError on `field`."""
    message = _("Enter an amount in %(currency)s with at most %(places)d decimal places.") % {
        "currency": currency,
        "places": minor_units(currency),
    }
    if isinstance(value, float):
        raise ValidationError({field: message})
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise ValidationError({field: message}) from exc
    if not amount.is_finite() or amount != round_money(amount, currency):
        raise ValidationError({field: message})
    if amount < 0 or (amount == 0 and not allow_zero):
        raise ValidationError({field: _("Enter an amount above zero.")})
    if amount >= Decimal("1e12"):
        raise ValidationError({field: _("The amount is too large.")})
    return amount


def _sum(queryset, field: str) -> Decimal:
    return queryset.aggregate(total=Sum(field))["total"] or ZERO


def allocation_committed(allocation: MdfAllocation, *, excluding: MdfRequest | None = None):
    """What the allocation's requests take: approved amounts plus what is still asked for."""
    requests = allocation.requests.all()
    if excluding is not None:
        requests = requests.exclude(pk=excluding.pk)
    approved = _sum(requests.filter(status=RequestStatus.APPROVED), "approved_amount")
    pending = _sum(requests.filter(status=RequestStatus.SUBMITTED), "amount")
    return approved + pending


def allocation_passed_down(
    allocation: MdfAllocation, *, excluding: MdfAllocation | None = None
) -> Decimal:
    """What the partner passed down to the resellers below it from these funds."""
    children = allocation.passed_down.all() if allocation.pk else MdfAllocation.objects.none()
    if excluding is not None:
        children = children.exclude(pk=excluding.pk)
    return _sum(children, "amount")


def allocation_remaining(
    allocation: MdfAllocation, *, excluding: MdfRequest | None = None
) -> Decimal:
    """What a new request (or a pass-down) may still take: allocated − passed down −
    approved − pending requests."""
    return (
        allocation.amount
        - allocation_passed_down(allocation)
        - allocation_committed(allocation, excluding=excluding)
    )


def request_claimed(request: MdfRequest, *, excluding: MdfClaim | None = None) -> Decimal:
    """What the request's claims that are not rejected add up to."""
    claims = request.claims.filter(status__in=OPEN_CLAIM_STATUSES)
    if excluding is not None:
        claims = claims.exclude(pk=excluding.pk)
    return _sum(claims, "amount")


def request_claimable(request: MdfRequest) -> Decimal:
    """What may still be claimed on an approved request."""
    if request.status != RequestStatus.APPROVED:
        return ZERO
    return request.approved_amount - request_claimed(request)


def claim_has_proof(claim: MdfClaim) -> bool:
    return Attachment.objects.filter(
        content_type=ContentType.objects.get_for_model(MdfClaim), object_id=str(claim.pk)
    ).exists()


# --- Notifications -------------------------------------------------------------------------


def _deciders(organisation: Organisation) -> list[User]:
    """Who is told of a new request or claim: the partner's channel manager (or the nearest
    one above it in a two-tier channel), else the administrators."""
    current = organisation
    seen: set[int] = set()
    while current is not None and current.pk not in seen:
        seen.add(current.pk)
        manager = current.channel_manager
        if manager is not None and manager.is_active:
            return [manager]
        current = current.parent
    return list(User.objects.filter(is_active=True, role=Role.ADMIN))


def _notify(recipients: Iterable[User | None], record, kind: str, text) -> None:
    sent: set[int] = set()
    for recipient in recipients:
        if recipient is None or not recipient.is_active or recipient.pk in sent:
            continue
        sent.add(recipient.pk)
        with in_language_of(recipient):
            notification_send(
                recipient=recipient,
                message=text(),
                url=record.get_absolute_url(),
                kind=kind,
                email=True,
            )


def _check_version(current, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != current.version:
        raise ConflictError(STALE)


def _move(record, *, table: dict[str, frozenset[str]], to: str, label) -> None:
    """Refuse a status change the table does not allow."""
    if to not in table.get(record.status, ()):
        raise ValidationError(
            {
                "status": _("A %(what)s that is %(status)s cannot become %(target)s.")
                % {
                    "what": label,
                    "status": record.get_status_display().lower(),
                    "target": type(record).Status(to).label.lower(),
                }
            }
        )


# --- Allocations ---------------------------------------------------------------------------


def allocation_save(
    *, allocation: MdfAllocation, by: User, expected_version: int | None = None
) -> MdfAllocation:
    """Set a partner's funds for a period by hand (channel manager of the partner, admins).

    An allocation is never lowered below what its requests already take; once it has
    requests its partner and currency stay.
    """
    errors: dict[str, list[str]] = {}
    organisation = allocation.organisation if allocation.organisation_id else None
    if organisation is None or organisation.kind != Organisation.Kind.PARTNER:
        raise ValidationError({"organisation": _("Choose the partner the funds are for.")})
    _ensure_manager(by, organisation, _("Only the partner's channel manager sets its MDF."))
    currency = allocation.currency or default_currency()
    amount = parse_amount(allocation.amount, currency, field="amount", allow_zero=True)
    if allocation.period_start and allocation.period_end:
        if allocation.period_end < allocation.period_start:
            errors["period_end"] = [_("The period ends before it starts.")]
        clash = MdfAllocation.objects.filter(
            organisation=organisation,
            currency=currency,
            period_start=allocation.period_start,
        ).exclude(pk=allocation.pk)
        if clash.exists():
            errors["period_start"] = [
                _("%(partner)s already has %(currency)s funds for the period starting %(date)s.")
                % {"partner": organisation, "currency": currency, "date": allocation.period_start}
            ]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if allocation.pk is None:
            if allocation.parent_allocation_id is not None:
                raise ValidationError(
                    {"amount": _("Funds from the partner above are passed down by that partner.")}
                )
            allocation.owner = by
            allocation.source = allocation.source or MdfAllocation.Source.MANUAL
        else:
            parent = None
            if allocation.parent_allocation_id is not None:
                # The distributor's funds first, locked in the order `allocation_pass_down` uses.
                parent = MdfAllocation.objects.select_for_update().get(
                    pk=allocation.parent_allocation_id
                )
            stored = MdfAllocation.objects.select_for_update().get(pk=allocation.pk)
            if not may_manage_mdf(by, stored.organisation):
                raise PermissionDenied(_("Only the partner's channel manager sets its MDF."))
            if (stored.requests.exists() or stored.passed_down.exists()) and (
                stored.organisation_id != organisation.pk or stored.currency != currency
            ):
                raise ValidationError(
                    {"currency": _("Funds that have requests keep their partner and currency.")}
                )
            if parent is not None:
                _check_passed_down_edit(stored, allocation, parent, amount)
            committed = allocation_committed(stored) + allocation_passed_down(stored)
            if amount < committed:
                raise ValidationError(
                    {
                        "amount": _(
                            "Requests already take %(committed)s %(currency)s of these funds."
                        )
                        % {"committed": committed, "currency": currency}
                    }
                )
        allocation.amount = amount
        allocation.currency = currency
        return record_save(instance=allocation, by=by, expected_version=expected_version)


def _check_passed_down_edit(
    stored: MdfAllocation, allocation: MdfAllocation, parent: MdfAllocation, amount: Decimal
) -> None:
    """Funds passed down keep their partner, period and currency, and grow only by what the
    partner above still has left."""
    if (
        allocation.organisation_id != stored.organisation_id
        or allocation.currency != stored.currency
        or allocation.period_start != stored.period_start
        or allocation.period_end != stored.period_end
    ):
        raise ValidationError(
            {
                "period_start": _(
                    "Funds passed down from the partner above keep their partner, period "
                    "and currency."
                )
            }
        )
    left = allocation_remaining(parent) + stored.amount
    if amount > left:
        raise ValidationError(
            {
                "amount": _("%(partner)s has only %(left)s %(currency)s left to pass down.")
                % {"partner": parent.organisation, "left": left, "currency": parent.currency}
            }
        )


def allocation_delete(*, allocation: MdfAllocation, by: User) -> None:
    """Delete funds set in error; funds that have requests, or that were passed on down the
    chain, stay."""
    _ensure_manager(
        by, allocation.organisation, _("Only the partner's channel manager sets its MDF.")
    )
    if allocation.requests.exists():
        raise ValidationError(_("These funds have requests and cannot be deleted."))
    if allocation.passed_down.exists():
        raise ValidationError(_("Part of these funds was passed down; they cannot be deleted."))
    record_delete(instance=allocation, by=by)


# --- Passing funds down a two-tier channel -------------------------------------------------


def may_pass_down(user: User | None, allocation: MdfAllocation) -> bool:
    """The partner's own administrators pass its funds down; so do the company's channel
    manager of the partner and administrators."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_partner:
        return (
            user.role == Role.PARTNER_ADMIN and user.organisation_id == allocation.organisation_id
        )
    return may_manage_mdf(user, allocation.organisation)


def resellers_below(organisation_id: int | None):
    """The active partners directly below `organisation_id`: whom its funds may go down to."""
    return Organisation.objects.filter(
        parent_id=organisation_id,
        kind=Organisation.Kind.PARTNER,
        status=Organisation.Status.ACTIVE,
    ).order_by("name")


def allocation_pass_down(
    *, allocation: MdfAllocation, reseller: Organisation, amount, by: User, note: str = ""
) -> MdfAllocation:
    """Pass `amount` of a distributor's funds down to `reseller`, a partner directly below it.

    The reseller gets an allocation for the same period and currency (or the one passed down
    to it from these funds before grows); what is passed down no longer remains to the
    distributor and never exceeds what it has left, checked with its allocation locked.
    """
    if allocation is None or not can_see(by, allocation):
        raise PermissionDenied(_("You may not pass these funds down."))
    if not may_pass_down(by, allocation):
        raise PermissionDenied(
            _("Only the partner's administrators and its channel manager pass its funds down.")
        )
    if (
        reseller is None
        or reseller.kind != Organisation.Kind.PARTNER
        or reseller.status != Organisation.Status.ACTIVE
        or reseller.parent_id != allocation.organisation_id
    ):
        raise ValidationError(
            {
                "reseller": _("Choose an active partner directly below %(partner)s.")
                % {"partner": allocation.organisation}
            }
        )
    parsed = parse_amount(amount, allocation.currency, field="amount")
    with transaction.atomic():
        locked = (
            MdfAllocation.objects.select_for_update(of=("self",))
            .select_related("organisation")
            .get(pk=allocation.pk)
        )
        remaining = allocation_remaining(locked)
        if parsed > remaining:
            raise ValidationError(
                {
                    "amount": _("Only %(remaining)s %(currency)s of these funds is left.")
                    % {"remaining": remaining, "currency": locked.currency}
                }
            )
        existing = (
            MdfAllocation.objects.select_for_update()
            .filter(
                organisation=reseller, period_start=locked.period_start, currency=locked.currency
            )
            .first()
        )
        if existing is not None and existing.parent_allocation_id != locked.pk:
            raise ValidationError(
                {
                    "reseller": _(
                        "%(partner)s already has %(currency)s funds for the period starting "
                        "%(date)s."
                    )
                    % {
                        "partner": reseller,
                        "currency": locked.currency,
                        "date": locked.period_start,
                    }
                }
            )
        if existing is not None:
            existing.amount += parsed
            child = record_save(instance=existing, by=by)
        else:
            child = record_save(
                instance=MdfAllocation(
                    organisation=reseller,
                    owner=by,
                    period_start=locked.period_start,
                    period_end=locked.period_end,
                    amount=parsed,
                    currency=locked.currency,
                    source=MdfAllocation.Source.PARENT,
                    parent_allocation=locked,
                    note=(
                        (note or "").strip()
                        or _("Passed down from %(partner)s") % {"partner": locked.organisation}
                    )[:255],
                ),
                by=by,
            )
        recipients = list(
            User.objects.filter(
                organisation=reseller, role=Role.PARTNER_ADMIN, is_active=True
            ).order_by("pk")
        )
        transaction.on_commit(
            lambda: _notify(
                recipients,
                child,
                "mdf_passed_down",
                lambda: (
                    _("%(partner)s passed %(amount)s %(currency)s of MDF down to you")
                    % {
                        "partner": locked.organisation,
                        "amount": parsed,
                        "currency": locked.currency,
                    }
                ),
            )
        )
    return child


def previous_period(
    period_start: datetime.date, period_end: datetime.date
) -> tuple[datetime.date, datetime.date]:
    """The period of the same length just before: whole calendar months give the same number
    of months before (Q2 → Q1), any other period the same number of days before."""
    next_day = period_end + datetime.timedelta(days=1)
    if period_start.day == 1 and next_day.day == 1:
        months = (next_day.year - period_start.year) * 12 + next_day.month - period_start.month
        index = period_start.year * 12 + period_start.month - 1 - months
        start = datetime.date(index // 12, index % 12 + 1, 1)
        return start, period_start - datetime.timedelta(days=1)
    length = (period_end - period_start).days + 1
    end = period_start - datetime.timedelta(days=1)
    return end - datetime.timedelta(days=length - 1), end


def partner_revenue(
    organisation: Organisation, *, start: datetime.date, end: datetime.date, currency: str
) -> Decimal:
    """The total of the partner's orders dated in the period that are not cancelled."""
    from allyance.orders.models import Order

    orders = Order.objects.filter(
        organisation=organisation,
        order_date__gte=start,
        order_date__lte=end,
        currency=currency,
    ).exclude(status=Order.Status.CANCELLED)
    return round_money(_sum(orders, "total"), currency)


def allocations_from_tier_share(
    *, period_start: datetime.date, period_end: datetime.date, by: User
) -> list[MdfAllocation]:
    """Allocate each active partner whose tier has an MDF share that share of its revenue in the
    previous period of the same length, in the tier price list's currency (or the default).

    Partners that already have funds overlapping the period, and partners whose share comes
    to nothing, are skipped. A channel manager allocates the partners they look after.
    """
    if not may_manage_mdf(by):
        raise PermissionDenied(_("Only channel managers and administrators set MDF."))
    if period_end < period_start:
        raise ValidationError({"period_end": _("The period ends before it starts.")})
    before_start, before_end = previous_period(period_start, period_end)
    partners = (
        Organisation.objects.filter(
            kind=Organisation.Kind.PARTNER,
            status=Organisation.Status.ACTIVE,
            tier__mdf_share_percent__gt=0,
        )
        .select_related("tier__price_list")
        .order_by("name", "pk")
    )
    if not by.is_admin:
        partners = partners.filter(pk__in=managed_organisation_ids_of(by))
    created: list[MdfAllocation] = []
    with transaction.atomic():
        for partner in partners:
            funded = MdfAllocation.objects.filter(
                organisation=partner, period_start__lte=period_end, period_end__gte=period_start
            )
            if funded.exists():
                continue
            tier = partner.tier
            currency = tier.price_list.currency if tier.price_list_id else default_currency()
            revenue = partner_revenue(
                partner, start=before_start, end=before_end, currency=currency
            )
            amount = round_money(revenue * tier.mdf_share_percent / 100, currency)
            if amount <= 0:
                continue
            allocation = MdfAllocation(
                organisation=partner,
                owner=by,
                period_start=period_start,
                period_end=period_end,
                amount=amount,
                currency=currency,
                source=MdfAllocation.Source.TIER,
                note=(
                    _("%(share)s%% of %(revenue)s %(currency)s revenue, %(start)s – %(end)s")
                    % {
                        "share": tier.mdf_share_percent.normalize(),
                        "revenue": revenue,
                        "currency": currency,
                        "start": before_start.isoformat(),
                        "end": before_end.isoformat(),
                    }
                )[:255],
            )
            created.append(record_save(instance=allocation, by=by))
    return created


# --- Fund requests -------------------------------------------------------------------------


def request_submit(
    *,
    allocation: MdfAllocation,
    activity_name: str,
    plan: str,
    amount,
    by: User,
    activity_type: str = MdfRequest.ActivityType.EVENT,
    starts_on: datetime.date | None = None,
    ends_on: datetime.date | None = None,
    expected_leads: int = 0,
    custom_fields: dict | None = None,
) -> MdfRequest:
    """A partner asks for funds from its allocation for a marketing activity.

    The amount is at most what is left of the allocation, checked with the allocation locked;
    `custom_fields` are checked as for a new record (errors keyed `cf_<key>`).
    """
    if allocation is None or not can_see(by, allocation):
        raise ValidationError({"allocation": _("Choose the funds to ask from.")})
    if not may_submit_for(by, allocation.organisation_id):
        raise PermissionDenied(_("Only the partner's users ask for its funds."))
    errors: dict[str, list[str]] = {}
    if not (activity_name or "").strip():
        errors["activity_name"] = [_("Name the activity.")]
    if not (plan or "").strip():
        errors["plan"] = [_("Describe the plan: what, where, for whom.")]
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = [_("The activity ends before it starts.")]
    if activity_type not in MdfRequest.ActivityType.values:
        errors["activity_type"] = [_("Choose the kind of activity.")]
    try:
        parsed = parse_amount(amount, allocation.currency, field="amount")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        custom = new_record_custom_values(MdfRequest, custom_fields)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = MdfAllocation.objects.select_for_update().get(pk=allocation.pk)
        remaining = allocation_remaining(locked)
        if parsed > remaining:
            raise ValidationError(
                {
                    "amount": _(
                        "Only %(remaining)s %(currency)s of these funds is left to ask for."
                    )
                    % {"remaining": remaining, "currency": locked.currency}
                }
            )
        request = MdfRequest(
            organisation_id=locked.organisation_id,
            owner=by,
            allocation=locked,
            activity_name=activity_name.strip(),
            activity_type=activity_type,
            plan=plan.strip(),
            starts_on=starts_on,
            ends_on=ends_on,
            amount=parsed,
            expected_leads=expected_leads or 0,
            status=RequestStatus.SUBMITTED,
            custom_fields=custom,
        )
        request = record_save(instance=request, by=by)
        _notify(
            _deciders(locked.organisation),
            request,
            "mdf_request_submitted",
            lambda: (
                _("%(partner)s asks for %(amount)s %(currency)s of MDF: %(activity)s")
                % {
                    "partner": locked.organisation,
                    "amount": request.amount,
                    "currency": locked.currency,
                    "activity": request.activity_name,
                }
            ),
        )
    return request


def _locked_request(request: MdfRequest, expected_version: int | None):
    """The allocation and then the request, locked in that order (as `request_submit` does)."""
    allocation = MdfAllocation.objects.select_for_update().get(pk=request.allocation_id)
    current = (
        MdfRequest.objects.select_for_update(of=("self",))
        .select_related("owner", "organisation")
        .get(pk=request.pk)
    )
    _check_version(current, expected_version)
    return allocation, current


def _save_decision(current, by: User) -> None:
    current.version += 1
    with audit.acting_as(by):
        current.save()


def request_approve(
    *,
    request: MdfRequest,
    by: User,
    amount=None,
    reason: str = "",
    expected_version: int | None = None,
) -> MdfRequest:
    """Approve a request in full (no `amount`) or for less; never above what is left."""
    with transaction.atomic():
        allocation, current = _locked_request(request, expected_version)
        _ensure_manager(
            by, current.organisation, _("Only the partner's channel manager decides on its MDF.")
        )
        _move(current, table=REQUEST_TRANSITIONS, to=RequestStatus.APPROVED, label=_("request"))
        approved = (
            current.amount
            if amount in (None, "")
            else parse_amount(amount, allocation.currency, field="amount")
        )
        if approved > current.amount:
            raise ValidationError(
                {
                    "amount": _(
                        "The partner asked for %(asked)s %(currency)s; approve at most that."
                    )
                    % {"asked": current.amount, "currency": allocation.currency}
                }
            )
        remaining = allocation_remaining(allocation, excluding=current)
        if approved > remaining:
            raise ValidationError(
                {
                    "amount": _("Only %(remaining)s %(currency)s of these funds is left.")
                    % {"remaining": remaining, "currency": allocation.currency}
                }
            )
        current.status = RequestStatus.APPROVED
        current.approved_amount = approved
        current.decided_at = timezone.now()
        current.decided_by = by
        current.decision_reason = (reason or "").strip()[:255]
        _save_decision(current, by)
        _notify(
            [current.owner],
            current,
            "mdf_request_approved",
            lambda: (
                _("%(by)s approved %(amount)s %(currency)s for %(activity)s")
                % {
                    "by": by,
                    "amount": current.approved_amount,
                    "currency": allocation.currency,
                    "activity": current.activity_name,
                }
            ),
        )
    return current


def request_reject(
    *, request: MdfRequest, reason: str, by: User, expected_version: int | None = None
) -> MdfRequest:
    """Refuse a request; the partner is told why."""
    reason = (reason or "").strip()
    with transaction.atomic():
        _allocation, current = _locked_request(request, expected_version)
        _ensure_manager(
            by, current.organisation, _("Only the partner's channel manager decides on its MDF.")
        )
        _move(current, table=REQUEST_TRANSITIONS, to=RequestStatus.REJECTED, label=_("request"))
        if not reason:
            raise ValidationError({"reason": _("Say why the request is rejected.")})
        current.status = RequestStatus.REJECTED
        current.decided_at = timezone.now()
        current.decided_by = by
        current.decision_reason = reason[:255]
        _save_decision(current, by)
        _notify(
            [current.owner],
            current,
            "mdf_request_rejected",
            lambda: (
                _("%(by)s rejected your MDF request %(activity)s: %(reason)s")
                % {"by": by, "activity": current.activity_name, "reason": reason}
            ),
        )
    return current


def request_cancel(
    *, request: MdfRequest, by: User, expected_version: int | None = None
) -> MdfRequest:
    """The partner withdraws a request that is not decided yet; the funds are free again."""
    with transaction.atomic():
        _allocation, current = _locked_request(request, expected_version)
        if not may_submit_for(by, current.organisation_id):
            raise PermissionDenied(_("Only the partner's users withdraw its requests."))
        _move(current, table=REQUEST_TRANSITIONS, to=RequestStatus.CANCELLED, label=_("request"))
        current.status = RequestStatus.CANCELLED
        _save_decision(current, by)
    return current


def request_attribute_leads(*, request: MdfRequest, leads: Iterable[Lead], by: User) -> MdfRequest:
    """Name the leads the activity brought: the request's leads that `by` can see become
    `leads` (leads `by` cannot see are neither added nor removed)."""
    if not can_see(by, request):
        raise PermissionDenied(_("You cannot change this request."))
    if not (
        may_submit_for(by, request.organisation_id) or may_manage_mdf(by, request.organisation)
    ):
        raise PermissionDenied(_("Only the partner and its channel manager attribute leads."))
    if request.status not in (RequestStatus.SUBMITTED, RequestStatus.APPROVED):
        raise ValidationError(
            {"leads": _("Leads are attributed to submitted or approved requests only.")}
        )
    wanted = {lead.pk for lead in leads}
    visible = set(visible_to(by, Lead.objects.filter(pk__in=wanted)).values_list("pk", flat=True))
    unknown = wanted - visible
    if unknown:
        raise ValidationError(
            {"leads": _("No such lead: %(ids)s") % {"ids": ", ".join(map(str, sorted(unknown)))}}
        )
    with transaction.atomic():
        current = MdfRequest.objects.select_for_update().get(pk=request.pk)
        now_visible = set(visible_to(by, current.leads.all()).values_list("pk", flat=True))
        with audit.acting_as(by):
            current.leads.remove(*(now_visible - wanted))
            current.leads.add(*(wanted - now_visible))
            current.version += 1
            current.save(update_fields=["version", "updated_at"])
    return current


# --- Claims --------------------------------------------------------------------------------


def _clean_lines(lines, currency: str) -> list[tuple[str, Decimal]]:
    """(description, amount) pairs; errors keyed `lines`, or `line_<n>` for one line."""
    cleaned: list[tuple[str, Decimal]] = []
    errors: dict[str, list[str]] = {}
    for index, line in enumerate(lines or [], start=1):
        try:
            description, amount = line
        except (TypeError, ValueError):
            errors[f"line_{index}"] = [_("A line has a description and an amount.")]
            continue
        description = (description or "").strip()
        if not description:
            errors[f"line_{index}"] = [_("Describe what line %(n)d paid for.") % {"n": index}]
            continue
        try:
            value = parse_amount(amount, currency, field=f"line_{index}")
        except ValidationError as exc:
            errors.update(exc.message_dict)
            continue
        cleaned.append((description[:255], value))
    if errors:
        raise ValidationError(errors)
    if not cleaned:
        raise ValidationError({"lines": _("The expense invoice needs at least one line.")})
    return cleaned


def claim_submit(
    *,
    request: MdfRequest,
    invoice_number: str,
    invoice_date: datetime.date | None,
    lines,
    by: User,
    custom_fields: dict | None = None,
) -> MdfClaim:
    """After the activity, the partner claims funds of an approved request with its expense
    invoice; the lines make the amount. Proof is attached to the claim afterwards.
    `custom_fields` are checked as for a new record (errors keyed `cf_<key>`)."""
    if request is None or not can_see(by, request):
        raise ValidationError({"request": _("Choose the approved request you claim for.")})
    if not may_submit_for(by, request.organisation_id):
        raise PermissionDenied(_("Only the partner's users claim its funds."))
    currency = request.allocation.currency
    errors: dict[str, list[str]] = {}
    invoice_number = (invoice_number or "").strip()
    if not invoice_number:
        errors["invoice_number"] = [_("Enter the expense invoice's number.")]
    if invoice_date is None:
        errors["invoice_date"] = [_("Enter the expense invoice's date.")]
    try:
        cleaned = _clean_lines(lines, currency)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        custom = new_record_custom_values(MdfClaim, custom_fields)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    amount = sum((value for _description, value in cleaned), ZERO)
    with transaction.atomic():
        current = MdfRequest.objects.select_for_update().get(pk=request.pk)
        if current.status != RequestStatus.APPROVED:
            raise ValidationError({"request": _("Funds are claimed on approved requests only.")})
        duplicate = MdfClaim.objects.filter(
            organisation_id=current.organisation_id,
            invoice_number__iexact=invoice_number,
            status__in=OPEN_CLAIM_STATUSES,
        )
        if duplicate.exists():
            raise ValidationError(
                {
                    "invoice_number": _("Invoice %(number)s is already claimed.")
                    % {"number": invoice_number}
                }
            )
        left = current.approved_amount - request_claimed(current)
        if amount > left:
            raise ValidationError(
                {
                    "lines": _(
                        "The lines add up to %(amount)s %(currency)s; only %(left)s "
                        "%(currency)s of the approved funds is left to claim."
                    )
                    % {"amount": amount, "left": left, "currency": currency}
                }
            )
        claim = MdfClaim(
            organisation_id=current.organisation_id,
            owner=by,
            request=current,
            invoice_number=invoice_number[:60],
            invoice_date=invoice_date,
            amount=amount,
            status=ClaimStatus.SUBMITTED,
            custom_fields=custom,
        )
        claim = record_save(instance=claim, by=by)
        MdfClaimLine.objects.bulk_create(
            MdfClaimLine(claim=claim, position=position, description=description, amount=value)
            for position, (description, value) in enumerate(cleaned, start=1)
        )
        _notify(
            _deciders(current.organisation),
            claim,
            "mdf_claim_submitted",
            lambda: (
                _("%(partner)s claims %(amount)s %(currency)s of MDF for %(activity)s")
                % {
                    "partner": current.organisation,
                    "amount": amount,
                    "currency": currency,
                    "activity": current.activity_name,
                }
            ),
        )
    return claim


def _locked_claim(claim: MdfClaim, expected_version: int | None) -> MdfClaim:
    current = (
        MdfClaim.objects.select_for_update(of=("self",))
        .select_related("owner", "organisation", "request__allocation")
        .get(pk=claim.pk)
    )
    _check_version(current, expected_version)
    return current


def claim_approve(
    *,
    claim: MdfClaim,
    by: User,
    amount=None,
    reason: str = "",
    expected_version: int | None = None,
) -> MdfClaim:
    """Approve a claim in full (no `amount`) or in part; it must carry proof first."""
    with transaction.atomic():
        current = _locked_claim(claim, expected_version)
        _ensure_manager(
            by, current.organisation, _("Only the partner's channel manager decides on its MDF.")
        )
        _move(current, table=CLAIM_TRANSITIONS, to=ClaimStatus.APPROVED, label=_("claim"))
        currency = current.request.allocation.currency
        if not claim_has_proof(current):
            raise ValidationError(
                {"proof": _("Attach the proof (receipts, photos) before the claim is approved.")}
            )
        approved = (
            current.amount
            if amount in (None, "")
            else parse_amount(amount, currency, field="amount")
        )
        if approved > current.amount:
            raise ValidationError(
                {
                    "amount": _(
                        "The partner claimed %(claimed)s %(currency)s; approve at most that."
                    )
                    % {"claimed": current.amount, "currency": currency}
                }
            )
        current.status = ClaimStatus.APPROVED
        current.approved_amount = approved
        current.decided_at = timezone.now()
        current.decided_by = by
        current.decision_reason = (reason or "").strip()[:255]
        _save_decision(current, by)
        _notify(
            [current.owner],
            current,
            "mdf_claim_approved",
            lambda: (
                _("%(by)s approved %(amount)s %(currency)s of your MDF claim %(number)s")
                % {
                    "by": by,
                    "amount": current.approved_amount,
                    "currency": currency,
                    "number": current.invoice_number,
                }
            ),
        )
    return current


def claim_reject(
    *, claim: MdfClaim, reason: str, by: User, expected_version: int | None = None
) -> MdfClaim:
    """Refuse a claim; what it claimed may be claimed again with a new invoice."""
    reason = (reason or "").strip()
    with transaction.atomic():
        current = _locked_claim(claim, expected_version)
        _ensure_manager(
            by, current.organisation, _("Only the partner's channel manager decides on its MDF.")
        )
        _move(current, table=CLAIM_TRANSITIONS, to=ClaimStatus.REJECTED, label=_("claim"))
        if not reason:
            raise ValidationError({"reason": _("Say why the claim is rejected.")})
        current.status = ClaimStatus.REJECTED
        current.decided_at = timezone.now()
        current.decided_by = by
        current.decision_reason = reason[:255]
        _save_decision(current, by)
        _notify(
            [current.owner],
            current,
            "mdf_claim_rejected",
            lambda: (
                _("%(by)s rejected your MDF claim %(number)s: %(reason)s")
                % {"by": by, "number": current.invoice_number, "reason": reason}
            ),
        )
    return current


def claim_pay(
    *,
    claim: MdfClaim,
    paid_on: datetime.date | None,
    reference: str,
    by: User,
    expected_version: int | None = None,
) -> MdfClaim:
    """Record that the approved amount of a claim was paid to the partner."""
    with transaction.atomic():
        current = _locked_claim(claim, expected_version)
        _ensure_manager(
            by, current.organisation, _("Only the partner's channel manager pays its MDF.")
        )
        _move(current, table=CLAIM_TRANSITIONS, to=ClaimStatus.PAID, label=_("claim"))
        if paid_on is None:
            raise ValidationError({"paid_on": _("Enter the date the partner was paid.")})
        current.status = ClaimStatus.PAID
        current.paid_amount = current.approved_amount
        current.paid_at = paid_on
        current.payment_reference = (reference or "").strip()[:80]
        _save_decision(current, by)
        currency = current.request.allocation.currency
        _notify(
            [current.owner],
            current,
            "mdf_claim_paid",
            lambda: (
                _("%(amount)s %(currency)s of MDF was paid for your claim %(number)s")
                % {
                    "amount": current.paid_amount,
                    "currency": currency,
                    "number": current.invoice_number,
                }
            ),
        )
    return current


def claim_lines_total(claim: MdfClaim) -> Decimal:
    return _sum(claim.lines.all(), "amount")
