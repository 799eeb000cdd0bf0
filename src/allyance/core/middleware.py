"""Request middleware: the user's own language and time zone, and the audit actor."""

import zoneinfo

from django.conf import settings
from django.utils import timezone, translation

from allyance.core import audit


def client_address(request) -> str | None:
    """The client's address: behind N trusted proxies, the N-th X-Forwarded-For entry from the right.

    Each proxy appends the address it received the request from, so entries further left
    could be forged by the client and are never used.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = [
        a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()
    ]
    if proxies and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")


class UserLocaleMiddleware:
    """Activate the logged-in user's chosen language and time zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if user.language:
                translation.activate(user.language)
                request.LANGUAGE_CODE = translation.get_language()
            if user.time_zone:
                try:
                    timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
                except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                    timezone.deactivate()
        response = self.get_response(request)
        timezone.deactivate()
        return response


class AuditActorMiddleware:
    """Make the request's user the actor of every audited change in this request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = audit.set_request(request)
        try:
            return self.get_response(request)
        finally:
            audit.reset(token)
