"""End the protection of approved deal registrations: run daily (cron, or `make run`)."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from allyance.partners.services.registrations import registrations_expire


class Command(BaseCommand):
    help = (
        "Mark approved deal registrations whose protection date has passed as expired "
        "(the partner is told). Safe to run any number of times."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--today",
            help="Treat this date (YYYY-MM-DD) as today instead of the real date.",
        )

    def handle(self, *args, today: str | None = None, **options):
        on = None
        if today:
            try:
                on = datetime.date.fromisoformat(today)
            except ValueError as exc:
                raise CommandError(f"--today: expected YYYY-MM-DD, got {today!r}.") from exc
        count = registrations_expire(today=on)
        self.stdout.write(f"{count} deal registrations expired.")
