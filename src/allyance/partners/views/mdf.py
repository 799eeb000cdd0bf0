"""Web pages of marketing development funds: the ledger (with its export for accounting),
allocations, fund requests and claims with their expense invoice and proof."""

from __future__ import annotations

from dataclasses import replace

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
from allyance.core.editing import record_form_page
from allyance.core.exceptions import ConflictError
from allyance.core.forms import form_errors_from
from allyance.core.listing import Column, RecordList
from allyance.core.timeline import timeline_for
from allyance.core.visibility import get_visible_or_404, visible_to
from allyance.orders.views.billing_exports import spreadsheet_response
from allyance.partners.forms.mdf import (
    ClaimLineFormSet,
    DecisionForm,
    LeadsForm,
    LedgerQueryForm,
    MdfAllocationFilter,
    MdfAllocationForm,
    MdfClaimFilter,
    MdfClaimForm,
    MdfRequestFilter,
    MdfRequestForm,
    PassDownForm,
    PayForm,
    TierShareForm,
)
from allyance.partners.imports import ALLOCATIONS, import_url
from allyance.partners.models import MdfAllocation, MdfClaim, MdfRequest
from allyance.partners.selectors.mdf import (
    allocations_visible_to,
    claims_visible_to,
    ledger_totals,
    mdf_ledger,
    passed_down_from,
    requests_visible_to,
)
from allyance.partners.services import mdf as services

ALLOCATION_LIST = RecordList(
    selector=allocations_visible_to,
    filterset_class=MdfAllocationFilter,
    title=gettext_lazy("MDF allocations"),
    template="partners/mdf_allocation_list.html",
    columns=[
        Column("organisation", gettext_lazy("Partner"), link=True),
        Column("period_start", gettext_lazy("Period start"), sort="period_start"),
        Column("period_end", gettext_lazy("Period end")),
        Column("amount", gettext_lazy("Amount"), sort="amount"),
        Column("currency", gettext_lazy("Currency")),
        Column("source", gettext_lazy("Source")),
        Column("note", gettext_lazy("Note")),
    ],
    default_ordering="-period_start",
    create_url=reverse_lazy("partners:mdf-allocation-create"),
    # Funds change one at a time, through the rules of `allocation_save`.
    bulk_actions=(),
)

REQUEST_LIST = RecordList(
    selector=requests_visible_to,
    filterset_class=MdfRequestFilter,
    title=gettext_lazy("MDF requests"),
    template="partners/mdf_request_list.html",
    columns=[
        Column("activity_name", gettext_lazy("Activity"), link=True),
        Column("organisation", gettext_lazy("Partner")),
        Column("activity_type", gettext_lazy("Activity type")),
        Column("amount", gettext_lazy("Amount requested"), sort="amount"),
        Column("approved_amount", gettext_lazy("Amount approved")),
        Column("allocation__currency", gettext_lazy("Currency")),
        Column("status", gettext_lazy("Status")),
        Column("created_at", gettext_lazy("Submitted"), sort="created_at"),
    ],
    default_ordering="-created_at",
    create_url=reverse_lazy("partners:mdf-request-create"),
    bulk_actions=(),
)

CLAIM_LIST = RecordList(
    selector=claims_visible_to,
    filterset_class=MdfClaimFilter,
    title=gettext_lazy("MDF claims"),
    template="partners/mdf_claim_list.html",
    columns=[
        Column("invoice_number", gettext_lazy("Invoice number"), link=True),
        Column("organisation", gettext_lazy("Partner")),
        Column("request", gettext_lazy("Activity")),
        Column("invoice_date", gettext_lazy("Invoice date"), sort="invoice_date"),
        Column("amount", gettext_lazy("Amount claimed"), sort="amount"),
        Column("approved_amount", gettext_lazy("Amount approved")),
        Column("paid_amount", gettext_lazy("Amount paid")),
        Column("request__allocation__currency", gettext_lazy("Currency")),
        Column("status", gettext_lazy("Status")),
    ],
    default_ordering="-invoice_date",
    create_url=reverse_lazy("partners:mdf-claim-create"),
    bulk_actions=(),
)


def _list(request: HttpRequest, config: RecordList, *, may_create: bool) -> HttpResponse:
    """The list page, with the "New" button only for those who may create."""
    return replace(config, create_url=config.create_url if may_create else None).render(request)


# --- Ledger --------------------------------------------------------------------------------


def _ledger(request: HttpRequest):
    form = LedgerQueryForm(request.GET or None, user=request.user)
    if request.GET and not form.is_valid():
        return form, None
    data = form.cleaned_data if request.GET else {}
    rows = mdf_ledger(
        user=request.user,
        period_start=data.get("period_start"),
        period_end=data.get("period_end"),
        organisation=data.get("organisation"),
    )
    return form, rows


def ledger_chart(rows) -> dict | None:
    """Allocated, approved and paid per row, when the rows share one currency (amounts of
    different currencies are never drawn on one axis). Floats only for drawing."""
    if not rows or len({row.currency for row in rows}) != 1:
        return None
    return {
        "kind": "bar",
        "x": [f"{row.organisation.name} {row.period_start:%Y-%m}" for row in rows],
        "series": [
            {"name": str(label), "data": [float(getattr(row, name)) for row in rows]}
            for name, label in (
                ("allocated", _("Allocated")),
                ("approved", _("Approved")),
                ("paid", _("Paid")),
            )
        ],
    }


@login_required
def ledger(request: HttpRequest) -> HttpResponse:
    form, rows = _ledger(request)
    return render(
        request,
        "partners/mdf_ledger.html",
        {
            "form": form,
            "rows": rows,
            "totals": ledger_totals(rows) if rows is not None else [],
            # Two-tier funds only: the column is left out where nothing was passed down.
            "shows_passed_down": any(
                row.passed_down or row.parent_allocation_id for row in rows or ()
            ),
            "query_string": request.GET.urlencode(),
            "chart": ledger_chart(rows),
        },
        status=200 if rows is not None else 400,
    )


def ledger_rows(rows, totals) -> list[list]:
    """The ledger as spreadsheet rows: headers, one row per partner and period, totals."""
    table = [
        [
            _("Partner"),
            _("Period start"),
            _("Period end"),
            _("Currency"),
            _("Allocated"),
            _("Passed down"),
            _("Requested"),
            _("Approved"),
            _("Claimed"),
            _("Claims approved"),
            _("Paid"),
            _("Remaining"),
            _("Leads"),
            _("Won revenue"),
            _("ROI"),
        ]
    ]
    for row in rows:
        table.append(
            [
                row.organisation.name,
                row.period_start,
                row.period_end,
                row.currency,
                row.allocated,
                row.passed_down,
                row.requested,
                row.approved,
                row.claimed,
                row.claims_approved,
                row.paid,
                row.remaining,
                row.leads,
                row.revenue,
                row.roi,
            ]
        )
    for total in totals:
        table.append(
            [
                _("Total"),
                None,
                None,
                total.currency,
                total.allocated,
                total.passed_down,
                total.requested,
                total.approved,
                total.claimed,
                total.claims_approved,
                total.paid,
                total.remaining,
                total.leads,
                total.revenue,
                total.roi,
            ]
        )
    return table


@login_required
def ledger_export(request: HttpRequest) -> HttpResponse:
    form, rows = _ledger(request)
    if rows is None:
        return render(
            request,
            "partners/mdf_ledger.html",
            {"form": form, "rows": None, "totals": []},
            status=400,
        )
    return spreadsheet_response(
        ledger_rows(rows, ledger_totals(rows)),
        file_format=request.GET.get("format", "csv"),
        filename="mdf-ledger",
        sheet=_("MDF ledger"),
    )


# --- Allocations ---------------------------------------------------------------------------


@login_required
def allocation_list(request: HttpRequest) -> HttpResponse:
    config = replace(ALLOCATION_LIST, import_url=import_url(ALLOCATIONS, request.user))
    return _list(request, config, may_create=services.may_manage_mdf(request.user))


def _save_allocation(record, *, by, expected_version):
    if record.pk is None:
        record.source = MdfAllocation.Source.MANUAL
    return services.allocation_save(allocation=record, by=by, expected_version=expected_version)


def _may_manage_or_403(user, organisation=None) -> None:
    if not services.may_manage_mdf(user, organisation):
        raise PermissionDenied


@login_required
def allocation_create(request: HttpRequest) -> HttpResponse:
    _may_manage_or_403(request.user)
    initial = {}
    if request.GET.get("organisation", "").isdigit():
        initial["organisation"] = request.GET["organisation"][:18]
    try:
        return record_form_page(
            request,
            form_class=MdfAllocationForm,
            instance=MdfAllocation(),
            save=_save_allocation,
            title=_("New MDF allocation"),
            cancel_url=reverse("partners:mdf-allocation-list"),
            initial=initial,
        )
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return redirect(reverse("partners:mdf-allocation-list"))


@login_required
def allocation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    allocation = get_visible_or_404(request.user, allocations_visible_to(request.user), pk=pk)
    _may_manage_or_403(request.user, allocation.organisation)
    return record_form_page(
        request,
        form_class=MdfAllocationForm,
        instance=allocation,
        save=_save_allocation,
        title=_("Edit MDF allocation"),
        cancel_url=allocation.get_absolute_url(),
    )


def _allocation_page(
    request: HttpRequest, allocation: MdfAllocation, pass_down_form=None, status: int = 200
) -> HttpResponse:
    rows = mdf_ledger(user=request.user, organisation=allocation.organisation)
    rows = [row for row in rows if row.allocation_id == allocation.pk]
    may_pass_down = services.may_pass_down(request.user, allocation)
    if may_pass_down and pass_down_form is None:
        pass_down_form = PassDownForm(allocation=allocation)
    if pass_down_form is not None and not pass_down_form.fields["reseller"].queryset.exists():
        pass_down_form = None  # no active reseller below this partner
    return render(
        request,
        "partners/mdf_allocation_detail.html",
        {
            "record": allocation,
            "row": rows[0] if rows else None,
            "passed_down": list(passed_down_from(allocation)),
            "parent_visible": allocation.parent_allocation_id is not None
            and allocations_visible_to(request.user)
            .filter(pk=allocation.parent_allocation_id)
            .exists(),
            "pass_down_form": pass_down_form if may_pass_down else None,
            "requests": requests_visible_to(request.user).filter(allocation=allocation),
            "may_manage": services.may_manage_mdf(request.user, allocation.organisation),
            "may_request": services.may_submit_for(request.user, allocation.organisation_id),
            "left_to_ask": services.allocation_remaining(allocation),
            "timeline": timeline_for(
                allocation, activities=Activity.objects.none(), page=request.GET.get("timeline")
            ),
        },
        status=status,
    )


@login_required
def allocation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    allocation = get_visible_or_404(request.user, allocations_visible_to(request.user), pk=pk)
    return _allocation_page(request, allocation)


@login_required
@require_POST
def allocation_pass_down(request: HttpRequest, pk: int) -> HttpResponse:
    """A distributor (its admin, or the company) passes part of these funds to a reseller."""
    allocation = get_visible_or_404(request.user, allocations_visible_to(request.user), pk=pk)
    if not services.may_pass_down(request.user, allocation):
        raise PermissionDenied
    form = PassDownForm(request.POST, allocation=allocation)
    if form.is_valid():
        try:
            child = services.allocation_pass_down(
                allocation=allocation,
                reseller=form.cleaned_data["reseller"],
                amount=form.cleaned_data["amount"],
                note=form.cleaned_data.get("note", ""),
                by=request.user,
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(
                request,
                _("%(amount)s %(currency)s passed down to %(partner)s.")
                % {
                    "amount": form.cleaned_data["amount"],
                    "currency": child.currency,
                    "partner": child.organisation,
                },
            )
            return redirect(allocation.get_absolute_url())
    return _allocation_page(request, allocation, pass_down_form=form, status=400)


@login_required
def allocations_from_tier(request: HttpRequest) -> HttpResponse:
    """Allocate every partner its tier's share of last period's revenue, for a period."""
    _may_manage_or_403(request.user)
    form = TierShareForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.allocations_from_tier_share(
                period_start=form.cleaned_data["period_start"],
                period_end=form.cleaned_data["period_end"],
                by=request.user,
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(
                request,
                _("%(count)d partners received funds from their tier's share.")
                % {"count": len(created)},
            )
            return redirect(
                reverse("partners:mdf-allocation-list")
                + f"?period_from={form.cleaned_data['period_start']:%Y-%m-%d}"
            )
    return render(
        request,
        "partners/mdf_allocation_tier.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


# --- Requests ------------------------------------------------------------------------------


@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    return _list(request, REQUEST_LIST, may_create=request.user.is_partner)


@login_required
def request_create(request: HttpRequest) -> HttpResponse:
    if not request.user.is_partner:
        raise PermissionDenied
    initial = {}
    if request.GET.get("allocation", "").isdigit():
        initial["allocation"] = request.GET["allocation"][:18]
    form = MdfRequestForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if not k.startswith("cf_")}
        try:
            record = services.request_submit(
                by=request.user, custom_fields=custom_form_values(form), **data
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Request submitted."))
            return redirect(record.get_absolute_url())
    return render(
        request,
        "core/record_form.html",
        {
            "form": form,
            "title": _("Ask for MDF"),
            "cancel_url": reverse("partners:mdf-request-list"),
        },
        status=400 if request.method == "POST" else 200,
    )


def _request_page(
    request: HttpRequest, record: MdfRequest, *, decision=None, leads=None, status=200
):
    user = request.user
    may_manage = services.may_manage_mdf(user, record.organisation)
    may_submit = services.may_submit_for(user, record.organisation_id)
    submitted = record.status == MdfRequest.Status.SUBMITTED
    approved = record.status == MdfRequest.Status.APPROVED
    return render(
        request,
        "partners/mdf_request_detail.html",
        {
            "record": record,
            "currency": record.allocation.currency,
            "claims": claims_visible_to(user).filter(request=record),
            "leads": visible_to(user, record.leads.all()).order_by("family_name"),
            "may_decide": may_manage and submitted,
            "may_cancel": may_submit and submitted,
            "may_claim": may_submit and approved and services.request_claimable(record) > 0,
            "may_attribute": (may_submit or may_manage) and (submitted or approved),
            "left_to_ask": services.allocation_remaining(record.allocation, excluding=record),
            "claimable": services.request_claimable(record),
            "decision_form": decision
            or DecisionForm(initial={"amount": record.amount, "version": record.version}),
            "leads_form": leads
            or LeadsForm(
                user=user,
                request=record,
                initial={
                    "leads": list(visible_to(user, record.leads.all()).values_list("pk", flat=True))
                },
            ),
            "timeline": timeline_for(
                record, activities=Activity.objects.none(), page=request.GET.get("timeline")
            ),
        },
        status=status,
    )


@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_visible_or_404(request.user, requests_visible_to(request.user), pk=pk)
    return _request_page(request, record)


@login_required
@require_POST
def request_decide(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_visible_or_404(request.user, requests_visible_to(request.user), pk=pk)
    form = DecisionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["action"] == "approve":
                services.request_approve(
                    request=record,
                    amount=data.get("amount"),
                    reason=data.get("reason", ""),
                    by=request.user,
                    expected_version=data.get("version"),
                )
                messages.success(request, _("Request approved."))
            else:
                services.request_reject(
                    request=record,
                    reason=data.get("reason", ""),
                    by=request.user,
                    expected_version=data.get("version"),
                )
                messages.success(request, _("Request rejected."))
        except ValidationError as exc:
            form_errors_from(form, exc)
        except (PermissionDenied, ConflictError) as exc:
            form.add_error(None, str(exc))
        else:
            return redirect(record.get_absolute_url())
    record.refresh_from_db()
    return _request_page(request, record, decision=form, status=400)


@login_required
@require_POST
def request_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_visible_or_404(request.user, requests_visible_to(request.user), pk=pk)
    try:
        services.request_cancel(request=record, by=request.user)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, _("Request withdrawn."))
    return redirect(record.get_absolute_url())


@login_required
@require_POST
def request_leads(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_visible_or_404(request.user, requests_visible_to(request.user), pk=pk)
    form = LeadsForm(request.POST, user=request.user, request=record)
    if form.is_valid():
        try:
            services.request_attribute_leads(
                request=record, leads=form.cleaned_data["leads"], by=request.user
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Leads attributed."))
            return redirect(record.get_absolute_url())
    return _request_page(request, record, leads=form, status=400)


# --- Claims --------------------------------------------------------------------------------


@login_required
def claim_list(request: HttpRequest) -> HttpResponse:
    return _list(request, CLAIM_LIST, may_create=request.user.is_partner)


@login_required
def claim_create(request: HttpRequest) -> HttpResponse:
    """Claim approved funds with the expense invoice's lines; proof is attached next."""
    if not request.user.is_partner:
        raise PermissionDenied
    initial = {"invoice_date": timezone.localdate()}
    if request.GET.get("request", "").isdigit():
        initial["request"] = request.GET["request"][:18]
    form = MdfClaimForm(request.POST or None, user=request.user, initial=initial)
    lines = ClaimLineFormSet(request.POST or None, prefix="lines")
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        data = form.cleaned_data
        try:
            claim = services.claim_submit(
                request=data["request"],
                invoice_number=data["invoice_number"],
                invoice_date=data["invoice_date"],
                lines=[line for line in (f.line() for f in lines.forms) if line is not None],
                custom_fields=custom_form_values(form),
                by=request.user,
            )
        except ValidationError as exc:
            for key, errors in exc.message_dict.items():
                if key.startswith("line_") and key[5:].isdigit():
                    # The service counts the filled lines; point at the matching form.
                    filled = [f for f in lines.forms if f.line() is not None]
                    index = int(key[5:]) - 1
                    if index < len(filled):
                        filled[index].add_error("amount", errors)
                        continue
                form.add_error(key if key in form.fields else None, errors)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Claim submitted. Attach the proof: receipts, photos."))
            return redirect(claim.get_absolute_url())
    return render(
        request,
        "partners/mdf_claim_form.html",
        {"form": form, "lines": lines},
        status=400 if request.method == "POST" else 200,
    )


def _claim_page(request: HttpRequest, claim: MdfClaim, *, decision=None, pay=None, status=200):
    user = request.user
    may_manage = services.may_manage_mdf(user, claim.organisation)
    return render(
        request,
        "partners/mdf_claim_detail.html",
        {
            "record": claim,
            "currency": claim.request.allocation.currency,
            "lines": claim.lines.all(),
            "has_proof": services.claim_has_proof(claim),
            "may_decide": may_manage and claim.status == MdfClaim.Status.SUBMITTED,
            "may_pay": may_manage and claim.status == MdfClaim.Status.APPROVED,
            "decision_form": decision
            or DecisionForm(initial={"amount": claim.amount, "version": claim.version}),
            "pay_form": pay
            or PayForm(initial={"paid_on": timezone.localdate(), "version": claim.version}),
            "timeline": timeline_for(
                claim, activities=Activity.objects.none(), page=request.GET.get("timeline")
            ),
        },
        status=status,
    )


@login_required
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_visible_or_404(request.user, claims_visible_to(request.user), pk=pk)
    return _claim_page(request, claim)


@login_required
@require_POST
def claim_decide(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_visible_or_404(request.user, claims_visible_to(request.user), pk=pk)
    form = DecisionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["action"] == "approve":
                services.claim_approve(
                    claim=claim,
                    amount=data.get("amount"),
                    reason=data.get("reason", ""),
                    by=request.user,
                    expected_version=data.get("version"),
                )
                messages.success(request, _("Claim approved."))
            else:
                services.claim_reject(
                    claim=claim,
                    reason=data.get("reason", ""),
                    by=request.user,
                    expected_version=data.get("version"),
                )
                messages.success(request, _("Claim rejected."))
        except ValidationError as exc:
            form_errors_from(form, exc)
        except (PermissionDenied, ConflictError) as exc:
            form.add_error(None, str(exc))
        else:
            return redirect(claim.get_absolute_url())
    claim.refresh_from_db()
    return _claim_page(request, claim, decision=form, status=400)


@login_required
@require_POST
def claim_pay(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_visible_or_404(request.user, claims_visible_to(request.user), pk=pk)
    form = PayForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.claim_pay(
                claim=claim,
                paid_on=data["paid_on"],
                reference=data.get("reference", ""),
                by=request.user,
                expected_version=data.get("version"),
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        except (PermissionDenied, ConflictError) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Payment recorded."))
            return redirect(claim.get_absolute_url())
    claim.refresh_from_db()
    return _claim_page(request, claim, pay=form, status=400)


@login_required
def claim_invoice(request: HttpRequest, pk: int) -> HttpResponse:
    """The claim's expense invoice as a page that prints on one sheet."""
    claim = get_visible_or_404(request.user, claims_visible_to(request.user), pk=pk)
    from allyance.core.models import Organisation

    return render(
        request,
        "partners/mdf_claim_invoice.html",
        {
            "record": claim,
            "currency": claim.request.allocation.currency,
            "lines": claim.lines.all(),
            "company": Organisation.company(),
        },
    )
