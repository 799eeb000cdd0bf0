"""Writes on invoices: invoicing an order (all or part of it), an invoice without an order,
and cancelling an unpaid invoice. Paying them is `orders.services.payments`.

An order line is never invoiced beyond what was ordered: the quantities of its lines on
invoices that are not cancelled add up to at most the ordered quantity. The order row is
locked while an invoice is made from it, so two people invoicing the same order at once
cannot both take the last units.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from allyance.core import audit
from allyance.core.custom_fields import new_record_custom_values
from allyance.core.exceptions import ConflictError
from allyance.core.models import User
from allyance.core.services import ensure_may_write
from allyance.core.visibility import visible_to
from allyance.customers.models import Account
from allyance.orders.models import Invoice, InvoiceLine, Order, OrderLine, OrderSettings
from allyance.orders.services.fulfilment import handed_down, placed_with_company
from allyance.orders.services.lines import line_add, recalculate
from allyance.orders.services.numbers import next_number

QUANTITY_PLACES = Decimal("0.001")
# Fields of an order line that an invoice line copies as they are.
COPIED_LINE_FIELDS = (
    "position",
    "product_id",
    "description",
    "unit",
    "list_price",
    "unit_price",
    "discount_percent",
    "tax_rate",
    "configuration",
    "adjustments",
)


def invoiced_quantities(order: Order) -> dict[int, Decimal]:
    """Per order line id: the quantity already on invoices that are not cancelled."""
    rows = (
        InvoiceLine.objects.filter(order_line__order=order)
        .exclude(invoice__status=Invoice.Status.CANCELLED)
        .values("order_line")
        .annotate(quantity=Sum("quantity"))
    )
    return {row["order_line"]: row["quantity"] for row in rows}


def remaining_quantities(order: Order) -> dict[int, Decimal]:
    """Per order line id (in line order): what is ordered and not yet invoiced."""
    invoiced = invoiced_quantities(order)
    return {
        line.pk: max(line.quantity - invoiced.get(line.pk, Decimal("0")), Decimal("0"))
        for line in order.lines.order_by("position", "id")
    }


def _quantity(value) -> Decimal:
    try:
        quantity = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise ValueError from exc
    if not quantity.is_finite() or quantity != quantity.quantize(QUANTITY_PLACES):
        raise ValueError
    return quantity


def _checked_quantities(
    lines: list[OrderLine], remaining: dict[int, Decimal], quantities: dict | None
) -> dict[int, Decimal]:
    """The positive quantities to invoice per line; errors name the line (`line_<id>`)."""
    if quantities is None:
        return {pk: quantity for pk, quantity in remaining.items() if quantity > 0}
    by_id = {line.pk: line for line in lines}
    errors: dict[str, list[str]] = {}
    chosen: dict[int, Decimal] = {}
    for raw_id, raw_quantity in quantities.items():
        try:
            line_id = int(raw_id)
        except (TypeError, ValueError):
            line_id = None
        if line_id not in by_id:
            errors.setdefault("quantities", []).append(
                _("Line %(line)s is not a line of this order.") % {"line": raw_id}
            )
            continue
        key = f"line_{line_id}"
        try:
            quantity = _quantity(raw_quantity)
        except ValueError:
            errors[key] = [_("Enter a quantity with at most three decimal places.")]
            continue
        if quantity < 0:
            errors[key] = [_("A quantity cannot be negative.")]
        elif quantity > remaining[line_id]:
            errors[key] = [
                _("Only %(remaining)s of “%(line)s” remain to invoice.")
                % {"remaining": remaining[line_id].normalize(), "line": by_id[line_id]}
            ]
        elif quantity > 0:
            chosen[line_id] = quantity
    if errors:
        raise ValidationError(errors)
    return chosen


def invoice_from_order(
    order: Order,
    *,
    by: User | None,
    quantities: dict[int, Decimal] | None = None,
    issue_date: datetime.date | None = None,
    payment_terms_days: int | None = None,
    custom_fields: dict | None = None,
) -> Invoice:
    """Invoice `quantities` per order line id (None: everything not yet invoiced).

    Prices, discounts and tax come from the order lines and the order's overall
    discount; the payment terms from the settings unless given; due = issue + terms.
    `custom_fields` are checked as for a new record (errors keyed `cf_<key>`).
    """
    ensure_may_write(by, Invoice)
    if payment_terms_days is not None and not 0 <= int(payment_terms_days) <= 3650:
        raise ValidationError(
            {"payment_terms_days": _("Payment terms are between 0 and 3650 days.")}
        )
    custom = new_record_custom_values(Invoice, custom_fields)
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status == Order.Status.CANCELLED:
            raise ValidationError({"order": _("A cancelled order cannot be invoiced.")})
        if order.status == Order.Status.SUBMITTED:
            raise ValidationError(
                {"order": _("A submitted order is invoiced once the company confirms it.")}
            )
        if by is not None and by.is_partner and placed_with_company(order):
            raise PermissionDenied(_("The company invoices the orders it fulfils for you."))
        if by is not None and by.is_partner and handed_down(order):
            raise PermissionDenied(_("The company invoices the orders it hands to you to fulfil."))
        if order.account_id is None:
            raise ValidationError({"order": _("The order has no account to invoice.")})
        lines = list(order.lines.order_by("position", "id"))
        chosen = _checked_quantities(lines, remaining_quantities(order), quantities)
        if not chosen:
            raise ValidationError(
                {"quantities": _("Nothing to invoice: choose a quantity on at least one line.")}
            )
        settings = OrderSettings.current()
        issue_date = issue_date or timezone.localdate()
        terms_days = (
            settings.payment_terms_days if payment_terms_days is None else payment_terms_days
        )
        invoice = Invoice(
            number=next_number("invoice", on=issue_date),
            order=order,
            account_id=order.account_id,
            contact_id=order.contact_id,
            currency=order.currency,
            discount_percent=order.discount_percent,
            owner_id=order.owner_id,
            organisation_id=order.organisation_id,
            status=Invoice.Status.ISSUED,
            issue_date=issue_date,
            payment_terms_days=int(terms_days),
            due_date=issue_date + datetime.timedelta(days=int(terms_days)),
            terms=order.terms or settings.default_terms,
            custom_fields=custom,
            version=1,
        )
        with audit.acting_as(by):
            invoice.save()
            for line in lines:
                if line.pk in chosen:
                    values = {name: getattr(line, name) for name in COPIED_LINE_FIELDS}
                    InvoiceLine.objects.create(
                        invoice=invoice, order_line=line, quantity=chosen[line.pk], **values
                    )
            recalculate(invoice)
        invoice.refresh_from_db()
    return invoice


def _number_or_none(value) -> Decimal | None:
    """A finite Decimal, None when blank; ValueError for anything else."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise ValueError from exc
    if not number.is_finite():
        raise ValueError
    return number


def invoice_create(
    *,
    by: User | None,
    account: Account | None,
    currency: str,
    lines: list[dict],
    issue_date: datetime.date | None = None,
    payment_terms_days: int | None = None,
    discount_percent=Decimal("0"),
    notes: str = "",
    custom_fields: dict | None = None,
) -> Invoice:
    """An invoice without an order: free-text lines (`description`, `quantity`, `unit_price`,
    `tax_rate`, `discount_percent`), priced exactly like any document's lines.
    `custom_fields` are checked as for a new record (errors keyed `cf_<key>`)."""
    ensure_may_write(by, Invoice)
    errors: dict[str, list[str]] = {}
    unseen = (
        account is not None
        and by is not None
        and not visible_to(by, Account.objects.filter(pk=account.pk)).exists()
    )
    if account is None or unseen:
        errors["account"] = [_("Choose the account to invoice.")]
    if payment_terms_days is not None and not 0 <= int(payment_terms_days) <= 3650:
        errors["payment_terms_days"] = [_("Payment terms are between 0 and 3650 days.")]
    try:
        discount = _number_or_none(discount_percent) or Decimal("0")
    except ValueError:
        discount = None
    if discount is None or not Decimal("0") <= discount <= Decimal("100"):
        errors["discount_percent"] = [_("A discount is between 0 and 100 %.")]
    lines = [line for line in lines if any(str(v or "").strip() for v in line.values())]
    if not lines:
        errors["lines"] = [_("Add at least one line.")]
    try:
        custom = new_record_custom_values(Invoice, custom_fields)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    settings = OrderSettings.current()
    issue_date = issue_date or timezone.localdate()
    terms_days = settings.payment_terms_days if payment_terms_days is None else payment_terms_days
    with transaction.atomic():
        organisation_id = (
            by.organisation_id if by is not None and by.is_partner else account.organisation_id
        )
        invoice = Invoice(
            number=next_number("invoice", on=issue_date),
            account=account,
            currency=currency,
            discount_percent=discount,
            owner=by if by is not None and not by.is_customer else None,
            organisation_id=organisation_id,
            status=Invoice.Status.ISSUED,
            issue_date=issue_date,
            payment_terms_days=int(terms_days),
            due_date=issue_date + datetime.timedelta(days=int(terms_days)),
            terms=settings.default_terms,
            notes=notes or "",
            custom_fields=custom,
            version=1,
        )
        invoice.full_clean(exclude=["owner", "organisation"])
        with audit.acting_as(by):
            invoice.save()
            for index, line in enumerate(lines):
                key = f"line_{index}"
                try:
                    quantity = _number_or_none(line.get("quantity"))
                    unit_price = _number_or_none(line.get("unit_price"))
                    tax_rate = _number_or_none(line.get("tax_rate")) or Decimal("0")
                    line_discount = _number_or_none(line.get("discount_percent")) or Decimal("0")
                except ValueError:
                    errors[key] = [_("Enter numbers for the quantity, price, tax and discount.")]
                    continue
                if quantity is None:
                    errors[key] = [_("Enter a quantity.")]
                    continue
                try:
                    line_add(
                        invoice,
                        quantity=quantity,
                        description=str(line.get("description") or ""),
                        unit_price=unit_price,
                        tax_rate=tax_rate,
                        discount_percent=line_discount,
                    )
                except ValidationError as exc:
                    errors[key] = exc.messages
            if errors:
                raise ValidationError(errors)
        invoice.refresh_from_db()
    return invoice


def invoice_cancel(
    invoice: Invoice, *, by: User | None, reason: str, expected_version: int | None = None
) -> Invoice:
    """Cancel an invoice nothing has been paid on; its quantities may be invoiced again."""
    ensure_may_write(by, Invoice)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the invoice is cancelled.")})
    with transaction.atomic():
        current = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if expected_version is not None and expected_version != current.version:
            raise ConflictError(
                _("Someone else changed this record since you opened it. Reload and try again.")
            )
        if current.status == Invoice.Status.CANCELLED:
            raise ValidationError({"status": _("This invoice is already cancelled.")})
        if current.amount_paid or current.allocations.exists():
            raise ValidationError(
                {
                    "status": _(
                        "Payments are allocated to this invoice; delete or reallocate them first."
                    )
                }
            )
        current.status = Invoice.Status.CANCELLED
        note = _("Cancelled on %(date)s: %(reason)s") % {
            "date": timezone.localdate().isoformat(),
            "reason": reason,
        }
        current.notes = f"{current.notes}\n{note}".strip()
        current.version += 1
        with audit.acting_as(by):
            current.save()
    return current


def may_bill(user: User | None) -> bool:
    """Staff and partner users invoice and record payments; portal customers only read."""
    return bool(user and user.is_authenticated and not user.is_customer)
