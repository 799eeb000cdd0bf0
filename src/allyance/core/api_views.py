"""REST API for organisations, users, teams, territories and the user's own API token."""

from __future__ import annotations

from rest_framework import mixins, serializers, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from allyance.core import selectors, services_admin
from allyance.core.models import Organisation, Team, Territory, User
from allyance.core.permissions import AdminWritesOnly, PartnerAdminManagesOwnUsers


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
            "shares_with_parent",
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

    def get_fields(self):
        """Offer only organisations and accounts the requesting user may see."""
        from allyance.core.visibility import visible_to
        from allyance.customers.models import Account

        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            fields["organisation"].queryset = selectors.organisations_visible_to(request.user)
            fields["customer_account"].queryset = visible_to(request.user, Account.objects.all())
        return fields


class TeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name", "manager", "members"]


class TerritorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Territory
        fields = ["id", "name", "parent", "description", "members"]


class ServiceWritesMixin:
    """Creates and updates go through `save_service(instance, by, members)`, deletes through
    `delete_service(instance, by)`, so the API keeps the same rules as the web pages."""

    def save_service(self, instance, *, by, members):
        raise NotImplementedError

    def delete_service(self, instance, *, by):
        raise NotImplementedError

    def _save(self, serializer, instance=None) -> None:
        data = dict(serializer.validated_data)
        members = data.pop("members", None)
        if instance is None:
            instance = serializer.Meta.model()
        for name, value in data.items():
            setattr(instance, name, value)
        serializer.instance = self.save_service(instance, by=self.request.user, members=members)

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    def perform_destroy(self, instance):
        self.delete_service(instance, by=self.request.user)


class OrganisationViewSet(ServiceWritesMixin, viewsets.ModelViewSet):
    queryset = Organisation.objects.none()  # for the schema; rows come from get_queryset
    serializer_class = OrganisationSerializer
    permission_classes = [AdminWritesOnly]
    filterset_fields = ["kind", "partner_type", "status"]
    ordering_fields = ["name", "updated_at"]
    pagination_class = None

    def get_queryset(self):
        return selectors.organisations_visible_to(self.request.user).order_by("name")

    def save_service(self, instance, *, by, members):
        return services_admin.organisation_save(organisation=instance, by=by)

    def delete_service(self, instance, *, by):
        services_admin.organisation_delete(organisation=instance, by=by)


class UserViewSet(viewsets.ModelViewSet):
    queryset = User.objects.none()  # for the schema; rows come from get_queryset
    serializer_class = UserSerializer
    permission_classes = [PartnerAdminManagesOwnUsers]
    filterset_fields = ["organisation", "role", "is_active"]
    ordering_fields = ["username", "last_name"]
    pagination_class = None

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


class TeamViewSet(ServiceWritesMixin, viewsets.ModelViewSet):
    queryset = Team.objects.none()  # for the schema; rows come from get_queryset
    serializer_class = TeamSerializer
    permission_classes = [AdminWritesOnly]
    pagination_class = None

    def get_queryset(self):
        return selectors.teams_visible_to(self.request.user).prefetch_related("members")

    def save_service(self, instance, *, by, members):
        return services_admin.team_save(team=instance, by=by, members=members)

    def delete_service(self, instance, *, by):
        services_admin.team_delete(team=instance, by=by)


class TerritoryViewSet(ServiceWritesMixin, viewsets.ModelViewSet):
    queryset = Territory.objects.none()  # for the schema; rows come from get_queryset
    serializer_class = TerritorySerializer
    permission_classes = [AdminWritesOnly]
    filterset_fields = ["parent"]
    pagination_class = None

    def get_queryset(self):
        return selectors.territories_visible_to(self.request.user).prefetch_related("members")

    def save_service(self, instance, *, by, members):
        return services_admin.territory_save(territory=instance, by=by, members=members)

    def delete_service(self, instance, *, by):
        services_admin.territory_delete(territory=instance, by=by)


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

    queryset = Token.objects.none()  # for the schema; rows come from get_queryset
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
