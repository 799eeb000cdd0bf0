"""Rebuild the search index: after imports, demo data, fixtures, or to recover a damaged index."""

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from allyance.core import search


class Command(BaseCommand):
    help = "Re-create the search entry of every registered record (or of the given models)."

    def add_arguments(self, parser):
        parser.add_argument(
            "models",
            nargs="*",
            metavar="app_label.Model",
            help="Only these models, e.g. customers.Contact (default: every registered model).",
        )

    def handle(self, *args, **options):
        registered = search.registered_models()
        models = registered
        if options["models"]:
            try:
                models = [apps.get_model(label) for label in options["models"]]
            except (LookupError, ValueError) as exc:
                raise CommandError(str(exc)) from exc
            unknown = [m._meta.label for m in models if m not in registered]
            if unknown:
                raise CommandError(f"Not in the search index: {', '.join(unknown)}")
        for model in models:
            with transaction.atomic():
                removed = search.remove_stale_entries(model)
                count = search.index_records(model)
            self.stdout.write(f"{model._meta.label}: {count} indexed, {removed} stale removed.")
        if connection.vendor == "sqlite" and not options["models"]:
            # Re-read every document into FTS5, in case the full-text table drifted.
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {search.FTS_TABLE}({search.FTS_TABLE}) VALUES ('rebuild')"
                )
            self.stdout.write("SQLite full-text table rebuilt.")
