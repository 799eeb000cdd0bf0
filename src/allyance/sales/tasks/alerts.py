"""Background jobs for sales alerts.

`stalled_deals_scan_task` runs the stalled-deal scan and queues itself again for the next
day (`run_after`), so one chain runs daily. `services.alerts.stalled_scan_schedule` starts the
chain idempotently (the `sales_alerts --schedule` command calls it); a run queued for a time
other than the one recorded belongs to a superseded chain and only scans, it does not
reschedule, so chains never multiply.
"""

from __future__ import annotations

from django.tasks import task


@task()
def stalled_deals_scan_task(scheduled_for: str = "") -> int:
    """Notify owners of stalled deals (once per stall episode), then queue tomorrow's scan."""
    from allyance.sales.services import alerts

    told = alerts.stalled_deals_notify()
    if scheduled_for:
        alerts.stalled_scan_reschedule(scheduled_for=scheduled_for)
    return told
