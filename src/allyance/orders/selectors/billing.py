"""Reads of invoices, payments and receivables, always through the visibility gate.

Amounts are summed per currency and never across currencies. Ageing buckets count days
past the due date: an invoice due today is not yet due, one due yesterday is 1 day past due.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from allyance.core.money import round_money
from allyance.core.visibility import visible_to
from allyance.orders.models import Invoice, Payment, PaymentAllocation

ZERO = Decimal("0.00")
OPEN_STATUSES = (Invoice.Status.ISSUED, Invoice.Status.PARTLY_PAID)
# (key, label, lowest days past due, highest days past due or None)
BUCKETS: tuple[tuple[str, object, int | None, int | None], ...] = (
    ("not_due", _("Not yet due"), None, 0),
    ("days_0_30", _("0–30"), 1, 30),
    ("days_31_60", _("31–60"), 31, 60),
    ("days_61_90", _("61–90"), 61, 90),
    ("days_90_plus", _("90+"), 91, None),
)
BUCKET_KEYS = tuple(key for key, *_rest in BUCKETS)


def bucket_of(days_past_due: int) -> str:
    """The ageing bucket of an amount `days_past_due` days after its due date."""
    for key, _label, low, high in BUCKETS:
        if (low is None or days_past_due >= low) and (high is None or days_past_due <= high):
            return key
    raise AssertionError(days_past_due)


def invoices_visible_to(user) -> QuerySet[Invoice]:
    return visible_to(user, Invoice.objects.select_related("account", "owner", "order"))


def open_condition() -> Q:
    return Q(status__in=OPEN_STATUSES, total__gt=F("amount_paid"))


def overdue_condition(as_of: datetime.date | None = None) -> Q:
    """Due date passed and something still owed."""
    return open_condition() & Q(due_date__lt=as_of or timezone.localdate())


def overdue_invoices(user, *, as_of: datetime.date | None = None) -> QuerySet[Invoice]:
    return invoices_visible_to(user).filter(overdue_condition(as_of))


def open_invoices_of(user, *, account, currency: str | None = None) -> QuerySet[Invoice]:
    """The account's invoices that still take a payment, oldest due first."""
    invoices = invoices_visible_to(user).filter(open_condition(), account=account)
    if currency:
        invoices = invoices.filter(currency=currency)
    return invoices.order_by("due_date", "issue_date", "id")


def _allocated_subquery():
    return Coalesce(
        Subquery(
            PaymentAllocation.objects.filter(payment=OuterRef("pk"))
            .values("payment")
            .annotate(total=Sum("amount"))
            .values("total")[:1],
            output_field=DecimalField(max_digits=16, decimal_places=2),
        ),
        Value(ZERO),
        output_field=DecimalField(max_digits=16, decimal_places=2),
    )


def payments_visible_to(user) -> QuerySet[Payment]:
    """Payments the gate shows, with `allocated` (the sum of their allocations)."""
    return visible_to(
        user,
        Payment.objects.select_related("account", "owner").annotate(
            allocated=_allocated_subquery()
        ),
    )


def invoice_search_document(invoice: Invoice) -> list[str | None]:
    return [invoice.number, invoice.account.name if invoice.account_id else None]


def payment_search_document(payment: Payment) -> list[str | None]:
    return [payment.reference, payment.account.name if payment.account_id else None]


@dataclass
class AccountBalance:
    """What one account owes in one currency."""

    currency: str
    invoiced: Decimal = ZERO
    paid: Decimal = ZERO
    outstanding: Decimal = ZERO
    overdue: Decimal = ZERO
    credit: Decimal = ZERO


def account_balances(user, *, account, as_of: datetime.date | None = None) -> list[AccountBalance]:
    """Per currency: invoiced, paid, outstanding, overdue, and unallocated credit."""
    as_of = as_of or timezone.localdate()
    balances: dict[str, AccountBalance] = {}
    invoices = (
        invoices_visible_to(user)
        .filter(account=account)
        .exclude(status=Invoice.Status.CANCELLED)
        .values("currency")
        .annotate(
            invoiced=Sum("total"),
            paid=Sum("amount_paid"),
            overdue=Sum(F("total") - F("amount_paid"), filter=Q(due_date__lt=as_of)),
        )
        .order_by()
    )
    for row in invoices:
        currency = row["currency"]
        balance = balances.setdefault(currency, AccountBalance(currency))
        # SQLite sums decimals with float-like scale: round to the currency's minor unit.
        balance.invoiced = round_money(row["invoiced"] or 0, currency)
        balance.paid = round_money(row["paid"] or 0, currency)
        balance.outstanding = balance.invoiced - balance.paid
        balance.overdue = round_money(max(row["overdue"] or 0, 0), currency)
    for payment in payments_visible_to(user).filter(account=account):
        credit = payment.unallocated_amount
        if credit > 0:
            balance = balances.setdefault(payment.currency, AccountBalance(payment.currency))
            balance.credit = round_money(balance.credit + credit, payment.currency)
    return [balances[currency] for currency in sorted(balances)]


@dataclass
class AgeingRow:
    """One account's (or the total's) balance in one currency, by bucket."""

    currency: str
    account_id: int | None = None
    account_name: str = ""
    amounts: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(BUCKET_KEYS, ZERO))

    @property
    def total(self) -> Decimal:
        return sum(self.amounts.values(), ZERO)

    def __getattr__(self, name: str):
        # Lets templates and serializers read `row.days_31_60` and friends.
        amounts = self.__dict__.get("amounts", {})
        if name in amounts:
            return amounts[name]
        raise AttributeError(name)


@dataclass
class Ageing:
    as_of: datetime.date
    rows: list[AgeingRow]
    totals: list[AgeingRow]

    @property
    def buckets(self) -> list[tuple[str, object]]:
        return [(key, label) for key, label, *_rest in BUCKETS]


def receivables_ageing(
    user,
    *,
    as_of: datetime.date | None = None,
    account=None,
    currency: str | None = None,
) -> Ageing:
    """What was owed on `as_of`, per account and currency and in total, by days past due.

    An invoice counts from its issue date; payments received after `as_of` are not
    yet in. Cancelled invoices are left out.
    """
    as_of = as_of or timezone.localdate()
    invoices = (
        invoices_visible_to(user)
        .exclude(status=Invoice.Status.CANCELLED)
        .filter(issue_date__lte=as_of)
        .annotate(
            paid_as_of=Coalesce(
                Sum(
                    "allocations__amount",
                    filter=Q(allocations__payment__received_on__lte=as_of),
                ),
                Value(ZERO),
                output_field=DecimalField(max_digits=16, decimal_places=2),
            )
        )
    )
    if account is not None:
        invoices = invoices.filter(account=account)
    if currency:
        invoices = invoices.filter(currency=currency)
    rows: dict[tuple[int | None, str], AgeingRow] = {}
    totals: dict[str, AgeingRow] = {}
    for invoice in invoices.order_by("account__name", "account_id", "currency", "id"):
        owed = round_money(invoice.total - invoice.paid_as_of, invoice.currency)
        if owed <= 0:
            continue
        bucket = bucket_of((as_of - invoice.due_date).days)
        key = (invoice.account_id, invoice.currency)
        row = rows.get(key)
        if row is None:
            row = rows[key] = AgeingRow(
                currency=invoice.currency,
                account_id=invoice.account_id,
                account_name=invoice.account.name if invoice.account_id else "",
            )
        row.amounts[bucket] += owed
        total = totals.setdefault(invoice.currency, AgeingRow(currency=invoice.currency))
        total.amounts[bucket] += owed
    return Ageing(
        as_of=as_of,
        rows=list(rows.values()),
        totals=[totals[code] for code in sorted(totals)],
    )
