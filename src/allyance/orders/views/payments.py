"""Web pages for payments received: list, detail (allocate the rest, delete), and entry.

The entry form works without JavaScript: choosing the account and currency and pressing
"Show open invoices" reloads the form with one amount per open invoice of that account,
prefilled oldest due first with the payment's amount.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from allyance.activities.models import Activity
from allyance.core.custom_fields import custom_form_values
from allyance.core.exceptions import ConflictError
from allyance.core.forms import form_errors_from
from allyance.core.listing import Column, RecordList
from allyance.core.timeline import timeline_for
from allyance.core.visibility import get_visible_or_404, visible_to
from allyance.customers.models import Account
from allyance.orders.filters.billing import PaymentFilter
from allyance.orders.forms.billing import PaymentAllocateForm, PaymentForm
from allyance.orders.models import Payment
from allyance.orders.selectors.billing import (
    invoices_visible_to,
    open_invoices_of,
    payments_visible_to,
)
from allyance.orders.services.invoices import may_bill
from allyance.orders.services.payments import (
    parse_money,
    payment_allocate,
    payment_delete,
    payment_record,
)
from allyance.sales.models.money import default_currency

PAYMENT_LIST = RecordList(
    selector=payments_visible_to,
    filterset_class=PaymentFilter,
    title=gettext_lazy("Payments received"),
    template="orders/payment_list.html",
    columns=[
        Column("received_on", gettext_lazy("Received on"), sort="received_on", link=True),
        Column("account", gettext_lazy("Account")),
        Column("amount", gettext_lazy("Amount"), sort="amount"),
        Column("currency", gettext_lazy("Currency")),
        Column("allocated_amount", gettext_lazy("Allocated")),
        Column("method", gettext_lazy("Method")),
        Column("reference", gettext_lazy("Reference")),
        Column("owner", gettext_lazy("Recorded by")),
    ],
    default_ordering="-received_on",
    create_url=reverse_lazy("orders:payment-create"),
    export_url=reverse_lazy("orders:payment-export"),
    # A payment changes only through allocation or deletion, one at a time.
    bulk_actions=(),
)


def prefill_oldest_first(invoices, amount: Decimal | None) -> dict[int, Decimal]:
    """Spread `amount` over `invoices` in their order, each up to its balance."""
    left = amount or Decimal("0")
    spread: dict[int, Decimal] = {}
    for invoice in invoices:
        if left <= 0:
            break
        share = min(invoice.balance, left)
        spread[invoice.pk] = share
        left -= share
    return spread


@login_required
def payment_list(request: HttpRequest) -> HttpResponse:
    return PAYMENT_LIST.render(request)


def _account_from(request: HttpRequest, value) -> Account | None:
    value = str(value or "").strip()
    if not value.isdigit() or len(value) > 18:
        return None
    return visible_to(request.user, Account.objects.filter(pk=int(value))).first()


def _amount_from(value, currency: str) -> Decimal | None:
    try:
        amount = parse_money(value, currency)
    except ValueError:
        return None
    return amount if amount > 0 else None


@login_required
def payment_create(request: HttpRequest) -> HttpResponse:
    """Record a payment: `?invoice=` prefills the account, currency, amount and allocation."""
    if not may_bill(request.user):
        raise PermissionDenied
    data = request.POST if request.method == "POST" else request.GET
    initial: dict = {}
    allocation_initial: dict[int, Decimal] = {}
    invoice = None
    if request.method == "GET" and request.GET.get("invoice", "").isdigit():
        invoice = (
            invoices_visible_to(request.user).filter(pk=int(request.GET["invoice"][:18])).first()
        )
    if invoice is not None and invoice.account_id:
        account, currency = invoice.account, invoice.currency
        initial = {"account": account.pk, "currency": currency, "amount": invoice.balance}
        if invoice.balance > 0:
            allocation_initial = {invoice.pk: invoice.balance}
    else:
        account = _account_from(request, data.get("account"))
        currency = data.get("currency") or ""
        if account is not None and not currency:
            oldest = open_invoices_of(request.user, account=account).first()
            currency = oldest.currency if oldest else default_currency()
        currency = currency or default_currency()
        if request.method == "GET" and account is not None:
            initial = {"account": account.pk, "currency": currency}
    invoices = (
        list(open_invoices_of(request.user, account=account, currency=currency))
        if (account is not None)
        else []
    )
    loaded_for = f"{account.pk if account else ''}-{currency}"
    reload = request.method == "POST" and (
        "load" in request.POST or request.POST.get("loaded_for") != loaded_for
    )
    if request.method == "POST" and reload:
        # Show the open invoices of the chosen account, the amount spread oldest first.
        allocation_initial = prefill_oldest_first(
            invoices, _amount_from(request.POST.get("amount"), currency)
        )
        form = PaymentForm(
            initial={
                **{
                    # Lists stay lists: a multi-choice custom field keeps every choice.
                    k: v if len(v) > 1 else v[0]
                    for k, v in request.POST.lists()
                    if not k.startswith("allocation_")
                },
                "currency": currency,
            },
            user=request.user,
            invoices=invoices,
            allocation_initial=allocation_initial,
        )
    else:
        form = PaymentForm(
            request.POST if request.method == "POST" else None,
            initial=initial,
            user=request.user,
            invoices=invoices,
            allocation_initial=allocation_initial,
        )
    if request.method == "POST" and not reload and form.is_valid():
        data = form.cleaned_data
        try:
            payment = payment_record(
                by=request.user,
                account=data["account"],
                received_on=data["received_on"],
                amount=data["amount"],
                currency=data["currency"],
                method=data["method"],
                reference=data["reference"],
                notes=data["notes"],
                allocations=form.allocations(),
                custom_fields=custom_form_values(form),
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Payment recorded."))
            return redirect(payment.get_absolute_url())
    return render(
        request,
        "orders/payment_form.html",
        {
            "form": form,
            "account": account,
            "currency": currency,
            "loaded_for": loaded_for,
            "cancel_url": invoice.get_absolute_url() if invoice else reverse("orders:payment-list"),
        },
        status=400 if request.method == "POST" and form.errors else 200,
    )


def _detail(request: HttpRequest, payment: Payment, *, allocate_form=None, status=200):
    unallocated = payment.unallocated_amount
    invoices = (
        list(open_invoices_of(request.user, account=payment.account, currency=payment.currency))
        if payment.account_id and unallocated > 0
        else []
    )
    if allocate_form is None:
        allocate_form = PaymentAllocateForm(
            initial={"version": payment.version},
            invoices=invoices,
            allocation_initial=prefill_oldest_first(invoices, unallocated),
        )
    return render(
        request,
        "orders/payment_detail.html",
        {
            "record": payment,
            "allocations": payment.allocations.select_related("invoice").order_by(
                "invoice__due_date", "id"
            ),
            "unallocated": unallocated,
            "allocate_form": allocate_form,
            "may_bill": may_bill(request.user),
            "timeline": timeline_for(
                payment, activities=Activity.objects.none(), page=request.GET.get("timeline")
            ),
        },
        status=status,
    )


@login_required
def payment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    payment = get_visible_or_404(request.user, payments_visible_to(request.user), pk=pk)
    return _detail(request, payment)


@login_required
@require_POST
def payment_allocate_view(request: HttpRequest, pk: int) -> HttpResponse:
    payment = get_visible_or_404(request.user, payments_visible_to(request.user), pk=pk)
    invoices = list(
        open_invoices_of(request.user, account=payment.account, currency=payment.currency)
    )
    form = PaymentAllocateForm(request.POST, invoices=invoices)
    if form.is_valid():
        try:
            payment_allocate(
                payment,
                by=request.user,
                allocations=form.allocations(),
                expected_version=form.cleaned_data.get("version"),
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        except (PermissionDenied, ConflictError) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Payment allocated."))
            return redirect(payment.get_absolute_url())
    payment = payments_visible_to(request.user).get(pk=payment.pk)
    return _detail(request, payment, allocate_form=form, status=400)


@login_required
@require_POST
def payment_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    payment = get_visible_or_404(request.user, payments_visible_to(request.user), pk=pk)
    try:
        payment_delete(payment, by=request.user)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return redirect(payment.get_absolute_url())
    messages.success(request, _("Payment deleted; the invoices it paid are open again."))
    return redirect(reverse("orders:payment-list"))
