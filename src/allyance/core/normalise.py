"""Clean, comparable contact data: phones in E.164, e-mails lower-cased, names folded."""

from __future__ import annotations

import functools
import unicodedata

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _


def phone_e164(raw: str, *, region: str | None = None) -> str:
    """`+8613812345678` from `138 1234 5678`; raises ValidationError when it is no number."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    parsed = phone_parsed(raw, region=region)
    if parsed is None:
        raise ValidationError(_("“%(value)s” is not a phone number."), params={"value": raw})
    return parsed[1]


# Numbers parsed so far: raw text and region → (number, E.164), or None for no number.
_PARSED: dict[tuple[str, str], tuple[phonenumbers.PhoneNumber, str] | None] = {}
_PARSED_LIMIT = 100_000


def phone_parsed(
    raw: str, *, region: str | None = None
) -> tuple[phonenumbers.PhoneNumber, str] | None:
    """(number, E.164 text) of `raw`, or None when it is not a possible phone number.

    Remembered, under its E.164 text too: an import meets each number several times
    (its duplicate keys, the save service, the search document, the dry run and the
    run), and parsing is most of the cost of cleaning a row. Treat the number as read-only.
    """
    region = region or getattr(settings, "DEFAULT_PHONE_REGION", "CN")
    key = (raw, region)
    if key in _PARSED:
        return _PARSED[key]
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and not phonenumbers.is_possible_number(number):
        number = None
    if len(_PARSED) >= _PARSED_LIMIT:
        _PARSED.clear()
    if number is None:
        _PARSED[key] = None
        return None
    parsed = (number, phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    _PARSED[key] = parsed
    if not number.extension:
        _PARSED.setdefault((parsed[1], region), parsed)
    return parsed


def phone_search_forms(value: str) -> list[str]:
    """The digit strings a user might type for a stored E.164 number."""
    if not value:
        return []
    digits = value.lstrip("+")
    forms = {digits}
    try:
        number = phonenumbers.parse(value, None)
        forms.add(str(number.national_number))
    except phonenumbers.NumberParseException:
        pass
    return sorted(forms)


def email_normalised(raw: str) -> str:
    """A validated, lower-cased e-mail address, or ValidationError."""
    value = (raw or "").strip().lower()
    if not value:
        return ""
    if not _is_email(value):
        validate_email(value)  # raises, with Django's message
    return value


@functools.lru_cache(maxsize=65536)
def _is_email(value: str) -> bool:
    # Remembered, like phone numbers: an import checks each address several times.
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def name_key(text: str) -> str:
    """A comparison key for names: width- and case-folded, without spaces or punctuation."""
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    return "".join(ch for ch in folded if ch.isalnum())
