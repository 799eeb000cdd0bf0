"""The bulk path of an import, for the high-volume targets (accounts, contacts).

Rows are cleaned, de-duplicated and checked one by one exactly as on the per-row path
(`ImportPass`): the same cleaning, the same rules of the record services (their
`*_prepare` functions and `record_validate`), the same reports by line number. What
changes is the writing: accepted rows wait in memory and are written a chunk at a time
with `bulk_create`/`bulk_update`, together with their audit entries, search entries,
tags and the new accounts named in contact rows. The dry run writes nothing, and a run
that will be rolled back (a bad row, and the user did not choose to skip bad rows) stops
writing at the first bad row but goes on checking the rest for the report.

Targets without a bulk saver here (leads, products, the partners' records) take the
per-row path through their services.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models.functions import Lower
from django.utils import timezone

from allyance.core import audit, search
from allyance.core.imports.reading import Table
from allyance.core.imports.rows import ImportPass, _chunks
from allyance.core.models import ImportJob, Tag, User
from allyance.core.normalise import name_key
from allyance.core.services import record_validate
from allyance.customers.models import Account, Contact
from allyance.customers.services import account_prepare, contact_prepare

# Rows written per round of bulk statements; progress is reported once per chunk.
CHUNK_SIZE = 1000
BATCH_SIZE = 500  # rows per INSERT/UPDATE statement


@dataclass(frozen=True)
class BulkSaver:
    """How a target's records are written in bulk: the record service's rules without
    the write (`prepare(record, by)`), applied to each record before it is validated."""

    model: type[models.Model]
    prepare: Callable[[models.Model, User], models.Model]


BULK_SAVERS: dict[str, BulkSaver] = {
    "accounts": BulkSaver(Account, lambda record, by: account_prepare(account=record, by=by)),
    "contacts": BulkSaver(Contact, lambda record, by: contact_prepare(contact=record, by=by)),
}


def import_pass_for(job: ImportJob, table: Table, *, dry_run: bool) -> ImportPass:
    """The bulk pass when the target has a bulk saver, else the per-row pass."""
    if job.target in BULK_SAVERS:
        return BulkImportPass(job, table, writing=not dry_run)
    return ImportPass(job, table)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _lower_as_database(text: str) -> str:
    """`text` as the database's LOWER() writes it: SQLite folds ASCII letters only, so
    `ÖKO` stays `Öko` there, as the per-row path's case-insensitive match (LIKE) has it."""
    return text.translate(_ASCII_LOWER) if connection.vendor == "sqlite" else text.lower()


def _foreign_keys(model: type[models.Model]) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if f.is_relation]


class BulkImportPass(ImportPass):
    """An `ImportPass` that writes accepted rows in chunks instead of one by one.

    Foreign keys are left out of the per-record validation: the import found them itself
    (owners among the assignable users, accounts through the visibility gate or new ones)
    or read them from the database with the record, so checking each with a query would
    only repeat that.
    """

    def __init__(self, job: ImportJob, table: Table, *, writing: bool):
        super().__init__(job, table)
        self.saver = BULK_SAVERS[self.target.key]
        self.writing = writing
        self.model = self.saver.model
        self.unchecked = _foreign_keys(self.model)
        self.stored: dict[int, models.Model] = {}  # pk → record loaded for an update
        self.before: dict[int, dict] = {}  # id(record) → its audited values when last written
        self.companies: dict[str, Account] | None = None
        self.new_records: list[models.Model] = []
        self.waiting: set[int] = set()  # id() of the new and changed records not yet written
        self.changed_records: dict[int, models.Model] = {}  # id(record) → record
        self.new_companies: list[Account] = []
        self.tagged: list[tuple[models.Model, list[str]]] = []
        self.tags: dict[str, Tag] = {}

    # The pass.

    def load_existing(self, rows: list[dict]) -> None:
        self.rows = {id(values): values for values in rows}
        self.row_keys: dict[int, list[tuple[str, str]]] = {}
        super().load_existing(rows)

    def duplicate_keys(self, values: dict) -> list[tuple[str, str]]:
        """A row's keys are worked out once: for reading ahead and again for its turn."""
        if getattr(self, "rows", {}).get(id(values)) is not values:
            return super().duplicate_keys(values)
        if id(values) not in self.row_keys:
            self.row_keys[id(values)] = super().duplicate_keys(values)
        return self.row_keys[id(values)]

    def process_all(self, cleaned: list[tuple[int, dict, list[str]]], progress) -> None:
        valid = [values for _line, values, errors in cleaned if not errors]
        if self.model is Contact:
            self._load_companies(valid)
        if self.job.on_duplicate == ImportJob.OnDuplicate.UPDATE:
            self._load_stored()
        for processed, (line, values, errors) in enumerate(cleaned, start=1):
            self.process(line, values, errors)
            if self.invalid and not self.job.skip_invalid_rows:
                self.writing = False  # the run will be rolled back: only check the rest
            if len(self.new_records) + len(self.changed_records) >= CHUNK_SIZE:
                self.flush()
            if processed % CHUNK_SIZE == 0:
                progress.report(processed)
        self.flush()
        progress.report(len(cleaned))

    def write(self, values: dict, repeated: models.Model | None) -> models.Model:
        """Check one row as the record service would and keep it for the next chunk."""
        creating = repeated is None
        if creating:
            record = instance = self.model()
        else:
            record = self._current(repeated)
            instance = copy.copy(record)  # a bad row must leave the record as it was
        tags = self.apply(instance, values, creating=creating)
        self.saver.prepare(instance, self.user)
        record_validate(instance=instance, by=self.user, exclude=self.unchecked, creating=creating)
        if not creating:
            record.__dict__.update(instance.__dict__)
        company = record.account if values.get("account") else None
        if company is not None and getattr(company, "_created_by_import", False):
            self.new_companies.append(company)
        if creating:
            self.new_records.append(record)
        else:
            self.changed_records[id(record)] = record
        self.waiting.add(id(record))
        if tags:
            self.tagged.append((record, tags))
        return record

    def _current(self, repeated: models.Model) -> models.Model:
        """The record a row updates, as this import has left it so far. A record still
        waiting to be written is written first, so each update is its own version."""
        record = self.stored.get(repeated.pk, repeated) if repeated.pk else repeated
        if record is repeated and repeated.pk and id(repeated) not in self.before:
            record = self._stored().get(pk=repeated.pk)  # a record not read ahead: rare
            self.stored[record.pk] = record
            self.before[id(record)] = audit.snapshot(record)
        if self.writing and id(record) in self.waiting:
            self.flush()
        return record

    def _account(self, name: str) -> Account:
        """The visible account of that name (read for the whole file at once), or a new one
        checked as `account_save` would and written with the next chunk."""
        key = name_key(name)
        if key in self.accounts:
            return self.accounts[key]
        if self.companies and key in self.companies:
            return self.companies[key]
        account = Account(name=name.strip())
        try:
            account_prepare(account=account, by=self.user)
            record_validate(
                instance=account, by=self.user, exclude=_foreign_keys(Account), creating=True
            )
        except ValidationError as exc:
            raise ValidationError({"account": exc.messages}) from exc
        account._created_by_import = True
        return account

    # Reading ahead: a few queries for the whole file.

    def _load_companies(self, rows: list[dict]) -> None:
        """The visible accounts named in the rows, by folded name, the newest first."""
        self.companies = {}
        names = sorted(
            {
                _lower_as_database(values["account"].strip())
                for values in rows
                if values.get("account")
            }
        )
        visible = (
            self.target_accounts().annotate(name_lower=Lower("name")).order_by("-updated_at", "-pk")
        )
        for chunk in _chunks(names):
            for account in visible.filter(name_lower__in=chunk):
                self.companies.setdefault(name_key(account.name), account)

    def _load_stored(self) -> None:
        """The existing records the rows may update, locked until the import commits."""
        pks = sorted({pk for pk, _label in self.existing.values()})
        for chunk in _chunks(pks):
            for record in self._stored().filter(pk__in=chunk):
                self.stored[record.pk] = record
                self.before[id(record)] = audit.snapshot(record)

    def _stored(self) -> models.QuerySet:
        records = self.model._default_manager.all()
        if self.model is Contact:
            records = records.select_related("account")
        return records.select_for_update(of=("self",)) if self.writing else records

    # Writing a chunk.

    def flush(self) -> None:
        """Write the waiting rows: new accounts, new records, updated records, tags, each
        with their audit and search entries."""
        if self.writing:
            if self.new_companies:
                self._create(Account, self.new_companies)
            if self.new_records:
                self._create(self.model, self.new_records)
            if self.changed_records:
                self._update(list(self.changed_records.values()))
            if self.tagged:
                self._add_tags(self.tagged)
        self.new_companies, self.new_records, self.tagged = [], [], []
        self.changed_records, self.waiting = {}, set()

    def _create(self, model: type[models.Model], records: list[models.Model]) -> None:
        model._default_manager.bulk_create(records, batch_size=BATCH_SIZE)
        for record in records:
            record._state.adding = False
        self._audit(model, records, created=True)
        search.index_instances(model, records)

    def _update(self, records: list[models.Model]) -> None:
        """Each record one version up, as `record_save` would; the rows were locked when
        read, so no one else changed them since."""
        now = timezone.now()
        fields = {"version", "updated_at"}
        for record in records:
            before = self.before.get(id(record), {})
            fields.update(
                name for name, value in audit.snapshot(record).items() if before.get(name) != value
            )
            record.version += 1
            record.updated_at = now
        names = [
            f.name
            for f in self.model._meta.concrete_fields
            if f.attname in fields or f.name in fields
        ]
        self.model._default_manager.bulk_update(records, names, batch_size=BATCH_SIZE)
        self._audit(self.model, records, created=False)
        search.index_instances(self.model, records)
        if self.model is Account:
            search.index_followers(Account, [record.pk for record in records])

    def _audit(
        self, model: type[models.Model], records: list[models.Model], *, created: bool
    ) -> None:
        """The entries the records' `save()` would have written (see `core.audit`): on a
        create every value given, on an update each changed value as [old, new]."""
        entries = []
        for record in records:
            before = {} if created else self.before.get(id(record), {})
            after = audit.snapshot(record)
            self.before[id(record)] = after
            changes = audit.changes_between(before, after, created=created)
            if created or changes:
                entries.append((record, "create" if created else "update", changes))
        audit.entries_write(entries)

    def _add_tags(self, tagged: list[tuple[models.Model, list[str]]]) -> None:
        """Tags made once per name; each record gains the ones it lacks, audited as
        `record.tags.add(...)` would be."""
        wanted = {name for _record, names in tagged for name in names} - set(self.tags)
        if wanted:
            Tag.objects.bulk_create(
                [Tag(name=name) for name in sorted(wanted)], ignore_conflicts=True
            )
            for chunk in _chunks(sorted(wanted)):
                self.tags.update((tag.name, tag) for tag in Tag.objects.filter(name__in=chunk))
        through = self.model.tags.through
        column = f"{self.model._meta.model_name}_id"
        present = set()
        for chunk in _chunks([record.pk for record, _names in tagged]):
            present.update(
                through.objects.filter(**{f"{column}__in": chunk}).values_list(column, "tag_id")
            )
        links, gained = [], {}
        for record, names in tagged:
            for name in names:
                tag = self.tags[name]
                if (record.pk, tag.pk) not in present:
                    present.add((record.pk, tag.pk))
                    links.append(through(**{column: record.pk, "tag_id": tag.pk}))
                    gained.setdefault(id(record), (record, []))[1].append(name)
        through.objects.bulk_create(links, batch_size=BATCH_SIZE)
        audit.entries_write(
            (record, "update", {"tags": {"added": sorted(names)}})
            for record, names in gained.values()
        )
