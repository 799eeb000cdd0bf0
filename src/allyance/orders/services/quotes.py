"""Writes on quotes: creation, header and line edits, approval, sending, decisions, revisions.

The status moves only through `_transition`, checked against `ALLOWED_TRANSITIONS`.
A quote whose line or overall discount is above `OrderSettings.discount_approval_percent`
needs a sales manager's or an administrator's approval before it is sent; nobody but an
administrator approves their own quote. Editing a quote that waits for approval or was
approved sends it back to draft. A revision is a new quote with the same number; the one
it replaces is superseded and never changes again.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from allyance.core import audit
from allyance.core.exceptions import ConflictError
from allyance.core.models import Organisation, Role, User
from allyance.core.notifications import in_language_of, notification_send
from allyance.core.services import ensure_may_write, record_save
from allyance.core.visibility import can_see
from allyance.orders.models import OrderSettings, Quote, QuoteLine
from allyance.orders.services import lines as line_services
from allyance.orders.services.numbers import next_number

Status = Quote.Status

# From each status, the statuses a quote may move to. Accepted and superseded are final.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.DRAFT: frozenset({Status.PENDING_APPROVAL, Status.SENT, Status.SUPERSEDED}),
    Status.PENDING_APPROVAL: frozenset(
        {Status.APPROVED, Status.DRAFT, Status.SUPERSEDED},
    ),
    Status.APPROVED: frozenset({Status.SENT, Status.DRAFT, Status.EXPIRED, Status.SUPERSEDED}),
    Status.SENT: frozenset({Status.ACCEPTED, Status.REJECTED, Status.EXPIRED, Status.SUPERSEDED}),
    Status.ACCEPTED: frozenset(),
    Status.REJECTED: frozenset({Status.SUPERSEDED}),
    Status.EXPIRED: frozenset({Status.SUPERSEDED}),
    Status.SUPERSEDED: frozenset(),
}
# Lines and header may change in these; a change to a pending or approved quote reopens it.
EDITABLE = frozenset({Status.DRAFT, Status.PENDING_APPROVAL, Status.APPROVED})
REOPENED_BY_EDIT = frozenset({Status.PENDING_APPROVAL, Status.APPROVED})
# Fields only the transitions write.
_PROTECTED = (
    "number",
    "revision",
    "previous_id",
    "status",
    "approval_requested_at",
    "approved_by_id",
    "approved_at",
    "approval_comment",
    "sent_at",
    "decided_at",
    "rejection_reason",
    "subtotal",
    "discount_total",
    "tax_total",
    "total",
)
_TOTALS = ("subtotal", "discount_total", "tax_total", "total")


# --- Rules read by pages and the API ------------------------------------------------------


def approval_threshold() -> Decimal:
    return OrderSettings.current().discount_approval_percent


def needs_approval(quote: Quote, *, threshold: Decimal | None = None) -> bool:
    """True when the overall discount or any line's discount is above the threshold."""
    threshold = approval_threshold() if threshold is None else threshold
    if Decimal(quote.discount_percent or 0) > threshold:
        return True
    if quote.pk is None:
        return False
    if "lines" in getattr(quote, "_prefetched_objects_cache", {}):  # a list read them already
        return any(line.discount_percent > threshold for line in quote.lines.all())
    return quote.lines.filter(discount_percent__gt=threshold).exists()


def needs_approval_condition(threshold: Decimal | None = None) -> Q:
    """The queryset form of `needs_approval` (for list filters)."""
    threshold = approval_threshold() if threshold is None else threshold
    return Q(discount_percent__gt=threshold) | Q(
        pk__in=QuoteLine.objects.filter(discount_percent__gt=threshold).values("quote_id")
    )


def is_approver(user: User | None) -> bool:
    """Sales managers and administrators approve discounts."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and (user.is_admin or user.role == Role.SALES_MANAGER)
    )


def may_approve(user: User | None, quote: Quote) -> bool:
    """A sales manager or an administrator; never the quote's owner unless an administrator."""
    if not is_approver(user):
        return False
    return user.is_admin or quote.owner_id != user.pk


def may_edit(user: User | None, quote: Quote) -> bool:
    return (
        quote.status in EDITABLE
        and user is not None
        and user.is_authenticated
        and not user.is_customer
    )


def approvers_for(quote: Quote) -> QuerySet[User]:
    """Whom a request for approval notifies: the owner's teams' sales managers and the admins.

    When the owner's teams have no sales manager, every sales manager is told.
    """
    active = User.objects.filter(is_active=True)
    admins = Q(role=Role.ADMIN) | Q(is_superuser=True)
    managers = Q(pk__in=[])
    if quote.owner_id is not None:
        team_managers = active.filter(
            role=Role.SALES_MANAGER, managed_teams__members=quote.owner_id
        ).exclude(pk=quote.owner_id)
        if team_managers.exists():
            managers = Q(pk__in=team_managers.values("pk"))
        else:
            managers = Q(role=Role.SALES_MANAGER)
    else:
        managers = Q(role=Role.SALES_MANAGER)
    recipients = active.filter(admins | managers)
    if quote.owner_id is not None:
        # An administrator who owns the quote may approve it, but needs no reminder.
        recipients = recipients.exclude(pk=quote.owner_id)
    return recipients.distinct()


def allowed_actions(user: User | None, quote: Quote) -> set[str]:
    """The actions the quote page offers `user` as buttons."""
    if user is None or not user.is_authenticated or user.is_customer:
        return set()
    status = quote.status
    actions: set[str] = set()
    if status in EDITABLE:
        actions.add("edit")
    if status == Status.DRAFT:
        actions.add("request_approval" if needs_approval(quote) else "mark_sent")
    if status == Status.PENDING_APPROVAL and may_approve(user, quote):
        actions |= {"approve", "decline_approval"}
    if status == Status.APPROVED:
        actions.add("mark_sent")
    if status == Status.SENT:
        actions |= {"accept", "reject"}
    if status not in (Status.SUPERSEDED, Status.ACCEPTED):
        actions.add("revise")
    return actions


# --- Creation and header -------------------------------------------------------------------


def _default_ownership(quote: Quote, by: User | None) -> None:
    """As for other records: the creator owns a new quote, in the creator's organisation."""
    if quote.owner_id is None and by is not None and not by.is_customer:
        quote.owner = by
    if quote.organisation_id is None:
        quote.organisation = (
            by.organisation if by is not None and by.organisation_id else Organisation.company()
        )


def _price_list_for(account, currency: str | None):
    """The catalog's choice of list for the account (its own, else the default)."""
    try:
        from allyance.catalog.selectors.pricing import price_list_for
    except ImportError:  # the catalog part has not landed: the same rule, simply
        from allyance.catalog.models import PriceList

        lists = PriceList.objects.filter(active=True)
        if currency:
            lists = lists.filter(currency=currency)
        today = timezone.localdate()
        lists = lists.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=today),
            Q(valid_until__isnull=True) | Q(valid_until__gte=today),
        )
        own = lists.filter(accounts=account).order_by("name", "id").first() if account else None
        return own or lists.filter(is_default=True).order_by("id").first()
    return price_list_for(account, currency=currency)


def quote_create(
    *,
    by: User | None,
    account,
    opportunity=None,
    contact=None,
    price_list=None,
    currency: str | None = None,
    title: str = "",
    discount_percent: Decimal | None = None,
    valid_until: datetime.date | None = None,
    terms: str | None = None,
    notes: str = "",
    owner: User | None = None,
    custom_fields: dict | None = None,
) -> Quote:
    """Start a draft quote: numbered, priced on the account's list, valid for the set days.

    The currency comes from the opportunity, else the price list; the price list is the one
    given, else the catalog's list for the account in that currency.
    """
    ensure_may_write(by, Quote)
    if opportunity is not None:
        if account is None:
            account = opportunity.account
        elif opportunity.account_id and opportunity.account_id != account.pk:
            raise ValidationError({"opportunity": _("The opportunity belongs to another account.")})
        currency = currency or opportunity.currency
    if account is None:
        raise ValidationError({"account": _("Choose the account this quote is for.")})
    if contact is not None and contact.account_id and contact.account_id != account.pk:
        raise ValidationError({"contact": _("The contact works for another account.")})
    if price_list is not None:
        currency = currency or price_list.currency
        if price_list.currency != currency:
            raise ValidationError(
                {
                    "price_list": _("The price list is in %(list)s, the quote in %(quote)s.")
                    % {"list": price_list.currency, "quote": currency}
                }
            )
    else:
        price_list = _price_list_for(account, currency)
        if price_list is None:
            raise ValidationError({"price_list": _("No price list for this account and currency.")})
        currency = price_list.currency
    settings_row = OrderSettings.current()
    quote = Quote(
        account=account,
        opportunity=opportunity,
        contact=contact,
        price_list=price_list,
        currency=currency,
        title=title or "",
        discount_percent=Decimal(discount_percent or 0),
        valid_until=valid_until
        or timezone.localdate() + datetime.timedelta(days=settings_row.quote_validity_days),
        terms=settings_row.default_terms if terms is None else terms,
        notes=notes or "",
        owner=owner,
        custom_fields=custom_fields or {},
        status=Status.DRAFT,
    )
    _default_ownership(quote, by)
    quote.full_clean(exclude=["number", "owner", "organisation"])
    with transaction.atomic():
        quote.number = next_number("quote")
        record_save(instance=quote, by=by)
    return quote


def _lock(quote: Quote, expected_version: int | None) -> Quote:
    """The stored quote, locked for this transaction; a stale version is a conflict."""
    current = Quote.objects.select_for_update(of=("self",)).get(pk=quote.pk)
    if expected_version is not None and expected_version != current.version:
        raise ConflictError(
            _("Someone else changed this record since you opened it. Reload and try again.")
        )
    return current


def _refuse_unless_editable(quote: Quote) -> None:
    if quote.status not in EDITABLE:
        raise ValidationError(
            _("A quote that is %(status)s cannot be changed; revise it instead.")
            % {"status": quote.get_status_display().lower()}
        )


def _reopen(quote: Quote) -> None:
    """An edited quote that waited for approval or was approved is a draft again."""
    if quote.status in REOPENED_BY_EDIT:
        quote.status = Status.DRAFT
        quote.approval_requested_at = None
        quote.approved_by = None
        quote.approved_at = None
        quote.approval_comment = ""


def quote_save(*, quote: Quote, by: User | None, expected_version: int | None = None) -> Quote:
    """Save header changes (title, contact, discount, validity, terms …) of an editable quote.

    A new quote goes through `quote_create`. The status, number and approval fields are kept
    as stored; the totals follow the overall discount.
    """
    if quote.pk is None:
        return quote_create(
            by=by,
            account=quote.account,
            opportunity=quote.opportunity,
            contact=quote.contact,
            price_list=quote.price_list if quote.price_list_id else None,
            currency=quote.currency or None,
            title=quote.title,
            discount_percent=quote.discount_percent,
            valid_until=quote.valid_until,
            terms=quote.terms or None,
            notes=quote.notes,
            owner=quote.owner,
            custom_fields=quote.custom_fields,
        )
    ensure_may_write(by, Quote)
    with transaction.atomic():
        stored = _lock(quote, expected_version)
        _refuse_unless_editable(stored)
        for name in _PROTECTED:
            setattr(quote, name, getattr(stored, name))
        if quote.account_id is None:
            raise ValidationError({"account": _("Choose the account this quote is for.")})
        if (
            quote.opportunity_id
            and quote.opportunity.account_id
            and quote.opportunity.account_id != quote.account_id
        ):
            raise ValidationError({"opportunity": _("The opportunity belongs to another account.")})
        if quote.contact_id and quote.contact.account_id not in (None, quote.account_id):
            raise ValidationError({"contact": _("The contact works for another account.")})
        has_products = stored.lines.filter(product__isnull=False).exists()
        if has_products and quote.price_list_id != stored.price_list_id:
            raise ValidationError(
                {"price_list": _("Remove the product lines before choosing another price list.")}
            )
        if quote.price_list.currency != quote.currency:
            if has_products or quote.currency != stored.currency:
                raise ValidationError(
                    {"currency": _("The quote's currency is the price list's currency.")}
                )
            quote.currency = quote.price_list.currency
        _reopen(quote)
        record_save(
            instance=quote,
            by=by,
            expected_version=expected_version if expected_version is not None else quote.version,
        )
        line_services.recalculate(quote)
        _reload_totals(quote)
    return quote


# --- Lines ---------------------------------------------------------------------------------


def _reload_totals(quote: Quote) -> None:
    """Read back the totals `recalculate` stored (a partial refresh would re-snapshot the audit)."""
    stored = Quote.objects.filter(pk=quote.pk).values(*_TOTALS).get()
    for name, value in stored.items():
        setattr(quote, name, value)


def _after_line_change(quote: Quote, by: User | None) -> Quote:
    """Reprice, reopen an approved quote and count the change in its version (audited)."""
    line_services.recalculate(quote)
    _reload_totals(quote)
    _reopen(quote)
    quote.version += 1
    with audit.acting_as(by):
        quote.save()
    return quote


def _check_may_change_lines(quote: Quote, by: User | None) -> None:
    ensure_may_write(by, Quote)
    if by is not None and not can_see(by, quote):
        raise PermissionDenied(_("You cannot change this quote."))


def quote_line_add(
    *,
    quote: Quote,
    by: User | None,
    quantity: Decimal,
    product=None,
    option_value_ids: list[int] | tuple[int, ...] = (),
    discount_percent: Decimal = Decimal("0"),
    description: str = "",
    unit_price: Decimal | None = None,
    tax_rate: Decimal | None = None,
    expected_version: int | None = None,
) -> QuoteLine:
    """Add a configured product line (the configurator refuses a broken rule) or free text."""
    _check_may_change_lines(quote, by)
    with transaction.atomic():
        current = _lock(quote, expected_version)
        _refuse_unless_editable(current)
        line = line_services.line_add(
            current,
            quantity=quantity,
            product=product,
            option_value_ids=option_value_ids,
            discount_percent=discount_percent,
            description=description,
            unit_price=unit_price,
            tax_rate=tax_rate,
        )
        _after_line_change(current, by)
    _sync(quote, current)
    return line


def quote_line_update(
    *,
    line: QuoteLine,
    by: User | None,
    quantity: Decimal | None = None,
    discount_percent: Decimal | None = None,
    description: str | None = None,
    expected_version: int | None = None,
) -> QuoteLine:
    """Change a line's quantity, discount or wording; a product line is priced again."""
    quote = line.quote
    _check_may_change_lines(quote, by)
    with transaction.atomic():
        current = _lock(quote, expected_version)
        _refuse_unless_editable(current)
        line = QuoteLine.objects.select_for_update().get(pk=line.pk)
        if discount_percent is not None:
            discount_percent = Decimal(discount_percent)
            if not Decimal("0") <= discount_percent <= Decimal("100"):
                raise ValidationError({"discount_percent": _("A discount is between 0 and 100 %.")})
            line.discount_percent = discount_percent
        if description is not None and description.strip():
            line.description = description.strip()
        if quantity is not None and Decimal(quantity) != line.quantity:
            quantity = Decimal(quantity)
            if quantity <= 0:
                raise ValidationError({"quantity": _("The quantity must be more than zero.")})
            line.quantity = quantity
            if line.product_id is not None:
                from allyance.catalog.services.configurator import configure_line

                configured = configure_line(
                    line.product,
                    price_list=current.price_list,
                    quantity=quantity,
                    option_value_ids=(line.configuration or {}).get("options", []),
                )
                line.list_price = configured.list_price
                line.unit_price = configured.unit_price
                line.adjustments = [
                    {"label": str(step.label), "amount": str(step.amount)}
                    for step in configured.adjustments
                ]
        line.full_clean(exclude=["quote"])
        line.save()
        _after_line_change(current, by)
    line.refresh_from_db()
    return line


def quote_line_remove(
    *, line: QuoteLine, by: User | None, expected_version: int | None = None
) -> Quote:
    quote = line.quote
    _check_may_change_lines(quote, by)
    with transaction.atomic():
        current = _lock(quote, expected_version)
        _refuse_unless_editable(current)
        line_services.line_remove(current, line)
        _after_line_change(current, by)
    return current


def _sync(target: Quote, source: Quote) -> None:
    """Copy the stored state onto the caller's instance, so it is not stale after a change."""
    if target is source:
        return
    for field in Quote._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))


# --- Status transitions --------------------------------------------------------------------


def _transition(
    *,
    quote: Quote,
    to: str,
    by: User | None,
    expected_version: int | None = None,
    check: Callable[[Quote], None] | None = None,
    apply: Callable[[Quote], None] | None = None,
) -> Quote:
    """Move `quote` to status `to` if the table allows it; `check` refuses, `apply` sets fields.

    Runs in the caller's transaction when there is one (accepting also moves the deal).
    """
    ensure_may_write(by, Quote)
    if (
        by is not None
        and not can_see(by, quote)
        and not (to in (Status.APPROVED, Status.DRAFT) and may_approve(by, quote))
    ):
        raise PermissionDenied(_("You cannot change this quote."))
    with transaction.atomic():
        current = _lock(quote, expected_version)
        if to not in ALLOWED_TRANSITIONS.get(current.status, ()):
            raise ValidationError(
                {
                    "status": _("A quote that is %(status)s cannot become %(target)s.")
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
    _sync(quote, current)
    return current


def _notify(recipient: User, quote: Quote, kind: str, text: Callable[[], str]) -> None:
    with in_language_of(recipient):
        notification_send(
            recipient=recipient,
            message=text(),
            url=quote.get_absolute_url(),
            kind=kind,
            email=True,
        )


def quote_request_approval(quote: Quote, *, by: User, expected_version: int | None = None) -> Quote:
    """Ask for approval of a discount above the threshold; the approvers are notified."""

    def check(current: Quote) -> None:
        if not current.lines.exists():
            raise ValidationError(_("Add at least one line before asking for approval."))
        _check_products_together(current)
        if not needs_approval(current):
            raise ValidationError(
                _("No discount is above %(percent)s %%: this quote needs no approval.")
                % {"percent": approval_threshold()}
            )

    def apply(current: Quote) -> None:
        current.approval_requested_at = timezone.now()
        current.approved_by = None
        current.approved_at = None
        current.approval_comment = ""

    with transaction.atomic():
        current = _transition(
            quote=quote,
            to=Status.PENDING_APPROVAL,
            by=by,
            expected_version=expected_version,
            check=check,
            apply=apply,
        )
        owner = current.owner or by
        for approver in approvers_for(current):
            _notify(
                approver,
                current,
                "quote_approval_requested",
                lambda: (
                    _("%(owner)s asks you to approve the discount on quote %(quote)s")
                    % {"owner": owner, "quote": current}
                ),
            )
    return current


def _check_approver(by: User, current: Quote) -> None:
    if not may_approve(by, current):
        if current.owner_id == getattr(by, "pk", None) and is_approver(by):
            raise PermissionDenied(_("You cannot approve your own quote."))
        raise PermissionDenied(_("Only a sales manager or an administrator may approve quotes."))


def _notify_owner(current: Quote, by: User, kind: str, text: Callable[[], str]) -> None:
    owner = current.owner
    if owner is not None and owner.is_active and owner.pk != by.pk:
        _notify(owner, current, kind, text)


def quote_approve(
    quote: Quote, *, by: User, comment: str = "", expected_version: int | None = None
) -> Quote:
    """Approve the discount of a pending quote; the owner is notified."""
    comment = (comment or "").strip()

    def apply(current: Quote) -> None:
        _check_approver(by, current)
        current.approved_by = by
        current.approved_at = timezone.now()
        current.approval_comment = comment

    with transaction.atomic():
        current = _transition(
            quote=quote, to=Status.APPROVED, by=by, expected_version=expected_version, apply=apply
        )
        _notify_owner(
            current,
            by,
            "quote_approved",
            lambda: _("%(by)s approved quote %(quote)s") % {"by": by, "quote": current},
        )
    return current


def quote_decline_approval(
    quote: Quote, *, by: User, comment: str = "", expected_version: int | None = None
) -> Quote:
    """Decline a pending quote's discount: it is a draft again, with the comment saying why."""
    comment = (comment or "").strip()

    def check(current: Quote) -> None:
        if current.status != Status.PENDING_APPROVAL:
            raise ValidationError({"status": _("Only a quote pending approval can be declined.")})
        _check_approver(by, current)
        if not comment:
            raise ValidationError({"comment": _("Say why the discount is declined.")})

    def apply(current: Quote) -> None:
        current.approved_by = None
        current.approved_at = None
        current.approval_comment = comment

    with transaction.atomic():
        current = _transition(
            quote=quote,
            to=Status.DRAFT,
            by=by,
            expected_version=expected_version,
            check=check,
            apply=apply,
        )
        _notify_owner(
            current,
            by,
            "quote_approval_declined",
            lambda: (
                _("%(by)s declined the discount on quote %(quote)s: %(comment)s")
                % {"by": by, "quote": current, "comment": comment}
            ),
        )
    return current


def _check_products_together(current: Quote) -> None:
    """The catalog's rules between products (requires, excludes) across the quote's lines."""
    from allyance.catalog.services.configurator import check_products_together

    products = [line.product for line in current.lines.select_related("product") if line.product]
    check_products_together(products)


def _check_valid_today(current: Quote) -> None:
    if current.valid_until is not None and current.valid_until < timezone.localdate():
        raise ValidationError(
            {
                "valid_until": _(
                    "This quote was valid until %(date)s; revise it to offer it again."
                )
                % {"date": current.valid_until.isoformat()}
            }
        )


def quote_mark_sent(quote: Quote, *, by: User | None, expected_version: int | None = None) -> Quote:
    """Record that the quote went to the customer (the documents part calls this after mailing).

    Refused when it has no lines, is past its validity, or needs an approval it lacks.
    """

    def check(current: Quote) -> None:
        if not current.lines.exists():
            raise ValidationError(_("A quote without lines cannot be sent."))
        _check_valid_today(current)
        _check_products_together(current)
        if current.status == Status.DRAFT and needs_approval(current):
            raise ValidationError(
                _(
                    "A discount is above %(percent)s %%: a manager must approve this quote "
                    "before it is sent."
                )
                % {"percent": approval_threshold()}
            )

    def apply(current: Quote) -> None:
        current.sent_at = timezone.now()

    return _transition(
        quote=quote,
        to=Status.SENT,
        by=by,
        expected_version=expected_version,
        check=check,
        apply=apply,
    )


def _won_stage(opportunity):
    return opportunity.pipeline.stages.filter(outcome="won").order_by("order", "id").first()


def quote_accept(
    quote: Quote,
    *,
    by: User | None,
    mark_won: bool = False,
    expected_version: int | None = None,
) -> Quote:
    """The customer accepted: the deal's amount becomes the quote's net total (before tax).

    With `mark_won` the deal moves to its pipeline's won stage; when the stage refuses
    (required fields, checklist), nothing is accepted and its message is shown.
    """
    from allyance.sales.models import Opportunity
    from allyance.sales.services.opportunities import opportunity_move, opportunity_save

    def apply(current: Quote) -> None:
        current.decided_at = timezone.now()

    with transaction.atomic():
        current = _transition(
            quote=quote,
            to=Status.ACCEPTED,
            by=by,
            expected_version=expected_version,
            check=_check_valid_today,
            apply=apply,
        )
        if current.opportunity_id is not None:
            deal = Opportunity.objects.select_related("pipeline", "stage", "account").get(
                pk=current.opportunity_id
            )
            deal.amount = current.subtotal - current.discount_total
            deal.currency = current.currency
            try:
                deal = opportunity_save(opportunity=deal, by=by)
                if mark_won:
                    won = _won_stage(deal)
                    if won is None:
                        raise ValidationError(
                            {"mark_won": _("The deal's pipeline has no won stage.")}
                        )
                    if deal.stage_id != won.pk:
                        opportunity_move(opportunity=deal, stage=won, by=by)
            except ValidationError as exc:
                raise ValidationError(
                    {
                        "mark_won": [
                            _("The quote was not accepted: %(reason)s")
                            % {"reason": " ".join(exc.messages)}
                        ]
                    }
                ) from exc
        elif mark_won:
            raise ValidationError(
                {"mark_won": _("This quote is not for an opportunity: nothing to mark won.")}
            )
    _sync(quote, current)
    return current


def quote_reject(
    quote: Quote, *, by: User | None, reason: str = "", expected_version: int | None = None
) -> Quote:
    """The customer declined the quote; the reason is kept."""
    reason = (reason or "").strip()

    def check(current: Quote) -> None:
        if not reason:
            raise ValidationError({"reason": _("Say why the customer rejected the quote.")})

    def apply(current: Quote) -> None:
        current.decided_at = timezone.now()
        current.rejection_reason = reason[:255]

    return _transition(
        quote=quote,
        to=Status.REJECTED,
        by=by,
        expected_version=expected_version,
        check=check,
        apply=apply,
    )


def quote_revise(quote: Quote, *, by: User | None, expected_version: int | None = None) -> Quote:
    """A new draft revision with the same number and copied lines; the old one is superseded."""
    settings_row = OrderSettings.current()
    with transaction.atomic():
        old = _transition(
            quote=quote, to=Status.SUPERSEDED, by=by, expected_version=expected_version
        )
        revision = Quote(
            number=old.number,
            revision=old.revision + 1,
            previous=old,
            account_id=old.account_id,
            contact_id=old.contact_id,
            opportunity_id=old.opportunity_id,
            price_list_id=old.price_list_id,
            currency=old.currency,
            title=old.title,
            discount_percent=old.discount_percent,
            terms=old.terms,
            notes=old.notes,
            owner_id=old.owner_id,
            organisation_id=old.organisation_id,
            custom_fields=dict(old.custom_fields or {}),
            valid_until=timezone.localdate()
            + datetime.timedelta(days=settings_row.quote_validity_days),
            status=Status.DRAFT,
        )
        record_save(instance=revision, by=by)
        line_services.copy_lines(old, revision)
        revision.refresh_from_db()
    return revision


def quotes_expire(today: datetime.date | None = None) -> int:
    """Approved and sent quotes past their validity become expired; returns how many did."""
    today = today or timezone.localdate()
    count = 0
    due = Quote.objects.filter(
        status__in=(Status.SENT, Status.APPROVED), valid_until__lt=today
    ).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            current = Quote.objects.select_for_update(of=("self",)).filter(pk=pk).first()
            if current is None or current.status not in (Status.SENT, Status.APPROVED):
                continue
            if current.valid_until is None or current.valid_until >= today:
                continue
            current.status = Status.EXPIRED
            current.version += 1
            with audit.acting_as(None):
                current.save()
            count += 1
    return count


def order_settings_save(*, settings_row: OrderSettings, by: User) -> OrderSettings:
    """Save the quote and invoice settings (administrators only); audited."""
    if by is None or not by.is_admin:
        raise PermissionDenied(_("Only administrators change these settings."))
    settings_row.full_clean()
    with audit.acting_as(by), transaction.atomic():
        settings_row.save()
    return settings_row
