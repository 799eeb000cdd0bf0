"""Writes on sales expenses: entry against a deal or an account, and the approval step.

The status moves only through `expense_transition`, checked against
`ALLOWED_TRANSITIONS`. Who may decide is `approvers_for(owner)`: the managers of
the owner's teams; when the owner has none, the sales managers (for staff) or
the partner's administrators (for partner users). Administrators may always
decide; nobody decides on their own expense.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from allyance.core import audit
from allyance.core.models import STAFF_ROLES, Organisation, Role, Team, User
from allyance.core.notifications import in_language_of, notification_send
from allyance.core.services import record_delete, record_save
from allyance.core.visibility import can_see
from allyance.sales.models import Expense

Status = Expense.Status

# From each status, the statuses an expense may move to. Approved is final.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.DRAFT: frozenset({Status.SUBMITTED}),
    Status.SUBMITTED: frozenset({Status.APPROVED, Status.REJECTED}),
    Status.REJECTED: frozenset({Status.SUBMITTED}),
    Status.APPROVED: frozenset(),
}
EDITABLE = frozenset({Status.DRAFT, Status.REJECTED})


def _managed_team_memberships() -> QuerySet:
    """(team, member) rows where the team has a manager other than the member."""
    return Team.members.through.objects.filter(team__manager__isnull=False).exclude(
        team__manager_id=F("user_id")
    )


def approvers_for(owner: User) -> QuerySet[User]:
    """Who decides on `owner`'s expenses (administrators aside): see the module docstring."""
    active = User.objects.filter(is_active=True).exclude(pk=owner.pk)
    managers = active.filter(managed_teams__members=owner).distinct()
    if managers.exists():
        return managers
    if owner.is_partner:
        return active.filter(role=Role.PARTNER_ADMIN, organisation_id=owner.organisation_id)
    return active.filter(role=Role.SALES_MANAGER)


def owners_approvable_by(user: User) -> QuerySet[User]:
    """The people whose expenses `user` may approve or reject (the inverse of `approvers_for`)."""
    others = User.objects.exclude(pk=user.pk)
    if not user.is_active:
        return others.none()
    if user.is_admin:
        return others
    unmanaged = others.exclude(pk__in=_managed_team_memberships().values("user_id"))
    condition = Q(pk__in=others.filter(teams__manager=user).values("pk"))
    if user.role == Role.SALES_MANAGER:
        condition |= Q(pk__in=unmanaged.filter(role__in=STAFF_ROLES).values("pk"))
    if user.role == Role.PARTNER_ADMIN:
        condition |= Q(
            pk__in=unmanaged.filter(
                role__in=(Role.PARTNER_ADMIN, Role.PARTNER_USER),
                organisation_id=user.organisation_id,
            ).values("pk")
        )
    return others.filter(condition)


def may_decide(user: User, expense: Expense) -> bool:
    """True when `user` may approve or reject `expense` (never their own)."""
    if user is None or not user.is_authenticated or expense.owner_id is None:
        return False
    if expense.owner_id == user.pk:
        return False
    return owners_approvable_by(user).filter(pk=expense.owner_id).exists()


def _link_account(expense: Expense) -> None:
    """An expense on a deal is on the deal's account; at least one of them is required."""
    if expense.opportunity_id is not None:
        account_id = expense.opportunity.account_id
        if expense.account_id is not None and account_id and expense.account_id != account_id:
            raise ValidationError({"account": _("The opportunity belongs to another account.")})
        if account_id is not None:
            expense.account_id = account_id
    elif expense.account_id is None:
        raise ValidationError(
            {"opportunity": _("Choose the opportunity or the account this expense is for.")}
        )


def expense_save(
    *, expense: Expense, by: User | None, expected_version: int | None = None
) -> Expense:
    """Record or change an expense; only drafts and rejected expenses may change.

    The owner is the person who spent (the creator); status and decision fields
    are left to `expense_transition`.
    """
    if expense.pk is None:
        if by is not None and not by.is_customer:
            expense.owner = by
        if expense.organisation_id is None:
            expense.organisation = (
                by.organisation if by is not None and by.organisation_id else Organisation.company()
            )
        expense.status = Status.DRAFT
        expense.approver = None
        expense.submitted_at = expense.decided_at = None
        expense.decision_comment = ""
    else:
        stored = Expense.objects.get(pk=expense.pk)
        if stored.status not in EDITABLE:
            raise ValidationError(
                _("A %(status)s expense cannot be changed.")
                % {"status": stored.get_status_display().lower()}
            )
        for name in ("status", "approver_id", "submitted_at", "decided_at", "owner_id"):
            setattr(expense, name, getattr(stored, name))
    _link_account(expense)
    return record_save(instance=expense, by=by, expected_version=expected_version)


def expense_delete(*, expense: Expense, by: User) -> None:
    """Delete an expense that has not been submitted or decided on."""
    if expense.status not in EDITABLE:
        raise ValidationError(
            _("A %(status)s expense cannot be deleted.")
            % {"status": expense.get_status_display().lower()}
        )
    record_delete(instance=expense, by=by)


def _notify(recipient: User, expense: Expense, kind: str, text) -> None:
    with in_language_of(recipient):
        notification_send(
            recipient=recipient,
            message=text(),
            url=expense.get_absolute_url(),
            kind=kind,
            email=True,
        )


def expense_transition(
    *,
    expense: Expense,
    to: str,
    by: User,
    comment: str = "",
    expected_version: int | None = None,
) -> Expense:
    """Move `expense` to status `to` if the table allows it and `by` may; notify who must know.

    Submitting (the owner, or whoever may edit it) notifies the approvers;
    approving or rejecting (an approver, never the owner) notifies the owner.
    A rejection needs a comment.
    """
    comment = (comment or "").strip()
    with transaction.atomic():
        current = (
            Expense.objects.select_for_update(of=("self",))
            .select_related("owner")
            .get(pk=expense.pk)
        )
        if expected_version is not None and expected_version != current.version:
            from allyance.core.exceptions import ConflictError

            raise ConflictError(
                _("Someone else changed this record since you opened it. Reload and try again.")
            )
        if to not in ALLOWED_TRANSITIONS.get(current.status, ()):
            raise ValidationError(
                {
                    "status": _("An expense that is %(status)s cannot become %(target)s.")
                    % {
                        "status": current.get_status_display().lower(),
                        "target": Status(to).label.lower() if to in Status.values else to,
                    }
                }
            )
        owner = current.owner
        now = timezone.now()
        if to == Status.SUBMITTED:
            if not can_see(by, current) or by.is_customer:
                raise PermissionDenied(_("You cannot change this expense."))
            if owner is not None and owner.pk != by.pk and not by.is_admin:
                raise PermissionDenied(_("Only the person who spent may submit the expense."))
            approvers = list(approvers_for(owner)) if owner is not None else []
            current.approver = approvers[0] if len(approvers) == 1 else None
            current.submitted_at = now
            current.decided_at = None
            current.decision_comment = ""
        else:
            if not may_decide(by, current):
                if owner is not None and owner.pk == by.pk:
                    raise PermissionDenied(_("You cannot approve or reject your own expense."))
                raise PermissionDenied(_("Only the owner's manager may approve this expense."))
            if to == Status.REJECTED and not comment:
                raise ValidationError({"comment": _("Say why the expense is rejected.")})
            current.approver = by
            current.decided_at = now
            current.decision_comment = comment
        current.status = to
        current.version += 1
        with audit.acting_as(by):
            current.save()
        if to == Status.SUBMITTED:
            for approver in approvers:
                _notify(
                    approver,
                    current,
                    "expense_submitted",
                    lambda: (
                        _("%(owner)s submitted an expense for approval: %(expense)s")
                        % {"owner": owner, "expense": current}
                    ),
                )
        elif owner is not None and owner.is_active:
            if to == Status.APPROVED:
                _notify(
                    owner,
                    current,
                    "expense_approved",
                    lambda: (
                        _("%(by)s approved your expense %(expense)s")
                        % {"by": by, "expense": current}
                    ),
                )
            else:
                _notify(
                    owner,
                    current,
                    "expense_rejected",
                    lambda: (
                        _("%(by)s rejected your expense %(expense)s: %(comment)s")
                        % {"by": by, "expense": current, "comment": comment}
                    ),
                )
    return current


def expense_submit(*, expense: Expense, by: User, expected_version: int | None = None) -> Expense:
    return expense_transition(
        expense=expense, to=Status.SUBMITTED, by=by, expected_version=expected_version
    )


def expense_approve(
    *, expense: Expense, by: User, comment: str = "", expected_version: int | None = None
) -> Expense:
    return expense_transition(
        expense=expense,
        to=Status.APPROVED,
        by=by,
        comment=comment,
        expected_version=expected_version,
    )


def expense_reject(
    *, expense: Expense, by: User, comment: str, expected_version: int | None = None
) -> Expense:
    return expense_transition(
        expense=expense,
        to=Status.REJECTED,
        by=by,
        comment=comment,
        expected_version=expected_version,
    )
