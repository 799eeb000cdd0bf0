"""Backup and restore: a consistent online copy of the SQLite database and the uploaded files.

Every instance here is a real installation of its own (database, files and var
directory under tmp_path) driven through `manage.py` in subprocesses, while a
second process writes to the same database.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ATTACHMENT = "合同 contract.pdf"
PAYLOAD = b"%PDF-1.4 " + bytes(range(256)) * 400

SETUP = """
import django; django.setup()
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from allyance.core.models import Attachment, Organisation, Role, User
from allyance.customers.models import Account, Contact
from allyance.customers.services import account_save, contact_save

admin = User.objects.create_superuser(
    "admin", "admin@example.com", "not-used-here-42", organisation=Organisation.company(),
    role=Role.ADMIN,
)
for number in range(25):
    account = account_save(
        account=Account(name=f"备份客户 {number} 有限公司", phone="021 6234 5678"), by=admin
    )
    for person in ("王", "李"):
        contact_save(contact=Contact(family_name=person, given_name=str(number), account=account),
                     by=admin)
attachment = Attachment(
    content_type=ContentType.objects.get_for_model(Account), object_id=str(account.pk),
    name=sys.argv[1], size=0, mime_type="application/pdf", uploaded_by=admin,
)
payload = open(sys.argv[2], "rb").read()
attachment.size = len(payload)
attachment.file.save(sys.argv[1], ContentFile(payload), save=True)
"""

SNAPSHOT = """
import django; django.setup()
import hashlib, json
from allyance.core.models import Attachment, User
from allyance.customers.models import Account, Contact

files = []
for attachment in Attachment.objects.order_by("pk"):
    with attachment.file.open("rb") as handle:
        files.append([attachment.name, hashlib.sha256(handle.read()).hexdigest()])
print(json.dumps({
    "users": sorted(User.objects.values_list("username", flat=True)),
    "accounts": sorted(Account.objects.values_list("name", flat=True)),
    "contacts": sorted(
        f"{c.family_name}{c.given_name}@{c.account.name}"
        for c in Contact.objects.select_related("account")
    ),
    "attachments": files,
}, ensure_ascii=False))
"""

HOLD_OPEN_TRANSACTION = """
import django; django.setup()
import time
from pathlib import Path
from django.db import transaction
from allyance.core.models import Organisation
from allyance.customers.models import Account

signals = Path(sys.argv[1])
company = Organisation.company()
with transaction.atomic():
    for number in range(10):
        Account.objects.create(name=f"Uncommitted {number}", organisation=company)
    (signals / "holding").touch()
    deadline = time.monotonic() + 120
    while not (signals / "release").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
print("committed")
"""

KEEP_WRITING = """
import django; django.setup()
from pathlib import Path
from django.db import transaction
from allyance.core.models import Organisation
from allyance.customers.models import Account, Contact

signals = Path(sys.argv[1])
company = Organisation.company()
number = 0
while not (signals / "stop").exists():
    # One account and its two contacts per transaction: a copy has all three or none.
    with transaction.atomic():
        account = Account.objects.create(name=f"Loop {number}", organisation=company)
        for suffix in ("a", "b"):
            Contact.objects.create(family_name="Loop", given_name=f"{number}{suffix}",
                                   account=account, organisation=company)
    number += 1
    if number == 5:
        (signals / "writing").touch()
print(number)
"""


class Instance:
    """One Allyance installation with its own database, uploaded files and var directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.database = root / "var" / "allyance.sqlite3"
        self.media = root / "media"
        (root / "var").mkdir(parents=True, exist_ok=True)

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY"}}
        env.update(
            SQLITE_PATH=str(self.database),
            MEDIA_ROOT=str(self.media),
            ALLYANCE_VAR_DIR=str(self.root / "var"),
            DJANGO_SETTINGS_MODULE="allyance.settings",
            PYTHONPATH=str(ROOT / "src"),
        )
        return env

    def manage(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def start(self, code: str, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-c", "import sys\n" + code, *args],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run(self, code: str, *args: str) -> str:
        process = self.start(code, *args)
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        return out

    def snapshot(self) -> dict:
        return json.loads(self.run(SNAPSHOT))

    def count(self, sql: str) -> int:
        with contextlib.closing(sqlite3.connect(self.database, timeout=30)) as connection:
            return connection.execute(sql).fetchone()[0]

    def copy_to(self, root: Path) -> Instance:
        """Another instance holding this one's data (the template is migrated only once)."""
        other = Instance(root)
        with (
            contextlib.closing(sqlite3.connect(self.database)) as source,
            contextlib.closing(sqlite3.connect(other.database)) as target,
        ):
            source.backup(target)
        if self.media.exists():
            shutil.copytree(self.media, other.media)
        return other


def wait_for(path: Path, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            raise AssertionError(process.stderr.read())
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Instance:
    """A migrated instance with 25 accounts, 50 contacts, an admin and one attached file."""
    root = tmp_path_factory.mktemp("template")
    instance = Instance(root)
    result = instance.manage("migrate", "--noinput", "-v", "0")
    assert result.returncode == 0, result.stderr
    payload = root / "payload.bin"
    payload.write_bytes(PAYLOAD)
    instance.run(SETUP, ATTACHMENT, str(payload))
    return instance


@pytest.fixture(scope="module")
def seeded(template) -> dict:
    return template.snapshot()


def test_seed_holds_records_and_a_file(seeded):
    assert len(seeded["accounts"]) == 25
    assert len(seeded["contacts"]) == 50
    assert seeded["attachments"] == [[ATTACHMENT, hashlib.sha256(PAYLOAD).hexdigest()]]


def test_backup_during_an_open_write_transaction_restores_every_committed_record(
    template, seeded, tmp_path
):
    live = template.copy_to(tmp_path / "live")
    signals = tmp_path / "signals"
    signals.mkdir()
    writer = live.start(HOLD_OPEN_TRANSACTION, str(signals))
    try:
        wait_for(signals / "holding", writer)
        backup = live.manage("backup", str(tmp_path / "backup"))
        assert backup.returncode == 0, backup.stderr
        assert writer.poll() is None  # the write transaction was still open during the copy
    finally:
        (signals / "release").touch()
        out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    assert "committed" in out
    assert live.count("SELECT count(*) FROM customers_account") == 35

    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["tables"]["customers_account"] == 25
    assert manifest["tables"]["customers_contact"] == 50
    assert manifest["files"] == 1

    empty = Instance(tmp_path / "empty")
    restore = empty.manage("restore", str(tmp_path / "backup"))
    assert restore.returncode == 0, restore.stderr
    assert empty.snapshot() == seeded  # every committed record and the file, nothing uncommitted
    restored_file = next(empty.media.rglob("*.pdf"))
    assert restored_file.read_bytes() == PAYLOAD


def test_backup_while_another_process_keeps_writing_is_consistent(template, seeded, tmp_path):
    live = template.copy_to(tmp_path / "live")
    signals = tmp_path / "signals"
    signals.mkdir()
    loop_accounts = "SELECT count(*) FROM customers_account WHERE name LIKE 'Loop %'"
    writer = live.start(KEEP_WRITING, str(signals))
    try:
        wait_for(signals / "writing", writer)
        before = live.count(loop_accounts)
        backup = live.manage("backup", str(tmp_path / "backup"))
        after = live.count(loop_accounts)
    finally:
        (signals / "stop").touch()
        out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    assert backup.returncode == 0, backup.stderr
    assert after > before  # the writer really wrote while the backup ran

    empty = Instance(tmp_path / "empty")
    restore = empty.manage("restore", str(tmp_path / "backup"))
    assert restore.returncode == 0, restore.stderr
    copied = empty.count(loop_accounts)
    assert before <= copied <= after
    # Each writer transaction is in the copy whole (account and both contacts) or not at all.
    assert empty.count("SELECT count(*) FROM customers_contact WHERE family_name = 'Loop'") == (
        2 * copied
    )
    with contextlib.closing(sqlite3.connect(empty.database)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    restored = empty.snapshot()
    assert set(seeded["accounts"]) <= set(restored["accounts"])
    assert set(seeded["contacts"]) <= set(restored["contacts"])
    assert restored["attachments"] == seeded["attachments"]


def test_restore_into_an_instance_with_data_is_refused_without_force(template, tmp_path):
    live = template.copy_to(tmp_path / "live")
    assert live.manage("backup", str(tmp_path / "backup")).returncode == 0
    live.run(
        "import django; django.setup()\n"
        "from allyance.core.models import Organisation\n"
        "from allyance.customers.models import Account\n"
        "Account.objects.create(name='Precious', organisation=Organisation.company())\n"
    )
    precious = "SELECT count(*) FROM customers_account WHERE name = 'Precious'"

    refused = live.manage("restore", str(tmp_path / "backup"))

    assert refused.returncode != 0
    assert "--force" in refused.stderr
    assert live.count(precious) == 1

    forced = live.manage("restore", "--force", str(tmp_path / "backup"))
    assert forced.returncode == 0, forced.stderr
    assert live.count(precious) == 0
    assert live.count("SELECT count(*) FROM customers_account") == 25


def test_damaged_backup_is_not_restored(template, tmp_path):
    live = template.copy_to(tmp_path / "live")
    assert live.manage("backup", str(tmp_path / "backup")).returncode == 0
    manifest_path = tmp_path / "backup" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["tables"]["customers_account"] += 1
    manifest_path.write_text(json.dumps(manifest))
    empty = Instance(tmp_path / "empty")

    result = empty.manage("restore", str(tmp_path / "backup"))

    assert result.returncode != 0
    assert "manifest" in result.stderr
    assert not empty.database.exists()


def test_backup_never_overwrites_an_earlier_backup(template, tmp_path):
    live = template.copy_to(tmp_path / "live")
    earlier = tmp_path / "backup"
    earlier.mkdir()
    (earlier / "keep.txt").write_text("earlier backup")

    result = live.manage("backup", str(earlier))

    assert result.returncode != 0
    assert (earlier / "keep.txt").read_text() == "earlier backup"
    assert sorted(p.name for p in earlier.iterdir()) == ["keep.txt"]


def test_backup_on_postgresql_points_to_pg_dump(tmp_path):
    instance = Instance(tmp_path / "pg")
    env = {**instance.env, "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "backup", str(tmp_path / "backup")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode != 0
    assert "pg_dump" in result.stderr
    assert not (tmp_path / "backup").exists()
