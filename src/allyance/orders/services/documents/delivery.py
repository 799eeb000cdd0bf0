"""Making a document for a quote, order or invoice and e-mailing it to the contact.

The PDF is attached to the record (so whoever sees the record can download it) and a
GeneratedDocument row records what was made, by whom, and where and when it was e-mailed.
E-mail goes out from the background worker after the commit.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Model
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from allyance.core import audit
from allyance.core.attachments import attachment_add
from allyance.core.models import Organisation, User
from allyance.core.visibility import can_see
from allyance.orders.models import DocumentTemplate, GeneratedDocument
from allyance.orders.services.documents.rendering import (
    document_context,
    document_pdf,
    document_render_html,
    kinds_for,
)
from allyance.orders.services.documents.templates import document_title, template_for

logger = logging.getLogger(__name__)


def may_make_documents(user: User, record: Model | None) -> bool:
    """Staff and partner users make and send documents for the records they see; portal
    customers read them only."""
    if record is None or record.pk is None or user.is_customer:
        return False
    return can_see(user, record)


def document_file_name(record: Model, kind: str, language: str) -> str:
    """`Q-2026-00012 报价单.pdf`."""
    return f"{record} {document_title(kind, language)}.pdf"


def document_generate(
    record: Model,
    *,
    kind: str,
    by: User,
    language: str | None = None,
    template: DocumentTemplate | None = None,
) -> GeneratedDocument:
    """Make a document's PDF for a quote, order or invoice `by` sees, attach it, record it.

    The template is the given one (active, of the kind) or the kind's default in the given
    language, else in the user's language.
    """
    if not may_make_documents(by, record):
        raise PermissionDenied(_("You cannot make documents for this record."))
    if kind not in kinds_for(record):
        raise ValidationError({"kind": [_("This document cannot be made for this record.")]})
    languages = dict(settings.LANGUAGES)
    if template is not None:
        if not template.active or template.kind != kind:
            raise ValidationError(
                {"template": [_("This template is inactive or is for another document.")]}
            )
        language = template.language
    else:
        language = language or by.language or settings.LANGUAGE_CODE
        if language not in languages:
            raise ValidationError({"language": [_("Choose one of the offered languages.")]})
        template = template_for(kind, language)
    context = document_context(record, kind=kind, language=language)
    with translation.override(language):
        html = document_render_html(template.body, context)
    pdf = document_pdf(html, language=language)
    upload = SimpleUploadedFile(
        document_file_name(record, kind, language), pdf, content_type="application/pdf"
    )
    with audit.acting_as(by), transaction.atomic():
        attachment = attachment_add(target=record, uploaded_file=upload, by=by)
        return GeneratedDocument.objects.create(
            kind=kind,
            template=template,
            language=language,
            content_type=ContentType.objects.get_for_model(record),
            object_id=str(record.pk),
            attachment=attachment,
            created_by=by,
        )


def _addresses(to) -> list[str]:
    if isinstance(to, str):
        to = to.replace(";", ",").split(",")
    addresses = [address.strip() for address in to or [] if address and address.strip()]
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError as exc:
            raise ValidationError(
                {"to": [_("%(address)s is not an e-mail address.") % {"address": address}]}
            ) from exc
    return addresses


def document_email(
    document: GeneratedDocument, *, by: User, to=None, message: str = ""
) -> list[str]:
    """Queue the document's PDF to be e-mailed to the record's contact (or to `to`).

    The worker sends it after the commit and records where and when; a quote e-mailed this
    way is marked sent when its state allows. Returns the addresses.
    """
    record = document.target
    if not may_make_documents(by, record):
        raise PermissionDenied(_("You cannot e-mail this document."))
    if document.attachment_id is None:
        raise ValidationError(_("The PDF of this document was deleted; generate it again."))
    addresses = _addresses(to)
    if not addresses:
        contact = record.contact
        if contact is None:
            raise ValidationError({"to": [_("This record has no contact to e-mail it to.")]})
        if not contact.email:
            raise ValidationError(
                {
                    "to": [
                        _("The contact %(name)s has no e-mail address.")
                        % {"name": contact.full_name}
                    ]
                }
            )
        addresses = [contact.email]
    if len(addresses) > 20:
        raise ValidationError({"to": [_("Send it to at most 20 addresses at once.")]})
    requested_at = timezone.now().isoformat()

    def enqueue() -> None:
        from allyance.orders.tasks.documents import document_email_task

        document_email_task.enqueue(document.pk, addresses, message[:5000], by.pk, requested_at)

    transaction.on_commit(enqueue)
    return addresses


def document_email_send(
    *, document_id: int, to: list[str], message: str, by_id: int | None, requested_at: str
) -> bool:
    """Send one queued e-mail with the PDF attached; True when it went out now.

    A second run for the same request finds it already sent and does nothing.
    """
    from allyance.core.notifications import in_language_of, notification_send

    requested = dt.datetime.fromisoformat(requested_at)
    by = User.objects.filter(pk=by_id).first() if by_id else None
    with transaction.atomic():
        # Locked alone: PostgreSQL cannot lock the nullable side of the attachment's join.
        document = GeneratedDocument.objects.select_for_update().filter(pk=document_id).first()
        if document is None or document.attachment is None:
            return False
        if document.emailed_at is not None and document.emailed_at >= requested:
            return False
        record = document.target
        number = str(record) if record is not None else ""
        title = document_title(document.kind, document.language)
        with translation.override(document.language):
            subject = f"{title} {number}".strip()
            company = (
                record.organisation.name
                if record is not None and record.organisation_id
                else Organisation.company().name
            )
            body = message.strip() or _(
                "Please find attached %(document)s %(number)s from %(company)s."
            ) % {"document": title, "number": number, "company": company}
        reply_to = [by.email] if by is not None and by.email else None
        email = EmailMessage(subject=subject, body=body, to=to, reply_to=reply_to)
        with document.attachment.file.open("rb") as handle:
            email.attach(document.attachment.name, handle.read(), "application/pdf")
        try:
            email.send()
        except Exception as exc:  # the mail server is the operator's to fix; tell the sender
            logger.warning("Document %s not e-mailed: %s", document_id, exc)
            if by is not None:
                with in_language_of(by):
                    notification_send(
                        recipient=by,
                        message=_("%(document)s %(number)s could not be e-mailed: %(error)s")
                        % {"document": title, "number": number, "error": exc},
                        kind="document",
                    )
            return False
        document.emailed_to = ", ".join(to)[:500]
        document.emailed_at = timezone.now()
        with audit.acting_as(by):
            document.save(update_fields=["emailed_to", "emailed_at"])
    if record is not None and record._meta.model_name == "quote":
        _mark_quote_sent(record, by=by, title=title)
    return True


def _mark_quote_sent(quote, *, by: User | None, title: str) -> None:
    """Mark an e-mailed quote sent when the quote service allows it; say why not otherwise."""
    from allyance.core.notifications import in_language_of, notification_send

    try:
        from allyance.orders.services import quotes as quote_services
    except ImportError:
        return
    mark_sent = getattr(quote_services, "quote_mark_sent", None)
    if mark_sent is None or by is None:
        return
    quote = type(quote)._default_manager.get(pk=quote.pk)
    if quote.status not in ("draft", "pending_approval", "approved"):
        return  # already sent, decided or superseded: nothing to mark
    try:
        mark_sent(quote=quote, by=by)
    except (ValidationError, PermissionDenied) as exc:
        reason = " ".join(getattr(exc, "messages", [str(exc)]))
        with in_language_of(by):
            notification_send(
                recipient=by,
                message=_(
                    "%(document)s %(number)s was e-mailed, but the quote was not marked "
                    "sent: %(reason)s"
                )
                % {"document": title, "number": quote, "reason": reason},
                url=_record_url(quote),
                kind="document",
            )


def _record_url(record: Model) -> str:
    try:
        return record.get_absolute_url()
    except Exception:  # the record page is built by another part
        return ""
