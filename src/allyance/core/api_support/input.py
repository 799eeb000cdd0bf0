"""Keeping text PostgreSQL cannot store out of every request: a middleware for paths, query
strings and headers, and DRF parsers for bodies. One place, so no query ever sees a NUL."""

from __future__ import annotations

import math
from collections.abc import Callable
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


UNSTORABLE_MESSAGE = _("Text must not contain NUL (0x00) characters; numbers must be finite.")


def _storable(data: Any) -> bool:
    """True when every string (key or value) and number in parsed data can be stored."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str) and not storable_text(item):
            return False
        if isinstance(item, float) and not math.isfinite(item):
            return False
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


def _refuse_unstorable(data: Any) -> Any:
    """`data`, or a 400 naming each top-level field that holds something unstorable."""
    fields = data.items() if isinstance(data, dict) else [("non_field_errors", data)]
    errors = {
        (str(name) if storable_text(str(name)) else "non_field_errors"): [UNSTORABLE_MESSAGE]
        for name, value in fields
        if not _storable([name, value])
    }
    if errors:
        raise DRFValidationError(errors)
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
