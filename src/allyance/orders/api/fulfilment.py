"""REST API for orders, their lines and shipments; every write goes through the services."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from allyance.catalog.models import OptionValue, Product
from allyance.core.api import BusinessRecordSerializer, GatedModelViewSet
from allyance.core.visibility import visible_to
from allyance.orders.api.lines import LINE_ITEM_FIELDS
from allyance.orders.filters.fulfilment import OrderFilter, OrderLineFilter, ShipmentFilter
from allyance.orders.models import Order, OrderLine, Quote, Shipment, ShipmentLine
from allyance.orders.selectors.fulfilment import (
    order_lines_visible_to,
    orders_visible_to,
    shipments_visible_to,
)
from allyance.orders.services import fulfilment as services

LINE_FIELDS = ["id", "order", *LINE_ITEM_FIELDS]


def _denied(exc: DjangoPermissionDenied) -> PermissionDenied:
    return PermissionDenied(str(exc))


class OrderLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderLine
        fields = LINE_FIELDS
        read_only_fields = LINE_FIELDS


class ShipmentLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = ShipmentLine
        fields = ["order_line", "quantity"]


class ShipmentSerializer(serializers.ModelSerializer):
    lines = ShipmentLineSerializer(many=True, read_only=True)

    class Meta:
        model = Shipment
        fields = [
            "id",
            "order",
            "shipped_on",
            "carrier",
            "tracking_number",
            "delivered_on",
            "notes",
            "lines",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class OrderSerializer(BusinessRecordSerializer):
    lines = OrderLineSerializer(many=True, read_only=True)
    shipments = ShipmentSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "status",
            "account",
            "contact",
            "opportunity",
            "quote",
            "price_list",
            "currency",
            "discount_percent",
            "order_date",
            "requested_delivery",
            "customer_reference",
            "shipping_address",
            "terms",
            "notes",
            "cancel_reason",
            "delivered_at",
            "closed_at",
            "subtotal",
            "discount_total",
            "tax_total",
            "total",
            "lines",
            "shipments",
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
            "quote",
            "cancel_reason",
            "delivered_at",
            "closed_at",
            "subtotal",
            "discount_total",
            "tax_total",
            "total",
        ]
        extra_kwargs = {
            "account": {"required": True, "allow_null": False},
            "order_date": {"required": False},
        }


class OrderFromQuoteSerializer(serializers.Serializer):
    quote = serializers.PrimaryKeyRelatedField(queryset=Quote.objects.all())

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            fields["quote"].queryset = visible_to(request.user, Quote.objects.all())
        return fields


class OrderCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=255)
    version = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)


class OrderDeliveredSerializer(serializers.Serializer):
    on = serializers.DateField(required=False)
    version = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)


class OrderVersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)


class OrderViewSet(GatedModelViewSet):
    """Orders the user may see; the status moves only through the actions and shipments."""

    serializer_class = OrderSerializer
    filterset_class = OrderFilter
    ordering_fields = ["order_date", "total", "created_at", "updated_at"]
    selector = staticmethod(orders_visible_to)
    save_service = staticmethod(services.order_save)
    service_arg = "order"

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.prefetch_related("lines", "shipments__lines")

    def perform_destroy(self, instance):
        try:
            services.order_delete(order=instance, by=self.request.user)
        except DjangoPermissionDenied as exc:
            raise _denied(exc) from exc

    def _answer(self, order: Order) -> Response:
        order = self.get_queryset().get(pk=order.pk)
        return Response(OrderSerializer(order, context=self.get_serializer_context()).data)

    @extend_schema(request=OrderFromQuoteSerializer, responses={201: OrderSerializer})
    @action(detail=False, methods=["post"], url_path="from-quote", filter_backends=[])
    def from_quote(self, request):
        """Make the order of an accepted quote (one live order per quote)."""
        body = OrderFromQuoteSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        try:
            order = services.order_from_quote(body.validated_data["quote"], by=request.user)
        except DjangoPermissionDenied as exc:
            raise _denied(exc) from exc
        response = self._answer(order)
        response.status_code = 201
        return response

    @extend_schema(request=OrderCancelSerializer, responses=OrderSerializer, filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def cancel(self, request, pk=None):
        """Cancel an order that has shipped nothing; `reason` is required."""
        order = self.get_object()
        body = OrderCancelSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            order = services.order_cancel(
                order,
                by=request.user,
                reason=body.validated_data["reason"],
                expected_version=body.validated_data.get("version"),
            )
        except DjangoPermissionDenied as exc:
            raise _denied(exc) from exc
        return self._answer(order)

    @extend_schema(request=OrderDeliveredSerializer, responses=OrderSerializer, filters=False)
    @action(detail=True, methods=["post"], url_path="mark-delivered", filter_backends=[])
    def mark_delivered(self, request, pk=None):
        """A shipped order has arrived (its open shipments arrive `on`, today by default)."""
        order = self.get_object()
        body = OrderDeliveredSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            order = services.order_mark_delivered(
                order,
                by=request.user,
                on=body.validated_data.get("on"),
                expected_version=body.validated_data.get("version"),
            )
        except DjangoPermissionDenied as exc:
            raise _denied(exc) from exc
        return self._answer(order)

    @extend_schema(request=OrderVersionSerializer, responses=OrderSerializer, filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def close(self, request, pk=None):
        """Close a delivered order."""
        order = self.get_object()
        body = OrderVersionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            order = services.order_close(
                order, by=request.user, expected_version=body.validated_data.get("version")
            )
        except DjangoPermissionDenied as exc:
            raise _denied(exc) from exc
        return self._answer(order)


class OrderLineCreateSerializer(serializers.Serializer):
    order = serializers.PrimaryKeyRelatedField(queryset=Order.objects.all())
    product = serializers.PrimaryKeyRelatedField(
        queryset=Product.objects.all(), required=False, allow_null=True
    )
    option_values = serializers.PrimaryKeyRelatedField(
        queryset=OptionValue.objects.all(), many=True, required=False
    )
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3, min_value=Decimal("0.001"))
    discount_percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        required=False,
    )
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    unit_price = serializers.DecimalField(
        max_digits=18, decimal_places=4, min_value=Decimal("0"), required=False, allow_null=True
    )
    tax_rate = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        required=False,
        allow_null=True,
    )

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            fields["order"].queryset = orders_visible_to(request.user)
            products = visible_to(request.user, Product.objects.all())
            fields["product"].queryset = products
            fields["option_values"].child_relation.queryset = OptionValue.objects.filter(
                option__product__in=products.values("pk")
            )
        return fields


class OrderLineViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Lines of the orders the user may see; added and removed while the order is confirmed."""

    serializer_class = OrderLineSerializer
    filterset_class = OrderLineFilter
    ordering_fields = ["position", "id"]
    ordering = ["position", "id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return OrderLine.objects.none()
        return order_lines_visible_to(self.request.user)

    @extend_schema(request=OrderLineCreateSerializer, responses={201: OrderLineSerializer})
    def create(self, request, *args, **kwargs):
        """Add a product line (configured on the order's price list) or a free-text line."""
        body = OrderLineCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        order = data.pop("order")
        values = data.pop("option_values", [])
        try:
            line = services.order_line_add(
                order,
                by=request.user,
                product=data.get("product"),
                option_value_ids=[value.pk for value in values],
                quantity=data["quantity"],
                discount_percent=data.get("discount_percent") or Decimal("0"),
                description=data.get("description", ""),
                unit_price=data.get("unit_price"),
                tax_rate=data.get("tax_rate"),
            )
        except DjangoPermissionDenied as exc:
            raise _denied(exc) from exc
        return Response(OrderLineSerializer(line).data, status=201)

    def perform_destroy(self, instance):
        try:
            services.order_line_remove(instance.order, instance, by=self.request.user)
        except DjangoPermissionDenied as exc:
            raise _denied(exc) from exc


class ShipmentLineInputSerializer(serializers.Serializer):
    order_line = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3)


class ShipmentCreateSerializer(serializers.Serializer):
    order = serializers.PrimaryKeyRelatedField(queryset=Order.objects.all())
    shipped_on = serializers.DateField(required=False)
    carrier = serializers.CharField(max_length=120, required=False, allow_blank=True)
    tracking_number = serializers.CharField(max_length=120, required=False, allow_blank=True)
    delivered_on = serializers.DateField(required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    lines = ShipmentLineInputSerializer(many=True, allow_empty=False)

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            fields["order"].queryset = orders_visible_to(request.user)
        return fields

    def validate_lines(self, value):
        seen = set()
        for row in value:
            if row["order_line"] in seen:
                raise serializers.ValidationError("Each order line at most once.")
            seen.add(row["order_line"])
        return value


class ShipmentDeliveredSerializer(serializers.Serializer):
    on = serializers.DateField(required=False)


class ShipmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Shipments of the orders the user may see: recorded with lines, marked delivered, deleted."""

    serializer_class = ShipmentSerializer
    filterset_class = ShipmentFilter
    ordering_fields = ["shipped_on", "created_at", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Shipment.objects.none()
        return shipments_visible_to(self.request.user)

    @extend_schema(request=ShipmentCreateSerializer, responses={201: ShipmentSerializer})
    def create(self, request, *args, **kwargs):
        """Record a shipment: quantities per order line, never more than remain to ship."""
        body = ShipmentCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            shipment = services.shipment_record(
                data["order"],
                by=request.user,
                shipped_on=data.get("shipped_on"),
                carrier=data.get("carrier", ""),
                tracking_number=data.get("tracking_number", ""),
                delivered_on=data.get("delivered_on"),
                notes=data.get("notes", ""),
                lines={row["order_line"]: row["quantity"] for row in data["lines"]},
            )
        except DjangoPermissionDenied as exc:
            raise _denied(exc) from exc
        shipment = self.get_queryset().get(pk=shipment.pk)
        return Response(ShipmentSerializer(shipment).data, status=201)

    def perform_destroy(self, instance):
        try:
            services.shipment_delete(instance, by=self.request.user)
        except DjangoPermissionDenied as exc:
            raise _denied(exc) from exc

    @extend_schema(request=ShipmentDeliveredSerializer, responses=ShipmentSerializer, filters=False)
    @action(detail=True, methods=["post"], url_path="mark-delivered", filter_backends=[])
    def mark_delivered(self, request, pk=None):
        """The shipment arrived `on` (today by default)."""
        shipment = self.get_object()
        body = ShipmentDeliveredSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.shipment_mark_delivered(
                shipment, by=request.user, on=body.validated_data.get("on")
            )
        except DjangoPermissionDenied as exc:
            raise _denied(exc) from exc
        shipment = self.get_queryset().get(pk=shipment.pk)
        return Response(ShipmentSerializer(shipment).data)
