"""Writes on cases: open (numbered, warranty checked), update, move through the statuses.

The status moves only through `case_move`, checked against `ALLOWED_TRANSITIONS`. Partners
open cases for the accounts they see, add information and close their resolved cases; the
company's staff move every other status. The partner hears of every status change.
"""

from __future__ import annotations

import calendar
import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from allyance.core import audit
from allyance.core.exceptions import ConflictError
from allyance.core.models import Organisation, Role, User
from allyance.core.notifications import in_language_of, notification_send
from allyance.core.services import ensure_may_write, record_delete, record_save
from allyance.core.visibility import can_see
from allyance.customers.models import Account
from allyance.orders.models import Order
from allyance.orders.services.numbers import next_number
from allyance.service.models import Case

Status = Case.Status

# From each status, the statuses a case may move to. Rejected and closed are final.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.IN_PROGRESS, Status.REJECTED}),
    Status.IN_PROGRESS: frozenset({Status.WAITING, Status.RESOLVED}),
    Status.WAITING: frozenset({Status.IN_PROGRESS}),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.IN_PROGRESS}),
    Status.REJECTED: frozenset(),
    Status.CLOSED: frozenset(),
}
FINAL = frozenset({Status.REJECTED, Status.CLOSED})
# The moves a partner user makes on its own cases; the company's staff make every move.
PARTNER_MOVES = frozenset({(Status.RESOLVED, Status.CLOSED)})
# Fields the warranty check reads; a change re-runs it.
WARRANTY_FIELDS = ("kind", "product_id", "purchase_date", "order_id")


# --------------------------------------------------------------------------- warranty


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later; the month's last day when it is shorter (31 Jan + 1 → 28 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def sale_date_of(order: Order) -> datetime.date:
    """When the customer got the goods: the order's delivery, else its last arrived shipment,
    else the order date."""
    if order.delivered_at is not None:
        return timezone.localtime(order.delivered_at).date()
    arrived = (
        order.shipments.filter(delivered_on__isnull=False)
        .order_by("-delivered_on")
        .values_list("delivered_on", flat=True)
        .first()
    )
    return arrived or order.order_date


def warranty_check(case: Case, *, on: datetime.date | None = None) -> None:
    """Set `warranty_until` and `warranty_valid` of a warranty claim.

    The warranty runs `product.warranty_months` from the purchase date (or the order's
    sale date) up to the day before the same date that many months later; a claim made on
    or before that last day is valid. Nothing to check on (a service request, no product,
    a product without warranty terms, no date): both stay empty.
    """
    case.warranty_until = None
    case.warranty_valid = None
    if case.kind != Case.Kind.WARRANTY or case.product is None:
        return
    months = case.product.warranty_months
    start = case.purchase_date
    if months is None or start is None:
        return
    case.warranty_until = add_months(start, months) - datetime.timedelta(days=1)
    case.warranty_valid = (on or timezone.localdate()) <= case.warranty_until


# --------------------------------------------------------------------------- writes


def _check(case: Case, by: User | None) -> None:
    """The rules a case keeps whoever writes it: a visible account, a matching order,
    contact and product, and a date to check a warranty claim on."""
    errors: dict[str, str] = {}
    if case.account_id is None or (
        by is not None and not can_see(by, Account.objects.get(pk=case.account_id))
    ):
        errors["account"] = _("Choose one of your customers.")
    if case.contact_id is not None and case.contact.account_id not in (None, case.account_id):
        errors["contact"] = _("The contact belongs to another account.")
    if case.order_id is not None:
        order = case.order
        if (by is not None and not can_see(by, order)) or case.account_id not in (
            order.account_id,
            order.end_customer_id,
        ):
            errors["order"] = _("Choose an order of this account.")
        elif (
            case.product_id is not None
            and not order.lines.filter(product_id=case.product_id).exists()
        ):
            errors["product"] = _("This product is not on the order.")
    if case.product_id is not None and by is not None and not can_see(by, case.product):
        errors["product"] = _("Choose a product of the catalog.")
    if case.kind == Case.Kind.WARRANTY and case.purchase_date is None and case.order_id is None:
        errors["purchase_date"] = _("Give the purchase date or the order, to check the warranty.")
    if case.purchase_date is not None and case.purchase_date > timezone.localdate():
        errors["purchase_date"] = _("The purchase date cannot be in the future.")
    if errors:
        raise ValidationError(errors)


def case_open(*, case: Case, by: User | None) -> Case:
    """Open a new case: numbered CASE-YYYY-NNNNN, status new, warranty checked.

    A partner's case belongs to the partner; a case staff open belongs to the organisation
    of its account, so the partner whose customer it is follows it too.
    """
    ensure_may_write(by, Case)
    if case.pk is not None:
        raise ValidationError(_("This case is already open."))
    _check(case, by)
    if case.order_id is not None and case.purchase_date is None:
        case.purchase_date = sale_date_of(case.order)
    if by is not None and by.is_partner:
        case.organisation_id = by.organisation_id
    elif case.organisation_id is None:
        case.organisation_id = case.account.organisation_id or Organisation.company().pk
    if case.owner_id is None and by is not None and not by.is_customer:
        case.owner = by
    case.status = Status.NEW
    case.resolution = ""
    case.resolved_at = None
    warranty_check(case)
    with transaction.atomic():
        case.number = next_number("case")
        return record_save(instance=case, by=by)


def _lock(case: Case) -> Case:
    return Case.objects.select_for_update(of=("self",)).get(pk=case.pk)


def case_update(*, case: Case, by: User | None, expected_version: int | None = None) -> Case:
    """Change a case's details (add information) while it is open; the warranty is checked
    again when what it depends on changed. Status and resolution move only by `case_move`."""
    ensure_may_write(by, Case)
    if by is not None and not can_see(by, case):
        raise PermissionDenied(_("You cannot change this case."))
    with transaction.atomic():
        stored = _lock(case)
        if stored.status in FINAL:
            raise ValidationError(
                _("A %(status)s case cannot be changed.")
                % {"status": stored.get_status_display().lower()}
            )
        for name in ("number", "status", "resolution", "resolved_at", "organisation_id"):
            setattr(case, name, getattr(stored, name))
        if case.kind != stored.kind and stored.status != Status.NEW:
            raise ValidationError({"kind": _("The kind of a case changes only while it is new.")})
        _check(case, by)
        if case.order_id is not None and case.purchase_date is None:
            case.purchase_date = sale_date_of(case.order)
        if any(getattr(case, name) != getattr(stored, name) for name in WARRANTY_FIELDS):
            warranty_check(case, on=timezone.localdate(stored.created_at))
        else:
            case.warranty_until, case.warranty_valid = stored.warranty_until, stored.warranty_valid
        return record_save(instance=case, by=by, expected_version=expected_version)


def case_save(*, case: Case, by: User | None, expected_version: int | None = None) -> Case:
    """Open a new case or update an open one (the pages and the API call this)."""
    if case.pk is None:
        return case_open(case=case, by=by)
    return case_update(case=case, by=by, expected_version=expected_version)


def may_move(user: User | None, case: Case, to: str) -> bool:
    """Staff make every allowed move; a partner user only closes its resolved cases."""
    if to not in ALLOWED_TRANSITIONS.get(case.status, ()):
        return False
    if user is None or user.is_internal:
        return True
    return user.is_partner and (case.status, to) in PARTNER_MOVES


def moves_for(user: User | None, case: Case) -> list[str]:
    """The statuses `user` may move `case` to, in the table's order."""
    return [to for to in Status.values if may_move(user, case, to)]


def case_move(
    *,
    case: Case,
    to: str,
    by: User | None,
    resolution: str = "",
    expected_version: int | None = None,
) -> Case:
    """Move a case to `to` if the table allows it and `by` may; resolving or rejecting needs
    a resolution (the answer, or why the claim is rejected). The partner is notified."""
    ensure_may_write(by, Case)
    if by is not None and not can_see(by, case):
        raise PermissionDenied(_("You cannot change this case."))
    if to not in Status.values:
        raise ValidationError({"status": _("Choose a status.")})
    resolution = (resolution or "").strip()
    with transaction.atomic():
        current = _lock(case)
        if expected_version is not None and expected_version != current.version:
            raise ConflictError(
                _("Someone else changed this record since you opened it. Reload and try again.")
            )
        if to not in ALLOWED_TRANSITIONS.get(current.status, ()):
            raise ValidationError(
                {
                    "status": _("A case that is %(status)s cannot become %(target)s.")
                    % {
                        "status": current.get_status_display().lower(),
                        "target": Status(to).label.lower(),
                    }
                }
            )
        if not may_move(by, current, to):
            raise PermissionDenied(_("The company's service team moves this case."))
        if to in (Status.RESOLVED, Status.REJECTED) and not resolution:
            raise ValidationError(
                {"resolution": _("Say how the case was resolved, or why it is rejected.")}
            )
        before = current.status
        current.status = to
        if resolution:
            current.resolution = resolution
        if to == Status.RESOLVED:
            current.resolved_at = timezone.now()
        elif to == Status.IN_PROGRESS and before == Status.RESOLVED:
            current.resolved_at = None
        current.version += 1
        with audit.acting_as(by):
            current.save()
        for recipient in _partner_recipients(current, by):
            transaction.on_commit(lambda r=recipient: _notify_status(r, current))
    return current


def case_delete(*, case: Case, by: User | None) -> None:
    """Staff delete a case opened by mistake while it is new; otherwise it is rejected."""
    if by is not None and not by.is_internal:
        raise PermissionDenied(_("Only the company's staff delete a case."))
    if case.status != Status.NEW:
        raise ValidationError(_("Only a new case can be deleted; reject or close it instead."))
    record_delete(instance=case, by=by)


def _partner_recipients(case: Case, by: User | None) -> list[User]:
    """Who at the partner hears of a status change: the partner user who opened the case,
    else the partner's administrators; never the person who made the change."""
    if case.organisation.kind != Organisation.Kind.PARTNER:
        return []
    owner = case.owner
    if owner is not None and owner.is_partner and owner.organisation_id == case.organisation_id:
        recipients = [owner]
    else:
        recipients = list(
            User.objects.filter(
                organisation_id=case.organisation_id, role=Role.PARTNER_ADMIN, is_active=True
            )
        )
    return [user for user in recipients if user.is_active and (by is None or user.pk != by.pk)]


def _notify_status(recipient: User, case: Case) -> None:
    with in_language_of(recipient):
        notification_send(
            recipient=recipient,
            message=_("Case %(number)s is now %(status)s.")
            % {"number": case.number, "status": case.get_status_display().lower()},
            url=case.get_absolute_url(),
            kind="case_status",
            email=True,
        )
