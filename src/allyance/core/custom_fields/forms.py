"""Custom fields in record forms and as list filters (`cf_<key>` in both)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import BooleanField, F, Func, Model, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from allyance.core.custom_fields.values import (
    DECIMAL_PLACES,
    DECIMAL_WHOLE_DIGITS,
    MAX_INTEGER,
    MAX_TEXT_LENGTH,
    Type,
    choices_of,
    clean_custom_values,
    decimal_text,
    fields_for,
    is_empty,
)
from allyance.core.models import CustomField, User

FIELD_TYPE_HELP = gettext_lazy(
    "Choice fields need their choices, one per line. The key is used in the API, in imports "
    "and in list filters (cf_<key>); it cannot change later."
)


# --- Forms ----------------------------------------------------------------------------------


def _user_queryset(user: User | None, current) -> QuerySet[User]:
    from allyance.core.api import users_assignable_by

    users = users_assignable_by(user) if user is not None else User.objects.filter(is_active=True)
    if isinstance(current, int) and not isinstance(current, bool):
        users = users | User.objects.filter(pk=current)
    return users.order_by("last_name", "first_name", "username")


def form_field_for(
    definition: CustomField, *, user: User | None = None, current=None, for_filter: bool = False
) -> forms.Field:
    """A Django form field for one custom field; filters take one value and never require it."""
    choices = [(choice, choice) for choice in choices_of(definition)]
    blank = [("", "—")]
    kind = definition.type
    if kind == Type.NUMBER:
        field = forms.IntegerField(min_value=-MAX_INTEGER, max_value=MAX_INTEGER)
    elif kind == Type.DECIMAL:
        field = forms.DecimalField(
            max_digits=DECIMAL_WHOLE_DIGITS + DECIMAL_PLACES, decimal_places=DECIMAL_PLACES
        )
    elif kind == Type.DATE:
        field = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    elif kind == Type.CHOICE or (kind == Type.MULTI_CHOICE and for_filter):
        field = forms.ChoiceField(choices=blank + choices)
    elif kind == Type.MULTI_CHOICE:
        field = forms.MultipleChoiceField(choices=choices)
    elif kind == Type.BOOLEAN:
        field = forms.TypedChoiceField(
            choices=blank + [("true", _("Yes")), ("false", _("No"))],
            coerce=lambda word: word == "true",
            empty_value=None,
        )
    elif kind == Type.USER:
        field = forms.ModelChoiceField(queryset=_user_queryset(user, current))
    else:
        field = forms.CharField(max_length=MAX_TEXT_LENGTH)
    field.label = definition.label
    field.required = definition.required and not for_filter
    widget = field.widget
    if isinstance(widget, forms.Select | forms.SelectMultiple):
        css = "form-select"
    else:
        css = "form-control"
    if isinstance(widget, forms.SelectMultiple):
        css += " js-tom-select"
    if for_filter:
        css += " form-control-sm"
    widget.attrs["class"] = css
    return field


def _initial(definition: CustomField, value):
    if definition.type == Type.DATE and isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    if definition.type == Type.BOOLEAN and isinstance(value, bool):
        return "true" if value else "false"
    return value


def add_custom_form_fields(form, *, model: type[Model] | None = None, stored=None) -> None:
    """Add a typed `cf_<key>` field per custom field of the form's model, filled from the record.

    A plain form (one whose view calls a service with keyword arguments) names the `model`
    it creates and, when editing, the `stored` values.
    """
    if model is None:
        model, stored = form._meta.model, form.instance.custom_fields
    stored = stored if isinstance(stored, dict) else {}
    form.custom_field_definitions = fields_for(model)
    for definition in form.custom_field_definitions:
        name = f"cf_{definition.name}"
        current = stored.get(definition.name)
        form.fields[name] = form_field_for(
            definition, user=getattr(form, "user", None), current=current
        )
        if current is not None:
            form.initial.setdefault(name, _initial(definition, current))


def _from_form(value):
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, Decimal):
        return str(value)
    return value


def custom_form_values(form) -> dict:
    """The `cf_` inputs of a valid plain form as `{key: value}`, for a service's `custom_fields`.

    Every defined field is given (empty ones as None), so the service checks required ones.
    """
    return {
        definition.name: _from_form(form.cleaned_data.get(f"cf_{definition.name}"))
        for definition in getattr(form, "custom_field_definitions", [])
    }


def clean_custom_form_fields(form) -> None:
    """Validate the `cf_` fields and put their values into `form.instance.custom_fields`."""
    definitions = getattr(form, "custom_field_definitions", [])
    values = {
        definition.name: _from_form(form.cleaned_data[f"cf_{definition.name}"])
        for definition in definitions
        if f"cf_{definition.name}" in form.cleaned_data
    }
    if len(values) != len(definitions):
        return  # a field already has an error; the form is shown again
    instance = form.instance
    existing = (
        instance.custom_fields if instance.pk and isinstance(instance.custom_fields, dict) else None
    )
    try:
        instance.custom_fields = clean_custom_values(type(instance), values, existing=existing)
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            form.add_error(None, exc.messages)
            return
        for key, messages in exc.message_dict.items():
            form.add_error(f"cf_{key}" if f"cf_{key}" in form.fields else None, messages)


# --- List filters ---------------------------------------------------------------------------


class CustomFieldFilterForm(forms.Form):
    """The `cf_<key>=value` filters of one record type's list page."""

    def __init__(self, model: type[Model], data, *, user: User | None = None):
        super().__init__(data)
        self.definitions = fields_for(model)
        for definition in self.definitions:
            self.fields[f"cf_{definition.name}"] = form_field_for(
                definition, user=user, for_filter=True
            )

    def filter(self, queryset: QuerySet) -> QuerySet:
        """`queryset` narrowed by every filter given; nothing when a filter value is invalid."""
        if not self.definitions:
            return queryset
        if not self.is_valid():
            return queryset.none()
        for definition in self.definitions:
            value = self.cleaned_data.get(f"cf_{definition.name}")
            if not is_empty(value):
                queryset = queryset.filter(custom_value_condition(definition, value, queryset.db))
        return queryset


def custom_value_condition(definition: CustomField, value, using: str = "default") -> Q:
    """The condition "this record's custom field matches `value`", for SQLite and PostgreSQL.

    Text matches a part, case-insensitively; a multi-choice field matches when it contains
    the value (JSON containment on PostgreSQL, `json_each` on SQLite).
    """
    path = f"custom_fields__{definition.name}"
    kind = definition.type
    if kind == Type.TEXT:
        return Q(**{f"{path}__icontains": str(value)})
    if kind == Type.MULTI_CHOICE:
        if connections[using].features.supports_json_field_contains:
            return Q(custom_fields__contains={definition.name: [value]})
        return Q(JsonArrayHas("custom_fields", definition.name, str(value)))
    if kind == Type.DECIMAL:
        value = decimal_text(value)
    elif kind == Type.DATE and isinstance(value, date):
        value = value.isoformat()
    elif kind == Type.USER and isinstance(value, Model):
        value = value.pk
    return Q(**{f"{path}__exact": value})


class JsonArrayHas(Func):
    """SQLite: the JSON array under `key` of a JSON column has `value` as one of its items."""

    output_field = BooleanField()

    def __init__(self, column: str, key: str, value: str):
        super().__init__(F(column))
        self.key, self.value = key, value

    def as_sql(self, compiler, connection, **extra_context):
        column_sql, params = compiler.compile(self.source_expressions[0])
        sql = f"EXISTS (SELECT 1 FROM json_each({column_sql}, %s) WHERE json_each.value = %s)"
        return sql, (*params, f'$."{self.key}"', self.value)


def custom_filter_form(request: HttpRequest, model: type[Model]) -> CustomFieldFilterForm:
    """The filter form of `model` for this request, built once per request."""
    cache = request.__dict__.setdefault("_custom_filter_forms", {})
    if model not in cache:
        cache[model] = CustomFieldFilterForm(model, request.GET, user=request.user)
    return cache[model]
