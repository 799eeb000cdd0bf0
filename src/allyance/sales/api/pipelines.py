"""REST API for pipelines and their stages: staff read them, administrators change them."""

from __future__ import annotations

from rest_framework import serializers, viewsets

from allyance.core.permissions import AdminWritesOnly
from allyance.sales.filters.opportunities import PipelineFilter, StageAdminFilter
from allyance.sales.models import Pipeline, Stage
from allyance.sales.selectors import opportunities as selectors
from allyance.sales.services import pipelines as services

CHECKLIST_KINDS = ("call", "meeting", "task", "note", "email")


class ChecklistItemSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CHECKLIST_KINDS)
    subject = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class StageSerializer(serializers.ModelSerializer):
    required_fields = serializers.ListField(
        child=serializers.ChoiceField(choices=services.REQUIRABLE_FIELDS),
        required=False,
        max_length=len(services.REQUIRABLE_FIELDS),
    )
    checklist = ChecklistItemSerializer(many=True, required=False, max_length=50)
    playbook = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=50000,
        help_text="HTML; sanitised on save (basic formatting, links and lists are kept).",
    )

    class Meta:
        model = Stage
        fields = [
            "id",
            "pipeline",
            "name",
            "order",
            "probability",
            "forecast_category",
            "outcome",
            "required_fields",
            "checklist",
            "stall_days",
            "playbook",
        ]
        extra_kwargs = {
            "order": {"max_value": 2**31 - 1},
            "stall_days": {"max_value": 36500},
        }


class NestedStageSerializer(StageSerializer):
    class Meta(StageSerializer.Meta):
        fields = [f for f in StageSerializer.Meta.fields if f != "pipeline"]
        read_only_fields = fields


class PipelineSerializer(serializers.ModelSerializer):
    stages = NestedStageSerializer(many=True, read_only=True)

    class Meta:
        model = Pipeline
        fields = ["id", "name", "is_default", "is_active", "order", "description", "stages"]
        extra_kwargs = {"order": {"max_value": 2**31 - 1}}


class PipelineViewSet(viewsets.ModelViewSet):
    """Pipelines with their stages nested, in order. Staff read; administrators write."""

    serializer_class = PipelineSerializer
    permission_classes = [AdminWritesOnly]
    ordering_fields = ["order", "name"]
    ordering = ["order", "name"]
    pagination_class = None  # a handful of pipelines
    filterset_class = PipelineFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Pipeline.objects.none()
        return selectors.pipelines_visible_to(self.request.user)

    def perform_create(self, serializer):
        serializer.instance = services.pipeline_save(
            pipeline=Pipeline(**serializer.validated_data), by=self.request.user
        )

    def perform_update(self, serializer):
        pipeline = serializer.instance
        for name, value in serializer.validated_data.items():
            setattr(pipeline, name, value)
        services.pipeline_save(pipeline=pipeline, by=self.request.user)

    def perform_destroy(self, instance):
        services.pipeline_delete(pipeline=instance, by=self.request.user)


class StageViewSet(viewsets.ModelViewSet):
    """The stages of every pipeline. Staff read; administrators write (playbooks sanitised)."""

    serializer_class = StageSerializer
    permission_classes = [AdminWritesOnly]
    ordering_fields = ["order", "name"]
    ordering = ["pipeline__order", "pipeline_id", "order", "id"]
    pagination_class = None  # a few stages per pipeline
    filterset_class = StageAdminFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Stage.objects.none()
        return selectors.stages_visible_to(self.request.user)

    def _save(self, serializer, stage: Stage) -> None:
        data = dict(serializer.validated_data)
        if "checklist" in data:
            data["checklist"] = [dict(item) for item in data["checklist"]]
        for name, value in data.items():
            setattr(stage, name, value)
        serializer.instance = services.stage_save(stage=stage, by=self.request.user)

    def perform_create(self, serializer):
        self._save(serializer, Stage())

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    def perform_destroy(self, instance):
        services.stage_delete(stage=instance, by=self.request.user)
