"""REST API for commission plans (staff read, administrators write, partners nothing) and
for computed commission statements (`?user=&plan=&period_start=`, read only, scoped)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response

from allyance.core.models import STAFF_ROLES, User
from allyance.sales.models import CommissionPlan, CommissionTier
from allyance.sales.selectors.commissions import (
    commission_plans_visible_to,
    commission_reps_visible_to,
    commission_statement_for,
    plans_of,
)
from allyance.sales.services.commissions import (
    CommissionStatement,
    commission_plan_delete,
    commission_plan_save,
)


class StaffReadAdminWrite(BasePermission):
    """Company staff read; administrators change; partners and portal customers get nothing."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated or not user.is_internal:
            return False
        return request.method in SAFE_METHODS or user.is_admin


class CommissionTierSerializer(serializers.ModelSerializer):
    class Meta:
        model = CommissionTier
        fields = ["from_attainment", "rate"]


class CommissionPlanSerializer(serializers.ModelSerializer):
    tiers = CommissionTierSerializer(many=True, required=False)
    users = serializers.PrimaryKeyRelatedField(
        many=True,
        required=False,
        queryset=User.objects.filter(is_active=True, role__in=STAFF_ROLES),
    )

    class Meta:
        model = CommissionPlan
        fields = [
            "id",
            "name",
            "currency",
            "is_active",
            "period",
            "rate_kind",
            "flat_rate",
            "tier_mode",
            "tiers",
            "users",
            "description",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class CommissionPlanViewSet(viewsets.ModelViewSet):
    """Plans with their tiers and reps; writes go through `commission_plan_save`."""

    queryset = CommissionPlan.objects.none()  # for the schema; rows come from get_queryset
    serializer_class = CommissionPlanSerializer
    permission_classes = [StaffReadAdminWrite]
    filterset_fields = ["is_active", "period", "currency"]
    ordering_fields = ["name", "updated_at"]
    pagination_class = None

    def get_queryset(self):
        return commission_plans_visible_to(self.request.user).prefetch_related("users")

    def _save(self, serializer, instance=None):
        data = dict(serializer.validated_data)
        tiers = data.pop("tiers", None)
        users = data.pop("users", None)
        instance = instance or CommissionPlan()
        for name, value in data.items():
            setattr(instance, name, value)
        serializer.instance = commission_plan_save(
            plan=instance,
            by=self.request.user,
            tiers=[dict(tier) for tier in tiers] if tiers is not None else None,
            users=users,
        )

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    def perform_destroy(self, instance):
        commission_plan_delete(plan=instance, by=self.request.user)


class StatementQuerySerializer(serializers.Serializer):
    user = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    plan = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    period_start = serializers.DateField()


class StatementLineSerializer(serializers.Serializer):
    opportunity = serializers.IntegerField(source="deal.pk")
    name = serializers.CharField(source="deal.name")
    closed_on = serializers.DateField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    rate = serializers.DecimalField(max_digits=7, decimal_places=2)
    commission = serializers.DecimalField(max_digits=14, decimal_places=2)


class ExcludedDealSerializer(serializers.Serializer):
    opportunity = serializers.IntegerField(source="deal.pk")
    name = serializers.CharField(source="deal.name")
    closed_on = serializers.DateField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    currency = serializers.CharField()
    reason = serializers.CharField()


class CommissionStatementSerializer(serializers.Serializer):
    user = serializers.IntegerField(source="user.pk")
    plan = serializers.IntegerField(source="plan.pk")
    currency = serializers.CharField(source="plan.currency")
    period_start = serializers.DateField()
    period_end = serializers.DateField(source="last_day")
    target_amount = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    attainment = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    total_amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    total_commission = serializers.DecimalField(max_digits=16, decimal_places=2)
    lines = StatementLineSerializer(many=True)
    excluded = ExcludedDealSerializer(many=True)
    notes = serializers.ListField(child=serializers.CharField())


class CommissionStatementViewSet(viewsets.ViewSet):
    """Computed statements: one per plan of the rep (or only `plan`), for the period."""

    permission_classes = [StaffReadAdminWrite]
    serializer_class = CommissionStatementSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("user", int, description="The rep; yourself when left out."),
            OpenApiParameter(
                "plan", int, description="One plan; every active plan of the rep when left out."
            ),
            OpenApiParameter(
                "period_start",
                str,
                required=True,
                description="First day of the month or quarter (YYYY-MM-DD).",
            ),
        ],
        responses=CommissionStatementSerializer(many=True),
    )
    def list(self, request):
        query = StatementQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        user_id = query.validated_data.get("user")
        user = (
            commission_reps_visible_to(request.user).filter(pk=user_id).first()
            if user_id
            else request.user
        )
        if user is None:
            raise serializers.ValidationError({"user": [_("Select a valid choice.")]})
        plans = plans_of(user)
        plan_id = query.validated_data.get("plan")
        if plan_id:
            plans = commission_plans_visible_to(request.user).filter(pk=plan_id, users=user)
            if not plans.exists():
                raise serializers.ValidationError({"plan": [_("Select a valid choice.")]})
        statements: list[CommissionStatement] = []
        try:
            for plan in plans:
                statements.append(
                    commission_statement_for(
                        viewer=request.user,
                        user=user,
                        plan=plan,
                        period_start=query.validated_data["period_start"],
                    )
                )
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return Response(CommissionStatementSerializer(statements, many=True).data)
