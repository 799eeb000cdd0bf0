"""Settings that are read from the environment when imported are tested in a manage.py
child process with that environment, against a database of its own."""

import json
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def describe_in_child(
    tmp_path: Path, code: str, *, unset: Iterable[str] = (), **variables: str
) -> dict:
    """Run `code` in `manage.py shell` with `variables` set and `unset` removed; `code`
    prints one JSON document last, which is returned."""
    dropped = set(unset)
    env = {
        **{name: value for name, value in os.environ.items() if name not in dropped},
        "ALLYANCE_VAR_DIR": str(tmp_path),
        "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
        **variables,
    }
    completed = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "shell", "-v", "0", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])
