"""Writes on payments received (回款): record, allocate to invoices, delete.

Rules kept here, in one transaction each, with the invoices' rows locked:
an allocation goes only to an open invoice of the payment's account in the payment's
currency and is at most that invoice's balance; a payment's allocations add up to at
most its amount (the rest is the account's credit); an invoice's `amount_paid` is the
sum of its allocations and its status follows (issued → partly paid → paid).
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from allyance.core import audit
from allyance.core.custom_fields import new_record_custom_values
from allyance.core.exceptions import ConflictError
from allyance.core.models import Organisation, User
from allyance.core.money import minor_units, round_money
from allyance.core.services import ensure_may_write
from allyance.core.visibility import visible_to
from allyance.customers.models import Account
from allyance.orders.models import Invoice, Payment, PaymentAllocation

OPEN_STATUSES = (Invoice.Status.ISSUED, Invoice.Status.PARTLY_PAID)
ZERO = Decimal("0")


def parse_money(value, currency: str) -> Decimal:
    """`value` as an exact amount of `currency`; ValueError for text or too many decimals."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise ValueError from exc
    if not amount.is_finite() or amount != round_money(amount, currency):
        raise ValueError
    return amount


def _money_error(currency: str) -> str:
    return _("Enter an amount in %(currency)s with at most %(places)d decimal places.") % {
        "currency": currency,
        "places": minor_units(currency),
    }


def allocated_total(payment: Payment) -> Decimal:
    return payment.allocations.aggregate(total=Sum("amount"))["total"] or ZERO


def payment_unallocated(payment: Payment) -> Decimal:
    """What of the payment is not allocated to any invoice: the account's credit."""
    return payment.amount - allocated_total(payment)


def _settle(invoices, *, by: User | None) -> None:
    """Set each invoice's paid amount to the sum of its allocations, and its status."""
    for invoice in invoices:
        paid = invoice.allocations.aggregate(total=Sum("amount"))["total"] or ZERO
        status = invoice.status
        if status != Invoice.Status.CANCELLED:
            if paid <= 0:
                status = Invoice.Status.ISSUED
            elif paid >= invoice.total:
                status = Invoice.Status.PAID
            else:
                status = Invoice.Status.PARTLY_PAID
        if paid != invoice.amount_paid or status != invoice.status:
            invoice.amount_paid = paid
            invoice.status = status
            invoice.version += 1
            with audit.acting_as(by):
                invoice.save()


def _clean_allocations(allocations: dict | None, currency: str) -> dict[int, Decimal]:
    """Positive amounts per invoice id; errors are keyed `allocation_<invoice id>`."""
    cleaned: dict[int, Decimal] = {}
    errors: dict[str, list[str]] = {}
    for raw_id, raw_amount in (allocations or {}).items():
        try:
            invoice_id = int(raw_id)
        except (TypeError, ValueError):
            errors.setdefault("allocations", []).append(_("Unknown invoice: %s") % raw_id)
            continue
        key = f"allocation_{invoice_id}"
        if raw_amount in (None, ""):
            continue
        try:
            amount = parse_money(raw_amount, currency)
        except ValueError:
            errors[key] = [_money_error(currency)]
            continue
        if amount < 0:
            errors[key] = [_("An allocation cannot be negative.")]
        elif amount > 0:
            cleaned[invoice_id] = cleaned.get(invoice_id, ZERO) + amount
    if errors:
        raise ValidationError(errors)
    return cleaned


def _allocate(
    payment: Payment, allocations: dict | None, *, by: User | None, total_key: str
) -> None:
    """Add `allocations` to a saved, locked payment, then settle the invoices touched."""
    wanted = _clean_allocations(allocations, payment.currency)
    if not wanted:
        return
    invoices_qs = Invoice.objects.filter(pk__in=wanted)
    if by is not None:
        invoices_qs = visible_to(by, invoices_qs)
    invoices = {
        invoice.pk: invoice
        for invoice in invoices_qs.select_for_update(of=("self",)).order_by("pk")
    }
    errors: dict[str, list[str]] = {}
    for invoice_id, amount in wanted.items():
        key = f"allocation_{invoice_id}"
        invoice = invoices.get(invoice_id)
        if invoice is None:
            errors[key] = [_("No such invoice.")]
        elif invoice.account_id != payment.account_id:
            errors[key] = [_("Invoice %(number)s is for another account.") % {"number": invoice}]
        elif invoice.currency != payment.currency:
            errors[key] = [
                _("Invoice %(number)s is in %(invoice)s, the payment in %(payment)s.")
                % {"number": invoice, "invoice": invoice.currency, "payment": payment.currency}
            ]
        elif invoice.status not in OPEN_STATUSES:
            errors[key] = [
                _("Invoice %(number)s is %(status)s and takes no payment.")
                % {"number": invoice, "status": invoice.get_status_display().lower()}
            ]
        elif amount > invoice.balance:
            errors[key] = [
                _("Only %(balance)s %(currency)s is still owed on invoice %(number)s.")
                % {"balance": invoice.balance, "currency": invoice.currency, "number": invoice}
            ]
    if errors:
        raise ValidationError(errors)
    already = allocated_total(payment)
    if already + sum(wanted.values()) > payment.amount:
        raise ValidationError(
            {
                total_key: _(
                    "The allocations (%(allocated)s) are more than the payment's "
                    "%(available)s %(currency)s left to allocate."
                )
                % {
                    "allocated": sum(wanted.values()),
                    "available": payment.amount - already,
                    "currency": payment.currency,
                }
            }
        )
    existing = {a.invoice_id: a for a in payment.allocations.filter(invoice_id__in=wanted)}
    with audit.acting_as(by):
        for invoice_id, amount in wanted.items():
            allocation = existing.get(invoice_id)
            if allocation is None:
                PaymentAllocation.objects.create(
                    payment=payment, invoice_id=invoice_id, amount=amount
                )
            else:
                allocation.amount += amount
                allocation.save()
    _settle([invoices[pk] for pk in sorted(wanted)], by=by)


def payment_record(
    *,
    by: User | None,
    account: Account | None,
    received_on: datetime.date | None,
    amount,
    currency: str,
    method: str = Payment.Method.BANK_TRANSFER,
    reference: str = "",
    notes: str = "",
    allocations: dict | None = None,
    custom_fields: dict | None = None,
) -> Payment:
    """Record money received from `account` and allocate it to its open invoices.

    `allocations` maps invoice ids to amounts; what is not allocated stays as credit.
    `custom_fields` are checked as for a new record (errors keyed `cf_<key>`).
    """
    ensure_may_write(by, Payment)
    errors: dict[str, list[str]] = {}
    unseen = (
        account is not None
        and by is not None
        and not visible_to(by, Account.objects.filter(pk=account.pk)).exists()
    )
    if account is None or unseen:
        errors["account"] = [_("Choose the account that paid.")]
    if received_on is None:
        errors["received_on"] = [_("Enter the date the money was received.")]
    parsed = None
    try:
        parsed = parse_money(amount, currency)
    except ValueError:
        errors["amount"] = [_money_error(currency)]
    else:
        if parsed <= 0:
            errors["amount"] = [_("A payment is more than zero.")]
    try:
        custom = new_record_custom_values(Payment, custom_fields)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    if by is not None and by.is_partner:
        organisation = by.organisation
    else:
        organisation = Organisation.objects.get(pk=account.organisation_id)
    payment = Payment(
        owner=by if by is not None and not by.is_customer else None,
        organisation=organisation,
        account=account,
        received_on=received_on,
        amount=parsed,
        currency=currency,
        method=method,
        reference=(reference or "").strip(),
        notes=notes or "",
        custom_fields=custom,
        version=1,
    )
    payment.full_clean(exclude=["owner", "organisation"])
    with transaction.atomic():
        with audit.acting_as(by):
            payment.save()
        _allocate(payment, allocations, by=by, total_key="amount")
    return payment


def payment_allocate(
    payment: Payment,
    *,
    by: User | None,
    allocations: dict,
    expected_version: int | None = None,
) -> Payment:
    """Allocate (part of) what is left of an existing payment to more invoices."""
    ensure_may_write(by, Payment)
    with transaction.atomic():
        current = Payment.objects.select_for_update().get(pk=payment.pk)
        if expected_version is not None and expected_version != current.version:
            raise ConflictError(
                _("Someone else changed this record since you opened it. Reload and try again.")
            )
        if not _clean_allocations(allocations, current.currency):
            raise ValidationError({"allocations": _("Enter an amount for at least one invoice.")})
        _allocate(current, allocations, by=by, total_key="allocations")
        current.version += 1
        with audit.acting_as(by):
            current.save()
    return current


def payment_delete(payment: Payment, *, by: User | None) -> None:
    """Delete a payment recorded in error; the invoices it paid owe that amount again."""
    ensure_may_write(by, Payment)
    with transaction.atomic():
        current = Payment.objects.select_for_update().get(pk=payment.pk)
        invoice_ids = list(current.allocations.values_list("invoice_id", flat=True))
        invoices = list(
            Invoice.objects.select_for_update().filter(pk__in=invoice_ids).order_by("pk")
        )
        with audit.acting_as(by):
            for allocation in current.allocations.all():
                allocation.delete()
            current.delete()
        _settle(invoices, by=by)
