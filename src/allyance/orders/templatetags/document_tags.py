"""Template tags for the documents panel on quote, order and invoice pages."""

from __future__ import annotations

from django import template
from django.conf import settings

from allyance.orders.forms.documents import DocumentEmailForm, DocumentGenerateForm
from allyance.orders.selectors.documents import documents_of, record_type_of
from allyance.orders.services.documents import kinds_for, may_make_documents

register = template.Library()


@register.simple_tag(takes_context=True)
def documents_panel(context, record) -> dict:
    """The documents made for `record` that the user may see, and the forms to make more."""
    user = context["request"].user
    language = getattr(user, "language", "") or context.get("LANGUAGE_CODE") or "en"
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    kinds = kinds_for(record) if may_make_documents(user, record) else ()
    return {
        "documents": list(documents_of(user, record)[:100]),
        "record_type": record_type_of(record),
        "generate_form": DocumentGenerateForm(kinds=kinds, language=language),
        "email_form": DocumentEmailForm(),
        "can_email": bool(kinds),
        "can_generate": bool(kinds),
        "contact_email": getattr(getattr(record, "contact", None), "email", ""),
    }
