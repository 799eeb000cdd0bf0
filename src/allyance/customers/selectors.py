"""Reads of accounts and contacts, always through the visibility gate."""

from __future__ import annotations

from django.db.models import QuerySet

from allyance.core.visibility import visible_to
from allyance.customers.models import Account, Contact


def accounts_visible_to(user) -> QuerySet[Account]:
    return visible_to(user, Account.objects.select_related("owner", "parent", "territory"))


def contacts_visible_to(user) -> QuerySet[Contact]:
    return visible_to(user, Contact.objects.select_related("owner", "account"))
