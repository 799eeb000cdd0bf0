"""Warn before partner agreements end and certifications expire: run daily (cron; `make run`
runs it on start)."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from allyance.partners.services.programme import agreement_warnings_send
from allyance.partners.services.training import warn_expiring_certifications


class Command(BaseCommand):
    help = (
        "Notify each partner's channel manager and administrators once when one of its "
        "agreements or qualifications ends within the programme's warning time, and each "
        "holder of a certification about to expire. "
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
        agreements = agreement_warnings_send(today=on)
        certifications = warn_expiring_certifications(today=on)
        self.stdout.write(
            f"{agreements} agreement expiry warning(s), "
            f"{certifications} certification expiry warning(s) sent."
        )
