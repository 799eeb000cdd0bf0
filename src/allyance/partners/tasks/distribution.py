"""Background jobs of lead distribution. Each only calls its service."""

from __future__ import annotations

from django.tasks import task


@task()
def lead_offers_expire_task() -> int:
    """Expire lead offers past their deadline: each lead returns to the company and, when its
    rule says so, is offered to the next partner (idempotent; run every few minutes)."""
    from allyance.partners.services.distribution import distributions_expire

    return distributions_expire()
