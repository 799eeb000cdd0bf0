"""Attachments: upload checks (size, type by content), safe downloads, deletion with its audit
entry, and the visibility gate on every way in (web pages and API)."""

import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from allyance.core.attachments import attachment_add, attachments_visible_to
from allyance.core.models import Attachment, AuditEntry, Role
from tests.factories import AccountFactory, ActivityFactory, ContactFactory, UserFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 300


def xlsx_bytes() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "客户"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return buffer.getvalue()


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def stored_path(attachment: Attachment) -> Path:
    return Path(attachment.file.path)


@pytest.fixture
def partner_accounts(partner_a_user, partner_b_user):
    return (
        AccountFactory(name="A's customer", organisation=partner_a_user.organisation),
        AccountFactory(name="B's customer", organisation=partner_b_user.organisation),
    )


# --- Type and size checks -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "served_as"),
    [
        ("报价单.pdf", PDF, "application/pdf"),
        ("photo.PNG", PNG, "image/png"),
        (
            "pipeline.xlsx",
            xlsx_bytes(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ("bundle.zip", zip_bytes(), "application/zip"),
        ("legacy.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "application/msword"),
        ("notes.txt", "会议纪要：下周报价\n".encode(), "text/plain"),
        ("contacts.csv", "姓名,电话\n王小明,13812345678\n".encode("gbk"), "text/csv"),
        ("utf16.txt", "名字\n".encode("utf-16"), "text/plain"),
    ],
)
def test_allowed_files_are_accepted_and_typed_from_the_allow_list(rep, name, content, served_as):
    account = AccountFactory(owner=rep)
    attachment = attachment_add(target=account, uploaded_file=upload(name, content), by=rep)
    assert attachment.name == name
    assert attachment.size == len(content)
    assert attachment.mime_type == served_as
    assert stored_path(attachment).read_bytes() == content
    assert name not in attachment.file.name  # stored under a random name


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("page.html", HTML),
        ("page.htm", HTML),
        ("invoice.pdf", HTML),  # an HTML file renamed to .pdf
        ("logo.svg", SVG),
        ("logo.png", SVG),
        ("script.js", b"alert(1)"),
        ("setup.exe", EXE),
        ("manual.pdf", EXE),
        ("readme.txt", EXE),
        ("notes.txt", HTML),
        ("data.csv", b"name\n<script>alert(1)</script>\n"),
        ("report.docx", PDF),
        ("no_extension", PDF),
        ("binary.txt", b"\x00\x01\x02\x03" * 10),
    ],
)
def test_dangerous_or_mislabelled_files_are_refused(rep, name, content):
    account = AccountFactory(owner=rep)
    with pytest.raises(ValidationError) as caught:
        attachment_add(target=account, uploaded_file=upload(name, content), by=rep)
    assert "file" in caught.value.message_dict
    assert not Attachment.objects.exists()


def test_too_large_file_is_refused_with_the_limit(rep, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    account = AccountFactory(owner=rep)
    with pytest.raises(ValidationError) as caught:
        attachment_add(target=account, uploaded_file=upload("big.pdf", PDF + b"0" * 2000), by=rep)
    assert "1.0\xa0KB" in caught.value.message_dict["file"][0]
    assert not Attachment.objects.exists()
    media = Path(settings.MEDIA_ROOT)
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_file_names_lose_folders_and_direction_tricks(rep):
    account = AccountFactory(owner=rep)
    attachment = attachment_add(
        target=account, uploaded_file=upload("..\\..\\etc\\inv\u202eoice.pdf", PDF), by=rep
    )
    assert attachment.name == "invoice.pdf"


# --- API ----------------------------------------------------------------------------------


def test_api_upload_list_retrieve_download_and_delete(
    api, rep, settings, django_capture_on_commit_callbacks
):
    account = AccountFactory(owner=rep)
    client = api(rep)
    created = client.post(
        "/api/v1/attachments/",
        {"target_type": "account", "target_id": account.pk, "file": upload("报价单.pdf", PDF)},
        format="multipart",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["target_type"] == "account" and body["target_id"] == account.pk
    assert body["name"] == "报价单.pdf" and body["size"] == len(PDF)
    assert body["uploaded_by"] == rep.pk
    attachment = Attachment.objects.get(pk=body["id"])

    listed = client.get("/api/v1/attachments/", {"target_type": "account", "target_id": account.pk})
    assert [row["id"] for row in listed.json()["results"]] == [attachment.pk]
    assert client.get(f"/api/v1/attachments/{attachment.pk}/").json()["name"] == "报价单.pdf"

    download = client.get(body["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Security-Policy"] == "sandbox"

    path = stored_path(attachment)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(f"/api/v1/attachments/{attachment.pk}/").status_code == 204
    assert not Attachment.objects.filter(pk=attachment.pk).exists()
    assert not path.exists()
    deleted = AuditEntry.objects.get(
        content_type=ContentType.objects.get_for_model(Attachment),
        object_id=str(attachment.pk),
        action="delete",
    )
    assert deleted.actor == rep
    assert deleted.changes["name"] == ["报价单.pdf", None]


def test_upload_is_audited(api, rep):
    account = AccountFactory(owner=rep)
    response = api(rep).post(
        "/api/v1/attachments/",
        {"target_type": "account", "target_id": account.pk, "file": upload("a.pdf", PDF)},
        format="multipart",
    )
    assert AuditEntry.objects.filter(
        object_id=str(response.json()["id"]), action="create", actor=rep
    ).exists()


def test_api_download_answers_any_accept_header(api, rep):
    account = AccountFactory(owner=rep)
    attachment = attachment_add(target=account, uploaded_file=upload("a.pdf", PDF), by=rep)
    response = api(rep).get(
        f"/api/v1/attachments/{attachment.pk}/download/", HTTP_ACCEPT="application/pdf"
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF


def test_api_refuses_bad_uploads_with_400(api, rep, settings):
    settings.ATTACHMENT_MAX_BYTES = 100
    account = AccountFactory(owner=rep)
    client = api(rep)
    for name, content in [("page.html", HTML), ("invoice.pdf", HTML), ("big.pdf", PDF * 10)]:
        response = client.post(
            "/api/v1/attachments/",
            {"target_type": "account", "target_id": account.pk, "file": upload(name, content)},
            format="multipart",
        )
        assert response.status_code == 400, name
        assert "file" in response.json()
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    ("params", "error_field"),
    [
        ({"target_type": "planet", "target_id": "1"}, "target_type"),
        ({"target_type": "account", "target_id": "x"}, "target_id"),
        ({"target_type": "account", "target_id": "99999999999999999999"}, "target_id"),
        ({"target_type": "account"}, "target_id"),
        ({"target_id": "1"}, "target_type"),
    ],
)
def test_api_list_filter_errors_are_400(api, rep, params, error_field):
    response = api(rep).get("/api/v1/attachments/", params)
    assert response.status_code == 400
    assert error_field in response.json()


def test_api_upload_needs_a_known_visible_record(api, rep, partner_accounts):
    _mine, theirs = partner_accounts
    client = api(rep)
    unknown_type = client.post(
        "/api/v1/attachments/",
        {"target_type": "planet", "target_id": 1, "file": upload("a.pdf", PDF)},
        format="multipart",
    )
    assert unknown_type.status_code == 400 and "target_type" in unknown_type.json()
    missing_file = client.post(
        "/api/v1/attachments/", {"target_type": "account", "target_id": 1}, format="multipart"
    )
    assert missing_file.status_code == 400 and "file" in missing_file.json()


def test_attachments_work_on_contacts_and_activities(api, rep):
    contact = ContactFactory(owner=rep)
    activity = ActivityFactory(owner=rep)
    client = api(rep)
    for target_type, target in (("contact", contact), ("activity", activity)):
        response = client.post(
            "/api/v1/attachments/",
            {"target_type": target_type, "target_id": target.pk, "file": upload("a.pdf", PDF)},
            format="multipart",
        )
        assert response.status_code == 201, response.json()
        listed = client.get(
            "/api/v1/attachments/", {"target_type": target_type, "target_id": target.pk}
        )
        assert len(listed.json()["results"]) == 1


# --- The visibility gate ------------------------------------------------------------------


def test_partner_cannot_list_download_or_delete_other_partners_attachment(
    api, client, partner_a_user, partner_b_user, partner_accounts
):
    mine, theirs = partner_accounts
    own = attachment_add(target=mine, uploaded_file=upload("mine.pdf", PDF), by=partner_a_user)
    other = attachment_add(
        target=theirs, uploaded_file=upload("theirs.pdf", PDF), by=partner_b_user
    )
    api_client = api(partner_a_user)

    everything = api_client.get("/api/v1/attachments/").json()["results"]
    assert [row["id"] for row in everything] == [own.pk]
    by_record = api_client.get(
        "/api/v1/attachments/", {"target_type": "account", "target_id": theirs.pk}
    )
    assert by_record.status_code == 404
    assert api_client.get(f"/api/v1/attachments/{other.pk}/").status_code == 404
    assert api_client.get(f"/api/v1/attachments/{other.pk}/download/").status_code == 404
    assert api_client.delete(f"/api/v1/attachments/{other.pk}/").status_code == 404
    upload_there = api_client.post(
        "/api/v1/attachments/",
        {"target_type": "account", "target_id": theirs.pk, "file": upload("x.pdf", PDF)},
        format="multipart",
    )
    assert upload_there.status_code == 400 and "target_id" in upload_there.json()

    client.force_login(partner_a_user)
    assert client.get(f"/attachments/{other.pk}/download/").status_code == 404
    assert client.get(f"/attachments/{other.pk}/delete/").status_code == 404
    assert client.post(f"/attachments/{other.pk}/delete/").status_code == 404
    web_upload = client.post(
        f"/attachments/upload/account/{theirs.pk}/", {"file": upload("x.pdf", PDF)}
    )
    assert web_upload.status_code == 404
    assert Attachment.objects.filter(pk=other.pk).exists()
    assert Attachment.objects.count() == 2


def test_portal_customer_cannot_attach_to_an_account_that_is_not_theirs(api, client):
    own = AccountFactory(name="Own")
    other = AccountFactory(name="Other")
    customer = UserFactory(role=Role.CUSTOMER, customer_account=own)
    response = api(customer).post(
        "/api/v1/attachments/",
        {"target_type": "account", "target_id": other.pk, "file": upload("a.pdf", PDF)},
        format="multipart",
    )
    assert response.status_code == 400 and "target_id" in response.json()
    client.force_login(customer)
    assert (
        client.post(
            f"/attachments/upload/account/{other.pk}/", {"file": upload("a.pdf", PDF)}
        ).status_code
        == 404
    )
    assert not Attachment.objects.filter(object_id=str(other.pk)).exists()
    # Their own account is fine.
    ok = api(customer).post(
        "/api/v1/attachments/",
        {"target_type": "account", "target_id": own.pk, "file": upload("a.pdf", PDF)},
        format="multipart",
    )
    assert ok.status_code == 201, ok.json()


def test_portal_customer_deletes_only_files_they_added(api, rep):
    own = AccountFactory(name="Own", owner=rep)
    customer = UserFactory(role=Role.CUSTOMER, customer_account=own)
    staff_file = attachment_add(target=own, uploaded_file=upload("contract.pdf", PDF), by=rep)
    their_file = attachment_add(target=own, uploaded_file=upload("po.pdf", PDF), by=customer)
    client = api(customer)
    assert client.delete(f"/api/v1/attachments/{staff_file.pk}/").status_code == 403
    assert client.delete(f"/api/v1/attachments/{their_file.pk}/").status_code == 204
    assert Attachment.objects.filter(pk=staff_file.pk).exists()


def test_rep_sees_attachments_of_records_in_scope_only(rep):
    mine = AccountFactory(owner=rep)
    not_mine = AccountFactory(owner=UserFactory())
    boss = UserFactory(role=Role.ADMIN)
    visible = attachment_add(target=mine, uploaded_file=upload("a.pdf", PDF), by=rep)
    hidden = attachment_add(target=not_mine, uploaded_file=upload("b.pdf", PDF), by=boss)
    assert list(attachments_visible_to(rep)) == [visible]
    assert list(attachments_visible_to(rep, not_mine)) == []
    assert set(attachments_visible_to(boss)) == {visible, hidden}


# --- Web pages ----------------------------------------------------------------------------


def test_account_page_uploads_lists_and_times_the_file(client, rep):
    account = AccountFactory(owner=rep)
    client.force_login(rep)
    page = client.get(account.get_absolute_url()).content.decode()
    assert 'data-testid="attachments"' in page and 'type="file"' in page
    response = client.post(
        f"/attachments/upload/account/{account.pk}/", {"file": upload("报价单.pdf", PDF)}
    )
    assert response.status_code == 302 and response["Location"] == account.get_absolute_url()
    attachment = Attachment.objects.get()
    page = client.get(account.get_absolute_url()).content.decode()
    assert f"/attachments/{attachment.pk}/download/" in page
    timeline = page.split('data-testid="timeline"', 1)[1]
    assert "报价单.pdf" in timeline


def test_contact_page_has_the_attachments_panel(client, rep):
    contact = ContactFactory(owner=rep)
    attachment_add(target=contact, uploaded_file=upload("名片.png", PNG), by=rep)
    client.force_login(rep)
    page = client.get(contact.get_absolute_url()).content.decode()
    assert 'data-testid="attachments"' in page and "名片.png" in page


def test_htmx_upload_refreshes_the_page_or_shows_the_error_beside_the_field(client, rep):
    account = AccountFactory(owner=rep)
    client.force_login(rep)
    url = f"/attachments/upload/account/{account.pk}/"
    ok = client.post(url, {"file": upload("a.pdf", PDF)}, HTTP_HX_REQUEST="true")
    assert ok.status_code == 200 and ok["HX-Refresh"] == "true"
    refused = client.post(url, {"file": upload("evil.html", HTML)}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 200
    panel = refused.content.decode()
    assert 'data-field-error="file"' in panel and 'id="attachments-panel"' in panel
    assert Attachment.objects.count() == 1


def test_web_upload_error_is_reported_without_htmx(client, rep):
    account = AccountFactory(owner=rep)
    client.force_login(rep)
    response = client.post(
        f"/attachments/upload/account/{account.pk}/", {"file": upload("evil.svg", SVG)}, follow=True
    )
    assert "cannot be attached" in response.content.decode()
    assert not Attachment.objects.exists()


def test_web_download_is_never_rendered_as_a_page(client, rep):
    account = AccountFactory(owner=rep)
    attachment = attachment_add(target=account, uploaded_file=upload("notes.txt", b"hello"), by=rep)
    client.force_login(rep)
    response = client.get(f"/attachments/{attachment.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain"
    assert response["Content-Disposition"] == 'attachment; filename="notes.txt"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"


def test_download_of_a_tampered_type_falls_back_to_octet_stream(client, rep):
    account = AccountFactory(owner=rep)
    attachment = attachment_add(target=account, uploaded_file=upload("a.pdf", PDF), by=rep)
    Attachment.objects.filter(pk=attachment.pk).update(mime_type="text/html")
    client.force_login(rep)
    response = client.get(f"/attachments/{attachment.pk}/download/")
    assert response["Content-Type"] == "application/octet-stream"


def test_web_delete_asks_first_then_removes_file(client, rep, django_capture_on_commit_callbacks):
    account = AccountFactory(owner=rep)
    attachment = attachment_add(target=account, uploaded_file=upload("a.pdf", PDF), by=rep)
    path = stored_path(attachment)
    client.force_login(rep)
    confirm = client.get(f"/attachments/{attachment.pk}/delete/")
    assert confirm.status_code == 200 and 'data-testid="confirm-delete"' in confirm.content.decode()
    assert Attachment.objects.filter(pk=attachment.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/attachments/{attachment.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == account.get_absolute_url()
    assert not Attachment.objects.exists()
    assert not path.exists()


def test_unknown_ids_are_404_not_errors(client, api, rep):
    client.force_login(rep)
    for url in (
        "/attachments/99999999999999999999/download/",
        "/attachments/123/download/",
        "/attachments/123/delete/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post("/attachments/upload/planet/1/", {}).status_code == 404
    assert client.post("/attachments/upload/account/99999999999999999999/", {}).status_code == 404
    assert api(rep).get("/api/v1/attachments/99999999999999999999/").status_code == 404


def test_files_of_a_deleted_record_go_with_it(api, rep, admin_user):
    account = AccountFactory(owner=rep)
    attachment = attachment_add(target=account, uploaded_file=upload("a.pdf", PDF), by=rep)
    account.delete()
    assert not Attachment.objects.filter(pk=attachment.pk).exists()
    assert api(admin_user).get(f"/api/v1/attachments/{attachment.pk}/").status_code == 404


def test_deleting_a_record_deletes_its_attachments_and_files_also_by_cascade(
    rep, django_capture_on_commit_callbacks
):
    from django.core.files.base import ContentFile

    from allyance.core.services import record_delete

    account = AccountFactory(owner=rep)
    activity = ActivityFactory(account=account, owner=rep)
    stored = []
    for target in (account, activity):
        attachment = Attachment.objects.create(
            target=target,
            file=ContentFile(b"%PDF-1.4 offer", name="offer.pdf"),
            name="offer.pdf",
            size=14,
            mime_type="application/pdf",
            uploaded_by=rep,
        )
        stored.append(attachment.file.path)
    with django_capture_on_commit_callbacks(execute=True):
        record_delete(instance=account, by=rep)
    assert not Attachment.objects.exists()
    assert not any(Path(path).exists() for path in stored)
