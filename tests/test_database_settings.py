"""Database connections as the settings make them: kept open between requests on both
databases, and PostgreSQL without JIT compilation (see docs/deploy.md).

The settings read the environment when imported, so each case is a manage.py child process.
"""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/test"

DESCRIBE = """
import json
from django.db import connection
cursor = connection.cursor()
jit = None
if connection.vendor == "postgresql":
    cursor.execute("SHOW jit")
    jit = cursor.fetchone()[0]
print(json.dumps({"vendor": connection.vendor, "max_age": connection.settings_dict["CONN_MAX_AGE"], "jit": jit}))
"""


def connection_with(tmp_path: Path, **variables: str) -> dict:
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "POSTGRES_JIT")},
        "ALLYANCE_VAR_DIR": str(tmp_path),
        "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
        **variables,
    }
    completed = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "shell", "-v", "0", "-c", DESCRIBE],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


@pytest.fixture
def postgres():
    """Skipped only when no PostgreSQL answers locally."""
    try:
        socket.create_connection(("127.0.0.1", 5432), 2).close()
    except OSError:
        pytest.skip("no PostgreSQL server answers on 127.0.0.1:5432")
    return POSTGRES_URL


def test_sqlite_connections_stay_open_between_requests(tmp_path):
    described = connection_with(tmp_path)
    assert described["vendor"] == "sqlite"
    assert described["max_age"] == 60


def test_postgresql_connections_stay_open_and_compile_no_queries(tmp_path, postgres):
    described = connection_with(tmp_path, DATABASE_URL=postgres)
    assert described == {"vendor": "postgresql", "max_age": 60, "jit": "off"}


def test_postgres_jit_on_leaves_the_servers_setting(tmp_path, postgres):
    described = connection_with(tmp_path, DATABASE_URL=postgres, POSTGRES_JIT="on")
    assert described["jit"] == "on"  # this server's default (postgresql.conf)
