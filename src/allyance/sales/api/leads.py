"""REST API for leads (with conversion), lead events and scoring rules."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from allyance.core.api import BusinessRecordSerializer, GatedModelViewSet, TagsField
from allyance.core.permissions import AdminWritesOnly
from allyance.core.visibility import visible_to
from allyance.customers.models import Account, Contact
from allyance.sales.filters.leads import LeadEventFilter, LeadFilter
from allyance.sales.models import Lead, LeadEvent, Pipeline, ScoringRule
from allyance.sales.selectors import leads as selectors
from allyance.sales.services import leads as services
from allyance.sales.services import scoring


class DuplicateSerializer(serializers.Serializer):
    """A possible duplicate; `id` and `label` are empty for a record the user may not see."""

    type = serializers.CharField()
    why = serializers.CharField()
    id = serializers.IntegerField(allow_null=True)
    label = serializers.CharField()


class LeadSerializer(BusinessRecordSerializer):
    tags = TagsField(required=False)
    full_name = serializers.CharField(read_only=True)
    score_reason_texts = serializers.SerializerMethodField()
    possible_duplicates = serializers.SerializerMethodField()

    class Meta:
        model = Lead
        fields = [
            "id",
            "family_name",
            "given_name",
            "full_name",
            "company",
            "title",
            "email",
            "phone",
            "mobile",
            "website",
            "source",
            "campaign",
            "country",
            "province",
            "city",
            "industry",
            "size_band",
            "budget",
            "currency",
            "status",
            "disqualified_reason",
            "territory",
            "owner",
            "organisation",
            "tags",
            "notes",
            "score",
            "score_reasons",
            "score_reason_texts",
            "scored_at",
            "possible_duplicates",
            "converted_at",
            "converted_account",
            "converted_contact",
            "converted_opportunity",
            "custom_fields",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "score",
            "score_reasons",
            "scored_at",
            "converted_at",
            "converted_account",
            "converted_contact",
            "converted_opportunity",
        ]
        extra_kwargs = {"budget": {"min_value": 0}}

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_score_reason_texts(self, lead: Lead) -> list[str]:
        return scoring.reason_texts(lead)

    @extend_schema_field(DuplicateSerializer(many=True))
    def get_possible_duplicates(self, lead: Lead) -> list[dict]:
        user = getattr(self.context.get("request"), "user", None)
        page = getattr(self.parent, "instance", None)
        if isinstance(page, list):  # a list: look the whole page's duplicates up at once
            if "visible_duplicates" not in self.context:
                self.context["visible_duplicates"] = selectors.visible_duplicates(user, page)
            visible = self.context["visible_duplicates"]
        else:
            visible = None
        shown = selectors.lead_duplicates_for(user, lead, visible=visible)
        return DuplicateSerializer(shown, many=True).data


class LeadConvertSerializer(serializers.Serializer):
    """What a conversion links to or creates; empty account/contact mean "create from the lead"."""

    account = serializers.PrimaryKeyRelatedField(
        queryset=Account.objects.all(), required=False, allow_null=True
    )
    contact = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.all(), required=False, allow_null=True
    )
    create_opportunity = serializers.BooleanField(required=False, default=True)
    opportunity_name = serializers.CharField(
        required=False, allow_blank=True, max_length=200, default=""
    )
    pipeline = serializers.PrimaryKeyRelatedField(
        queryset=Pipeline.objects.filter(is_active=True), required=False, allow_null=True
    )
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    close_date = serializers.DateField(required=False, allow_null=True)

    def get_fields(self):
        fields = super().get_fields()
        user = getattr(self.context.get("request"), "user", None)
        for name in ("account", "contact"):
            fields[name].queryset = visible_to(user, fields[name].queryset)
        return fields


class LeadViewSet(GatedModelViewSet):
    serializer_class = LeadSerializer
    filterset_class = LeadFilter
    ordering_fields = ["score", "updated_at", "created_at", "family_name", "company"]
    selector = staticmethod(lambda user: selectors.leads_visible_to(user).prefetch_related("tags"))
    save_service = staticmethod(services.lead_save)
    service_arg = "lead"

    @extend_schema(request=LeadConvertSerializer, responses=LeadSerializer)
    @action(detail=True, methods=["post"])
    def convert(self, request, pk=None):
        """Convert the lead: create or link its account and contact, and open a deal."""
        lead = self.get_object()
        serializer = LeadConvertSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        lead = services.lead_convert(lead=lead, by=request.user, **serializer.validated_data)
        lead = self.get_queryset().get(pk=lead.pk)
        return Response(LeadSerializer(lead, context={"request": request}).data)


class LeadEventSerializer(serializers.ModelSerializer):
    lead = serializers.PrimaryKeyRelatedField(queryset=Lead.objects.all())
    at = serializers.DateTimeField(required=False)

    class Meta:
        model = LeadEvent
        fields = ["id", "lead", "kind", "rating", "detail", "at"]
        extra_kwargs = {"rating": {"min_value": 1, "max_value": 5}}

    def get_fields(self):
        fields = super().get_fields()
        user = getattr(self.context.get("request"), "user", None)
        fields["lead"].queryset = visible_to(user, Lead.objects.all())
        return fields


class LeadEventViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Replies, form visits and ratings fed by a website or a mail system; they score the lead."""

    serializer_class = LeadEventSerializer
    ordering_fields = ["at"]
    ordering = ("-at", "-id")
    filterset_class = LeadEventFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return LeadEvent.objects.none()
        return selectors.lead_events_visible_to(self.request.user)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = scoring.lead_event_add(by=request.user, **serializer.validated_data)
        return Response(self.get_serializer(event).data, status=status.HTTP_201_CREATED)


class ScoringRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = ScoringRule
        fields = [
            "id",
            "name",
            "kind",
            "field",
            "value",
            "activity_kind",
            "threshold",
            "decay_basis",
            "points",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class ScoringRuleViewSet(viewsets.ModelViewSet):
    """Central scoring rules: staff read them, administrators change them (all leads re-score)."""

    serializer_class = ScoringRuleSerializer
    permission_classes = [AdminWritesOnly]
    ordering_fields = ["name", "kind", "points"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ScoringRule.objects.none()
        return selectors.scoring_rules_visible_to(self.request.user)

    def _save(self, serializer, instance=None):
        rule = instance or ScoringRule()
        for name, value in serializer.validated_data.items():
            setattr(rule, name, value)
        serializer.instance = scoring.scoring_rule_save(rule=rule, by=self.request.user)

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    def perform_destroy(self, instance):
        scoring.scoring_rule_delete(rule=instance, by=self.request.user)
