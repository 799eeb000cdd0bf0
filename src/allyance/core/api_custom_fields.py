"""REST API for custom field definitions: every staff member reads them, administrators change them."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.permissions import SAFE_METHODS, BasePermission

from allyance.core.custom_fields import (
    MAX_CHOICE_LENGTH,
    MAX_CHOICES,
    custom_field_delete,
    custom_field_save,
)
from allyance.core.models import CustomField
from allyance.core.record_types import content_type_for_key, record_type_key


class RecordTypeField(serializers.CharField):
    """A record type by name (`account`, `contact`, …), stored as its content type."""

    default_error_messages = {"unknown": _("Unknown record type.")}

    def to_internal_value(self, data) -> ContentType:
        content_type = content_type_for_key(super().to_internal_value(data)[:100])
        if content_type is None:
            self.fail("unknown")
        return content_type

    def to_representation(self, content_type: ContentType) -> str:
        model = content_type.model_class()
        return record_type_key(model) if model is not None else content_type.model


class StaffReadAdminWrite(BasePermission):
    """Staff read the definitions; only administrators create, change or delete them."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        return user.is_admin if request.method not in SAFE_METHODS else user.is_internal


class CustomFieldSerializer(serializers.ModelSerializer):
    record_type = RecordTypeField(source="content_type")
    choices = serializers.ListField(
        child=serializers.CharField(max_length=MAX_CHOICE_LENGTH),
        max_length=MAX_CHOICES,
        required=False,
    )

    class Meta:
        model = CustomField
        fields = ["id", "record_type", "name", "label", "type", "choices", "required", "order"]
        validators = []  # the service checks the key, keyed by field, like the web form


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "record_type", str, description="Only the fields of this record type (`account`)."
            )
        ]
    )
)
class CustomFieldViewSet(viewsets.ModelViewSet):
    """Custom field definitions; the key and record type of a field never change."""

    serializer_class = CustomFieldSerializer
    permission_classes = [StaffReadAdminWrite]
    pagination_class = None
    filter_backends = []
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        fields = CustomField.objects.select_related("content_type").order_by(
            "content_type_id", "order", "name"
        )
        key = self.request.query_params.get("record_type") if self.action == "list" else None
        if key:
            content_type = content_type_for_key(key)
            if content_type is None:
                raise serializers.ValidationError({"record_type": [_("Unknown record type.")]})
            fields = fields.filter(content_type=content_type)
        return fields

    def _save(self, serializer, field: CustomField) -> None:
        for name, value in serializer.validated_data.items():
            setattr(field, name, value)
        serializer.instance = custom_field_save(field=field, by=self.request.user)

    def perform_create(self, serializer):
        self._save(serializer, CustomField())

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    def perform_destroy(self, instance):
        custom_field_delete(field=instance, by=self.request.user)
