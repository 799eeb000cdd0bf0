"""Web pages of the service app: the case list with export, entry, the case page and its moves."""

from __future__ import annotations

import dataclasses

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
from allyance.core.custom_fields.export import CustomFieldColumns
from allyance.core.editing import record_form_page
from allyance.core.exceptions import ConflictError
from allyance.core.forms import form_errors_from
from allyance.core.listing import Column, RecordList
from allyance.core.timeline import timeline_for
from allyance.core.visibility import get_visible_or_404
from allyance.orders.views.billing_exports import spreadsheet_response
from allyance.service import services
from allyance.service.filters import CaseFilter
from allyance.service.forms import CaseForm, CaseMoveForm
from allyance.service.models import Case
from allyance.service.selectors import cases_visible_to

CASE_LIST = RecordList(
    selector=cases_visible_to,
    filterset_class=CaseFilter,
    title=gettext_lazy("Service and warranty requests"),
    columns=[
        Column("number", gettext_lazy("Number"), sort="number", link=True),
        Column("kind", gettext_lazy("Kind")),
        Column("subject", gettext_lazy("Subject"), link=True),
        Column("account", gettext_lazy("Account")),
        Column("product", gettext_lazy("Product")),
        Column("serial_number", gettext_lazy("Serial number")),
        Column("warranty_valid", gettext_lazy("Under warranty")),
        Column("status", gettext_lazy("Status"), sort="status"),
        Column("updated_at", gettext_lazy("Updated"), sort="updated_at"),
    ],
    default_ordering="-updated_at",
    create_url=reverse_lazy("service:case-create"),
    export_url=reverse_lazy("service:case-export"),
    # Deleting in bulk would go around the case rules; owners may be reassigned.
    bulk_actions=("assign_owner",),
)


def _list_for(user) -> RecordList:
    """Staff export the list; partners read their cases; portal customers open none here."""
    changes = {}
    if not user.is_internal:
        changes["export_url"] = None
    if user.is_customer:
        changes.update(create_url=None, bulk_actions=())
    return dataclasses.replace(CASE_LIST, **changes) if changes else CASE_LIST


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    return _list_for(request.user).render(request)


@login_required
def case_export(request: HttpRequest) -> HttpResponse:
    """The list's cases (same filters and search, through the gate) as CSV or XLSX; staff only."""
    if not request.user.is_internal:
        raise PermissionDenied
    _filterset, queryset = CASE_LIST.queryset(request)
    custom = CustomFieldColumns(Case)
    rows = [
        [
            _("Number"),
            _("Kind"),
            _("Status"),
            _("Subject"),
            _("Account"),
            _("Product"),
            _("Serial number"),
            _("Purchase date"),
            _("Order"),
            _("Under warranty"),
            _("Warranty until"),
            _("Opened"),
            _("Resolved"),
            _("Resolution"),
            _("Owner"),
            _("Partner"),
            *custom.headers(),
        ]
    ]
    for case in (
        queryset.select_related("organisation").order_by("-created_at", "-id").iterator(2000)
    ):
        rows.append(
            [
                case.number,
                str(case.get_kind_display()),
                str(case.get_status_display()),
                case.subject,
                case.account.name if case.account_id else "",
                case.product.sku if case.product_id else "",
                case.serial_number,
                case.purchase_date,
                case.order.number if case.order_id else "",
                ""
                if case.warranty_valid is None
                else (_("Yes") if case.warranty_valid else _("No")),
                case.warranty_until,
                timezone.localtime(case.created_at).strftime("%Y-%m-%d %H:%M"),
                timezone.localtime(case.resolved_at).strftime("%Y-%m-%d %H:%M")
                if case.resolved_at
                else "",
                case.resolution,
                case.owner.username if case.owner_id else "",
                case.organisation.name if not case.organisation.is_company else "",
                *custom.values(case),
            ]
        )
    return spreadsheet_response(
        rows, file_format=request.GET.get("format", "csv"), filename="cases", sheet=_("Cases")
    )


def _save(record, *, by, expected_version):
    return services.case_save(case=record, by=by, expected_version=expected_version)


@login_required
def case_create(request: HttpRequest) -> HttpResponse:
    if request.user.is_customer:
        raise PermissionDenied
    initial = {}
    for name in ("account", "order", "product", "contact"):
        if request.GET.get(name, "").isdigit():
            initial[name] = request.GET[name]
    if request.GET.get("kind") in Case.Kind.values:
        initial["kind"] = request.GET["kind"]
    return record_form_page(
        request,
        form_class=CaseForm,
        instance=Case(),
        save=_save,
        title=_("New service or warranty request"),
        cancel_url=reverse("service:case-list"),
        initial=initial,
    )


def _visible_case(request: HttpRequest, pk: int) -> Case:
    return get_visible_or_404(request.user, cases_visible_to(request.user), pk=pk)


@login_required
def case_edit(request: HttpRequest, pk: int) -> HttpResponse:
    case = _visible_case(request, pk)
    if request.user.is_customer:
        raise PermissionDenied
    if case.status in services.FINAL:
        messages.error(request, _("A rejected or closed case cannot be changed."))
        return redirect(case.get_absolute_url())
    return record_form_page(
        request,
        form_class=CaseForm,
        instance=case,
        save=_save,
        title=_("Edit case %(number)s") % {"number": case.number},
        cancel_url=case.get_absolute_url(),
    )


def _detail(request: HttpRequest, case: Case, *, move_form=None, status: int = 200):
    user = request.user
    moves = [(to, Case.Status(to).label) for to in services.moves_for(user, case)]
    return render(
        request,
        "service/case_detail.html",
        {
            "record": case,
            "moves": moves if not user.is_customer else [],
            "may_edit": not user.is_customer and case.status not in services.FINAL,
            "move_form": move_form or CaseMoveForm(initial={"version": case.version}),
            "timeline": timeline_for(
                case,
                activities=Activity.objects.none(),
                user=user,
                page=request.GET.get("timeline"),
            ),
        },
        status=status,
    )


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _visible_case(request, pk))


@login_required
@require_POST
def case_move(request: HttpRequest, pk: int) -> HttpResponse:
    case = _visible_case(request, pk)
    form = CaseMoveForm(request.POST)
    if form.is_valid():
        try:
            services.case_move(
                case=case,
                to=form.cleaned_data["to"],
                by=request.user,
                resolution=form.cleaned_data["resolution"],
                expected_version=form.cleaned_data.get("version"),
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        except (PermissionDenied, ConflictError) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Case updated."))
            return redirect(case.get_absolute_url())
    case.refresh_from_db()
    return _detail(request, case, move_form=form, status=400)
