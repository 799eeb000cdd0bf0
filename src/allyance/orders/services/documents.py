"""Generated documents: proposals, quotes, sales contracts and invoices as PDF.

An administrator keeps one editable HTML template per kind and language. A template is
rendered with Django's template engine from a string, autoescaping every placeholder, and
against plain values only (never model instances, so a template cannot walk to other
records). WeasyPrint turns the HTML into an A4 PDF with Noto CJK fonts; its URL fetcher
refuses every network and file URL, so a template cannot make the server fetch anything.
The PDF is attached to the quote, order or invoice, and can be e-mailed to its contact by
the background worker.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Model
from django.template import Context, Engine, TemplateSyntaxError
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from allyance.core import audit
from allyance.core.attachments import attachment_add
from allyance.core.models import Organisation, User
from allyance.core.money import format_money
from allyance.core.visibility import can_see
from allyance.orders.models import DocumentKind, DocumentTemplate, GeneratedDocument

logger = logging.getLogger(__name__)

DEFAULTS_DIR = Path(__file__).resolve().parent.parent / "document_defaults"
PRINT_STYLESHEET = DEFAULTS_DIR / "print.css"

# Which documents fit which records (by model name).
KINDS_FOR_RECORD: dict[str, tuple[str, ...]] = {
    "quote": (DocumentKind.PROPOSAL, DocumentKind.QUOTE, DocumentKind.CONTRACT),
    "order": (DocumentKind.CONTRACT,),
    "invoice": (DocumentKind.INVOICE,),
}

# The fonts per language: the CJK face first for Chinese, Latin fallbacks after.
FONT_FAMILIES: dict[str, str] = {
    "zh-hans": '"Noto Sans CJK SC", "Noto Sans SC", "Noto Sans", "DejaVu Sans", sans-serif',
    "zh-hant": '"Noto Sans CJK TC", "Noto Sans TC", "Noto Sans", "DejaVu Sans", sans-serif',
    "en": '"Noto Sans", "DejaVu Sans", "Liberation Sans", "Noto Sans CJK SC", sans-serif',
}

# The placeholders a template may use, shown beside the template editor.
PLACEHOLDERS: list[tuple[str, str]] = [
    ("company.name", gettext_lazy("Your company (the record's organisation)")),
    ("document.title", gettext_lazy("The document's name: Quote, Sales contract…")),
    ("record.number", gettext_lazy("Number of the quote, order or invoice")),
    ("record.title", gettext_lazy("Title (quotes)")),
    ("record.type", gettext_lazy("Quote, Order or Invoice")),
    ("record.status", gettext_lazy("Status")),
    ("record.date", gettext_lazy("Date of the quote, order or invoice")),
    ("record.valid_until", gettext_lazy("Valid until (quotes)")),
    ("record.due_date", gettext_lazy("Due date (invoices)")),
    ("record.payment_terms_days", gettext_lazy("Payment terms in days (invoices)")),
    ("record.customer_reference", gettext_lazy("Customer reference (orders)")),
    ("record.shipping_address", gettext_lazy("Shipping address (orders)")),
    ("record.currency", gettext_lazy("Currency code")),
    ("record.terms", gettext_lazy("Terms")),
    ("record.notes", gettext_lazy("Notes")),
    ("account.name", gettext_lazy("Customer name")),
    ("account.address", gettext_lazy("Customer address")),
    ("account.phone", gettext_lazy("Customer phone")),
    ("account.email", gettext_lazy("Customer e-mail")),
    ("account.tax_id", gettext_lazy("Customer tax number (a custom field named tax_id)")),
    ("contact.name", gettext_lazy("Contact name")),
    ("contact.title", gettext_lazy("Contact job title")),
    ("contact.email", gettext_lazy("Contact e-mail")),
    ("contact.phone", gettext_lazy("Contact phone")),
    ("owner.name", gettext_lazy("Record owner")),
    ("owner.email", gettext_lazy("Owner e-mail")),
    ("owner.phone", gettext_lazy("Owner phone")),
    (
        "lines",
        gettext_lazy(
            "Lines, for {% for line in lines %}: line.position, line.description, "
            "line.quantity, line.unit, line.unit_price, line.discount, line.tax_rate, "
            "line.total"
        ),
    ),
    ("totals.subtotal", gettext_lazy("Subtotal")),
    ("totals.discount", gettext_lazy("Discount")),
    ("totals.tax", gettext_lazy("Tax")),
    ("totals.total", gettext_lazy("Total")),
    ("totals.has_discount", gettext_lazy("True when there is a discount")),
    ("today", gettext_lazy("Today's date")),
    ("language", gettext_lazy("The template's language code")),
]


# --- Templates ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def template_engine() -> Engine:
    """A template engine with autoescaping, no loaders and no extra tag libraries."""
    return Engine(dirs=[], app_dirs=False, loaders=[], libraries={}, autoescape=True, debug=False)


def template_syntax_problem(body: str) -> str | None:
    """Why `body` is not a valid template (with its line), or None when it compiles."""
    engine = Engine(dirs=[], app_dirs=False, loaders=[], autoescape=True, debug=True)
    try:
        engine.from_string(body)
    except TemplateSyntaxError as exc:
        info = getattr(exc, "template_debug", None)
        if info:
            return _("Line %(line)s: %(error)s") % {"line": info["line"], "error": exc}
        return str(exc)
    return None


def document_template_save(*, template: DocumentTemplate, by: User) -> DocumentTemplate:
    """Save a template an administrator edited; refuses a template that does not compile.

    Making it the default takes the flag from the kind and language's previous default.
    """
    _admin_only(by)
    problem = template_syntax_problem(template.body)
    if problem:
        raise ValidationError({"body": [problem]})
    if not template.active:
        template.is_default = False
    template.full_clean(validate_constraints=False)
    with audit.acting_as(by), transaction.atomic():
        if template.is_default:
            _clear_default(template)
        template.save()
    return template


def document_template_set_default(*, template: DocumentTemplate, by: User) -> DocumentTemplate:
    """Make an (active) template the one used for its kind and language."""
    _admin_only(by)
    with audit.acting_as(by), transaction.atomic():
        template = DocumentTemplate.objects.select_for_update().get(pk=template.pk)
        if not template.active:
            raise ValidationError(_("An inactive template cannot be the default."))
        _clear_default(template)
        template.is_default = True
        template.save()
    return template


def document_template_set_active(
    *, template: DocumentTemplate, active: bool, by: User
) -> DocumentTemplate:
    """Deactivate (no longer used nor offered; no longer the default) or reactivate."""
    _admin_only(by)
    with audit.acting_as(by), transaction.atomic():
        template = DocumentTemplate.objects.select_for_update().get(pk=template.pk)
        template.active = active
        if not active:
            template.is_default = False
        template.save()
    return template


def _clear_default(template: DocumentTemplate) -> None:
    others = DocumentTemplate.objects.select_for_update().filter(
        kind=template.kind, language=template.language, is_default=True
    )
    if template.pk:
        others = others.exclude(pk=template.pk)
    for other in others:
        other.is_default = False
        other.save(update_fields=["is_default", "updated_at"])


def _admin_only(user: User) -> None:
    if not user.is_admin:
        raise PermissionDenied(_("Only administrators change document templates."))


def default_template_body(kind: str, language: str) -> str:
    """The body of the template this product ships for a kind and language."""
    return (DEFAULTS_DIR / f"{kind}.{language}.html").read_text(encoding="utf-8")


def ensure_default_templates(model: type[Model] | None = None) -> int:
    """Create the shipped template for every kind and language that has no template at all.

    `model` is the historical model when called from a migration. Returns how many were made.
    """
    model = model or DocumentTemplate
    created = 0
    for kind, _label in DocumentKind.choices:
        for language, _name in settings.LANGUAGES:
            if model.objects.filter(kind=kind, language=language).exists():
                continue
            path = DEFAULTS_DIR / f"{kind}.{language}.html"
            if not path.exists():
                continue
            model.objects.create(
                kind=kind,
                language=language,
                name=_shipped_name(kind, language),
                body=path.read_text(encoding="utf-8"),
                is_default=True,
                active=True,
            )
            created += 1
    return created


SHIPPED_NAMES = {
    ("proposal", "en"): "Proposal",
    ("quote", "en"): "Quote",
    ("contract", "en"): "Sales contract",
    ("invoice", "en"): "Invoice",
    ("proposal", "zh-hans"): "方案建议书",
    ("quote", "zh-hans"): "报价单",
    ("contract", "zh-hans"): "销售合同",
    ("invoice", "zh-hans"): "发票",
    ("proposal", "zh-hant"): "方案建議書",
    ("quote", "zh-hant"): "報價單",
    ("contract", "zh-hant"): "銷售合約",
    ("invoice", "zh-hant"): "發票",
}


def _shipped_name(kind: str, language: str) -> str:
    return SHIPPED_NAMES.get((kind, language), f"{kind} ({language})")


def document_title(kind: str, language: str) -> str:
    """The document's name as it is printed and used in its file name: 报价单, Quote."""
    return SHIPPED_NAMES.get((kind, language), kind)


# --- Rendering ---------------------------------------------------------------------------


def kinds_for(record: Model) -> tuple[str, ...]:
    """The documents that can be made for a record: a quote's proposal, quote or contract,
    an order's contract, an invoice's invoice."""
    return KINDS_FOR_RECORD.get(record._meta.model_name, ())


def _date(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localdate(value)
    return formats.date_format(value, "DATE_FORMAT")


def _number(value: Decimal) -> str:
    value = Decimal(value)
    value = value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize()
    return formats.number_format(value, use_l10n=True, force_grouping=True)


def _percent(value: Decimal) -> str:
    return f"{_number(value)}%"


def _person(user: User | None) -> dict:
    if user is None:
        return {"name": "", "email": "", "phone": ""}
    return {"name": str(user), "email": user.email, "phone": user.phone}


def _address(account) -> str:
    parts = [account.street, account.city, account.province, account.postcode]
    separator = "" if translation.get_language() in ("zh-hans", "zh-hant") else ", "
    if separator == "":
        parts = [account.province, account.city, account.street, account.postcode]
        return " ".join(p for p in parts if p)
    return separator.join(p for p in parts if p)


def document_context(record: Model, *, kind: str, language: str) -> dict:
    """The documented placeholders for `record`, formatted in `language` (plain values only)."""
    with translation.override(language):
        money = lambda amount: format_money(amount, record.currency, language)  # noqa: E731
        model_name = record._meta.model_name
        date = {
            "quote": getattr(record, "created_at", None),
            "order": getattr(record, "order_date", None),
            "invoice": getattr(record, "issue_date", None),
        }.get(model_name)
        account = record.account
        contact = record.contact
        organisation = record.organisation if record.organisation_id else None
        company_name = (organisation or Organisation.company()).name
        custom = (account.custom_fields or {}) if account is not None else {}
        lines = [
            {
                "position": index,
                "description": line.description or str(line.product or ""),
                "sku": getattr(line.product, "sku", "") if line.product_id else "",
                "quantity": _number(line.quantity),
                "unit": line.unit,
                "unit_price": money(line.unit_price),
                "list_price": money(line.list_price),
                "discount": _percent(line.discount_percent) if line.discount_percent else "",
                "tax_rate": _percent(line.tax_rate),
                "subtotal": money(line.subtotal),
                "tax": money(line.tax_amount),
                "total": money(line.total),
            }
            for index, line in enumerate(
                record.lines.select_related("product").order_by("position", "id"), start=1
            )
        ]
        totals = {
            "subtotal": money(record.subtotal),
            "discount": money(record.discount_total),
            "discount_percent": _percent(record.discount_percent),
            "has_discount": bool(record.discount_total),
            "tax": money(record.tax_total),
            "total": money(record.total),
        }
        return {
            "language": language,
            "today": _date(timezone.localdate()),
            "company": {"name": company_name},
            "document": {"kind": kind, "title": document_title(kind, language)},
            "record": {
                "number": str(record),
                "type": str(record._meta.verbose_name).capitalize(),
                "title": getattr(record, "title", ""),
                "status": record.get_status_display(),
                "date": _date(date),
                "valid_until": _date(getattr(record, "valid_until", None)),
                "due_date": _date(getattr(record, "due_date", None)),
                "payment_terms_days": getattr(record, "payment_terms_days", ""),
                "customer_reference": getattr(record, "customer_reference", ""),
                "shipping_address": getattr(record, "shipping_address", ""),
                "currency": record.currency,
                "terms": getattr(record, "terms", ""),
                "notes": record.notes,
                **totals,
            },
            "account": {
                "name": account.name if account else "",
                "address": _address(account) if account else "",
                "phone": account.phone if account else "",
                "email": account.email if account else "",
                "tax_id": str(custom.get("tax_id", "") or ""),
            },
            "contact": {
                "name": contact.full_name if contact else "",
                "title": contact.title if contact else "",
                "email": contact.email if contact else "",
                "phone": (contact.phone or contact.mobile) if contact else "",
            },
            "owner": _person(record.owner),
            "lines": lines,
            "totals": totals,
        }


def document_render_html(body: str, context: dict) -> str:
    """The template's HTML for `context`; a template that fails is a ValidationError."""
    engine = template_engine()
    try:
        return engine.from_string(body).render(Context(context, autoescape=True))
    except TemplateSyntaxError as exc:
        raise ValidationError(_("The template has an error: %(error)s") % {"error": exc}) from exc
    except Exception as exc:  # e.g. {% include %} of a file: there are no loaders
        logger.warning("Document template failed to render: %s", exc)
        raise ValidationError(
            _("The template could not be rendered: %(error)s") % {"error": exc}
        ) from exc


def _offline_fetcher():
    """A WeasyPrint URL fetcher that fetches only inline `data:` URLs, nothing else."""
    from weasyprint.urls import URLFetcher

    class OfflineURLFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if not url.lower().startswith("data:"):
                logger.info("Document resource refused: %s", url[:200])
                raise ValueError(f"Document templates may not load {url[:200]}")
            return super().fetch(url, headers)

    return OfflineURLFetcher(allowed_protocols=("data",), allow_redirects=False, timeout=1)


def print_stylesheet(language: str) -> str:
    """The base print CSS: A4, margins, page numbers, the language's fonts."""
    css = PRINT_STYLESHEET.read_text(encoding="utf-8")
    fonts = FONT_FAMILIES.get(language, FONT_FAMILIES["en"])
    return css.replace("/*FONTS*/", fonts)


def document_pdf(html: str, *, language: str) -> bytes:
    """The PDF of a rendered template, with nothing fetched from outside."""
    from weasyprint import CSS, HTML

    fetcher = _offline_fetcher()
    stylesheet = CSS(string=print_stylesheet(language), url_fetcher=fetcher)
    return HTML(string=html, url_fetcher=fetcher, base_url=None).write_pdf(stylesheets=[stylesheet])


def template_for(kind: str, language: str) -> DocumentTemplate:
    """The active default template for a kind and language, or a clear error."""
    ensure_default_templates()
    template = DocumentTemplate.objects.filter(
        kind=kind, language=language, is_default=True, active=True
    ).first()
    if template is None:
        raise ValidationError(
            {
                "template": [
                    _(
                        "There is no active default template for %(kind)s in %(language)s; "
                        "an administrator can set one under Document templates."
                    )
                    % {
                        "kind": dict(DocumentKind.choices)[kind],
                        "language": dict(settings.LANGUAGES)[language],
                    }
                ]
            }
        )
    return template


def document_preview_pdf(*, template: DocumentTemplate, record: Model | None, by: User) -> bytes:
    """A template's PDF for a record `by` sees, or for made-up sample data."""
    if record is not None and not can_see(by, record):
        raise PermissionDenied
    problem = template_syntax_problem(template.body)
    if problem:
        raise ValidationError({"body": [problem]})
    if record is None:
        context = sample_context(kind=template.kind, language=template.language)
    else:
        context = document_context(record, kind=template.kind, language=template.language)
    with translation.override(template.language):
        html = document_render_html(template.body, context)
    return document_pdf(html, language=template.language)


def sample_context(*, kind: str, language: str) -> dict:
    """Made-up values to preview a template without a record."""
    chinese = language in ("zh-hans", "zh-hant")
    with translation.override(language):
        money = lambda amount: format_money(Decimal(amount), "CNY", language)  # noqa: E731
        totals = {
            "subtotal": money("12000"),
            "discount": money("600"),
            "discount_percent": "5%",
            "has_discount": True,
            "tax": money("1482"),
            "total": money("12882"),
        }
        today = _date(timezone.localdate())
        return {
            "language": language,
            "today": today,
            "company": {"name": Organisation.company().name},
            "document": {"kind": kind, "title": document_title(kind, language)},
            "record": {
                "number": "Q-2026-00001",
                "type": _("Quote"),
                "title": "ERP" if not chinese else "企业资源计划",
                "status": _("Draft"),
                "date": today,
                "valid_until": _date(timezone.localdate() + dt.timedelta(days=30)),
                "due_date": _date(timezone.localdate() + dt.timedelta(days=30)),
                "payment_terms_days": 30,
                "customer_reference": "PO-778",
                "shipping_address": "上海市浦东新区世纪大道 100 号" if chinese else "1 Main St",
                "currency": "CNY",
                "terms": _("Payment within 30 days of the invoice."),
                "notes": "",
                **totals,
            },
            "account": {
                "name": "上海华东贸易有限公司" if chinese else "Example Trading Ltd.",
                "address": "上海市浦东新区世纪大道 100 号" if chinese else "1 Main St, Springfield",
                "phone": "+86 21 5555 0100",
                "email": "info@example.com",
                "tax_id": "91310000000000000X",
            },
            "contact": {
                "name": "王伟" if chinese else "Jane Doe",
                "title": "",
                "email": "contact@example.com",
                "phone": "+86 138 0000 0000",
            },
            "owner": {"name": "Sales", "email": "sales@example.com", "phone": ""},
            "lines": [
                {
                    "position": 1,
                    "description": "Server" if not chinese else "服务器",
                    "sku": "SRV-1",
                    "quantity": "2",
                    "unit": "pc",
                    "unit_price": money("5000"),
                    "list_price": money("5000"),
                    "discount": "5%",
                    "tax_rate": "13%",
                    "subtotal": money("10000"),
                    "tax": money("1235"),
                    "total": money("10735"),
                },
                {
                    "position": 2,
                    "description": "Installation" if not chinese else "安装服务",
                    "sku": "",
                    "quantity": "1",
                    "unit": "",
                    "unit_price": money("2000"),
                    "list_price": money("2000"),
                    "discount": "5%",
                    "tax_rate": "13%",
                    "subtotal": money("2000"),
                    "tax": money("247"),
                    "total": money("2147"),
                },
            ],
            "totals": totals,
        }


# --- Generating and e-mailing ------------------------------------------------------------


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
    if record is None or record.pk is None or not can_see(by, record):
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
    if record is None or not can_see(by, record):
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
        document = (
            GeneratedDocument.objects.select_for_update()
            .select_related("attachment")
            .filter(pk=document_id)
            .first()
        )
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
