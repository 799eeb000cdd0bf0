"""REST API of the configurator: POST a product, list, options and quantity; get the price."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from allyance.catalog.models import PriceList, Product
from allyance.catalog.selectors.pricing import price_lists_visible_to, products_priceable_by
from allyance.catalog.services.configurator import configure_line

INT_MAX = 2**31 - 1


class ConfigureRequestSerializer(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.none())
    price_list = serializers.PrimaryKeyRelatedField(queryset=PriceList.objects.none())
    quantity = serializers.DecimalField(
        max_digits=12, decimal_places=3, min_value=Decimal("0.001"), default=Decimal("1")
    )
    option_values = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=INT_MAX),
        max_length=200,
        required=False,
        default=list,
    )
    on = serializers.DateField(
        required=False, help_text=_("The date the price is for; today when omitted.")
    )

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            # Another partner's list or a product the user may not read is an unknown id.
            fields["product"].queryset = products_priceable_by(request.user)
            fields["price_list"].queryset = price_lists_visible_to(request.user)
        return fields


class AdjustmentSerializer(serializers.Serializer):
    label = serializers.CharField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=4)


class ConfiguredLineSerializer(serializers.Serializer):
    product = serializers.IntegerField(source="product.pk")
    sku = serializers.CharField(source="product.sku")
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3)
    description = serializers.CharField()
    unit = serializers.CharField()
    currency = serializers.CharField()
    list_price = serializers.DecimalField(max_digits=18, decimal_places=4)
    adjustments = AdjustmentSerializer(many=True)
    unit_price = serializers.DecimalField(max_digits=18, decimal_places=4)
    line_total = serializers.DecimalField(max_digits=20, decimal_places=2)
    tax_rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    tax_amount = serializers.DecimalField(max_digits=20, decimal_places=2)
    total = serializers.DecimalField(max_digits=20, decimal_places=2)
    option_values = serializers.ListField(
        child=serializers.IntegerField(), source="configuration.options"
    )
    labels = serializers.ListField(child=serializers.CharField(), source="configuration.labels")


class ConfiguratorViewSet(viewsets.GenericViewSet):
    """Price a configuration the way quotes and orders will (POST only; nothing is stored)."""

    permission_classes = [IsAuthenticated]
    serializer_class = ConfigureRequestSerializer
    pagination_class = None
    filter_backends = []

    def get_queryset(self):
        return Product.objects.none()

    @extend_schema(request=ConfigureRequestSerializer, responses=ConfiguredLineSerializer)
    def create(self, request):
        """Validate the options against the rules and return the explained price, or 400."""
        serializer = ConfigureRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        line = configure_line(
            data["product"],
            price_list=data["price_list"],
            quantity=data["quantity"],
            option_value_ids=data["option_values"],
            on=data.get("on"),
        )
        return Response(ConfiguredLineSerializer(line).data)
