"""Backup and restore of an SQLite instance: a consistent copy of the database and the files.

SQLite's online backup API copies the whole database in one step under one read
transaction. In WAL mode a reader never waits for writers and never sees their
uncommitted work, so the copy is a snapshot of the last commit even while the
app keeps writing. The uploaded files are copied after the snapshot, so every
file a copied row points to was already on disk. PostgreSQL installations use
`pg_dump` instead (README, "Backup and restore").
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.utils import timezone
from django.utils.translation import gettext as _

DATABASE_FILE = "allyance.sqlite3"
MEDIA_DIR = "media"
MANIFEST_FILE = "manifest.json"
MANIFEST_FORMAT = 1
BUSY_TIMEOUT_MS = 30_000


class BackupError(Exception):
    """A backup or restore that cannot be done; the message tells the operator why."""


def database_path(using: str = "default") -> Path:
    """The SQLite file behind `using`; any other database is refused with the way to back it up."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        raise BackupError(
            _(
                "This instance keeps its data in %(vendor)s, which this command does not copy. "
                "Back it up with pg_dump as the README describes "
                '(pg_dump -Fc "$DATABASE_URL" > allyance.dump) and copy MEDIA_ROOT.'
            )
            % {"vendor": connection.display_name}
        )
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or "mode=memory" in name:
        raise BackupError(_("An in-memory database cannot be backed up or restored."))
    return Path(name)


def _connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    target = f"file:{path}?mode=ro" if read_only else f"file:{path}"
    connection = sqlite3.connect(target, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return connection


def _row_counts(connection: sqlite3.Connection) -> dict[str, int]:
    """Rows in every table of the database, SQLite's own tables left out."""
    names = [
        row[0]
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    quoted = {name: '"' + name.replace('"', '""') + '"' for name in names}
    return {
        name: connection.execute(f"SELECT count(*) FROM {quoted[name]}").fetchone()[0]
        for name in names
    }


def _check_integrity(connection: sqlite3.Connection, where: Path) -> None:
    result = connection.execute("PRAGMA quick_check").fetchone()[0]
    if result != "ok":
        raise BackupError(
            _("The database in %(path)s is damaged: %(result)s") % {"path": where, "result": result}
        )


def _files(root: Path) -> dict[str, int]:
    """Every file below `root` (relative path → size in bytes)."""
    if not root.is_dir():
        return {}
    return {
        path.relative_to(root).as_posix(): path.stat().st_size
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def backup_create(*, target: Path, using: str = "default") -> dict:
    """Copy the live database and the uploaded files into `target`; returns the manifest.

    `target` must be new or empty, so an earlier backup is never overwritten. The
    manifest is written last: a directory without one is not a finished backup.
    """
    source_path = database_path(using)
    if not source_path.is_file():
        raise BackupError(_("There is no database at %(path)s.") % {"path": source_path})
    target = Path(target)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(
            _("%(path)s is not an empty directory; choose a new one for each backup.")
            % {"path": target}
        )
    created_dir = not target.exists()
    target.mkdir(parents=True, exist_ok=True)
    try:
        database = target / DATABASE_FILE
        with (
            contextlib.closing(_connect(source_path)) as source,
            contextlib.closing(_connect(database)) as copy,
        ):
            source.backup(copy)  # pages=-1: the whole database in one step, one snapshot
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal
            _check_integrity(copy, database)
            tables = _row_counts(copy)
        media = target / MEDIA_DIR
        media_root = Path(settings.MEDIA_ROOT)
        if media_root.is_dir():
            shutil.copytree(media_root, media)
        else:
            media.mkdir()
        files = _files(media)
        manifest = {
            "format": MANIFEST_FORMAT,
            "created_at": timezone.now().isoformat(),
            "engine": "sqlite",
            "database": DATABASE_FILE,
            "tables": tables,
            "rows": sum(tables.values()),
            "files": len(files),
            "file_bytes": sum(files.values()),
        }
        (target / MANIFEST_FILE).write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True), encoding="utf-8"
        )
    except BaseException:
        # Leave no half-written backup behind that could later be mistaken for a good one.
        if created_dir:
            shutil.rmtree(target, ignore_errors=True)
        else:
            for child in target.iterdir():
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        raise
    return manifest


def backup_read(source: Path) -> dict:
    """The manifest of the backup in `source`, after checking the copy still matches it."""
    source = Path(source)
    manifest_path = source / MANIFEST_FILE
    if not manifest_path.is_file():
        raise BackupError(
            _("%(path)s holds no finished backup (no %(manifest)s).")
            % {"path": source, "manifest": MANIFEST_FILE}
        )
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BackupError(
            _("%(path)s cannot be read: %(error)s") % {"path": manifest_path, "error": exc}
        ) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise BackupError(
            _("%(path)s is not an Allyance backup manifest.") % {"path": manifest_path}
        )
    database = source / DATABASE_FILE
    if not database.is_file():
        raise BackupError(_("The database file %(path)s is missing.") % {"path": database})
    try:
        with contextlib.closing(_connect(database, read_only=True)) as copy:
            _check_integrity(copy, database)
            tables = _row_counts(copy)
    except sqlite3.DatabaseError as exc:
        raise BackupError(
            _("The database in %(path)s is damaged: %(result)s") % {"path": database, "result": exc}
        ) from exc
    if tables != manifest.get("tables"):
        raise BackupError(
            _("The database in %(path)s does not hold the rows its manifest lists.")
            % {"path": database}
        )
    if len(_files(source / MEDIA_DIR)) != manifest.get("files"):
        raise BackupError(
            _("The backup in %(path)s does not hold the files its manifest lists.")
            % {"path": source}
        )
    return manifest


def instance_has_data(using: str = "default") -> bool:
    """True when the instance has users, business records or uploaded files.

    Read with plain SQL, so it also works on a database that was never migrated.
    """
    from django.apps import apps

    from allyance.core.models import BusinessModel, User

    if _files(Path(settings.MEDIA_ROOT)):
        return True
    path = database_path(using)
    if not path.is_file():
        return False
    tables = [
        model._meta.db_table
        for model in apps.get_models()
        if model is User or issubclass(model, BusinessModel)
    ]
    with contextlib.closing(_connect(path, read_only=True)) as connection:
        existing = {
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        return any(
            connection.execute(f'SELECT 1 FROM "{table}" LIMIT 1').fetchone()
            for table in tables
            if table in existing
        )


def backup_restore(*, source: Path, force: bool = False, using: str = "default") -> dict:
    """Put the backup in `source` into this instance; returns its manifest.

    Only an empty instance is restored into, unless `force` says to replace what
    is there. The copy is checked against its manifest before anything is
    touched, and the restored database and files are checked again afterwards.
    """
    source = Path(source)
    target_path = database_path(using)
    manifest = backup_read(source)
    if not force and instance_has_data(using):
        raise BackupError(
            _(
                "This instance already holds data (users, records or files). Restore into an "
                "empty instance, or pass --force to replace everything in it with the backup."
            )
        )
    connections[using].close()
    target_path.parent.mkdir(parents=True, exist_ok=True)
    with (
        contextlib.closing(_connect(source / DATABASE_FILE, read_only=True)) as copy,
        contextlib.closing(_connect(target_path)) as live,
    ):
        copy.backup(live)  # replaces every page of the target, through its own journal
        tables = _row_counts(live)
    if tables != manifest["tables"]:
        raise BackupError(
            _("The restored database does not hold the rows the backup lists; restore again.")
        )
    media_root = Path(settings.MEDIA_ROOT)
    media_root.mkdir(parents=True, exist_ok=True)
    backed_up = _files(source / MEDIA_DIR)
    if backed_up:
        shutil.copytree(source / MEDIA_DIR, media_root, dirs_exist_ok=True)
    restored = _files(media_root)
    missing = [name for name, size in backed_up.items() if restored.get(name) != size]
    if missing:
        raise BackupError(
            _("%(count)d files were not restored, e.g. %(name)s.")
            % {"count": len(missing), "name": missing[0]}
        )
    return manifest
