"""Reads of document templates and generated documents, through the visibility gate.

A generated document is visible exactly when the quote, order or invoice it was made for
is visible; templates are company data that staff read and partners never see.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Model, Q, QuerySet
from django.db.models.functions import Cast
from django.http import Http404

from allyance.core.visibility import can_see, get_visible_or_404, visibility_filter, visible_to
from allyance.orders.models import DocumentTemplate, GeneratedDocument, Invoice, Order, Quote

# The records documents are made for, by the name the URLs and the API use.
DOCUMENT_RECORD_MODELS: dict[str, type[Model]] = {
    "quote": Quote,
    "order": Order,
    "invoice": Invoice,
}


def document_templates_visible_to(user) -> QuerySet[DocumentTemplate]:
    """Every template for staff; nothing for partners and portal customers."""
    if user is None or not user.is_authenticated or not user.is_active or not user.is_internal:
        return DocumentTemplate.objects.none()
    return DocumentTemplate.objects.all()


def documents_visible_to(user) -> QuerySet[GeneratedDocument]:
    """The generated documents whose quote, order or invoice `user` may see."""
    documents = GeneratedDocument.objects.select_related(
        "attachment", "created_by", "template", "content_type"
    )
    if user is None or not user.is_authenticated or not user.is_active:
        return documents.none()
    condition = Q(pk__in=[])
    for model in DOCUMENT_RECORD_MODELS.values():
        content_type = ContentType.objects.get_for_model(model)
        if visibility_filter(user, model) is None:
            condition |= Q(content_type=content_type)
            continue
        visible_ids = (
            visible_to(user, model._default_manager.all())
            .annotate(document_object_id=Cast("pk", CharField()))
            .values("document_object_id")
        )
        condition |= Q(content_type=content_type, object_id__in=visible_ids)
    return documents.filter(condition)


def documents_of(user, record: Model) -> QuerySet[GeneratedDocument]:
    """The documents made for one record, newest first; none when `user` cannot see it."""
    documents = GeneratedDocument.objects.select_related("attachment", "created_by", "template")
    if record is None or record.pk is None or not can_see(user, record):
        return documents.none()
    return documents.filter(
        content_type=ContentType.objects.get_for_model(record), object_id=str(record.pk)
    ).order_by("-created_at", "-id")


def document_record_or_404(user, record_type: str, record_id) -> Model:
    """The quote, order or invoice `user` may see, or 404 (another partner's is unknown)."""
    model = DOCUMENT_RECORD_MODELS.get(str(record_type or "").lower())
    if model is None:
        raise Http404
    return get_visible_or_404(user, model._default_manager.all(), pk=record_id)


def record_type_of(record: Model) -> str:
    return record._meta.model_name
