"""REST API for the sales reports: forecast, funnel, win rate and sales cycle.

Read-only, list-only endpoints under `/api/v1/reports/`. Every number comes from
`sales.selectors.reports`, which starts from the visibility gate. Each answer's `results`
holds the rows the matrix test compares between partners (by owner, or by stage).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from allyance.sales.models import Pipeline
from allyance.sales.selectors import reports

MAX_ID = 2**31 - 1


class MayReadReports(BasePermission):
    """Staff and partner users; portal customers have no sales reports."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and (user.is_internal or user.is_partner))


class PeriodQuerySerializer(serializers.Serializer):
    period = serializers.ChoiceField(choices=["month", "quarter"], required=False)
    date = serializers.DateField(required=False)


class FunnelQuerySerializer(PeriodQuerySerializer):
    pipeline = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)


def _period(data: dict, *, optional: bool = False) -> reports.Period | None:
    if optional and "period" not in data and "date" not in data:
        return None
    return reports.period_of(data.get("period", "quarter"), data.get("date"))


def _query(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.query_params)
    if not serializer.is_valid():
        raise ValidationError(serializer.errors)
    return serializer.validated_data


class PeriodSerializer(serializers.Serializer):
    kind = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField(source="last_day")
    label = serializers.CharField()


class Money(serializers.DecimalField):
    def __init__(self, **kwargs):
        super().__init__(max_digits=20, decimal_places=2, **kwargs)


class Percent(serializers.DecimalField):
    def __init__(self, **kwargs):
        super().__init__(max_digits=6, decimal_places=1, allow_null=True, **kwargs)


class ForecastRowSerializer(serializers.Serializer):
    category = serializers.CharField()
    currency = serializers.CharField()
    count = serializers.IntegerField()
    amount = Money()
    weighted_amount = Money()


class ForecastOwnerRowSerializer(ForecastRowSerializer):
    owner = serializers.IntegerField(allow_null=True)
    owner_name = serializers.CharField()


class ForecastTeamRowSerializer(ForecastRowSerializer):
    team = serializers.IntegerField(allow_null=True)
    team_name = serializers.CharField()


class ForecastSerializer(serializers.Serializer):
    period = PeriodSerializer()
    currencies = serializers.ListField(child=serializers.CharField())
    totals = ForecastRowSerializer(many=True)
    results = ForecastOwnerRowSerializer(many=True, source="by_owner")
    by_team = ForecastTeamRowSerializer(many=True)


class CurrencyAmountSerializer(serializers.Serializer):
    currency = serializers.CharField()
    amount = Money()


class FunnelStageSerializer(serializers.Serializer):
    pipeline = serializers.IntegerField()
    pipeline_name = serializers.CharField()
    stage = serializers.IntegerField()
    stage_name = serializers.CharField()
    outcome = serializers.CharField()
    count = serializers.IntegerField()
    amounts = CurrencyAmountSerializer(many=True)
    conversion = Percent(help_text="Percent of the previous stage's deals that reached this one.")


class FunnelSerializer(serializers.Serializer):
    results = FunnelStageSerializer(many=True)


class WinRateRowSerializer(serializers.Serializer):
    won = serializers.IntegerField()
    lost = serializers.IntegerField()
    win_rate = Percent()
    average_cycle_days = Percent()


class WinRateOwnerRowSerializer(WinRateRowSerializer):
    owner = serializers.IntegerField(allow_null=True)
    owner_name = serializers.CharField()


class WinRateSourceRowSerializer(WinRateRowSerializer):
    source = serializers.CharField(allow_blank=True)
    source_name = serializers.CharField(allow_blank=True)


class WinRateSerializer(serializers.Serializer):
    period = PeriodSerializer()
    total = WinRateRowSerializer(allow_null=True)
    results = WinRateOwnerRowSerializer(many=True, source="by_owner")
    by_source = WinRateSourceRowSerializer(many=True)


class ReportViewSet(viewsets.ViewSet):
    permission_classes = [MayReadReports]
    pagination_class = None
    filter_backends: list = []


class ForecastViewSet(ReportViewSet):
    """Open and won deals closing in the period, by forecast category, owner and team."""

    @extend_schema(
        parameters=[PeriodQuerySerializer],
        responses=ForecastSerializer,
        operation_id="reports_forecast",
    )
    def list(self, request):
        period = _period(_query(PeriodQuerySerializer, request))
        return Response(ForecastSerializer(reports.forecast(request.user, period)).data)


class FunnelViewSet(ReportViewSet):
    """Per pipeline: deals that reached each stage, their amounts, and stage-to-stage
    conversion. With `period` or `date`, only deals created in that period."""

    @extend_schema(
        parameters=[FunnelQuerySerializer],
        responses=FunnelSerializer,
        operation_id="reports_funnel",
    )
    def list(self, request):
        data = _query(FunnelQuerySerializer, request)
        pipeline = None
        if "pipeline" in data:
            pipeline = Pipeline.objects.filter(pk=data["pipeline"]).first()
            if pipeline is None:
                raise ValidationError({"pipeline": [_("No such pipeline.")]})
        result = reports.funnel(
            request.user, pipeline=pipeline, period=_period(data, optional=True)
        )
        rows = [
            {"pipeline": p["pipeline"], "pipeline_name": p["pipeline_name"], **stage}
            for p in result
            for stage in p["stages"]
        ]
        return Response(FunnelSerializer({"results": rows}).data)


class WinRateViewSet(ReportViewSet):
    """Win rate and average sales cycle (days created → closed) by owner and by source, for
    deals closed in the period."""

    @extend_schema(
        parameters=[PeriodQuerySerializer],
        responses=WinRateSerializer,
        operation_id="reports_win_rate",
    )
    def list(self, request):
        period = _period(_query(PeriodQuerySerializer, request))
        return Response(WinRateSerializer(reports.win_rate(request.user, period)).data)
