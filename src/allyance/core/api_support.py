"""API building blocks DRF loads from settings: pagination, `?q=` search, error handling.

Kept apart from `core.api` so that importing DRF's generic views (which read these
settings) cannot import this module half-way.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError
from rest_framework import filters, pagination, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from allyance.core.exceptions import ConflictError


class CursorPagination(pagination.CursorPagination):
    """Keyset pagination: page 1,000 costs what page 1 costs."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = ("-updated_at", "-id")


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


def exception_handler(exc, context):
    """DRF's handler, plus clear 400/409 answers for errors raised by services."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ConflictError):
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, ProtectedError):
        return Response(
            {"detail": "This record is still referred to by other records."},
            status=status.HTTP_409_CONFLICT,
        )
    return drf_exception_handler(exc, context)
