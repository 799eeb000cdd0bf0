"""REST API of the partners app: orders handed down the channel. ROUTES: (prefix, viewset,
basename).

`order-handovers`: the hops through the gate (the receiving partner and the partner that
handed the order down, staff by scope), each with its order's number, status and shipping
progress. `POST hand-down/` hands an order to a partner to fulfil (staff: a company order to a
partner; a distributor's partner admin: an order it holds to a reseller directly below it);
`POST {id}/hand-back/` (the holder) and `POST {id}/recall/` (whoever handed it down) end a hop
before anything ships. The order itself is read and fulfilled through `/orders/`.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from allyance.core.models import Organisation
from allyance.orders.models import Order
from allyance.orders.selectors.fulfilment import orders_visible_to
from allyance.partners.api.hops import HidesPreviousOwnerMixin
from allyance.partners.models import OrderHandover
from allyance.partners.selectors.handover import handovers_visible_to, shipping_progress
from allyance.partners.services import handover as services


class OrderProgressSerializer(serializers.Serializer):
    """How the handed-down order goes on, read along the hop (not through the order)."""

    number = serializers.CharField()
    status = serializers.CharField()
    ordered_quantity = serializers.DecimalField(max_digits=14, decimal_places=3)
    shipped_quantity = serializers.DecimalField(max_digits=14, decimal_places=3)
    percent_shipped = serializers.DecimalField(max_digits=5, decimal_places=0, allow_null=True)


class OrderHandoverSerializer(HidesPreviousOwnerMixin, serializers.ModelSerializer):
    from_organisation_field = "from_organisation_id"

    progress = serializers.SerializerMethodField()

    class Meta:
        model = OrderHandover
        fields = [
            "id",
            "order",
            "hop",
            "organisation",
            "from_organisation",
            "owner",
            "previous_owner",
            "handed_at",
            "note",
            "status",
            "reason",
            "ended_at",
            "ended_by",
            "progress",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OrderProgressSerializer)
    def get_progress(self, handover: OrderHandover) -> dict:
        return OrderProgressSerializer(
            {
                "number": handover.order.number,
                "status": handover.order.status,
                "ordered_quantity": getattr(handover, "ordered_quantity", 0),
                "shipped_quantity": getattr(handover, "shipped_quantity", 0),
                "percent_shipped": shipping_progress(handover),
            }
        ).data


class HandDownSerializer(serializers.Serializer):
    order = serializers.PrimaryKeyRelatedField(queryset=Order.objects.none())
    partner = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.none())
    note = serializers.CharField(max_length=services.MAX_NOTE, required=False, allow_blank=True)

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            fields["order"].queryset = orders_visible_to(request.user)
            fields["partner"].queryset = Organisation.objects.filter(
                kind=Organisation.Kind.PARTNER, status=Organisation.Status.ACTIVE
            )
        return fields


class HandoverReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=255)


class OrderHandoverViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Hops of orders handed down the channel, with each order's progress; filter by
    `status`, `organisation` (the partner it was handed to), `from_organisation` or `order`."""

    serializer_class = OrderHandoverSerializer
    filterset_fields = ["status", "organisation", "from_organisation", "order"]
    ordering_fields = ["handed_at", "id"]
    ordering = ["-handed_at", "-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return OrderHandover.objects.none()
        return handovers_visible_to(self.request.user)

    def _answer(self, handover: OrderHandover, status: int = 200) -> Response:
        # The answer shows the hop as the user now sees it (with the order's progress).
        row = self.get_queryset().filter(pk=handover.pk).first() or handover
        return Response(
            OrderHandoverSerializer(row, context=self.get_serializer_context()).data,
            status=status,
        )

    @extend_schema(
        request=HandDownSerializer, responses={201: OrderHandoverSerializer}, filters=False
    )
    @action(detail=False, methods=["post"], url_path="hand-down", filter_backends=[])
    def hand_down(self, request):
        """Hand an order to a partner to fulfil: staff hand a company order to a partner; a
        distributor's partner admin hands an order it holds to a reseller directly below it.
        The order moves to the partner, owned by its administrator."""
        body = HandDownSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            row = services.order_hand_down(
                order=data["order"],
                partner=data["partner"],
                note=data.get("note", ""),
                by=request.user,
            )
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        return self._answer(row, status=201)

    @extend_schema(
        request=HandoverReasonSerializer, responses=OrderHandoverSerializer, filters=False
    )
    @action(detail=True, methods=["post"], url_path="hand-back", filter_backends=[])
    def hand_back(self, request, pk=None):
        """The partner holding the order gives it back, saying why, before it ships anything."""
        handover = self.get_object()
        body = HandoverReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            row = services.order_hand_back(
                handover=handover, reason=body.validated_data["reason"], by=request.user
            )
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        return self._answer(row)

    @extend_schema(
        request=HandoverReasonSerializer, responses=OrderHandoverSerializer, filters=False
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def recall(self, request, pk=None):
        """Whoever handed the order down takes it back, saying why, before anything ships;
        the hops made further down the chain end with it."""
        handover = self.get_object()
        body = HandoverReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            row = services.order_recall(
                handover=handover, reason=body.validated_data["reason"], by=request.user
            )
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        return self._answer(row)


ROUTES = [("order-handovers", OrderHandoverViewSet, "order-handover")]
