"""REST API of the partners app: the ordering part. ROUTES: (prefix, viewset, basename).

`POST /partner-orders/` places a partner's order in the portal; the order is then read,
followed and (by the company) confirmed through `/orders/`.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from allyance.catalog.models import OptionValue, Product
from allyance.core.visibility import visible_to
from allyance.customers.models import Account
from allyance.orders.api.fulfilment import OrderSerializer
from allyance.orders.models import Order
from allyance.orders.selectors.fulfilment import orders_visible_to
from allyance.partners.services.ordering import partner_order_place


class IsPartnerUser(BasePermission):
    message = "Only partner users place orders in the partner portal."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_partner)


class PartnerOrderLineSerializer(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3, min_value=Decimal("0.001"))
    option_values = serializers.PrimaryKeyRelatedField(
        queryset=OptionValue.objects.all(), many=True, required=False
    )

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            products = visible_to(request.user, Product.objects.all())
            fields["product"].queryset = products
            fields["option_values"].child_relation.queryset = OptionValue.objects.filter(
                option__product__in=products.values("pk")
            )
        return fields


class PartnerOrderSerializer(serializers.Serializer):
    lines = PartnerOrderLineSerializer(many=True, allow_empty=False)
    end_customer = serializers.PrimaryKeyRelatedField(
        queryset=Account.objects.all(), required=False, allow_null=True
    )
    customer_reference = serializers.CharField(max_length=100, required=False, allow_blank=True)
    requested_delivery = serializers.DateField(required=False, allow_null=True)
    shipping_address = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    # The default makes an order without `custom_fields` still check the required ones.
    custom_fields = serializers.JSONField(required=False, default=dict)

    def validate_custom_fields(self, value):
        from allyance.core.custom_fields import clean_custom_values

        if not isinstance(value, dict):
            raise serializers.ValidationError("Expected an object of custom field values.")
        return clean_custom_values(Order, value)

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            fields["end_customer"].queryset = visible_to(request.user, Account.objects.all())
        return fields


class PartnerOrderViewSet(mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Partner users place orders at their tier's prices, for stock or for an end customer."""

    serializer_class = PartnerOrderSerializer
    permission_classes = [IsPartnerUser]
    queryset = Order.objects.none()  # create only; orders are read through /orders/

    @extend_schema(request=PartnerOrderSerializer, responses={201: OrderSerializer})
    def create(self, request, *args, **kwargs):
        """Place an order: `lines` of product, quantity (and option values); it is submitted
        for the company to confirm. The answer is the order as `/orders/` shows it."""
        body = PartnerOrderSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            order = partner_order_place(
                by=request.user,
                lines=[
                    {
                        "product": line["product"],
                        "quantity": line["quantity"],
                        "option_value_ids": [value.pk for value in line.get("option_values", [])],
                    }
                    for line in data["lines"]
                ],
                end_customer=data.get("end_customer"),
                customer_reference=data.get("customer_reference", ""),
                requested_delivery=data.get("requested_delivery"),
                shipping_address=data.get("shipping_address", ""),
                notes=data.get("notes", ""),
                custom_fields=data["custom_fields"],
            )
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        order = (
            orders_visible_to(request.user)
            .prefetch_related("lines", "shipments__lines")
            .get(pk=order.pk)
        )
        return Response(
            OrderSerializer(order, context=self.get_serializer_context()).data, status=201
        )


ROUTES = [("partner-orders", PartnerOrderViewSet, "partner-order")]
