"""Admin-defined custom fields: definitions, typed validation, forms, display and list filters.

`values` holds the definitions of a record type and the typed validation every way
in uses (`clean_custom_values`: forms, the API, imports); `services` the admin-only
writes on definitions; `forms` the `cf_<key>` form fields and list filters.
"""

from allyance.core.custom_fields.forms import (
    FIELD_TYPE_HELP,
    CustomFieldFilterForm,
    add_custom_form_fields,
    clean_custom_form_fields,
    custom_filter_form,
    custom_form_values,
    custom_value_condition,
    form_field_for,
)
from allyance.core.custom_fields.services import (
    KEY_PATTERN,
    RESERVED_KEYS,
    custom_field_delete,
    custom_field_save,
)
from allyance.core.custom_fields.values import (
    MAX_CHOICE_LENGTH,
    MAX_CHOICES,
    choices_of,
    clean_custom_values,
    custom_field_display,
    fields_for,
    format_custom_value,
    is_empty,
    new_record_custom_values,
)

__all__ = [
    "FIELD_TYPE_HELP",
    "KEY_PATTERN",
    "MAX_CHOICES",
    "MAX_CHOICE_LENGTH",
    "RESERVED_KEYS",
    "CustomFieldFilterForm",
    "add_custom_form_fields",
    "choices_of",
    "clean_custom_form_fields",
    "clean_custom_values",
    "custom_field_delete",
    "custom_field_display",
    "custom_field_save",
    "custom_filter_form",
    "custom_form_values",
    "custom_value_condition",
    "fields_for",
    "form_field_for",
    "format_custom_value",
    "is_empty",
    "new_record_custom_values",
]
