"""Reading uploaded CSV and XLSX files into text cells, detecting a CSV's encoding."""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import openpyxl
from charset_normalizer import from_bytes
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from allyance.core.imports.targets import ImportField, Target, header_key, synonym_index, target_for
from allyance.core.models import ImportJob

MAX_ROWS = 100_000
HEADER_SEARCH_ROWS = 10  # a title line or two may stand above the header row
ENCODING_CHOICES = [
    ("", gettext_lazy("Detect automatically")),
    ("utf-8", "UTF-8"),
    ("gb18030", gettext_lazy("GB18030 / GBK (Simplified Chinese)")),
    ("big5", gettext_lazy("Big5 (Traditional Chinese)")),
    ("utf-16", "UTF-16"),
    ("cp1252", gettext_lazy("Western European (Windows-1252)")),
]
# The codecs tried for each encoding name, best first: Excel on Windows writes cp950 for Big5.
_CODECS = {
    "utf-8": ("utf-8-sig",),
    "gb2312": ("gb18030",),
    "gbk": ("gb18030",),
    "gb18030": ("gb18030",),
    "big5": ("cp950", "big5hkscs"),
    "cp950": ("cp950", "big5hkscs"),
    "big5hkscs": ("big5hkscs",),
}
_XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass
class Table:
    """An uploaded file as text cells: the header row and the data rows with their line numbers."""

    headers: list[str]
    rows: list[tuple[int, list[str]]]
    encoding: str = ""
    header_line: int = 1

    @property
    def is_spreadsheet(self) -> bool:
        return not self.encoding


def _cell_text(value: Any) -> str:
    """Spreadsheet values as the text a user typed: whole numbers without `.0`, ISO dates."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _codecs_for(encoding: str) -> tuple[str, ...]:
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return ()
    return _CODECS.get(name, _CODECS.get(encoding.lower(), (name,)))


def _decode(data: bytes, encoding: str) -> str | None:
    for codec in _codecs_for(encoding):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    return None


def _csv_rows(text: str) -> list[tuple[int, list[str]]]:
    """Rows with the line each starts on; the delimiter is what the first lines use most."""
    head = "\n".join(text.splitlines()[:HEADER_SEARCH_ROWS])
    delimiter = max(",;\t|", key=head.count)
    if not head.count(delimiter):
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows, start = [], 1
    try:
        for cells in reader:
            rows.append((start, [cell.strip() for cell in cells]))
            start = reader.line_num + 1
            if len(rows) > MAX_ROWS + HEADER_SEARCH_ROWS:
                break
    except csv.Error as exc:
        raise ValidationError(
            _("Line %(line)d cannot be read: %(reason)s"), params={"line": start, "reason": exc}
        ) from exc
    return rows


def _xlsx_rows(data: bytes) -> list[tuple[int, list[str]]]:
    """The first sheet's rows. A damaged or hostile workbook can make the parser raise
    almost anything (zip, XML, defusedxml errors), so every failure is the same answer."""
    rows = []
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            for line, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
                rows.append((line, [_cell_text(value) for value in values]))
                if len(rows) > MAX_ROWS + HEADER_SEARCH_ROWS:
                    break
        finally:
            workbook.close()
    except Exception as exc:
        raise ValidationError(_("This file cannot be read as an Excel workbook.")) from exc
    return rows


def _build_table(rows: list[tuple[int, list[str]]], fields: list[ImportField]) -> Table:
    rows = [(line, cells) for line, cells in rows if any(cells)]
    if not rows:
        raise ValidationError(_("The file has no rows."))
    known = synonym_index(fields)
    candidates = rows[:HEADER_SEARCH_ROWS]
    best = max(
        range(len(candidates)),
        key=lambda i: (sum(header_key(c) in known for c in candidates[i][1]), -i),
    )
    header_line, headers = candidates[best]
    data_rows = rows[best + 1 :]
    if not data_rows:
        raise ValidationError(_("The file has a header row but no data rows."))
    if len(data_rows) > MAX_ROWS:
        raise ValidationError(
            _("The file has more than %(max)d rows. Split it into smaller files."),
            params={"max": MAX_ROWS},
        )
    width = len(headers)
    headers = [h or _("Column %(number)d") % {"number": i + 1} for i, h in enumerate(headers)]
    data_rows = [(line, (cells + [""] * width)[:width]) for line, cells in data_rows]
    return Table(headers=headers, rows=data_rows, header_line=header_line)


def _header_score(rows: list[tuple[int, list[str]]], fields: list[ImportField]) -> int:
    known = synonym_index(fields)
    return max(
        (sum(header_key(c) in known for c in cells) for _line, cells in rows[:HEADER_SEARCH_ROWS]),
        default=0,
    )


def read_table(data: bytes, *, file_name: str, encoding: str, target: Target) -> Table:
    """Read a CSV or XLSX file; a CSV's encoding is `encoding`, or detected when blank.

    Detection: a byte-order mark decides; then UTF-8 if the bytes are valid UTF-8;
    then charset-normalizer's guesses and GB18030 and Big5, of which the one whose
    header row names the most known columns wins.
    """
    fields = target.import_fields()
    if data.startswith(b"PK\x03\x04") or file_name.lower().endswith((".xlsx", ".xlsm")):
        return _build_table(_xlsx_rows(data), fields)
    if data.startswith(_XLS_MAGIC):
        raise ValidationError(
            _("This is an old Excel (.xls) file. Save it as .xlsx or CSV and upload it again.")
        )
    if encoding:
        text = _decode(data, encoding)
        if text is None:
            raise ValidationError(
                _("The file cannot be read as %(encoding)s. Choose another encoding."),
                params={"encoding": encoding},
            )
        table = _build_table(_csv_rows(text), fields)
        table.encoding = encoding
        return table
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    elif data.startswith(codecs.BOM_UTF8) or _decode(data, "utf-8") is not None:
        candidates = ["utf-8"]
    else:
        guesses = [match.encoding for match in from_bytes(data[:262_144])]
        candidates = list(dict.fromkeys([*guesses, "gb18030", "big5"]))
    best: tuple[int, str, list] | None = None
    for candidate in candidates:
        text = _decode(data, candidate)
        if text is None:
            continue
        rows = _csv_rows(text)
        score = _header_score(rows, fields)
        if best is None or score > best[0]:
            best = (score, candidate, rows)
    if best is None:
        raise ValidationError(_("The file's encoding cannot be detected. Choose it below."))
    _score, detected, rows = best
    table = _build_table(rows, fields)
    table.encoding = codecs.lookup(detected).name if detected not in _CODECS else detected
    return table


def read_job_table(job: ImportJob) -> Table:
    """The job's file as a table, in the encoding the job records."""
    with job.file.open("rb") as handle:
        data = handle.read()
    return read_table(
        data, file_name=job.original_name, encoding=job.encoding, target=target_for(job.target)
    )
