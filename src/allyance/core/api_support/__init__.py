"""API building blocks DRF loads from settings: keyset pagination, `?q=` search, strict
ordering, parsers and a middleware that keep unstorable text out, and error handling.

Kept apart from `core.api` so that importing DRF's generic views (which read these
settings) cannot import this package half-way.
"""

from allyance.core.api_support.errors import (
    NUL_MESSAGE,
    BadQueryParameter,
    exception_handler,
    storable_text,
)
from allyance.core.api_support.filters import OrderingFilter, SearchQueryFilter
from allyance.core.api_support.input import (
    FormParser,
    JSONParser,
    MultiPartParser,
    RejectUnstorableTextMiddleware,
)
from allyance.core.api_support.pagination import CursorPagination

__all__ = [
    "NUL_MESSAGE",
    "BadQueryParameter",
    "CursorPagination",
    "FormParser",
    "JSONParser",
    "MultiPartParser",
    "OrderingFilter",
    "RejectUnstorableTextMiddleware",
    "SearchQueryFilter",
    "exception_handler",
    "storable_text",
]
