"""Settings that are read from the environment when imported are tested in a manage.py
child process with that environment, against a database of its own; so are the set-ups of
several machines (a Redis cache or job queue shared by separate processes)."""

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis

ROOT = Path(__file__).resolve().parent.parent


def manage_in_child(
    tmp_path: Path, *args: str, unset: Iterable[str] = (), timeout: int = 300, **variables: str
) -> subprocess.CompletedProcess:
    """`manage.py *args` with `variables` set and `unset` removed, its SQLite database and
    var folder in `tmp_path`; fails the test if it fails."""
    dropped = set(unset)
    env = {
        **{name: value for name, value in os.environ.items() if name not in dropped},
        "ALLYANCE_VAR_DIR": str(tmp_path),
        "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
        **variables,
    }
    completed = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed


def describe_in_child(
    tmp_path: Path, code: str, *, unset: Iterable[str] = (), **variables: str
) -> dict:
    """Run `code` in `manage.py shell` with `variables` set and `unset` removed; `code`
    prints one JSON document last, which is returned."""
    completed = manage_in_child(
        tmp_path, "shell", "-v", "0", "-c", code, unset=unset, timeout=120, **variables
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


@contextmanager
def empty_redis(url: str) -> Iterator[redis.Redis]:
    """A Redis database of the test's own, emptied before and after; the test is skipped
    only when no Redis answers locally (CI starts one: .ci/run)."""
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port or 6379), timeout=2).close()
    except OSError:
        pytest.skip(f"no Redis server answers on {parts.hostname}:{parts.port or 6379}")
    connection = redis.Redis.from_url(url)
    connection.flushdb()
    try:
        yield connection
    finally:
        connection.flushdb()
        connection.close()
