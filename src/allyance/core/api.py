"""Shared API pieces: the base serializer and viewset of every business record."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models as dj_models
from django_countries.serializers import CountryFieldMixin
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from allyance.core.api_support import CursorPagination  # noqa: F401  (re-exported)
from allyance.core.models import AuditEntry, BusinessModel, Tag, User
from allyance.core.visibility import visible_to


class VersionedSerializerMixin(serializers.Serializer):
    """Exposes `version`; a PUT/PATCH that sends a stale version is refused with 409."""

    version = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)


def users_assignable_by(user) -> dj_models.QuerySet:
    """Users a record may be given to: staff assign staff; partners only their colleagues."""
    users = User.objects.filter(is_active=True)
    if user is None or not user.is_authenticated:
        return users.none()
    if user.is_partner:
        return users.filter(organisation_id=user.organisation_id)
    if user.is_customer:
        return users.none()
    return users


@extend_schema_field(
    serializers.ListField(child=serializers.CharField(min_length=1, max_length=60))
)
class TagsField(serializers.Field):
    """Tags as a list of names; unknown names become new tags when the record is saved."""

    default_error_messages = {"invalid": "Expected a list of tag names (at most 60 characters)."}

    def to_representation(self, value):
        return [tag.name for tag in value.all()]

    def to_internal_value(self, data):
        if not isinstance(data, list) or not all(
            isinstance(name, str) and 0 < len(name.strip()) <= 60 for name in data
        ):
            self.fail("invalid")
        return [Tag.objects.get_or_create(name=name.strip())[0] for name in data]


class BusinessRecordSerializer(
    CountryFieldMixin, VersionedSerializerMixin, serializers.ModelSerializer
):
    """Related ids are checked against what the requesting user may see."""

    organisation = serializers.PrimaryKeyRelatedField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    # The default makes a create without `custom_fields` still check the required ones.
    custom_fields = serializers.JSONField(required=False, default=dict)

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        user = getattr(request, "user", None)
        for field in fields.values():
            related = getattr(field, "child_relation", field)
            queryset = getattr(related, "queryset", None)
            if queryset is None or user is None:
                continue
            if issubclass(queryset.model, BusinessModel):
                related.queryset = visible_to(user, queryset)
            elif queryset.model is User:
                related.queryset = users_assignable_by(user)
        return fields

    def validate_custom_fields(self, value):
        from allyance.core.custom_fields import clean_custom_values

        if not isinstance(value, dict):
            raise serializers.ValidationError("Expected an object of custom field values.")
        return clean_custom_values(
            self.Meta.model, value, existing=getattr(self.instance, "custom_fields", None)
        )


class RecordHistoryEntrySerializer(serializers.Serializer):
    """One entry of a record's audit trail as the `history` action returns it."""

    at = serializers.DateTimeField()
    action = serializers.ChoiceField(choices=AuditEntry.Action.choices)
    by = serializers.IntegerField(allow_null=True, source="actor_id")
    by_name = serializers.SerializerMethodField()
    changes = serializers.JSONField()

    def get_by_name(self, entry: AuditEntry) -> str | None:
        return str(entry.actor) if entry.actor else None


class GatedModelViewSet(viewsets.ModelViewSet):
    """CRUD over the rows the visibility gate allows; writes go through `save_service`.

    Subclasses set `selector` (user -> queryset) and `save_service`
    (`*, <name>, by, expected_version` -> instance) and `service_arg`.
    """

    selector = None
    save_service = None
    service_arg = "instance"
    # No lookup regex: the schema then types `id` as the integer primary key, and a
    # non-numeric or out-of-range id is simply not found (404).

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no rows
            return self.get_serializer_class().Meta.model.objects.none()
        return type(self).selector(self.request.user)

    def _save(self, serializer, instance=None):
        data = dict(serializer.validated_data)
        expected_version = data.pop("version", None)
        m2m = {
            name: data.pop(name)
            for name in list(data)
            if isinstance(serializer.Meta.model._meta.get_field(name), dj_models.ManyToManyField)
        }
        if instance is None:
            instance = serializer.Meta.model(**data)
        else:
            for name, value in data.items():
                setattr(instance, name, value)
        instance = type(self).save_service(
            **{self.service_arg: instance},
            by=self.request.user,
            expected_version=expected_version,
        )
        for name, value in m2m.items():
            getattr(instance, name).set(value)
        serializer.instance = instance

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    def perform_destroy(self, instance):
        from allyance.core.services import record_delete

        record_delete(instance=instance, by=self.request.user)

    @extend_schema(
        responses=RecordHistoryEntrySerializer(many=True),
        filters=False,
        parameters=[],
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request, pk=None):
        """The audit trail of this record, newest first (the latest 500 changes)."""
        record = self.get_object()
        entries = AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(record), object_id=str(record.pk)
        ).select_related("actor")
        return Response(RecordHistoryEntrySerializer(entries[:500], many=True).data)
