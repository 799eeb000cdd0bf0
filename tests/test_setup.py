"""The embedded set-up a new user gets: SQLite in WAL mode, first-run admin and demo, idempotent."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def manage(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "ALLYANCE_VAR_DIR": str(tmp_path),
        "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.slow_subprocess
def test_first_run_migrates_in_wal_mode_prints_admin_login_and_second_run_reuses(tmp_path):
    migrated = manage(tmp_path, "migrate", "--noinput", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr
    with sqlite3.connect(tmp_path / "db.sqlite3") as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"

    first = manage(tmp_path, "demo_setup")
    assert first.returncode == 0, first.stderr
    assert "Admin login: admin / " in first.stdout

    second = manage(tmp_path, "demo_setup")
    assert second.returncode == 0, second.stderr
    assert "Admin login" not in second.stdout
    assert "set up already" in second.stdout
