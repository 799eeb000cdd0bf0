"""Custom field columns for the spreadsheet exports written by hand (invoices, payments, cases).

Values are written as the import reads them back: numbers as numbers, dates as ISO dates,
yes/no in the user's language, choices joined with commas, users by their username.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.db.models import Model
from django.utils.translation import gettext as _

from allyance.core.custom_fields.values import Type, fields_for, is_empty
from allyance.core.models import User


class CustomFieldColumns:
    """One column per custom field of `model`, in display order."""

    def __init__(self, model: type[Model]):
        self.definitions = fields_for(model)
        self.usernames: dict[int, str] = {}

    def headers(self) -> list[str]:
        return [definition.label for definition in self.definitions]

    def values(self, record: Model) -> list:
        stored = record.custom_fields if isinstance(record.custom_fields, dict) else {}
        return [
            self._cell(definition, stored.get(definition.name)) for definition in self.definitions
        ]

    def _cell(self, definition, value):
        if is_empty(value):
            return ""
        kind = definition.type
        try:
            if kind == Type.NUMBER and not isinstance(value, bool):
                return int(value)
            if kind == Type.DECIMAL:
                return Decimal(str(value))
            if kind == Type.DATE:
                return date.fromisoformat(str(value))
        except (TypeError, ValueError, InvalidOperation):
            return str(value)  # a value stored before the field's type changed
        if kind == Type.BOOLEAN and isinstance(value, bool):
            return _("Yes") if value else _("No")
        if kind == Type.MULTI_CHOICE and isinstance(value, list):
            return ", ".join(str(item) for item in value)
        if kind == Type.USER and isinstance(value, int) and not isinstance(value, bool):
            if value not in self.usernames:
                user = User.objects.filter(pk=value).only("username").first()
                self.usernames[value] = user.username if user else str(value)
            return self.usernames[value]
        return str(value)
