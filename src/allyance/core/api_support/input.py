"""Keeping text PostgreSQL cannot store out of every request: a middleware for paths, query
strings and headers, and DRF parsers for bodies. One place, so no query ever sees a NUL."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.exceptions import ValidationError as DRFValidationError

from allyance.core.api_support.errors import NUL_MESSAGE, storable_text


class RejectUnstorableTextMiddleware:
    """Refuse, with 400, a request whose path, query, headers or cookies carry a NUL byte.

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
        # A quoted cookie may spell NUL as `\000`; it only shows once parsed.
        if any("\x00" in name + value for name, value in request.COOKIES.items()):
            return "cookies"
        return None


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
