"""REST API for opportunities, their contact roles, moves between stages and stage history."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from allyance.core.api import BusinessRecordSerializer, GatedModelViewSet, TagsField
from allyance.core.visibility import visible_to
from allyance.customers.models import Contact
from allyance.sales.filters.opportunities import OpportunityContactFilter, OpportunityFilter
from allyance.sales.models import Opportunity, OpportunityContact, Stage, StageChange
from allyance.sales.selectors import opportunities as selectors
from allyance.sales.services import opportunities as services


class OpportunityContactRoleSerializer(serializers.ModelSerializer):
    """A contact on a deal as the deal shows it (read only: write through opportunity-contacts)."""

    contact_name = serializers.CharField(source="contact.full_name", read_only=True)

    class Meta:
        model = OpportunityContact
        fields = ["id", "contact", "contact_name", "role"]
        read_only_fields = fields


class OpportunitySerializer(BusinessRecordSerializer):
    tags = TagsField(required=False)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False)
    contact_roles = OpportunityContactRoleSerializer(many=True, read_only=True)
    source_lead = serializers.SerializerMethodField()

    class Meta:
        model = Opportunity
        fields = [
            "id",
            "name",
            "account",
            "pipeline",
            "stage",
            "outcome",
            "amount",
            "currency",
            "close_date",
            "probability",
            "forecast_category",
            "source",
            "competitors",
            "loss_reason",
            "next_step",
            "description",
            "territory",
            "owner",
            "organisation",
            "tags",
            "contact_roles",
            "source_lead",
            "stage_entered_at",
            "closed_at",
            "last_activity_at",
            "custom_fields",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "outcome",
            "forecast_category",
            "stage_entered_at",
            "closed_at",
            "last_activity_at",
        ]
        extra_kwargs = {
            "account": {"required": True, "allow_null": False},
            "pipeline": {"required": False},
            "stage": {"required": False},
        }

    def get_source_lead(self, opportunity: Opportunity) -> int | None:
        """The lead this deal was converted from, if any."""
        leads = sorted(lead.pk for lead in opportunity.source_leads.all())
        return leads[0] if leads else None


class OpportunityMoveSerializer(serializers.Serializer):
    stage = serializers.PrimaryKeyRelatedField(queryset=Stage.objects.all())
    reopen = serializers.BooleanField(required=False, default=False)
    loss_reason = serializers.CharField(required=False, allow_blank=True, max_length=255)
    version = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)


class StageChangeSerializer(serializers.ModelSerializer):
    from_stage_name = serializers.CharField(source="from_stage.name", read_only=True, default=None)
    to_stage_name = serializers.CharField(source="to_stage.name", read_only=True)

    class Meta:
        model = StageChange
        fields = [
            "id",
            "from_stage",
            "from_stage_name",
            "to_stage",
            "to_stage_name",
            "changed_at",
            "changed_by",
            "seconds_in_from_stage",
        ]
        read_only_fields = fields


class OpportunityViewSet(GatedModelViewSet):
    serializer_class = OpportunitySerializer
    filterset_class = OpportunityFilter
    ordering_fields = ["name", "amount", "close_date", "updated_at", "created_at"]
    selector = staticmethod(
        lambda user: selectors.opportunities_visible_to(user).prefetch_related(
            "tags", "contact_roles__contact", "source_leads"
        )
    )
    save_service = staticmethod(services.opportunity_save)
    service_arg = "opportunity"

    @extend_schema(request=OpportunityMoveSerializer, responses=OpportunitySerializer)
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def move(self, request, pk=None):
        """Move the deal to another stage; refused with 400 naming what is missing."""
        opportunity = self.get_object()
        move = OpportunityMoveSerializer(data=request.data)
        move.is_valid(raise_exception=True)
        data = move.validated_data
        services.opportunity_move(
            opportunity=opportunity,
            stage=data["stage"],
            by=request.user,
            expected_version=data.get("version"),
            reopen=data["reopen"],
            loss_reason=data.get("loss_reason"),
        )
        return Response(self.get_serializer(opportunity).data)

    @extend_schema(responses=StageChangeSerializer(many=True), filters=False, parameters=[])
    @action(
        detail=True,
        methods=["get"],
        url_path="stage-history",
        pagination_class=None,
        filter_backends=[],
    )
    def stage_history(self, request, pk=None):
        """Every stage change of the deal, oldest first, with seconds spent in the stage left."""
        opportunity = self.get_object()
        changes = selectors.stage_history(opportunity)
        return Response(StageChangeSerializer(changes, many=True).data)


class OpportunityContactSerializer(serializers.ModelSerializer):
    contact_name = serializers.CharField(source="contact.full_name", read_only=True)

    class Meta:
        model = OpportunityContact
        fields = ["id", "opportunity", "contact", "contact_name", "role"]
        validators = []  # adding a contact twice updates its role (see the service)

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is not None:
            fields["opportunity"].queryset = visible_to(user, Opportunity.objects.all())
            fields["contact"].queryset = visible_to(user, Contact.objects.all())
        return fields

    def validate(self, attrs):
        if self.instance is not None:
            for name in ("opportunity", "contact"):
                if name in attrs and attrs[name] != getattr(self.instance, name):
                    raise serializers.ValidationError(
                        {name: _("Remove this contact and add the other one instead.")}
                    )
        return attrs


class OpportunityContactViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Contacts on deals with their roles; only on deals the user may see."""

    serializer_class = OpportunityContactSerializer
    filterset_class = OpportunityContactFilter
    permission_classes = [IsAuthenticated]
    ordering_fields = ["id"]
    ordering = ["id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return OpportunityContact.objects.none()
        return selectors.opportunity_contacts_visible_to(self.request.user)

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.opportunity_contact_save(
            opportunity=data["opportunity"],
            contact=data["contact"],
            role=data.get("role", ""),
            by=self.request.user,
        )

    def perform_update(self, serializer):
        link = serializer.instance
        serializer.instance = services.opportunity_contact_save(
            opportunity=link.opportunity,
            contact=link.contact,
            role=serializer.validated_data.get("role", link.role),
            by=self.request.user,
        )

    def perform_destroy(self, instance):
        services.opportunity_contact_remove(link=instance, by=self.request.user)
