"""Visibility matrix rows and list pages of the programme part (see tests/visibility_rows)."""

from allyance.core.models import User
from tests.visibility_rows import Row, marker


def _tier(user: User):
    from tests.factories import TierFactory

    tier = TierFactory(name=marker(), extra_discount_percent="5.00")
    tier.refresh_from_db()  # percentages as the database gives them back
    return tier


def _onboarding_step(user: User):
    from tests.factories import OnboardingStepFactory

    return OnboardingStepFactory(name=marker())


def _agreement(user: User):
    from tests.factories import PartnerAgreementFactory

    agreement = PartnerAgreementFactory(organisation=user.organisation, name=marker())
    agreement.refresh_from_db()  # dates as the database gives them back
    return agreement


def _onboarding_item(user: User):
    from allyance.partners.models import OnboardingItem

    return OnboardingItem.objects.create(
        organisation=user.organisation, step=_onboarding_step(user), note=marker()
    )


ROWS: dict[str, Row] = {
    # The programme is open: every partner reads every tier and its policy; admins write.
    "tiers": Row(
        make=_tier,
        shown_as=lambda t: t.name,
        change={"name": "x"},
        central=True,
        shared_with_all=True,
    ),  # fmt: skip
    # The onboarding checklist's steps: central, active ones read by every partner.
    "onboarding-steps": Row(
        make=_onboarding_step,
        shown_as=lambda s: s.name,
        change={"name": "x"},
        central=True,
        shared_with_all=True,
    ),  # fmt: skip
    # A partner reads its own agreements and checklist and writes neither.
    "partner-agreements": Row(
        make=_agreement, shown_as=lambda a: a.name, change={"name": "hijacked"}
    ),
    "onboarding-items": Row(
        make=_onboarding_item, shown_as=lambda i: i.note, change={"note": "hijacked"}
    ),
    # Pages only: the steps' admin page and the partner overview are for staff.
    "onboarding-step-page": Row(
        make=_onboarding_step, shown_as=lambda s: s.name, partners_see_own=False
    ),
    "partner-overview": Row(
        make=lambda u: u.organisation, shown_as=lambda o: o.name, partners_see_own=False
    ),
}
# List page URL name → the ROWS key of what it lists.
PAGES: dict[str, str] = {
    "partners:tier-list": "tiers",
    "partners:agreement-list": "partner-agreements",
    "partners:onboarding-step-list": "onboarding-step-page",
    "partners:partner-list": "partner-overview",
}
