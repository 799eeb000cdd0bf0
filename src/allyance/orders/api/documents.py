"""REST API for document templates and generated documents (PDFs of quotes, orders, invoices).

Templates: staff read, administrators write, partners are refused. Generated documents:
visible when their record is; `generate` makes one, `email` sends one to the contact.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response

from allyance.orders.models import DocumentKind, DocumentTemplate, GeneratedDocument
from allyance.orders.selectors import documents as selectors
from allyance.orders.services import documents as services


class StaffReadsAdminsWrite(BasePermission):
    """Company data: staff read it, administrators change it, partners and customers neither."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated or not user.is_internal:
            return False
        return request.method in SAFE_METHODS or user.is_admin


class DocumentTemplateSerializer(serializers.ModelSerializer):
    class Meta:
        model = DocumentTemplate
        fields = ["id", "kind", "language", "name", "body", "is_default", "active", "updated_at"]
        read_only_fields = ["updated_at"]
        # One default per kind and language: the service moves the flag instead of refusing.
        validators = []


class DocumentTemplateViewSet(viewsets.ModelViewSet):
    """Document templates per kind and language; a template that does not compile is a 400."""

    serializer_class = DocumentTemplateSerializer
    permission_classes = [StaffReadsAdminsWrite]
    filterset_fields = ["kind", "language", "is_default", "active"]
    ordering_fields = ["kind", "language", "name", "updated_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return DocumentTemplate.objects.none()
        return selectors.document_templates_visible_to(self.request.user)

    def _save(self, serializer, instance=None):
        template = instance or DocumentTemplate(is_default=False)
        for name, value in serializer.validated_data.items():
            setattr(template, name, value)
        serializer.instance = services.document_template_save(
            template=template, by=self.request.user
        )

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    def perform_destroy(self, instance):
        # Documents made from it keep their PDF; a deleted template is simply gone.
        services.document_template_set_active(template=instance, active=False, by=self.request.user)


class GeneratedDocumentSerializer(serializers.ModelSerializer):
    record_type = serializers.SerializerMethodField()
    record_id = serializers.SerializerMethodField()
    file = serializers.SerializerMethodField()
    file_name = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = GeneratedDocument
        fields = [
            "id",
            "kind",
            "language",
            "template",
            "record_type",
            "record_id",
            "file",
            "file_name",
            "download_url",
            "created_by",
            "created_at",
            "emailed_to",
            "emailed_at",
        ]
        read_only_fields = fields

    def get_record_type(self, document) -> str:
        return document.content_type.model

    def get_record_id(self, document) -> int:
        return int(document.object_id)

    def get_file(self, document) -> int | None:
        return document.attachment_id

    def get_file_name(self, document) -> str:
        return document.attachment.name if document.attachment_id else ""

    def get_download_url(self, document) -> str | None:
        if not document.attachment_id:
            return None
        url = reverse("core:attachment-download", args=[document.attachment_id])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class DocumentGenerateSerializer(serializers.Serializer):
    record_type = serializers.ChoiceField(choices=list(selectors.DOCUMENT_RECORD_MODELS))
    record_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    kind = serializers.ChoiceField(choices=DocumentKind.choices)
    language = serializers.ChoiceField(choices=settings.LANGUAGES, required=False)
    template = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="A template id (optional)."
    )


class DocumentEmailSerializer(serializers.Serializer):
    to = serializers.ListField(
        child=serializers.EmailField(), required=False, max_length=20, allow_empty=True
    )
    message = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class DocumentEmailResultSerializer(serializers.Serializer):
    queued_to = serializers.ListField(child=serializers.EmailField())


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "record_type",
                OpenApiTypes.STR,
                enum=list(selectors.DOCUMENT_RECORD_MODELS),
                description="Only documents of this kind of record (with record_id).",
            ),
            OpenApiParameter("record_id", OpenApiTypes.INT, description="The record's id."),
        ]
    )
)
class GeneratedDocumentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """PDFs made for the quotes, orders and invoices the user may see."""

    serializer_class = GeneratedDocumentSerializer
    filterset_fields = ["kind", "language"]
    ordering_fields = ["created_at"]
    ordering = ["-created_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return GeneratedDocument.objects.none()
        documents = selectors.documents_visible_to(self.request.user)
        record_type = self.request.query_params.get("record_type")
        record_id = self.request.query_params.get("record_id")
        if record_type or record_id:
            model = selectors.DOCUMENT_RECORD_MODELS.get(str(record_type or "").lower())
            if model is None or not str(record_id or "").isdigit():
                raise ValidationError(
                    {"record_type": ["Give record_type (quote, order, invoice) and record_id."]}
                )
            documents = documents.filter(
                content_type=ContentType.objects.get_for_model(model), object_id=str(record_id)
            )
        return documents

    @extend_schema(
        request=DocumentGenerateSerializer,
        responses={201: GeneratedDocumentSerializer},
        filters=False,
    )
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def generate(self, request):
        """Make a PDF for a quote (proposal, quote, contract), order (contract) or invoice."""
        data = DocumentGenerateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        record = selectors.document_record_or_404(
            request.user, values["record_type"], values["record_id"]
        )
        template = None
        if values.get("template"):
            template = (
                selectors.document_templates_visible_to(request.user)
                .filter(pk=values["template"], active=True)
                .first()
            )
            if template is None:
                raise NotFound("No such active template.")
        try:
            document = services.document_generate(
                record,
                kind=values["kind"],
                by=request.user,
                language=values.get("language"),
                template=template,
            )
        except DjangoPermissionDenied as exc:
            raise NotFound from exc
        return Response(
            GeneratedDocumentSerializer(document, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        request=DocumentEmailSerializer,
        responses={202: DocumentEmailResultSerializer},
        filters=False,
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def email(self, request, pk=None):
        """E-mail the PDF to the record's contact, or to `to`; sent by the background worker."""
        document = self.get_object()
        data = DocumentEmailSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            addresses = services.document_email(
                document,
                by=request.user,
                to=data.validated_data.get("to") or None,
                message=data.validated_data.get("message", ""),
            )
        except DjangoPermissionDenied as exc:
            raise NotFound from exc
        return Response({"queued_to": addresses}, status=status.HTTP_202_ACCEPTED)
