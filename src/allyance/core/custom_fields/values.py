"""Custom field definitions of a record type, and the typed validation and display of values.

Values live in each record's `custom_fields` JSON under the field's key, as plain
JSON: number → int, decimal → normalised string (exact, no float), date → ISO
string, choice → string, multi-choice → list of strings in the order of the
choices, boolean → bool, user → user id. Every way in — forms, the API, imports —
goes through `clean_custom_values`, so a stored value always has its field's type.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils.formats import localize
from django.utils.translation import gettext as _

from allyance.core.models import CustomField, User

Type = CustomField.Type

MAX_TEXT_LENGTH = 2000
MAX_INTEGER = 2**53 - 1  # the largest whole number every JSON client reads exactly
DECIMAL_WHOLE_DIGITS = 20
DECIMAL_PLACES = 10
MAX_CHOICES = 200
MAX_CHOICE_LENGTH = 100
TRUE_WORDS = frozenset({"true", "yes", "y", "1", "on", "是"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "off", "否"})


# --- Definitions ----------------------------------------------------------------------------


def fields_for(model: type[Model] | Model) -> list[CustomField]:
    """The custom fields defined for a record type (model class or instance), in display order."""
    content_type = ContentType.objects.get_for_model(model)
    return list(CustomField.objects.filter(content_type=content_type).order_by("order", "name"))


def choices_of(definition: CustomField) -> list[str]:
    choices = definition.choices if isinstance(definition.choices, list) else []
    return [choice for choice in choices if isinstance(choice, str)]


# --- Values ---------------------------------------------------------------------------------


def is_empty(value) -> bool:
    """None, blank text and empty lists mean "no value"; False and 0 are values."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, list | tuple) and not value


def _as_decimal(value) -> Decimal:
    if isinstance(value, bool):
        raise InvalidOperation
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidOperation
        number = Decimal(repr(value))
    elif isinstance(value, str):
        number = Decimal(value.strip())
    else:
        raise InvalidOperation
    if not number.is_finite():
        raise InvalidOperation
    return number


def _clean_text(definition: CustomField, value, previous=None) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValidationError(_("Enter text."))
    text = str(value).strip()
    if len(text) > MAX_TEXT_LENGTH:
        raise ValidationError(_("Enter at most %(count)d characters.") % {"count": MAX_TEXT_LENGTH})
    return text


def _clean_number(definition: CustomField, value, previous=None) -> int:
    message = _("Enter a whole number.")
    try:
        number = _as_decimal(value)
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError(message) from exc
    if number != number.to_integral_value():
        raise ValidationError(message)
    if abs(number) > MAX_INTEGER:
        raise ValidationError(
            _("Enter a number between %(low)d and %(high)d.")
            % {"low": -MAX_INTEGER, "high": MAX_INTEGER}
        )
    return int(number)


def _clean_decimal(definition: CustomField | None, value, previous=None) -> str:
    try:
        number = _as_decimal(value)
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError(_("Enter a number.")) from exc
    if number == 0:
        return "0"
    number = number.normalize()
    _sign, digits, exponent = number.as_tuple()
    if max(0, -exponent) > DECIMAL_PLACES:
        raise ValidationError(
            _("Enter at most %(count)d decimal places.") % {"count": DECIMAL_PLACES}
        )
    if max(0, len(digits) + exponent) > DECIMAL_WHOLE_DIGITS:
        raise ValidationError(
            _("Enter at most %(count)d digits before the decimal point.")
            % {"count": DECIMAL_WHOLE_DIGITS}
        )
    return format(number, "f")


def decimal_text(value) -> str:
    """A decimal in its stored form: normalised text such as "12.5"; ValidationError if invalid."""
    return _clean_decimal(None, value)


def _clean_date(definition: CustomField, value, previous=None) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    raise ValidationError(_("Enter a date as YYYY-MM-DD."))


def _not_a_choice(value) -> ValidationError:
    return ValidationError(
        _("“%(value)s” is not one of the choices.") % {"value": str(value)[:100]}
    )


def _clean_choice(definition: CustomField, value, previous=None) -> str:
    if isinstance(value, str) and value.strip() in choices_of(definition):
        return value.strip()
    raise _not_a_choice(value)


def _clean_multi_choice(definition: CustomField, value, previous=None) -> list[str]:
    choices = choices_of(definition)
    if isinstance(value, str):
        # One choice, or several separated by commas (as in an imported cell).
        items = [value] if value.strip() in choices else value.split(",")
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise ValidationError(_("Enter a list of choices."))
    items = [item.strip() if isinstance(item, str) else item for item in items]
    items = [item for item in items if item != ""]
    for item in items:
        if not isinstance(item, str) or item not in choices:
            raise _not_a_choice(item)
    return [choice for choice in choices if choice in items]


def _clean_boolean(definition: CustomField, value, previous=None) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    raise ValidationError(_("Enter yes or no."))


def _clean_user(definition: CustomField, value, previous=None) -> int:
    message = _("Choose an active user.")
    if isinstance(value, User):
        user_id = value.pk
    elif isinstance(value, int) and not isinstance(value, bool):
        user_id = value
    elif isinstance(value, str) and re.fullmatch(r"[0-9]{1,18}", value.strip()):
        user_id = int(value.strip())
    else:
        raise ValidationError(message)
    if user_id == previous:
        return user_id  # unchanged: kept even if that user has since been deactivated
    if not 0 < user_id < 2**63 or not User.objects.filter(pk=user_id, is_active=True).exists():
        raise ValidationError(message)
    return user_id


CLEANERS: dict[str, Callable] = {
    Type.TEXT: _clean_text,
    Type.NUMBER: _clean_number,
    Type.DECIMAL: _clean_decimal,
    Type.DATE: _clean_date,
    Type.CHOICE: _clean_choice,
    Type.MULTI_CHOICE: _clean_multi_choice,
    Type.BOOLEAN: _clean_boolean,
    Type.USER: _clean_user,
}


def clean_custom_values(
    model, values: dict, *, existing: dict | None = None, definitions: list | None = None
) -> dict:
    """Validate `values` for `model`'s custom fields and return them merged into `existing`.

    `existing=None` means the record is being created, so every required field needs a
    value; on an update only the given keys change. An empty value (None, "", [])
    removes a value. Raises ValidationError keyed by field key (unknown keys too).
    `definitions` are `fields_for(model)` read once by a caller checking many records.
    """
    if not isinstance(values, dict):
        raise ValidationError(_("Expected an object of custom field values."))
    if definitions is None:
        definitions = fields_for(model)
    definitions = {definition.name: definition for definition in definitions}
    previous = existing if isinstance(existing, dict) else {}
    result = dict(previous)
    errors: dict[str, list] = {}
    for key, raw in values.items():
        key = str(key)
        definition = definitions.get(key)
        if definition is None:
            errors[key] = [_("There is no custom field with this key.")]
            continue
        cleaner = CLEANERS.get(definition.type, _clean_text)
        try:
            value = None if is_empty(raw) else cleaner(definition, raw, previous.get(key))
        except ValidationError as exc:
            errors[key] = exc.messages
            continue
        if is_empty(value):
            result.pop(key, None)
        else:
            result[key] = value
    for key, definition in definitions.items():
        if (
            definition.required
            and key not in errors
            and (existing is None or key in values)
            and is_empty(result.get(key))
        ):
            errors[key] = [_("This field is required.")]
    if errors:
        raise ValidationError(errors)
    return result


def new_record_custom_values(model, values: dict | None) -> dict:
    """The custom field values a create service stores, checked as for a new record.

    Errors are keyed `cf_<key>`, as forms name the inputs (a key may equal a model field's
    name). None — a record the system makes, not one somebody typed — stores none.
    """
    if values is None:
        return {}
    try:
        return clean_custom_values(model, values)
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        raise ValidationError(
            {f"cf_{key}": messages for key, messages in exc.message_dict.items()}
        ) from exc


# --- Display --------------------------------------------------------------------------------


def format_custom_value(definition: CustomField, value, *, users: dict | None = None) -> str:
    """A stored value as people read it, in the current language; "" when there is none."""
    if is_empty(value):
        return ""
    try:
        if definition.type == Type.NUMBER:
            return localize(int(value))
        if definition.type == Type.DECIMAL:
            return localize(Decimal(str(value)))
        if definition.type == Type.DATE:
            return localize(date.fromisoformat(str(value)))
        if definition.type == Type.BOOLEAN:
            return _("Yes") if value is True else _("No") if value is False else str(value)
        if definition.type == Type.MULTI_CHOICE and isinstance(value, list):
            return ", ".join(str(item) for item in value)
        if definition.type == Type.USER:
            user = (users or {}).get(value) or User.objects.filter(pk=int(value)).first()
            return str(user) if user is not None else str(value)
    except (ValueError, TypeError, InvalidOperation):
        pass
    return str(value)


def custom_field_display(record: Model) -> list[tuple[str, str]]:
    """(label, formatted value) for every custom field of the record's type, in order."""
    definitions = fields_for(type(record))
    stored = record.custom_fields if isinstance(record.custom_fields, dict) else {}
    user_ids = [
        stored.get(d.name)
        for d in definitions
        if d.type == Type.USER and isinstance(stored.get(d.name), int)
    ]
    users = User.objects.in_bulk(user_ids) if user_ids else {}
    return [
        (
            definition.label,
            format_custom_value(definition, stored.get(definition.name), users=users),
        )
        for definition in definitions
    ]
