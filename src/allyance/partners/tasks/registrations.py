"""Background jobs of deal registration. Each only calls its service."""

from __future__ import annotations

from django.tasks import task


@task()
def deal_protection_expire_task() -> int:
    """End the protection of approved registrations past their date (idempotent; daily)."""
    from allyance.partners.services.registrations import registrations_expire

    return registrations_expire()
