"""Background jobs of the partner programme. Each only calls its service."""

from __future__ import annotations

from django.tasks import task


@task()
def partner_warnings_task() -> int:
    """Warn the channel manager and the partner's administrators before an agreement ends,
    once per agreement (idempotent; run daily)."""
    from allyance.partners.services.programme import agreement_warnings_send

    return agreement_warnings_send()
