"""First-run set-up for `make run`: the company, an admin, and the demo data, once."""

import secrets

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from allyance.core.models import Organisation, Role, User


class Command(BaseCommand):
    help = "Create the company organisation, an admin user and the demo data if none exist yet."

    def handle(self, *args, **options):
        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write("Allyance is set up already; log in with your existing account.")
            return
        password = secrets.token_urlsafe(12)
        with transaction.atomic():
            company = Organisation.company()
            User.objects.create_superuser(
                username="admin",
                email="admin@example.com",
                password=password,
                organisation=company,
                role=Role.ADMIN,
                first_name="Admin",
            )
        self.stdout.write(self.style.SUCCESS(f"Admin login: admin / {password}"))
        call_command("demo_data", stdout=self.stdout)
