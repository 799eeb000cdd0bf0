"""Expire lead offers past their deadline: run every few minutes (cron, or `make run`)."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from allyance.partners.services.distribution import distributions_expire


class Command(BaseCommand):
    help = (
        "Expire lead offers nobody answered in time: each lead returns to the company and, "
        "when its distribution rule says so, is offered to the next partner. "
        "Safe to run any number of times, also at once."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--now",
            help="Treat this moment (ISO 8601, e.g. 2026-12-01T09:00) as now.",
        )

    def handle(self, *args, now: str | None = None, **options):
        moment = None
        if now:
            try:
                moment = datetime.datetime.fromisoformat(now)
            except ValueError as exc:
                raise CommandError(f"--now: expected an ISO 8601 moment, got {now!r}.") from exc
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
        count = distributions_expire(now=moment)
        self.stdout.write(f"{count} lead offers expired.")
