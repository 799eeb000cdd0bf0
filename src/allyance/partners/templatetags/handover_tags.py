"""The order page's channel panel: the order's hops down the channel and the forms to hand it
down (to a partner, or a distributor's admin to one of its resellers), hand it back or recall
it."""

from __future__ import annotations

from django import template

from allyance.orders.services.fulfilment import SHIPPABLE, placed_with_company
from allyance.partners.forms.handover import HandDownForm, HandoverReasonForm
from allyance.partners.selectors.handover import order_hops_visible_to
from allyance.partners.services.handover import may_hand_down
from allyance.partners.views.handover import mark_actions

register = template.Library()


def _may_hand_down(user, order) -> bool:
    if not may_hand_down(user) or order.status not in SHIPPABLE:
        return False
    if user.is_partner:
        holds = order.organisation_id == user.organisation_id
    else:
        holds = order.organisation.is_company
    return holds and not placed_with_company(order)


@register.inclusion_tag("partners/handover_order_panel_body.html", takes_context=True)
def order_handover_panel(context, order) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.is_customer:
        return {"order": order, "hops": [], "may_hand_down": False}
    hops = list(order_hops_visible_to(user, order))
    mark_actions(user, hops)
    allowed = _may_hand_down(user, order)
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "order": order,
        "hops": hops,
        "may_hand_down": allowed,
        "form": HandDownForm(user=user, auto_id="hand-down-%s") if allowed else None,
        "reason_form": HandoverReasonForm(),
    }
