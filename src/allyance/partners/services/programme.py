"""Writes of the partner programme: tiers, settings, onboarding, agreements, sharing upwards.

Tiers, onboarding steps and the settings are central data: administrators change them.
A partner's agreements and checklist are kept by its channel manager (or an administrator);
partners read them and never change them. A partner's administrator decides whether the
partner above it in a two-tier channel sees its records. The agreement expiry warning runs
as a job (`partner_warnings`) and tells each agreement's people once.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from allyance.core import audit
from allyance.core.models import Organisation, Role, User
from allyance.core.notifications import in_language_of, notification_send
from allyance.core.services import record_delete, record_save
from allyance.core.services_admin import organisation_save
from allyance.partners.models import (
    OnboardingItem,
    OnboardingStep,
    PartnerAgreement,
    ProgrammeSettings,
    Tier,
)
from allyance.partners.selectors.programme import may_manage_partner

AGREEMENT_WARNING_KIND = "partners.agreement_ending"


def ensure_may_change_programme(by: User | None) -> None:
    """Tiers, onboarding steps and the programme settings are the company's: admins only."""
    if by is None or not by.is_authenticated or not by.is_active or not by.is_admin:
        raise PermissionDenied(_("Only administrators change the partner programme."))


def ensure_may_manage_partner(by: User | None, organisation: Organisation | None) -> None:
    if by is None or not by.is_authenticated or not may_manage_partner(by, organisation):
        raise PermissionDenied(
            _("Only the partner's channel manager or an administrator changes this.")
        )


# --- Tiers ---------------------------------------------------------------------------------


def tier_save(*, tier: Tier, by: User, required_certifications: Iterable | None = None) -> Tier:
    """Create or change a tier and its policy; names are unique (case-insensitive)."""
    ensure_may_change_programme(by)
    tier.name = (tier.name or "").strip()
    tier.full_clean(validate_unique=False)
    if Tier.objects.filter(name__iexact=tier.name).exclude(pk=tier.pk).exists():
        raise ValidationError({"name": _("A tier with this name already exists.")})
    with audit.acting_as(by), transaction.atomic():
        tier.save()
        if required_certifications is not None:
            tier.required_certifications.set(list(required_certifications))
    return tier


def tier_delete(*, tier: Tier, by: User) -> None:
    """Delete a tier no partner is in.

    A tier in use is refused rather than emptied: removing it would silently take prices,
    discount and MDF share away from its partners.
    """
    ensure_may_change_programme(by)
    in_tier = tier.organisations.count()
    if in_tier:
        raise ValidationError(
            _(
                "%(count)d partner(s) are in this tier; move them to another tier before "
                "deleting it."
            )
            % {"count": in_tier}
        )
    with audit.acting_as(by), transaction.atomic():
        tier.delete()


# --- Programme settings ----------------------------------------------------------------------


def programme_settings_save(*, settings_row: ProgrammeSettings, by: User) -> ProgrammeSettings:
    """Change the programme's rules (lead acceptance time, protection, warnings)."""
    ensure_may_change_programme(by)
    settings_row.pk = ProgrammeSettings.current().pk
    settings_row.full_clean()
    with audit.acting_as(by), transaction.atomic():
        settings_row.save()
    return settings_row


# --- Partner organisations -----------------------------------------------------------------


def partner_organisation_save(*, organisation: Organisation, by: User) -> Organisation:
    """Create or change a partner organisation (administrators) through `organisation_save`
    (kind, a distributor above and no cycles, staff channel manager, audit); a new partner
    gets its onboarding checklist at once."""
    ensure_may_change_programme(by)
    creating = organisation.pk is None
    organisation = organisation_save(organisation=organisation, by=by)
    if creating:
        onboarding_items_ensure(organisation=organisation)
    return organisation


# --- Onboarding ----------------------------------------------------------------------------


def onboarding_step_save(*, step: OnboardingStep, by: User) -> OnboardingStep:
    """Add or change a checklist step; a new active step joins every partner's checklist the
    next time it is opened."""
    ensure_may_change_programme(by)
    step.name = (step.name or "").strip()
    step.full_clean()
    with audit.acting_as(by), transaction.atomic():
        step.save()
    return step


def onboarding_step_delete(*, step: OnboardingStep, by: User) -> None:
    """Delete a step no partner has done yet; a step someone ticked is deactivated instead,
    so the record of who did what stays."""
    ensure_may_change_programme(by)
    if step.items.filter(done_at__isnull=False).exists():
        raise ValidationError(
            _("Partners have completed this step; make it inactive instead of deleting it.")
        )
    with audit.acting_as(by), transaction.atomic():
        step.delete()


def onboarding_items_ensure(*, organisation: Organisation) -> list[OnboardingItem]:
    """Give a partner a checklist item for every active step it lacks; returns its active
    items in step order. Safe to call on every view and from two requests at once."""
    if organisation.kind != Organisation.Kind.PARTNER:
        return []
    steps = OnboardingStep.objects.filter(active=True)
    missing = steps.exclude(items__organisation=organisation)
    if missing.exists():
        OnboardingItem.objects.bulk_create(
            [OnboardingItem(organisation=organisation, step=step) for step in missing],
            ignore_conflicts=True,
        )
    return list(
        OnboardingItem.objects.filter(organisation=organisation, step__active=True)
        .select_related("step", "done_by")
        .order_by("step__position", "step_id")
    )


def onboarding_item_tick(
    *, item: OnboardingItem, done: bool, by: User, note: str | None = None
) -> OnboardingItem:
    """Mark a checklist step done (remembering who and when) or not done yet."""
    ensure_may_manage_partner(by, item.organisation)
    if done and item.done_at is None:
        item.done_at, item.done_by = timezone.now(), by
    elif not done:
        item.done_at, item.done_by = None, None
    if note is not None:
        item.note = note.strip()
    return record_save(instance=item, by=by)


# --- Agreements ----------------------------------------------------------------------------


def agreement_save(
    *, agreement: PartnerAgreement, by: User, expected_version: int | None = None
) -> PartnerAgreement:
    """Add or change an agreement or qualification of a partner.

    A new end date clears the expiry warning, so the new date is warned about in turn.
    """
    organisation = (
        Organisation.objects.filter(pk=agreement.organisation_id).first()
        if agreement.organisation_id
        else None
    )
    ensure_may_manage_partner(by, organisation)
    stored = (
        PartnerAgreement.objects.filter(pk=agreement.pk)
        .values("organisation_id", "ends_on")
        .first()
        if agreement.pk
        else None
    )
    if stored is not None and stored["organisation_id"] != agreement.organisation_id:
        ensure_may_manage_partner(
            by, Organisation.objects.filter(pk=stored["organisation_id"]).first()
        )
    if agreement.ends_on and agreement.starts_on and agreement.ends_on < agreement.starts_on:
        raise ValidationError({"ends_on": _("An agreement cannot end before it starts.")})
    if agreement.pk is None:
        agreement.owner = agreement.owner or by
    elif stored is not None and stored["ends_on"] != agreement.ends_on:
        agreement.warned_at = None
    return record_save(instance=agreement, by=by, expected_version=expected_version)


def agreement_delete(*, agreement: PartnerAgreement, by: User) -> None:
    ensure_may_manage_partner(by, agreement.organisation)
    record_delete(instance=agreement, by=by)


# --- Two-tier sharing ----------------------------------------------------------------------


def organisation_share_with_parent(
    *, organisation: Organisation, share: bool, by: User
) -> Organisation:
    """Let the partner above see this partner's records, or stop it.

    Decided by the partner's own administrator (or a company administrator); audited.
    """
    own_admin = (
        by.is_authenticated
        and by.is_active
        and by.role == Role.PARTNER_ADMIN
        and by.organisation_id == organisation.pk
    )
    if not (own_admin or (by.is_authenticated and by.is_active and by.is_admin)):
        raise PermissionDenied(
            _("Only the partner's administrator decides what the partner above sees.")
        )
    if organisation.kind != Organisation.Kind.PARTNER:
        raise ValidationError(_("Only partner organisations share with a partner above."))
    if organisation.shares_with_parent == share:
        return organisation
    organisation.shares_with_parent = share
    with audit.acting_as(by), transaction.atomic():
        organisation.save(update_fields=["shares_with_parent", "updated_at"])
    return organisation


# --- Expiry warnings -----------------------------------------------------------------------


def _warning_recipients(organisation: Organisation) -> list[tuple[User, str]]:
    """(who, the page they open): the channel manager and the partner's administrators."""
    recipients: list[tuple[User, str]] = []
    manager = organisation.channel_manager
    if manager is not None and manager.is_active:
        recipients.append((manager, reverse("partners:partner-detail", args=[organisation.pk])))
    my_page = reverse("partners:my-organisation")
    for admin in organisation.users.filter(is_active=True, role=Role.PARTNER_ADMIN).order_by("pk"):
        recipients.append((admin, my_page))
    return recipients


def agreement_warnings_send(*, today: datetime.date | None = None) -> int:
    """Warn about every agreement ending within the programme's warning time, once each.

    The agreement is marked warned in the same conditional update that claims it, so two
    runs at once (or a run repeated) never warn twice. Agreements that already ended and
    those of terminated partners are left alone. Returns how many agreements were warned.
    """
    today = today or timezone.localdate()
    days = ProgrammeSettings.current().agreement_warning_days
    due = PartnerAgreement.objects.filter(
        warned_at__isnull=True,
        ends_on__isnull=False,
        ends_on__gte=today,
        ends_on__lte=today + datetime.timedelta(days=days),
    ).exclude(organisation__status=Organisation.Status.TERMINATED)
    warned = 0
    for agreement in due.select_related("organisation__channel_manager").order_by("ends_on", "pk"):
        with transaction.atomic():
            claimed = PartnerAgreement.objects.filter(
                pk=agreement.pk, warned_at__isnull=True
            ).update(warned_at=timezone.now())
            if not claimed:
                continue
            organisation = agreement.organisation
            for recipient, url in _warning_recipients(organisation):
                with in_language_of(recipient):
                    message = _(
                        "%(kind)s %(name)s of %(partner)s ends on %(date)s (in %(days)d days)."
                    ) % {
                        "kind": agreement.get_kind_display(),
                        "name": agreement.name,
                        "partner": organisation.name,
                        "date": agreement.ends_on.isoformat(),
                        "days": (agreement.ends_on - today).days,
                    }
                notification_send(
                    recipient=recipient,
                    message=message,
                    url=url,
                    kind=AGREEMENT_WARNING_KIND,
                    email=True,
                )
            warned += 1
    return warned
