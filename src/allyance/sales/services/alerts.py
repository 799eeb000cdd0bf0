"""Sales alerts: large deals notify the sales managers, stalled deals notify their owners.

Both are idempotent: what was notified is remembered (`LargeDealAlert`, `StalledDealAlert`),
so running a check twice tells nobody twice.
"""

from __future__ import annotations

import datetime
import logging
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import NoReverseMatch
from django.utils import timezone
from django.utils.translation import gettext as _

from allyance.core import audit
from allyance.core.models import Role, Team, User
from allyance.core.notifications import in_language_of, notification_send
from allyance.sales.models import (
    AlertSettings,
    LargeDealAlert,
    Opportunity,
    Stage,
    StalledDealAlert,
)

logger = logging.getLogger(__name__)

LARGE_DEAL_KIND = "sales.large_deal"
STALLED_DEAL_KIND = "sales.stalled_deal"


def _url_of(opportunity: Opportunity) -> str:
    try:
        return opportunity.get_absolute_url()
    except NoReverseMatch:  # the opportunity pages are not wired yet
        return ""


def _money(amount: Decimal, currency: str) -> str:
    # English and Chinese both group digits by thousands with commas.
    return f"{amount:,.2f} {currency}"


def sales_managers_of(owner: User | None) -> list[User]:
    """The managers of the owner's teams; if there are none, every active sales manager."""
    managers: list[User] = []
    if owner is not None:
        managers = list(
            User.objects.filter(
                is_active=True,
                pk__in=Team.objects.filter(members=owner, manager__isnull=False).values(
                    "manager_id"
                ),
            )
        )
    if not managers:
        managers = list(User.objects.filter(is_active=True, role=Role.SALES_MANAGER))
    return managers


def alert_settings_save(
    *, by: User, large_deal_amount: Decimal, large_deal_currency: str
) -> AlertSettings:
    """Change the large-deal threshold (administrators only)."""
    if not by.is_admin:
        raise PermissionDenied(_("Only administrators may change the alert settings."))
    row = AlertSettings.current()
    row.large_deal_amount = large_deal_amount
    row.large_deal_currency = large_deal_currency
    row.full_clean()
    with audit.acting_as(by), transaction.atomic():
        row.save()
    return row


def large_deal_check(*, opportunity: Opportunity) -> list[User]:
    """Notify the sales managers once when a deal reaches the large-deal threshold.

    Called after an opportunity is saved. A deal is compared only with a threshold in its
    own currency (amounts in different currencies are never converted). It is alerted again
    only when it grows beyond the amount it was last alerted at. Returns who was notified.
    The deal is already saved when this runs: a failure here is logged, not raised, so the
    save does not look failed to the person who made it.
    """
    try:
        return _large_deal_check(opportunity)
    except Exception:
        logger.exception("Large-deal check failed for opportunity %s", opportunity.pk)
        return []


def _large_deal_check(opportunity: Opportunity) -> list[User]:
    threshold = AlertSettings.current()
    if (
        opportunity.pk is None
        or opportunity.outcome == Stage.Outcome.LOST
        or opportunity.currency != threshold.large_deal_currency
        or opportunity.amount is None
        or opportunity.amount < threshold.large_deal_amount
    ):
        return []
    with transaction.atomic():
        # Lock the deal's row so two saves at once cannot both alert.
        locked = Opportunity.objects.select_for_update().filter(pk=opportunity.pk).first()
        if locked is None:
            return []
        previous = LargeDealAlert.objects.filter(opportunity=locked).first()
        if (
            previous is not None
            and previous.currency == locked.currency
            and previous.amount >= locked.amount
        ):
            return []
        LargeDealAlert.objects.update_or_create(
            opportunity=locked, defaults={"amount": locked.amount, "currency": locked.currency}
        )
        recipients = sales_managers_of(locked.owner)
        url = _url_of(locked)
        for manager in recipients:
            with in_language_of(manager):
                message = _("Large deal: %(deal)s is %(amount)s (owner: %(owner)s).") % {
                    "deal": locked.name,
                    "amount": _money(locked.amount, locked.currency),
                    "owner": str(locked.owner) if locked.owner else _("nobody"),
                }
            notification_send(
                recipient=manager, message=message, url=url, kind=LARGE_DEAL_KIND, email=True
            )
    return recipients


def stalled_deals_notify(*, now=None) -> int:
    """Notify each owner of a stalled deal once per stall episode; returns how many were told.

    A deal is stalled when it is open, its stage has `stall_days`, and it has had no activity
    (nor a stage move, nor creation) for that many days. The episode is the deal, its stage
    and the moment the quiet began; a new activity or stage starts a new episode.
    """
    from allyance.sales.selectors.reports import stalled_deals_all

    now = now or timezone.now()
    told = 0
    for deal in stalled_deals_all(now=now).select_related("owner", "stage"):
        if deal.owner is None or not deal.owner.is_active:
            continue
        with transaction.atomic():
            _alert, created = StalledDealAlert.objects.get_or_create(
                opportunity=deal, stage=deal.stage, quiet_since=deal.quiet_since
            )
            if not created:
                continue
            with in_language_of(deal.owner):
                days = (now - deal.quiet_since).days
                message = _(
                    "Stalled deal: %(deal)s has had no activity for %(days)s days in stage "
                    "%(stage)s."
                ) % {"deal": deal.name, "days": days, "stage": deal.stage.name}
            notification_send(
                recipient=deal.owner,
                message=message,
                url=_url_of(deal),
                kind=STALLED_DEAL_KIND,
                email=True,
            )
            told += 1
    return told


SCAN_INTERVAL = datetime.timedelta(days=1)


def _record_next_scan(row: AlertSettings) -> None:
    # A queryset update: bookkeeping of the scheduler, not a settings change for the audit trail.
    AlertSettings.objects.filter(pk=row.pk).update(stalled_scan_next_at=row.stalled_scan_next_at)


def _enqueue_scan(at: datetime.datetime) -> None:
    from allyance.sales.tasks.alerts import stalled_deals_scan_task

    key = at.isoformat()
    transaction.on_commit(
        lambda: stalled_deals_scan_task.using(run_after=at).enqueue(scheduled_for=key)
    )


def stalled_scan_schedule(*, now: datetime.datetime | None = None) -> datetime.datetime:
    """Make sure the daily stalled-deal scan is queued; idempotent. Returns when it runs next.

    If a scan is already queued for the future nothing is added; otherwise (never started,
    or the queued run was lost) one is queued an interval from now.
    """
    now = now or timezone.now()
    with transaction.atomic():
        row = AlertSettings.objects.select_for_update().get(pk=AlertSettings.current().pk)
        if row.stalled_scan_next_at is not None and row.stalled_scan_next_at > now:
            return row.stalled_scan_next_at
        row.stalled_scan_next_at = now + SCAN_INTERVAL
        _record_next_scan(row)
        _enqueue_scan(row.stalled_scan_next_at)
    return row.stalled_scan_next_at


def stalled_scan_reschedule(*, scheduled_for: str, now: datetime.datetime | None = None) -> bool:
    """After a scheduled scan ran: queue the next one, unless this run was superseded."""
    now = now or timezone.now()
    with transaction.atomic():
        row = AlertSettings.objects.select_for_update().get(pk=AlertSettings.current().pk)
        current = row.stalled_scan_next_at
        if current is None or current.isoformat() != scheduled_for:
            return False
        row.stalled_scan_next_at = max(current, now) + SCAN_INTERVAL
        _record_next_scan(row)
        _enqueue_scan(row.stalled_scan_next_at)
    return True
