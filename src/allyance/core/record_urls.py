"""Page URLs without a full `reverse()` on every use.

A list page links each of its 50 rows to the record's page, and every page draws a menu
of some forty links; `reverse()` resolves the pattern again every time (~30 µs).
`record_url` reverses each URL name once per process, with a marker in place of the key,
and puts the record's key in its place after that; `page_url` remembers the URLs that
take no argument. Both follow the script prefix and URLconf in use.
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


@lru_cache(maxsize=256)
def _page(url_name: str, prefix: str, urlconf: str | None) -> str:
    return reverse(url_name, urlconf=urlconf)


def page_url(url_name: str) -> str:
    """`reverse(url_name)` for a URL without arguments (the menu's pages)."""
    return _page(url_name, get_script_prefix(), get_urlconf())


def record_url(url_name: str, pk: int) -> str:
    """`reverse(url_name, args=[pk])` for a URL whose only argument is an integer key."""
    head, tail = _halves(url_name, get_script_prefix(), get_urlconf())
    return f"{head}{int(pk)}{tail}"
