"""Generated documents: proposals, quotes, sales contracts and invoices as PDF from editable
templates, attached to the record, downloadable by who sees it, e-mailed to the contact."""

from __future__ import annotations

import socket
import subprocess
import tempfile
from decimal import Decimal
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from allyance.core.models import Attachment, Notification, Role
from allyance.orders.models import DocumentTemplate, GeneratedDocument
from allyance.orders.services import documents as services
from allyance.orders.services.lines import recalculate
from tests.factories import (
    AccountFactory,
    ContactFactory,
    InvoiceFactory,
    OrderFactory,
    OrderLineFactory,
    QuoteFactory,
    QuoteLineFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(data)
        handle.flush()
        result = subprocess.run(
            ["pdftotext", "-layout", handle.name, "-"], capture_output=True, check=True
        )
    return result.stdout.decode()


def attachment_bytes(document: GeneratedDocument) -> bytes:
    with document.attachment.file.open("rb") as handle:
        return handle.read()


def chinese_quote(*, owner, organisation=None, contact_email="wang.wei@example.com", **extra):
    """A quote for 上海华东贸易有限公司 with contact 王伟: 2 × ¥5,000 + 13 % tax = ¥11,300."""
    organisation = organisation or owner.organisation
    account = AccountFactory(
        name="上海华东贸易有限公司", city="上海", organisation=organisation, owner=owner
    )
    contact = ContactFactory(
        account=account,
        organisation=organisation,
        family_name="王",
        given_name="伟",
        email=contact_email,
    )
    quote = QuoteFactory(
        account=account,
        contact=contact,
        owner=owner,
        organisation=organisation,
        terms="货到后三十天内付款",
        **extra,
    )
    QuoteLineFactory(quote=quote, description="服务器", quantity=2, unit_price="5000.00")
    recalculate(quote)
    quote.refresh_from_db()
    return quote


@pytest.fixture
def rep_zh(db):
    return UserFactory(role=Role.SALES_REP, language="zh-hans")


# --- Rendering and PDFs ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "language", "title"),
    [
        ("proposal", "zh-hans", "方案建议书"),
        ("quote", "zh-hans", "报价单"),
        ("contract", "zh-hans", "销售合同"),
        ("quote", "zh-hant", "報價單"),
        ("contract", "zh-hant", "銷售合約"),
        ("quote", "en", "Quote"),
    ],
)
def test_each_kind_for_a_quote_prints_chinese_names_number_and_total(
    admin_user, kind, language, title
):
    quote = chinese_quote(owner=admin_user)
    document = services.document_generate(quote, kind=kind, by=admin_user, language=language)
    text = pdf_text(attachment_bytes(document))
    assert title in text
    assert "上海华东贸易有限公司" in text
    assert "王伟" in text
    assert quote.number in text
    assert "11,300.00" in text
    assert "服务器" in text
    assert document.attachment.name == f"{quote.number} {title}.pdf"
    assert document.kind == kind and document.language == language


def test_the_language_defaults_to_the_users(rep_zh):
    quote = chinese_quote(owner=rep_zh)
    document = services.document_generate(quote, kind="quote", by=rep_zh)
    assert document.language == "zh-hans"
    assert "报价单" in pdf_text(attachment_bytes(document))


def test_dates_and_money_follow_the_templates_language(admin_user):
    quote = chinese_quote(owner=admin_user)
    quote.created_at = quote.created_at.replace(year=2026, month=3, day=9, hour=6)
    type(quote).objects.filter(pk=quote.pk).update(created_at=quote.created_at)
    zh = services.document_context(quote, kind="quote", language="zh-hans")
    en = services.document_context(quote, kind="quote", language="en")
    assert zh["record"]["date"] == "2026年3月9日"
    assert en["record"]["date"] == "March 9, 2026"
    assert zh["totals"]["total"] == "¥11,300.00"
    assert en["lines"][0]["quantity"] == "2"


def test_an_order_gets_a_contract_and_an_invoice_gets_an_invoice(admin_user):
    order = OrderFactory(owner=admin_user, terms="预付 30%")
    OrderLineFactory(order=order, description="交换机", unit_price="800.00", quantity=3)
    recalculate(order)
    order.refresh_from_db()
    contract = services.document_generate(order, kind="contract", by=admin_user, language="zh-hant")
    text = pdf_text(attachment_bytes(contract))
    assert "銷售合約" in text and order.number in text
    assert "交换机" in text and "2,712.00" in text and "预付 30%" in text

    invoice = InvoiceFactory(owner=admin_user)
    invoice.lines.create(description="Support", quantity=1, unit_price="100.00", tax_rate="6")
    recalculate(invoice)
    invoice.refresh_from_db()
    bill = services.document_generate(invoice, kind="invoice", by=admin_user, language="en")
    text = pdf_text(attachment_bytes(bill))
    assert "Invoice" in text and invoice.number in text and "106.00" in text


@pytest.mark.parametrize(("record", "kind"), [("order", "quote"), ("invoice", "contract")])
def test_a_document_that_does_not_fit_the_record_is_refused(admin_user, record, kind):
    target = OrderFactory(owner=admin_user) if record == "order" else InvoiceFactory()
    with pytest.raises(ValidationError) as refused:
        services.document_generate(target, kind=kind, by=admin_user, language="en")
    assert "kind" in refused.value.message_dict


def test_placeholders_are_escaped(admin_user):
    quote = chinese_quote(owner=admin_user)
    quote.account.name = "<b>Bold & Co</b>"
    quote.account.save()
    document = services.document_generate(quote, kind="quote", by=admin_user, language="en")
    assert "<b>Bold & Co</b>" in pdf_text(attachment_bytes(document))


def test_every_shipped_template_renders_its_sample(admin_user):
    templates = DocumentTemplate.objects.filter(is_default=True, active=True)
    assert {(t.kind, t.language) for t in templates} == {
        (kind, language)
        for kind in ("proposal", "quote", "contract", "invoice")
        for language in ("en", "zh-hans", "zh-hant")
    }
    for template in templates:
        text = pdf_text(
            services.document_preview_pdf(template=template, record=None, by=admin_user)
        )
        assert services.document_title(template.kind, template.language) in text
        assert "Q-2026-00001" in text


def test_ensure_default_templates_creates_only_missing_ones():
    DocumentTemplate.objects.filter(kind="invoice", language="en").delete()
    assert services.ensure_default_templates() == 1
    assert services.ensure_default_templates() == 0
    assert DocumentTemplate.objects.get(kind="invoice", language="en", is_default=True).active


def test_the_url_fetcher_refuses_network_and_file_urls(admin_user):
    """A template pointing at a server on this machine renders, and the server hears nothing."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(5)
        listener.setblocking(False)
        port = listener.getsockname()[1]
        template = DocumentTemplate.objects.create(
            kind="quote",
            language="en",
            name="Fetching",
            is_default=False,
            body=(
                f'<link rel="stylesheet" href="http://127.0.0.1:{port}/style.css">'
                f"<style>@import url(http://127.0.0.1:{port}/more.css);</style>"
                f'<img src="http://127.0.0.1:{port}/x.png"><img src="http://127.0.0.1:1/x.png">'
                '<img src="file:///etc/hostname">'
                "<p>Number {{ record.number }}</p>"
            ),
        )
        quote = chinese_quote(owner=admin_user)
        document = services.document_generate(quote, kind="quote", by=admin_user, template=template)
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody connected
    assert f"Number {quote.number}" in pdf_text(attachment_bytes(document))


# --- Templates: syntax, defaults, inactive --------------------------------------------------


def test_template_with_a_syntax_error_is_refused_with_its_line(admin_user):
    template = DocumentTemplate(
        kind="quote", language="en", name="Broken", body="<p>ok</p>\n<p>\n{% if %}</p>"
    )
    with pytest.raises(ValidationError) as refused:
        services.document_template_save(template=template, by=admin_user)
    assert "Line 3" in refused.value.message_dict["body"][0]
    assert not DocumentTemplate.objects.filter(name="Broken").exists()


def test_template_form_shows_the_syntax_error_beside_the_body(admin_user, client):
    client.force_login(admin_user)
    response = client.post(
        reverse("orders:document-template-create"),
        {"kind": "quote", "language": "en", "name": "Broken", "body": "<p>\n{% for %}\n"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-field-error="body"' in html and "Line 2" in html
    assert not DocumentTemplate.objects.filter(name="Broken").exists()


def test_a_template_failing_while_rendering_is_a_clear_error_not_a_500(admin_user, client):
    template = DocumentTemplate.objects.get(kind="quote", language="en", is_default=True)
    DocumentTemplate.objects.filter(pk=template.pk).update(body='{% include "secret.html" %}')
    quote = chinese_quote(owner=admin_user)
    client.force_login(admin_user)
    response = client.post(
        reverse("orders:document-generate", args=["quote", quote.pk]),
        {"kind": "quote", "language": "en", "next": "/"},
        follow=True,
    )
    assert response.status_code == 200
    assert "could not be rendered" in response.content.decode()
    assert not GeneratedDocument.objects.exists()


def test_making_a_template_the_default_takes_the_flag_from_the_previous_one(admin_user):
    old = DocumentTemplate.objects.get(kind="quote", language="en", is_default=True)
    new = services.document_template_save(
        template=DocumentTemplate(
            kind="quote", language="en", name="Short quote", body="<p>{{ record.number }}</p>"
        ),
        by=admin_user,
    )
    assert new.is_default
    old.refresh_from_db()
    assert not old.is_default
    services.document_template_set_default(template=old, by=admin_user)
    new.refresh_from_db()
    assert not new.is_default


def test_generating_with_the_default_deactivated_is_refused(admin_user):
    template = DocumentTemplate.objects.get(kind="proposal", language="en", is_default=True)
    services.document_template_set_active(template=template, active=False, by=admin_user)
    quote = chinese_quote(owner=admin_user)
    with pytest.raises(ValidationError) as refused:
        services.document_generate(quote, kind="proposal", by=admin_user, language="en")
    assert "no active default template" in refused.value.messages[0]
    template.refresh_from_db()
    with pytest.raises(ValidationError):
        services.document_generate(quote, kind="proposal", by=admin_user, template=template)


def test_only_administrators_change_templates(rep):
    template = DocumentTemplate.objects.get(kind="quote", language="en", is_default=True)
    with pytest.raises(PermissionDenied):
        services.document_template_save(template=template, by=rep)


def test_template_pages_are_for_administrators(admin_user, rep, partner_a_user, client):
    client.force_login(admin_user)
    page = client.get(reverse("orders:document-template-list"), {"language": "zh-hans"})
    assert page.status_code == 200
    assert "报价单" in page.content.decode() and "報價單" not in page.content.decode()
    template = DocumentTemplate.objects.get(kind="contract", language="zh-hans", is_default=True)
    edit = client.get(reverse("orders:document-template-edit", args=[template.pk]))
    assert "record.number" in edit.content.decode()  # the placeholder reference
    preview = client.get(reverse("orders:document-template-preview", args=[template.pk]))
    assert preview["Content-Type"] == "application/pdf"
    assert "销售合同" in pdf_text(preview.content)
    for user in (rep, partner_a_user):
        client.force_login(user)
        assert client.get(reverse("orders:document-template-list")).status_code == 403
        answer = client.post(reverse("orders:document-template-set-active", args=[template.pk]))
        assert answer.status_code == 403
    template.refresh_from_db()
    assert template.active


def test_preview_against_a_chosen_record(admin_user, client):
    quote = chinese_quote(owner=admin_user)
    template = DocumentTemplate.objects.get(kind="quote", language="zh-hans", is_default=True)
    client.force_login(admin_user)
    preview = client.get(
        reverse("orders:document-template-preview", args=[template.pk]),
        {"record_type": "quote", "number": quote.number},
    )
    assert "上海华东贸易有限公司" in pdf_text(preview.content)


def test_deactivate_from_the_list(admin_user, client):
    template = DocumentTemplate.objects.get(kind="invoice", language="en", is_default=True)
    client.force_login(admin_user)
    client.post(reverse("orders:document-template-set-active", args=[template.pk]))
    template.refresh_from_db()
    assert not template.active and not template.is_default


# --- Files and visibility ----------------------------------------------------------------


def test_generated_pdf_is_downloadable_only_by_who_sees_the_quote(
    partner_a_user, partner_b_user, client
):
    quote = chinese_quote(owner=partner_a_user)
    client.force_login(partner_a_user)
    response = client.post(
        reverse("orders:document-generate", args=["quote", quote.pk]),
        {"kind": "quote", "language": "zh-hans", "next": "/"},
    )
    assert response.status_code == 302
    document = GeneratedDocument.objects.get()
    assert document.target == quote and document.created_by == partner_a_user
    attachment = Attachment.objects.get(object_id=str(quote.pk))
    assert attachment.mime_type == "application/pdf"
    download = client.get(reverse("core:attachment-download", args=[attachment.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")

    client.force_login(partner_b_user)
    assert client.get(reverse("core:attachment-download", args=[attachment.pk])).status_code == 404
    refused = client.post(
        reverse("orders:document-generate", args=["quote", quote.pk]),
        {"kind": "quote", "language": "en"},
    )
    assert refused.status_code == 404
    email = client.post(reverse("orders:document-email", args=[document.pk]))
    assert email.status_code == 404
    assert GeneratedDocument.objects.count() == 1


def test_the_service_refuses_a_record_the_user_cannot_see(partner_a_user, partner_b_user):
    quote = chinese_quote(owner=partner_a_user)
    with pytest.raises(PermissionDenied):
        services.document_generate(quote, kind="quote", by=partner_b_user, language="en")


def test_portal_customers_read_documents_but_do_not_make_or_send_them(admin_user):
    quote = chinese_quote(owner=admin_user)
    document = services.document_generate(quote, kind="quote", by=admin_user, language="en")
    customer = UserFactory(role=Role.CUSTOMER, customer_account=quote.account)
    with pytest.raises(PermissionDenied):
        services.document_generate(quote, kind="quote", by=customer, language="en")
    with pytest.raises(PermissionDenied):
        services.document_email(document, by=customer)
    request = RequestFactory().get("/")
    request.user = customer
    html = render_to_string(
        "orders/includes/documents_panel.html", {"record": quote}, request=request
    )
    assert document.attachment.name in html
    assert "document-generate-form" not in html and "document-email-form" not in html


def test_documents_panel_lists_documents_and_offers_the_fitting_kinds(admin_user):
    quote = chinese_quote(owner=admin_user)
    services.document_generate(quote, kind="contract", by=admin_user, language="zh-hant")
    request = RequestFactory().get("/")
    request.user = admin_user
    html = render_to_string(
        "orders/includes/documents_panel.html", {"record": quote}, request=request
    )
    assert f"{quote.number} 銷售合約.pdf" in html
    assert 'value="proposal"' in html and 'value="contract"' in html
    assert 'value="invoice"' not in html
    assert reverse("orders:document-generate", args=["quote", quote.pk]) in html

    invoice = InvoiceFactory()
    html = render_to_string(
        "orders/includes/documents_panel.html", {"record": invoice}, request=request
    )
    assert 'value="invoice"' in html and 'value="quote"' not in html


# --- E-mail ------------------------------------------------------------------------------


class Inbox(Message):
    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):
        self.messages.append(message)


@pytest.fixture
def smtp_server(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 10},
        }
    }
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    yield inbox
    controller.stop()


def test_emailing_sends_the_pdf_to_the_contact_over_smtp_and_marks_the_quote_sent(
    smtp_server, admin_user, client, django_capture_on_commit_callbacks
):
    quote = chinese_quote(owner=admin_user)
    document = services.document_generate(quote, kind="quote", by=admin_user, language="zh-hans")
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("orders:document-email", args=[document.pk]),
            {"message": "请查收报价单。", "next": "/"},
        )
    assert response.status_code == 302
    assert len(smtp_server.messages) == 1
    sent = message_from_bytes(smtp_server.messages[0].as_bytes())
    assert sent["To"] == "wang.wei@example.com"
    assert quote.number in str(sent["Subject"]) or quote.number in sent.get("Subject", "")
    parts = [part for part in sent.walk() if part.get_content_type() == "application/pdf"]
    assert len(parts) == 1
    assert parts[0].get_filename() == f"{quote.number} 报价单.pdf"
    assert parts[0].get_payload(decode=True).startswith(b"%PDF")
    body = next(p for p in sent.walk() if p.get_content_type() == "text/plain")
    assert "请查收报价单" in body.get_payload(decode=True).decode(body.get_content_charset())
    document.refresh_from_db()
    assert document.emailed_to == "wang.wei@example.com" and document.emailed_at is not None
    quote.refresh_from_db()
    assert quote.status == "sent"


def test_the_email_job_sends_once_per_request(smtp_server, admin_user):
    quote = chinese_quote(owner=admin_user)
    document = services.document_generate(quote, kind="quote", by=admin_user, language="en")
    requested = "2026-01-01T00:00:00+00:00"
    arguments = dict(document_id=document.pk, to=["a@example.com"], message="", by_id=admin_user.pk)
    assert services.document_email_send(**arguments, requested_at=requested)
    assert not services.document_email_send(**arguments, requested_at=requested)
    assert len(smtp_server.messages) == 1


def test_emailing_to_given_addresses(smtp_server, admin_user, django_capture_on_commit_callbacks):
    quote = chinese_quote(owner=admin_user, contact_email="")
    document = services.document_generate(quote, kind="proposal", by=admin_user, language="en")
    with django_capture_on_commit_callbacks(execute=True):
        services.document_email(document, by=admin_user, to="cfo@example.com, buyer@example.com")
    sent = message_from_bytes(smtp_server.messages[0].as_bytes())
    assert sent["To"] == "cfo@example.com, buyer@example.com"


def test_emailing_without_a_contact_address_is_refused(smtp_server, admin_user, client):
    quote = chinese_quote(owner=admin_user, contact_email="")
    document = services.document_generate(quote, kind="quote", by=admin_user, language="en")
    with pytest.raises(ValidationError) as refused:
        services.document_email(document, by=admin_user)
    assert "王伟 has no e-mail address" in refused.value.messages[0]
    client.force_login(admin_user)
    response = client.post(
        reverse("orders:document-email", args=[document.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "has no e-mail address" in response.content.decode()
    with pytest.raises(ValidationError):
        services.document_email(document, by=admin_user, to="not-an-address")
    assert smtp_server.messages == []


def test_a_quote_that_cannot_be_sent_is_emailed_and_the_user_told_why(
    smtp_server, admin_user, django_capture_on_commit_callbacks
):
    quote = chinese_quote(owner=admin_user)
    quote.lines.update(discount_percent=Decimal("50"))
    recalculate(quote)
    document = services.document_generate(quote, kind="quote", by=admin_user, language="en")
    with django_capture_on_commit_callbacks(execute=True):
        services.document_email(document, by=admin_user)
    assert len(smtp_server.messages) == 1
    quote.refresh_from_db()
    assert quote.status == "draft"
    note = Notification.objects.get(recipient=admin_user)
    assert "not marked sent" in note.message and "approve" in note.message


# --- API ---------------------------------------------------------------------------------


def test_api_templates_staff_read_admins_write_partners_refused(
    api, admin_user, rep, partner_a_user
):
    assert api(partner_a_user).get("/api/v1/document-templates/").status_code == 403
    listed = api(rep).get("/api/v1/document-templates/", {"language": "zh-hant"})
    assert listed.status_code == 200 and len(listed.json()["results"]) == 4
    body = {"kind": "quote", "language": "en", "name": "API", "body": "<p>{{ record.number }}</p>"}
    assert api(rep).post("/api/v1/document-templates/", body, format="json").status_code == 403
    broken = api(admin_user).post(
        "/api/v1/document-templates/", {**body, "body": "{% for %}"}, format="json"
    )
    assert broken.status_code == 400 and "Line 1" in broken.json()["body"][0]
    created = api(admin_user).post("/api/v1/document-templates/", body, format="json")
    assert created.status_code == 201 and created.json()["is_default"] is False


def test_api_generate_list_and_email(
    api, partner_a_user, partner_b_user, django_capture_on_commit_callbacks, settings
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    quote = chinese_quote(owner=partner_a_user)
    client = api(partner_a_user)
    made = client.post(
        "/api/v1/documents/generate/",
        {"record_type": "quote", "record_id": quote.pk, "kind": "contract", "language": "en"},
        format="json",
    )
    assert made.status_code == 201, made.content
    assert made.json()["record_type"] == "quote" and made.json()["record_id"] == quote.pk
    assert made.json()["file_name"] == f"{quote.number} Sales contract.pdf"
    listed = client.get("/api/v1/documents/", {"record_type": "quote", "record_id": quote.pk})
    assert [row["id"] for row in listed.json()["results"]] == [made.json()["id"]]
    wrong_kind = client.post(
        "/api/v1/documents/generate/",
        {"record_type": "quote", "record_id": quote.pk, "kind": "invoice"},
        format="json",
    )
    assert wrong_kind.status_code == 400 and "kind" in wrong_kind.json()
    with django_capture_on_commit_callbacks(execute=True):
        emailed = client.post(f"/api/v1/documents/{made.json()['id']}/email/", {}, format="json")
    assert emailed.status_code == 202
    assert emailed.json() == {"queued_to": ["wang.wei@example.com"]}

    other = api(partner_b_user)
    assert other.get("/api/v1/documents/").json()["results"] == []
    stolen = other.post(
        "/api/v1/documents/generate/",
        {"record_type": "quote", "record_id": quote.pk, "kind": "quote"},
        format="json",
    )
    assert stolen.status_code == 404
    assert other.post(f"/api/v1/documents/{made.json()['id']}/email/").status_code == 404
