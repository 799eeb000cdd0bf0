"""Currencies that amounts may be in: ISO 4217 codes, the list set by `CURRENCIES`."""

from __future__ import annotations

from django.conf import settings


def currency_choices() -> list[tuple[str, str]]:
    return [(code, code) for code in settings.CURRENCIES]


def default_currency() -> str:
    return settings.DEFAULT_CURRENCY
