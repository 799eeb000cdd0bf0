"""Record page URLs without a full `reverse()` for each record.

A list page links each of its 50 rows to the record's page; `reverse()` resolves the
pattern again every time (~30 µs). `record_url` reverses each URL name once per process,
with a marker in place of the key, and puts the record's key in its place after that.
"""

from functools import lru_cache

from django.urls import get_script_prefix, get_urlconf, reverse

_MARKER = 987654321987654321


@lru_cache(maxsize=512)
def _halves(url_name: str, prefix: str, urlconf: str | None) -> tuple[str, str]:
    head, marker, tail = reverse(url_name, args=[_MARKER], urlconf=urlconf).partition(str(_MARKER))
    if not marker:
        raise ValueError(f"{url_name} does not take the key as its only argument")
    return head, tail


def record_url(url_name: str, pk: int) -> str:
    """`reverse(url_name, args=[pk])` for a URL whose only argument is an integer key."""
    head, tail = _halves(url_name, get_script_prefix(), get_urlconf())
    return f"{head}{int(pk)}{tail}"
