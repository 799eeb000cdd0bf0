"""REST API of marketing development funds: allocations, requests, claims and the ledger.

Allocations are read by the partner they fund and written by its channel manager or an
administrator; `pass-down` hands part of a distributor's funds to a reseller directly below it
(the distributor's partner admin, or the company). Requests and claims are created by partner users (creating one submits it)
and move on through actions (approve, reject, cancel, pay); they are never edited. The
ledger is a read-only list, scoped like everything else by the visibility gate.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response

from allyance.core.api import BusinessRecordSerializer, GatedModelViewSet
from allyance.core.models import Organisation
from allyance.core.visibility import visible_to
from allyance.partners.forms.mdf import MdfAllocationFilter, MdfClaimFilter, MdfRequestFilter
from allyance.partners.models import MdfAllocation, MdfClaim, MdfClaimLine, MdfRequest
from allyance.partners.selectors.mdf import (
    allocations_visible_to,
    claims_visible_to,
    ledger_totals,
    mdf_ledger,
    mdf_partners_for,
    requests_visible_to,
)
from allyance.partners.services import mdf as services
from allyance.sales.models import Lead

MAX_ID = 2**31 - 1


class Money(serializers.DecimalField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)


class MdfManagersWrite(BasePermission):
    """Everyone reads what the gate shows; channel managers and administrators write."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        return request.method in SAFE_METHODS or services.may_manage_mdf(user)


def _lines_errors(exc: DjangoValidationError) -> ValidationError:
    """Service errors keyed `line_<n>` become `lines: {<n>: [...]}`."""
    if not hasattr(exc, "error_dict"):
        return ValidationError({"detail": exc.messages})
    errors: dict = {}
    for key, messages in exc.message_dict.items():
        if key.startswith("line_"):
            errors.setdefault("lines", {})[key.removeprefix("line_")] = messages
        else:
            errors[key] = messages
    return ValidationError(errors)


# --- Allocations ---------------------------------------------------------------------------


class MdfAllocationSerializer(BusinessRecordSerializer):
    organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.filter(kind=Organisation.Kind.PARTNER)
    )
    remaining = serializers.SerializerMethodField()
    passed_down = serializers.SerializerMethodField()

    class Meta:
        model = MdfAllocation
        fields = [
            "id",
            "organisation",
            "period_start",
            "period_end",
            "amount",
            "currency",
            "source",
            "parent_allocation",
            "note",
            "passed_down",
            "remaining",
            "owner",
            "custom_fields",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["source", "parent_allocation", "owner"]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            fields["organisation"].queryset = mdf_partners_for(request.user)
        return fields

    def get_remaining(self, allocation: MdfAllocation) -> str:
        """What new requests may still ask for: allocated − passed down − approved − pending
        requests."""
        return f"{services.allocation_remaining(allocation):.2f}"

    def get_passed_down(self, allocation: MdfAllocation) -> str:
        """What the partner passed down to the resellers below it from these funds."""
        return f"{services.allocation_passed_down(allocation):.2f}"


class PassDownSerializer(serializers.Serializer):
    reseller = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    amount = Money(min_value=0)
    note = serializers.CharField(required=False, allow_blank=True, max_length=255)


class MdfAllocationViewSet(GatedModelViewSet):
    """A partner's funds per period. Partners read their own; channel managers and
    administrators set them by hand (or from the tier share, on the web page)."""

    serializer_class = MdfAllocationSerializer
    filterset_class = MdfAllocationFilter
    ordering_fields = ["period_start", "amount", "updated_at"]
    selector = staticmethod(allocations_visible_to)
    save_service = staticmethod(services.allocation_save)
    service_arg = "allocation"
    permission_classes = [MdfManagersWrite]

    def perform_destroy(self, instance):
        services.allocation_delete(allocation=instance, by=self.request.user)

    def get_permissions(self):
        if self.action == "pass_down":  # the distributor's own admins too: the service decides
            return [IsAuthenticated()]
        return super().get_permissions()

    @extend_schema(
        request=PassDownSerializer, responses={201: MdfAllocationSerializer}, filters=False
    )
    @action(detail=True, methods=["post"], url_path="pass-down", filter_backends=[])
    def pass_down(self, request, pk=None):
        """Pass `amount` of these funds down to `reseller` (a partner directly below): it gets
        funds for the same period and currency; never more than is left."""
        allocation = self.get_object()
        body = PassDownSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        reseller = services.resellers_below(allocation.organisation_id).filter(pk=data["reseller"])
        child = services.allocation_pass_down(
            allocation=allocation,
            reseller=reseller.first(),
            amount=data["amount"],
            note=data.get("note", ""),
            by=request.user,
        )
        return Response(
            MdfAllocationSerializer(child, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )


# --- Requests ------------------------------------------------------------------------------


class MdfRequestSerializer(BusinessRecordSerializer):
    currency = serializers.CharField(source="allocation.currency", read_only=True)
    leads = serializers.SerializerMethodField()

    class Meta:
        model = MdfRequest
        fields = [
            "id",
            "organisation",
            "allocation",
            "activity_name",
            "activity_type",
            "plan",
            "starts_on",
            "ends_on",
            "amount",
            "currency",
            "expected_leads",
            "status",
            "approved_amount",
            "decided_at",
            "decided_by",
            "decision_reason",
            "leads",
            "owner",
            "custom_fields",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "status",
            "approved_amount",
            "decided_at",
            "decided_by",
            "decision_reason",
            "owner",
        ]
        extra_kwargs = {"amount": {"min_value": 0}, "expected_leads": {"max_value": MAX_ID}}

    def get_leads(self, request: MdfRequest) -> list[int]:
        """The attributed leads the reader may see."""
        user = self.context["request"].user
        return sorted(visible_to(user, request.leads.all()).values_list("pk", flat=True))


class DecisionSerializer(serializers.Serializer):
    amount = Money(required=False, min_value=0, help_text="Omit to approve in full.")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=255)
    version = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=255)
    version = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)


class LeadsSerializer(serializers.Serializer):
    leads = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), max_length=1000
    )


class MdfRequestViewSet(GatedModelViewSet):
    """Fund requests. POST submits one (partner users, from their allocation); approve, reject
    (channel manager, administrators) and cancel (the partner) are actions."""

    serializer_class = MdfRequestSerializer
    filterset_class = MdfRequestFilter
    ordering_fields = ["created_at", "amount", "updated_at"]
    selector = staticmethod(requests_visible_to)
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return super().get_queryset().prefetch_related("leads")

    def perform_create(self, serializer):
        data = serializer.validated_data
        request = services.request_submit(
            allocation=data["allocation"],
            activity_name=data["activity_name"],
            activity_type=data.get("activity_type", MdfRequest.ActivityType.EVENT),
            plan=data["plan"],
            starts_on=data.get("starts_on"),
            ends_on=data.get("ends_on"),
            amount=data["amount"],
            expected_leads=data.get("expected_leads", 0),
            custom_fields=data.get("custom_fields", {}),
            by=self.request.user,
        )
        serializer.instance = self.get_queryset().get(pk=request.pk)

    def _answer(self, request_record: MdfRequest) -> Response:
        record = self.get_queryset().get(pk=request_record.pk)
        return Response(self.get_serializer(record).data)

    @extend_schema(request=DecisionSerializer, responses=MdfRequestSerializer, filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def approve(self, request, pk=None):
        """Approve in full, or `amount` (less than asked); never above what is left."""
        record = self.get_object()
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(
            services.request_approve(
                request=record,
                amount=body.validated_data.get("amount"),
                reason=body.validated_data.get("reason", ""),
                by=request.user,
                expected_version=body.validated_data.get("version"),
            )
        )

    @extend_schema(request=RejectSerializer, responses=MdfRequestSerializer, filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def reject(self, request, pk=None):
        """Reject with a `reason` the partner reads."""
        record = self.get_object()
        body = RejectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(
            services.request_reject(
                request=record,
                reason=body.validated_data["reason"],
                by=request.user,
                expected_version=body.validated_data.get("version"),
            )
        )

    @extend_schema(request=VersionSerializer, responses=MdfRequestSerializer, filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def cancel(self, request, pk=None):
        """The partner withdraws a request not yet decided."""
        record = self.get_object()
        body = VersionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(
            services.request_cancel(
                request=record,
                by=request.user,
                expected_version=body.validated_data.get("version"),
            )
        )

    @extend_schema(request=LeadsSerializer, responses=MdfRequestSerializer, filters=False)
    @action(detail=True, methods=["post"], url_path="attribute-leads", filter_backends=[])
    def attribute_leads(self, request, pk=None):
        """The leads the activity brought (of those you can see): the list replaces them."""
        record = self.get_object()
        body = LeadsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ids = set(body.validated_data["leads"])
        leads = list(visible_to(request.user, Lead.objects.filter(pk__in=ids)))
        unknown = ids - {lead.pk for lead in leads}
        if unknown:
            names = ", ".join(map(str, sorted(unknown)))
            raise ValidationError({"leads": [_("No such lead: %(ids)s") % {"ids": names}]})
        return self._answer(
            services.request_attribute_leads(request=record, leads=leads, by=request.user)
        )


# --- Claims --------------------------------------------------------------------------------


class MdfClaimLineSerializer(serializers.ModelSerializer):
    amount = Money(min_value=0)

    class Meta:
        model = MdfClaimLine
        fields = ["position", "description", "amount"]
        read_only_fields = ["position"]


class MdfClaimSerializer(BusinessRecordSerializer):
    lines = MdfClaimLineSerializer(many=True)
    currency = serializers.CharField(source="request.allocation.currency", read_only=True)

    class Meta:
        model = MdfClaim
        fields = [
            "id",
            "organisation",
            "request",
            "invoice_number",
            "invoice_date",
            "lines",
            "amount",
            "currency",
            "status",
            "approved_amount",
            "decided_at",
            "decided_by",
            "decision_reason",
            "paid_amount",
            "paid_at",
            "payment_reference",
            "owner",
            "custom_fields",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "amount",
            "status",
            "approved_amount",
            "decided_at",
            "decided_by",
            "decision_reason",
            "paid_amount",
            "paid_at",
            "payment_reference",
            "owner",
        ]


class PaySerializer(serializers.Serializer):
    paid_on = serializers.DateField()
    reference = serializers.CharField(required=False, allow_blank=True, max_length=80)
    version = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)


class MdfClaimViewSet(GatedModelViewSet):
    """Claims with their expense invoice. POST submits one with its `lines` (they make the
    amount); proof is attached through the attachments endpoint; approve (in full or part),
    reject and pay are actions of the channel manager or an administrator."""

    serializer_class = MdfClaimSerializer
    filterset_class = MdfClaimFilter
    ordering_fields = ["created_at", "invoice_date", "amount", "updated_at"]
    selector = staticmethod(claims_visible_to)
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return super().get_queryset().prefetch_related("lines")

    def perform_create(self, serializer):
        data = serializer.validated_data
        try:
            claim = services.claim_submit(
                request=data["request"],
                invoice_number=data["invoice_number"],
                invoice_date=data["invoice_date"],
                lines=[(line["description"], line["amount"]) for line in data["lines"]],
                custom_fields=data.get("custom_fields", {}),
                by=self.request.user,
            )
        except DjangoValidationError as exc:
            raise _lines_errors(exc) from exc
        serializer.instance = self.get_queryset().get(pk=claim.pk)

    def _answer(self, claim: MdfClaim) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=claim.pk)).data)

    @extend_schema(request=DecisionSerializer, responses=MdfClaimSerializer, filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def approve(self, request, pk=None):
        """Approve in full, or `amount` (part of what was claimed); the claim needs proof."""
        claim = self.get_object()
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(
            services.claim_approve(
                claim=claim,
                amount=body.validated_data.get("amount"),
                reason=body.validated_data.get("reason", ""),
                by=request.user,
                expected_version=body.validated_data.get("version"),
            )
        )

    @extend_schema(request=RejectSerializer, responses=MdfClaimSerializer, filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def reject(self, request, pk=None):
        """Reject with a `reason` the partner reads."""
        claim = self.get_object()
        body = RejectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(
            services.claim_reject(
                claim=claim,
                reason=body.validated_data["reason"],
                by=request.user,
                expected_version=body.validated_data.get("version"),
            )
        )

    @extend_schema(request=PaySerializer, responses=MdfClaimSerializer, filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def pay(self, request, pk=None):
        """Record that the approved amount was paid on `paid_on`."""
        claim = self.get_object()
        body = PaySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(
            services.claim_pay(
                claim=claim,
                paid_on=body.validated_data["paid_on"],
                reference=body.validated_data.get("reference", ""),
                by=request.user,
                expected_version=body.validated_data.get("version"),
            )
        )


# --- Ledger --------------------------------------------------------------------------------


class LedgerQuerySerializer(serializers.Serializer):
    period_start = serializers.DateField(required=False)
    period_end = serializers.DateField(required=False)
    organisation = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)


class LedgerAmountsSerializer(serializers.Serializer):
    currency = serializers.CharField()
    allocated = Money()
    passed_down = Money()
    requested = Money()
    approved = Money()
    claimed = Money()
    claims_approved = Money()
    paid = Money()
    remaining = Money()
    leads = serializers.IntegerField()
    revenue = Money(max_digits=16)
    roi = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)


class LedgerRowSerializer(LedgerAmountsSerializer):
    organisation_id = serializers.IntegerField()
    organisation_name = serializers.CharField(source="organisation.name")
    allocation_id = serializers.IntegerField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()


class LedgerSerializer(serializers.Serializer):
    results = LedgerRowSerializer(many=True)
    totals = LedgerAmountsSerializer(many=True)


class MdfLedgerViewSet(viewsets.ViewSet):
    """The MDF ledger: per partner and allocation period, allocated, requested (pending),
    approved, claimed, claims approved, paid and remaining, with leads, won revenue and ROI;
    totals per currency. Periods overlapping `period_start`–`period_end` are listed."""

    permission_classes = [IsAuthenticated]
    pagination_class = None
    filter_backends: list = []

    @extend_schema(
        parameters=[LedgerQuerySerializer], responses=LedgerSerializer, operation_id="mdf_ledger"
    )
    def list(self, request):
        query = LedgerQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        organisation = None
        if "organisation" in data:
            organisation = mdf_partners_for(request.user).filter(pk=data["organisation"]).first()
            if organisation is None:
                raise ValidationError({"organisation": [_("No such partner.")]})
        rows = mdf_ledger(
            user=request.user,
            period_start=data.get("period_start"),
            period_end=data.get("period_end"),
            organisation=organisation,
        )
        return Response(
            LedgerSerializer({"results": rows, "totals": ledger_totals(rows)}).data,
            status=status.HTTP_200_OK,
        )


ROUTES = [
    ("mdf-allocations", MdfAllocationViewSet, "mdf-allocation"),
    ("mdf-requests", MdfRequestViewSet, "mdf-request"),
    ("mdf-claims", MdfClaimViewSet, "mdf-claim"),
    ("mdf-ledger", MdfLedgerViewSet, "mdf-ledger"),
]
