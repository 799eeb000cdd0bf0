"""List filters for activities, shared by the web UI and the API."""

import django_filters

from allyance.activities.models import Activity


class ActivityFilter(django_filters.FilterSet):
    due_before = django_filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="lte")
    due_after = django_filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="gte")

    class Meta:
        model = Activity
        fields = ["kind", "status", "priority", "owner", "account", "contact"]
