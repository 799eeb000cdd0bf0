"""Import jobs: create, configure, dry-run, run, queue; every write to a job goes through here."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from allyance.core import audit
from allyance.core.imports.bulk import import_pass_for
from allyance.core.imports.progress import ProgressReporter
from allyance.core.imports.reading import Table, read_job_table, read_table
from allyance.core.imports.rows import ImportPass
from allyance.core.imports.targets import (
    Target,
    can_import,
    mapping_problems,
    suggest_mapping,
    target_for,
)
from allyance.core.models import ImportJob, User

logger = logging.getLogger(__name__)

# Files up to this many rows are checked and imported within the request (a few seconds);
# larger ones go to the background worker. Settings may override it (IMPORT_INLINE_MAX_ROWS).
INLINE_MAX_ROWS = 500


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
    if chosen.may_import is not None and not chosen.may_import(by):
        refusal = chosen.refusal or _("Only administrators may import into %(target)s.")
        raise ValidationError({"target": str(refusal) % {"target": chosen.label}})
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
        with job.file.open("rb") as handle:
            data = handle.read()
        table = read_table(data, file_name=job.original_name, encoding=encoding, target=target)
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


def _process(job: ImportJob, *, dry_run: bool) -> ImportPass:
    """Clean every row, look up the records they may repeat, then save the rows in one
    transaction (in chunks on the bulk path, else through the services row by row); roll
    back a dry run, and a real run with bad rows unless the user chose to skip them."""
    with _collector_paused():
        table = read_job_table(job)
        run = import_pass_for(job, table, dry_run=dry_run)
        cleaned = [(line, *run.clean(cells)) for line, cells in table.rows]
        run.load_existing([values for _line, values, errors in cleaned if not errors])
        progress = ProgressReporter(job)
        try:
            with audit.acting_as(job.created_by), transaction.atomic():
                run.process_all(cleaned, progress)
                if dry_run or (run.invalid and not job.skip_invalid_rows):
                    transaction.set_rollback(True)
        finally:
            progress.close()
    job.total_rows = len(table.rows)
    return run


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector walks every live object on its full runs, and a pass holds
    several per row (cells, values, keys, records) until it ends: with it running, a
    100,000-row import spent about half its time collecting. The pass frees its rows when
    it ends, and the collector, enabled again, catches any cycles then."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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
                    "Dry run — to create: %(created)d; to update: %(updated)d; duplicates to "
                    "skip: %(skipped)d; bad rows: %(errors)d."
                )
                % counts
            )
        elif run.invalid and not job.skip_invalid_rows:
            job.status = ImportJob.Status.FAILED
            job.created_count = job.updated_count = 0
            job.message = (
                _(
                    "Nothing was imported — bad rows: %(errors)d. Correct the file, or "
                    "choose to import the valid rows and skip the bad ones."
                )
                % counts
            )
        else:
            job.status = ImportJob.Status.DONE
            job.finished_at = timezone.now()
            job.message = (
                _(
                    "Imported — created: %(created)d; updated: %(updated)d; duplicates "
                    "skipped: %(skipped)d."
                )
                % counts
            )
            if run.invalid:
                job.message += " " + _("Bad rows skipped: %(errors)d.") % counts
        if run.new_accounts:
            job.message += " " + (
                _("New accounts for the contacts' companies: %(accounts)d.") % counts
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
    if job.total_rows <= getattr(settings, "IMPORT_INLINE_MAX_ROWS", INLINE_MAX_ROWS):
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
    run = ImportPass(job, table)
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
    run = ImportPass(job, table)
    return [(header, str(f.label)) for _p, f, header in run.columns]


def field_choices(target: Target) -> list[tuple[str, str]]:
    """(name, label) of every field a column can be imported as."""
    return [(f.name, str(f.label)) for f in target.import_fields()]
