"""REST API for quotes: create and edit through the services, the status actions, and lines."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.response import Response

from allyance.catalog.models import OptionValue, Product
from allyance.core.api import BusinessRecordSerializer, GatedModelViewSet
from allyance.core.visibility import visible_to
from allyance.orders.api.lines import LINE_ITEM_FIELDS
from allyance.orders.filters.quotes import QuoteFilter, QuoteLineFilter
from allyance.orders.models import Quote, QuoteLine
from allyance.orders.selectors.quotes import quote_lines_visible_to, quotes_visible_to
from allyance.orders.services import quotes as services


def _drf_error(exc: DjangoValidationError) -> DRFValidationError:
    if hasattr(exc, "error_dict"):
        return DRFValidationError(exc.message_dict)
    return DRFValidationError({"non_field_errors": exc.messages})


class QuoteLineAdjustmentSerializer(serializers.Serializer):
    label = serializers.CharField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=4)


class QuoteLineSerializer(serializers.ModelSerializer):
    """A line as stored; create one with a product and options (priced by the configurator)
    or with a description and unit price (free text)."""

    option_values = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        write_only=True,
        help_text="Ids of the product's option values chosen for this line.",
    )
    adjustments = QuoteLineAdjustmentSerializer(many=True, read_only=True)
    version = serializers.IntegerField(
        required=False,
        write_only=True,
        min_value=1,
        max_value=2**31 - 1,
        help_text="The quote's version the change is based on (409 when stale).",
    )

    class Meta:
        model = QuoteLine
        fields = [
            "id",
            "quote",
            "position",
            "product",
            "option_values",
            "description",
            "quantity",
            "unit",
            "list_price",
            "unit_price",
            "discount_percent",
            "tax_rate",
            "configuration",
            "adjustments",
            "subtotal",
            "discount_amount",
            "tax_amount",
            "total",
            "version",
        ]
        read_only_fields = [
            "position",
            "unit",
            "list_price",
            "configuration",
            "subtotal",
            "discount_amount",
            "tax_amount",
            "total",
        ]
        extra_kwargs = {
            "unit_price": {"required": False},
            "tax_rate": {"required": False},
            "description": {"required": False},
            "product": {"required": False},
        }

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is not None:
            fields["quote"].queryset = quotes_visible_to(user)
            fields["product"].queryset = visible_to(user, Product.objects.filter(active=True))
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            # A line stays on its quote and product; its price follows the quantity.
            for name in ("quote", "product", "unit_price", "tax_rate"):
                fields[name].read_only = True
        return fields


class QuoteReadLineSerializer(serializers.ModelSerializer):
    adjustments = QuoteLineAdjustmentSerializer(many=True, read_only=True)

    class Meta:
        model = QuoteLine
        fields = ["id", *LINE_ITEM_FIELDS]
        read_only_fields = fields


class QuoteSerializer(BusinessRecordSerializer):
    lines = QuoteReadLineSerializer(many=True, read_only=True)
    needs_approval = serializers.SerializerMethodField()
    next_revision = serializers.SerializerMethodField()

    class Meta:
        model = Quote
        fields = [
            "id",
            "number",
            "revision",
            "previous",
            "next_revision",
            "title",
            "account",
            "contact",
            "opportunity",
            "price_list",
            "currency",
            "discount_percent",
            "valid_until",
            "terms",
            "notes",
            "status",
            "needs_approval",
            "approval_requested_at",
            "approved_by",
            "approved_at",
            "approval_comment",
            "sent_at",
            "decided_at",
            "rejection_reason",
            "subtotal",
            "discount_total",
            "tax_total",
            "total",
            "lines",
            "owner",
            "organisation",
            "custom_fields",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "number",
            "revision",
            "previous",
            "status",
            "approval_requested_at",
            "approved_by",
            "approved_at",
            "approval_comment",
            "sent_at",
            "decided_at",
            "rejection_reason",
            "subtotal",
            "discount_total",
            "tax_total",
            "total",
        ]
        extra_kwargs = {
            "account": {"required": True, "allow_null": False},
            "price_list": {"required": False},
            "currency": {"required": False},
            "valid_until": {"required": False},
        }

    def get_needs_approval(self, quote: Quote) -> bool:
        # One settings read per response, and the prefetched lines: no query per quote.
        if "approval_threshold" not in self.context:
            self.context["approval_threshold"] = services.approval_threshold()
        return services.needs_approval(quote, threshold=self.context["approval_threshold"])

    def get_next_revision(self, quote: Quote) -> int | None:
        following = getattr(quote, "next_revision", None) if quote.pk else None
        return following.pk if following is not None else None


class QuoteDecisionSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    version = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)


class QuoteAcceptSerializer(serializers.Serializer):
    mark_won = serializers.BooleanField(
        required=False, default=False, help_text="Also move the opportunity to its won stage."
    )
    version = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)


class QuoteRejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=255)
    version = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)


class QuoteVersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)


class QuoteViewSet(GatedModelViewSet):
    """Quotes the user may see; the status changes only through the actions."""

    serializer_class = QuoteSerializer
    filterset_class = QuoteFilter
    ordering_fields = ["number", "total", "valid_until", "created_at", "updated_at"]
    selector = staticmethod(quotes_visible_to)
    save_service = staticmethod(services.quote_save)
    service_arg = "quote"

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.select_related("next_revision").prefetch_related("lines")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("version", None)
        try:
            quote = services.quote_create(
                by=self.request.user,
                account=data.pop("account"),
                opportunity=data.pop("opportunity", None),
                contact=data.pop("contact", None),
                price_list=data.pop("price_list", None),
                currency=data.pop("currency", None),
                title=data.pop("title", ""),
                discount_percent=data.pop("discount_percent", None),
                valid_until=data.pop("valid_until", None),
                terms=data.pop("terms", None) or None,
                notes=data.pop("notes", ""),
                owner=data.pop("owner", None),
                custom_fields=data.pop("custom_fields", None),
            )
        except DjangoValidationError as exc:
            raise _drf_error(exc) from exc
        serializer.instance = quote

    def perform_update(self, serializer):
        try:
            super().perform_update(serializer)
        except DjangoValidationError as exc:
            raise _drf_error(exc) from exc

    def perform_destroy(self, instance):
        if instance.status != Quote.Status.DRAFT or instance.revision > 1:
            raise DRFValidationError(
                {"status": ["Only a first draft can be deleted; revise or reject a quote."]}
            )
        super().perform_destroy(instance)

    def _run(self, request, serializer_class, call) -> Response:
        quote = self.get_object()
        payload = serializer_class(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        try:
            quote = call(quote, data, data.pop("version", None))
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        except DjangoValidationError as exc:
            raise _drf_error(exc) from exc
        quote = self.get_queryset().get(pk=quote.pk)
        return Response(QuoteSerializer(quote, context=self.get_serializer_context()).data)

    @extend_schema(request=QuoteVersionSerializer, responses=QuoteSerializer, filters=False)
    @action(detail=True, methods=["post"], filter_backends=[], url_path="request-approval")
    def request_approval(self, request, pk=None):
        """Ask a sales manager to approve a discount above the threshold."""
        return self._run(
            request,
            QuoteVersionSerializer,
            lambda q, d, v: services.quote_request_approval(
                quote=q, by=request.user, expected_version=v
            ),
        )

    @extend_schema(request=QuoteDecisionSerializer, responses=QuoteSerializer, filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def approve(self, request, pk=None):
        """Approve a pending quote's discount (a sales manager or an administrator)."""
        return self._run(
            request,
            QuoteDecisionSerializer,
            lambda q, d, v: services.quote_approve(
                quote=q, by=request.user, comment=d.get("comment", ""), expected_version=v
            ),
        )

    @extend_schema(request=QuoteDecisionSerializer, responses=QuoteSerializer, filters=False)
    @action(detail=True, methods=["post"], filter_backends=[], url_path="decline-approval")
    def decline_approval(self, request, pk=None):
        """Decline a pending quote's discount; `comment` says why and is required."""
        return self._run(
            request,
            QuoteDecisionSerializer,
            lambda q, d, v: services.quote_decline_approval(
                quote=q, by=request.user, comment=d.get("comment", ""), expected_version=v
            ),
        )

    @extend_schema(request=QuoteVersionSerializer, responses=QuoteSerializer, filters=False)
    @action(detail=True, methods=["post"], filter_backends=[], url_path="mark-sent")
    def mark_sent(self, request, pk=None):
        """Record that the quote went to the customer."""
        return self._run(
            request,
            QuoteVersionSerializer,
            lambda q, d, v: services.quote_mark_sent(quote=q, by=request.user, expected_version=v),
        )

    @extend_schema(request=QuoteAcceptSerializer, responses=QuoteSerializer, filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def accept(self, request, pk=None):
        """The customer accepted: the deal takes the net total; `mark_won` also wins it."""
        return self._run(
            request,
            QuoteAcceptSerializer,
            lambda q, d, v: services.quote_accept(
                quote=q, by=request.user, mark_won=d.get("mark_won", False), expected_version=v
            ),
        )

    @extend_schema(request=QuoteRejectSerializer, responses=QuoteSerializer, filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def reject(self, request, pk=None):
        """The customer rejected the quote; `reason` is required."""
        return self._run(
            request,
            QuoteRejectSerializer,
            lambda q, d, v: services.quote_reject(
                quote=q, by=request.user, reason=d["reason"], expected_version=v
            ),
        )

    @extend_schema(request=QuoteVersionSerializer, responses=QuoteSerializer, filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def revise(self, request, pk=None):
        """Make a new draft revision (same number, lines copied); this one is superseded."""
        return self._run(
            request,
            QuoteVersionSerializer,
            lambda q, d, v: services.quote_revise(quote=q, by=request.user, expected_version=v),
        )


class QuoteLineViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Lines of the quotes the user may see; each change goes through the quote's rules."""

    serializer_class = QuoteLineSerializer
    filterset_class = QuoteLineFilter
    ordering_fields = ["position", "id"]
    ordering = ["id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return QuoteLine.objects.none()
        return quote_lines_visible_to(self.request.user)

    def _call(self, function, **kwargs):
        try:
            return function(by=self.request.user, **kwargs)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        except DjangoValidationError as exc:
            raise _drf_error(exc) from exc

    def perform_create(self, serializer):
        data = serializer.validated_data
        option_ids = data.get("option_values", [])
        product = data.get("product")
        if option_ids:
            known = set(OptionValue.objects.filter(pk__in=option_ids).values_list("pk", flat=True))
            unknown = sorted(set(option_ids) - known)
            if unknown:
                raise DRFValidationError({"option_values": [f"Unknown option values: {unknown}."]})
        serializer.instance = self._call(
            services.quote_line_add,
            quote=data["quote"],
            quantity=data.get("quantity", 1),
            product=product,
            option_value_ids=option_ids,
            discount_percent=data.get("discount_percent", 0),
            description=data.get("description", ""),
            unit_price=data.get("unit_price"),
            tax_rate=data.get("tax_rate"),
            expected_version=data.get("version"),
        )

    def perform_update(self, serializer):
        data = serializer.validated_data
        serializer.instance = self._call(
            services.quote_line_update,
            line=serializer.instance,
            quantity=data.get("quantity"),
            discount_percent=data.get("discount_percent"),
            description=data.get("description"),
            expected_version=data.get("version"),
        )

    def perform_destroy(self, instance):
        self._call(services.quote_line_remove, line=instance)
