"""Expire quotes past their validity: run daily (cron, or `make run`'s scheduler)."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from allyance.orders.services.quotes import quotes_expire


class Command(BaseCommand):
    help = (
        "Mark approved and sent quotes whose validity date has passed as expired. "
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
        count = quotes_expire(today=on)
        self.stdout.write(f"{count} quotes expired.")
