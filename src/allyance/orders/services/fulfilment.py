"""Writes on orders and their shipments: entry, conversion from a quote, and fulfilment.

The status moves only through `_move`, checked against `ALLOWED_TRANSITIONS`.
A partner's order placed in the portal starts submitted; company staff confirm it
(`order_confirm`) or cancel it, and only a confirmed order ships or is invoiced.
Confirmed, partly shipped and shipped follow from the shipments (shipped quantity
per line against the ordered quantity); delivered is marked, or follows when every
shipment of a fully shipped order has arrived; closed follows delivered; an order
is cancelled only while nothing has been shipped.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ProtectedError, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from allyance.core import audit
from allyance.core.exceptions import ConflictError
from allyance.core.models import Organisation, User
from allyance.core.services import ensure_may_write, record_delete, record_save
from allyance.core.visibility import can_see
from allyance.orders.models import Order, OrderLine, Quote, Shipment, ShipmentLine
from allyance.orders.services import lines as line_services
from allyance.orders.services.numbers import next_number

Status = Order.Status

# From each status, the statuses an order may move to. Closed and cancelled are final;
# deleting a shipment may move an order back towards confirmed.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.SUBMITTED: frozenset({Status.CONFIRMED, Status.CANCELLED}),
    Status.CONFIRMED: frozenset({Status.PARTLY_SHIPPED, Status.SHIPPED, Status.CANCELLED}),
    Status.PARTLY_SHIPPED: frozenset({Status.CONFIRMED, Status.SHIPPED}),
    Status.SHIPPED: frozenset({Status.CONFIRMED, Status.PARTLY_SHIPPED, Status.DELIVERED}),
    Status.DELIVERED: frozenset({Status.CLOSED}),
    Status.CLOSED: frozenset(),
    Status.CANCELLED: frozenset(),
}
# Statuses in which the order's lines and prices may still change.
LINES_EDITABLE = frozenset({Status.CONFIRMED})
# Statuses in which the order may still be cancelled (when nothing has shipped).
CANCELLABLE = frozenset({Status.SUBMITTED, Status.CONFIRMED})
# Statuses in which goods may still leave the warehouse.
SHIPPABLE = frozenset({Status.CONFIRMED, Status.PARTLY_SHIPPED})
FINAL = frozenset({Status.CLOSED, Status.CANCELLED})
# Header fields that set the price and so change only while the lines may change.
PRICING_FIELDS = ("account_id", "currency", "price_list_id", "discount_percent")


def _label(status: str) -> str:
    return str(Status(status).label).lower() if status in Status.values else status


def _refuse(current: str, target: str) -> ValidationError:
    return ValidationError(
        {
            "status": _("An order that is %(status)s cannot become %(target)s.")
            % {"status": _label(current), "target": _label(target)}
        }
    )


def _check_version(order: Order, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != order.version:
        raise ConflictError(
            _("Someone else changed this record since you opened it. Reload and try again.")
        )


def _lock(order: Order) -> Order:
    return Order.objects.select_for_update(of=("self",)).get(pk=order.pk)


def _move(order: Order, to: str, *, by: User | None, **fields) -> Order:
    """Move a locked `order` to `to` if the table allows it; audited like every save."""
    if to == order.status:
        return order
    if to not in ALLOWED_TRANSITIONS.get(order.status, ()):
        raise _refuse(order.status, to)
    order.status = to
    for name, value in fields.items():
        setattr(order, name, value)
    order.version += 1
    with audit.acting_as(by):
        order.save()
    return order


def handed_down(order: Order) -> bool:
    """The company's order handed down the channel to a partner to fulfil (see
    `partners.services.handover`): the holder ships it; its price, lines and bill stay the
    company's."""
    if order.pk is None:
        return False
    from django.apps import apps

    handovers = apps.get_model("partners", "OrderHandover")
    return handovers.objects.filter(order_id=order.pk, status="active").exists()


def placed_with_company(order: Order) -> bool:
    """A partner's order to the company, placed in the portal (for an end customer, or for
    stock on the partner's house account): the company confirms, ships and invoices it, and
    the partner follows it. An order handed down to a partner is the holder's to fulfil."""
    if handed_down(order):
        return False
    if order.end_customer_id is not None:
        return True
    if order.account_id is None:
        return False
    from django.apps import apps

    house_accounts = apps.get_model("partners", "HouseAccount")
    return house_accounts.objects.filter(account_id=order.account_id).exists()


def partner_may_change(order: Order, by: User | None) -> bool:
    """Partner users change their own orders, but not the ones the company fulfils for them."""
    return by is None or not by.is_partner or not placed_with_company(order)


def partner_may_reprice(order: Order, by: User | None) -> bool:
    """A partner holding an order handed down to it fulfils it; its header, lines and
    cancellation stay the company's (hand it back instead)."""
    return by is None or not by.is_partner or not handed_down(order)


def _ensure_may_reprice(order: Order, by: User | None) -> None:
    if not partner_may_reprice(order, by):
        raise PermissionDenied(
            _("This order was handed to you to fulfil: record its shipments, or hand it back.")
        )


def _ensure_may_change(order: Order, by: User | None) -> None:
    ensure_may_write(by, Order)
    if by is not None and not can_see(by, order):
        raise PermissionDenied(_("You cannot change this order."))
    if not partner_may_change(order, by):
        raise PermissionDenied(_("The company fulfils this order; you follow its status here."))


# --------------------------------------------------------------------------- quantities


def shipped_quantities(order: Order) -> dict[int, Decimal]:
    """Quantity shipped so far per order line id (lines with nothing shipped are absent)."""
    rows = (
        ShipmentLine.objects.filter(shipment__order=order)
        .values("order_line_id")
        .annotate(shipped=Sum("quantity"))
    )
    return {row["order_line_id"]: row["shipped"] for row in rows}


def remaining_quantities(order: Order) -> dict[int, Decimal]:
    """Quantity still to ship per order line id (every line, zero when fully shipped)."""
    shipped = shipped_quantities(order)
    return {
        line.pk: max(line.quantity - shipped.get(line.pk, Decimal("0")), Decimal("0"))
        for line in order.lines.all()
    }


def shipping_status(order: Order) -> str:
    """Confirmed, partly shipped or shipped, from the shipped quantities of the lines."""
    lines = list(order.lines.all())
    shipped = shipped_quantities(order)
    if not lines or not any(shipped.values()):
        return Status.CONFIRMED
    if all(shipped.get(line.pk, Decimal("0")) >= line.quantity for line in lines):
        return Status.SHIPPED
    return Status.PARTLY_SHIPPED


def _follow_shipments(order: Order, *, by: User | None) -> Order:
    """Set the status the shipments say; delivered when a shipped order has fully arrived."""
    target = shipping_status(order)
    order = _move(order, target, by=by)
    if (
        order.status == Status.SHIPPED
        and order.shipments.exists()
        and not order.shipments.filter(delivered_on__isnull=True).exists()
    ):
        order = _move(order, Status.DELIVERED, by=by, delivered_at=timezone.now())
    return order


# --------------------------------------------------------------------------- orders


def _default_ownership(order: Order, by: User | None) -> None:
    """As for deals: the creator owns a new order, in the creator's organisation."""
    if order.owner_id is None and by is not None and not by.is_customer:
        order.owner = by
    if order.organisation_id is None:
        order.organisation = (
            by.organisation if by is not None and by.organisation_id else Organisation.company()
        )


def _default_price_list(order: Order) -> None:
    """The account's price list (or the default one) when none was chosen."""
    if order.price_list_id is not None or order.account_id is None:
        return
    try:
        from allyance.catalog.selectors.pricing import price_list_for
    except ImportError:  # the pricing part is not installed yet: free-text lines only
        return
    currency = order.currency or None
    order.price_list = price_list_for(order.account, currency=currency)


def order_save(*, order: Order, by: User | None, expected_version: int | None = None) -> Order:
    """Enter a new order, or change an open order's header.

    A new order is confirmed, numbered, dated today unless given and priced on the
    account's price list unless one is chosen. The status and the fulfilment dates
    move only through the transitions; what sets the price (account, currency,
    price list, overall discount) changes only while the lines may change.
    """
    if order.account_id is None:
        raise ValidationError({"account": _("Choose the account this order is for.")})
    if order.contact_id is not None and order.contact.account_id not in (None, order.account_id):
        raise ValidationError({"contact": _("The contact belongs to another account.")})
    if order.opportunity_id is not None and order.opportunity.account_id not in (
        None,
        order.account_id,
    ):
        raise ValidationError({"opportunity": _("The opportunity belongs to another account.")})
    if order.pk is None:
        if by is not None and by.is_partner and placed_with_company(order):
            raise ValidationError(
                {"account": _("Orders to the company are placed in the partner portal.")}
            )
        _default_ownership(order, by)
        _default_price_list(order)
        if order.price_list_id is not None:
            order.currency = order.price_list.currency
        order.status = Status.CONFIRMED
        order.order_date = order.order_date or timezone.localdate()
        order.cancel_reason = ""
        order.delivered_at = order.closed_at = None
        with transaction.atomic():
            order.number = next_number("order", on=order.order_date)
            order = record_save(instance=order, by=by)
        return order
    with transaction.atomic():
        stored = _lock(order)
        if stored.status in FINAL:
            raise ValidationError(
                _("A %(status)s order cannot be changed.") % {"status": _label(stored.status)}
            )
        if stored.status != Status.SUBMITTED and not partner_may_change(stored, by):
            raise PermissionDenied(_("The company fulfils this order; you follow its status here."))
        _ensure_may_reprice(stored, by)
        for name in ("status", "number", "quote_id", "delivered_at", "closed_at"):
            setattr(order, name, getattr(stored, name))
        order.cancel_reason = stored.cancel_reason
        pricing_changed = [
            name for name in PRICING_FIELDS if getattr(order, name) != getattr(stored, name)
        ]
        if pricing_changed and stored.status not in LINES_EDITABLE:
            raise ValidationError(
                _("The prices of an order cannot change once something has been shipped.")
            )
        if (
            order.price_list_id is not None
            and order.price_list_id != stored.price_list_id
            and order.price_list.currency != order.currency
        ):
            raise ValidationError(
                {"price_list": _("The price list is in another currency than this order.")}
            )
        if order.currency != stored.currency and order.lines.exists():
            raise ValidationError(
                {"currency": _("Remove the lines before changing the order's currency.")}
            )
        order = record_save(instance=order, by=by, expected_version=expected_version)
        if pricing_changed:
            line_services.recalculate(order)
            order.refresh_from_db()
    return order


def order_create(
    *,
    by: User | None,
    account,
    contact=None,
    price_list=None,
    currency: str | None = None,
    opportunity=None,
    order_date: datetime.date | None = None,
    requested_delivery: datetime.date | None = None,
    customer_reference: str = "",
    shipping_address: str = "",
    terms: str = "",
    discount_percent: Decimal = Decimal("0"),
    notes: str = "",
    owner: User | None = None,
) -> Order:
    """Enter an order directly (without a quote); add its lines with `order_line_add`."""
    order = Order(
        account=account,
        contact=contact,
        price_list=price_list,
        opportunity=opportunity,
        order_date=order_date,
        requested_delivery=requested_delivery,
        customer_reference=customer_reference,
        shipping_address=shipping_address,
        terms=terms,
        discount_percent=Decimal(discount_percent or 0),
        notes=notes,
        owner=owner,
    )
    if currency:
        order.currency = currency
    if price_list is not None and currency and price_list.currency != currency:
        raise ValidationError(
            {"price_list": _("The price list is in another currency than this order.")}
        )
    return order_save(order=order, by=by)


def live_order_of(quote: Quote) -> Order | None:
    """The order made from `quote` that is not cancelled, if any."""
    return quote.orders.exclude(status=Status.CANCELLED).order_by("-id").first()


def order_from_quote(quote: Quote, *, by: User) -> Order:
    """Make the order of an accepted quote: its account, terms, discount and lines.

    Only one live order per quote: a second is refused unless the first was cancelled.
    """
    ensure_may_write(by, Order)
    if by is None or not can_see(by, quote):
        raise PermissionDenied(_("You cannot see this quote."))
    with transaction.atomic():
        quote = Quote.objects.select_for_update(of=("self",)).get(pk=quote.pk)
        if quote.status != Quote.Status.ACCEPTED:
            raise ValidationError(
                {
                    "quote": _("Only an accepted quote becomes an order; this one is %(status)s.")
                    % {"status": quote.get_status_display().lower()}
                }
            )
        existing = live_order_of(quote)
        if existing is not None:
            raise ValidationError(
                {
                    "quote": _("This quote already became order %(number)s.")
                    % {"number": existing.number}
                }
            )
        order = Order(
            quote=quote,
            account_id=quote.account_id,
            contact_id=quote.contact_id,
            opportunity_id=quote.opportunity_id,
            currency=quote.currency,
            price_list_id=quote.price_list_id,
            discount_percent=quote.discount_percent,
            terms=quote.terms,
            notes=quote.notes,
        )
        order = order_save(order=order, by=by)
        line_services.copy_lines(quote, order)
        order.refresh_from_db()
    return order


def _ensure_lines_editable(order: Order) -> None:
    if order.status not in LINES_EDITABLE or order.shipments.exists():
        raise ValidationError(
            _("The lines of a %(status)s order cannot change.") % {"status": _label(order.status)}
        )


def order_line_add(order: Order, *, by: User | None, **line) -> OrderLine:
    """Add a line (see `orders.services.lines.line_add`) while the order is confirmed."""
    _ensure_may_change(order, by)
    _ensure_may_reprice(order, by)
    with transaction.atomic():
        order = _lock(order)
        _ensure_lines_editable(order)
        with audit.acting_as(by):
            added = line_services.line_add(order, **line)
        Order.objects.filter(pk=order.pk).update(version=order.version + 1)
    return added


def order_line_remove(order: Order, line: OrderLine, *, by: User | None) -> None:
    """Remove a line while the order is confirmed; an invoiced line stays."""
    _ensure_may_change(order, by)
    _ensure_may_reprice(order, by)
    if line.order_id != order.pk:
        raise ValidationError({"line": _("This line belongs to another order.")})
    with transaction.atomic():
        order = _lock(order)
        _ensure_lines_editable(order)
        try:
            with audit.acting_as(by):
                line_services.line_remove(order, line)
        except ProtectedError as exc:
            raise ValidationError(_("An invoiced line cannot be removed.")) from exc
        Order.objects.filter(pk=order.pk).update(version=order.version + 1)


def order_cancel(
    order: Order, *, by: User | None, reason: str, expected_version: int | None = None
) -> Order:
    """Cancel an order that has shipped nothing; the reason is required and kept.

    A submitted partner order is cancelled by the company (declined) or by the partner
    (withdrawn); once confirmed, only the company cancels it.
    """
    reason = (reason or "").strip()
    ensure_may_write(by, Order)
    if by is not None and not can_see(by, order):
        raise PermissionDenied(_("You cannot change this order."))
    if not reason:
        raise ValidationError({"reason": _("Say why the order is cancelled.")})
    with transaction.atomic():
        current = _lock(order)
        if current.status != Status.SUBMITTED and not partner_may_change(current, by):
            raise PermissionDenied(_("The company fulfils this order; you follow its status here."))
        _ensure_may_reprice(current, by)
        _check_version(current, expected_version)
        if current.status == Status.CONFIRMED and current.shipments.exists():
            raise _refuse(Status.PARTLY_SHIPPED, Status.CANCELLED)
        if current.status not in CANCELLABLE:
            raise ValidationError(
                {
                    "status": _("An order that is %(status)s cannot be cancelled.")
                    % {"status": _label(current.status)}
                }
            )
        return _move(current, Status.CANCELLED, by=by, cancel_reason=reason[:255])


def order_confirm(order: Order, *, by: User | None, expected_version: int | None = None) -> Order:
    """The company accepts a partner's submitted order; from now on it ships and is invoiced.

    Only company staff who may write orders confirm; a partner never confirms its own.
    The partner user who placed the order is notified.
    """
    ensure_may_write(by, Order)
    if by is not None:
        if not can_see(by, order):
            raise PermissionDenied(_("You cannot change this order."))
        if not by.is_internal:
            raise PermissionDenied(_("Only the company confirms a partner's order."))
    with transaction.atomic():
        current = _lock(order)
        _check_version(current, expected_version)
        if current.status != Status.SUBMITTED:
            raise ValidationError(
                {
                    "status": _("Only a submitted order can be confirmed; this one is %(status)s.")
                    % {"status": _label(current.status)}
                }
            )
        current = _move(current, Status.CONFIRMED, by=by)
        placer = current.owner
        if placer is not None and placer.is_active and (by is None or placer.pk != by.pk):
            transaction.on_commit(lambda: _notify_confirmed(placer, current))
    return current


def _notify_confirmed(recipient: User, order: Order) -> None:
    from allyance.core.notifications import in_language_of, notification_send

    with in_language_of(recipient):
        notification_send(
            recipient=recipient,
            message=_("Your order %(number)s was confirmed.") % {"number": order.number},
            url=order.get_absolute_url(),
            kind="order_confirmed",
            email=True,
        )


def order_mark_delivered(
    order: Order,
    *,
    by: User | None,
    on: datetime.date | None = None,
    expected_version: int | None = None,
) -> Order:
    """A fully shipped order has arrived; its shipments not yet marked arrive `on` (today)."""
    _ensure_may_change(order, by)
    on = on or timezone.localdate()
    with transaction.atomic():
        current = _lock(order)
        _check_version(current, expected_version)
        if current.status != Status.SHIPPED:
            raise ValidationError(
                {
                    "status": _(
                        "Only a shipped order can be marked delivered; this one is %(status)s."
                    )
                    % {"status": _label(current.status)}
                }
            )
        with audit.acting_as(by):
            for shipment in current.shipments.filter(delivered_on__isnull=True):
                shipment.delivered_on = max(on, shipment.shipped_on)
                shipment.save(update_fields=["delivered_on"])
        return _move(current, Status.DELIVERED, by=by, delivered_at=timezone.now())


def order_close(order: Order, *, by: User | None, expected_version: int | None = None) -> Order:
    """Close a delivered order: nothing more happens to it."""
    _ensure_may_change(order, by)
    with transaction.atomic():
        current = _lock(order)
        _check_version(current, expected_version)
        if current.status != Status.DELIVERED:
            raise ValidationError(
                {
                    "status": _("Only a delivered order can be closed; this one is %(status)s.")
                    % {"status": _label(current.status)}
                }
            )
        return _move(current, Status.CLOSED, by=by, closed_at=timezone.now())


def order_delete(*, order: Order, by: User | None) -> None:
    """Delete an order that has shipped nothing and is not invoiced (cancelling is usual)."""
    _ensure_may_change(order, by)
    _ensure_may_reprice(order, by)
    if order.status not in (Status.CONFIRMED, Status.CANCELLED) or order.shipments.exists():
        raise ValidationError(
            _("A %(status)s order cannot be deleted.") % {"status": _label(order.status)}
        )
    try:
        record_delete(instance=order, by=by)
    except ProtectedError as exc:
        raise ValidationError(_("An invoiced order cannot be deleted; cancel it instead.")) from exc


# --------------------------------------------------------------------------- shipments


def _quantity(value, line_id) -> Decimal:
    try:
        quantity = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise ValidationError(
            {"lines": _("Line %(line)s: enter a quantity.") % {"line": line_id}}
        ) from exc
    if not quantity.is_finite():
        raise ValidationError({"lines": _("Line %(line)s: enter a quantity.") % {"line": line_id}})
    return quantity


def shipment_record(
    order: Order,
    *,
    by: User | None,
    shipped_on: datetime.date | None = None,
    carrier: str = "",
    tracking_number: str = "",
    lines: dict,
    notes: str = "",
    delivered_on: datetime.date | None = None,
) -> Shipment:
    """Record what left the warehouse: quantities per order line id, never more than remain.

    Lines with quantity 0 are left out; at least one line must ship something.
    """
    _ensure_may_change(order, by)
    shipped_on = shipped_on or timezone.localdate()
    if delivered_on is not None and delivered_on < shipped_on:
        raise ValidationError(
            {"delivered_on": _("A shipment cannot arrive before it was shipped.")}
        )
    with transaction.atomic():
        current = _lock(order)
        if current.status not in SHIPPABLE:
            raise ValidationError(
                {
                    "status": _("Nothing more can be shipped on a %(status)s order.")
                    % {"status": _label(current.status)}
                }
            )
        order_lines = {line.pk: line for line in current.lines.all()}
        remaining = remaining_quantities(current)
        wanted: dict[int, Decimal] = {}
        errors: list[str] = []
        for raw_id, raw_quantity in (lines or {}).items():
            try:
                line_id = int(raw_id)
            except (TypeError, ValueError):
                errors.append(_("%(line)s is not an order line.") % {"line": raw_id})
                continue
            if line_id not in order_lines:
                errors.append(_("Line %(line)s belongs to another order.") % {"line": line_id})
                continue
            quantity = _quantity(raw_quantity, line_id)
            line = order_lines[line_id]
            if quantity < 0:
                errors.append(
                    _("%(line)s: a quantity cannot be negative.") % {"line": line.description}
                )
            elif quantity > remaining[line_id]:
                errors.append(
                    _("%(line)s: only %(remaining)s remain to ship, not %(quantity)s.")
                    % {
                        "line": line.description,
                        "remaining": remaining[line_id].normalize(),
                        "quantity": quantity.normalize(),
                    }
                )
            elif quantity > 0:
                wanted[line_id] = quantity
        if errors:
            raise ValidationError({"lines": errors})
        if not wanted:
            raise ValidationError({"lines": _("Ship a quantity of at least one line.")})
        shipment = Shipment(
            order=current,
            shipped_on=shipped_on,
            carrier=(carrier or "").strip(),
            tracking_number=(tracking_number or "").strip(),
            notes=notes or "",
            delivered_on=delivered_on,
            created_by=by if by is not None and by.is_authenticated else None,
        )
        shipment.full_clean(exclude=["order", "created_by"])
        with audit.acting_as(by):
            shipment.save()
            ShipmentLine.objects.bulk_create(
                [
                    ShipmentLine(shipment=shipment, order_line_id=line_id, quantity=quantity)
                    for line_id, quantity in wanted.items()
                ]
            )
        _follow_shipments(current, by=by)
    return shipment


def shipment_mark_delivered(
    shipment: Shipment, *, by: User | None, on: datetime.date | None = None
) -> Shipment:
    """The shipment arrived `on` (today); a fully shipped, fully arrived order is delivered."""
    _ensure_may_change(shipment.order, by)
    on = on or timezone.localdate()
    with transaction.atomic():
        order = _lock(shipment.order)
        shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
        if order.status in FINAL:
            raise ValidationError(
                {
                    "status": _("The shipments of a %(status)s order cannot change.")
                    % {"status": _label(order.status)}
                }
            )
        if on < shipment.shipped_on:
            raise ValidationError(
                {"delivered_on": _("A shipment cannot arrive before it was shipped.")}
            )
        shipment.delivered_on = on
        with audit.acting_as(by):
            shipment.save(update_fields=["delivered_on"])
        if order.status == Status.SHIPPED:
            _follow_shipments(order, by=by)
    return shipment


def shipment_delete(shipment: Shipment, *, by: User | None) -> Order:
    """Delete a shipment recorded by mistake while the order is not delivered or closed."""
    _ensure_may_change(shipment.order, by)
    with transaction.atomic():
        order = _lock(shipment.order)
        if order.status in (Status.DELIVERED, Status.CLOSED, Status.CANCELLED):
            raise ValidationError(
                {
                    "status": _("The shipments of a %(status)s order cannot be deleted.")
                    % {"status": _label(order.status)}
                }
            )
        with audit.acting_as(by):
            shipment.delete()
        return _follow_shipments(order, by=by)
