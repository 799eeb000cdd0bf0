"""REST API for invoices, payments received and the receivables ageing report.

Invoices are made from orders (POST with `order` and optional per-line quantities) and
cancelled through the `cancel` action; they are never edited. Payments are created with
their allocations, allocated further with `allocate`, and deleted (which reverses them).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from allyance.core.api import BusinessRecordSerializer, GatedModelViewSet
from allyance.core.visibility import visible_to
from allyance.customers.models import Account
from allyance.orders.api.lines import LINE_ITEM_FIELDS
from allyance.orders.filters.billing import InvoiceFilter, PaymentFilter
from allyance.orders.models import Invoice, InvoiceLine, Order, Payment, PaymentAllocation
from allyance.orders.selectors.billing import (
    invoices_visible_to,
    payments_visible_to,
    receivables_ageing,
)
from allyance.orders.services import invoices as invoice_services
from allyance.orders.services import payments as payment_services
from allyance.sales.models.money import default_currency

MAX_ID = 2**31 - 1


def _allocation_errors(exc: DjangoValidationError) -> ValidationError:
    """Service errors keyed `allocation_<id>` become `allocations: {<id>: [...]}`."""
    if not hasattr(exc, "error_dict"):
        return ValidationError({"detail": exc.messages})
    errors: dict = {}
    for key, messages in exc.message_dict.items():
        if key.startswith("allocation_"):
            errors.setdefault("allocations", {})[key.removeprefix("allocation_")] = messages
        elif key.startswith("line_"):
            errors.setdefault("lines", {})[key.removeprefix("line_")] = messages
        else:
            errors[key] = messages
    return ValidationError(errors)


class Money(serializers.DecimalField):
    def __init__(self, **kwargs):
        super().__init__(max_digits=16, decimal_places=2, **kwargs)


class InvoiceLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = InvoiceLine
        fields = ["id", "order_line", *LINE_ITEM_FIELDS]
        read_only_fields = fields


class InvoiceAllocationSerializer(serializers.ModelSerializer):
    received_on = serializers.DateField(source="payment.received_on", read_only=True)

    class Meta:
        model = PaymentAllocation
        fields = ["id", "payment", "received_on", "amount"]
        read_only_fields = fields


class InvoiceSerializer(BusinessRecordSerializer):
    lines = InvoiceLineSerializer(many=True, read_only=True)
    allocations = InvoiceAllocationSerializer(many=True, read_only=True)
    balance = Money(read_only=True)

    class Meta:
        model = Invoice
        fields = [
            "id",
            "number",
            "order",
            "account",
            "contact",
            "currency",
            "status",
            "issue_date",
            "payment_terms_days",
            "due_date",
            "discount_percent",
            "subtotal",
            "discount_total",
            "tax_total",
            "total",
            "amount_paid",
            "balance",
            "terms",
            "notes",
            "lines",
            "allocations",
            "owner",
            "organisation",
            "custom_fields",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class InvoiceLineInputSerializer(serializers.Serializer):
    """With an order: `order_line` and `quantity`. Without: a free-text line."""

    order_line = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3, min_value=0)
    description = serializers.CharField(required=False, allow_blank=True, max_length=500)
    unit_price = serializers.DecimalField(max_digits=18, decimal_places=4, required=False)
    tax_rate = serializers.DecimalField(
        max_digits=5, decimal_places=2, required=False, min_value=0, max_value=100
    )
    discount_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, required=False, min_value=0, max_value=100
    )


class InvoiceCreateSerializer(serializers.Serializer):
    """Invoice an order (`order`, and `lines` to invoice only part of it), or, without an
    order, an `account` with free-text `lines`."""

    order = serializers.PrimaryKeyRelatedField(queryset=Order.objects.all(), required=False)
    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects.all(), required=False)
    currency = serializers.ChoiceField(choices=(), required=False)
    lines = InvoiceLineInputSerializer(many=True, required=False)
    issue_date = serializers.DateField(required=False)
    payment_terms_days = serializers.IntegerField(required=False, min_value=0, max_value=3650)
    discount_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, required=False, min_value=0, max_value=100
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    # The default makes a create without `custom_fields` still check the required ones.
    custom_fields = serializers.JSONField(required=False, default=dict)

    def validate_custom_fields(self, value):
        from allyance.core.custom_fields import clean_custom_values

        if not isinstance(value, dict):
            raise ValidationError("Expected an object of custom field values.")
        return clean_custom_values(Invoice, value)

    def get_fields(self):
        from allyance.sales.models.money import currency_choices

        fields = super().get_fields()
        fields["currency"].choices = currency_choices()
        request = self.context.get("request")
        if request is not None:
            fields["order"].queryset = visible_to(request.user, Order.objects.all())
            fields["account"].queryset = visible_to(request.user, Account.objects.all())
        return fields

    def validate(self, attrs):
        if "order" not in attrs and "account" not in attrs:
            raise ValidationError({"order": [_("Give the order to invoice, or an account.")]})
        if "order" in attrs:
            missing = [
                i for i, line in enumerate(attrs.get("lines", [])) if "order_line" not in line
            ]
            if missing:
                raise ValidationError(
                    {"lines": {str(i): [_("Name the order line.")] for i in missing}}
                )
        return attrs


class InvoiceCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)
    version = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)


def _quantities(data: dict) -> dict | None:
    """Order line id → quantity to invoice; None (everything left) when no lines are given."""
    if "lines" not in data:
        return None
    quantities: dict = {}
    for line in data["lines"]:
        quantities[line["order_line"]] = quantities.get(line["order_line"], 0) + line["quantity"]
    return quantities


class InvoiceViewSet(GatedModelViewSet):
    """Invoices the user may see; created from an order, cancelled by action, never edited."""

    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilter
    ordering_fields = ["issue_date", "due_date", "total", "updated_at"]
    selector = staticmethod(invoices_visible_to)
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return super().get_queryset().prefetch_related("lines", "allocations__payment")

    @extend_schema(request=InvoiceCreateSerializer, responses={201: InvoiceSerializer})
    def create(self, request, *args, **kwargs):
        """Invoice an order (without `lines`, everything not yet invoiced), or, without
        `order`, issue an invoice to `account` with free-text `lines`."""
        query = InvoiceCreateSerializer(data=request.data, context=self.get_serializer_context())
        query.is_valid(raise_exception=True)
        data = query.validated_data
        try:
            if "order" in data:
                invoice = invoice_services.invoice_from_order(
                    data["order"],
                    by=request.user,
                    quantities=_quantities(data),
                    issue_date=data.get("issue_date"),
                    payment_terms_days=data.get("payment_terms_days"),
                    custom_fields=data["custom_fields"],
                )
            else:
                invoice = invoice_services.invoice_create(
                    by=request.user,
                    account=data["account"],
                    currency=data.get("currency") or default_currency(),
                    lines=[dict(line) for line in data.get("lines", [])],
                    issue_date=data.get("issue_date"),
                    payment_terms_days=data.get("payment_terms_days"),
                    discount_percent=data.get("discount_percent", 0),
                    notes=data.get("notes", ""),
                    custom_fields=data["custom_fields"],
                )
        except DjangoValidationError as exc:
            raise _allocation_errors(exc) from exc
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        invoice = self.get_queryset().get(pk=invoice.pk)
        return Response(
            InvoiceSerializer(invoice, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=InvoiceCancelSerializer, responses=InvoiceSerializer, filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def cancel(self, request, pk=None):
        """Cancel an invoice nothing is paid on; `reason` says why."""
        invoice = self.get_object()
        body = InvoiceCancelSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            invoice = invoice_services.invoice_cancel(
                invoice,
                by=request.user,
                reason=body.validated_data["reason"],
                expected_version=body.validated_data.get("version"),
            )
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        invoice = self.get_queryset().get(pk=invoice.pk)
        return Response(InvoiceSerializer(invoice, context=self.get_serializer_context()).data)


class PaymentAllocationWriteSerializer(serializers.Serializer):
    invoice = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    amount = Money(min_value=0)


class PaymentAllocationReadSerializer(serializers.ModelSerializer):
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)

    class Meta:
        model = PaymentAllocation
        fields = ["id", "invoice", "invoice_number", "amount"]
        read_only_fields = fields


class PaymentSerializer(BusinessRecordSerializer):
    allocations = PaymentAllocationWriteSerializer(many=True, required=False, write_only=True)
    allocated = PaymentAllocationReadSerializer(many=True, read_only=True, source="allocations")
    unallocated = serializers.SerializerMethodField()

    class Meta:
        model = Payment
        fields = [
            "id",
            "account",
            "received_on",
            "amount",
            "currency",
            "method",
            "reference",
            "notes",
            "allocations",
            "allocated",
            "unallocated",
            "owner",
            "organisation",
            "custom_fields",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["owner"]
        extra_kwargs = {"account": {"required": True, "allow_null": False}}

    def get_unallocated(self, payment: Payment) -> str:
        return f"{payment.unallocated_amount:.2f}"


def _allocation_dict(rows) -> dict[int, object]:
    result: dict[int, object] = {}
    for row in rows or []:
        result[row["invoice"]] = result.get(row["invoice"], 0) + row["amount"]
    return result


class PaymentAllocateSerializer(serializers.Serializer):
    allocations = PaymentAllocationWriteSerializer(many=True)
    version = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)


class PaymentViewSet(GatedModelViewSet):
    """Payments received: create with `allocations`, allocate more later, delete to reverse."""

    serializer_class = PaymentSerializer
    filterset_class = PaymentFilter
    ordering_fields = ["received_on", "amount", "updated_at"]
    selector = staticmethod(payments_visible_to)
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_queryset(self):
        return super().get_queryset().prefetch_related("allocations__invoice")

    def perform_create(self, serializer):
        data = serializer.validated_data
        try:
            payment = payment_services.payment_record(
                by=self.request.user,
                account=data["account"],
                received_on=data["received_on"],
                amount=data["amount"],
                currency=data.get("currency") or Payment._meta.get_field("currency").default(),
                method=data.get("method", Payment.Method.BANK_TRANSFER),
                reference=data.get("reference", ""),
                notes=data.get("notes", ""),
                allocations=_allocation_dict(data.get("allocations")),
                custom_fields=data.get("custom_fields", {}),
            )
        except DjangoValidationError as exc:
            raise _allocation_errors(exc) from exc
        serializer.instance = self.get_queryset().get(pk=payment.pk)

    def perform_destroy(self, instance):
        payment_services.payment_delete(instance, by=self.request.user)

    @extend_schema(request=PaymentAllocateSerializer, responses=PaymentSerializer, filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def allocate(self, request, pk=None):
        """Allocate what is left of the payment to more of the account's open invoices."""
        payment = self.get_object()
        body = PaymentAllocateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            payment_services.payment_allocate(
                payment,
                by=request.user,
                allocations=_allocation_dict(body.validated_data["allocations"]),
                expected_version=body.validated_data.get("version"),
            )
        except DjangoValidationError as exc:
            raise _allocation_errors(exc) from exc
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        payment = self.get_queryset().get(pk=payment.pk)
        return Response(PaymentSerializer(payment, context=self.get_serializer_context()).data)


class AgeingQuerySerializer(serializers.Serializer):
    as_of = serializers.DateField(required=False)
    account = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    currency = serializers.CharField(required=False, max_length=3)


class AgeingRowSerializer(serializers.Serializer):
    account = serializers.IntegerField(allow_null=True, source="account_id")
    account_name = serializers.CharField()
    currency = serializers.CharField()
    not_due = Money()
    days_0_30 = Money()
    days_31_60 = Money()
    days_61_90 = Money()
    days_90_plus = Money()
    total = Money()


class AgeingTotalSerializer(serializers.Serializer):
    currency = serializers.CharField()
    not_due = Money()
    days_0_30 = Money()
    days_31_60 = Money()
    days_61_90 = Money()
    days_90_plus = Money()
    total = Money()


class AgeingSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    results = AgeingRowSerializer(many=True, source="rows")
    totals = AgeingTotalSerializer(many=True)


class ReceivablesAgeingViewSet(viewsets.ViewSet):
    """What each account owes by days past due (not yet due, 0–30, 31–60, 61–90, 90+), per
    currency, as of a date (today by default); payments after that date are not counted."""

    permission_classes = [IsAuthenticated]
    pagination_class = None
    filter_backends: list = []

    @extend_schema(
        parameters=[AgeingQuerySerializer],
        responses=AgeingSerializer,
        operation_id="reports_receivables_ageing",
    )
    def list(self, request):
        query = AgeingQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        account = None
        if "account" in data:
            account = visible_to(request.user, Account.objects.filter(pk=data["account"])).first()
            if account is None:
                raise ValidationError({"account": [_("No such account.")]})
        ageing = receivables_ageing(
            request.user,
            as_of=data.get("as_of"),
            account=account,
            currency=data.get("currency"),
        )
        return Response(AgeingSerializer(ageing).data)
