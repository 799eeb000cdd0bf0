"""REST API over the requesting user's own notifications: list, read, mark read.

Nobody reaches another user's notifications: every query starts from the
requester, so another user's id is simply not found.
"""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from allyance.core.api_support import OrderingFilter
from allyance.core.filters import GatedFilterSet
from allyance.core.models import Notification
from allyance.core.notifications import notifications_mark_read, notifications_of


class NotificationFilter(GatedFilterSet):
    unread = django_filters.BooleanFilter(
        field_name="read_at", lookup_expr="isnull", label=_("Unread only")
    )

    class Meta:
        model = Notification
        fields = ["kind", "unread"]


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "message", "url", "created_at", "read_at"]
        read_only_fields = fields


MarkedSerializer = inline_serializer("NotificationsMarked", {"marked": serializers.IntegerField()})


class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    """The requesting user's notifications, newest first; `unread=true` for the unread ones."""

    queryset = Notification.objects.none()  # for the schema; rows come from get_queryset
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["created_at"]
    ordering = ("-created_at", "-id")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return notifications_of(self.request.user)

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Mark this notification read."""
        notification = self.get_object()
        notifications_mark_read(recipient=request.user, ids=[notification.pk])
        notification.refresh_from_db()
        return Response(NotificationSerializer(notification).data)

    @extend_schema(request=None, responses=MarkedSerializer, filters=False)
    @action(detail=False, methods=["post"], url_path="read-all", filter_backends=[])
    def read_all(self, request):
        """Mark all of the requesting user's notifications read."""
        return Response({"marked": notifications_mark_read(recipient=request.user)})
