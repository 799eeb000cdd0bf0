"""Background re-scoring of leads; it only calls the service, so running it twice is harmless."""

from __future__ import annotations

from django.tasks import task


@task()
def leads_rescore_task() -> int:
    """Score every open lead again under the current rules (after a rule changed)."""
    from allyance.sales.services.scoring import leads_rescore

    return leads_rescore()
