"""The account page's billing panel: balance, overdue amount, credit and recent invoices."""

from __future__ import annotations

from django import template

from allyance.orders.selectors.billing import account_balances, invoices_visible_to

register = template.Library()


@register.inclusion_tag("orders/invoice_account_panel.html", takes_context=True)
def account_billing(context, account) -> dict:
    """What `account` owes per currency and its latest invoices, as far as the user may see."""
    user = context["request"].user
    return {
        "account": account,
        "balances": account_balances(user, account=account),
        "invoices": list(
            invoices_visible_to(user).filter(account=account).select_related(None)[:5]
        ),
        "user": user,
    }
