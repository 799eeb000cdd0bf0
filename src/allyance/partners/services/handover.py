"""Orders down the two-tier channel: hand an order to a partner to fulfil, hand it back, recall it.

The company (an administrator, a sales manager, or the channel manager of the partner) hands
one of its own confirmed orders that is not fully shipped to a partner; a distributor's
administrator hands an order its organisation holds to an active reseller directly below it.
The order moves to the receiving partner's organisation, owned by its administrator, so the
gate gives it to the partner, who records its shipments with the normal order flow. A
partner's own order placed with the company in the portal stays the company's and is never
handed down.

Until something is shipped on it, the holder may hand the order back (saying why) and whoever
handed it down may recall it; either way the order returns where it came from (the company or
the distributor) and to the owner it had there. A recall also ends the hops the partner made
further down the chain. Each hop is an `OrderHandover` row, audited like every record.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from allyance.core import audit
from allyance.core.models import Organisation, Role, User
from allyance.core.notifications import in_language_of, notification_send
from allyance.core.visibility import can_see, managed_organisation_ids_of
from allyance.orders.models import Order
from allyance.orders.services.fulfilment import SHIPPABLE, placed_with_company
from allyance.partners.models import OrderHandover
from allyance.partners.services.distribution import DISTRIBUTOR_ROLES, may_offer_down

Status = OrderHandover.Status
MAX_NOTE = 500


# --- Who may do what ------------------------------------------------------------------------


def _active(user: User | None) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def may_hand_down(user: User | None, partner: Organisation | None = None) -> bool:
    """Company side: administrators and sales managers hand orders to any partner, channel
    managers to the partners they look after (and those below). Partner side: a distributor's
    administrator, to the resellers directly below it.

    Without `partner`: whether the user hands orders down at all."""
    if not _active(user):
        return False
    if user.is_partner:
        return may_offer_down(user) and (
            partner is None or partner.parent_id == user.organisation_id
        )
    if not user.is_internal:
        return False
    if user.is_superuser or user.role in (Role.ADMIN, Role.SALES_MANAGER):
        return True
    if user.role not in DISTRIBUTOR_ROLES:
        return False
    return partner is None or partner.pk in managed_organisation_ids_of(user)


def may_hand_back(user: User | None, handover: OrderHandover) -> bool:
    """Only a user of the partner the order was handed to hands it back."""
    return _active(user) and user.is_partner and user.organisation_id == handover.organisation_id


def may_recall(user: User | None, handover: OrderHandover) -> bool:
    """Whoever handed the order down takes it back: for the company, staff who hand orders to
    that partner and see the hop; for a distributor, its administrators."""
    if not _active(user):
        return False
    if handover.from_organisation_id is not None:
        return (
            user.is_partner
            and user.role == Role.PARTNER_ADMIN
            and user.organisation_id == handover.from_organisation_id
        )
    # The hop, not the order: a sales manager who handed an order down no longer sees the
    # order (its owner changed) but follows, and may recall, the hop they made.
    return (
        user.is_internal and may_hand_down(user, handover.organisation) and can_see(user, handover)
    )


def _ensure(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionDenied(message)


# --- Reads the services need ----------------------------------------------------------------


def shipped_since(handover: OrderHandover) -> bool:
    """Whether a shipment was recorded on the order since it was handed down on this hop."""
    return handover.order.shipments.filter(created_at__gte=handover.handed_at).exists()


def _receiving_owner(partner: Organisation) -> User:
    """The receiving partner's first active administrator (else its first active user)."""
    users = User.objects.filter(organisation=partner, is_active=True)
    owner = (
        users.filter(role=Role.PARTNER_ADMIN).order_by("pk").first()
        or users.filter(role=Role.PARTNER_USER).order_by("pk").first()
    )
    if owner is None:
        raise ValidationError(
            {
                "partner": _("%(partner)s has no active user to take the order.")
                % {"partner": partner}
            }
        )
    return owner


def _clean(text: str, limit: int) -> str:
    return " ".join((text or "").split())[:limit]


# --- Writes ---------------------------------------------------------------------------------


def order_hand_down(
    *, order: Order, partner: Organisation, by: User, note: str = ""
) -> OrderHandover:
    """Hand `order` to `partner` to fulfil, with an optional note: the order moves to the
    partner, owned by its administrator, and the partner's users are told."""
    _ensure(_active(by), _("You may not hand this order down."))
    if by.is_partner:
        _ensure(
            may_offer_down(by),
            _("Only a distributor's administrators hand orders down to its resellers."),
        )
        _ensure(
            partner is not None and partner.parent_id == by.organisation_id,
            _("You hand orders only to the partners directly below yours."),
        )
    else:
        _ensure(
            may_hand_down(by),
            _("Only administrators, sales managers and channel managers hand orders down."),
        )
        _ensure(
            may_hand_down(by, partner),
            _("You hand orders only to the partners you look after."),
        )
    _ensure(can_see(by, order), _("You may not hand this order down."))
    if not (
        partner.kind == Organisation.Kind.PARTNER and partner.status == Organisation.Status.ACTIVE
    ):
        raise ValidationError({"partner": _("Choose an active partner.")})
    note = _clean(note, MAX_NOTE)
    company = Organisation.company()
    with audit.acting_as(by), transaction.atomic():
        current = Order.objects.select_for_update(of=("self",)).get(pk=order.pk)
        if by.is_partner:
            _ensure(
                current.organisation_id == by.organisation_id,
                _("Your organisation does not hold this order."),
            )
        elif current.organisation_id != company.pk:
            raise ValidationError(
                {
                    "order": _(
                        "The order is with %(partner)s already; recall it before handing it "
                        "down again."
                    )
                    % {"partner": current.organisation}
                }
            )
        if placed_with_company(current):
            raise ValidationError(
                {
                    "order": _(
                        "A partner's order placed with the company is the company's to fulfil; "
                        "it is not handed down."
                    )
                }
            )
        if current.status not in SHIPPABLE:
            raise ValidationError(
                {
                    "order": _(
                        "Only a confirmed order not yet fully shipped is handed down; this one "
                        "is %(status)s."
                    )
                    % {"status": current.get_status_display().lower()}
                }
            )
        if partner.pk == current.organisation_id:
            raise ValidationError({"partner": _("The order is with this partner already.")})
        owner = _receiving_owner(partner)
        handover = OrderHandover(
            order=current,
            hop=current.handovers.count() + 1,
            organisation=partner,
            owner=by,
            from_organisation_id=by.organisation_id if by.is_partner else None,
            previous_owner_id=current.owner_id,
            handed_at=timezone.now(),
            note=note,
        )
        handover.save()
        current.organisation = partner
        current.owner = owner
        current.version += 1
        current.save(update_fields=["organisation", "owner", "version", "updated_at"])
        transaction.on_commit(lambda: _notify_handed_down(handover.pk))
    _refresh(order, current)
    return handover


def _locked(handover: OrderHandover) -> tuple[OrderHandover, Order]:
    """The hop and its order re-read under row locks; refused once the hop has ended."""
    order = Order.objects.select_for_update(of=("self",)).get(pk=handover.order_id)
    current = (
        OrderHandover.objects.select_for_update(of=("self",))
        .select_related("organisation", "from_organisation", "owner", "previous_owner")
        .get(pk=handover.pk)
    )
    if current.status != Status.ACTIVE:
        raise ValidationError(
            {
                "status": _("This handover has ended already: %(status)s.")
                % {"status": current.get_status_display().lower()}
            }
        )
    current.order = order
    return current, order


def _ensure_nothing_shipped(handover: OrderHandover, order: Order, message: str) -> None:
    if order.status not in SHIPPABLE or shipped_since(handover):
        raise ValidationError({"order": message})


def _end(handover: OrderHandover, status: str, *, by: User, reason: str) -> None:
    handover.status = status
    handover.reason = reason
    handover.ended_at = timezone.now()
    handover.ended_by = by
    handover.version += 1
    handover.save(
        update_fields=["status", "reason", "ended_at", "ended_by", "version", "updated_at"]
    )


def _return_order(handover: OrderHandover, order: Order) -> None:
    """The order goes back where it came from, to the owner it had there."""
    order.organisation_id = handover.from_organisation_id or Organisation.company().pk
    order.owner_id = handover.previous_owner_id
    order.version += 1
    order.save(update_fields=["organisation", "owner", "version", "updated_at"])


def order_hand_back(*, handover: OrderHandover, reason: str, by: User) -> OrderHandover:
    """The partner holding the order gives it back, saying why, before shipping anything on
    it; it returns to whoever handed it down."""
    _ensure(may_hand_back(by, handover), _("Only the partner holding the order hands it back."))
    reason = _clean(reason, 255)
    if not reason:
        raise ValidationError({"reason": _("Say why you hand the order back.")})
    with audit.acting_as(by), transaction.atomic():
        current, order = _locked(handover)
        if order.organisation_id != current.organisation_id:
            raise ValidationError(
                {
                    "order": _(
                        "You handed this order on to %(partner)s; recall it before you hand it "
                        "back."
                    )
                    % {"partner": order.organisation}
                }
            )
        _ensure_nothing_shipped(
            current, order, _("Something was shipped on this order; it can no longer go back.")
        )
        _end(current, Status.RETURNED, by=by, reason=reason)
        _return_order(current, order)
        transaction.on_commit(lambda: _notify_returned(current.pk))
    return current


def order_recall(*, handover: OrderHandover, reason: str, by: User) -> OrderHandover:
    """Whoever handed the order down takes it back, saying why, before anything is shipped on
    it; the hops the partner made further down the chain end with it."""
    _ensure(may_recall(by, handover), _("You may not recall this order."))
    reason = _clean(reason, 255)
    if not reason:
        raise ValidationError({"reason": _("Say why you recall the order.")})
    with audit.acting_as(by), transaction.atomic():
        current, order = _locked(handover)
        below = _hops_below(current)
        message = _("Something was shipped on this order; it can no longer be recalled.")
        _ensure_nothing_shipped(current, order, message)
        holder_id = order.organisation_id
        for row in below:
            _end(row, Status.RECALLED, by=by, reason=reason)
        _end(current, Status.RECALLED, by=by, reason=reason)
        _return_order(current, order)
        transaction.on_commit(lambda: _notify_recalled(current.pk, holder_id))
    return current


def _hops_below(handover: OrderHandover) -> list[OrderHandover]:
    """The active hops of the same order made down the chain from `handover`."""
    found: list[OrderHandover] = []
    sources = {handover.organisation_id}
    later = (
        OrderHandover.objects.select_for_update(of=("self",))
        .filter(order_id=handover.order_id, hop__gt=handover.hop, status=Status.ACTIVE)
        .order_by("hop", "pk")
    )
    for row in later:
        if row.from_organisation_id in sources:
            found.append(row)
            sources.add(row.organisation_id)
    return found


def _refresh(target: Order, source: Order) -> None:
    for name in ("organisation_id", "owner_id", "version", "updated_at"):
        setattr(target, name, getattr(source, name))


# --- Notifications --------------------------------------------------------------------------


def _partner_users(organisation_id: int):
    return User.objects.filter(
        organisation_id=organisation_id,
        role__in=(Role.PARTNER_ADMIN, Role.PARTNER_USER),
        is_active=True,
    ).order_by("pk")


def _notify_handed_down(handover_id: int) -> None:
    """Tell the receiving partner's users the order is theirs to fulfil."""
    handover = (
        OrderHandover.objects.select_related("order", "from_organisation")
        .filter(pk=handover_id, status=Status.ACTIVE)
        .first()
    )
    if handover is None:
        return
    source = handover.from_organisation or Organisation.company()
    for user in _partner_users(handover.organisation_id):
        with in_language_of(user):
            message = _("%(source)s handed you order %(number)s to fulfil.") % {
                "source": source.name,
                "number": handover.order.number,
            }
            if handover.note:
                message = f"{message} {handover.note}"
            notification_send(
                recipient=user,
                message=message,
                url=handover.order.get_absolute_url(),
                kind="order_handed_down",
                email=True,
            )


def _notify_returned(handover_id: int) -> None:
    """Tell whoever handed the order down that it came back, and why."""
    handover = OrderHandover.objects.select_related("order", "organisation", "owner").get(
        pk=handover_id
    )
    recipient = handover.owner
    if recipient is None or not recipient.is_active:
        return
    with in_language_of(recipient):
        notification_send(
            recipient=recipient,
            message=_("%(partner)s handed order %(number)s back: %(reason)s")
            % {
                "partner": handover.organisation.name,
                "number": handover.order.number,
                "reason": handover.reason,
            },
            url=handover.order.get_absolute_url(),
            kind="order_handed_back",
        )


def _notify_recalled(handover_id: int, holder_id: int) -> None:
    """Tell the partner that held the order that it was recalled, and why."""
    handover = OrderHandover.objects.select_related("order").get(pk=handover_id)
    for user in _partner_users(holder_id):
        with in_language_of(user):
            notification_send(
                recipient=user,
                message=_("Order %(number)s was recalled: %(reason)s")
                % {"number": handover.order.number, "reason": handover.reason},
                url="",
                kind="order_recalled",
            )


__all__ = [
    "may_hand_back",
    "may_hand_down",
    "may_recall",
    "order_hand_back",
    "order_hand_down",
    "order_recall",
    "shipped_since",
]
