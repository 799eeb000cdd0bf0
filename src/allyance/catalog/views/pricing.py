"""Web pages for price lists: list, detail with its prices, edit, prices, import and export.

Everyone on the staff reads every list, partners the lists assigned to them; only
administrators change anything (the services check it too).
"""

from __future__ import annotations

import csv
import io
import re
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db.models import ProtectedError, Q
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from openpyxl import Workbook

from allyance.catalog.filters.pricing import PriceListFilter
from allyance.catalog.forms.pricing import PriceListForm, PriceListImportForm, PriceListItemForm
from allyance.catalog.models import PriceList, PriceListItem, Product
from allyance.catalog.selectors.pricing import price_list_items_visible_to, price_lists_visible_to
from allyance.catalog.services import pricing as services
from allyance.core.editing import record_form_page
from allyance.core.forms import form_errors_from
from allyance.core.listing import Column, RecordList
from allyance.core.visibility import get_visible_or_404

ITEMS_PER_PAGE = 50
IMPORT_DIR = "price-list-imports"
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def price_list_list_for(user) -> RecordList:
    return RecordList(
        selector=price_lists_visible_to,
        filterset_class=PriceListFilter,
        title=gettext_lazy("Price lists"),
        columns=[
            Column("name", gettext_lazy("Name"), sort="name", link=True),
            Column("currency", gettext_lazy("Currency")),
            Column("valid_from", gettext_lazy("Valid from"), sort="valid_from"),
            Column("valid_until", gettext_lazy("Valid until"), sort="valid_until"),
            Column("discount_percent", gettext_lazy("List discount (%)")),
            Column("is_default", gettext_lazy("Default")),
            Column("active", gettext_lazy("Active")),
        ],
        default_ordering="name",
        create_url=reverse_lazy("catalog:price-list-create") if user.is_admin else None,
        # Central data changes one list at a time, through the administrators' pages.
        bulk_actions=(),
    )


def _require_admin(request: HttpRequest) -> None:
    if not request.user.is_admin:
        raise PermissionDenied


def _price_list_or_404(request: HttpRequest, pk: int) -> PriceList:
    return get_visible_or_404(request.user, price_lists_visible_to(request.user), pk=pk)


@login_required
def price_list_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        raise PermissionDenied
    return price_list_list_for(request.user).render(request)


@login_required
def price_list_detail(request: HttpRequest, pk: int) -> HttpResponse:
    price_list = _price_list_or_404(request, pk)
    items = (
        price_list_items_visible_to(request.user)
        .filter(price_list=price_list)
        .order_by("product__name", "id")
    )
    query = request.GET.get("q", "").strip()
    for term in query.split():
        items = items.filter(Q(product__name__icontains=term) | Q(product__sku__icontains=term))
    page = Paginator(items, ITEMS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "catalog/price_list_detail.html",
        {
            "record": price_list,
            "page": page,
            "query": query,
            "may_change": request.user.is_admin,
            "show_assignments": request.user.is_internal,
            "accounts": price_list.accounts.order_by("name")[:200]
            if request.user.is_internal
            else [],
            "partners": price_list.partners.order_by("name") if request.user.is_internal else [],
        },
    )


def _save(record, *, by, expected_version):
    return services.price_list_save(price_list=record, by=by, expected_version=expected_version)


@login_required
def price_list_create(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    return record_form_page(
        request,
        form_class=PriceListForm,
        instance=PriceList(),
        save=_save,
        title=_("New price list"),
        cancel_url=reverse("catalog:price-list-list"),
    )


@login_required
def price_list_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    price_list = _price_list_or_404(request, pk)
    return record_form_page(
        request,
        form_class=PriceListForm,
        instance=price_list,
        save=_save,
        title=_("Edit price list"),
        cancel_url=price_list.get_absolute_url(),
    )


@login_required
@require_POST
def price_list_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    price_list = _price_list_or_404(request, pk)
    try:
        services.price_list_delete(price_list=price_list, by=request.user)
    except ProtectedError:
        messages.error(
            request, _("Quotes or orders use this list; make it inactive instead of deleting it.")
        )
        return redirect(price_list.get_absolute_url())
    messages.success(request, _("Price list deleted."))
    return redirect("catalog:price-list-list")


def _item_page(request: HttpRequest, price_list: PriceList, item: PriceListItem) -> HttpResponse:
    products = Product.objects.order_by("name")
    form = PriceListItemForm(request.POST or None, instance=item, products=products)
    if request.method == "POST" and form.is_valid():
        record = form.save(commit=False)
        record.price_list = price_list
        try:
            services.price_list_item_save(
                item=record, by=request.user, breaks=form.cleaned_data["breaks"]
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(price_list.get_absolute_url())
    return render(
        request,
        "catalog/price_list_item_form.html",
        {
            "form": form,
            "record": price_list,
            "item": item,
            "title": _("Edit price") if item.pk else _("Add a price"),
            "cancel_url": price_list.get_absolute_url(),
        },
    )


@login_required
def price_list_item_add(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    price_list = _price_list_or_404(request, pk)
    return _item_page(request, price_list, PriceListItem(price_list=price_list))


def _item_or_404(request: HttpRequest, price_list: PriceList, item_pk: int) -> PriceListItem:
    return get_visible_or_404(
        request.user, price_list_items_visible_to(request.user), pk=item_pk, price_list=price_list
    )


@login_required
def price_list_item_edit(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    _require_admin(request)
    price_list = _price_list_or_404(request, pk)
    return _item_page(request, price_list, _item_or_404(request, price_list, item_pk))


@login_required
@require_POST
def price_list_item_delete(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    _require_admin(request)
    price_list = _price_list_or_404(request, pk)
    item = _item_or_404(request, price_list, item_pk)
    services.price_list_item_delete(item=item, by=request.user)
    messages.success(request, _("Price removed."))
    return redirect(price_list.get_absolute_url())


# --- import and export -------------------------------------------------------------------


def _session_key(price_list: PriceList) -> str:
    return f"price_list_import_{price_list.pk}"


def _stored_upload(request: HttpRequest, price_list: PriceList) -> tuple[bytes, str, str] | None:
    """The file the user previewed for this list: (data, name, encoding), or None."""
    stored = request.session.get(_session_key(price_list)) or {}
    token = request.POST.get("token", "")
    if not _TOKEN.match(token) or stored.get("token") != token:
        return None
    path = f"{IMPORT_DIR}/{token}"
    if not default_storage.exists(path):
        return None
    with default_storage.open(path, "rb") as handle:
        data = handle.read()
    return data, stored.get("file_name", ""), stored.get("encoding", "")


def _forget_upload(request: HttpRequest, price_list: PriceList) -> None:
    stored = request.session.pop(_session_key(price_list), None) or {}
    token = stored.get("token", "")
    if _TOKEN.match(token):
        default_storage.delete(f"{IMPORT_DIR}/{token}")


@login_required
def price_list_import(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload → preview (every bad row by line) → apply all or nothing."""
    _require_admin(request)
    price_list = _price_list_or_404(request, pk)
    form = PriceListImportForm()
    preview = token = None
    if request.method == "POST" and request.POST.get("step") == "apply":
        upload = _stored_upload(request, price_list)
        if upload is None:
            messages.error(request, _("Upload the file again: the preview has expired."))
            return redirect("catalog:price-list-import", pk=price_list.pk)
        data, file_name, encoding = upload
        try:
            result = services.price_list_import_apply(
                price_list=price_list,
                data=data,
                file_name=file_name,
                encoding=encoding,
                by=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            _forget_upload(request, price_list)
            messages.success(
                request,
                _("Import done: %(created)d prices added, %(updated)d updated.")
                % {"created": result.created, "updated": result.updated},
            )
            return redirect(price_list.get_absolute_url())
    elif request.method == "POST":
        form = PriceListImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            data = upload.read()
            encoding = form.cleaned_data.get("encoding") or ""
            try:
                preview = services.price_list_import_preview(
                    price_list=price_list, data=data, file_name=upload.name, encoding=encoding
                )
            except ValidationError as exc:
                form.add_error("file", exc.messages)
            else:
                _forget_upload(request, price_list)
                if preview.ok:
                    token = uuid.uuid4().hex
                    default_storage.save(f"{IMPORT_DIR}/{token}", ContentFile(data))
                    request.session[_session_key(price_list)] = {
                        "token": token,
                        "file_name": upload.name,
                        "encoding": encoding,
                    }
    return render(
        request,
        "catalog/price_list_import.html",
        {"record": price_list, "form": form, "preview": preview, "token": token},
    )


def _export_items(request: HttpRequest, price_list: PriceList):
    return (
        price_list_items_visible_to(request.user)
        .filter(price_list=price_list)
        .order_by("product__sku", "id")
    )


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    """Text a spreadsheet will not run as a formula (prices and quantities are never negative)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


@login_required
def price_list_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The list's prices as CSV (UTF-8 with BOM, for Excel) or XLSX; the file imports again."""
    price_list = _price_list_or_404(request, pk)
    headers = [str(header) for header in services.EXPORT_HEADERS]
    rows = [
        [_cell(value) for value in row]
        for row in services.price_list_export_rows(_export_items(request, price_list))
    ]
    stem = f"price-list-{price_list.pk}-{timezone.localdate().isoformat()}"
    if request.GET.get("format") == "xlsx":
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(
            re.sub(r"[\\/*?:\[\]]", " ", price_list.name)[:31] or "Prices"
        )
        sheet.append(headers)
        for row in rows:
            sheet.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        buffer.seek(0)
        return FileResponse(
            buffer,
            as_attachment=True,
            filename=f"{stem}.xlsx",
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow(headers)
    writer.writerows(rows)
    response = HttpResponse("\ufeff" + output.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{stem}.csv"'
    return response
