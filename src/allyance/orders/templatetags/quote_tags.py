"""Quote pieces other pages show: the status badge and the quotes card of an account or deal."""

from __future__ import annotations

from django import template
from django.urls import reverse

from allyance.orders.models import Quote
from allyance.orders.selectors.quotes import quotes_of_account, quotes_of_opportunity

register = template.Library()

BADGES = {
    Quote.Status.DRAFT: "bg-secondary-lt",
    Quote.Status.PENDING_APPROVAL: "bg-warning-lt",
    Quote.Status.APPROVED: "bg-info-lt",
    Quote.Status.SENT: "bg-primary-lt",
    Quote.Status.ACCEPTED: "bg-success-lt",
    Quote.Status.REJECTED: "bg-danger-lt",
    Quote.Status.EXPIRED: "bg-dark-lt",
    Quote.Status.SUPERSEDED: "bg-muted-lt",
}
CARD_LIMIT = 10


@register.inclusion_tag("orders/includes/quote_status_badge.html")
def quote_status_badge(quote: Quote) -> dict:
    return {"quote": quote, "css": BADGES.get(quote.status, "bg-secondary-lt")}


def _card(context, quotes, new_url: str) -> dict:
    user = context["request"].user
    return {
        # The card shows each quote's own fields: nothing related joined in.
        "quotes": list(quotes.select_related(None).order_by("-updated_at", "-id")[:CARD_LIMIT]),
        "new_url": new_url,
        "may_create": not user.is_customer,
        "request": context["request"],
    }


@register.inclusion_tag("orders/includes/quote_card.html", takes_context=True)
def account_quotes(context, account) -> dict:
    """The account's latest quotes the user may see, with a "New quote" button."""
    user = context["request"].user
    return _card(
        context,
        quotes_of_account(user, account),
        f"{reverse('orders:quote-create')}?account={account.pk}",
    )


@register.inclusion_tag("orders/includes/quote_card.html", takes_context=True)
def opportunity_quotes(context, opportunity) -> dict:
    user = context["request"].user
    return _card(
        context,
        quotes_of_opportunity(user, opportunity),
        f"{reverse('orders:quote-create')}?opportunity={opportunity.pk}",
    )
