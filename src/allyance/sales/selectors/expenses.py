"""Reads of sales expenses: what the gate shows, plus what waits for the user's decision."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from allyance.core.visibility import visibility_filter
from allyance.sales.models import Expense
from allyance.sales.services.expenses import owners_approvable_by


def awaiting_decision_condition(user) -> Q:
    """Submitted expenses of the people whose expenses `user` approves."""
    return Q(status=Expense.Status.SUBMITTED, owner__in=owners_approvable_by(user).values("pk"))


def expenses_visible_to(user) -> QuerySet[Expense]:
    """The gate's expenses, those waiting for this user's decision and those they decided.

    A fallback approver, such as a sales manager for a rep without a team, is outside
    the gate's team scope.
    """
    expenses = Expense.objects.select_related("owner", "approver", "account", "opportunity")
    if user is None or not user.is_authenticated or not user.is_active:
        return expenses.none()
    condition = visibility_filter(user, Expense)
    if condition is None:
        return expenses
    # Whoever decided (or is named to decide) keeps seeing the expense.
    return expenses.filter(condition | awaiting_decision_condition(user) | Q(approver=user))


def expenses_awaiting_decision_by(user) -> QuerySet[Expense]:
    return expenses_visible_to(user).filter(awaiting_decision_condition(user))


def expense_search_document(expense: Expense) -> list[str | None]:
    """What finds an expense: its description and the deal and account it was for."""
    return [
        expense.description,
        expense.account.name if expense.account_id else None,
        expense.opportunity.name if expense.opportunity_id else None,
    ]
