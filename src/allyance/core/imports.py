"""Import of accounts and contacts from CSV and XLSX: read, map, clean, de-duplicate, save.

A job is previewed first — a dry run of the real pipeline inside a transaction that
is rolled back — and then run: every row goes through its record's save service in
one transaction, so a file is imported whole or not at all, unless the user chose to
import the valid rows and skip the bad ones. `ImportJob.errors` holds one report per
row that needs the user's eye: bad rows (kind "error") and duplicates (kind "duplicate").
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re
import time
import unicodedata
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import openpyxl
from charset_normalizer import from_bytes
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.db import DatabaseError, connection, connections, models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_countries import countries

from allyance.core import audit
from allyance.core.api import users_assignable_by
from allyance.core.custom_fields import clean_custom_values
from allyance.core.exceptions import ConflictError
from allyance.core.models import CustomField, ImportJob, Tag, User
from allyance.core.normalise import email_normalised, name_key, phone_e164
from allyance.customers.models import Account, Contact
from allyance.customers.services import account_save, contact_save

logger = logging.getLogger(__name__)

MAX_ROWS = 100_000
HEADER_SEARCH_ROWS = 10  # a title line or two may stand above the header row
PROGRESS_INTERVAL = 0.5  # seconds between progress reports
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
_LIST_SEPARATORS = re.compile(r"[,;，；、|\n]+")
_TRUE = {"1", "y", "yes", "true", "on", "x", "是", "对", "對", "√", "✓"}
_FALSE = {"0", "n", "no", "false", "off", "否", "不", "错", "錯", "×", "✗"}
_COMPOUND_SURNAME_TEXT = (
    "欧阳 歐陽 司马 司馬 诸葛 諸葛 上官 东方 東方 皇甫 尉迟 尉遲 公孙 公孫 慕容 夏侯 长孙 長孫 宇文 司徒 "
    "令狐 端木 南宫 南宮 西门 西門 轩辕 軒轅 独孤 獨孤 百里 呼延 澹台 澹臺 万俟 萬俟"
)
_COMPOUND_SURNAMES = frozenset(_COMPOUND_SURNAME_TEXT.split())
# Short names people write that are not the countries' official names.
_COUNTRY_ALIAS_TEXT = (
    "中国大陆=CN 中國大陸=CN 大陆=CN 中华人民共和国=CN 中華人民共和國=CN prc=CN 香港=HK "
    "中国香港=HK 中國香港=HK 澳门=MO 澳門=MO 台湾=TW 台灣=TW 臺灣=TW 中国台湾=TW 中華民國=TW "
    "usa=US 美国=US 美國=US uk=GB 英国=GB 英國=GB"
)
_COUNTRY_ALIASES = dict(pair.split("=") for pair in _COUNTRY_ALIAS_TEXT.split())


# --- Reading files ---------------------------------------------------------------------------


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
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as exc:
        raise ValidationError(_("This file cannot be read as an Excel workbook.")) from exc
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for line, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
            rows.append((line, [_cell_text(value) for value in values]))
            if len(rows) > MAX_ROWS + HEADER_SEARCH_ROWS:
                break
        return rows
    finally:
        workbook.close()


def _header_key(text: str) -> str:
    """`E-mail (required)` and `e_mail` compare equal; so do full- and half-width forms."""
    text = unicodedata.normalize("NFKC", text or "")
    return name_key(re.sub(r"\([^)]*\)", "", text))


def _build_table(rows: list[tuple[int, list[str]]], fields: list[ImportField]) -> Table:
    rows = [(line, cells) for line, cells in rows if any(cells)]
    if not rows:
        raise ValidationError(_("The file has no rows."))
    known = _synonym_index(fields)
    candidates = rows[:HEADER_SEARCH_ROWS]
    best = max(
        range(len(candidates)),
        key=lambda i: (sum(_header_key(c) in known for c in candidates[i][1]), -i),
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
    known = _synonym_index(fields)
    return max(
        (sum(_header_key(c) in known for c in cells) for _line, cells in rows[:HEADER_SEARCH_ROWS]),
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


# --- What can be imported: the target registry ----------------------------------------------


@dataclass(frozen=True, eq=False)
class ImportField:
    """One column a target accepts. `kind` says how its text becomes a value."""

    name: str
    label: Any
    synonyms: tuple[str, ...] = ()
    kind: str = "text"  # text, choice, country, owner, tags, account, full_name, custom
    custom: CustomField | None = None
    exported: bool = True


def _synonym_index(fields: Iterable[ImportField]) -> dict[str, str]:
    """Header key → field name, from each field's name, synonyms and label in every language."""
    index: dict[str, str] = {}
    for import_field in fields:
        index.setdefault(_header_key(import_field.name), import_field.name)
    for import_field in fields:
        labels = set()
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                labels.add(str(import_field.label))
        for text in (*import_field.synonyms, *labels):
            index.setdefault(_header_key(text), import_field.name)
    return index


@dataclass(frozen=True)
class Target:
    """A record type that can be imported and exported, and the service that saves its rows."""

    key: str
    label: Any
    model: type[models.Model]
    fields: tuple[ImportField, ...]
    required: tuple[tuple[str, ...], ...]  # each group: at least one of these columns
    selector: str
    record_list: str
    save: Callable[..., models.Model]
    phone_fields: tuple[str, ...]
    email_fields: tuple[str, ...]

    def import_fields(self) -> list[ImportField]:
        """The built-in fields and one per custom field defined for the model."""
        content_type = ContentType.objects.get_for_model(self.model)
        custom = [
            ImportField(
                name=f"cf_{definition.name}",
                label=definition.label,
                synonyms=(definition.name,),
                kind="custom",
                custom=definition,
            )
            for definition in CustomField.objects.filter(content_type=content_type)
        ]
        return [*self.fields, *custom]

    def visible(self, user: User) -> QuerySet:
        return import_string(self.selector)(user)


def _save_account(record: Account, *, by: User) -> Account:
    return account_save(account=record, by=by)


def _save_contact(record: Contact, *, by: User) -> Contact:
    return contact_save(contact=record, by=by)


def _field(name: str, label, synonyms: str = "", kind: str = "text", **extra) -> ImportField:
    """An import field whose synonyms are given as one `a|b|c` string."""
    return ImportField(name, label, tuple(filter(None, synonyms.split("|"))), kind, **extra)


_PHONE = "phone|telephone|tel|office phone|电话|電話|座机|座機|固话|固話|办公电话|辦公電話|联系电话|聯絡電話|聯繫電話"
_EMAIL = "email|e-mail|mail|email address|邮箱|郵箱|电子邮件|電子郵件|电子邮箱|電子郵箱|邮件|郵件|邮箱地址|電郵"
_EMAIL_ALT = "other email|email 2|备用邮箱|備用郵箱|其他邮箱|其他郵箱"
_OWNER = "owner|负责人|負責人|所有者|所有人|跟进人|跟進人|业务员|業務員"
_TAGS = "tags|tag|labels|标签|標籤|標簽"
_STATUS = "status|状态|狀態"
_COMPANY = (
    "company|company name|account|account name|customer|customer name|organisation|organization|"
    "公司|公司名称|公司名稱|客户|客戶|客户名称|客戶名稱|单位|單位|单位名称|單位名稱|企业名称|企業名稱|"
    "所属公司|所屬公司"
)

# fmt: off
ACCOUNT_FIELDS = (
    _field("name", gettext_lazy("Name"), _COMPANY + "|名称|名稱"),
    _field("kind", gettext_lazy("Kind"), "type|account type|类型|類型|客户类型|客戶類型", "choice"),
    _field("industry", gettext_lazy("Industry"), "行业|行業|所属行业|所屬行業", "choice"),
    _field("size_band", gettext_lazy("Size"), "company size|employees|规模|規模|人数|人數|员工人数|員工人數", "choice"),
    _field("status", gettext_lazy("Status"), _STATUS, "choice"),
    _field("source", gettext_lazy("Source"), "lead source|来源|來源|客户来源|客戶來源", "choice"),
    _field("phone", gettext_lazy("Phone"), _PHONE),
    _field("phone_alt", gettext_lazy("Other phone"), "phone 2|其他电话|其他電話|备用电话|備用電話"),
    _field("email", gettext_lazy("E-mail"), _EMAIL),
    _field("email_alt", gettext_lazy("Other e-mail"), _EMAIL_ALT),
    _field("website", gettext_lazy("Website"), "web|url|homepage|网站|網站|网址|網址|主页|主頁"),
    _field("country", gettext_lazy("Country"), "国家|國家|国家/地区|國家/地區|国家地区", "country"),
    _field("province", gettext_lazy("Province/state"), "province|state|region|省|省份|州|省/州|省/市"),
    _field("city", gettext_lazy("City"), "town|城市|市|所在城市"),
    _field("street", gettext_lazy("Street"), "address|地址|街道|详细地址|詳細地址|办公地址|辦公地址"),
    _field("postcode", gettext_lazy("Postcode"), "postal code|zip|zip code|邮编|郵編|邮政编码|郵政編碼|郵遞區號"),
    _field("description", gettext_lazy("Description"), "notes|note|remarks|comment|描述|备注|備註|说明|說明|简介|簡介"),
    _field("owner", gettext_lazy("Owner"), _OWNER, "owner"),
    _field("tags", gettext_lazy("Tags"), _TAGS, "tags"),
)

CONTACT_FIELDS = (
    _field("full_name", gettext_lazy("Full name"), "name|contact|contact name|姓名|联系人|聯繫人|聯絡人|联系人姓名|聯絡人姓名|全名", "full_name", exported=False),
    _field("family_name", gettext_lazy("Family name"), "last name|surname|姓|姓氏"),
    _field("given_name", gettext_lazy("Given name"), "first name|forename|名|名字"),
    _field("account", gettext_lazy("Company"), _COMPANY, "account"),
    _field("title", gettext_lazy("Job title"), "title|position|job|职位|職位|职务|職務|头衔|頭銜|岗位|崗位"),
    _field("department", gettext_lazy("Department"), "dept|部门|部門|所属部门|所屬部門"),
    _field("decision_role", gettext_lazy("Decision role"), "role|角色|决策角色|決策角色", "choice"),
    _field("status", gettext_lazy("Status"), _STATUS, "choice"),
    _field("phone", gettext_lazy("Phone"), _PHONE),
    _field("mobile", gettext_lazy("Mobile"), "mobile phone|cell|cell phone|cellphone|手机|手機|手机号|手機號|手机号码|手機號碼|移动电话|移動電話|行動電話"),
    _field("email", gettext_lazy("E-mail"), _EMAIL),
    _field("email_alt", gettext_lazy("Other e-mail"), _EMAIL_ALT),
    _field("notes", gettext_lazy("Notes"), "note|remarks|comment|description|备注|備註|说明|說明"),
    _field("owner", gettext_lazy("Owner"), _OWNER, "owner"),
    _field("tags", gettext_lazy("Tags"), _TAGS, "tags"),
)
# fmt: on

TARGETS: dict[str, Target] = {
    "accounts": Target(
        key="accounts",
        label=gettext_lazy("Accounts"),
        model=Account,
        fields=ACCOUNT_FIELDS,
        required=(("name",),),
        selector="allyance.customers.selectors.accounts_visible_to",
        record_list="allyance.customers.views.ACCOUNT_LIST",
        save=_save_account,
        phone_fields=("phone", "phone_alt"),
        email_fields=("email", "email_alt"),
    ),
    "contacts": Target(
        key="contacts",
        label=gettext_lazy("Contacts"),
        model=Contact,
        fields=CONTACT_FIELDS,
        required=(("family_name", "full_name"),),
        selector="allyance.customers.selectors.contacts_visible_to",
        record_list="allyance.customers.views.CONTACT_LIST",
        save=_save_contact,
        phone_fields=("phone", "mobile"),
        email_fields=("email", "email_alt"),
    ),
}


def target_for(key: str) -> Target:
    try:
        return TARGETS[key]
    except KeyError:
        raise ValidationError({"target": _("Choose what to import.")}) from None


def can_import(user: User) -> bool:
    """Staff and partner users import; portal customers do not."""
    return bool(user.is_authenticated and user.is_active and (user.is_internal or user.is_partner))


def suggest_mapping(headers: list[str], target: Target) -> dict[str, str]:
    """Column index → field name for every header that names a known field, each field once."""
    index = _synonym_index(target.import_fields())
    mapping: dict[str, str] = {}
    for position, header in enumerate(headers):
        name = index.get(_header_key(header))
        if name and name not in mapping.values():
            mapping[str(position)] = name
    return mapping


def mapping_problems(mapping: dict[str, str], target: Target) -> list[str]:
    """Why a column mapping cannot be used: a field chosen twice, or a required one missing."""
    fields = {f.name: f for f in target.import_fields()}
    chosen = [name for name in mapping.values() if name]
    problems = [
        _("“%(field)s” is chosen for more than one column.") % {"field": fields[name].label}
        for name in sorted(set(chosen))
        if chosen.count(name) > 1 and name in fields
    ]
    for group in target.required:
        if not set(group) & set(chosen):
            labels = " / ".join(str(fields[name].label) for name in group)
            problems.append(_("Choose a column for “%(field)s”.") % {"field": labels})
    return problems


def split_full_name(text: str) -> tuple[str, str]:
    """(family, given): `王小明` → (王, 小明), `欧阳娜娜` → (欧阳, 娜娜), `Ada Lovelace` → (Lovelace, Ada)."""
    text = " ".join((text or "").split())
    if not text:
        return "", ""
    if "," in text:
        family, _sep, given = text.partition(",")
        return family.strip(), given.strip()
    from allyance.core.names import has_cjk

    if has_cjk(text):
        if " " in text:
            family, _sep, given = text.partition(" ")
            return family, given
        size = 2 if text[:2] in _COMPOUND_SURNAMES and len(text) > 2 else 1
        return text[:size], text[size:]
    parts = text.split(" ")
    return parts[-1], " ".join(parts[:-1])


# --- Cleaning rows ---------------------------------------------------------------------------


def _choice_index(model_field: models.Field) -> dict[str, str]:
    index = {}
    for value, label in model_field.flatchoices:
        index[name_key(str(value))] = value
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                index.setdefault(name_key(str(label)), value)
    return index


def _country_index() -> dict[str, str]:
    index = {name_key(alias): code for alias, code in _COUNTRY_ALIASES.items()}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for country in countries:
                index.setdefault(name_key(country.name), country.code)
    for country in countries:
        index.setdefault(name_key(country.code), country.code)
        index.setdefault(name_key(countries.alpha3(country.code) or ""), country.code)
    index.pop("", None)
    return index


def _parse_date(text: str) -> str | None:
    cleaned = re.sub(r"[年月/.]", "-", text.strip()).rstrip("日").split(" ")[0].split("T")[0]
    try:
        return date(*(int(part) for part in cleaned.split("-"))).isoformat()
    except (TypeError, ValueError):
        return None


class _Run:
    """One pass over a job's rows: cleaning, duplicate detection, saving, counts and reports."""

    def __init__(self, job: ImportJob, table: Table):
        self.job = job
        self.user = job.created_by
        self.target = target_for(job.target)
        self.fields = {f.name: f for f in self.target.import_fields()}
        mapped = sorted(
            (int(position), name)
            for position, name in job.mapping.items()
            if name in self.fields and position.isdigit() and int(position) < len(table.headers)
        )
        self.columns = [(p, self.fields[name], table.headers[p]) for p, name in mapped]
        self.header_of = {f.name: header for _p, f, header in self.columns}
        self.choices: dict[str, dict[str, str]] = {}
        self.countries: dict[str, str] | None = None
        self.owners: dict[str, User | None] = {}
        self.accounts: dict[str, Account] = {}
        self.seen: dict[tuple[str, str], tuple[int, models.Model]] = {}
        self.reports: list[dict] = []
        self.created = self.updated = self.skipped = self.invalid = self.new_accounts = 0

    # Cells → values.

    def clean(self, cells: list[str]) -> tuple[dict[str, Any], list[str]]:
        values: dict[str, Any] = {}
        errors: list[str] = []
        for position, import_field, header in self.columns:
            text = cells[position]
            if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@"):
                text = text[1:]  # the guard our own export puts before formula-like text
            if not text:
                continue
            try:
                self._clean_value(import_field, text, values)
            except ValidationError as exc:
                errors.extend(f"{header}: {message}" for message in exc.messages)
        return values, errors

    def _clean_value(self, import_field: ImportField, text: str, values: dict) -> None:
        kind, name = import_field.kind, import_field.name
        if kind == "text" or kind == "account":
            values[name] = text
        elif kind == "full_name":
            family, given = split_full_name(text)
            values.setdefault("family_name", family)
            values.setdefault("given_name", given)
        elif kind == "choice":
            model_field = self.target.model._meta.get_field(name)
            index = self.choices.setdefault(name, _choice_index(model_field))
            if name_key(text) not in index:
                options = ", ".join(str(label) for _v, label in model_field.flatchoices)
                raise ValidationError(
                    _("“%(value)s” is not one of: %(options)s."),
                    params={"value": text, "options": options},
                )
            values[name] = index[name_key(text)]
        elif kind == "country":
            if self.countries is None:
                self.countries = _country_index()
            if name_key(text) not in self.countries:
                raise ValidationError(_("“%(value)s” is not a country."), params={"value": text})
            values[name] = self.countries[name_key(text)]
        elif kind == "owner":
            values[name] = self._owner(text)
        elif kind == "tags":
            values[name] = [t.strip()[:60] for t in _LIST_SEPARATORS.split(text) if t.strip()]
        elif kind == "custom":
            values.setdefault("custom_fields", {})[import_field.custom.name] = self._custom_value(
                import_field.custom, text
            )

    def _owner(self, text: str) -> User:
        key = text.strip().lower()
        if key not in self.owners:
            self.owners[key] = (
                users_assignable_by(self.user)
                .filter(Q(username__iexact=key) | Q(email__iexact=key))
                .order_by("pk")
                .first()
            )
        if self.owners[key] is None:
            raise ValidationError(
                _("There is no user “%(value)s” you can give records to."), params={"value": text}
            )
        return self.owners[key]

    def _custom_value(self, definition: CustomField, text: str) -> Any:
        """Spreadsheet text in the custom field's type; text that does not fit is left for
        `clean_custom_values` to refuse with its own message."""
        kind = definition.type
        if kind == CustomField.Type.NUMBER:
            try:
                number = Decimal(text.replace(",", ""))
                return int(number) if number == number.to_integral_value() else text
            except InvalidOperation:
                return text
        if kind == CustomField.Type.DECIMAL:
            try:
                return str(Decimal(text.replace(",", "")))
            except InvalidOperation:
                return text
        if kind == CustomField.Type.DATE:
            return _parse_date(text) or text
        if kind == CustomField.Type.BOOLEAN:
            folded = text.strip().casefold()
            return True if folded in _TRUE else False if folded in _FALSE else text
        if kind in (CustomField.Type.CHOICE, CustomField.Type.MULTI_CHOICE):
            canonical = {name_key(str(choice)): choice for choice in definition.choices or []}
            if kind == CustomField.Type.CHOICE:
                return canonical.get(name_key(text), text)
            parts = [p.strip() for p in _LIST_SEPARATORS.split(text) if p.strip()]
            return [canonical.get(name_key(part), part) for part in parts]
        if kind == CustomField.Type.USER:
            user = (
                users_assignable_by(self.user)
                .filter(Q(username__iexact=text) | Q(email__iexact=text))
                .first()
            )
            return user.pk if user else text
        return text

    # Duplicates.

    def duplicate_keys(self, values: dict) -> list[tuple[str, str]]:
        keys = []
        for name in self.target.email_fields:
            try:
                if email := email_normalised(values.get(name, "")):
                    keys.append(("email", email))
            except ValidationError:
                pass
        for name in self.target.phone_fields:
            try:
                if phone := phone_e164(values.get(name, "")):
                    keys.append(("phone", phone))
            except ValidationError:
                pass
        if self.target.model is Contact and values.get("family_name"):
            person = name_key(values["family_name"] + values.get("given_name", ""))
            keys.append(("name", f"{person}|{name_key(values.get('account', ''))}"))
        elif self.target.model is Account and values.get("name"):
            keys.append(("name", name_key(values["name"])))
        return keys

    def find_existing(self, keys: list[tuple[str, str]], values: dict) -> tuple[Any, str] | None:
        """The visible record this row repeats, and what matched; e-mail beats phone beats name."""
        emails = [key for kind, key in keys if kind == "email"]
        phones = [key for kind, key in keys if kind == "phone"]
        condition = Q(pk__in=[])
        if emails:
            for name in self.target.email_fields:
                condition |= Q(**{f"{name}__in": emails})
        if phones:
            for name in self.target.phone_fields:
                condition |= Q(**{f"{name}__in": phones})
        if self.target.model is Contact and values.get("family_name"):
            company = values.get("account", "")
            condition |= Q(
                family_name__iexact=values["family_name"],
                given_name__iexact=values.get("given_name", ""),
                **({"account__name__iexact": company} if company else {"account__isnull": True}),
            )
        elif self.target.model is Account and values.get("name"):
            condition |= Q(name__iexact=values["name"])
        candidates = list(self.target.visible(self.user).filter(condition)[:20])
        for kind in ("email", "phone", "name"):
            wanted = {key for k, key in keys if k == kind}
            for record in candidates:
                if wanted & {key for k, key in self.duplicate_keys(self._values_of(record))}:
                    return record, kind
        return None

    def _values_of(self, record: models.Model) -> dict:
        names = (*self.target.email_fields, *self.target.phone_fields, "name", "family_name")
        values = {name: getattr(record, name, "") or "" for name in (*names, "given_name")}
        if isinstance(record, Contact):
            values["account"] = record.account.name if record.account_id else ""
        return values

    # Saving.

    def save(self, instance: models.Model, values: dict) -> models.Model:
        values = dict(values)
        tags = values.pop("tags", [])
        company = values.pop("account", "")
        custom = values.pop("custom_fields", {})
        for name, value in values.items():
            setattr(instance, name, value)
        creating = instance.pk is None
        if custom or creating:
            instance.custom_fields = clean_custom_values(
                self.target.model, custom, existing=None if creating else instance.custom_fields
            )
        if company:
            instance.account = self._account(company)
        record = self.target.save(instance, by=self.user)
        if tags:
            record.tags.add(*(Tag.objects.get_or_create(name=name)[0] for name in tags))
        return record

    def _account(self, name: str) -> Account:
        key = name_key(name)
        if key in self.accounts:
            return self.accounts[key]
        found = [
            account
            for account in self.target_accounts().filter(name__iexact=name.strip())[:20]
            if name_key(account.name) == key
        ]
        if found:
            return found[0]
        try:
            account = account_save(account=Account(name=name.strip()), by=self.user)
        except ValidationError as exc:
            raise ValidationError({"account": exc.messages}) from exc
        account._created_by_import = True
        return account

    def target_accounts(self) -> QuerySet:
        return TARGETS["accounts"].visible(self.user)

    # One row.

    def report(self, line: int, kind: str, messages: list[str], **extra) -> None:
        self.reports.append({"line": line, "kind": kind, "messages": messages, **extra})

    def process(self, line: int, cells: list[str]) -> None:
        values, errors = self.clean(cells)
        if errors:
            self.invalid += 1
            self.report(line, "error", errors)
            return
        keys = self.duplicate_keys(values)
        policy = self.job.on_duplicate
        instance = self.target.model()
        earlier = next((self.seen[key] for key in keys if key in self.seen), None)
        if earlier is not None:
            message = _("Repeats line %(line)d of this file.") % {"line": earlier[0]}
            record_url = ""
        else:
            match = self.find_existing(keys, values)
            if match is not None:
                record, matched = match
                what = {"email": _("e-mail"), "phone": _("phone"), "name": _("name")}[matched]
                message = _("Same %(what)s as the existing record “%(record)s”.") % {
                    "what": what,
                    "record": record,
                }
                record_url = record.get_absolute_url()
                earlier = (0, record)
        if earlier is not None:
            self.report(line, "duplicate", [message], action=policy, record_url=record_url)
            if policy == ImportJob.OnDuplicate.SKIP:
                self.skipped += 1
                return
            if policy == ImportJob.OnDuplicate.UPDATE:
                instance = type(earlier[1])._default_manager.get(pk=earlier[1].pk)
        updating = instance.pk is not None
        try:
            with transaction.atomic():
                record = self.save(instance, values)
        except ValidationError as exc:
            self.invalid += 1
            self.reports = [r for r in self.reports if r["line"] != line]
            self.report(line, "error", self._messages(exc))
            return
        except ConflictError as exc:
            self.invalid += 1
            self.report(line, "error", [str(exc)])
            return
        if isinstance(record, Contact) and record.account_id:
            account = record.account
            if getattr(account, "_created_by_import", False):
                account._created_by_import = False
                self.new_accounts += 1
            self.accounts[name_key(account.name)] = account
        if updating:
            self.updated += 1
        else:
            self.created += 1
        for key in keys:
            self.seen.setdefault(key, (line, record))

    def _messages(self, exc: ValidationError) -> list[str]:
        if not hasattr(exc, "error_dict"):
            return list(exc.messages)
        messages = []
        for name, errors in exc.message_dict.items():
            header = self.header_of.get(name) or self.header_of.get(f"cf_{name}")
            if header is None and name in ("family_name", "given_name"):
                header = self.header_of.get("full_name")
            if header is None and name != NON_FIELD_ERRORS:
                try:
                    header = str(self.target.model._meta.get_field(name).verbose_name)
                except FieldDoesNotExist:  # a custom field's key
                    header = name
            messages.extend(f"{header}: {e}" if header else e for e in errors)
        return messages


# --- Progress --------------------------------------------------------------------------------


def _progress_path(job_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "imports" / "progress" / f"{job_id}.txt"


class _ProgressReporter:
    """Makes a job's processed-row count visible while the import's transaction is still open.

    The count cannot simply be saved on the job inside that transaction: PostgreSQL gets
    it through a second connection; SQLite (one writer, one machine) through a small file.
    """

    def __init__(self, job: ImportJob):
        self.job_id = job.pk
        self.file = _progress_path(job.pk) if connection.vendor == "sqlite" else None
        self.side_connection = None
        self.last = 0.0

    def report(self, processed: int) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_INTERVAL:
            return
        self.last = now
        try:
            if self.file is not None:
                self.file.parent.mkdir(parents=True, exist_ok=True)
                partial = self.file.with_suffix(".tmp")
                partial.write_text(str(processed))
                partial.replace(self.file)
            else:
                self._update_through_side_connection(processed)
        except (OSError, DatabaseError):
            logger.warning("Could not report the progress of import %s", self.job_id)

    def _update_through_side_connection(self, processed: int) -> None:
        if self.side_connection is None:
            self.side_connection = connections.create_connection(connection.alias)
            if self.side_connection.vendor == "postgresql":
                with self.side_connection.cursor() as cursor:
                    cursor.execute("SET lock_timeout = '200ms'")
        quote = self.side_connection.ops.quote_name
        meta = ImportJob._meta
        with self.side_connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {quote(meta.db_table)} SET {quote(meta.get_field('processed_rows').column)}"
                f" = %s WHERE {quote(meta.pk.column)} = %s",
                [processed, self.job_id],
            )

    def close(self) -> None:
        if self.side_connection is not None:
            self.side_connection.close()
        if self.file is not None:
            self.file.unlink(missing_ok=True)


def import_job_progress(job: ImportJob) -> int:
    """Rows processed so far, including those of a run whose transaction is still open."""
    if job.status == ImportJob.Status.RUNNING:
        try:
            return max(job.processed_rows, int(_progress_path(job.pk).read_text()))
        except (OSError, ValueError):
            pass
    return job.processed_rows


# --- Services --------------------------------------------------------------------------------


def import_jobs_of(user: User) -> QuerySet[ImportJob]:
    """A user sees only their own imports."""
    return ImportJob.objects.filter(created_by_id=user.pk)


def import_job_create(
    *,
    by: User,
    target: str,
    upload,
    encoding: str = "",
    on_duplicate: str = ImportJob.OnDuplicate.SKIP,
    skip_invalid_rows: bool = False,
) -> ImportJob:
    """Keep an uploaded file as a new job with the columns mapped from its headers.

    Raises ValidationError keyed by `file` when the file cannot be read.
    """
    if not can_import(by):
        raise ValidationError(_("You cannot import records."))
    chosen = target_for(target)
    if upload.size > settings.ATTACHMENT_MAX_BYTES:
        limit = {"size": settings.ATTACHMENT_MAX_BYTES // 2**20}
        raise ValidationError({"file": _("The file is larger than %(size)d MB.") % limit})
    data = upload.read()
    try:
        table = read_table(data, file_name=upload.name, encoding=encoding, target=chosen)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from exc
    upload.seek(0)
    job = ImportJob(
        created_by=by,
        target=chosen.key,
        original_name=Path(upload.name).name[:255],
        encoding=table.encoding,
        mapping=suggest_mapping(table.headers, chosen),
        on_duplicate=on_duplicate,
        skip_invalid_rows=skip_invalid_rows,
        total_rows=len(table.rows),
    )
    job.file.save(job.original_name, upload, save=False)
    job.save()
    return job


def import_job_configure(
    *,
    job: ImportJob,
    mapping: dict[str, str],
    encoding: str,
    on_duplicate: str,
    skip_invalid_rows: bool,
) -> ImportJob:
    """Change a job's mapping and options; the job must be previewed again before it runs.

    A changed encoding re-reads the file and maps its headers afresh.
    """
    if job.status in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING, ImportJob.Status.DONE):
        raise ValidationError(_("This import can no longer be changed."))
    target = target_for(job.target)
    if encoding != job.encoding:
        job.encoding = encoding
        table = read_job_table(job)
        job.encoding = table.encoding
        mapping = suggest_mapping(table.headers, target)
        job.total_rows = len(table.rows)
    else:
        problems = mapping_problems(mapping, target)
        if problems:
            raise ValidationError(problems)
    job.mapping = {position: name for position, name in mapping.items() if name}
    job.on_duplicate = on_duplicate
    job.skip_invalid_rows = skip_invalid_rows
    job.status = ImportJob.Status.UPLOADED
    job.errors = []
    job.message = ""
    job.save()
    return job


def _process(job: ImportJob, *, dry_run: bool) -> _Run:
    """Run every row through the save services in one transaction; roll back a dry run,
    and a real run with bad rows unless the user chose to skip them."""
    table = read_job_table(job)
    run = _Run(job, table)
    progress = _ProgressReporter(job)
    try:
        with audit.acting_as(job.created_by), transaction.atomic():
            for processed, (line, cells) in enumerate(table.rows, start=1):
                run.process(line, cells)
                progress.report(processed)
            if dry_run or (run.invalid and not job.skip_invalid_rows):
                transaction.set_rollback(True)
    finally:
        progress.close()
    job.total_rows = len(table.rows)
    return run


def _execute(job: ImportJob, *, dry_run: bool) -> ImportJob:
    job.status = ImportJob.Status.RUNNING
    job.processed_rows = 0
    job.message = _("Checking the file (dry run)…") if dry_run else _("Importing…")
    job.save(update_fields=["status", "processed_rows", "message"])
    language = job.created_by.language or settings.LANGUAGE_CODE
    with translation.override(language):
        try:
            run = _process(job, dry_run=dry_run)
        except Exception as exc:
            logger.exception("Import %s stopped", job.pk)
            job.status = ImportJob.Status.FAILED
            reason = exc.messages if isinstance(exc, ValidationError) else [_("unexpected error")]
            job.message = _("The import stopped (%(reason)s); nothing was imported.") % {
                "reason": " ".join(reason)
            }
            job.finished_at = timezone.now()
            job.save()
            return job
        job.processed_rows = job.total_rows
        job.created_count, job.updated_count = run.created, run.updated
        job.skipped_count = run.skipped
        job.errors = run.reports
        counts = {
            "created": run.created,
            "updated": run.updated,
            "skipped": run.skipped,
            "errors": run.invalid,
            "accounts": run.new_accounts,
        }
        if dry_run:
            job.status = ImportJob.Status.PREVIEWED
            job.message = (
                _(
                    "Dry run: %(created)d to create, %(updated)d to update, %(skipped)d "
                    "duplicates to skip, %(errors)d rows with errors."
                )
                % counts
            )
        elif run.invalid and not job.skip_invalid_rows:
            job.status = ImportJob.Status.FAILED
            job.created_count = job.updated_count = 0
            job.message = (
                _(
                    "Nothing was imported: %(errors)d rows have errors. Correct the file, or "
                    "choose to import the valid rows and skip the bad ones."
                )
                % counts
            )
        else:
            job.status = ImportJob.Status.DONE
            job.finished_at = timezone.now()
            job.message = (
                _(
                    "Imported: %(created)d created, %(updated)d updated, %(skipped)d duplicates skipped."
                )
                % counts
            )
            if run.invalid:
                job.message += " " + _("%(errors)d bad rows were skipped.") % counts
        if run.new_accounts:
            job.message += " " + (
                _("%(accounts)d new accounts for the contacts' companies.") % counts
            )
        job.save()
    return job


def import_job_preview(*, job: ImportJob) -> ImportJob:
    """Dry run: report what the import would create, update and skip, and every bad row."""
    return _execute(job, dry_run=True)


def import_job_run(*, job: ImportJob) -> ImportJob:
    """Import the job's rows through the record services, all in one transaction."""
    if job.status not in (
        ImportJob.Status.PREVIEWED,
        ImportJob.Status.QUEUED,
        ImportJob.Status.RUNNING,
    ):
        raise ValidationError(_("Preview the import before running it."))
    return _execute(job, dry_run=False)


def import_job_start(*, job: ImportJob, dry_run: bool) -> ImportJob:
    """Preview or run now when the file is small, else queue it for the background worker."""
    if not dry_run and job.status != ImportJob.Status.PREVIEWED:
        raise ValidationError(_("Preview the import before running it."))
    if job.total_rows <= getattr(settings, "IMPORT_INLINE_MAX_ROWS", 2000):
        return import_job_preview(job=job) if dry_run else import_job_run(job=job)
    from allyance.core import tasks

    job.status = ImportJob.Status.QUEUED
    job.processed_rows = 0
    job.message = _("Waiting for the background worker…")
    job.save(update_fields=["status", "processed_rows", "message"])
    task = tasks.import_job_preview_task if dry_run else tasks.import_job_run_task
    task.enqueue(job.pk)
    job.refresh_from_db()
    return job


def import_job_claim(*, job_id: int) -> ImportJob | None:
    """Take a queued job for one worker; None when it is gone or another worker has it."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING
    )
    return ImportJob.objects.select_related("created_by").get(pk=job_id) if claimed else None


def import_job_sample(job: ImportJob, table: Table, *, limit: int = 10) -> list[dict]:
    """The first rows as the mapping reads them, with what the last preview said of each."""
    run = _Run(job, table)
    verdicts = {}
    for report in job.errors:
        verdicts.setdefault(
            report["line"], "error" if report["kind"] == "error" else report.get("action")
        )
    sample = []
    for line, cells in table.rows[:limit]:
        sample.append(
            {
                "line": line,
                "action": verdicts.get(line, "create"),
                "cells": [cells[position] for position, _f, _h in run.columns],
            }
        )
    return sample


def import_job_columns(job: ImportJob, table: Table) -> list[tuple[str, str]]:
    """(header, field label) of each mapped column, in file order."""
    run = _Run(job, table)
    return [(header, str(f.label)) for _p, f, header in run.columns]


def field_choices(target: Target) -> list[tuple[str, str]]:
    return [(f.name, str(f.label)) for f in target.import_fields()]
