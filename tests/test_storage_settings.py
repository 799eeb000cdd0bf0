"""Uploaded files move to an S3-compatible bucket when the environment names one (docs/deploy.md).

The storage is chosen when the settings are imported, so each case is a manage.py child process.
"""

from pathlib import Path

import pytest

from tests.settings_child import describe_in_child

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
    return describe_in_child(tmp_path, DESCRIBE_STORAGE, unset=S3_VARIABLES, **variables)


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
