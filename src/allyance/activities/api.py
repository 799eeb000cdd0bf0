"""REST API for activities."""

from django.db import transaction
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from allyance.activities import selectors, services, services_invitations
from allyance.activities.filters import ActivityFilter
from allyance.activities.models import Activity, ActivityInvitee
from allyance.core.api import BusinessRecordSerializer, GatedModelViewSet
from allyance.core.models import User
from allyance.customers.models import Contact


class ActivityInviteeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ActivityInvitee
        fields = ["id", "user", "contact", "response", "invited_at"]
        read_only_fields = fields


class ActivitySerializer(BusinessRecordSerializer):
    invitees = serializers.SerializerMethodField()
    invite_users = serializers.PrimaryKeyRelatedField(
        many=True,
        queryset=User.objects.filter(is_active=True),
        required=False,
        write_only=True,
        help_text="Meetings: the internal users invited (replaces the list; they are notified).",
    )
    invite_contacts = serializers.PrimaryKeyRelatedField(
        many=True,
        queryset=Contact.objects.all(),
        required=False,
        write_only=True,
        help_text="Meetings: the contacts invited (replaces the list; they get an e-mail).",
    )

    class Meta:
        model = Activity
        fields = [
            "id",
            "kind",
            "subject",
            "body",
            "starts_at",
            "ends_at",
            "due_at",
            "location",
            "remind_at",
            "reminded_at",
            "status",
            "priority",
            "outcome",
            "completed_at",
            "account",
            "contact",
            "owner",
            "organisation",
            "invitees",
            "invite_users",
            "invite_contacts",
            "custom_fields",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["completed_at", "reminded_at"]

    @extend_schema_field(ActivityInviteeSerializer(many=True))
    def get_invitees(self, activity: Activity):
        return ActivityInviteeSerializer(activity.invitees.all(), many=True).data

    def validate(self, attrs):
        attrs = super().validate(attrs)
        kind = attrs.get("kind", getattr(self.instance, "kind", Activity.Kind.TASK))
        if (attrs.get("invite_users") or attrs.get("invite_contacts")) and (
            kind != Activity.Kind.MEETING
        ):
            raise serializers.ValidationError({"invite_users": "Only meetings have invitees."})
        return attrs


class ActivityViewSet(GatedModelViewSet):
    serializer_class = ActivitySerializer
    filterset_class = ActivityFilter
    ordering_fields = ["created_at", "updated_at", "due_at", "starts_at"]
    selector = staticmethod(selectors.activities_visible_to)
    save_service = staticmethod(services.activity_save)
    service_arg = "activity"

    def get_queryset(self):
        return super().get_queryset().prefetch_related("invitees")

    def _save(self, serializer, instance=None):
        invited = {
            name: serializer.validated_data.pop(name)
            for name in ("invite_users", "invite_contacts")
            if name in serializer.validated_data
        }
        with transaction.atomic():  # the activity and its invitees, or neither
            super()._save(serializer, instance)
            if invited:
                self._save_invitees(serializer, invited)

    def _save_invitees(self, serializer, invited: dict) -> None:
        if invited:
            activity = serializer.instance
            current = list(activity.invitees.all())
            services_invitations.activity_invitees_set(
                activity=activity,
                users=invited.get(
                    "invite_users", [i.user for i in current if i.user_id is not None]
                ),
                contacts=invited.get(
                    "invite_contacts", [i.contact for i in current if i.contact_id is not None]
                ),
                by=self.request.user,
            )
            serializer.instance = Activity.objects.prefetch_related("invitees").get(pk=activity.pk)
