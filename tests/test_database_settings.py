"""Database connections as the settings make them: kept open between requests on both
databases, and PostgreSQL without JIT compilation (see docs/deploy.md).

The settings read the environment when imported, so each case is a manage.py child process.
"""

import os
import socket
from pathlib import Path

import pytest

from tests.settings_child import describe_in_child

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
    return describe_in_child(
        tmp_path, DESCRIBE, unset=("DATABASE_URL", "POSTGRES_JIT"), **variables
    )


@pytest.fixture
def postgres():
    """Skipped only when no PostgreSQL answers locally."""
    try:
        socket.create_connection(("127.0.0.1", 5432), 2).close()
    except OSError:
        pytest.skip("no PostgreSQL server answers on 127.0.0.1:5432")
    return POSTGRES_URL


@pytest.mark.slow_subprocess
def test_sqlite_connections_stay_open_between_requests(tmp_path):
    described = connection_with(tmp_path)
    assert described["vendor"] == "sqlite"
    assert described["max_age"] == 60


@pytest.mark.slow_subprocess
def test_postgresql_connections_stay_open_and_compile_no_queries(tmp_path, postgres):
    described = connection_with(tmp_path, DATABASE_URL=postgres)
    assert described == {"vendor": "postgresql", "max_age": 60, "jit": "off"}


@pytest.mark.slow_subprocess
def test_postgres_jit_on_leaves_the_servers_setting(tmp_path, postgres):
    described = connection_with(tmp_path, DATABASE_URL=postgres, POSTGRES_JIT="on")
    assert described["jit"] == "on"  # this server's default (postgresql.conf)
