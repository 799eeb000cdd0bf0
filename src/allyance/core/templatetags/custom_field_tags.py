"""Template tags for custom field values on record pages."""

from django import template

from allyance.core.custom_fields import custom_field_display

register = template.Library()


@register.simple_tag
def custom_field_rows(record) -> list[tuple[str, str]]:
    """(label, formatted value) of each custom field of the record's type."""
    return custom_field_display(record)
