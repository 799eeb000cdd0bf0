"""Web pages for invoices: the list, the overdue list, the detail, invoicing an order, cancel."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
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
from allyance.orders.filters.billing import InvoiceFilter
from allyance.orders.forms.billing import (
    InvoiceCancelForm,
    InvoiceForm,
    InvoiceFromOrderForm,
    InvoiceLineFormSet,
    OrderChoiceForm,
)
from allyance.orders.models import Invoice, Order
from allyance.orders.selectors.billing import invoices_visible_to, overdue_invoices
from allyance.orders.services.invoices import (
    invoice_cancel,
    invoice_create,
    invoice_from_order,
    may_bill,
    remaining_quantities,
)

INVOICE_COLUMNS = [
    Column("number", gettext_lazy("Number"), sort="number", link=True),
    Column("account", gettext_lazy("Account")),
    Column("status", gettext_lazy("Status")),
    Column("issue_date", gettext_lazy("Issued"), sort="issue_date"),
    Column("due_date", gettext_lazy("Due"), sort="due_date"),
    Column("currency", gettext_lazy("Currency")),
    Column("total", gettext_lazy("Total"), sort="total"),
    Column("amount_paid", gettext_lazy("Paid")),
    Column("balance", gettext_lazy("Balance")),
    Column("owner", gettext_lazy("Owner")),
]

INVOICE_LIST = RecordList(
    selector=invoices_visible_to,
    filterset_class=InvoiceFilter,
    title=gettext_lazy("Invoices"),
    template="orders/invoice_list.html",
    columns=INVOICE_COLUMNS,
    default_ordering="-issue_date",
    create_url=reverse_lazy("orders:invoice-from-order"),
    export_url=reverse_lazy("orders:invoice-export"),
    # Invoices change only through invoicing, payments and cancelling.
    bulk_actions=(),
)

OVERDUE_LIST = RecordList(
    selector=overdue_invoices,
    filterset_class=InvoiceFilter,
    title=gettext_lazy("Overdue invoices"),
    template="orders/invoice_list.html",
    columns=INVOICE_COLUMNS,
    default_ordering="due_date",
    export_url=reverse_lazy("orders:invoice-export"),
    bulk_actions=(),
    extra_context={"overdue_page": True},
)


@login_required
def invoice_list(request: HttpRequest) -> HttpResponse:
    return INVOICE_LIST.render(request)


@login_required
def invoice_overdue_list(request: HttpRequest) -> HttpResponse:
    return OVERDUE_LIST.render(request)


def _detail(request: HttpRequest, invoice: Invoice, *, cancel_form=None, status=200):
    today = timezone.localdate()
    return render(
        request,
        "orders/invoice_detail.html",
        {
            "record": invoice,
            "lines": invoice.lines.select_related("product").order_by("position", "id"),
            "allocations": invoice.allocations.select_related("payment").order_by(
                "payment__received_on", "id"
            ),
            "is_overdue": invoice.status in (Invoice.Status.ISSUED, Invoice.Status.PARTLY_PAID)
            and invoice.balance > 0
            and invoice.due_date < today,
            "days_overdue": (today - invoice.due_date).days,
            "may_bill": may_bill(request.user),
            "may_cancel": may_bill(request.user)
            and invoice.status == Invoice.Status.ISSUED
            and not invoice.amount_paid,
            "cancel_form": cancel_form or InvoiceCancelForm(initial={"version": invoice.version}),
            "timeline": timeline_for(
                invoice, activities=Activity.objects.none(), page=request.GET.get("timeline")
            ),
        },
        status=status,
    )


@login_required
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_visible_or_404(request.user, invoices_visible_to(request.user), pk=pk)
    return _detail(request, invoice)


@login_required
@require_POST
def invoice_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_visible_or_404(request.user, invoices_visible_to(request.user), pk=pk)
    form = InvoiceCancelForm(request.POST)
    if form.is_valid():
        try:
            invoice_cancel(
                invoice,
                by=request.user,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data.get("version"),
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        except (PermissionDenied, ConflictError) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Invoice cancelled."))
            return redirect(invoice.get_absolute_url())
    invoice.refresh_from_db()
    return _detail(request, invoice, cancel_form=form, status=400)


def _order_from(request: HttpRequest, value: str) -> Order | None:
    """A visible order by id or number."""
    value = (value or "").strip()
    orders = visible_to(request.user, Order.objects.select_related("account"))
    if value.isdigit() and len(value) < 18:
        found = orders.filter(pk=int(value)).first()
        if found is not None:
            return found
    return orders.filter(number__iexact=value).first() if value else None


@login_required
def invoice_from_order_view(request: HttpRequest) -> HttpResponse:
    """Choose an order (`?order=<id or number>`), then the quantities to invoice per line."""
    if not may_bill(request.user):
        raise PermissionDenied
    order_value = request.GET.get("order", "")
    order = _order_from(request, order_value) if order_value else None
    if order is None:
        choice = OrderChoiceForm(request.GET or None)
        if order_value and choice.is_valid():
            choice.add_error("order", _("No order with this number."))
        return render(
            request,
            "orders/invoice_from_order.html",
            {"choice_form": choice, "order": None},
            status=400 if order_value else 200,
        )
    lines = list(order.lines.order_by("position", "id"))
    remaining = remaining_quantities(order)
    form = InvoiceFromOrderForm(
        request.POST or None, lines=lines, remaining=remaining, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        try:
            invoice = invoice_from_order(
                order,
                by=request.user,
                quantities=form.quantities(),
                issue_date=form.cleaned_data["issue_date"],
                payment_terms_days=form.cleaned_data["payment_terms_days"],
                custom_fields=custom_form_values(form),
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Invoice %(number)s issued.") % {"number": invoice})
            return redirect(invoice.get_absolute_url())
    return render(
        request,
        "orders/invoice_from_order.html",
        {
            "order": order,
            "form": form,
            "nothing_left": not any(remaining.values()),
            "cancel_url": reverse("orders:invoice-list"),
            "cancelled": order.status == Order.Status.CANCELLED,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def invoice_create_view(request: HttpRequest) -> HttpResponse:
    """An invoice without an order: the account, terms and free-text lines."""
    if not may_bill(request.user):
        raise PermissionDenied
    data = request.POST if request.method == "POST" else None
    initial = {}
    if request.GET.get("account", "").isdigit():
        initial["account"] = request.GET["account"][:18]
    form = InvoiceForm(data, user=request.user, initial=initial)
    lines = InvoiceLineFormSet(data, prefix="lines")
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        try:
            invoice = invoice_create(
                by=request.user,
                account=form.cleaned_data["account"],
                currency=form.cleaned_data["currency"],
                issue_date=form.cleaned_data["issue_date"],
                payment_terms_days=form.cleaned_data["payment_terms_days"],
                discount_percent=form.cleaned_data.get("discount_percent") or 0,
                notes=form.cleaned_data["notes"],
                lines=[line.cleaned_data for line in lines.forms if line.has_changed()],
                custom_fields=custom_form_values(form),
            )
        except ValidationError as exc:
            filled = [line for line in lines.forms if line.has_changed()]
            if hasattr(exc, "error_dict"):
                for key, messages_ in exc.message_dict.items():
                    index = key.removeprefix("line_")
                    if key.startswith("line_") and index.isdigit() and int(index) < len(filled):
                        filled[int(index)].add_error(None, messages_)
                    else:
                        form.add_error(key if key in form.fields else None, messages_)
            else:
                form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Invoice %(number)s issued.") % {"number": invoice})
            return redirect(invoice.get_absolute_url())
    return render(
        request,
        "orders/invoice_form.html",
        {"form": form, "lines": lines, "cancel_url": reverse("orders:invoice-list")},
        status=400 if request.method == "POST" else 200,
    )
