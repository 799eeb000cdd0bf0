"""Scan for stalled deals now and/or make sure the daily scan is queued for the worker."""

from django.core.management.base import BaseCommand

from allyance.sales.services.alerts import stalled_deals_notify, stalled_scan_schedule


class Command(BaseCommand):
    help = (
        "Notify the owners of stalled deals (once per stall episode). With --schedule, also "
        "queue the daily scan that the task worker repeats by itself (safe to run again)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="Queue the self-repeating daily scan if it is not queued yet.",
        )
        parser.add_argument(
            "--no-scan", action="store_true", help="Only schedule; do not scan now."
        )

    def handle(self, *args, schedule: bool = False, no_scan: bool = False, **options):
        if not no_scan:
            told = stalled_deals_notify()
            self.stdout.write(f"Stalled deals: {told} owner notification(s) sent.")
        if schedule:
            at = stalled_scan_schedule()
            self.stdout.write(f"Daily stalled-deal scan queued; next run at {at.isoformat()}.")
