"""Writes on deal registrations: submit (with conflict detection), approve, reject, withdraw,
and the daily end of protection.

A partner user submits; the customer's name, tax id and web domain are normalised so the
same customer is recognised however it was typed, and the conflicts found then (an open
company deal with that customer, another active registration of it) are stored with the
registration for the channel manager to judge. The partner's channel manager (or an
administrator) approves — the partner is protected for the programme's number of days and
gets an opportunity of its own — or rejects with a reason. The status moves only through
`_transition`, checked against `ALLOWED_TRANSITIONS`.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Replace, Upper
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from allyance.core import audit
from allyance.core.models import Organisation, Role, User
from allyance.core.normalise import name_key
from allyance.core.notifications import in_language_of, notification_send
from allyance.core.services import ensure_may_write, record_save
from allyance.core.visibility import can_see, managed_organisation_ids_of
from allyance.partners.models import DealRegistration, ProgrammeSettings

Status = DealRegistration.Status

# From each status, the statuses a registration may move to. The rest are final.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.SUBMITTED: frozenset({Status.APPROVED, Status.REJECTED, Status.WITHDRAWN}),
    Status.APPROVED: frozenset({Status.EXPIRED}),
    Status.REJECTED: frozenset(),
    Status.WITHDRAWN: frozenset(),
    Status.EXPIRED: frozenset(),
}

# Why a conflict was found, as stored in `conflicts[…]["why"]`.
WHY_NAME = "name"
WHY_TAX_ID = "tax_id"
WHY_DOMAIN = "domain"
# At most this many company deals are compared per submission (the closest matches).
MAX_DEAL_CANDIDATES = 200

_SPACES = re.compile(r"\s+")


# --- Normalisation -------------------------------------------------------------------------


def tax_id_normalised(raw: str) -> str:
    """`91310000 ma1fl` → `91310000MA1FL`: upper case, no spaces."""
    return _SPACES.sub("", raw or "").upper()


def domain_normalised(raw: str) -> str:
    """The web domain of a URL, a host or an e-mail address, lower case and without `www.`.

    `https://www.Huadong.cn/about` → `huadong.cn`; `li@huadong.cn` → `huadong.cn`.
    """
    text = (raw or "").strip().lower()
    if not text:
        return ""
    if "@" in text and "//" not in text:
        text = text.rsplit("@", 1)[1]
    try:
        host = urlsplit(text if "//" in text else f"//{text}").hostname or ""
    except ValueError:
        host = ""
    return host.strip(".").removeprefix("www.")


def _normalise(registration: DealRegistration) -> None:
    registration.customer_name = (registration.customer_name or "").strip()
    registration.customer_key = name_key(registration.customer_name)
    registration.tax_id = tax_id_normalised(registration.tax_id)
    registration.domain = domain_normalised(registration.domain)


# --- Who may do what -----------------------------------------------------------------------


def may_decide(user: User | None, registration: DealRegistration) -> bool:
    """The partner's channel manager (or one of the partners above it) or an administrator."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_admin:
        return True
    return (
        user.role == Role.CHANNEL_MANAGER
        and registration.organisation_id in managed_organisation_ids_of(user)
    )


def may_withdraw(user: User | None, registration: DealRegistration) -> bool:
    """The partner's own users, while the registration waits for a decision."""
    return (
        user is not None
        and user.is_authenticated
        and user.is_partner
        and registration.status == Status.SUBMITTED
        and can_see(user, registration)
    )


def allowed_actions(user: User | None, registration: DealRegistration) -> set[str]:
    """The actions the registration page offers `user`."""
    actions: set[str] = set()
    if registration.status == Status.SUBMITTED and may_decide(user, registration):
        actions |= {"approve", "reject"}
    if may_withdraw(user, registration):
        actions.add("withdraw")
    return actions


def channel_managers_of(organisation: Organisation) -> list[User]:
    """Who looks after `organisation`: its channel manager, else the nearest one above it,
    else the administrators."""
    seen: set[int] = set()
    node: Organisation | None = organisation
    while node is not None and node.pk not in seen:
        seen.add(node.pk)
        manager = node.channel_manager
        if manager is not None and manager.is_active:
            return [manager]
        node = node.parent
    return list(
        User.objects.filter(is_active=True).filter(Q(role=Role.ADMIN) | Q(is_superuser=True))
    )


# --- Conflicts -----------------------------------------------------------------------------


def _active_condition(today: datetime.date) -> Q:
    """Registrations that still claim their customer: submitted, or approved and protected."""
    return Q(status=Status.SUBMITTED) | (
        Q(status=Status.APPROVED)
        & (Q(protected_until__isnull=True) | Q(protected_until__gte=today))
    )


def _deal_candidates(registration: DealRegistration) -> QuerySet:
    """Open company deals whose account may be the same customer (checked exactly later)."""
    from allyance.core.search import search_queryset
    from allyance.customers.models import Account
    from allyance.sales.models import Opportunity, Stage

    deals = Opportunity.objects.filter(
        organisation__kind=Organisation.Kind.COMPANY,
        outcome=Stage.Outcome.OPEN,
        account__isnull=False,
    ).annotate(
        _account_tax_id=Replace(Upper("account__tax_id"), Value(" "), Value("")),
    )
    # The search index folds width and case as `name_key` does; it finds the name candidates.
    same_name = search_queryset(Account.objects.all(), registration.customer_name).values("pk")
    match = Q(account__in=same_name) | Q(account__name__iexact=registration.customer_name)
    if registration.tax_id:
        match |= Q(_account_tax_id=registration.tax_id)
    if registration.domain:
        match |= Q(account__website__icontains=registration.domain)
    return deals.filter(match).select_related("account").order_by("-updated_at", "-id")


def registration_conflicts(
    registration: DealRegistration, *, today: datetime.date | None = None
) -> list[dict]:
    """What the registration's customer collides with: open company deals for the same
    customer, and other active registrations of it (the partner's own duplicates too).

    Each entry is `{"kind", "id", "label", "why": [name|tax_id|domain], "own"}`.
    """
    today = today or timezone.localdate()
    key, tax, domain = registration.customer_key, registration.tax_id, registration.domain
    found: list[dict] = []
    for deal in _deal_candidates(registration)[:MAX_DEAL_CANDIDATES]:
        account = deal.account
        why = []
        if key and name_key(account.name) == key:
            why.append(WHY_NAME)
        if tax and tax_id_normalised(account.tax_id) == tax:
            why.append(WHY_TAX_ID)
        if domain and domain_normalised(account.website) == domain:
            why.append(WHY_DOMAIN)
        if why:
            found.append(
                {
                    "kind": "opportunity",
                    "id": deal.pk,
                    "label": f"{deal.name} · {account.name}",
                    "why": why,
                    "own": False,
                }
            )
    same = Q(customer_key=key) if key else Q(pk__in=[])
    if tax:
        same |= Q(tax_id=tax)
    if domain:
        same |= Q(domain=domain)
    others = (
        DealRegistration.objects.filter(_active_condition(today) & same)
        .exclude(pk=registration.pk)
        .select_related("organisation")
        .order_by("-submitted_at", "-id")
    )
    for other in others:
        why = []
        if key and other.customer_key == key:
            why.append(WHY_NAME)
        if tax and other.tax_id == tax:
            why.append(WHY_TAX_ID)
        if domain and other.domain == domain:
            why.append(WHY_DOMAIN)
        found.append(
            {
                "kind": "registration",
                "id": other.pk,
                "label": f"{other.customer_name} · {other.organisation.name}",
                "why": why,
                "own": other.organisation_id == registration.organisation_id,
            }
        )
    return found


# --- Submission ----------------------------------------------------------------------------


def _check_fields(registration: DealRegistration, by: User, products: list) -> None:
    errors: dict[str, list[str]] = {}
    if not registration.customer_key:
        errors["customer_name"] = [_("Enter the customer's name.")]
    if registration.currency not in settings.CURRENCIES:
        errors["currency"] = [
            _("Choose one of these currencies: %(codes)s.")
            % {"codes": ", ".join(settings.CURRENCIES)}
        ]
    if registration.estimated_amount is not None and registration.estimated_amount < 0:
        errors["estimated_amount"] = [_("The amount must be zero or more.")]
    if registration.account_id is not None and not can_see(by, registration.account):
        errors["account"] = [_("Choose one of your own accounts.")]
    if any(not product.active for product in products):
        errors["products"] = [_("Choose products that are on sale.")]
    if errors:
        raise ValidationError(errors)


def _take_from_account(registration: DealRegistration) -> None:
    """An empty tax id or domain is taken from the partner's account for this customer."""
    account = registration.account
    if account is None:
        return
    if not registration.tax_id:
        registration.tax_id = account.tax_id
    if not registration.domain:
        registration.domain = account.website


def registration_submit(
    *,
    registration: DealRegistration,
    by: User,
    products: Iterable | None = None,
) -> DealRegistration:
    """Register a deal a partner found: normalised, checked for conflicts, stored as submitted.

    Only partner users submit; the registration belongs to their organisation and to them.
    The channel manager is told.
    """
    if registration.pk is not None:
        raise ValueError("registration_submit records a new registration.")
    ensure_may_write(by, DealRegistration)
    if by is None or not by.is_partner or by.organisation_id is None:
        raise PermissionDenied(_("Only partner users register deals."))
    products = list(products or [])
    registration.organisation = by.organisation
    registration.owner = by
    registration.status = Status.SUBMITTED
    registration.submitted_at = timezone.now()
    registration.decided_at = None
    registration.decided_by = None
    registration.decision_reason = ""
    registration.protected_until = None
    registration.opportunity = None
    _take_from_account(registration)
    _normalise(registration)
    _check_fields(registration, by, products)
    with transaction.atomic():
        registration.conflicts = registration_conflicts(registration)
        record_save(instance=registration, by=by)
        if products:
            with audit.acting_as(by):
                registration.products.set(products)
        for manager in channel_managers_of(registration.organisation):
            _notify(
                manager,
                registration,
                "deal_registration_submitted",
                lambda: _submitted_message(registration),
            )
    return registration


def _submitted_message(registration: DealRegistration) -> str:
    values = {
        "partner": registration.organisation,
        "customer": registration.customer_name,
        "count": len(registration.conflicts),
    }
    if not registration.conflicts:
        return _("%(partner)s registered a deal with %(customer)s") % values
    return (
        ngettext(
            "%(partner)s registered a deal with %(customer)s (%(count)d possible conflict)",
            "%(partner)s registered a deal with %(customer)s (%(count)d possible conflicts)",
            values["count"],
        )
        % values
    )


# --- Status transitions --------------------------------------------------------------------


def _notify(recipient: User, registration: DealRegistration, kind: str, text: Callable) -> None:
    with in_language_of(recipient):
        notification_send(
            recipient=recipient,
            message=text(),
            url=registration.get_absolute_url(),
            kind=kind,
            email=True,
        )


def _transition(
    *,
    registration: DealRegistration,
    to: str,
    by: User | None,
    check: Callable[[DealRegistration], None] | None = None,
    apply: Callable[[DealRegistration], None] | None = None,
) -> DealRegistration:
    """Move the registration to `to` if the table allows it; `check` refuses, `apply` sets
    fields. Runs inside the caller's transaction."""
    with transaction.atomic():
        current = DealRegistration.objects.select_for_update().get(pk=registration.pk)
        if to not in ALLOWED_TRANSITIONS.get(current.status, ()):
            raise ValidationError(
                {
                    "status": _("A registration that is %(status)s cannot become %(target)s.")
                    % {
                        "status": current.get_status_display().lower(),
                        "target": Status(to).label.lower(),
                    }
                }
            )
        if check is not None:
            check(current)
        if apply is not None:
            apply(current)
        current.status = to
        current.version += 1
        with audit.acting_as(by):
            current.save()
    for field in DealRegistration._meta.concrete_fields:
        setattr(registration, field.attname, getattr(current, field.attname))
    return current


def _check_decider(by: User | None, registration: DealRegistration) -> None:
    ensure_may_write(by, DealRegistration)
    if not may_decide(by, registration):
        raise PermissionDenied(
            _("Only the partner's channel manager or an administrator decides on registrations.")
        )


def _opportunity_for(registration: DealRegistration, by: User):
    """The partner's new deal: its account (or a new one for the customer), the amounts and
    dates registered, in the default pipeline's first open stage."""
    from allyance.customers.models import Account, Source
    from allyance.customers.services import account_save
    from allyance.sales.models import Opportunity, Stage
    from allyance.sales.services.opportunities import opportunity_save
    from allyance.sales.services.pipelines import pipeline_default

    owner = registration.owner if registration.owner_id else None
    account = registration.account
    if account is None:
        account = account_save(
            account=Account(
                kind=Account.Kind.COMPANY,
                name=registration.customer_name[:200],
                tax_id=registration.tax_id,
                website=f"https://{registration.domain}" if registration.domain else "",
                source=Source.PARTNER,
                organisation=registration.organisation,
                owner=owner,
            ),
            by=by,
        )
    pipeline = pipeline_default()
    stage = (
        pipeline.stages.filter(outcome=Stage.Outcome.OPEN).order_by("order", "id").first()
        or pipeline.stages.order_by("order", "id").first()
    )
    name = registration.customer_name
    if registration.product_interest:
        name = f"{name} · {registration.product_interest}"
    products = ", ".join(str(product) for product in registration.products.all())
    description = "\n\n".join(part for part in (registration.description, products) if part)
    return opportunity_save(
        opportunity=Opportunity(
            name=name[:200],
            account=account,
            pipeline=pipeline,
            stage=stage,
            amount=registration.estimated_amount,
            currency=registration.currency,
            close_date=registration.expected_close,
            source=Source.PARTNER,
            description=description,
            organisation=registration.organisation,
            owner=owner,
        ),
        by=by,
    )


def registration_approve(
    *,
    registration: DealRegistration,
    by: User,
    protection_days: int | None = None,
) -> DealRegistration:
    """Approve: the partner is protected for `protection_days` (the programme's, unless
    given) and the deal becomes an opportunity owned by the partner. The partner is told."""
    _check_decider(by, registration)
    if protection_days is None:
        protection_days = ProgrammeSettings.current().protection_days
    if int(protection_days) < 1:
        raise ValidationError({"protection_days": [_("Protect the deal for at least one day.")]})
    today = timezone.localdate()

    def apply(current: DealRegistration) -> None:
        current.decided_at = timezone.now()
        current.decided_by = by
        current.decision_reason = ""
        current.protected_until = today + datetime.timedelta(days=int(protection_days))
        current.opportunity = _opportunity_for(current, by)

    with transaction.atomic():
        current = _transition(registration=registration, to=Status.APPROVED, by=by, apply=apply)
        _notify_partner(
            current,
            "deal_registration_approved",
            lambda: (
                _("Your deal registration for %(customer)s was approved; protected until %(date)s")
                % {"customer": current.customer_name, "date": current.protected_until.isoformat()}
            ),
        )
    return current


def registration_reject(
    *, registration: DealRegistration, reason: str, by: User
) -> DealRegistration:
    """Reject with a reason (required), which the partner reads; the partner is told."""
    _check_decider(by, registration)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the registration is rejected.")]})
    if len(reason) > 255:
        raise ValidationError({"reason": [_("Keep the reason under 255 characters.")]})

    def apply(current: DealRegistration) -> None:
        current.decided_at = timezone.now()
        current.decided_by = by
        current.decision_reason = reason

    with transaction.atomic():
        current = _transition(registration=registration, to=Status.REJECTED, by=by, apply=apply)
        _notify_partner(
            current,
            "deal_registration_rejected",
            lambda: (
                _("Your deal registration for %(customer)s was rejected: %(reason)s")
                % {"customer": current.customer_name, "reason": reason}
            ),
        )
    return current


def registration_withdraw(*, registration: DealRegistration, by: User) -> DealRegistration:
    """The partner takes back a registration that waits for a decision."""
    ensure_may_write(by, DealRegistration)
    if by is None or not by.is_partner or not can_see(by, registration):
        raise PermissionDenied(_("Only the partner that registered the deal withdraws it."))
    return _transition(registration=registration, to=Status.WITHDRAWN, by=by)


def _notify_partner(registration: DealRegistration, kind: str, text: Callable) -> None:
    owner = registration.owner
    if owner is not None and owner.is_active:
        _notify(owner, registration, kind, text)


def registrations_expire(*, today: datetime.date | None = None) -> int:
    """Approved registrations whose protection ended become expired; returns how many did.

    Idempotent: run it daily (`manage.py expire_deal_protection` or its task)."""
    today = today or timezone.localdate()
    due = DealRegistration.objects.filter(
        status=Status.APPROVED, protected_until__lt=today
    ).values_list("pk", flat=True)
    count = 0
    for pk in list(due):
        with transaction.atomic():
            current = DealRegistration.objects.select_for_update().filter(pk=pk).first()
            if (
                current is None
                or current.status != Status.APPROVED
                or current.protected_until is None
                or current.protected_until >= today
            ):
                continue
            _transition(registration=current, to=Status.EXPIRED, by=None)
            _notify_partner(
                current,
                "deal_registration_expired",
                lambda current=current: (
                    _("The protection of your deal with %(customer)s ended")
                    % {"customer": current.customer_name}
                ),
            )
            count += 1
    return count
