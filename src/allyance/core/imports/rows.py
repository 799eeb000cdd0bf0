"""One pass over an import's rows: cleaning cells, finding duplicates, saving through the services."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import reduce
from operator import or_
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.utils import translation
from django.utils.translation import gettext as _
from django_countries import countries

from allyance.core.api import users_assignable_by
from allyance.core.custom_fields import clean_custom_values, fields_for
from allyance.core.exceptions import ConflictError
from allyance.core.imports.reading import Table
from allyance.core.imports.targets import TARGETS, ImportField, split_full_name, target_for
from allyance.core.models import CustomField, ImportJob, Tag, User
from allyance.core.names import display_name
from allyance.core.normalise import email_normalised, name_key, phone_e164
from allyance.customers.models import Account, Contact
from allyance.customers.services import account_save

_LIST_SEPARATORS = re.compile(r"[,;，；、|\n]+")
_TRUE = {"1", "y", "yes", "true", "on", "x", "是", "对", "對", "√", "✓"}
_FALSE = {"0", "n", "no", "false", "off", "否", "不", "错", "錯", "×", "✗"}
# Short names people write that are not the countries' official names.
_COUNTRY_ALIAS_TEXT = (
    "中国大陆=CN 中國大陸=CN 大陆=CN 中华人民共和国=CN 中華人民共和國=CN prc=CN 香港=HK "
    "中国香港=HK 中國香港=HK 澳门=MO 澳門=MO 台湾=TW 台灣=TW 臺灣=TW 中国台湾=TW 中華民國=TW "
    "usa=US 美国=US 美國=US uk=GB 英国=GB 英國=GB"
)
_COUNTRY_ALIASES = dict(pair.split("=") for pair in _COUNTRY_ALIAS_TEXT.split())


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


def _chunks(items: list, size: int = 500) -> list[list]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def _parse_date(text: str) -> str | None:
    cleaned = re.sub(r"[年月/.]", "-", text.strip()).rstrip("日").split(" ")[0].split("T")[0]
    try:
        return date(*(int(part) for part in cleaned.split("-"))).isoformat()
    except (TypeError, ValueError):
        return None


class ImportPass:
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
        self.assignable: dict[str, User] | None = None
        self.custom_definitions: list[CustomField] | None = None
        self.accounts: dict[str, Account] = {}
        self.seen: dict[tuple[str, str], tuple[int, models.Model]] = {}
        self.existing: dict[tuple[str, str], tuple[int, str]] = {}
        self.required_custom_fields = any(
            f.custom.required for f in self.fields.values() if f.custom is not None
        )
        self.reports: list[dict] = []
        self.created = self.updated = self.skipped = self.invalid = self.new_accounts = 0

    # Cells → values.

    def clean(self, cells: list[str]) -> tuple[dict[str, Any], list[str]]:
        """A row's mapped cells as field values, and what is wrong with them (by column)."""
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
        if import_field.parse is not None:
            values.update(import_field.parse(self.user, text))
        elif kind == "text" or kind == "account":
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
        elif kind == "boolean":
            folded = text.strip().casefold()
            if folded not in _TRUE and folded not in _FALSE:
                raise ValidationError(_("“%(value)s” is not yes or no."), params={"value": text})
            values[name] = folded in _TRUE
        elif kind == "integer":
            try:
                number = Decimal(text.replace(",", "").strip())
            except InvalidOperation:
                number = None
            if number is None or number != number.to_integral_value() or number < 0:
                raise ValidationError(
                    _("“%(value)s” is not a whole number."), params={"value": text}
                )
            values[name] = int(number)
        elif kind == "family":
            values[name] = self._family(text)
        elif kind == "tax_class":
            values[name] = self._tax_class(text)

    def _family(self, text: str):
        """A product family by its path (`Storage / Disk arrays`, `›` or `>` also work) or,
        when the name is unique, by its name alone."""
        from allyance.catalog.models import ProductFamily
        from allyance.catalog.selectors.products import family_path

        if not hasattr(self, "families"):
            self.families = {}
            by_name: dict[str, list] = {}
            for family in ProductFamily.objects.select_related("parent"):
                path = "/".join(name_key(node.name) for node in family_path(family))
                self.families[path] = family
                by_name.setdefault(name_key(family.name), []).append(family)
            self.family_names = by_name
        parts = [part for part in re.split(r"\s*[/›>»]\s*", text.strip()) if part]
        found = self.families.get("/".join(name_key(part) for part in parts))
        if found is None and len(parts) == 1:
            same_name = self.family_names.get(name_key(parts[0]), [])
            if len(same_name) > 1:
                raise ValidationError(
                    _(
                        "Several families are called “%(value)s”; give the path, e.g. Parent / %(value)s."
                    ),
                    params={"value": text},
                )
            found = same_name[0] if same_name else None
        if found is None:
            raise ValidationError(
                _("There is no product family “%(value)s”."), params={"value": text}
            )
        return found

    def _tax_class(self, text: str):
        from allyance.catalog.models import TaxClass

        found = TaxClass.objects.filter(name__iexact=text.strip()).first()
        if found is None:
            raise ValidationError(_("There is no tax class “%(value)s”."), params={"value": text})
        return found

    def _assignable_user(self, text: str) -> User | None:
        """The user `text` names by user name or e-mail (any case) whom the importing user may
        give records to; the first by id when several match. All are read once per import."""
        if self.assignable is None:
            self.assignable = {}
            for user in users_assignable_by(self.user).order_by("pk"):
                for name in (user.username, user.email):
                    if name:
                        self.assignable.setdefault(name.lower(), user)
        return self.assignable.get(text.strip().lower())

    def _owner(self, text: str) -> User:
        owner = self._assignable_user(text)
        if owner is None:
            raise ValidationError(
                _("There is no user “%(value)s” you can give records to."), params={"value": text}
            )
        return owner

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
            user = self._assignable_user(text)
            return user.pk if user else text
        return text

    # Duplicates.

    def duplicate_keys(self, values: dict) -> list[tuple[str, str]]:
        """What makes two records the same: normalised e-mails and phones, and the name
        (a contact's with its company)."""
        if self.target.duplicates is not None:
            return self.target.duplicates.keys(values)
        keys = [
            (name, str(values[name]).strip().casefold())
            for name in self.target.key_fields
            if str(values.get(name) or "").strip()
        ]
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

    def load_existing(self, rows: list[dict]) -> None:
        """Index the visible records the rows could repeat, a few queries for the whole file.

        Newest first, so a key shared by several records points at the most recent one.
        """
        if self.target.duplicates is not None:
            wanted = {key for values in rows for key in self.duplicate_keys(values)}
            self.existing.update(self.target.duplicates.existing(self.user, wanted))
            return
        if self.target.key_fields:
            self._load_existing_by_keys(rows)
            return
        emails, phones, people, names = set(), set(), set(), set()
        for values in rows:
            for kind, key in self.duplicate_keys(values):
                if kind == "email":
                    emails.add(key)
                elif kind == "phone":
                    phones.add(key)
            if self.target.model is Contact and values.get("family_name"):
                people.add((values["family_name"].lower(), values.get("given_name", "").lower()))
            elif self.target.model is Account and values.get("name"):
                names.add(values["name"].lower())
        is_contact = self.target.model is Contact
        # Other people-like records (leads) match by e-mail and phone only.
        is_person = is_contact or self.target.model is not Account
        columns = ["pk", *self.target.email_fields, *self.target.phone_fields]
        if is_contact:
            columns += ["family_name", "given_name", "account__name"]
        elif is_person:
            columns += ["family_name", "given_name"]
        else:
            columns += ["name"]
        lowered = (
            {"family_lower": Lower("family_name"), "given_lower": Lower("given_name")}
            if is_contact
            else {}
            if is_person
            else {"name_lower": Lower("name")}
        )
        visible = self.target.visible(self.user).annotate(**lowered).order_by("-updated_at", "-pk")
        conditions = []
        for chunk in _chunks(sorted(emails)):
            conditions += [Q(**{f"{name}__in": chunk}) for name in self.target.email_fields]
        for chunk in _chunks(sorted(phones)):
            conditions += [Q(**{f"{name}__in": chunk}) for name in self.target.phone_fields]
        for chunk in _chunks(sorted(people), size=200):
            conditions.append(
                reduce(or_, (Q(family_lower=family, given_lower=given) for family, given in chunk))
            )
        for chunk in _chunks(sorted(names)):
            conditions.append(Q(name_lower__in=chunk))
        for condition in conditions:
            for record in visible.filter(condition).values(*columns):
                record = {name: value or "" for name, value in record.items()}
                record["account"] = record.pop("account__name", "")
                label = (
                    display_name(family=record["family_name"], given=record["given_name"])
                    if is_person
                    else record["name"]
                )
                for key in self.duplicate_keys(record):
                    self.existing.setdefault(key, (record["pk"], label))

    def _load_existing_by_keys(self, rows: list[dict]) -> None:
        """Index the visible records whose key fields (a product's SKU) the rows repeat."""
        visible = self.target.visible(self.user).order_by("-updated_at", "-pk")
        for name in self.target.key_fields:
            wanted = sorted(
                {
                    key
                    for values in rows
                    for kind, key in self.duplicate_keys(values)
                    if kind == name
                }
            )
            for chunk in _chunks(wanted):
                condition = reduce(or_, (Q(**{f"{name}__iexact": key}) for key in chunk))
                for record in visible.filter(condition):
                    key = (name, str(getattr(record, name)).strip().casefold())
                    self.existing.setdefault(key, (record.pk, str(record)))

    def find_existing(self, keys: list[tuple[str, str]]) -> tuple[int, str, str] | None:
        """(id, label, what matched) of the visible record this row repeats; a key field
        beats e-mail, which beats phone, which beats name."""
        if self.target.duplicates is not None:
            found = next((key for key in keys if key in self.existing), None)
            return (*self.existing[found], found[0]) if found else None
        for kind in (*self.target.key_fields, "email", "phone", "name"):
            for key in keys:
                if key[0] == kind and key in self.existing:
                    return (*self.existing[key], kind)
        return None

    # Saving.

    def apply(self, instance: models.Model, values: dict, *, creating: bool) -> list[str]:
        """Put a row's values on `instance`: its fields, its custom fields checked against
        their definitions, its company found or made; returns the tags it names."""
        values = dict(values)
        tags = values.pop("tags", [])
        company = values.pop("account", "")
        custom = values.pop("custom_fields", {})
        for name, value in values.items():
            setattr(instance, name, value)
        if custom or (creating and self.required_custom_fields):
            if self.custom_definitions is None:
                self.custom_definitions = fields_for(self.target.model)
            instance.custom_fields = clean_custom_values(
                self.target.model,
                custom,
                existing=None if creating else instance.custom_fields,
                definitions=self.custom_definitions,
            )
        if company:
            instance.account = self._account(company)
        return tags

    def save(self, instance: models.Model, values: dict) -> models.Model:
        tags = self.apply(instance, values, creating=instance.pk is None)
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

    def process_all(self, cleaned: list[tuple[int, dict, list[str]]], progress) -> None:
        """Every cleaned row (line, values, errors) in file order, reporting the progress."""
        for processed, (line, values, errors) in enumerate(cleaned, start=1):
            self.process(line, values, errors)
            progress.report(processed)

    def process(self, line: int, values: dict, errors: list[str]) -> None:
        """Save one cleaned row, or skip it, or report it; `errors` are its cleaning errors."""
        if errors:
            self.invalid += 1
            self.report(line, "error", errors)
            return
        keys = self.duplicate_keys(values)
        policy = self.job.on_duplicate
        earlier = self.repeats(line, keys)
        if earlier is not None and policy == ImportJob.OnDuplicate.SKIP:
            self.skipped += 1
            return
        updating = earlier is not None and policy == ImportJob.OnDuplicate.UPDATE
        try:
            record = self.write(values, earlier[1] if updating else None)
        except (ValidationError, ConflictError) as exc:
            # A bad row is reported as bad, not also as a duplicate.
            self.invalid += 1
            self.reports = [r for r in self.reports if r["line"] != line]
            messages = self._messages(exc) if isinstance(exc, ValidationError) else [str(exc)]
            self.report(line, "error", messages)
            return
        account = record.account if isinstance(record, Contact) else None
        if account is not None:
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

    def write(self, values: dict, repeated: models.Model | None) -> models.Model:
        """Save one row through the target's service in its own savepoint: a new record, or
        the record it repeats updated."""
        if repeated is None:
            instance = self.target.model()
        else:
            instance = type(repeated)._default_manager.get(pk=repeated.pk)
        with transaction.atomic():
            return self.save(instance, values)

    def repeats(self, line: int, keys: list[tuple[str, str]]) -> tuple[int, models.Model] | None:
        """(line, record) of the earlier row of this file, or (0, record) of the existing
        visible record, that a row with `keys` repeats; reported as a duplicate."""
        policy = self.job.on_duplicate
        earlier = next((self.seen[key] for key in keys if key in self.seen), None)
        if earlier is not None:
            message = _("Repeats line %(line)d of this file.") % {"line": earlier[0]}
            record_url = ""
        else:
            match = self.find_existing(keys)
            if match is not None:
                pk, label, matched = match
                what = {"email": _("e-mail"), "phone": _("phone"), "name": _("name")}.get(matched)
                if what is None:
                    what = str(self.fields[matched].label) if matched in self.fields else matched
                message = _("Same %(what)s as the existing record “%(record)s”.") % {
                    "what": what,
                    "record": label,
                }
                record_url = self.target.record_url(pk)
                earlier = (0, self.target.model(pk=pk))
        if earlier is not None:
            self.report(line, "duplicate", [message], action=policy, record_url=record_url)
        return earlier

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
