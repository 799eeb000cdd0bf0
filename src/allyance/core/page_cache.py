"""Rendered pages kept per session until the data changes (the page cache).

A logged-in GET that only read the database is kept in the shared cache under its
session, language, time zone, URL and the request headers a view answers to, for
`PAGE_CACHE_SECONDS`. Every committed write — by a view, a job worker or a management
command, on any machine — moves the data generation on, and a page kept under an earlier
generation is never served again: nobody sees a page older than the last change anyone
made. A request sent with `Cache-Control: no-cache` (a hard reload) is rendered afresh.

The generation lives in the default cache, so the page cache needs a cache every process
shares (Redis, `REDIS_URL`); without one `PAGE_CACHE_SECONDS` is 0 and it is off.
"""

import contextvars
import hashlib
import secrets

from django.conf import settings
from django.core import checks
from django.core.cache import cache
from django.core.exceptions import MiddlewareNotUsed
from django.db import connections
from django.db.backends.signals import connection_created
from django.http import HttpResponse
from django.utils import timezone, translation

GENERATION_KEY = "page-cache:generation"
# Statements that change what a page can show. Session writes count too: a page may show
# what the session holds (they are rare: a log-in, a message carried to the next page).
_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLAC", "CREATE", "DROP", "ALTER", "TRUNCA")
# Request headers a view may answer differently to, besides the session and the URL
# (`Authorization`: the API answers as a token's user before the session's).
_VARYING_HEADERS = ("Accept", "Authorization", "Host", "X-Requested-With")
_KEPT_TYPES = ("text/html", "application/json")


class _RequestWrites:
    """Whether the request being answered wrote to the database (then its page is not kept)."""

    wrote = False


_current_request: contextvars.ContextVar[_RequestWrites | None] = contextvars.ContextVar(
    "page_cache_request", default=None
)


def data_generation(known: str | None = None) -> str:
    """The current data generation: a token that changes with every committed write
    (`known`: the value just read from the cache, if it was there)."""
    if known is None:
        cache.add(GENERATION_KEY, secrets.token_hex(8), None)
        known = cache.get(GENERATION_KEY)
    return known


def data_changed() -> None:
    """Move the data generation on: every kept page is from now on out of date."""
    cache.set(GENERATION_KEY, secrets.token_hex(8), None)


def _is_write(sql: str) -> bool:
    return sql[:12].lstrip()[:6].upper() in _WRITE_VERBS


def _watch_writes(execute, sql, params, many, context):
    """Database execute wrapper: note a write, and move the generation on once it commits."""
    result = execute(sql, params, many, context)
    if settings.PAGE_CACHE_SECONDS and _is_write(sql):
        request = _current_request.get()
        if request is not None:
            request.wrote = True
        connection = context["connection"]
        if not connection.in_atomic_block:
            data_changed()
        elif not any(entry[1] is data_changed for entry in connection.run_on_commit):
            connection.on_commit(data_changed)
    return result


def watch_connection(*, connection, **_kwargs) -> None:
    """Put the write watcher on a database connection (once)."""
    if _watch_writes not in connection.execute_wrappers:
        connection.execute_wrappers.append(_watch_writes)


def connect_signals() -> None:
    """Watch every database connection, those opened from now on and any already open."""
    connection_created.connect(watch_connection, dispatch_uid="page-cache-watch-writes")
    for connection in connections.all(initialized_only=True):
        watch_connection(connection=connection)


@checks.register(checks.Tags.caches)
def check_shared_cache(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A page cache in one process's memory would miss the other processes' writes."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if settings.PAGE_CACHE_SECONDS and backend.endswith(("LocMemCache", "DummyCache")):
        return [
            checks.Warning(
                "The page cache is on but the cache is kept in each process's memory: a web "
                "process would not see another process's writes and could serve old pages.",
                hint="Set REDIS_URL (a cache all processes share) or PAGE_CACHE_SECONDS=0.",
                id="allyance.W001",
            )
        ]
    return []


def _pending_messages(request) -> bool:
    return "messages" in request.COOKIES or "_messages" in request.session


def _page_key(request) -> str | None:
    """The key of this request's page, or None when the request is not one to keep. The
    key does not change with the data: the kept page carries the generation it was made in."""
    if request.method != "GET":
        return None
    user = getattr(request, "user", None)
    session_key = request.session.session_key
    if user is None or not user.is_authenticated or not session_key:
        return None
    if _pending_messages(request):
        return None
    parts = [
        str(user.pk),
        session_key,
        request.COOKIES.get(settings.CSRF_COOKIE_NAME, ""),
        translation.get_language() or "",
        timezone.get_current_timezone_name(),
        request.scheme,
        request.get_full_path(),
        *(request.headers.get(name, "") for name in _VARYING_HEADERS),
        *sorted(f"{k}={v}" for k, v in request.headers.items() if k.lower().startswith("hx-")),
    ]
    return "page-cache:page:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _asks_fresh(request) -> bool:
    return "no-cache" in request.headers.get("Cache-Control", "") or (
        "no-cache" in request.headers.get("Pragma", "")
    )


def _keepable(request, response, user_pk) -> bool:
    """A complete page of HTML or JSON, private to nobody else, that changed nothing, made
    for the user the session belongs to."""
    return (
        getattr(request.user, "pk", None) == user_pk
        and response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not request.session.modified
        and response.get("Content-Type", "").startswith(_KEPT_TYPES)
        and "no-store" not in response.get("Cache-Control", "")
        and not response.has_header("Content-Disposition")
    )


class PageCacheMiddleware:
    """Serve a logged-in user's page again from the cache until any data changes."""

    def __init__(self, get_response):
        if not settings.PAGE_CACHE_SECONDS:
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        key = _page_key(request)
        user_pk = getattr(request.user, "pk", None) if key is not None else None
        if key is not None:
            # One round trip: the generation and the page kept under this key, if any.
            found = cache.get_many([GENERATION_KEY, key])
            generation = data_generation(found.get(GENERATION_KEY))
            kept = found.get(key)
            if kept is not None and kept[0] == generation and not _asks_fresh(request):
                _generation, status, headers, content = kept
                response = HttpResponse(content, status=status, headers=headers)
                response["X-Page-Cache"] = "hit"
                return response
        writes = _RequestWrites()
        token = _current_request.set(writes)
        try:
            response = self.get_response(request)
        finally:
            _current_request.reset(token)
        if key is not None and not writes.wrote and _keepable(request, response, user_pk):
            # The generation read before the view ran: a write committed meanwhile ends it.
            kept = (generation, response.status_code, list(response.items()), response.content)
            cache.set(key, kept, settings.PAGE_CACHE_SECONDS)
        return response
