"""Background jobs of generated documents. Each only calls its service."""

from __future__ import annotations

from django.tasks import task


@task()
def document_email_task(
    document_id: int, to: list[str], message: str, by_id: int | None, requested_at: str
) -> bool:
    """E-mail a generated document's PDF (a second run for the same request sends nothing)."""
    from allyance.orders.services.documents import document_email_send

    return document_email_send(
        document_id=document_id, to=to, message=message, by_id=by_id, requested_at=requested_at
    )
