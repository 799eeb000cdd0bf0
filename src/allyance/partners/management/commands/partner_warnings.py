"""Warn before partner agreements end: run daily (cron, or `make run`'s scheduler)."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from allyance.partners.services.programme import agreement_warnings_send


class Command(BaseCommand):
    help = (
        "Notify each partner's channel manager and administrators once when one of its "
        "agreements or qualifications ends within the programme's warning time. "
        "Safe to run any number of times."
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
        count = agreement_warnings_send(today=on)
        self.stdout.write(f"{count} agreement expiry warning(s) sent.")
