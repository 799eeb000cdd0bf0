"""How far an import is, visible to the progress page while the import's transaction is open."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection, connections

from allyance.core.models import ImportJob

logger = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.5  # seconds between progress reports


def _progress_path(job_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "imports" / "progress" / f"{job_id}.txt"


class ProgressReporter:
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
