"""Generated documents: proposals, quotes, sales contracts and invoices as PDF.

An administrator keeps one editable HTML template per kind and language (`templates`);
a template is rendered against a record's plain values and turned into an A4 PDF with
Noto CJK fonts, fetching nothing from outside (`rendering`); the PDF is attached to the
quote, order or invoice and can be e-mailed to its contact by the worker (`delivery`).
"""

from allyance.orders.services.documents.delivery import (
    document_email,
    document_email_send,
    document_file_name,
    document_generate,
    may_make_documents,
)
from allyance.orders.services.documents.rendering import (
    FONT_FAMILIES,
    KINDS_FOR_RECORD,
    PLACEHOLDERS,
    document_context,
    document_pdf,
    document_preview_pdf,
    document_render_html,
    kinds_for,
    print_stylesheet,
    sample_context,
)
from allyance.orders.services.documents.templates import (
    SHIPPED_NAMES,
    default_template_body,
    document_template_save,
    document_template_set_active,
    document_template_set_default,
    document_title,
    ensure_default_templates,
    template_engine,
    template_for,
    template_syntax_problem,
)

__all__ = [
    "FONT_FAMILIES",
    "KINDS_FOR_RECORD",
    "PLACEHOLDERS",
    "SHIPPED_NAMES",
    "default_template_body",
    "document_context",
    "document_email",
    "document_email_send",
    "document_file_name",
    "document_generate",
    "document_pdf",
    "document_preview_pdf",
    "document_render_html",
    "document_template_save",
    "document_template_set_active",
    "document_template_set_default",
    "document_title",
    "ensure_default_templates",
    "kinds_for",
    "may_make_documents",
    "print_stylesheet",
    "sample_context",
    "template_engine",
    "template_for",
    "template_syntax_problem",
]
