"""REST API of the partners app: the incentives part. ROUTES: (prefix, viewset, basename).

- `incentive-plans`: centrally maintained plans; staff read all, a partner the plans open to
  its tier; administrators and channel managers write (through the services).
- `scorecards`: list only, computed; one row per partner the user may see (a partner: itself
  and the partners below that share with it), for a period and currency.
"""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response

from allyance.catalog.models import Product
from allyance.core.api_views import ServiceWritesMixin
from allyance.core.visibility import visible_to
from allyance.partners.models import IncentivePlan, Tier
from allyance.partners.selectors import scorecards as selectors
from allyance.partners.selectors.incentives import incentive_plans_visible_to
from allyance.partners.services import incentives as services


class IncentivePlansPermission(BasePermission):
    """Staff and partners read (the gate decides which plans); managers of incentives write."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        if request.method in SAFE_METHODS:
            return user.is_internal or user.is_partner
        return services.may_manage_incentives(user)


class IncentivePlanSerializer(serializers.ModelSerializer):
    tiers = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=Tier.objects.all()
    )

    class Meta:
        model = IncentivePlan
        fields = [
            "id",
            "name",
            "kind",
            "currency",
            "rebate_percent",
            "threshold",
            "product",
            "spiff_amount",
            "tiers",
            "valid_from",
            "valid_until",
            "active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            fields["product"].queryset = visible_to(request.user, Product.objects.all())
        return fields


class IncentivePlanViewSet(ServiceWritesMixin, viewsets.ModelViewSet):
    """Incentive plans: rebates on revenue above a threshold and spiffs per unit of a product."""

    queryset = IncentivePlan.objects.none()  # for the schema; rows come from get_queryset
    serializer_class = IncentivePlanSerializer
    permission_classes = [IncentivePlansPermission]
    filterset_fields = ["kind", "currency", "active"]
    ordering_fields = ["name", "updated_at"]
    pagination_class = None

    def get_queryset(self):
        return incentive_plans_visible_to(self.request.user).order_by("name", "id")

    def _save(self, serializer, instance=None) -> None:
        data = dict(serializer.validated_data)
        tiers = data.pop("tiers", None)
        instance = instance or IncentivePlan()
        for name, value in data.items():
            setattr(instance, name, value)
        serializer.instance = services.incentive_plan_save(
            plan=instance, by=self.request.user, tiers=tiers
        )

    def delete_service(self, instance, *, by):
        services.incentive_plan_delete(plan=instance, by=by)


# --- Scorecards ------------------------------------------------------------------------------


class MayReadScorecards(BasePermission):
    """Staff and partner users; which partners they see is the selector's business."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and (user.is_internal or user.is_partner))


class ScorecardQuerySerializer(serializers.Serializer):
    period = serializers.ChoiceField(choices=selectors.PERIOD_KINDS, required=False)
    date = serializers.DateField(required=False, help_text="A day in the month/quarter/year.")
    start = serializers.DateField(required=False, help_text="First day of a custom period.")
    end = serializers.DateField(required=False, help_text="Last day of a custom period.")
    currency = serializers.ChoiceField(choices=settings.CURRENCIES, required=False)
    include_below = serializers.BooleanField(
        required=False, default=False, help_text="Roll the partners below into each card."
    )

    def validate(self, attrs):
        if attrs.get("period") == "custom" and not (attrs.get("start") and attrs.get("end")):
            raise ValidationError({"start": ["A custom period needs a start and an end."]})
        return attrs


class Money(serializers.DecimalField):
    def __init__(self, **kwargs):
        super().__init__(max_digits=20, decimal_places=2, **kwargs)


class Rate(serializers.DecimalField):
    def __init__(self, **kwargs):
        super().__init__(max_digits=8, decimal_places=1, allow_null=True, **kwargs)


class ScorePeriodSerializer(serializers.Serializer):
    kind = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    label = serializers.CharField()


class IncentiveResultSerializer(serializers.Serializer):
    plan = serializers.IntegerField(source="plan.pk")
    plan_name = serializers.CharField(source="plan.name")
    kind = serializers.CharField()
    currency = serializers.CharField()
    organisation = serializers.IntegerField(source="organisation_id")
    revenue = Money()
    units = serializers.DecimalField(max_digits=16, decimal_places=3)
    amount = Money()


class ScorecardSerializer(serializers.Serializer):
    organisation = serializers.IntegerField(source="organisation.pk")
    organisation_name = serializers.CharField(source="organisation.name")
    tier = serializers.CharField(source="organisation.tier.name", default=None, allow_null=True)
    organisation_ids = serializers.ListField(child=serializers.IntegerField())
    currency = serializers.CharField()
    pipeline = Money()
    pipeline_count = serializers.IntegerField()
    revenue = Money()
    orders = serializers.IntegerField()
    won = serializers.IntegerField()
    lost = serializers.IntegerField()
    won_amount = Money()
    win_rate = Rate(help_text="Percent: won ÷ (won + lost), deals closed in the period.")
    leads_offered = serializers.IntegerField()
    leads_accepted = serializers.IntegerField()
    leads_rejected = serializers.IntegerField()
    leads_expired = serializers.IntegerField()
    acceptance_rate = Rate(help_text="Percent: accepted ÷ (accepted + rejected + expired).")
    median_hours_to_accept = Rate()
    registrations_submitted = serializers.IntegerField()
    registrations_approved = serializers.IntegerField()
    registrations_rejected = serializers.IntegerField()
    certifications_held = serializers.IntegerField()
    certification_names = serializers.ListField(child=serializers.CharField())
    mdf_allocated = Money()
    mdf_approved = Money()
    mdf_paid = Money()
    mdf_remaining = Money()
    mdf_revenue = Money()
    mdf_roi = serializers.DecimalField(
        max_digits=14, decimal_places=2, allow_null=True, help_text="Won revenue ÷ MDF paid."
    )
    customer_satisfaction = Rate(help_text="Not available yet: always null.")
    incentives_earned = Money(help_text="In the scorecard's currency.")
    incentives = IncentiveResultSerializer(many=True)


class ScorecardListSerializer(serializers.Serializer):
    period = ScorePeriodSerializer()
    currency = serializers.CharField()
    include_below = serializers.BooleanField()
    results = ScorecardSerializer(many=True)


class ScorecardViewSet(viewsets.ViewSet):
    """Scorecards of the partners the user may see, for a month, quarter, year or range."""

    permission_classes = [MayReadScorecards]
    pagination_class = None
    filter_backends: list = []

    @extend_schema(
        parameters=[ScorecardQuerySerializer],
        responses=ScorecardListSerializer,
        operation_id="scorecards_list",
    )
    def list(self, request):
        query = ScorecardQuerySerializer(data=request.query_params)
        if not query.is_valid():
            raise ValidationError(query.errors)
        data = query.validated_data
        period = selectors.score_period(
            data.get("period", "quarter"),
            data.get("date"),
            start=data.get("start"),
            end=data.get("end"),
        )
        currency = data.get("currency") or settings.DEFAULT_CURRENCY
        cards = selectors.scorecards_compare(
            user=request.user,
            start=period.start,
            end=period.end,
            include_below=data["include_below"],
            currency=currency,
            kind=period.kind,
        )
        body = {
            "period": period,
            "currency": currency,
            "include_below": data["include_below"],
            "results": cards,
        }
        return Response(ScorecardListSerializer(body).data)


ROUTES: list = [
    ("incentive-plans", IncentivePlanViewSet, "incentive-plan"),
    ("scorecards", ScorecardViewSet, "scorecard"),
]
