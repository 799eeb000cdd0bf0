"""REST API of the service app. ROUTES: (prefix, viewset, basename).

Cases through the gate; creates and updates go through the services (number, warranty
check), the status only through the `move` action.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from allyance.core.api import BusinessRecordSerializer, GatedModelViewSet
from allyance.service import services
from allyance.service.filters import CaseFilter
from allyance.service.models import Case
from allyance.service.selectors import cases_visible_to


def _denied(exc: DjangoPermissionDenied) -> PermissionDenied:
    return PermissionDenied(str(exc))


class CaseSerializer(BusinessRecordSerializer):
    class Meta:
        model = Case
        fields = [
            "id",
            "number",
            "kind",
            "status",
            "subject",
            "account",
            "contact",
            "product",
            "serial_number",
            "purchase_date",
            "order",
            "problem",
            "warranty_valid",
            "warranty_until",
            "resolution",
            "resolved_at",
            "owner",
            "organisation",
            "custom_fields",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "number",
            "status",
            "warranty_valid",
            "warranty_until",
            "resolution",
            "resolved_at",
        ]


class CaseMoveSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=Case.Status.choices)
    resolution = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    version = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)


class CaseViewSet(GatedModelViewSet):
    """Service requests and warranty claims the user may see."""

    serializer_class = CaseSerializer
    filterset_class = CaseFilter
    ordering_fields = ["created_at", "updated_at", "number"]
    selector = staticmethod(cases_visible_to)
    save_service = staticmethod(services.case_save)
    service_arg = "case"

    def _save(self, serializer, instance=None):
        try:
            super()._save(serializer, instance)
        except DjangoPermissionDenied as exc:
            raise _denied(exc) from exc

    def perform_destroy(self, instance):
        try:
            services.case_delete(case=instance, by=self.request.user)
        except DjangoPermissionDenied as exc:
            raise _denied(exc) from exc

    @extend_schema(request=CaseMoveSerializer, responses=CaseSerializer, filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def move(self, request, pk=None):
        """Move the case to `to` (resolving or rejecting needs a `resolution`)."""
        case = self.get_object()
        body = CaseMoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            case = services.case_move(
                case=case,
                to=body.validated_data["to"],
                by=request.user,
                resolution=body.validated_data.get("resolution", ""),
                expected_version=body.validated_data.get("version"),
            )
        except DjangoPermissionDenied as exc:
            raise _denied(exc) from exc
        case = self.get_queryset().get(pk=case.pk)
        return Response(CaseSerializer(case, context=self.get_serializer_context()).data)


ROUTES = [("cases", CaseViewSet, "case")]
