"""Reading the cells of the programme's imports: dates, amounts, periods, names."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from allyance.core.imports import ImportField
from allyance.core.models import User
from allyance.core.normalise import name_key


def field(name: str, label, synonyms: str = "", kind: str = "text", **extra) -> ImportField:
    return ImportField(name, label, tuple(filter(None, synonyms.split("|"))), kind, **extra)


def refused(exc: PermissionDenied) -> ValidationError:
    """A service's refusal is the row's error, not a crash of the whole import."""
    return ValidationError(str(exc) or _("You may not change this record."))


_DATE_SEPARATORS = re.compile(r"[年月/.]")


def parse_date(text: str) -> datetime.date:
    """`2026-03-31`, `2026/3/31`, `2026.03.31`, `2026年3月31日`; else a ValidationError."""
    cleaned = _DATE_SEPARATORS.sub("-", text.strip()).rstrip("日").split(" ")[0].split("T")[0]
    try:
        return datetime.date(*(int(part) for part in cleaned.split("-")))
    except (TypeError, ValueError):
        raise ValidationError(
            _("“%(value)s” is not a date; write it as 2026-03-31."),
            params={"value": text},
        ) from None


def parse_amount(text: str) -> Decimal:
    """`12,500.00`, `12 500`, `¥12,500` as an exact Decimal, never a float."""
    cleaned = re.sub(r"[\s,，¥￥$€£]", "", text)
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise ValidationError(_("“%(value)s” is not an amount."), params={"value": text})
    return amount


_QUARTER = re.compile(
    r"^(?:(?P<y1>\d{4})\s*年?\s*[-/ ]?\s*(?:q|第)\s*(?P<q1>[1-4一二三四])\s*(?:季度|季)?"
    r"|(?:q|第)\s*(?P<q2>[1-4一二三四])\s*(?:季度|季)?\s*[-/ ]?\s*(?P<y2>\d{4})\s*年?)$",
    re.IGNORECASE,
)
_MONTH = re.compile(r"^(?P<y>\d{4})\s*(?:年|[-/.])\s*(?P<m>\d{1,2})\s*月?$")
_YEAR = re.compile(r"^(?P<y>\d{4})\s*年?(?:度)?$")
_CHINESE_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4}


def parse_period(text: str) -> tuple[datetime.date, datetime.date]:
    """A quarter (`2026 Q1`, `Q1 2026`, `2026年第一季度`), a month (`2026-03`, `2026年3月`)
    or a year (`2026`) as its first and last day."""
    cleaned = text.strip()
    if match := _QUARTER.match(cleaned):
        year = int(match["y1"] or match["y2"])
        digit = match["q1"] or match["q2"]
        quarter = _CHINESE_DIGITS.get(digit) or int(digit)
        start = datetime.date(year, 3 * quarter - 2, 1)
        end = datetime.date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)
        return start, end - datetime.timedelta(days=1)
    if (match := _MONTH.match(cleaned)) and 1 <= int(match["m"]) <= 12:
        year, month = int(match["y"]), int(match["m"])
        start = datetime.date(year, month, 1)
        end = datetime.date(year + (month == 12), 1 if month == 12 else month + 1, 1)
        return start, end - datetime.timedelta(days=1)
    if match := _YEAR.match(cleaned):
        year = int(match["y"])
        return datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    raise ValidationError(
        _("“%(value)s” is not a period; write a quarter such as 2026 Q1, a month or a year."),
        params={"value": text},
    )


def one_by_name(queryset: QuerySet, text: str) -> list:
    """The records of `queryset` whose name is `text` once case, width and spacing are folded."""
    key = name_key(text)
    found = [r for r in queryset.filter(name__iexact=text.strip())[:5] if name_key(r.name) == key]
    if not found:  # written in another width or spacing: compare every name the user may see
        found = [
            r for r in queryset.select_related(None).only("pk", "name") if name_key(r.name) == key
        ]
    return found


def parsed(reader: Callable[[str], Any], name: str) -> Callable[[User, str], dict]:
    return lambda user, text: {name: reader(text)}
