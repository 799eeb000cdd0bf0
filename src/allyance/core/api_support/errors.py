"""Errors every API answer shares: a bad query parameter, text no database can store, and
the exception handler that turns service errors into clear 400 and 409 answers."""

from __future__ import annotations

from django.core.exceptions import BadRequest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError
from django.utils.translation import gettext_lazy as _
from rest_framework import status
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
