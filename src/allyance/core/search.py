"""Search over records. Interim: case-insensitive matching on each model's `search_fields`."""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet


def search_queryset(queryset: QuerySet, query: str) -> QuerySet:
    fields = getattr(queryset.model, "search_fields", ())
    if not fields:
        return queryset
    terms = query.split()
    for term in terms:
        queryset = queryset.filter(reduce(or_, (Q(**{f"{f}__icontains": term}) for f in fields)))
    return queryset


def global_search(user, query: str, *, limit: int = 20) -> list[dict]:
    """Accounts and contacts matching `query` that `user` may see, grouped by type."""
    from allyance.customers.selectors import accounts_visible_to, contacts_visible_to

    groups = []
    for label, queryset in (
        ("accounts", accounts_visible_to(user)),
        ("contacts", contacts_visible_to(user)),
    ):
        rows = list(search_queryset(queryset, query)[:limit])
        groups.append(
            {"type": label, "label": queryset.model._meta.verbose_name_plural, "rows": rows}
        )
    return groups
