"""Writes on custom field definitions: administrators only, key and record type fixed."""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import JSONField
from django.db.models.fields.json import KeyTransform
from django.utils.translation import gettext as _

from allyance.core import audit
from allyance.core.custom_fields.values import MAX_CHOICE_LENGTH, MAX_CHOICES, Type
from allyance.core.models import CustomField, User
from allyance.core.record_types import takes_custom_fields

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
# Keys that would read as a query lookup in `custom_fields__<key>`.
RESERVED_KEYS = frozenset(JSONField.get_lookups()) | frozenset(KeyTransform.get_lookups())


def custom_field_save(*, field: CustomField, by: User) -> CustomField:
    """Create or change a custom field definition. Admins only; key and record type never change.

    Choice types need a list of distinct choices; other types keep none.
    """
    if by is None or not by.is_admin:
        raise PermissionDenied(_("Only administrators manage custom fields."))
    errors: dict[str, list] = {}
    field.name = (field.name or "").strip()
    field.label = (field.label or "").strip()
    model = field.content_type.model_class() if field.content_type_id else None
    if model is None or not takes_custom_fields(model):
        errors["content_type"] = [_("Choose a record type.")]
    if not KEY_PATTERN.match(field.name) or "__" in field.name:
        errors["name"] = [
            _(
                "Use lower-case letters, digits and single underscores, starting with a letter "
                "(at most 60 characters)."
            )
        ]
    elif field.name in RESERVED_KEYS:
        errors["name"] = [_("This key is reserved; choose another.")]
    if field.pk is not None:
        previous = CustomField.objects.filter(pk=field.pk).first()
        if previous is not None and (
            previous.name != field.name or previous.content_type_id != field.content_type_id
        ):
            errors["name"] = [_("The key and the record type of a field cannot change.")]
    if (
        "name" not in errors
        and field.content_type_id
        and CustomField.objects.filter(content_type_id=field.content_type_id, name=field.name)
        .exclude(pk=field.pk)
        .exists()
    ):
        errors["name"] = [_("This record type already has a field with this key.")]
    if field.type in (Type.CHOICE, Type.MULTI_CHOICE):
        try:
            field.choices = _normalised_choices(field.choices)
        except ValidationError as exc:
            errors["choices"] = exc.messages
    else:
        field.choices = []
    try:
        field.full_clean(exclude=[*errors], validate_constraints=False)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, messages)
    if errors:
        raise ValidationError(errors)
    with audit.acting_as(by), transaction.atomic():
        field.save()
    return field


def _normalised_choices(raw) -> list[str]:
    if isinstance(raw, str):
        raw = raw.splitlines()
    if not isinstance(raw, list | tuple) or not all(isinstance(item, str) for item in raw):
        raise ValidationError(_("Enter the choices as a list of texts."))
    choices: list[str] = []
    for item in (item.strip() for item in raw):
        if item and item not in choices:
            choices.append(item)
    if not choices:
        raise ValidationError(_("Enter at least one choice."))
    if len(choices) > MAX_CHOICES:
        raise ValidationError(_("Enter at most %(count)d choices.") % {"count": MAX_CHOICES})
    if any(len(choice) > MAX_CHOICE_LENGTH for choice in choices):
        raise ValidationError(
            _("A choice may have at most %(count)d characters.") % {"count": MAX_CHOICE_LENGTH}
        )
    return choices


def custom_field_delete(*, field: CustomField, by: User) -> None:
    """Remove a definition (admins only). Stored values stay on the records and come back
    if a field with the same key is defined again."""
    if by is None or not by.is_admin:
        raise PermissionDenied(_("Only administrators manage custom fields."))
    with audit.acting_as(by), transaction.atomic():
        field.delete()
