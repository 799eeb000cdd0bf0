"""Web pages for orders: the list with export, entry, the order page with its shipments."""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from openpyxl import Workbook

from allyance.activities.models import Activity
from allyance.core.editing import record_form_page
from allyance.core.exceptions import ConflictError
from allyance.core.forms import form_errors_from
from allyance.core.listing import Column, RecordList
from allyance.core.timeline import timeline_for
from allyance.core.visibility import get_visible_or_404, visible_to
from allyance.orders.filters.fulfilment import OrderFilter
from allyance.orders.forms.fulfilment import (
    OrderActionForm,
    OrderCancelForm,
    OrderForm,
    OrderLineForm,
    ShipmentDeliveredForm,
    ShipmentForm,
)
from allyance.orders.models import Order, Quote
from allyance.orders.selectors.fulfilment import orders_visible_to, shipments_visible_to
from allyance.orders.services import fulfilment as services

Status = Order.Status
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

ORDER_LIST = RecordList(
    selector=orders_visible_to,
    filterset_class=OrderFilter,
    title=gettext_lazy("Orders"),
    columns=[
        Column("number", gettext_lazy("Number"), sort="number", link=True),
        Column("order_date", gettext_lazy("Order date"), sort="order_date"),
        Column("account", gettext_lazy("Account")),
        Column("customer_reference", gettext_lazy("Customer reference")),
        Column("total", gettext_lazy("Total"), sort="total"),
        Column("currency", gettext_lazy("Currency")),
        Column("status", gettext_lazy("Status")),
        Column("owner", gettext_lazy("Owner")),
    ],
    default_ordering="-updated_at",
    create_url=reverse_lazy("orders:order-create"),
    export_url=reverse_lazy("orders:order-export"),
    # Deleting or tagging in bulk would go around the order rules; owners may be reassigned.
    bulk_actions=("assign_owner",),
)


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    return ORDER_LIST.render(request)


def _text(value) -> str:
    if value is None:
        return ""
    text = str(value)
    # A spreadsheet must not run a value as a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


@login_required
def order_export(request: HttpRequest) -> HttpResponse:
    """The list's orders (same filters and search, through the gate) as CSV or XLSX."""
    file_format = request.GET.get("format", "csv")
    if file_format not in ("csv", "xlsx"):
        raise Http404
    _filterset, queryset = ORDER_LIST.queryset(request)
    headers = [
        _("Number"),
        _("Order date"),
        _("Status"),
        _("Account"),
        _("Customer reference"),
        _("Currency"),
        _("Subtotal"),
        _("Discount"),
        _("Tax"),
        _("Total"),
        _("Requested delivery"),
        _("Quote"),
        _("Owner"),
    ]
    rows = [headers]
    for order in queryset.select_related("quote").order_by("-order_date", "-id").iterator(2000):
        rows.append(
            [
                order.number,
                order.order_date.isoformat(),
                str(order.get_status_display()),
                _text(order.account.name if order.account_id else ""),
                _text(order.customer_reference),
                order.currency,
                str(order.subtotal),
                str(order.discount_total),
                str(order.tax_total),
                str(order.total),
                order.requested_delivery.isoformat() if order.requested_delivery else "",
                order.quote.number if order.quote_id else "",
                order.owner.username if order.owner_id else "",
            ]
        )
    filename = f"orders-{timezone.localdate().isoformat()}"
    if file_format == "xlsx":
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = str(_("Orders"))[:31]
        for row in rows:
            sheet.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = HttpResponse(buffer.getvalue(), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
        return response
    buffer = io.StringIO()
    buffer.write("\ufeff")  # Excel reads UTF-8 (Chinese names) only with the BOM
    writer = csv.writer(buffer)
    writer.writerows(rows)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def _visible_order(request: HttpRequest, pk: int) -> Order:
    return get_visible_or_404(request.user, orders_visible_to(request.user), pk=pk)


def _detail(request: HttpRequest, order: Order, *, status: int = 200, **forms) -> HttpResponse:
    user = request.user
    order.refresh_from_db()
    lines = list(order.lines.select_related("product").order_by("position", "id"))
    shipped = services.shipped_quantities(order)
    remaining = services.remaining_quantities(order)
    line_rows = [
        {"line": line, "shipped": shipped.get(line.pk, 0), "remaining": remaining[line.pk]}
        for line in lines
    ]
    # A partner follows the orders the company fulfils for it: it may withdraw one while
    # submitted, and change nothing else.
    submitted = order.status == Status.SUBMITTED
    writable = not user.is_customer and services.partner_may_change(order, user)
    # A partner holding an order handed down to it ships it; the rest stays the company's.
    repricable = services.partner_may_reprice(order, user)
    has_shipments = order.shipments.exists()
    may_ship = writable and order.status in services.SHIPPABLE and any(remaining.values())
    return render(
        request,
        "orders/order_detail.html",
        {
            "record": order,
            "line_rows": line_rows,
            "shipments": order.shipments.prefetch_related("lines__order_line").select_related(
                "created_by"
            ),
            "may_edit": (writable or (submitted and not user.is_customer))
            and repricable
            and order.status not in services.FINAL,
            "may_confirm": submitted and user.is_internal,
            "may_edit_lines": writable
            and repricable
            and order.status in services.LINES_EDITABLE
            and not has_shipments,
            "may_ship": may_ship,
            "may_cancel": (writable or submitted)
            and repricable
            and not user.is_customer
            and order.status in services.CANCELLABLE
            and not has_shipments,
            "may_deliver": writable and order.status == Status.SHIPPED,
            # The invoices part decides who may bill and how much remains to invoice.
            "may_invoice": writable
            and repricable
            and order.status not in (Status.CANCELLED, Status.SUBMITTED)
            and bool(lines),
            "may_close": writable and order.status == Status.DELIVERED,
            "may_change_shipments": writable
            and order.status not in (Status.DELIVERED, Status.CLOSED, Status.CANCELLED),
            "line_form": forms.get("line_form") or OrderLineForm(user=user),
            "shipment_form": forms.get("shipment_form")
            or ShipmentForm(
                lines=[row["line"] for row in line_rows if row["remaining"] > 0],
                remaining=remaining,
                initial={"shipped_on": timezone.localdate()},
            ),
            "cancel_form": forms.get("cancel_form") or OrderCancelForm(),
            "action_errors": forms.get("action_errors", []),
            "timeline": timeline_for(
                order,
                activities=Activity.objects.none(),
                user=user,
                page=request.GET.get("timeline"),
            ),
        },
        status=status,
    )


@login_required
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _visible_order(request, pk))


def _save(record, *, by, expected_version):
    return services.order_save(order=record, by=by, expected_version=expected_version)


@login_required
def order_create(request: HttpRequest) -> HttpResponse:
    if request.user.is_customer:
        raise PermissionDenied
    initial = {"order_date": timezone.localdate()}
    for name in ("account", "opportunity", "contact"):
        if request.GET.get(name, "").isdigit():
            initial[name] = request.GET[name]
    return record_form_page(
        request,
        form_class=OrderForm,
        instance=Order(),
        save=_save,
        title=_("New order"),
        cancel_url=reverse("orders:order-list"),
        initial=initial,
    )


@login_required
def order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    order = _visible_order(request, pk)
    if request.user.is_customer:
        raise PermissionDenied
    if order.status in services.FINAL:
        messages.error(request, _("A closed or cancelled order cannot be changed."))
        return redirect(order.get_absolute_url())
    return record_form_page(
        request,
        form_class=OrderForm,
        instance=order,
        save=_save,
        title=_("Edit order %(number)s") % {"number": order.number},
        cancel_url=order.get_absolute_url(),
    )


@login_required
@require_POST
def order_from_quote(request: HttpRequest, pk: int) -> HttpResponse:
    """Convert an accepted quote the user may see; refusals go back to the quote's page."""
    quote = get_visible_or_404(request.user, visible_to(request.user, Quote.objects.all()), pk=pk)
    try:
        order = services.order_from_quote(quote, by=request.user)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        back = request.POST.get("next") or ""
        if back.startswith("/") and not back.startswith("//"):
            return redirect(back)
        existing = services.live_order_of(quote)
        return redirect(existing.get_absolute_url() if existing else reverse("orders:order-list"))
    messages.success(request, _("Order %(number)s created.") % {"number": order.number})
    return redirect(order.get_absolute_url())


def _errors(exc: Exception) -> list[str]:
    return list(getattr(exc, "messages", None) or [str(exc)])


@login_required
@require_POST
def order_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    order = _visible_order(request, pk)
    form = OrderCancelForm(request.POST)
    if form.is_valid():
        try:
            services.order_cancel(
                order,
                by=request.user,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data.get("version"),
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        except (PermissionDenied, ConflictError) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Order cancelled."))
            return redirect(order.get_absolute_url())
    return _detail(request, order, cancel_form=form)


@login_required
@require_POST
def order_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Company staff accept a partner's submitted order."""
    order = _visible_order(request, pk)
    version = request.POST.get("version", "")
    try:
        services.order_confirm(
            order, by=request.user, expected_version=int(version) if version.isdigit() else None
        )
    except (ValidationError, PermissionDenied, ConflictError) as exc:
        return _detail(request, order, action_errors=_errors(exc), status=400)
    messages.success(request, _("Order confirmed."))
    return redirect(order.get_absolute_url())


@login_required
@require_POST
def order_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark delivered or close."""
    order = _visible_order(request, pk)
    form = OrderActionForm(request.POST)
    if not form.is_valid():
        return _detail(request, order, action_errors=[_("Choose an action.")])
    action = form.cleaned_data["action"]
    version = form.cleaned_data.get("version")
    try:
        if action == "deliver":
            services.order_mark_delivered(order, by=request.user, expected_version=version)
            messages.success(request, _("Order marked delivered."))
        else:
            services.order_close(order, by=request.user, expected_version=version)
            messages.success(request, _("Order closed."))
    except (ValidationError, PermissionDenied, ConflictError) as exc:
        return _detail(request, order, action_errors=_errors(exc))
    return redirect(order.get_absolute_url())


@login_required
@require_POST
def order_line_add(request: HttpRequest, pk: int) -> HttpResponse:
    order = _visible_order(request, pk)
    form = OrderLineForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            services.order_line_add(order, by=request.user, **form.line_arguments())
        except ValidationError as exc:
            form_errors_from(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Line added."))
            return redirect(order.get_absolute_url() + "#lines")
    return _detail(request, order, line_form=form)


@login_required
@require_POST
def order_line_remove(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    order = _visible_order(request, pk)
    line = order.lines.filter(pk=line_pk).first()
    if line is None:
        raise Http404
    try:
        services.order_line_remove(order, line, by=request.user)
    except (ValidationError, PermissionDenied) as exc:
        return _detail(request, order, action_errors=_errors(exc))
    messages.success(request, _("Line removed."))
    return redirect(order.get_absolute_url() + "#lines")


@login_required
@require_POST
def shipment_record(request: HttpRequest, pk: int) -> HttpResponse:
    order = _visible_order(request, pk)
    remaining = services.remaining_quantities(order)
    lines = [line for line in order.lines.order_by("position", "id") if remaining[line.pk] > 0]
    form = ShipmentForm(request.POST, lines=lines, remaining=remaining)
    if form.is_valid():
        try:
            services.shipment_record(
                order,
                by=request.user,
                shipped_on=form.cleaned_data["shipped_on"],
                carrier=form.cleaned_data["carrier"],
                tracking_number=form.cleaned_data["tracking_number"],
                notes=form.cleaned_data["notes"],
                lines=form.quantities(),
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Shipment recorded."))
            return redirect(order.get_absolute_url() + "#shipments")
    return _detail(request, order, shipment_form=form)


def _visible_shipment(request: HttpRequest, pk: int):
    # Shipments follow their order through the gate (the selector), not a gate of their own.
    return get_object_or_404(shipments_visible_to(request.user), pk=pk)


@login_required
@require_POST
def shipment_deliver(request: HttpRequest, pk: int) -> HttpResponse:
    shipment = _visible_shipment(request, pk)
    form = ShipmentDeliveredForm(request.POST)
    errors: list[str] = []
    if form.is_valid():
        try:
            services.shipment_mark_delivered(
                shipment, by=request.user, on=form.cleaned_data.get("delivered_on")
            )
        except (ValidationError, PermissionDenied) as exc:
            errors = _errors(exc)
        else:
            messages.success(request, _("Shipment marked delivered."))
            return redirect(shipment.order.get_absolute_url() + "#shipments")
    else:
        errors = [e for field_errors in form.errors.values() for e in field_errors]
    return _detail(request, shipment.order, action_errors=errors)


@login_required
@require_POST
def shipment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    shipment = _visible_shipment(request, pk)
    order = shipment.order
    try:
        services.shipment_delete(shipment, by=request.user)
    except (ValidationError, PermissionDenied) as exc:
        return _detail(request, order, action_errors=_errors(exc))
    messages.success(request, _("Shipment deleted."))
    return redirect(order.get_absolute_url() + "#shipments")
