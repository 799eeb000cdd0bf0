"""`manage.py restore <dir>`: put a backup made by `manage.py backup` into an empty instance."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from allyance.core.backup import BackupError, backup_restore


class Command(BaseCommand):
    # No system checks: they would touch the database this command is about to replace,
    # which may not even exist yet.
    requires_system_checks = []
    help = (
        "Restore a backup made by `manage.py backup` into this (empty) instance: the SQLite "
        "database and the uploaded files, checked against the backup's manifest. Stop the web "
        "server and the worker first."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("source", help="The backup directory.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace the data of an instance that is not empty.",
        )

    def handle(self, *args, source: str, force: bool, **options) -> None:
        try:
            manifest = backup_restore(source=Path(source), force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Restored the backup of %(created)s: %(rows)d rows in %(tables)d tables, "
                    "%(files)d files. Run `manage.py migrate` if this code is newer than the backup."
                )
                % {
                    "created": manifest["created_at"],
                    "rows": manifest["rows"],
                    "tables": len(manifest["tables"]),
                    "files": manifest["files"],
                }
            )
        )
