"""Template tags for record pages: cell values, sort links, query strings."""

from functools import cache, lru_cache, partialmethod

import phonenumbers
from django import template
from django.utils.encoding import force_str
from django.utils.formats import localize
from django.utils.hashable import make_hashable
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime

register = template.Library()

PHONE_FIELDS = {"phone", "phone_alt", "mobile"}


@cache
def _choice_labels(model: type, name: str) -> dict | None:
    """A model field's choice labels (lazy: translated when shown), for the field's generated
    `get_<name>_display`, which rebuilds this mapping on every call; None when the model
    defines that method itself or the choices are computed."""
    if not isinstance(model.__dict__.get(f"get_{name}_display"), partialmethod):
        return None
    field = model._meta.get_field(name)
    if callable(getattr(field, "_choices", None)) or not isinstance(field.choices, list):
        return None
    return dict(make_hashable(field.flatchoices))


def _display(value, name: str, display) -> str:
    labels = _choice_labels(type(value), name)
    if labels is None:
        return display()
    raw = getattr(value, name)
    return force_str(labels.get(make_hashable(raw), raw), strings_only=True)


@register.simple_tag
def cell(record, name: str):
    """The display value of `name` on `record`, following `a__b` paths and choice labels."""
    value = record
    parts = name.split("__")
    for index, part in enumerate(parts):
        if value is None:
            return ""
        display = getattr(value, f"get_{part}_display", None)
        if display is not None and index == len(parts) - 1:
            return _display(value, part, display)
        value = getattr(value, part, None)
    if value is None:
        return ""
    if parts[-1] in PHONE_FIELDS:
        return phone(value)
    if hasattr(value, "tzinfo") and hasattr(value, "hour"):
        return localize(localtime(value))
    return localize(value) if not isinstance(value, str) else value


@register.simple_tag
def row_cells(record, columns) -> str:
    """The `<td>` cells of one list row, the linked columns pointing at the record's page.

    One tag per row instead of a loop of tags per cell: list pages render 50 rows of up to
    ten columns, and the template engine's per-node cost was most of their time."""
    url = None
    cells = []
    for column in columns:
        value = cell(record, column.name)
        if column.link:
            url = url or record.get_absolute_url()
            cells.append((format_html('<a href="{}">{}</a>', url, value),))
        else:
            cells.append((value,))
    return format_html_join("", "<td>{}</td>", cells)


@register.filter
def sort_toggle(column_sort: str, current: str) -> str:
    return f"-{column_sort}" if current == column_sort else column_sort


@register.simple_tag
def query_with(request, **changes) -> str:
    params = request.GET.copy()
    params.pop("cursor", None)
    for key, value in changes.items():
        params[key] = value
    return params.urlencode()


@register.filter
def phone(value: str) -> str:
    """`+86 21 3417 9193` from the stored `+862134179193`; anything unparsable as it is."""
    if not value:
        return ""
    return _phone_display(value)


@lru_cache(maxsize=4096)
def _phone_display(value: str) -> str:
    # Parsing and formatting a number takes ~50 µs; a list page shows up to a hundred.
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
