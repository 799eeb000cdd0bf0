"""Background jobs of the core app. Each only claims its job and calls the service, so
running one twice does nothing the second time."""

from __future__ import annotations

from django.tasks import task

from allyance.core import imports


@task()
def import_job_preview_task(job_id: int) -> str:
    """Dry-run a queued import (large files are checked here, not in a request)."""
    job = imports.import_job_claim(job_id=job_id)
    if job is None:
        return "not queued"
    return imports.import_job_preview(job=job).status


@task()
def import_job_run_task(job_id: int) -> str:
    """Run a queued, previewed import in one transaction."""
    job = imports.import_job_claim(job_id=job_id)
    if job is None:
        return "not queued"
    return imports.import_job_run(job=job).status


@task()
def notification_email_task(notification_id: int) -> bool:
    """E-mail one notification (a second run finds it already sent)."""
    from allyance.core.notifications import notification_email

    return notification_email(notification_id=notification_id)
