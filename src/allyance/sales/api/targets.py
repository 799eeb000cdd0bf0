"""REST API for targets (quotas) with their attainment to date.

Staff read the targets they may see (`targets_visible_to`); administrators and sales
managers write through `services.targets`. Partners and portal customers get 403.
"""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext as _
from rest_framework import serializers, viewsets
from rest_framework.permissions import BasePermission

from allyance.core.filters import GatedFilterSet
from allyance.core.models import STAFF_ROLES, Team, Territory, User
from allyance.sales.models import Target
from allyance.sales.selectors.reports import attainment, targets_visible_to
from allyance.sales.services.targets import target_delete, target_save


class StaffOnly(BasePermission):
    """Targets are company data: staff only."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_internal)


class TargetSerializer(serializers.ModelSerializer):
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True, role__in=STAFF_ROLES),
        required=False,
        allow_null=True,
    )
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True
    )
    territory = serializers.PrimaryKeyRelatedField(
        queryset=Territory.objects.all(), required=False, allow_null=True
    )
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    count = serializers.IntegerField(min_value=0, max_value=2**31 - 1, required=False)
    period_label = serializers.CharField(read_only=True)
    won_amount = serializers.SerializerMethodField()
    won_count = serializers.SerializerMethodField()
    amount_percent = serializers.SerializerMethodField()
    count_percent = serializers.SerializerMethodField()

    class Meta:
        model = Target
        fields = [
            "id",
            "user",
            "team",
            "territory",
            "period",
            "period_start",
            "period_label",
            "amount",
            "currency",
            "count",
            "won_amount",
            "won_count",
            "amount_percent",
            "count_percent",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        # The "exactly one of" rule is checked by the service and reported as a field error.
        validators: list = []

    def _attainment(self, target: Target) -> dict:
        cache = self.context.setdefault("_attainment", {})
        if target.pk not in cache:
            cache[target.pk] = attainment(self.context["request"].user, target)
        return cache[target.pk]

    def get_won_amount(self, target: Target) -> str:
        return str(self._attainment(target)["won_amount"])

    def get_won_count(self, target: Target) -> int:
        return self._attainment(target)["won_count"]

    def get_amount_percent(self, target: Target) -> str | None:
        value = self._attainment(target)["amount_percent"]
        return None if value is None else str(value)

    def get_count_percent(self, target: Target) -> str | None:
        value = self._attainment(target)["count_percent"]
        return None if value is None else str(value)

    def validate(self, attrs):
        instance = self.instance
        whom = [
            name
            for name in ("user", "team", "territory")
            if (attrs[name] if name in attrs else getattr(instance, name, None)) is not None
        ]
        if len(whom) != 1:
            raise serializers.ValidationError(
                {"user": _("Set the target for exactly one user, team or territory.")}
            )
        return attrs


class TargetFilter(GatedFilterSet):
    period_start = django_filters.DateFromToRangeFilter()

    class Meta:
        model = Target
        fields = ["user", "team", "territory", "period", "currency"]


class TargetViewSet(viewsets.ModelViewSet):
    """Targets per user, team or territory and month or quarter, with attainment to date
    (won deals closed in the period that the caller may see)."""

    queryset = Target.objects.none()  # for the schema; rows come from get_queryset
    serializer_class = TargetSerializer
    permission_classes = [StaffOnly]
    filterset_class = TargetFilter
    ordering_fields = ["period_start", "updated_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Target.objects.none()
        return targets_visible_to(self.request.user)

    def _save(self, serializer, instance=None):
        target = instance or Target()
        for name, value in serializer.validated_data.items():
            setattr(target, name, value)
        serializer.instance = target_save(target=target, by=self.request.user)

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    def perform_destroy(self, instance):
        target_delete(target=instance, by=self.request.user)
