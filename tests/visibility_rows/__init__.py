"""The visibility matrix's rows: how to make a record of each kind that belongs to a partner.

`tests/test_visibility_matrix.py` holds the rows of the first modules; each part of the
partners and service apps keeps its rows and list pages in its own module here.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Model

from allyance.core.models import User

_serial = itertools.count()


def marker() -> str:
    """A word that appears on a page only if the row it names is shown."""
    return f"mark{next(_serial):05d}zz"


@dataclass(frozen=True)
class Row:
    """How to make a record that belongs to a partner user's organisation."""

    make: Callable[[User], Model]
    shown_as: Callable[[Model], str] = str  # the text a list page shows for the record
    change: dict = field(default_factory=dict)  # a PATCH that a leak would let through
    lookup: str = "pk"  # the attribute that is the id in API URLs
    lookup_field: str = "id"  # …and its name in API responses
    partners_see_own: bool = True  # False: company data that partners never see
    # Centrally maintained company data (catalog, price lists): a partner reads what the
    # company shares with it and never changes it, not even the rows it can read.
    central: bool = False
    shared_with_all: bool = False  # central data every partner reads (the active catalog)


def _collect() -> tuple[dict[str, Row], dict[str, str]]:
    from tests.visibility_rows import (
        distribution,
        incentives,
        mdf,
        ordering,
        programme,
        registrations,
        service,
        training,
    )

    rows: dict[str, Row] = {}
    pages: dict[str, str] = {}
    for part in (
        programme,
        distribution,
        registrations,
        mdf,
        ordering,
        service,
        training,
        incentives,
    ):
        rows.update(part.ROWS)
        pages.update(part.PAGES)
    return rows, pages


PART_ROWS, PART_PAGES = _collect()
