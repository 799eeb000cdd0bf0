"""REST API of the partners app: the registrations part. ROUTES: (prefix, viewset, basename).

`deal-registrations`: a partner user's POST submits a registration; the channel manager
approves or rejects it with the actions, the partner withdraws it. Partners never read the
conflicts (who else claims the customer), only that there are some.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from allyance.catalog.models import Product
from allyance.core.api import BusinessRecordSerializer, GatedModelViewSet
from allyance.partners.filters.registrations import DealRegistrationFilter
from allyance.partners.models import DealRegistration
from allyance.partners.selectors.registrations import (
    may_see_conflicts,
    registrations_visible_to,
)
from allyance.partners.services import registrations as services


class ConflictSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["opportunity", "registration"])
    id = serializers.IntegerField()
    label = serializers.CharField()
    why = serializers.ListField(child=serializers.ChoiceField(choices=["name", "tax_id", "domain"]))
    own = serializers.BooleanField(required=False)


class DealRegistrationSerializer(BusinessRecordSerializer):
    """A registration; `conflicts` is shown to the company's staff only."""

    products = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=Product.objects.filter(active=True)
    )
    conflicts = ConflictSerializer(
        many=True,
        read_only=True,
        help_text="Open company deals and other active registrations of the same customer "
        "(staff only; absent for partner users).",
    )
    has_conflicts = serializers.SerializerMethodField()

    class Meta:
        model = DealRegistration
        fields = [
            "id",
            "customer_name",
            "tax_id",
            "domain",
            "account",
            "contact_name",
            "contact_email",
            "products",
            "product_interest",
            "estimated_amount",
            "currency",
            "expected_close",
            "description",
            "status",
            "has_conflicts",
            "conflicts",
            "submitted_at",
            "decided_at",
            "decided_by",
            "decision_reason",
            "protected_until",
            "opportunity",
            "owner",
            "organisation",
            "custom_fields",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "status",
            "submitted_at",
            "decided_at",
            "decided_by",
            "decision_reason",
            "protected_until",
            "opportunity",
            "owner",
        ]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is not None and not may_see_conflicts(user):
            fields.pop("conflicts", None)
        return fields

    def get_has_conflicts(self, registration: DealRegistration) -> bool:
        return bool(registration.conflicts)


class RegistrationApproveSerializer(serializers.Serializer):
    protection_days = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=3650,
        help_text="Days the partner is protected; the programme's setting when absent.",
    )


class RegistrationRejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=255)


class EmptySerializer(serializers.Serializer):
    pass


class DealRegistrationViewSet(GatedModelViewSet):
    """Deal registrations the user may see; a partner user's POST submits one. The status
    changes only through the actions; nothing is edited or deleted."""

    serializer_class = DealRegistrationSerializer
    filterset_class = DealRegistrationFilter
    http_method_names = ["get", "post", "head", "options"]
    selector = staticmethod(registrations_visible_to)
    ordering_fields = [
        "customer_name",
        "estimated_amount",
        "expected_close",
        "protected_until",
        "submitted_at",
        "updated_at",
    ]

    def get_queryset(self):
        return super().get_queryset().prefetch_related("products")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("version", None)
        products = data.pop("products", [])
        registration = DealRegistration(**data)
        serializer.instance = services.registration_submit(
            registration=registration, by=self.request.user, products=products
        )

    def _answer(self, registration: DealRegistration) -> Response:
        registration = self.get_queryset().get(pk=registration.pk)
        return Response(self.get_serializer(registration).data)

    @extend_schema(
        request=RegistrationApproveSerializer, responses=DealRegistrationSerializer, filters=False
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def approve(self, request, pk=None):
        """Approve (the partner's channel manager or an administrator): the partner is
        protected and gets the opportunity."""
        registration = self.get_object()
        payload = RegistrationApproveSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.registration_approve(
            registration=registration,
            by=request.user,
            protection_days=payload.validated_data.get("protection_days"),
        )
        return self._answer(registration)

    @extend_schema(
        request=RegistrationRejectSerializer, responses=DealRegistrationSerializer, filters=False
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def reject(self, request, pk=None):
        """Reject with a reason the partner reads (the channel manager or an administrator)."""
        registration = self.get_object()
        payload = RegistrationRejectSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.registration_reject(
            registration=registration, reason=payload.validated_data["reason"], by=request.user
        )
        return self._answer(registration)

    @extend_schema(request=EmptySerializer, responses=DealRegistrationSerializer, filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def withdraw(self, request, pk=None):
        """The partner takes back a registration that waits for a decision."""
        registration = self.get_object()
        services.registration_withdraw(registration=registration, by=request.user)
        return self._answer(registration)


ROUTES: list = [("deal-registrations", DealRegistrationViewSet, "deal-registration")]
