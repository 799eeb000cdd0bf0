"""Web pages for sales expenses: the list (mine / to approve), detail with the decision, form."""

from __future__ import annotations

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
from allyance.core.editing import record_form_page
from allyance.core.exceptions import ConflictError
from allyance.core.listing import Column, RecordList
from allyance.core.timeline import timeline_for
from allyance.core.visibility import get_visible_or_404
from allyance.sales.filters.expenses import ExpenseFilter
from allyance.sales.forms.expenses import ExpenseDecisionForm, ExpenseForm
from allyance.sales.models import Expense
from allyance.sales.selectors.expenses import expenses_visible_to
from allyance.sales.services import expenses as services

EXPENSE_LIST = RecordList(
    selector=expenses_visible_to,
    filterset_class=ExpenseFilter,
    title=gettext_lazy("Expenses"),
    template="sales/expense_list.html",
    columns=[
        Column("date", gettext_lazy("Date"), sort="date", link=True),
        Column("category", gettext_lazy("Category")),
        Column("amount", gettext_lazy("Amount"), sort="amount"),
        Column("currency", gettext_lazy("Currency")),
        Column("description", gettext_lazy("Description")),
        Column("opportunity", gettext_lazy("Opportunity")),
        Column("account", gettext_lazy("Account")),
        Column("owner", gettext_lazy("Spent by")),
        Column("status", gettext_lazy("Status")),
    ],
    default_ordering="-date",
    create_url=reverse_lazy("sales:expense-create"),
    # Bulk changes would go around the approval rules; expenses change one at a time.
    bulk_actions=(),
)

ACTIONS = {
    "submit": Expense.Status.SUBMITTED,
    "approve": Expense.Status.APPROVED,
    "reject": Expense.Status.REJECTED,
}


def _save(record, *, by, expected_version):
    return services.expense_save(expense=record, by=by, expected_version=expected_version)


@login_required
def expense_list(request: HttpRequest) -> HttpResponse:
    return EXPENSE_LIST.render(request)


def _detail(request: HttpRequest, expense: Expense, *, decision_form=None, status=200):
    user = request.user
    may_decide = expense.status == Expense.Status.SUBMITTED and services.may_decide(user, expense)
    may_submit = (
        expense.status in services.EDITABLE
        and (expense.owner_id == user.pk or user.is_admin)
        and not user.is_customer
    )
    return render(
        request,
        "sales/expense_detail.html",
        {
            "record": expense,
            "may_decide": may_decide,
            "may_submit": may_submit,
            "may_edit": expense.status in services.EDITABLE and not user.is_customer,
            "decision_form": decision_form or ExpenseDecisionForm(),
            "timeline": timeline_for(
                expense, activities=Activity.objects.none(), page=request.GET.get("timeline")
            ),
        },
        status=status,
    )


@login_required
def expense_detail(request: HttpRequest, pk: int) -> HttpResponse:
    expense = get_visible_or_404(request.user, expenses_visible_to(request.user), pk=pk)
    return _detail(request, expense)


@login_required
@require_POST
def expense_transition(request: HttpRequest, pk: int) -> HttpResponse:
    """Submit, approve or reject; errors (a rejection without a comment) show on the page."""
    expense = get_visible_or_404(request.user, expenses_visible_to(request.user), pk=pk)
    form = ExpenseDecisionForm(request.POST)
    if form.is_valid():
        to = ACTIONS[form.cleaned_data["action"]]
        try:
            services.expense_transition(
                expense=expense,
                to=to,
                by=request.user,
                comment=form.cleaned_data["comment"],
                expected_version=form.cleaned_data.get("version"),
            )
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
            for field, field_errors in errors.items():
                form.add_error("comment" if field == "comment" else None, field_errors)
        except (PermissionDenied, ConflictError) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                {
                    Expense.Status.SUBMITTED: _("Expense submitted for approval."),
                    Expense.Status.APPROVED: _("Expense approved."),
                    Expense.Status.REJECTED: _("Expense rejected."),
                }[to],
            )
            return redirect(expense.get_absolute_url())
    expense.refresh_from_db()
    return _detail(request, expense, decision_form=form)


@login_required
def expense_create(request: HttpRequest) -> HttpResponse:
    initial = {}
    for name in ("account", "opportunity"):
        if request.GET.get(name, "").isdigit():
            initial[name] = request.GET[name]
    return record_form_page(
        request,
        form_class=ExpenseForm,
        instance=Expense(),
        save=_save,
        title=_("New expense"),
        cancel_url=reverse("sales:expense-list"),
        initial=initial,
    )


@login_required
def expense_edit(request: HttpRequest, pk: int) -> HttpResponse:
    expense = get_visible_or_404(request.user, expenses_visible_to(request.user), pk=pk)
    if expense.status not in services.EDITABLE:
        messages.error(request, _("Only draft or rejected expenses can be changed."))
        return redirect(expense.get_absolute_url())
    return record_form_page(
        request,
        form_class=ExpenseForm,
        instance=expense,
        save=_save,
        title=_("Edit expense"),
        cancel_url=expense.get_absolute_url(),
    )
