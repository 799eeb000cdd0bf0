"""REST API for price lists and their prices (with volume breaks); administrators write."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import transaction
from rest_framework import serializers, viewsets
from rest_framework.exceptions import PermissionDenied

from allyance.catalog.filters.pricing import PriceListFilter, PriceListItemFilter
from allyance.catalog.models import PriceList, PriceListItem, VolumeBreak
from allyance.catalog.selectors.pricing import (
    price_list_items_visible_to,
    price_lists_visible_to,
    products_priceable_by,
)
from allyance.catalog.services import pricing as services
from allyance.core.api import BusinessRecordSerializer, CursorPagination, GatedModelViewSet
from allyance.core.models import Organisation
from allyance.core.permissions import AdminWritesOnly


class PriceListSerializer(BusinessRecordSerializer):
    partners = serializers.PrimaryKeyRelatedField(
        many=True,
        required=False,
        queryset=Organisation.objects.filter(kind=Organisation.Kind.PARTNER),
        help_text="Partner organisations that buy at this list (shown to staff only).",
    )

    class Meta:
        model = PriceList
        fields = [
            "id",
            "name",
            "currency",
            "valid_from",
            "valid_until",
            "is_default",
            "discount_percent",
            "active",
            "description",
            "accounts",
            "partners",
            "owner",
            "organisation",
            "custom_fields",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["owner"]
        extra_kwargs = {"accounts": {"required": False}}
        # One default per currency: making a list the default clears the old one (service).
        validators = []

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None and not request.user.is_internal:
            # Who else buys at a list is the company's business.
            data["accounts"], data["partners"] = [], []
        return data


class VolumeBreakSerializer(serializers.ModelSerializer):
    min_quantity = serializers.DecimalField(
        max_digits=12, decimal_places=3, min_value=Decimal("0.001"), coerce_to_string=True
    )
    price = serializers.DecimalField(
        max_digits=18, decimal_places=4, min_value=Decimal("0"), coerce_to_string=True
    )

    class Meta:
        model = VolumeBreak
        fields = ["min_quantity", "price"]


class PriceListItemSerializer(serializers.ModelSerializer):
    breaks = VolumeBreakSerializer(many=True, required=False)
    price = serializers.DecimalField(max_digits=18, decimal_places=4, min_value=Decimal("0"))

    class Meta:
        model = PriceListItem
        fields = ["id", "price_list", "product", "price", "breaks"]
        validators = []  # one price per list and product: the service says so by field

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            fields["price_list"].queryset = price_lists_visible_to(request.user)
            fields["product"].queryset = products_priceable_by(request.user)
        return fields


class PriceListViewSet(GatedModelViewSet):
    """Price lists: staff read all, partners the active lists assigned to them; admins write."""

    serializer_class = PriceListSerializer
    filterset_class = PriceListFilter
    permission_classes = [AdminWritesOnly]
    ordering_fields = ["name", "updated_at", "valid_from"]
    selector = staticmethod(price_lists_visible_to)
    save_service = staticmethod(services.price_list_save)
    service_arg = "price_list"

    def _save(self, serializer, instance=None):
        try:
            with transaction.atomic():
                super()._save(serializer, instance)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc

    def perform_destroy(self, instance):
        try:
            services.price_list_delete(price_list=instance, by=self.request.user)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc


class PriceListItemPagination(CursorPagination):
    ordering = ("id",)


class PriceListItemViewSet(viewsets.ModelViewSet):
    """A product's price on a list with its volume breaks; filter by `price_list`, `product`."""

    queryset = PriceListItem.objects.none()  # for the schema; rows come from get_queryset
    serializer_class = PriceListItemSerializer
    filterset_class = PriceListItemFilter
    permission_classes = [AdminWritesOnly]
    pagination_class = PriceListItemPagination
    ordering_fields = ["id", "price"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PriceListItem.objects.none()
        return price_list_items_visible_to(self.request.user)

    def _save(self, serializer, instance=None):
        data = dict(serializer.validated_data)
        breaks = data.pop("breaks", None)
        item = instance or PriceListItem()
        for name, value in data.items():
            setattr(item, name, value)
        pairs = None if breaks is None else [(b["min_quantity"], b["price"]) for b in breaks]
        try:
            serializer.instance = services.price_list_item_save(
                item=item, by=self.request.user, breaks=pairs
            )
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    def perform_destroy(self, instance):
        try:
            services.price_list_item_delete(item=instance, by=self.request.user)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
