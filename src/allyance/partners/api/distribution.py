"""REST API of the partners app: the distribution part. ROUTES: (prefix, viewset, basename).

`lead-distributions`: offers through the gate (partners their own, staff by scope; a
distributor also the offers it made to its resellers); POST offers a lead by hand (staff, or a
distributor's partner admin to a reseller directly below it); `accept`, `reject` and `recall`
answer or take back an offer.
`distribution-rules`: staff read, administrators and channel managers write, partners none.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response

from allyance.core.api_views import ServiceWritesMixin
from allyance.core.models import Organisation
from allyance.core.visibility import visible_to
from allyance.partners.api.hops import HidesPreviousOwnerMixin
from allyance.partners.models import DistributionRule, LeadDistribution
from allyance.partners.selectors.distribution import (
    distribution_rules_visible_to,
    distributions_visible_to,
    last_activity_of,
)
from allyance.partners.services import distribution as services
from allyance.partners.services.distribution import MAX_RESPOND_HOURS
from allyance.sales.models import Lead


def _denied(exc: DjangoPermissionDenied) -> PermissionDenied:
    return PermissionDenied(str(exc))


class LeadProgressSerializer(serializers.Serializer):
    """How the distributed lead goes on, read along the offer (not through the lead's page)."""

    name = serializers.CharField()
    company = serializers.CharField()
    status = serializers.CharField()
    last_activity_at = serializers.DateTimeField(allow_null=True)
    converted = serializers.BooleanField()
    opportunity_outcome = serializers.CharField(allow_null=True)
    opportunity_amount = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    opportunity_currency = serializers.CharField(allow_null=True)


class LeadDistributionSerializer(HidesPreviousOwnerMixin, serializers.ModelSerializer):
    from_organisation_field = "previous_organisation_id"

    progress = serializers.SerializerMethodField()

    class Meta:
        model = LeadDistribution
        fields = [
            "id",
            "lead",
            "organisation",
            "owner",
            "rule",
            "hop",
            "status",
            "offered_at",
            "respond_by",
            "responded_at",
            "responded_by",
            "reason",
            "previous_organisation",
            "previous_owner",
            "progress",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(LeadProgressSerializer)
    def get_progress(self, distribution: LeadDistribution) -> dict:
        lead = distribution.lead
        deal = lead.converted_opportunity
        return LeadProgressSerializer(
            {
                "name": lead.full_name,
                "company": lead.company,
                "status": lead.status,
                "last_activity_at": last_activity_of(distribution),
                "converted": lead.status == Lead.Status.CONVERTED,
                "opportunity_outcome": deal.outcome if deal else None,
                "opportunity_amount": deal.amount if deal else None,
                "opportunity_currency": deal.currency if deal else None,
            }
        ).data


class DistributeSerializer(serializers.Serializer):
    lead = serializers.PrimaryKeyRelatedField(queryset=Lead.objects.none())
    partner = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.none())
    respond_hours = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_RESPOND_HOURS
    )

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            fields["lead"].queryset = visible_to(request.user, Lead.objects.all())
            fields["partner"].queryset = Organisation.objects.filter(
                kind=Organisation.Kind.PARTNER, status=Organisation.Status.ACTIVE
            )
        return fields


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=255)


class LeadDistributionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Offers of leads to partners, with each lead's progress; filter by `status`,
    `organisation` (the partner) or `lead`."""

    serializer_class = LeadDistributionSerializer
    filterset_fields = ["status", "organisation", "lead", "rule"]
    ordering_fields = ["offered_at", "respond_by", "id"]
    ordering = ["-offered_at", "-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return LeadDistribution.objects.none()
        return distributions_visible_to(self.request.user)

    def _answer(self, distribution: LeadDistribution, status: int = 200) -> Response:
        # The answer shows the offer as the user now sees it (the rows carry the progress).
        row = self.get_queryset().filter(pk=distribution.pk).first() or distribution
        return Response(
            LeadDistributionSerializer(row, context=self.get_serializer_context()).data,
            status=status,
        )

    @extend_schema(request=DistributeSerializer, responses={201: LeadDistributionSerializer})
    def create(self, request, *args, **kwargs):
        """Offer a lead to a partner by hand (administrators, channel and sales managers), or,
        as a distributor's partner admin, a lead your organisation holds to a reseller directly
        below it; rejected, expired or recalled, that lead comes back to you."""
        body = DistributeSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            row = services.lead_distribute(
                lead=data["lead"],
                partner=data["partner"],
                respond_hours=data.get("respond_hours"),
                by=request.user,
            )
        except DjangoPermissionDenied as exc:
            raise _denied(exc) from exc
        return self._answer(row, status=201)

    @extend_schema(request=None, responses=LeadDistributionSerializer, filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def accept(self, request, pk=None):
        """The partner offered the lead takes it."""
        try:
            row = services.distribution_accept(distribution=self.get_object(), by=request.user)
        except DjangoPermissionDenied as exc:
            raise _denied(exc) from exc
        return self._answer(row)

    @extend_schema(request=ReasonSerializer, responses=LeadDistributionSerializer, filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def reject(self, request, pk=None):
        """The partner declines, saying why; the lead returns and may pass on."""
        distribution = self.get_object()
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            row = services.distribution_reject(
                distribution=distribution, reason=body.validated_data["reason"], by=request.user
            )
        except DjangoPermissionDenied as exc:
            raise _denied(exc) from exc
        return self._answer(row)

    @extend_schema(request=ReasonSerializer, responses=LeadDistributionSerializer, filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def recall(self, request, pk=None):
        """The company takes the lead back, saying why; it may pass on to the next partner."""
        distribution = self.get_object()
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            row = services.distribution_recall(
                distribution=distribution, reason=body.validated_data["reason"], by=request.user
            )
        except DjangoPermissionDenied as exc:
            raise _denied(exc) from exc
        return self._answer(row)


class DistributionRuleSerializer(serializers.ModelSerializer):
    provinces = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=200
    )
    industries = serializers.ListField(
        child=serializers.ChoiceField(choices=Lead._meta.get_field("industry").choices),
        required=False,
    )
    partner_types = serializers.ListField(
        child=serializers.ChoiceField(choices=Organisation.PartnerType.choices), required=False
    )
    partners = serializers.PrimaryKeyRelatedField(
        many=True,
        required=False,
        queryset=Organisation.objects.filter(kind=Organisation.Kind.PARTNER),
    )

    class Meta:
        model = DistributionRule
        fields = [
            "id",
            "name",
            "priority",
            "is_active",
            "territories",
            "provinces",
            "industries",
            "partner_types",
            "minimum_tier",
            "required_certification",
            "max_open_leads",
            "min_acceptance_rate",
            "partners",
            "pass_on",
            "max_hops",
            "accept_hours",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {
            "priority": {"max_value": 2**31 - 1},
            "max_open_leads": {"max_value": 2**31 - 1},
            "max_hops": {"min_value": 1, "max_value": 100},
            "accept_hours": {"min_value": 1, "max_value": MAX_RESPOND_HOURS},
            "min_acceptance_rate": {"min_value": 0, "max_value": 100},
        }


class RulesForStaff(BasePermission):
    """Staff read the rules; administrators and channel managers change them; others none."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated or not user.is_internal:
            return False
        return request.method in SAFE_METHODS or services.may_manage_rules(user)


class DistributionRuleViewSet(ServiceWritesMixin, viewsets.ModelViewSet):
    """The rules that choose a partner for a lead, in the order they are tried."""

    serializer_class = DistributionRuleSerializer
    permission_classes = [RulesForStaff]
    filterset_fields = ["is_active", "pass_on"]
    ordering_fields = ["priority", "name", "id"]
    ordering = ["priority", "id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return DistributionRule.objects.none()
        return distribution_rules_visible_to(self.request.user)

    def _save(self, serializer, instance=None) -> None:
        data = dict(serializer.validated_data)
        territories = data.pop("territories", None)
        partners = data.pop("partners", None)
        rule = instance or DistributionRule()
        for name, value in data.items():
            setattr(rule, name, value)
        try:
            serializer.instance = services.distribution_rule_save(
                rule=rule, by=self.request.user, territories=territories, partners=partners
            )
        except DjangoPermissionDenied as exc:
            raise _denied(exc) from exc

    def delete_service(self, instance, *, by):
        try:
            services.distribution_rule_delete(rule=instance, by=by)
        except DjangoPermissionDenied as exc:
            raise _denied(exc) from exc


ROUTES = [
    ("lead-distributions", LeadDistributionViewSet, "lead-distribution"),
    ("distribution-rules", DistributionRuleViewSet, "distribution-rule"),
]
