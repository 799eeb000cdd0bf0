"""REST API for activities."""

from allyance.activities import selectors, services
from allyance.activities.filters import ActivityFilter
from allyance.activities.models import Activity
from allyance.core.api import BusinessRecordSerializer, GatedModelViewSet


class ActivitySerializer(BusinessRecordSerializer):
    class Meta:
        model = Activity
        fields = [
            "id",
            "kind",
            "subject",
            "body",
            "starts_at",
            "ends_at",
            "due_at",
            "status",
            "priority",
            "outcome",
            "completed_at",
            "account",
            "contact",
            "owner",
            "organisation",
            "custom_fields",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["completed_at"]


class ActivityViewSet(GatedModelViewSet):
    serializer_class = ActivitySerializer
    filterset_class = ActivityFilter
    ordering_fields = ["created_at", "updated_at", "due_at", "starts_at"]
    selector = staticmethod(selectors.activities_visible_to)
    save_service = staticmethod(services.activity_save)
    service_arg = "activity"
