"""Exports for accounting: invoices, payments with their allocations, and the ageing table.

CSV (UTF-8 with BOM, so Excel reads Chinese names) or XLSX; headers in the user's
language; rows from the same gate-scoped, filtered querysets the list pages show.
Amounts are written as numbers in XLSX and as plain decimals in CSV.
"""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from allyance.core.custom_fields.export import CustomFieldColumns
from allyance.core.exports import _safe_for_spreadsheet
from allyance.orders.models import Invoice, Payment
from allyance.orders.selectors.billing import Ageing

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, Decimal | int):
        return value
    if isinstance(value, datetime.date):
        return value.isoformat()
    return _safe_for_spreadsheet(str(value))


def spreadsheet_response(
    rows: list[list], *, file_format: str, filename: str, sheet: str
) -> HttpResponse:
    """`rows` (the first one the headers) as a CSV or XLSX download."""
    if file_format not in ("csv", "xlsx"):
        raise Http404
    stamped = f"{filename}-{timezone.localdate().isoformat()}"
    if file_format == "xlsx":
        workbook = Workbook()
        worksheet = workbook.active
        worksheet.title = sheet[:31]
        for row in rows:
            worksheet.append([_cell(value) for value in row])
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = HttpResponse(buffer.getvalue(), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{stamped}.xlsx"'
        return response
    text = io.StringIO()
    text.write("\ufeff")
    writer = csv.writer(text)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    response = HttpResponse(text.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{stamped}.csv"'
    return response


def invoice_rows(invoices) -> list[list]:
    custom = CustomFieldColumns(Invoice)
    rows = [
        [
            _("Number"),
            _("Account"),
            _("Order"),
            _("Status"),
            _("Issue date"),
            _("Due date"),
            _("Currency"),
            _("Subtotal"),
            _("Discount"),
            _("Tax"),
            _("Total"),
            _("Paid"),
            _("Balance"),
            _("Owner"),
            *custom.headers(),
        ]
    ]
    for invoice in invoices.order_by("issue_date", "id").iterator(chunk_size=1000):
        rows.append(
            [
                invoice.number,
                invoice.account.name if invoice.account_id else "",
                invoice.order.number if invoice.order_id else "",
                invoice.get_status_display(),
                invoice.issue_date,
                invoice.due_date,
                invoice.currency,
                invoice.subtotal,
                invoice.discount_total,
                invoice.tax_total,
                invoice.total,
                invoice.amount_paid,
                invoice.balance,
                invoice.owner.username if invoice.owner_id else "",
                *custom.values(invoice),
            ]
        )
    return rows


def payment_rows(payments) -> list[list]:
    """One row per allocation, and one for what is left unallocated (the account's credit);
    the payment's custom fields close each row."""
    custom = CustomFieldColumns(Payment)
    rows = [
        [
            _("Payment ID"),
            _("Received on"),
            _("Account"),
            _("Payment amount"),
            _("Currency"),
            _("Method"),
            _("Reference"),
            _("Allocated to"),
            _("Allocated amount"),
            *custom.headers(),
        ]
    ]
    payments = payments.order_by("received_on", "id").prefetch_related("allocations__invoice")
    for payment in payments:
        head = [
            payment.pk,
            payment.received_on,
            payment.account.name if payment.account_id else "",
            payment.amount,
            payment.currency,
            payment.get_method_display(),
            payment.reference,
        ]
        tail = custom.values(payment)
        left = payment.amount
        for allocation in payment.allocations.all():
            rows.append([*head, allocation.invoice.number, allocation.amount, *tail])
            left -= allocation.amount
        if left > 0:
            rows.append([*head, _("Unallocated credit"), left, *tail])
    return rows


def ageing_rows(ageing: Ageing) -> list[list]:
    rows = [
        [
            _("Account"),
            _("Currency"),
            *(str(label) for _key, label in ageing.buckets),
            _("Total"),
        ]
    ]
    for row in [*ageing.rows, *ageing.totals]:
        name = row.account_name if row.account_id else _("Total")
        rows.append(
            [name, row.currency, *(row.amounts[key] for key, _l in ageing.buckets), row.total]
        )
    return rows


@login_required
def invoice_export(request: HttpRequest) -> HttpResponse:
    from allyance.orders.views.invoices import INVOICE_LIST

    _filters, invoices = INVOICE_LIST.queryset(request)
    return spreadsheet_response(
        invoice_rows(invoices),
        file_format=request.GET.get("format", "csv"),
        filename="invoices",
        sheet=_("Invoices"),
    )


@login_required
def payment_export(request: HttpRequest) -> HttpResponse:
    from allyance.orders.views.payments import PAYMENT_LIST

    _filters, payments = PAYMENT_LIST.queryset(request)
    return spreadsheet_response(
        payment_rows(payments),
        file_format=request.GET.get("format", "csv"),
        filename="payments",
        sheet=_("Payments received"),
    )
