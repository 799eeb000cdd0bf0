"""Document numbers: Q-2026-00042, SO-2026-00007, INV-2026-00113, gapless per kind and year."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from allyance.orders.models import NumberSequence

PREFIXES = {"quote": "Q", "order": "SO", "invoice": "INV"}


def next_number(kind: str, *, on: datetime.date | None = None) -> str:
    """The next number of `kind` for the year of `on` (today by default)."""
    year = (on or timezone.localdate()).year
    with transaction.atomic():
        sequence, _created = NumberSequence.objects.select_for_update().get_or_create(
            kind=kind, year=year
        )
        NumberSequence.objects.filter(pk=sequence.pk).update(last=F("last") + 1)
        sequence.refresh_from_db(fields=["last"])
    return f"{PREFIXES.get(kind, kind.upper())}-{year}-{sequence.last:05d}"
