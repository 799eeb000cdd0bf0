"""Background jobs of the partner programme. Each only calls its service."""

from __future__ import annotations

from django.tasks import task


@task()
def partner_warnings_task() -> int:
    """Warn before an agreement ends (the channel manager and the partner's administrators)
    and before a certification expires (its holder), once each (idempotent; run daily)."""
    from allyance.partners.services.programme import agreement_warnings_send
    from allyance.partners.services.training import warn_expiring_certifications

    return agreement_warnings_send() + warn_expiring_certifications()
