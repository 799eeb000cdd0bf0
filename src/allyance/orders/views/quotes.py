"""Web pages for quotes: list, approvals, detail with the status actions, header and lines."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from allyance.activities.models import Activity
from allyance.catalog.models import Product
from allyance.core.editing import record_form_page
from allyance.core.exceptions import ConflictError
from allyance.core.forms import form_errors_from
from allyance.core.listing import Column, RecordList
from allyance.core.timeline import timeline_for
from allyance.core.visibility import visible_to
from allyance.customers.models import Account, Contact
from allyance.orders.filters.quotes import QuoteFilter
from allyance.orders.forms.quotes import (
    QuoteActionForm,
    QuoteCreateForm,
    QuoteEditForm,
    QuoteLineEditForm,
    QuoteLineForm,
)
from allyance.orders.models import Quote, QuoteLine
from allyance.orders.selectors.quotes import (
    quotes_awaiting_approval_by,
    quotes_visible_to,
    revisions_of,
)
from allyance.orders.services import quotes as services
from allyance.sales.models import Opportunity

COLUMNS = [
    Column("number", gettext_lazy("Number"), sort="number", link=True),
    Column("revision", gettext_lazy("Revision")),
    Column("title", gettext_lazy("Title")),
    Column("account", gettext_lazy("Account")),
    Column("status", gettext_lazy("Status")),
    Column("total", gettext_lazy("Total"), sort="total"),
    Column("currency", gettext_lazy("Currency")),
    Column("valid_until", gettext_lazy("Valid until"), sort="valid_until"),
    Column("owner", gettext_lazy("Owner")),
    Column("updated_at", gettext_lazy("Updated"), sort="updated_at"),
]

QUOTE_LIST = RecordList(
    selector=quotes_visible_to,
    filterset_class=QuoteFilter,
    title=gettext_lazy("Quotes"),
    columns=COLUMNS,
    default_ordering="-updated_at",
    create_url=reverse_lazy("orders:quote-create"),
    export_url=reverse_lazy("orders:quote-export"),
    # Bulk changes would go around the approval rules; quotes change one at a time.
    bulk_actions=(),
)

APPROVAL_LIST = RecordList(
    selector=quotes_awaiting_approval_by,
    filterset_class=QuoteFilter,
    title=gettext_lazy("Quotes to approve"),
    columns=COLUMNS,
    default_ordering="-updated_at",
    bulk_actions=(),
)

SUCCESS = {
    "request_approval": gettext_lazy("Approval requested."),
    "approve": gettext_lazy("Quote approved."),
    "decline_approval": gettext_lazy("Discount declined; the quote is a draft again."),
    "mark_sent": gettext_lazy("Quote marked as sent."),
    "accept": gettext_lazy("Quote accepted."),
    "reject": gettext_lazy("Quote rejected."),
    "revise": gettext_lazy("New revision started."),
}


def _latest_by_default(request: HttpRequest) -> None:
    """The list shows the latest revision of each quote unless asked for all of them."""
    if "revisions" not in request.GET:
        request.GET = request.GET.copy()
        request.GET["revisions"] = "latest"


@login_required
def quote_list(request: HttpRequest) -> HttpResponse:
    _latest_by_default(request)
    return QUOTE_LIST.render(request)


@login_required
def quote_approval_list(request: HttpRequest) -> HttpResponse:
    """Quotes pending approval that this user may approve (sales managers, administrators)."""
    return APPROVAL_LIST.render(request)


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
def quote_export(request: HttpRequest) -> HttpResponse:
    """The list page's quotes (filters, search, gate) as CSV or Excel."""
    _latest_by_default(request)
    file_format = request.GET.get("format", "csv")
    if file_format not in ("csv", "xlsx"):
        return HttpResponseBadRequest(_("Choose the format csv or xlsx."))
    _filterset, queryset = QUOTE_LIST.queryset(request)
    ordering = QUOTE_LIST.ordering(request)
    queryset = queryset.order_by(ordering, "-id" if ordering.startswith("-") else "id")
    headers = [
        _("Number"),
        _("Revision"),
        _("Title"),
        _("Account"),
        _("Status"),
        _("Currency"),
        _("Subtotal"),
        _("Discount"),
        _("Tax"),
        _("Total"),
        _("Valid until"),
        _("Owner"),
        _("Created"),
    ]

    def row(quote: Quote) -> list[str]:
        return [
            quote.number,
            str(quote.revision),
            _spreadsheet_safe(quote.title),
            _spreadsheet_safe(quote.account.name if quote.account_id else ""),
            str(quote.get_status_display()),
            quote.currency,
            str(quote.subtotal),
            str(quote.discount_total),
            str(quote.tax_total),
            str(quote.total),
            quote.valid_until.isoformat() if quote.valid_until else "",
            quote.owner.username if quote.owner_id else "",
            timezone.localtime(quote.created_at).strftime("%Y-%m-%d %H:%M"),
        ]

    name = f"quotes-{timezone.localdate().isoformat()}"
    if file_format == "xlsx":
        import tempfile

        from django.http import FileResponse
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(str(_("Quotes"))[:31])
        sheet.append(headers)
        for quote in queryset.iterator(chunk_size=1000):
            sheet.append(row(quote))
        spool = tempfile.SpooledTemporaryFile(max_size=16 * 2**20)  # noqa: SIM115
        workbook.save(spool)
        spool.seek(0)
        return FileResponse(
            spool,
            as_attachment=True,
            filename=f"{name}.xlsx",
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )

    def lines():
        writer = csv.writer(_Echo())
        yield "\ufeff" + writer.writerow(headers)
        for quote in queryset.iterator(chunk_size=1000):
            yield writer.writerow(row(quote))

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def _spreadsheet_safe(text: str) -> str:
    """Text a spreadsheet will not run as a formula."""
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text


def _detail(request: HttpRequest, quote: Quote, *, action_form=None, status=200) -> HttpResponse:
    user = request.user
    actions = services.allowed_actions(user, quote)
    lines = list(quote.lines.select_related("product").order_by("position", "id"))
    return render(
        request,
        "orders/quote_detail.html",
        {
            "record": quote,
            "lines": lines,
            "actions": actions,
            "may_edit": "edit" in actions,
            "needs_approval": services.needs_approval(quote),
            "threshold": services.approval_threshold(),
            "revisions": revisions_of(user, quote),
            "action_form": action_form or QuoteActionForm(),
            "timeline": timeline_for(
                quote, activities=Activity.objects.none(), page=request.GET.get("timeline")
            ),
            "expired_validity": quote.valid_until is not None
            and quote.valid_until < timezone.localdate(),
        },
        status=status,
    )


def _get(request: HttpRequest, pk: int) -> Quote:
    # The selector is the gate plus the quotes waiting for this user's approval; gating it
    # again would hide those from an approver outside the owner's scope.
    return get_object_or_404(quotes_visible_to(request.user), pk=pk)


@login_required
def quote_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _get(request, pk))


ACTIONS = {
    "request_approval": lambda quote, by, data, version: services.quote_request_approval(
        quote=quote, by=by, expected_version=version
    ),
    "approve": lambda quote, by, data, version: services.quote_approve(
        quote=quote, by=by, comment=data["comment"], expected_version=version
    ),
    "decline_approval": lambda quote, by, data, version: services.quote_decline_approval(
        quote=quote, by=by, comment=data["comment"], expected_version=version
    ),
    "mark_sent": lambda quote, by, data, version: services.quote_mark_sent(
        quote=quote, by=by, expected_version=version
    ),
    "accept": lambda quote, by, data, version: services.quote_accept(
        quote=quote, by=by, mark_won=data["mark_won"], expected_version=version
    ),
    "reject": lambda quote, by, data, version: services.quote_reject(
        quote=quote, by=by, reason=data["reason"], expected_version=version
    ),
    "revise": lambda quote, by, data, version: services.quote_revise(
        quote=quote, by=by, expected_version=version
    ),
}


@login_required
@require_POST
def quote_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Run one status action; a refusal shows its message on the quote page."""
    quote = _get(request, pk)
    form = QuoteActionForm(request.POST)
    if form.is_valid():
        name = form.cleaned_data["action"]
        try:
            result = ACTIONS[name](
                quote, request.user, form.cleaned_data, form.cleaned_data.get("version")
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in ("comment", "reason") else None, errors)
            else:
                form.add_error(None, exc.messages)
        except (PermissionDenied, ConflictError) as exc:
            form.add_error(None, str(exc) or _("You may not do this."))
        else:
            messages.success(request, str(SUCCESS[name]))
            if not quotes_visible_to(request.user).filter(pk=result.pk).exists():
                # An approver outside the owner's scope who declined no longer sees the quote.
                return redirect("orders:quote-approval-list")
            return redirect(result.get_absolute_url())
    quote.refresh_from_db()
    return _detail(request, quote, action_form=form, status=400)


def _save(record, *, by, expected_version):
    return services.quote_save(quote=record, by=by, expected_version=expected_version)


@login_required
def quote_create(request: HttpRequest) -> HttpResponse:
    """A new quote; `?opportunity=` or `?account=` fills in the account, contact and currency."""
    initial: dict = {}
    user = request.user
    opportunity_id = request.GET.get("opportunity", "")
    account_id = request.GET.get("account", "")
    if opportunity_id.isdigit():
        deal = visible_to(user, Opportunity.objects.all()).filter(pk=opportunity_id).first()
        if deal is not None:
            initial.update(
                opportunity=deal.pk,
                account=deal.account_id,
                currency=deal.currency,
                title=deal.name,
            )
            contact_link = deal.contact_roles.select_related("contact").first()
            if contact_link is not None:
                initial["contact"] = contact_link.contact_id
    elif account_id.isdigit():
        account = visible_to(user, Account.objects.all()).filter(pk=account_id).first()
        if account is not None:
            initial["account"] = account.pk
            contact = visible_to(user, Contact.objects.filter(account=account)).first()
            if contact is not None:
                initial["contact"] = contact.pk
    return record_form_page(
        request,
        form_class=QuoteCreateForm,
        instance=Quote(),
        save=_save,
        title=_("New quote"),
        cancel_url=reverse("orders:quote-list"),
        initial=initial,
    )


@login_required
def quote_edit(request: HttpRequest, pk: int) -> HttpResponse:
    quote = _get(request, pk)
    if not services.may_edit(request.user, quote):
        messages.error(request, _("This quote can no longer be changed; revise it instead."))
        return redirect(quote.get_absolute_url())
    return record_form_page(
        request,
        form_class=QuoteEditForm,
        instance=quote,
        save=_save,
        title=_("Edit quote %(quote)s") % {"quote": quote},
        cancel_url=quote.get_absolute_url(),
    )


@login_required
def quote_line_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a line: choose a product (its options then appear) or describe a free-text line."""
    quote = _get(request, pk)
    if not services.may_edit(request.user, quote):
        messages.error(request, _("This quote can no longer be changed; revise it instead."))
        return redirect(quote.get_absolute_url())
    products = visible_to(request.user, Product.objects.filter(active=True))
    product_id = request.POST.get("product") or request.GET.get("product") or ""
    product = products.filter(pk=product_id).first() if product_id.isdigit() else None
    data = request.POST if request.method == "POST" else None
    form = QuoteLineForm(data, user=request.user, product=product)
    if request.method == "GET":
        form.initial["version"] = quote.version
    # A product changed on the form (without JavaScript: the "Show options" button).
    choosing = request.method == "POST" and "choose" in request.POST
    if request.method == "POST" and not choosing and form.is_valid():
        chosen = form.cleaned_data["product"]
        if chosen is not None and (product is None or chosen.pk != product.pk):
            choosing = True
        else:
            try:
                services.quote_line_add(
                    quote=quote,
                    by=request.user,
                    quantity=form.cleaned_data["quantity"],
                    product=chosen,
                    option_value_ids=form.option_value_ids(),
                    discount_percent=form.cleaned_data.get("discount_percent") or 0,
                    description=form.cleaned_data.get("description") or "",
                    unit_price=form.cleaned_data.get("unit_price"),
                    tax_rate=form.cleaned_data.get("tax_rate"),
                    expected_version=form.cleaned_data.get("version"),
                )
            except ValidationError as exc:
                form_errors_from(form, exc)
            except (ConflictError, PermissionDenied) as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Line added."))
                return redirect(quote.get_absolute_url())
    if choosing:
        form = QuoteLineForm(
            initial={
                "product": product.pk if product else None,
                "quantity": request.POST.get("quantity") or 1,
                "discount_percent": request.POST.get("discount_percent") or 0,
                "version": request.POST.get("version") or quote.version,
            },
            user=request.user,
            product=product,
        )
    return render(
        request,
        "orders/quote_line_form.html",
        {"record": quote, "form": form, "product": product},
        status=400 if request.method == "POST" and form.errors else 200,
    )


def _line(request: HttpRequest, pk: int, line_pk: int) -> tuple[Quote, QuoteLine]:
    quote = _get(request, pk)
    line = quote.lines.filter(pk=line_pk).first()
    if line is None:
        from django.http import Http404

        raise Http404
    return quote, line


@login_required
def quote_line_edit(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    quote, line = _line(request, pk, line_pk)
    if not services.may_edit(request.user, quote):
        messages.error(request, _("This quote can no longer be changed; revise it instead."))
        return redirect(quote.get_absolute_url())
    form = QuoteLineEditForm(
        request.POST or None,
        initial={
            "quantity": line.quantity,
            "discount_percent": line.discount_percent,
            "version": quote.version,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.quote_line_update(
                line=line,
                by=request.user,
                quantity=form.cleaned_data["quantity"],
                discount_percent=form.cleaned_data["discount_percent"],
                expected_version=form.cleaned_data.get("version"),
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        except (ConflictError, PermissionDenied) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Line changed."))
            return redirect(quote.get_absolute_url())
    return render(
        request,
        "orders/quote_line_edit.html",
        {"record": quote, "line": line, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def quote_line_remove(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    quote, line = _line(request, pk, line_pk)
    version = request.POST.get("version", "")
    try:
        services.quote_line_remove(
            line=line,
            by=request.user,
            expected_version=int(version) if version.isdigit() else None,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except (ConflictError, PermissionDenied) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Line removed."))
    return redirect(quote.get_absolute_url())
