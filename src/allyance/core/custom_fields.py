"""Admin-defined custom fields: which exist for a record type and how values are validated."""

from __future__ import annotations

from django.core.exceptions import ValidationError


def clean_custom_values(model, values: dict, *, existing: dict | None = None) -> dict:
    """Interim: accept values for defined fields only."""
    from django.contrib.contenttypes.models import ContentType

    from allyance.core.models import CustomField

    defined = set(
        CustomField.objects.filter(
            content_type=ContentType.objects.get_for_model(model)
        ).values_list("name", flat=True)
    )
    unknown = sorted(set(values) - defined)
    if unknown:
        raise ValidationError(f"Unknown custom fields: {', '.join(unknown)}")
    return {**(existing or {}), **values}


def add_custom_form_fields(form) -> None:
    """Interim: no custom fields in forms yet."""


def clean_custom_form_fields(form) -> None:
    """Interim: no custom fields in forms yet."""
