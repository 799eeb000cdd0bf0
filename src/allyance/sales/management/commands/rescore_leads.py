"""Score every open lead again: after restoring data, and daily so decay rules stay current."""

from django.core.management.base import BaseCommand

from allyance.sales.services.scoring import leads_rescore
from allyance.sales.tasks.scoring import leads_rescore_task


class Command(BaseCommand):
    help = "Re-score every open lead under the current scoring rules."

    def add_arguments(self, parser):
        parser.add_argument(
            "--queue", action="store_true", help="Queue the job for the task worker instead."
        )

    def handle(self, *args, queue: bool = False, **options):
        if queue:
            leads_rescore_task.enqueue()
            self.stdout.write("Re-scoring queued.")
            return
        count = leads_rescore()
        self.stdout.write(f"{count} leads scored.")
