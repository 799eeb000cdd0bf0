"""Writes on accounts and contacts: normalised phones and e-mails, owner defaults, versions."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from allyance.core.models import Organisation, User
from allyance.core.normalise import email_normalised, phone_e164
from allyance.core.services import record_save
from allyance.customers.models import Account, Contact


def _normalise(instance, *, phones: tuple[str, ...], emails: tuple[str, ...]) -> None:
    errors = {}
    for field in phones:
        try:
            setattr(instance, field, phone_e164(getattr(instance, field)))
        except ValidationError as exc:
            errors[field] = exc.messages
    for field in emails:
        try:
            setattr(instance, field, email_normalised(getattr(instance, field)))
        except ValidationError:
            errors[field] = [_("Enter a valid e-mail address.")]
    if errors:
        raise ValidationError(errors)


def _default_ownership(instance, by: User | None) -> None:
    if instance.pk is None:
        if instance.owner_id is None and by is not None and not by.is_customer:
            instance.owner = by
        if instance.organisation_id is None:
            instance.organisation = (
                by.organisation if by is not None and by.organisation_id else Organisation.company()
            )


def _check_not_own_ancestor(account: Account) -> None:
    seen, node = {account.pk}, account.parent
    while node is not None:
        if node.pk in seen:
            raise ValidationError({"parent": _("An account cannot be its own parent.")})
        seen.add(node.pk)
        node = node.parent


def account_prepare(*, account: Account, by: User | None) -> Account:
    """The account rules `account_save` applies before it writes: E.164 phones, lower-case
    e-mails, owner and organisation of a new account, no loop in the hierarchy. Imports
    call it for the accounts they insert in batches."""
    _normalise(account, phones=("phone", "phone_alt"), emails=("email", "email_alt"))
    _default_ownership(account, by)
    if account.pk is not None and account.parent_id:
        _check_not_own_ancestor(account)
    return account


def account_save(
    *, account: Account, by: User | None, expected_version: int | None = None
) -> Account:
    """Create or update an account with clean phones and e-mails and a sane hierarchy."""
    account_prepare(account=account, by=by)
    return record_save(instance=account, by=by, expected_version=expected_version)


def contact_prepare(*, contact: Contact, by: User | None) -> Contact:
    """The contact rules `contact_save` applies before it writes: E.164 phones, lower-case
    e-mails, owner and organisation of a new contact, nobody reporting to themselves."""
    _normalise(contact, phones=("phone", "mobile"), emails=("email", "email_alt"))
    _default_ownership(contact, by)
    if contact.pk is not None and contact.reports_to_id == contact.pk:
        raise ValidationError({"reports_to": _("A contact cannot report to themselves.")})
    return contact


def contact_save(
    *, contact: Contact, by: User | None, expected_version: int | None = None
) -> Contact:
    """Create or update a contact; phones become E.164, e-mails are validated and lower-cased."""
    contact_prepare(contact=contact, by=by)
    return record_save(instance=contact, by=by, expected_version=expected_version)
