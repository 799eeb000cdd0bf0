"""REST API for lead routing: assignment rules, routing leads on demand, the routing log."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from allyance.core.filters import GatedFilterSet
from allyance.core.models import STAFF_ROLES, User
from allyance.core.permissions import AdminWritesOnly
from allyance.core.visibility import visible_to
from allyance.customers.models import Industry, SizeBand, Source
from allyance.sales.models import AssignmentRule, Lead, LeadAssignment
from allyance.sales.selectors import routing as selectors
from allyance.sales.services import routing as services

INT_MAX = 2**31 - 1
ROUTE_LIMIT = 5000


def _text_list(max_items: int = 200):
    return serializers.ListField(
        child=serializers.CharField(max_length=100, allow_blank=False),
        max_length=max_items,
        required=False,
    )


def _choice_list(choices):
    return serializers.ListField(
        child=serializers.ChoiceField(choices=choices), max_length=100, required=False
    )


class AssignmentRuleSerializer(serializers.ModelSerializer):
    priority = serializers.IntegerField(min_value=0, max_value=INT_MAX, required=False)
    countries = serializers.ListField(
        child=serializers.ChoiceField(choices=list(countries)), max_length=300, required=False
    )
    provinces = _text_list()
    cities = _text_list()
    size_bands = _choice_list(SizeBand.choices)
    industries = _choice_list(Industry.choices)
    sources = _choice_list(Source.choices)
    score_min = serializers.IntegerField(
        min_value=-INT_MAX, max_value=INT_MAX, allow_null=True, required=False
    )
    score_max = serializers.IntegerField(
        min_value=-INT_MAX, max_value=INT_MAX, allow_null=True, required=False
    )
    custom_fields_equal = serializers.DictField(
        child=serializers.CharField(max_length=200, allow_blank=True), required=False
    )
    assign_user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(
            Q(role__in=STAFF_ROLES) | Q(is_superuser=True), is_active=True
        ),
        allow_null=True,
        required=False,
    )
    conditions = serializers.SerializerMethodField()

    class Meta:
        model = AssignmentRule
        fields = [
            "id",
            "name",
            "priority",
            "is_active",
            "countries",
            "provinces",
            "cities",
            "size_bands",
            "industries",
            "sources",
            "score_min",
            "score_max",
            "custom_fields_equal",
            "company_contains",
            "email_contains",
            "include_partner_leads",
            "action",
            "assign_user",
            "assign_team",
            "assign_territory",
            "conditions",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def get_conditions(self, rule: AssignmentRule) -> list[str]:
        """The conditions in words, in the requester's language."""
        return rule.conditions_display()

    def validate_custom_fields_equal(self, value: dict) -> dict:
        if len(value) > 50 or any(not key or len(key) > 100 or "\x00" in key for key in value):
            raise serializers.ValidationError(
                _("Up to 50 custom field names (1–100 characters) with the value to match.")
            )
        return value


class AssignmentRuleViewSet(viewsets.ModelViewSet):
    """Assignment rules in the order they are tried: staff read, administrators change them."""

    serializer_class = AssignmentRuleSerializer
    permission_classes = [AdminWritesOnly]
    ordering_fields = ["priority", "name", "updated_at"]
    ordering = ("priority", "id")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AssignmentRule.objects.none()
        return selectors.assignment_rules_visible_to(self.request.user)

    def _save(self, serializer, instance=None):
        rule = instance or AssignmentRule()
        for name, value in serializer.validated_data.items():
            setattr(rule, name, value)
        serializer.instance = services.assignment_rule_save(rule=rule, by=self.request.user)

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    def perform_destroy(self, instance):
        services.assignment_rule_delete(rule=instance, by=self.request.user)

    @extend_schema(request=None, responses=AssignmentRuleSerializer(many=True))
    @action(
        detail=True,
        methods=["post"],
        url_path=r"move/(?P<direction>up|down)",
        pagination_class=None,
        filter_backends=[],
    )
    def move(self, request, pk=None, direction=None):
        """Swap the rule with the one above (`up`) or below (`down`); returns the new order."""
        services.assignment_rule_move(rule=self.get_object(), direction=direction, by=request.user)
        rules = selectors.assignment_rules_visible_to(request.user)
        return Response(self.get_serializer(rules, many=True).data)


class MayRoute(BasePermission):
    def has_permission(self, request, view) -> bool:
        return services.may_route(request.user)


class LeadRouteRequestSerializer(serializers.Serializer):
    leads = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        max_length=ROUTE_LIMIT,
        required=False,
        help_text=_("Ids of the leads to route."),
    )
    unassigned = serializers.BooleanField(
        default=False, help_text=_("Route every open lead without an owner (up to 5,000).")
    )
    dry_run = serializers.BooleanField(
        default=False, help_text=_("Only say what routing would do; change nothing.")
    )

    def validate(self, attrs):
        if not attrs.get("leads") and not attrs.get("unassigned"):
            raise serializers.ValidationError(
                {"leads": [_("Give the ids of the leads to route, or set unassigned.")]}
            )
        return attrs


class LeadRouteDecisionSerializer(serializers.Serializer):
    lead = serializers.IntegerField()
    rule = serializers.IntegerField(allow_null=True)
    rule_name = serializers.CharField()
    assigned_user = serializers.IntegerField(allow_null=True)
    team = serializers.IntegerField(allow_null=True)
    territory = serializers.IntegerField(allow_null=True)
    queued = serializers.BooleanField()


class LeadRouteResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    routed = serializers.IntegerField(help_text=_("Leads a rule matched."))
    moved = serializers.IntegerField(help_text=_("Leads whose owner or territory changed."))
    unmatched = serializers.IntegerField(help_text=_("Leads no rule matched; left as they were."))
    skipped = serializers.IntegerField(help_text=_("Leads not open; never routed."))
    decisions = LeadRouteDecisionSerializer(many=True)


class LeadRoutingViewSet(viewsets.GenericViewSet):
    """Route leads on demand through the assignment rules (administrators, sales managers)."""

    permission_classes = [MayRoute]
    serializer_class = LeadRouteRequestSerializer
    pagination_class = None
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Lead.objects.none()
        return visible_to(self.request.user, Lead.objects.all())

    @extend_schema(request=LeadRouteRequestSerializer, responses=LeadRouteResultSerializer)
    def create(self, request):
        serializer = LeadRouteRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        visible = self.get_queryset()
        if data.get("unassigned"):
            leads = list(
                selectors.lead_queue_visible_to(request.user).order_by("created_at", "pk")[
                    :ROUTE_LIMIT
                ]
            )
        else:
            wanted = set(data["leads"])
            leads = list(visible.filter(pk__in=wanted).order_by("pk"))
            missing = wanted - {lead.pk for lead in leads}
            if missing:
                # Another partner's lead is refused exactly like a lead that does not exist.
                raise serializers.ValidationError(
                    {"leads": [_("Unknown lead ids: %(ids)s") % {"ids": sorted(missing)[:20]}]}
                )
        open_leads = [lead for lead in leads if lead.is_open]
        if data["dry_run"]:
            decisions, unmatched = services.leads_route_preview(leads=open_leads)
            moved = sum(
                1
                for d in decisions
                if (d.lead.owner_id, d.lead.territory_id) != (d.user_id, d.territory_id)
            )
            rows = [
                {
                    "lead": d.lead.pk,
                    "rule": d.rule.pk,
                    "rule_name": d.rule.name,
                    "assigned_user": d.user_id,
                    "team": d.team_id,
                    "territory": d.territory_id,
                    "queued": d.queued,
                }
                for d in decisions
            ]
            body = {
                "dry_run": True,
                "routed": len(decisions),
                "moved": moved,
                "unmatched": len(unmatched),
                "skipped": len(leads) - len(open_leads),
                "decisions": rows,
            }
            return Response(LeadRouteResultSerializer(body).data)
        result = services.leads_route(leads=leads, by=request.user)
        body = {
            "dry_run": False,
            "routed": result.routed,
            "moved": result.moved,
            "unmatched": result.unmatched,
            "skipped": result.skipped,
            "decisions": [
                {
                    "lead": d.lead.pk,
                    "rule": d.rule.pk,
                    "rule_name": d.rule.name,
                    "assigned_user": d.user_id,
                    "team": d.team_id,
                    "territory": d.territory_id,
                    "queued": d.queued,
                }
                for d in result.decisions
            ],
        }
        return Response(LeadRouteResultSerializer(body).data, status=status.HTTP_200_OK)


class LeadAssignmentFilter(GatedFilterSet):
    lead = django_filters.ModelChoiceFilter(
        field_name="lead",
        queryset=Lead.objects.all(),
        label=_("Lead (id)"),
        widget=forms.NumberInput,
    )

    class Meta:
        model = LeadAssignment
        fields = ["lead", "queued", "trigger"]


class LeadAssignmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = LeadAssignment
        fields = [
            "id",
            "lead",
            "rule",
            "rule_name",
            "assigned_user",
            "team",
            "territory",
            "queued",
            "trigger",
            "at",
            "by",
        ]


class LeadAssignmentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The routing log: which rule gave which lead to whom, for the leads the user may see."""

    serializer_class = LeadAssignmentSerializer
    filterset_class = LeadAssignmentFilter
    ordering_fields = ["at"]
    ordering = ("-at", "-id")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return LeadAssignment.objects.none()
        return selectors.lead_assignments_visible_to(self.request.user)
