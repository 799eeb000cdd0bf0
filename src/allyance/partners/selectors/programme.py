"""Reads of the partner programme: tiers, partner organisations, agreements and onboarding.

Tiers and onboarding steps are central data (staff read all, partners what the model
shares); agreements and checklist items go through the visibility gate like every business
record. Which partner organisations a user oversees is decided here once: administrators
all of them, a channel manager the partners they manage and those below them, a partner
user its own organisation and the partners below it that share their records upwards.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from allyance.core.models import Organisation, Role, User
from allyance.core.visibility import (
    managed_organisation_ids_of,
    partner_organisation_ids_of,
    visible_to,
)
from allyance.partners.models import (
    OnboardingItem,
    OnboardingStep,
    PartnerAgreement,
    ProgrammeSettings,
    Tier,
)


def agreement_search_document(agreement: PartnerAgreement) -> list[str | None]:
    """What finds an agreement: its name, reference and the partner's name."""
    return [agreement.name, agreement.reference, agreement.organisation.name]


def tiers_visible_to(user: User) -> QuerySet[Tier]:
    """The programme's tiers with their price list (everyone signed in reads them)."""
    return visible_to(user, Tier.objects.select_related("price_list")).prefetch_related(
        "required_certifications"
    )


def onboarding_steps_visible_to(user: User) -> QuerySet[OnboardingStep]:
    """Staff read every step; partners the active ones."""
    return visible_to(user, OnboardingStep.objects.all())


def agreements_visible_to(user: User) -> QuerySet[PartnerAgreement]:
    return visible_to(user, PartnerAgreement.objects.select_related("organisation", "owner"))


def onboarding_items_visible_to(user: User) -> QuerySet[OnboardingItem]:
    return visible_to(
        user, OnboardingItem.objects.select_related("step", "organisation", "done_by")
    )


def oversees_all_partners(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.is_admin


def may_oversee_partners(user: User) -> bool:
    """Administrators and channel managers use the partner overview."""
    return oversees_all_partners(user) or (
        user.is_authenticated and user.is_active and user.role == Role.CHANNEL_MANAGER
    )


def partner_organisations_overseen_by(user: User) -> QuerySet[Organisation]:
    """Partner organisations on the user's overview: all for administrators, the managed ones
    and those below them for a channel manager, nothing for anyone else."""
    partners = Organisation.objects.filter(kind=Organisation.Kind.PARTNER)
    if oversees_all_partners(user):
        return partners
    if may_oversee_partners(user):
        return partners.filter(pk__in=managed_organisation_ids_of(user))
    return partners.none()


def partner_organisations_readable_by(user: User) -> QuerySet[Organisation]:
    """Partner organisations whose programme page the user may open (read-only for partners:
    their own and the partners below that share with them)."""
    if user.is_authenticated and user.is_partner and not user.is_superuser:
        return Organisation.objects.filter(
            kind=Organisation.Kind.PARTNER, pk__in=partner_organisation_ids_of(user)
        )
    return partner_organisations_overseen_by(user)


def may_manage_partner(user: User, organisation: Organisation) -> bool:
    """Administrators manage every partner's programme records; a channel manager those of the
    partners they manage and the partners below them."""
    if organisation is None or organisation.kind != Organisation.Kind.PARTNER:
        return False
    if oversees_all_partners(user):
        return True
    return may_oversee_partners(user) and organisation.pk in managed_organisation_ids_of(user)


def tree_of(organisations: Iterable[Organisation]) -> list[tuple[Organisation, int]]:
    """(organisation, depth) in tree order: each partner followed by the partners below it.

    A partner whose parent is not among `organisations` starts a tree of its own.
    """
    nodes = sorted(organisations, key=lambda org: (org.name.casefold(), org.pk))
    present = {org.pk for org in nodes}
    children: dict[int | None, list[Organisation]] = {}
    for org in nodes:
        parent = org.parent_id if org.parent_id in present else None
        children.setdefault(parent, []).append(org)
    ordered: list[tuple[Organisation, int]] = []
    seen: set[int] = set()

    def walk(parent: int | None, depth: int) -> None:
        for org in children.get(parent, []):
            if org.pk in seen:
                continue
            seen.add(org.pk)
            ordered.append((org, depth))
            walk(org.pk, depth + 1)

    walk(None, 0)
    for org in nodes:  # a cycle in the data: still list every partner once
        if org.pk not in seen:
            seen.add(org.pk)
            ordered.append((org, 0))
    return ordered


def ending_within(
    agreements: QuerySet[PartnerAgreement], days: int, *, today: datetime.date | None = None
) -> QuerySet[PartnerAgreement]:
    """Agreements still valid today that end within `days` days."""
    today = today or timezone.localdate()
    return agreements.filter(
        ends_on__isnull=False,
        ends_on__gte=today,
        ends_on__lte=today + datetime.timedelta(days=days),
    )


@dataclass(frozen=True)
class Progress:
    done: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 100


def onboarding_progress(organisation_ids: Iterable[int]) -> dict[int, Progress]:
    """Ticked active steps out of all active steps, per organisation (two queries)."""
    organisation_ids = list(organisation_ids)
    total = OnboardingStep.objects.filter(active=True).count()
    done = dict(
        OnboardingItem.objects.filter(
            organisation_id__in=organisation_ids, step__active=True, done_at__isnull=False
        )
        .order_by()
        .values_list("organisation_id")
        .annotate(count=Count("id"))
        .values_list("organisation_id", "count")
    )
    return {pk: Progress(done.get(pk, 0), total) for pk in organisation_ids}


def agreements_ending_soon_counts(
    organisation_ids: Iterable[int], *, today: datetime.date | None = None
) -> dict[int, int]:
    """How many agreements of each organisation end within the programme's warning time."""
    days = ProgrammeSettings.current().agreement_warning_days
    rows = (
        ending_within(
            PartnerAgreement.objects.filter(organisation_id__in=list(organisation_ids)),
            days,
            today=today,
        )
        .order_by()
        .values_list("organisation_id")
        .annotate(count=Count("id"))
        .values_list("organisation_id", "count")
    )
    return dict(rows)


@dataclass
class PartnerRow:
    organisation: Organisation
    depth: int
    ending_soon: int
    progress: Progress


def partner_overview(user: User, filters: dict | None = None) -> list[PartnerRow]:
    """The partner overview's rows, in tree order, with agreements ending soon and onboarding
    progress; `filters` may name partner_type, tier, channel_manager and status."""
    filters = filters or {}
    partners = partner_organisations_overseen_by(user).select_related(
        "tier", "parent", "channel_manager"
    )
    condition = Q()
    for name in ("partner_type", "status"):
        if filters.get(name):
            condition &= Q(**{name: filters[name]})
    for name in ("tier", "channel_manager"):
        if filters.get(name):
            condition &= Q(**{name: filters[name]})
    organisations = list(partners.filter(condition))
    ids = [org.pk for org in organisations]
    ending = agreements_ending_soon_counts(ids)
    progress = onboarding_progress(ids)
    return [
        PartnerRow(org, depth, ending.get(org.pk, 0), progress[org.pk])
        for org, depth in tree_of(organisations)
    ]


def channel_managers_of(organisations: QuerySet[Organisation]) -> QuerySet[User]:
    """The staff who manage any of `organisations` (for the overview's filter)."""
    return User.objects.filter(
        pk__in=organisations.filter(channel_manager__isnull=False).values("channel_manager_id")
    ).order_by("username")
