"""API building blocks DRF loads from settings: pagination, `?q=` search, ordering, parsers,
error handling, and the guard that keeps text PostgreSQL cannot store out of every request.

Kept apart from `core.api` so that importing DRF's generic views (which read these
settings) cannot import this module half-way.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

from django.core.exceptions import BadRequest, FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connections
from django.db.models import ProtectedError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _
from rest_framework import filters, pagination, parsers, status
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.response import Response

from allyance.core.exceptions import ConflictError

NUL_MESSAGE = _("Text must not contain NUL (0x00) characters.")


class BadQueryParameter(BadRequest):
    """A query parameter the server cannot use: the API answers 400 naming it, a page 400."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param
        self.message = message


def storable_text(value: str) -> bool:
    """True when PostgreSQL and SQLite can both store `value`: no NUL, no lone surrogate."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# --- Request guard -------------------------------------------------------------------------


class RejectUnstorableTextMiddleware:
    """Refuse, with 400, a request whose path, query string or headers carry a NUL byte.

    PostgreSQL rejects NUL in text, so such a value reaching a query (a search term, a
    lookup key, a session or token key) would otherwise fail as a server error. Bodies
    are checked by the API's parsers and by Django's form fields.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = self._problem(request)
        if problem is not None:
            if request.path_info.startswith("/api/"):
                return JsonResponse({problem: [str(NUL_MESSAGE)]}, status=400)
            raise BadRequest(str(NUL_MESSAGE))
        return self.get_response(request)

    @staticmethod
    def _problem(request: HttpRequest) -> str | None:
        if "\x00" in request.path_info:
            return "path"
        for name, values in request.GET.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                return name.replace("\x00", "") or "query"
        for name, value in request.META.items():
            if name.startswith("HTTP_") and isinstance(value, str) and "\x00" in value:
                return "headers"
        return None


# --- Parsers -------------------------------------------------------------------------------


def _unstorable_paths(data: Any) -> Iterator[str]:
    """Dotted paths of values (or keys) in parsed JSON that no database can store."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if not storable_text(value):
                yield path
        elif isinstance(value, float):
            if not math.isfinite(value):
                yield path
        elif isinstance(value, dict):
            for key, item in value.items():
                child = f"{path}.{key}" if path else str(key)
                if not storable_text(str(key)):
                    yield path or "non_field_errors"
                else:
                    stack.append((child, item))
        elif isinstance(value, list):
            stack.extend(
                (f"{path}.{index}" if path else str(index), item)
                for index, item in enumerate(value)
            )


def _refuse_unstorable(data: Any) -> Any:
    paths = sorted(set(_unstorable_paths(data)))
    if paths:
        message = _("Text must not contain NUL (0x00) characters, and numbers must be finite.")
        raise DRFValidationError(
            {(path.split(".")[0] or "non_field_errors"): [message] for path in paths}
        )
    return data


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser; it also refuses NUL characters, lone surrogates, infinite numbers
    and absurd nesting with a 400 instead of letting them reach the database."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(_("JSON parse error - too deeply nested.")) from exc
        return _refuse_unstorable(data)


class FormParser(parsers.FormParser):
    """DRF's form parser; values with NUL characters are refused with a 400."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        _refuse_unstorable({key: data.getlist(key) for key in data})
        return data


class MultiPartParser(parsers.MultiPartParser):
    """DRF's multipart parser; field values with NUL characters are refused with a 400."""

    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        _refuse_unstorable({key: result.data.getlist(key) for key in result.data})
        return result


# --- Pagination ----------------------------------------------------------------------------


class CursorPagination(pagination.CursorPagination):
    """Keyset pagination: page 1,000 costs what page 1 costs.

    The ordering always ends with the primary key, so rows with equal sort values keep
    a stable order across pages. A malformed cursor or page size is a 400 naming the
    parameter. Ordering fields must be non-null (a NULL cannot be a cursor position).
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = ("-updated_at", "-id")

    def paginate_queryset(self, queryset, request, view=None):
        self._model, self._db = queryset.model, queryset.db
        return super().paginate_queryset(queryset, request, view)

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

    def get_ordering(self, request, queryset, view) -> tuple[str, ...]:
        ordering = list(super().get_ordering(request, queryset, view))
        pk_name = queryset.model._meta.pk.name
        if not any(term.lstrip("-") in (pk_name, "pk") for term in ordering):
            ordering.append(f"-{pk_name}" if ordering[0].startswith("-") else pk_name)
        return tuple(ordering)

    def decode_cursor(self, request):
        invalid = BadQueryParameter(self.cursor_query_param, _("This cursor is not valid."))
        try:
            cursor = super().decode_cursor(request)
        except NotFound as exc:
            raise invalid from exc
        if cursor is None or cursor.position is None:
            return cursor
        if not storable_text(cursor.position):
            raise invalid
        name = self.ordering[0].lstrip("-")
        try:
            field = self._model._meta.get_field(name)
            value = field.to_python(cursor.position)
            field.get_db_prep_value(value, connection=connections[self._db])
        except (
            FieldDoesNotExist,
            DjangoValidationError,
            TypeError,
            ValueError,
            OverflowError,
        ) as exc:
            raise invalid from exc
        return cursor

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                }
        return parameters


# --- Filters -------------------------------------------------------------------------------


class SearchQueryFilter(filters.BaseFilterBackend):
    """`?q=` full-text search through the search index of the view's model."""

    search_param = "q"

    def filter_queryset(self, request, queryset, view):
        query = request.query_params.get(self.search_param, "").strip()
        if not query:
            return queryset
        from allyance.core.search import search_queryset

        return search_queryset(queryset, query)

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.search_param,
                "required": False,
                "in": "query",
                "description": "Search text (names, companies, e-mails, phones; Chinese too).",
                "schema": {"type": "string"},
            }
        ]


class OrderingFilter(filters.OrderingFilter):
    """`?ordering=name,-created_at`; an unknown field is a 400, not silently ignored."""

    def remove_invalid_fields(self, queryset, fields, view, request):
        valid = {item[0] for item in self.get_valid_fields(queryset, view, {"request": request})}
        unknown = [term for term in fields if term.removeprefix("-") not in valid]
        if unknown:
            raise BadQueryParameter(
                self.ordering_param,
                _("Unknown ordering field(s): %(fields)s. Choose from: %(valid)s.")
                % {"fields": ", ".join(unknown), "valid": ", ".join(sorted(valid))},
            )
        return fields

    def get_schema_operation_parameters(self, view) -> list[dict]:
        fields = getattr(view, "ordering_fields", None)
        if not isinstance(fields, list | tuple):
            return super().get_schema_operation_parameters(view)
        names = [field if isinstance(field, str) else field[0] for field in fields]
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": "Fields to sort by, comma-separated; a leading `-` sorts descending.",
                "schema": {
                    "type": "array",
                    "items": {"type": "string", "enum": [p + n for n in names for p in ("", "-")]},
                },
                "style": "form",
                "explode": False,
            }
        ]


# --- Errors --------------------------------------------------------------------------------


def exception_handler(exc, context):
    """DRF's handler, plus clear 400/409 answers for errors raised by services."""
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, BadQueryParameter):
        return Response({exc.param: [exc.message]}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, BadRequest):
        return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ConflictError):
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, ProtectedError):
        return Response(
            {"detail": _("This record is still referred to by other records.")},
            status=status.HTTP_409_CONFLICT,
        )
    return drf_exception_handler(exc, context)
