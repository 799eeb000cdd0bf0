"""Deliver every due reminder not yet delivered: a safety net for lost jobs (run from cron)."""

from django.core.management.base import BaseCommand

from allyance.activities.services import reminders_send_due


class Command(BaseCommand):
    help = "Deliver reminders that are due and were not delivered (e.g. because a job was lost)."

    def handle(self, *args, **options):
        sent = reminders_send_due()
        if options["verbosity"]:
            self.stdout.write(f"{sent} reminder(s) delivered")
