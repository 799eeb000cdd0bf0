"""The lead page's distribution panel: the lead's hops and, for distributors, the forms to
offer it to a partner by hand or by the rules (a distributor partner's admin: to one of its
resellers)."""

from __future__ import annotations

from django import template

from allyance.partners.forms.distribution import DistributeForm
from allyance.partners.models import LeadDistribution
from allyance.partners.selectors.distribution import lead_hops_visible_to
from allyance.partners.services.distribution import may_answer, may_distribute, may_offer_down

register = template.Library()


@register.inclusion_tag("partners/distribution_lead_panel_body.html", takes_context=True)
def lead_distribution_panel(context, lead) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"lead": lead, "hops": [], "may_distribute": False}
    hops = list(lead_hops_visible_to(user, lead))
    for hop in hops:
        hop.may_answer = hop.status == LeadDistribution.Status.OFFERED and may_answer(user, hop)
    waiting = lead.distributions.filter(status=LeadDistribution.Status.OFFERED).exists()
    if user.is_partner:
        # A distributor's admin offers a lead its organisation holds to a reseller below it.
        distributable = (
            may_offer_down(user)
            and lead.is_open
            and not waiting
            and lead.organisation_id == user.organisation_id
        )
    else:
        distributable = (
            user.is_internal
            and may_distribute(user)
            and lead.is_open
            and not waiting
            and lead.organisation.is_company
        )
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "lead": lead,
        "hops": hops,
        "may_distribute": distributable,
        "by_rules": distributable and not user.is_partner,
        "form": DistributeForm(user=user) if distributable else None,
    }
