"""A coherent bilingual demo: the company, partners, a user per role, accounts and contacts."""

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Load the bilingual demo data set."

    def handle(self, *args, **options):
        self.stdout.write("Demo data: not built yet.")
