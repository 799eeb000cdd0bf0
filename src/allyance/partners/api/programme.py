"""REST API of the partners app: the programme part. ROUTES: (prefix, viewset, basename).

Tiers and onboarding steps are central: everyone signed in reads them (partners the active
steps), administrators write. Agreements and checklist items: staff who manage the partner
write, partners read their own and are refused every write.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission

from allyance.catalog.models import PriceList
from allyance.core.api import BusinessRecordSerializer, CursorPagination, GatedModelViewSet
from allyance.core.models import Organisation
from allyance.core.permissions import AdminWritesOnly
from allyance.partners.filters.programme import AgreementFilter
from allyance.partners.models import (
    Certification,
    OnboardingItem,
    OnboardingStep,
    PartnerAgreement,
    Tier,
)
from allyance.partners.selectors import programme as selectors
from allyance.partners.services import programme as services


class StaffWritesOnly(BasePermission):
    """Anyone who can see the rows reads them; only company staff may try to write (the
    services decide which staff: the partner's channel manager or an administrator)."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        return request.method in SAFE_METHODS or user.is_internal


def _refusals_as_403(call):
    try:
        return call()
    except DjangoPermissionDenied as exc:
        raise PermissionDenied(str(exc)) from exc


# --- Tiers ---------------------------------------------------------------------------------


class TierSerializer(serializers.ModelSerializer):
    price_list = serializers.PrimaryKeyRelatedField(
        queryset=PriceList.objects.all(), allow_null=True, required=False
    )
    required_certifications = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Certification.objects.all(), required=False
    )
    extra_discount_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("100"),
        required=False,
    )  # fmt: skip
    mdf_share_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("100"),
        required=False,
    )  # fmt: skip

    class Meta:
        model = Tier
        fields = [
            "id",
            "name",
            "rank",
            "description",
            "price_list",
            "extra_discount_percent",
            "mdf_share_percent",
            "lead_priority",
            "required_certifications",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators = []  # unique names: the service answers by field, case-insensitively

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            from allyance.core.visibility import visible_to

            fields["price_list"].queryset = visible_to(request.user, PriceList.objects.all())
            fields["required_certifications"].child_relation.queryset = visible_to(
                request.user, Certification.objects.all()
            )
        return fields


class TierViewSet(viewsets.ModelViewSet):
    """The programme's tiers and their policy; everyone signed in reads, admins write.

    Deleting a tier that partners are in is refused (400) until they are moved."""

    queryset = Tier.objects.none()  # for the schema; rows come from get_queryset
    serializer_class = TierSerializer
    permission_classes = [AdminWritesOnly]
    filterset_fields = ["price_list"]
    ordering_fields = ["name", "rank", "updated_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Tier.objects.none()
        return selectors.tiers_visible_to(self.request.user)

    def _save(self, serializer, instance=None):
        data = dict(serializer.validated_data)
        certifications = data.pop("required_certifications", None)
        tier = instance or Tier()
        for name, value in data.items():
            setattr(tier, name, value)
        serializer.instance = _refusals_as_403(
            lambda: services.tier_save(
                tier=tier, by=self.request.user, required_certifications=certifications
            )
        )

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    def perform_destroy(self, instance):
        _refusals_as_403(lambda: services.tier_delete(tier=instance, by=self.request.user))


# --- Onboarding steps ----------------------------------------------------------------------


class OnboardingStepSerializer(serializers.ModelSerializer):
    class Meta:
        model = OnboardingStep
        fields = ["id", "name", "description", "position", "active"]


class OnboardingStepPagination(CursorPagination):
    ordering = ("position", "id")


class OnboardingStepViewSet(viewsets.ModelViewSet):
    """The onboarding checklist's steps; staff read all, partners the active ones; admins
    write."""

    queryset = OnboardingStep.objects.none()  # for the schema; rows come from get_queryset
    serializer_class = OnboardingStepSerializer
    permission_classes = [AdminWritesOnly]
    pagination_class = OnboardingStepPagination
    filterset_fields = ["active"]
    ordering_fields = ["position", "name"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return OnboardingStep.objects.none()
        return selectors.onboarding_steps_visible_to(self.request.user)

    def _save(self, serializer, instance=None):
        step = instance or OnboardingStep()
        for name, value in serializer.validated_data.items():
            setattr(step, name, value)
        serializer.instance = _refusals_as_403(
            lambda: services.onboarding_step_save(step=step, by=self.request.user)
        )

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    def perform_destroy(self, instance):
        _refusals_as_403(
            lambda: services.onboarding_step_delete(step=instance, by=self.request.user)
        )


# --- Agreements ----------------------------------------------------------------------------


class PartnerAgreementSerializer(BusinessRecordSerializer):
    organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.filter(kind=Organisation.Kind.PARTNER),
        help_text="The partner organisation the agreement concerns.",
    )

    class Meta:
        model = PartnerAgreement
        fields = [
            "id",
            "organisation",
            "kind",
            "name",
            "reference",
            "starts_on",
            "ends_on",
            "notes",
            "warned_at",
            "owner",
            "custom_fields",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["owner", "warned_at"]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            fields["organisation"].queryset = selectors.partner_organisations_readable_by(
                request.user
            )
        return fields

    def validate(self, attrs):
        starts = attrs.get("starts_on", getattr(self.instance, "starts_on", None))
        ends = attrs.get("ends_on", getattr(self.instance, "ends_on", None))
        if starts and ends and ends < starts:
            raise serializers.ValidationError(
                {"ends_on": ["An agreement cannot end before it starts."]}
            )
        return attrs


class PartnerAgreementViewSet(GatedModelViewSet):
    """Agreements and qualifications of partners, with validity dates; files are attachments.

    Filter `ending_within=<days>` for those ending soon. Partners read their own."""

    serializer_class = PartnerAgreementSerializer
    permission_classes = [StaffWritesOnly]
    filterset_class = AgreementFilter
    ordering_fields = ["ends_on", "starts_on", "name", "updated_at"]
    selector = staticmethod(selectors.agreements_visible_to)
    save_service = staticmethod(services.agreement_save)
    service_arg = "agreement"

    def _save(self, serializer, instance=None):
        _refusals_as_403(lambda: super(PartnerAgreementViewSet, self)._save(serializer, instance))

    def perform_destroy(self, instance):
        _refusals_as_403(
            lambda: services.agreement_delete(agreement=instance, by=self.request.user)
        )


# --- Onboarding items ----------------------------------------------------------------------


class OnboardingItemSerializer(serializers.ModelSerializer):
    step_name = serializers.CharField(source="step.name", read_only=True)
    done = serializers.BooleanField(
        required=False, help_text="True once the step is done (sets done_at and done_by)."
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=255)

    class Meta:
        model = OnboardingItem
        fields = [
            "id",
            "organisation",
            "step",
            "step_name",
            "done",
            "done_at",
            "done_by",
            "note",
            "version",
            "updated_at",
        ]
        read_only_fields = [
            "organisation",
            "step",
            "done_at",
            "done_by",
            "version",
            "updated_at",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["done"] = instance.done_at is not None
        return data


class OnboardingItemViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """A partner's onboarding checklist; the channel manager ticks steps (`done`), partners
    read their own. Items are created by the system for every active step."""

    queryset = OnboardingItem.objects.none()  # for the schema; rows come from get_queryset
    serializer_class = OnboardingItemSerializer
    permission_classes = [StaffWritesOnly]
    filterset_fields = ["organisation", "step"]
    ordering_fields = ["updated_at", "done_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return OnboardingItem.objects.none()
        return selectors.onboarding_items_visible_to(self.request.user)

    def perform_update(self, serializer):
        item = serializer.instance
        data = serializer.validated_data
        done = data.get("done", item.done_at is not None)
        serializer.instance = _refusals_as_403(
            lambda: services.onboarding_item_tick(
                item=item, done=done, note=data.get("note"), by=self.request.user
            )
        )


ROUTES: list = [
    ("tiers", TierViewSet, "tier"),
    ("onboarding-steps", OnboardingStepViewSet, "onboarding-step"),
    ("partner-agreements", PartnerAgreementViewSet, "partner-agreement"),
    ("onboarding-items", OnboardingItemViewSet, "onboarding-item"),
]
