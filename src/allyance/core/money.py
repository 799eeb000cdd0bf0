"""Money: Decimal amounts rounded to their currency's minor unit, never float.

The minor unit comes from the CLDR data Babel ships (CNY and USD 2 places, JPY none).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_currency, get_currency_precision
from django.utils import translation


def minor_units(currency: str) -> int:
    """Decimal places the currency is counted in."""
    return get_currency_precision(currency)


def round_money(amount: Decimal | int | str, currency: str) -> Decimal:
    """`amount` rounded half-up to the currency's minor unit (0.005 CNY → 0.01)."""
    quantum = Decimal(1).scaleb(-minor_units(currency))
    return Decimal(amount).quantize(quantum, rounding=ROUND_HALF_UP)


def format_money(amount: Decimal, currency: str, language: str | None = None) -> str:
    """`¥1,234.50` / `US$1,234.50` in the active language's conventions."""
    locale = (language or translation.get_language() or "en").replace("-", "_")
    locale = {"zh_hans": "zh_Hans_CN", "zh_hant": "zh_Hant_TW"}.get(locale.lower(), locale)
    return format_currency(amount, currency, locale=locale)
