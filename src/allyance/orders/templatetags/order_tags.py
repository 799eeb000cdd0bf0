"""Order pieces other pages show: an account's recent orders, a quote's order, money, status."""

from __future__ import annotations

from decimal import Decimal

from django import template

from allyance.core.money import format_money
from allyance.orders.selectors.fulfilment import orders_visible_to

register = template.Library()

STATUS_CLASSES = {
    "submitted": "bg-orange-lt",
    "confirmed": "bg-blue-lt",
    "partly_shipped": "bg-yellow-lt",
    "shipped": "bg-cyan-lt",
    "delivered": "bg-green-lt",
    "closed": "bg-secondary-lt",
    "cancelled": "bg-red-lt",
}


@register.filter
def order_money(amount, currency: str) -> str:
    """An amount in its currency, as the user's language writes it."""
    if amount in (None, ""):
        return ""
    return format_money(Decimal(amount), currency)


@register.filter
def order_quantity(value) -> str:
    """3.000 → 3, 2.500 → 2.5."""
    if value in (None, ""):
        return ""
    number = Decimal(value).normalize()
    return f"{number:f}"


@register.filter
def order_status_class(status: str) -> str:
    return STATUS_CLASSES.get(status, "bg-secondary-lt")


@register.inclusion_tag("orders/order_account_panel.html", takes_context=True)
def account_orders(context, account, limit: int = 5) -> dict:
    """The account's most recent orders the user may see, with their status."""
    user = context["request"].user
    orders = orders_visible_to(user).filter(account=account).select_related(None)
    return {
        "account": account,
        "orders": list(orders.order_by("-order_date", "-id")[:limit]),
        "count": orders.count(),
        "may_create": not user.is_customer,
    }


@register.inclusion_tag("orders/order_opportunity_panel.html", takes_context=True)
def opportunity_orders(context, opportunity, limit: int = 5) -> dict:
    """The deal's orders the user may see, with their status."""
    user = context["request"].user
    orders = orders_visible_to(user).filter(opportunity=opportunity)
    return {"orders": list(orders.order_by("-order_date", "-id")[:limit])}


@register.inclusion_tag("orders/order_quote_actions.html", takes_context=True)
def quote_order_actions(context, quote) -> dict:
    """On an accepted quote: the order made from it, or the button that makes one."""
    user = context["request"].user
    orders = list(orders_visible_to(user).filter(quote=quote).order_by("-id"))
    live = next((o for o in orders if o.status != "cancelled"), None)
    return {
        "quote": quote,
        "live_order": live,
        "cancelled_orders": [o for o in orders if o.status == "cancelled"],
        "may_convert": live is None and quote.status == "accepted" and not user.is_customer,
        "request": context["request"],
    }
