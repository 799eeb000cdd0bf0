"""REST API for organisations, users, teams, territories and the user's own API token."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from allyance.core import selectors, services_admin
from allyance.core.models import PARTNER_ROLES, Organisation, Role, Team, Territory, User
from allyance.core.permissions import AdminWritesOnly


class OrganisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = [
            "id",
            "name",
            "kind",
            "partner_type",
            "tier",
            "status",
            "parent",
            "channel_manager",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["kind", "created_at", "updated_at"]


class UserSerializer(serializers.ModelSerializer):
    password = serializers.CharField(write_only=True, required=False, min_length=8, max_length=128)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "email",
            "organisation",
            "role",
            "customer_account",
            "language",
            "time_zone",
            "phone",
            "is_active",
            "password",
        ]

    def validate(self, attrs):
        request = self.context["request"]
        actor = request.user
        if actor.role == Role.PARTNER_ADMIN:
            attrs["organisation"] = actor.organisation
            if attrs.get("role", Role.PARTNER_USER) not in PARTNER_ROLES:
                raise serializers.ValidationError(
                    {"role": "Partner admins assign partner roles only."}
                )
        if attrs.get("password"):
            validate_password(attrs["password"])
        return attrs


class TeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name", "manager", "members"]


class TerritorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Territory
        fields = ["id", "name", "parent", "description", "members"]

    def validate_parent(self, parent):
        if parent is not None and self.instance is not None:
            node = parent
            while node is not None:
                if node.pk == self.instance.pk:
                    raise serializers.ValidationError("A territory cannot sit under itself.")
                node = node.parent
        return parent


class OrganisationViewSet(viewsets.ModelViewSet):
    serializer_class = OrganisationSerializer
    permission_classes = [AdminWritesOnly]
    filterset_fields = ["kind", "partner_type", "status"]
    ordering_fields = ["name", "updated_at"]
    pagination_class = None

    def get_queryset(self):
        return selectors.organisations_visible_to(self.request.user).order_by("name")


class UserViewSet(viewsets.ModelViewSet):
    serializer_class = UserSerializer
    filterset_fields = ["organisation", "role", "is_active"]
    ordering_fields = ["username", "last_name"]
    pagination_class = None

    def get_permissions(self):
        from allyance.core.permissions import PartnerAdminManagesOwnUsers

        return [PartnerAdminManagesOwnUsers()]

    def get_queryset(self):
        return selectors.users_visible_to(self.request.user).order_by("username")

    def perform_create(self, serializer):
        serializer.instance = services_admin.user_save(
            data=serializer.validated_data, by=self.request.user
        )

    def perform_update(self, serializer):
        serializer.instance = services_admin.user_save(
            data=serializer.validated_data, by=self.request.user, user=serializer.instance
        )

    def perform_destroy(self, instance):
        services_admin.user_deactivate(user=instance, by=self.request.user)


class TeamViewSet(viewsets.ModelViewSet):
    serializer_class = TeamSerializer
    permission_classes = [AdminWritesOnly]
    pagination_class = None

    def get_queryset(self):
        return selectors.teams_visible_to(self.request.user).prefetch_related("members")


class TerritoryViewSet(viewsets.ModelViewSet):
    serializer_class = TerritorySerializer
    permission_classes = [AdminWritesOnly]
    filterset_fields = ["parent"]
    pagination_class = None

    def get_queryset(self):
        return selectors.territories_visible_to(self.request.user).prefetch_related("members")


class TokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = Token
        fields = ["key", "created"]
        read_only_fields = ["key", "created"]


class TokenViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The user's own API token: create (or replace) it, read it, revoke it."""

    serializer_class = TokenSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = None
    lookup_field = "key"
    filter_backends = []

    def get_queryset(self):
        return Token.objects.filter(user=self.request.user)

    def create(self, request, *args, **kwargs):
        token = services_admin.token_renew(user=request.user)
        return Response(TokenSerializer(token).data, status=status.HTTP_201_CREATED)
