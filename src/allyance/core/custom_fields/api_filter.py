"""`cf_<key>=value` filters on the API's lists, the same ones the web list pages take."""

from __future__ import annotations

from rest_framework import filters
from rest_framework.exceptions import ValidationError

from allyance.core.custom_fields.forms import CustomFieldFilterForm


class CustomFieldQueryFilter(filters.BaseFilterBackend):
    """Filter a list by custom field values; a bad value is a 400 naming the parameter."""

    def filter_queryset(self, request, queryset, view):
        if not any(name.startswith("cf_") for name in request.query_params):
            return queryset
        form = CustomFieldFilterForm(queryset.model, request.query_params, user=request.user)
        if form.definitions and not form.is_valid():
            raise ValidationError(form.errors)
        return form.filter(queryset)
