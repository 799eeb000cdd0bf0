"""Visibility matrix rows and list pages of the distribution part (see tests/visibility_rows)."""

from tests.visibility_rows import Row, marker


def _offer(user):
    """A lead offered to the user's organisation (the lead moved to the partner with it)."""
    from tests.factories import LeadDistributionFactory, LeadFactory

    lead = LeadFactory(organisation=user.organisation, family_name=marker())
    return LeadDistributionFactory(organisation=user.organisation, lead=lead)


def _rule(user):
    from tests.factories import DistributionRuleFactory

    rule = DistributionRuleFactory(name=marker())
    rule.partners.add(user.organisation)
    return rule


ROWS: dict[str, Row] = {
    # Offers belong to the partner offered the lead; answered through POST actions only.
    "lead-distributions": Row(make=_offer, shown_as=lambda d: d.lead.family_name),
    # The channel's rules: staff read, administrators and channel managers write, partners none.
    "distribution-rules": Row(make=_rule, change={"name": "hijacked"}, partners_see_own=False),
}
# List page URL name → the ROWS key of what it lists.
PAGES: dict[str, str] = {
    "partners:distribution-list": "lead-distributions",
    "partners:distribution-rule-list": "distribution-rules",
}
