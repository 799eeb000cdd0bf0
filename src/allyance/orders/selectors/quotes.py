"""Reads of quotes: what the gate shows, plus the quotes waiting for the user's approval."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from allyance.core.visibility import visibility_filter
from allyance.orders.models import Quote, QuoteLine
from allyance.orders.services.quotes import is_approver


def awaiting_approval_condition(user) -> Q:
    """Pending quotes `user` may approve: a sales manager's or an administrator's to decide."""
    if not is_approver(user):
        return Q(pk__in=[])
    condition = Q(status=Quote.Status.PENDING_APPROVAL)
    if not user.is_admin:
        condition &= ~Q(owner_id=user.pk)
    return condition


def quotes_visible_to(user) -> QuerySet[Quote]:
    """The gate's quotes, plus those waiting for this user's approval and those they approved.

    An approver (any sales manager) may be outside the owner's team scope.
    """
    quotes = Quote.objects.select_related(
        "owner", "account", "contact", "opportunity", "price_list", "approved_by"
    )
    if user is None or not user.is_authenticated or not user.is_active:
        return quotes.none()
    condition = visibility_filter(user, Quote)
    if condition is None:
        return quotes
    return quotes.filter(condition | awaiting_approval_condition(user) | Q(approved_by=user))


def quotes_awaiting_approval_by(user) -> QuerySet[Quote]:
    return quotes_visible_to(user).filter(awaiting_approval_condition(user))


def quote_lines_visible_to(user) -> QuerySet[QuoteLine]:
    """Lines of the quotes the user may see."""
    return QuoteLine.objects.select_related("quote", "product").filter(
        quote__in=quotes_visible_to(user).values("pk")
    )


def quotes_of_account(user, account) -> QuerySet[Quote]:
    """The account's quotes the user may see, latest revisions only, newest first."""
    return quotes_visible_to(user).filter(account=account, next_revision__isnull=True)


def quotes_of_opportunity(user, opportunity) -> QuerySet[Quote]:
    return quotes_visible_to(user).filter(opportunity=opportunity, next_revision__isnull=True)


def revisions_of(user, quote: Quote) -> QuerySet[Quote]:
    """Every revision of the quote's number the user may see, newest first."""
    return quotes_visible_to(user).filter(number=quote.number).order_by("-revision")


def quote_search_document(quote: Quote) -> list[str | None]:
    """What finds a quote: its number, title and the account's name."""
    return [
        quote.number,
        quote.title,
        quote.account.name if quote.account_id else None,
    ]
