"""Uploaded files move to an S3-compatible bucket when the environment names one (docs/deploy.md).

The storage is chosen when the settings are imported, so each case is a manage.py child process.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

DESCRIBE_STORAGE = """
import json
from django.core.files.storage import storages
default_storage = storages["default"]
print(json.dumps({
    "class": f"{type(default_storage).__module__}.{type(default_storage).__name__}",
    "bucket": getattr(default_storage, "bucket_name", None),
    "endpoint": getattr(default_storage, "endpoint_url", None),
    "region": getattr(default_storage, "region_name", None),
    "location": getattr(default_storage, "location", None),
    "file_overwrite": getattr(default_storage, "file_overwrite", None),
}))
"""

S3_VARIABLES = [
    "STORAGE_S3_BUCKET",
    "STORAGE_S3_ENDPOINT_URL",
    "STORAGE_S3_REGION",
    "STORAGE_S3_ACCESS_KEY_ID",
    "STORAGE_S3_SECRET_ACCESS_KEY",
    "STORAGE_S3_PREFIX",
]


def storage_with(tmp_path: Path, **variables: str) -> dict:
    env = {
        **{name: value for name, value in os.environ.items() if name not in S3_VARIABLES},
        "ALLYANCE_VAR_DIR": str(tmp_path),
        "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
        **variables,
    }
    completed = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "shell", "-v", "0", "-c", DESCRIBE_STORAGE],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


@pytest.mark.slow_subprocess
def test_files_stay_on_the_local_disk_without_a_bucket(tmp_path):
    assert (
        storage_with(tmp_path)["class"] == "django.core.files.storage.filesystem.FileSystemStorage"
    )


@pytest.mark.slow_subprocess
def test_a_bucket_in_the_environment_moves_files_to_s3_compatible_storage(tmp_path):
    storage = storage_with(
        tmp_path,
        STORAGE_S3_BUCKET="allyance-files",
        STORAGE_S3_ENDPOINT_URL="https://minio.internal:9000",
        STORAGE_S3_REGION="eu-central-1",
        STORAGE_S3_ACCESS_KEY_ID="key-id",
        STORAGE_S3_SECRET_ACCESS_KEY="secret",
        STORAGE_S3_PREFIX="crm",
    )
    assert storage == {
        "class": "storages.backends.s3.S3Storage",
        "bucket": "allyance-files",
        "endpoint": "https://minio.internal:9000",
        "region": "eu-central-1",
        "location": "crm",
        "file_overwrite": False,
    }
