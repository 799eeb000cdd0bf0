"""Background jobs across machines: with TASKS_BACKEND=rq an import queued by the web process is
kept in Redis and run by a separate `rqworker` process, and its result is read back through the
task result API.

Every step is a manage.py child process with the production environment switches, because the
settings pick the task backend when they are imported. The job queue of the default set-up
(`db_worker`, used by `make run`) is proven in tests/test_import.py
(test_large_file_is_queued_and_run_by_the_database_worker).
"""

import json
import subprocess
from pathlib import Path

import pytest
from django.tasks import TaskResultStatus

from allyance.core.models import ImportJob
from tests.settings_child import empty_redis, manage_in_child

ROOT = Path(__file__).resolve().parent.parent
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
# A database number of its own, emptied before and after, so no other data is touched.
REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/15"
WORKER = ("rqworker", "--burst", "default")  # settings.RQ names the job class

# Run in the "web" process: a sales rep uploads a small account list; the import service queues
# it because it is over the inline limit (lowered here so that three rows are enough).
QUEUE_PREVIEW = """
import json
import django_rq
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from allyance.core.imports import import_job_create, import_job_start
from allyance.core.models import Organisation, Role, User

settings.IMPORT_INLINE_MAX_ROWS = 2
rep = User.objects.create_user(
    username="rep", role=Role.SALES_REP, organisation=Organisation.company()
)
data = "客户名称,电话\\n华东机械,13900000001\\n南方电子,13900000002\\n北方重工,13900000003\\n"
job = import_job_create(
    by=rep, target="accounts", upload=SimpleUploadedFile("accounts.csv", data.encode())
)
job = import_job_start(job=job, dry_run=True)
print(json.dumps({"job": job.pk, "status": job.status,
                  "queued": django_rq.get_queue("default").job_ids}))
"""

# Read what the worker did, through the task result API, then queue the real run.
READ_PREVIEW_AND_QUEUE_RUN = """
import json, os
import django_rq
from django.conf import settings
from allyance.core.imports import import_job_start
from allyance.core.models import ImportJob
from allyance.core.tasks import import_job_preview_task
from allyance.customers.models import Account

settings.IMPORT_INLINE_MAX_ROWS = 2
result = import_job_preview_task.get_result(os.environ["TASK_RESULT_ID"])
job = ImportJob.objects.get(pk=int(os.environ["JOB_ID"]))
previewed = {"status": job.status, "message": job.message, "accounts": Account.objects.count(),
             "result_status": result.status.value, "return_value": result.return_value}
job = import_job_start(job=job, dry_run=False)
print(json.dumps({"previewed": previewed, "status": job.status,
                  "queued": django_rq.get_queue("default").job_ids}))
"""

READ_RUN = """
import json, os
from allyance.core.models import ImportJob
from allyance.core.tasks import import_job_run_task
from allyance.customers.models import Account

result = import_job_run_task.get_result(os.environ["TASK_RESULT_ID"])
job = ImportJob.objects.get(pk=int(os.environ["JOB_ID"]))
print(json.dumps({"status": job.status, "message": job.message, "created": job.created_count,
                  "accounts": sorted(Account.objects.values_list("name", flat=True)),
                  "owners": sorted(set(Account.objects.values_list("owner__username", flat=True))),
                  "result_status": result.status.value, "return_value": result.return_value,
                  "worker_ids": result.worker_ids}))
"""


@pytest.fixture
def redis_queue():
    with empty_redis(REDIS_URL) as connection:
        yield connection


def manage(tmp_path: Path, *args: str, **extra_env: str) -> subprocess.CompletedProcess:
    """manage.py on a machine configured for Redis: its own SQLite database and media folder."""
    return manage_in_child(
        tmp_path, *args, unset=("DATABASE_URL",), TASKS_BACKEND="rq", REDIS_URL=REDIS_URL,
        MEDIA_ROOT=str(tmp_path / "media"), **extra_env,
    )  # fmt: skip


def shell(tmp_path: Path, script: str, **extra_env: str) -> dict:
    completed = manage(tmp_path, "shell", "-v", "0", "-c", script, **extra_env)
    return json.loads(completed.stdout.strip().splitlines()[-1])


@pytest.mark.slow_subprocess
def test_system_checks_pass_with_the_redis_job_queue(tmp_path, redis_queue):
    checked = manage(tmp_path, "check", "--fail-level", "WARNING")
    assert "no issues" in checked.stdout


@pytest.mark.slow_subprocess
def test_import_queued_on_redis_is_run_by_a_separate_rq_worker(tmp_path, redis_queue):
    manage(tmp_path, "migrate", "--noinput", "-v", "0")

    queued = shell(tmp_path, QUEUE_PREVIEW)
    assert queued["status"] == ImportJob.Status.QUEUED
    [preview_id] = queued["queued"]
    assert redis_queue.exists(f"rq:job:{preview_id}")

    manage(tmp_path, *WORKER)
    checked = shell(
        tmp_path, READ_PREVIEW_AND_QUEUE_RUN, JOB_ID=str(queued["job"]), TASK_RESULT_ID=preview_id
    )
    previewed = checked["previewed"]
    assert previewed["status"] == ImportJob.Status.PREVIEWED, previewed["message"]
    assert previewed["accounts"] == 0  # a dry run saves nothing
    assert previewed["result_status"] == TaskResultStatus.SUCCESSFUL.value
    assert previewed["return_value"] == ImportJob.Status.PREVIEWED
    assert checked["status"] == ImportJob.Status.QUEUED
    [run_id] = checked["queued"]

    manage(tmp_path, *WORKER)
    done = shell(tmp_path, READ_RUN, JOB_ID=str(queued["job"]), TASK_RESULT_ID=run_id)
    assert done["status"] == ImportJob.Status.DONE, done["message"]
    assert done["created"] == 3
    assert done["accounts"] == ["北方重工", "华东机械", "南方电子"]
    assert done["owners"] == ["rep"]
    assert done["result_status"] == TaskResultStatus.SUCCESSFUL.value
    assert done["return_value"] == ImportJob.Status.DONE
    assert done["worker_ids"], "the result names the RQ worker that ran it"
