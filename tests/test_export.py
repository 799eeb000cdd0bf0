"""Export of accounts and contacts: only visible, filtered rows; files Excel opens; re-importable."""

import csv
import io

import openpyxl
import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from allyance.core.imports import import_job_create, import_job_start
from allyance.core.models import CustomField, ImportJob, Role, Tag
from allyance.customers.models import Account
from tests.factories import AccountFactory, ContactFactory, UserFactory

pytestmark = pytest.mark.django_db


def export(client, user, target: str, query: str = "", file_format: str = "csv"):
    client.force_login(user)
    url = reverse("core:export", kwargs={"target": target})
    return client.get(f"{url}?{query}&format={file_format}")


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf"), "Excel needs the UTF-8 byte-order mark"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def xlsx_rows(response) -> list[list]:
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def test_csv_export_has_bom_headers_and_chinese_text(client, rep):
    account = AccountFactory(owner=rep, name="华东机械有限公司", city="上海", industry="retail")
    account.tags.add(Tag.objects.create(name="重点"))
    response = export(client, rep, "accounts")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    header, row = csv_rows(response)
    record = dict(zip(header, row, strict=True))
    assert record["Name"] == "华东机械有限公司"
    assert record["City"] == "上海"
    assert record["Industry"] == "Retail"
    assert record["Tags"] == "重点"
    assert record["Owner"] == rep.username
    assert record["ID"] == str(account.pk)


def test_export_contains_only_rows_the_user_may_see(client, partner_a_user, partner_b_user):
    ContactFactory(organisation=partner_a_user.organisation, family_name="Ours")
    ContactFactory(organisation=partner_b_user.organisation, family_name="Theirs")
    for file_format in ("csv", "xlsx"):
        response = export(client, partner_a_user, "contacts", file_format=file_format)
        rows = csv_rows(response) if file_format == "csv" else xlsx_rows(response)
        family = rows[0].index("Family name")
        assert [row[family] for row in rows[1:]] == ["Ours"]


def test_sales_rep_exports_own_accounts_only(client, rep):
    AccountFactory(owner=rep, name="Mine")
    AccountFactory(owner=UserFactory(), name="Someone else's")
    rows = csv_rows(export(client, rep, "accounts"))
    assert [row[1] for row in rows[1:]] == ["Mine"]


def test_export_honours_list_filters_and_search(client, rep):
    AccountFactory(owner=rep, name="上海甲公司", city="上海")
    AccountFactory(owner=rep, name="北京乙公司", city="北京")
    AccountFactory(owner=rep, name="上海丙公司", city="上海", status="inactive")
    rows = csv_rows(export(client, rep, "accounts", "city=上海&status=active"))
    assert [row[1] for row in rows[1:]] == ["上海甲公司"]
    rows = csv_rows(export(client, rep, "accounts", "q=乙"))
    assert [row[1] for row in rows[1:]] == ["北京乙公司"]


def test_xlsx_export_opens_in_openpyxl_and_keeps_formulas_as_text(client, rep):
    AccountFactory(owner=rep, name='=HYPERLINK("http://evil")', phone="+862162345678")
    response = export(client, rep, "accounts", file_format="xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    header, row = xlsx_rows(response)
    record = dict(zip(header, row, strict=True))
    assert record["Name"] == '=HYPERLINK("http://evil")'  # a text cell, not a formula
    assert record["Phone"] == "+862162345678"


def test_csv_export_neutralises_formulas_but_not_phone_numbers(client, rep):
    AccountFactory(owner=rep, name="=1+1", phone="+862162345678")
    header, row = csv_rows(export(client, rep, "accounts"))
    record = dict(zip(header, row, strict=True))
    assert record["Name"] == "'=1+1"
    assert record["Phone"] == "+862162345678"


def test_custom_fields_are_exported(client, rep):
    CustomField.objects.create(
        content_type=ContentType.objects.get_for_model(Account),
        name="credit",
        label="信用等级",
        type=CustomField.Type.TEXT,
    )
    AccountFactory(owner=rep, custom_fields={"credit": "AAA"})
    header, row = csv_rows(export(client, rep, "accounts"))
    assert dict(zip(header, row, strict=True))["信用等级"] == "AAA"


def test_exported_file_imports_again_as_duplicates(client, rep, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    ContactFactory(owner=rep, family_name="王", given_name="小明", mobile="+8613812345678")
    response = export(client, rep, "contacts", file_format="xlsx")
    data = b"".join(response.streaming_content)
    job = import_job_create(
        by=rep, target="contacts", upload=SimpleUploadedFile("contacts.xlsx", data)
    )
    job = import_job_start(job=job, dry_run=True)
    assert job.status == ImportJob.Status.PREVIEWED
    assert (job.created_count, job.skipped_count) == (0, 1)
    assert "family_name" in job.mapping.values() and "mobile" in job.mapping.values()


def test_export_in_chinese_has_chinese_headers_that_import_again(client, rep, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    ContactFactory(owner=rep, family_name="王", given_name="小明", email="wang@example.com")
    client.cookies["django_language"] = "zh-hant"
    header, row = csv_rows(export(client, rep, "contacts"))
    with translation.override("zh-hant"):
        assert str(gettext("Family name")) in header
        assert str(gettext("E-mail")) in header
    assert "Family name" not in header
    data = "\n".join(",".join(cells) for cells in (header, row)).encode("big5", "replace")
    job = import_job_create(by=rep, target="contacts", upload=SimpleUploadedFile("c.csv", data))
    assert {"family_name", "given_name", "email"} <= set(job.mapping.values())


def test_unknown_target_is_404_and_unknown_format_is_400(client, rep):
    assert export(client, rep, "nothing").status_code == 404
    assert export(client, rep, "accounts", file_format="pdf").status_code == 400


def test_portal_customer_exports_only_their_account(client):
    account = AccountFactory(name="Customer Co")
    AccountFactory(name="Other Co")
    customer = UserFactory(role=Role.CUSTOMER, customer_account=account)
    rows = csv_rows(export(client, customer, "accounts"))
    assert [row[1] for row in rows[1:]] == ["Customer Co"]


def test_list_pages_link_to_export_and_import(client, rep):
    client.force_login(rep)
    page = client.get(reverse("customers:contact-list") + "?status=active").content.decode()
    assert (
        reverse("core:export", kwargs={"target": "contacts"}) + "?status=active&format=csv" in page
    )
    assert reverse("core:import-new") + "?target=contacts" in page
