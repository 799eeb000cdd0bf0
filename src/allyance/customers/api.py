"""REST API for accounts and contacts."""

from rest_framework import serializers

from allyance.core.api import BusinessRecordSerializer, GatedModelViewSet, TagsField
from allyance.customers import selectors, services
from allyance.customers.filters import AccountFilter, ContactFilter
from allyance.customers.models import Account, Contact


class AccountSerializer(BusinessRecordSerializer):
    tags = TagsField(required=False)

    class Meta:
        model = Account
        fields = [
            "id",
            "kind",
            "name",
            "parent",
            "industry",
            "size_band",
            "country",
            "province",
            "city",
            "street",
            "postcode",
            "phone",
            "phone_alt",
            "email",
            "email_alt",
            "website",
            "tax_id",
            "source",
            "status",
            "territory",
            "owner",
            "organisation",
            "tags",
            "description",
            "custom_fields",
            "version",
            "created_at",
            "updated_at",
        ]


class ContactSerializer(BusinessRecordSerializer):
    tags = TagsField(required=False)
    full_name = serializers.CharField(read_only=True)

    class Meta:
        model = Contact
        fields = [
            "id",
            "family_name",
            "given_name",
            "full_name",
            "title",
            "department",
            "reports_to",
            "decision_role",
            "phone",
            "mobile",
            "email",
            "email_alt",
            "account",
            "other_accounts",
            "status",
            "owner",
            "organisation",
            "tags",
            "notes",
            "custom_fields",
            "version",
            "created_at",
            "updated_at",
        ]


class AccountViewSet(GatedModelViewSet):
    serializer_class = AccountSerializer
    filterset_class = AccountFilter
    ordering_fields = ["name", "updated_at", "created_at", "city"]
    # The API shows related records by id: joining them in would only build objects.
    selector = staticmethod(
        lambda user: (
            selectors.accounts_visible_to(user).select_related(None).prefetch_related("tags")
        )
    )
    save_service = staticmethod(services.account_save)
    service_arg = "account"


class ContactViewSet(GatedModelViewSet):
    serializer_class = ContactSerializer
    filterset_class = ContactFilter
    ordering_fields = ["family_name", "updated_at", "created_at"]
    selector = staticmethod(
        lambda user: (
            selectors.contacts_visible_to(user)
            .select_related(None)
            .prefetch_related("tags", "other_accounts")
        )
    )
    save_service = staticmethod(services.contact_save)
    service_arg = "contact"
