"""`manage.py backup [<dir>]`: a consistent copy of the SQLite database and the uploaded files."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from allyance.core.backup import BackupError, backup_create


class Command(BaseCommand):
    # No system checks: on SQLite they open a write transaction (the JSONField check runs
    # in an IMMEDIATE transaction), and a backup must not wait for the app's writers.
    requires_system_checks = []
    help = (
        "Copy the SQLite database (online: safe while the app runs) and the uploaded files "
        "into a new directory, with a manifest of row and file counts. On PostgreSQL use pg_dump."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "target",
            nargs="?",
            help="A new or empty directory (default: var/backups/<date-time>).",
        )

    def handle(self, *args, target: str | None, **options) -> None:
        if target is None:
            stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
            target = str(Path(settings.VAR_DIR) / "backups" / stamp)
        try:
            manifest = backup_create(target=Path(target))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Backup written to %(path)s: %(rows)d rows in %(tables)d tables, %(files)d files."
                )
                % {
                    "path": target,
                    "rows": manifest["rows"],
                    "tables": len(manifest["tables"]),
                    "files": manifest["files"],
                }
            )
        )
