"""Rendering a document: the placeholders' values for a record, the HTML from a template,
and the PDF from the HTML.

The context holds plain values only (never model instances), so a template cannot walk
to other records; dates and amounts are formatted in the template's language. WeasyPrint's
URL fetcher here fetches only inline `data:` URLs, so a template cannot make the server
fetch anything from the network or read files.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model
from django.template import Context, TemplateSyntaxError
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from allyance.core.models import Organisation, User
from allyance.core.money import format_money
from allyance.core.visibility import can_see
from allyance.orders.models import DocumentKind, DocumentTemplate
from allyance.orders.services.documents.templates import (
    document_title,
    template_engine,
    template_syntax_problem,
)

logger = logging.getLogger(__name__)

PRINT_STYLESHEET = Path(__file__).resolve().parent.parent.parent / "document_defaults" / "print.css"

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
