"""Keyset (cursor) pagination, shared by every API list and every list page.

The cursor holds the sort values of the row it starts after, one per ordering term, and
the ordering always ends with the primary key, so the position is unique: page 1,000
costs what page 1 costs, and no row is repeated or skipped however many rows share a
sort value. NULL sorts as the greatest value on every database (PostgreSQL's own
default), so nullable fields such as a due date page correctly too.
"""

from __future__ import annotations

import json
from base64 import b64decode, b64encode
from dataclasses import dataclass
from urllib import parse

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connections
from django.db.models import F, Field, Model, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.utils.translation import gettext_lazy as _
from rest_framework import pagination
from rest_framework.utils.urls import remove_query_param, replace_query_param

from allyance.core.api_support.errors import BadQueryParameter, storable_text


@dataclass(frozen=True)
class Term:
    """One ordering term, resolved against the model."""

    attname: str
    descending: bool
    field: Field | None  # None: an annotation, compared as it is

    @property
    def nullable(self) -> bool:
        return self.field is None or self.field.null

    def order_by(self, backwards: bool) -> str | OrderBy:
        descending = self.descending != backwards
        if not self.nullable:
            return f"-{self.attname}" if descending else self.attname
        expression = F(self.attname)
        return expression.desc(nulls_first=True) if descending else expression.asc(nulls_last=True)

    def beyond(self, value, backwards: bool) -> Q:
        """Rows that come after `value` on this term, walking forwards or backwards."""
        greater = self.descending == backwards
        if greater:
            if value is None:  # nothing is greater than NULL
                return Q(pk__in=[])
            after = Q(**{f"{self.attname}__gt": value})
            return after | Q(**{f"{self.attname}__isnull": True}) if self.nullable else after
        if value is None:
            return Q(**{f"{self.attname}__isnull": False})
        return Q(**{f"{self.attname}__lt": value})

    def at_or_beyond(self, value, backwards: bool) -> Q | None:
        """`value` or after it, as a plain range an index can start from (non-null terms)."""
        if self.nullable or value is None:
            return None
        greater = self.descending == backwards
        return Q(**{f"{self.attname}__{'gte' if greater else 'lte'}": value})

    def equal(self, value) -> Q:
        if value is None:
            return Q(**{f"{self.attname}__isnull": True})
        return Q(**{self.attname: value})


@dataclass(frozen=True)
class Cursor:
    backwards: bool
    position: tuple | None  # the sort values of the row to start after; None: from the end


class CursorPagination(pagination.CursorPagination):
    """`?cursor=` and `?page_size=` (1–500); a malformed value is a 400 naming it."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = ("-updated_at", "-id")

    def paginate_queryset(self, queryset: QuerySet, request, view=None) -> list[Model]:
        self.request = request
        self.base_url = request.build_absolute_uri()
        self.page_size = self.get_page_size(request)
        self.ordering = self.get_ordering(request, queryset, view)
        self.terms = [self._term(queryset.model, term) for term in self.ordering]
        self.cursor = self.decode_cursor(request, connection=connections[queryset.db])
        backwards = self.cursor is not None and self.cursor.backwards
        queryset = queryset.order_by(*(term.order_by(backwards) for term in self.terms))
        if self.cursor is not None and self.cursor.position is not None:
            queryset = queryset.filter(self._after(self.cursor.position, backwards))
        rows = list(queryset[: self.page_size + 1])
        more = len(rows) > self.page_size
        self.page = rows[: self.page_size]
        started_within = self.cursor is not None and self.cursor.position is not None
        if backwards:
            self.page.reverse()
            self.has_next, self.has_previous = started_within, more
        else:
            self.has_next, self.has_previous = more, started_within
        self.display_page_controls = self.has_next or self.has_previous
        return self.page

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except (TypeError, ValueError):
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise BadQueryParameter(
                self.page_size_query_param,
                _("Enter a whole number from 1 to %(max)d.") % {"max": self.max_page_size},
            )
        return size

    def get_ordering(self, request, queryset: QuerySet, view) -> tuple[str, ...]:
        """The requested (or default) ordering, ended by the primary key."""
        ordering = list(super().get_ordering(request, queryset, view))
        pk_name = queryset.model._meta.pk.name
        if not any(term.lstrip("-") in (pk_name, "pk") for term in ordering):
            ordering.append(f"-{pk_name}" if ordering[0].startswith("-") else pk_name)
        return tuple(ordering)

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        if not self.page:  # walked back past the start: the next page is the first one
            return remove_query_param(self.base_url, self.cursor_query_param)
        return self.encode_cursor(Cursor(False, self._position(self.page[-1])))

    def get_previous_link(self) -> str | None:
        if not self.has_previous:
            return None
        position = self._position(self.page[0]) if self.page else None
        return self.encode_cursor(Cursor(True, position))

    def encode_cursor(self, cursor: Cursor) -> str:
        tokens = {"r": "1"} if cursor.backwards else {}
        if cursor.position is not None:
            tokens["p"] = json.dumps(cursor.position, ensure_ascii=False)
        encoded = b64encode(parse.urlencode(tokens).encode()).decode("ascii")
        return replace_query_param(self.base_url, self.cursor_query_param, encoded)

    def decode_cursor(self, request, *, connection=None) -> Cursor | None:
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        invalid = BadQueryParameter(self.cursor_query_param, _("This cursor is not valid."))
        try:
            tokens = parse.parse_qs(
                b64decode(encoded.encode("ascii")).decode(), strict_parsing=True
            )
            backwards = {"0": False, "1": True}[tokens.get("r", ["0"])[0]]
            raw = json.loads(tokens["p"][0]) if "p" in tokens else None
        except (ValueError, KeyError, TypeError) as exc:
            raise invalid from exc
        if raw is None:
            return Cursor(backwards, None)
        if not isinstance(raw, list) or len(raw) != len(self.terms):
            raise invalid
        try:
            position = tuple(
                self._value(term, value, connection)
                for term, value in zip(self.terms, raw, strict=True)
            )
        except (DjangoValidationError, TypeError, ValueError, OverflowError) as exc:
            raise invalid from exc
        return Cursor(backwards, position)

    # --- helpers -------------------------------------------------------------------------

    @staticmethod
    def _term(model: type[Model], term: str) -> Term:
        name = term.lstrip("-")
        name = model._meta.pk.name if name == "pk" else name
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return Term(name, term.startswith("-"), None)
        return Term(field.attname, term.startswith("-"), field)

    def _position(self, row: Model) -> list:
        values = [getattr(row, term.attname) for term in self.terms]
        return [None if value is None else str(value) for value in values]

    @staticmethod
    def _value(term: Term, value, connection):
        """A cursor value, checked the way the database will use it."""
        if value is None:
            if not term.nullable:
                raise ValueError("NULL position on a non-null field")
            return None
        if not isinstance(value, str) or not storable_text(value):
            raise ValueError("not a storable text value")
        if term.field is None:
            return value
        python = term.field.to_python(value)
        if python is None:
            raise ValueError("empty position")
        term.field.run_validators(python)  # e.g. the database's integer range
        term.field.get_db_prep_value(python, connection=connection)
        return python

    def _after(self, position: tuple, backwards: bool) -> Q:
        """Rows after `position` in the walking order: lexicographic over the terms.

        The OR of the lexicographic condition is no range a database can seek to, so deep
        pages scanned the index from its start (page 1,000 took 7-25 times page 1 on
        PostgreSQL); the first term's own range, ANDed in front, gives it one."""
        condition, equal_so_far = Q(pk__in=[]), Q()
        for term, value in zip(self.terms, position, strict=True):
            condition |= equal_so_far & term.beyond(value, backwards)
            equal_so_far &= term.equal(value)
        bound = self.terms[0].at_or_beyond(position[0], backwards)
        return condition if bound is None else bound & condition
