"""Visibility matrix rows and list pages of the incentives part (see tests/visibility_rows)."""

from tests.visibility_rows import Row, marker


def _incentive_plan(user):
    """A plan open only to the tier of the user's organisation (which gets a tier of its own):
    central data the partner reads and cannot change; the other partner's is not for it."""
    from tests.factories import IncentivePlanFactory, TierFactory

    organisation = user.organisation
    if organisation.tier_id is None:
        organisation.tier = TierFactory(name=marker())
        organisation.save()
    plan = IncentivePlanFactory(name=marker())
    plan.tiers.set([organisation.tier])
    plan.refresh_from_db()  # amounts as the database gives them back
    return plan


ROWS: dict[str, Row] = {
    "incentive-plans": Row(
        make=_incentive_plan, shown_as=lambda p: p.name, change={"name": "hijacked"}, central=True
    ),
    # Computed, list only: one row per partner the user may see, keyed by organisation.
    "scorecards": Row(make=lambda u: u.organisation, lookup_field="organisation"),
}
# List page URL name → the ROWS key of what it lists.
PAGES: dict[str, str] = {
    "partners:incentive-plan-list": "incentive-plans",
}
