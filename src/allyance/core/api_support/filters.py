"""Filter backends every API list shares: `?q=` search and strict `?ordering=`."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import filters

from allyance.core.api_support.errors import BadQueryParameter


class SearchQueryFilter(filters.BaseFilterBackend):
    """`?q=` full-text search through the search index of the view's model."""

    search_param = "q"

    def filter_queryset(self, request, queryset, view):
        query = request.query_params.get(self.search_param, "").strip()
        if not query:
            return queryset
        from allyance.core.search import search_queryset

        return search_queryset(queryset, query)

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.search_param,
                "required": False,
                "in": "query",
                "description": "Search text (names, companies, e-mails, phones; Chinese too).",
                "schema": {"type": "string"},
            }
        ]


class OrderingFilter(filters.OrderingFilter):
    """`?ordering=name,-created_at`; an unknown field is a 400, not silently ignored."""

    def remove_invalid_fields(self, queryset, fields, view, request):
        valid = {item[0] for item in self.get_valid_fields(queryset, view, {"request": request})}
        unknown = [term for term in fields if term.removeprefix("-") not in valid]
        if unknown:
            raise BadQueryParameter(
                self.ordering_param,
                _("Unknown ordering field(s): %(fields)s. Choose from: %(valid)s.")
                % {"fields": ", ".join(unknown), "valid": ", ".join(sorted(valid))},
            )
        return fields

    def get_schema_operation_parameters(self, view) -> list[dict]:
        fields = getattr(view, "ordering_fields", None)
        if not isinstance(fields, list | tuple):
            return super().get_schema_operation_parameters(view)
        names = [field if isinstance(field, str) else field[0] for field in fields]
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": "Fields to sort by, comma-separated; a leading `-` sorts descending.",
                "schema": {
                    "type": "array",
                    "items": {"type": "string", "enum": [p + n for n in names for p in ("", "-")]},
                },
                "style": "form",
                "explode": False,
            }
        ]
