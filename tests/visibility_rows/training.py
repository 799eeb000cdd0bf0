"""Visibility matrix rows and list pages of the training part (see tests/visibility_rows)."""

from tests.visibility_rows import Row, marker  # noqa: F401

ROWS: dict[str, Row] = {}
# List page URL name → the ROWS key of what it lists.
PAGES: dict[str, str] = {}
