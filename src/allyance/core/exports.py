"""Export of accounts and contacts as CSV (streamed, UTF-8 with BOM for Excel) and XLSX.

The columns are the import fields of the target, so an exported file imports again.
The caller passes a queryset that already went through the visibility gate and the
list page's filters and search.
"""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from allyance.core.imports import ImportField, Target
from allyance.core.models import CustomField, ImportJob, User

XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header row
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?[\d\s().-]*$")


def _safe_for_spreadsheet(text: str) -> str:
    """Text a spreadsheet will not run as a formula; phone numbers such as +86… stay as they are."""
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(text):
        return "'" + text
    return text


class _Columns:
    """The export columns of a target and how each record's value is written as text."""

    def __init__(self, target: Target):
        self.fields = [f for f in target.import_fields() if f.exported]
        self.users: dict[int, str] = {}

    def headers(self) -> list[str]:
        return ["ID", *(str(f.label) for f in self.fields), _("Created"), _("Updated")]

    def row(self, record) -> list[str]:
        created = timezone.localtime(record.created_at).strftime("%Y-%m-%d %H:%M")
        updated = timezone.localtime(record.updated_at).strftime("%Y-%m-%d %H:%M")
        return [str(record.pk), *(self.value(record, f) for f in self.fields), created, updated]

    def value(self, record, import_field: ImportField) -> str:
        kind, name = import_field.kind, import_field.name
        if kind == "custom":
            return self.custom_value(
                import_field.custom, record.custom_fields.get(import_field.custom.name)
            )
        if kind == "choice":
            return str(getattr(record, f"get_{name}_display")())
        if kind == "country":
            return record.country.name if record.country else ""
        if kind == "owner":
            return record.owner.username if record.owner_id else ""
        if kind == "tags":
            return ", ".join(sorted(tag.name for tag in record.tags.all()))
        if kind == "account":
            return record.account.name if record.account_id else ""
        value = getattr(record, name)
        return "" if value is None else str(value)

    def custom_value(self, definition: CustomField, value: Any) -> str:
        if value is None or value == "":
            return ""
        if definition.type == CustomField.Type.BOOLEAN:
            return _("Yes") if value else _("No")
        if definition.type == CustomField.Type.MULTI_CHOICE and isinstance(value, list):
            return ", ".join(str(item) for item in value)
        if definition.type == CustomField.Type.USER:
            if value not in self.users:
                user = User.objects.filter(pk=value).only("username").first()
                self.users[value] = user.username if user else str(value)
            return self.users[value]
        return str(value)


def _records(target: Target, queryset: QuerySet) -> Iterator:
    related = ["owner"] + (["account"] if hasattr(target.model, "account") else [])
    return queryset.select_related(*related).prefetch_related("tags").iterator(chunk_size=1000)


def export_file_name(target: Target, extension: str) -> str:
    """`contacts-2026-11-23.csv`: what and when, in the user's time zone."""
    return f"{target.key}-{timezone.localdate().isoformat()}.{extension}"


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def export_csv_response(*, target: Target, queryset: QuerySet) -> StreamingHttpResponse:
    """Stream the records as CSV with a UTF-8 byte-order mark, so Excel reads Chinese right."""
    columns = _Columns(target)
    headers = columns.headers()
    language = translation.get_language()

    def lines() -> Iterator[str]:
        writer = csv.writer(_Echo())
        yield "\ufeff" + writer.writerow(headers)
        with translation.override(language):
            for record in _records(target, queryset):
                yield writer.writerow([_safe_for_spreadsheet(v) for v in columns.row(record)])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export_file_name(target, "csv")}"'
    return response


def export_xlsx_response(*, target: Target, queryset: QuerySet) -> FileResponse:
    """The records as an Excel workbook; every value is written as text, never as a formula."""
    columns = _Columns(target)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(str(target.label)[:31])
    bold = Font(bold=True)
    header_cells = []
    for header in columns.headers():
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for count, record in enumerate(_records(target, queryset)):
        if count >= XLSX_MAX_ROWS:
            break
        sheet.append([_text_cell(sheet, value) for value in columns.row(record)])
    # FileResponse closes the file once it is sent.
    spool = tempfile.SpooledTemporaryFile(max_size=16 * 2**20)  # noqa: SIM115
    workbook.save(spool)
    spool.seek(0)
    return FileResponse(
        spool,
        as_attachment=True,
        filename=export_file_name(target, "xlsx"),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def _text_cell(sheet, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value)[:32767])
    cell.data_type = "s"  # openpyxl would otherwise store text that starts with = as a formula
    return cell


def row_report_response(*, job: ImportJob) -> StreamingHttpResponse:
    """An import's row reports — bad rows and duplicates, with line numbers — as CSV."""
    kinds = {"error": _("Error"), "duplicate": _("Duplicate")}
    actions = dict(ImportJob.OnDuplicate.choices)
    writer = csv.writer(_Echo())
    lines = [
        "\ufeff" + writer.writerow([_("Line"), _("Kind"), _("Action"), _("Message")]),
        *(
            writer.writerow(
                [
                    report["line"],
                    kinds.get(report["kind"], report["kind"]),
                    str(actions.get(report.get("action"), "")),
                    _safe_for_spreadsheet(" ".join(report["messages"])),
                ]
            )
            for report in job.errors
        ),
    ]
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-report.csv"'
    return response
