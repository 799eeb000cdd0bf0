"""Administration writes: users, their roles and API tokens."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from rest_framework.authtoken.models import Token

from allyance.core import audit
from allyance.core.models import PARTNER_ROLES, Organisation, Role, User


def user_save(*, data: dict, by: User, user: User | None = None) -> User:
    """Create or change a user. Admins manage everyone; partner admins their own partner's users."""
    data = dict(data)
    password = data.pop("password", None)
    if by.role == Role.PARTNER_ADMIN and not by.is_admin:
        if user is not None and user.organisation_id != by.organisation_id:
            raise PermissionDenied
        if data.get("role", getattr(user, "role", Role.PARTNER_USER)) not in PARTNER_ROLES:
            raise PermissionDenied
        data["organisation"] = by.organisation
    elif not by.is_admin:
        raise PermissionDenied
    with audit.acting_as(by), transaction.atomic():
        if user is None:
            user = User(organisation=data.pop("organisation", None) or Organisation.company())
        for name, value in data.items():
            setattr(user, name, value)
        if password:
            user.set_password(password)
        elif user.pk is None:
            user.set_unusable_password()
        user.save()
    return user


def user_deactivate(*, user: User, by: User) -> User:
    """Users are never deleted (their records and history keep their name); they are disabled."""
    if by.role == Role.PARTNER_ADMIN and not by.is_admin:
        if user.organisation_id != by.organisation_id:
            raise PermissionDenied
    elif not by.is_admin:
        raise PermissionDenied
    user.is_active = False
    with audit.acting_as(by):
        user.save(update_fields=["is_active"])
    Token.objects.filter(user=user).delete()
    return user


def token_renew(*, user: User) -> Token:
    """Replace the user's API token with a new one; the old key stops working at once."""
    with transaction.atomic():
        Token.objects.filter(user=user).delete()
        return Token.objects.create(user=user)
