"""Reads of organisations, users, teams and territories, scoped by who asks."""

from __future__ import annotations

from django.db.models import QuerySet

from allyance.core.models import Organisation, Team, Territory, User


def organisations_visible_to(user) -> QuerySet[Organisation]:
    if user.is_internal:
        return Organisation.objects.all()
    if user.is_partner:
        return Organisation.objects.filter(pk=user.organisation_id)
    return Organisation.objects.none()


def users_visible_to(user) -> QuerySet[User]:
    users = User.objects.select_related("organisation")
    if user.is_internal:
        return users
    if user.is_partner:
        return users.filter(organisation_id=user.organisation_id)
    return users.filter(pk=user.pk)


def teams_visible_to(user) -> QuerySet[Team]:
    return Team.objects.all() if user.is_internal else Team.objects.none()


def territories_visible_to(user) -> QuerySet[Territory]:
    return Territory.objects.all() if user.is_internal else Territory.objects.none()
