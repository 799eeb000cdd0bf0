"""Web pages for commissions: my statement, all reps' totals, exports, and plan administration."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from openpyxl import Workbook

from allyance.core.forms import form_errors_from
from allyance.core.models import Role
from allyance.sales.forms.commissions import (
    CommissionPlanForm,
    CommissionTierFormSet,
    StatementQueryForm,
)
from allyance.sales.models import CommissionPlan
from allyance.sales.selectors.commissions import (
    commission_plans_visible_to,
    commission_statement_for,
    commission_totals,
    plans_of,
)
from allyance.sales.services.commissions import (
    CommissionStatement,
    commission_plan_save,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _staff_only(request: HttpRequest) -> None:
    if not request.user.is_internal:
        raise PermissionDenied


def _may_see_team(user) -> bool:
    return user.is_admin or user.role == Role.SALES_MANAGER


def _query(request: HttpRequest, *, plans=None) -> StatementQueryForm:
    """The plan/period/rep form, filled with defaults when the page opens."""
    form_plans = plans if plans is not None else commission_plans_visible_to(request.user)
    data = request.GET.copy()
    if not data.get("plan"):
        first = form_plans.filter(is_active=True).first()
        if first is not None:
            data["plan"] = str(first.pk)
    if not data.get("period_start"):
        plan = (
            form_plans.filter(pk=data.get("plan")).first()
            if data.get("plan", "").isdigit()
            else None
        )
        data["period_start"] = StatementQueryForm.current_period_start(plan).isoformat()
    return StatementQueryForm(data, viewer=request.user, plans=form_plans)


def _statement_from(request: HttpRequest, form: StatementQueryForm) -> CommissionStatement | None:
    if not form.is_valid():
        return None
    plan = form.cleaned_data["plan"]
    user = form.cleaned_data.get("user")
    if user is None:
        user = request.user
        if _may_see_team(request.user) and not plan.users.filter(pk=user.pk).exists():
            # A manager who is not on the plan opens it at the first rep they may see.
            user = (
                form.fields["user"].queryset.filter(commission_plans=plan).first() or request.user
            )
    try:
        return commission_statement_for(
            viewer=request.user,
            user=user,
            plan=plan,
            period_start=form.cleaned_data["period_start"],
        )
    except ValidationError as exc:
        form_errors_from(form, exc)
        return None


@login_required
def commission_statement(request: HttpRequest) -> HttpResponse:
    """My statement for a period (managers may pick a rep of their teams)."""
    _staff_only(request)
    plans = None if _may_see_team(request.user) else plans_of(request.user)
    form = _query(request, plans=plans)
    statement = _statement_from(request, form)
    return render(
        request,
        "sales/commission_statement.html",
        {
            "form": form,
            "statement": statement,
            "may_see_team": _may_see_team(request.user),
            "query_string": request.GET.urlencode(),
        },
    )


@login_required
def commission_team(request: HttpRequest) -> HttpResponse:
    """Every rep's totals on a plan for a period, within the viewer's scope."""
    _staff_only(request)
    if not _may_see_team(request.user):
        raise PermissionDenied
    form = _query(request)
    form.fields.pop("user")
    statements = (
        commission_totals(
            viewer=request.user,
            plan=form.cleaned_data["plan"],
            period_start=form.cleaned_data["period_start"],
        )
        if form.is_valid()
        else None
    )
    return render(
        request,
        "sales/commission_team.html",
        {
            "form": form,
            "statements": statements,
            "total_commission": sum((s.total_commission for s in statements or []), Decimal(0)),
            "query_string": request.GET.urlencode(),
        },
    )


# ------------------------------------------------------------------------------ export


def _text(value) -> str:
    """Text a spreadsheet will not take for a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text


def statement_rows(statement: CommissionStatement) -> list[list]:
    """A statement as rows: heading, one line per deal, the total, then excluded deals."""
    rows: list[list] = [
        [_("Rep"), _text(statement.user)],
        [_("Plan"), _text(statement.plan)],
        [_("Period"), statement.period_start, statement.last_day],
        [_("Target"), statement.target_amount],
        [_("Attainment (%)"), statement.attainment],
        [],
        [
            _("Date"),
            _("Opportunity"),
            _("Account"),
            _("Amount"),
            _("Currency"),
            _("Rate (%)"),
            _("Commission"),
        ],
    ]
    for line in statement.lines:
        rows.append(
            [
                line.closed_on,
                _text(line.deal.name),
                _text(line.deal.account or ""),
                line.amount,
                line.deal.currency,
                line.rate,
                line.commission,
            ]
        )
    rows.append(
        [
            _("Total"),
            "",
            "",
            statement.total_amount,
            statement.plan.currency,
            "",
            statement.total_commission,
        ]
    )
    if statement.excluded:
        rows += [
            [],
            [_("Excluded")],
            [_("Date"), _("Opportunity"), _("Amount"), _("Currency"), _("Reason")],
        ]
        for item in statement.excluded:
            rows.append(
                [item.closed_on, _text(item.deal.name), item.amount, item.currency, item.reason]
            )
    for note in statement.notes:
        rows.append([_("Note"), note])
    return rows


def totals_rows(statements: list[CommissionStatement]) -> list[list]:
    """All reps' totals for one plan and period, and the grand total."""
    rows: list[list] = [
        [
            _("Rep"),
            _("Won amount"),
            _("Currency"),
            _("Target"),
            _("Attainment (%)"),
            _("Commission"),
            _("Excluded deals"),
        ]
    ]
    for statement in statements:
        rows.append(
            [
                _text(statement.user),
                statement.total_amount,
                statement.plan.currency,
                statement.target_amount,
                statement.attainment,
                statement.total_commission,
                len(statement.excluded),
            ]
        )
    rows.append(
        [
            _("Total"),
            sum((s.total_amount for s in statements), Decimal("0.00")),
            statements[0].plan.currency if statements else "",
            "",
            "",
            sum((s.total_commission for s in statements), Decimal("0.00")),
            sum(len(s.excluded) for s in statements),
        ]
    )
    return rows


def _download(rows: list[list], *, file_format: str, filename: str, sheet: str) -> HttpResponse:
    if file_format == "xlsx":
        workbook = Workbook()
        worksheet = workbook.active
        worksheet.title = sheet[:31]
        for row in rows:
            worksheet.append(["" if value is None else value for value in row])
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = HttpResponse(buffer.getvalue(), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
        return response
    buffer = io.StringIO()
    buffer.write("\ufeff")  # Excel reads UTF-8 (Chinese names) only with the BOM
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


@login_required
def commission_export(request: HttpRequest) -> HttpResponse:
    """`?kind=statement|team&format=csv|xlsx` with the same plan/period/rep as the page."""
    _staff_only(request)
    kind = request.GET.get("kind", "statement")
    file_format = request.GET.get("format", "csv")
    if kind not in ("statement", "team") or file_format not in ("csv", "xlsx"):
        raise Http404
    if kind == "team":
        if not _may_see_team(request.user):
            raise PermissionDenied
        form = _query(request)
        if not form.is_valid():
            raise Http404
        plan, start = form.cleaned_data["plan"], form.cleaned_data["period_start"]
        statements = commission_totals(viewer=request.user, plan=plan, period_start=start)
        return _download(
            totals_rows(statements),
            file_format=file_format,
            filename=f"commissions-{plan.pk}-{start:%Y-%m}",
            sheet=_("Totals"),
        )
    plans = None if _may_see_team(request.user) else plans_of(request.user)
    form = _query(request, plans=plans)
    statement = _statement_from(request, form)
    if statement is None:
        raise Http404
    return _download(
        statement_rows(statement),
        file_format=file_format,
        filename=f"commission-{statement.user.username}-{statement.period_start:%Y-%m}",
        sheet=_("Statement"),
    )


# ------------------------------------------------------------------------------ plans


@login_required
def commission_plan_list(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    plans = commission_plans_visible_to(request.user).annotate(rep_count=Count("users"))
    return render(request, "sales/commission_plan_list.html", {"plans": plans})


def _plan_form_page(request: HttpRequest, plan: CommissionPlan, title: str) -> HttpResponse:
    if not request.user.is_admin:
        raise PermissionDenied
    form = CommissionPlanForm(request.POST or None, instance=plan)
    tiers = CommissionTierFormSet(request.POST or None, instance=plan, prefix="tiers")
    if request.method == "POST" and form.is_valid() and tiers.is_valid():
        rows = [
            {"from_attainment": f.cleaned_data["from_attainment"], "rate": f.cleaned_data["rate"]}
            for f in tiers.forms
            if f.cleaned_data
            and not f.cleaned_data.get("DELETE")
            and f.cleaned_data.get("from_attainment") is not None
            and f.cleaned_data.get("rate") is not None
        ]
        try:
            commission_plan_save(
                plan=form.save(commit=False),
                by=request.user,
                tiers=rows,
                users=list(form.cleaned_data["users"]),
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("sales:commission-plan-list")
    return render(
        request,
        "sales/commission_plan_form.html",
        {"form": form, "tiers": tiers, "title": title, "plan": plan},
    )


@login_required
def commission_plan_create(request: HttpRequest) -> HttpResponse:
    return _plan_form_page(request, CommissionPlan(), _("New commission plan"))


@login_required
def commission_plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    plan = get_object_or_404(commission_plans_visible_to(request.user), pk=pk)
    if not request.user.is_admin:
        return redirect(reverse("sales:commission-plan-list"))
    return _plan_form_page(request, plan, _("Edit %(name)s") % {"name": plan})
