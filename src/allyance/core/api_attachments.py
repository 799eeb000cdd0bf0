"""REST API for attachments: list by record, upload (multipart), read, download, delete.

Everything goes through the visibility gate of the record a file hangs on: an
attachment of a record the caller cannot see is a 404, like an unknown id.
"""

from __future__ import annotations

import json
import re

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, renderers, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound

from allyance.core.api_custom_fields import RecordTypeField
from allyance.core.api_support import CursorPagination
from allyance.core.attachments import (
    attachment_add,
    attachment_delete,
    attachment_download_response,
    attachments_visible_to,
)
from allyance.core.models import Attachment
from allyance.core.record_types import record_model_for
from allyance.core.visibility import visible_to

MAX_ID = 2**63 - 1


class AttachmentPagination(CursorPagination):
    ordering = ("-uploaded_at", "-id")


class FileRenderer(renderers.BaseRenderer):
    """Lets a download answer any `Accept`; errors on that route still go out as JSON."""

    media_type = "*/*"
    format = "file"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes | str):
            return data
        return json.dumps(data).encode()


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    target_type = RecordTypeField(source="content_type")
    target_id = serializers.IntegerField(source="object_id", min_value=1, max_value=MAX_ID)
    file = serializers.FileField(write_only=True)
    name = serializers.CharField(read_only=True)
    size = serializers.IntegerField(read_only=True)
    mime_type = serializers.CharField(read_only=True)
    uploaded_by = serializers.IntegerField(source="uploaded_by_id", read_only=True, allow_null=True)
    uploaded_at = serializers.DateTimeField(read_only=True)
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, attachment: Attachment) -> str:
        path = reverse("attachment-download", args=[attachment.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    def validate(self, attrs: dict) -> dict:
        """The record must be one the caller can see; else it is reported as unknown."""
        model = attrs["content_type"].model_class()
        target = (
            visible_to(self.context["request"].user, model._default_manager.all())
            .filter(pk=attrs["object_id"])
            .first()
        )
        if target is None:
            raise serializers.ValidationError({"target_id": [_("No such record.")]})
        attrs["target"] = target
        return attrs


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("target_type", str, description="Record type, e.g. `account`."),
            OpenApiParameter("target_id", int, description="Record id; with `target_type`."),
        ]
    ),
    create=extend_schema(request={"multipart/form-data": AttachmentSerializer}),
)
class AttachmentViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Files on records. Upload with multipart (`target_type`, `target_id`, `file`)."""

    serializer_class = AttachmentSerializer
    pagination_class = AttachmentPagination
    filter_backends = []
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no rows
            return Attachment.objects.none()
        user = self.request.user
        if self.action != "list":
            return attachments_visible_to(user)
        params = self.request.query_params
        target_type, target_id = params.get("target_type"), params.get("target_id")
        if not target_type and not target_id:
            return attachments_visible_to(user)
        errors = {}
        model = record_model_for(target_type or "")
        if model is None:
            errors["target_type"] = [_("Give a known record type with target_id.")]
        if not re.fullmatch(r"[0-9]{1,19}", target_id or "") or not 0 < int(target_id) <= MAX_ID:
            errors["target_id"] = [_("Give a record id with target_type.")]
        if errors:
            raise serializers.ValidationError(errors)
        target = visible_to(user, model._default_manager.all()).filter(pk=int(target_id)).first()
        if target is None:
            raise NotFound
        return attachments_visible_to(user, target)

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = attachment_add(
            target=data["target"], uploaded_file=data["file"], by=self.request.user
        )

    def perform_destroy(self, instance):
        attachment_delete(attachment=instance, by=self.request.user)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=[renderers.JSONRenderer, FileRenderer],
        pagination_class=None,
    )
    def download(self, request, pk=None):
        """The file itself, as a download (never rendered by a browser)."""
        return attachment_download_response(self.get_object())
