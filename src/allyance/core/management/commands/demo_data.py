"""A coherent bilingual demo: the company, partners, a user per role, accounts and contacts.

Everything is drawn from `random.Random(seed)`, so one seed always gives the same
companies, people and history (dates are relative to today, passwords are random).
Records are written one by one through the services, inside one transaction, so
the audit trail, the search index and the normalised phones and e-mails are the
same as for records entered by hand.
"""

from __future__ import annotations

import random
import secrets
import time as clock

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from allyance.core.demo.builder import DemoBuilder, Login, display_width
from allyance.core.demo.vocabulary import DEMO_USERNAMES, MAIL_DOMAIN
from allyance.core.models import Organisation, Role, User
from allyance.customers.models import Account
from allyance.sales.models import Lead, Opportunity


class Command(BaseCommand):
    help = "Load the bilingual demo data set (once: it does nothing when the demo is there)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--seed", type=int, default=2025, help="Seed of the generator (same seed, same data)."
        )

    def handle(self, *args, seed: int, **options) -> None:
        if User.objects.filter(username__in=DEMO_USERNAMES).exists():
            self.stdout.write(_("The demo data is loaded already; nothing to do."))
            return
        if Account.objects.exists():
            self.stdout.write(
                _("This instance holds accounts already; demo data is only loaded into a new one.")
            )
            return
        started = clock.monotonic()
        builder = DemoBuilder(random.Random(seed), now=timezone.now())
        with transaction.atomic():
            admin, admin_password = self.admin()
            builder.build(admin)
        builder.logins.insert(
            0,
            Login(
                str(Role.ADMIN.label),
                admin.username,
                admin_password or _("(as set before)"),
                str(admin),
                admin.organisation.name if admin.organisation_id else "",
            ),
        )
        self.write_logins(builder.logins)
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Demo data loaded in %(seconds).1f s: %(accounts)d accounts, "
                    "%(contacts)d contacts, %(activities)d activities, %(leads)d leads, "
                    "%(deals)d opportunities."
                )
                % {
                    "seconds": clock.monotonic() - started,
                    "accounts": len(builder.accounts),
                    "contacts": sum(len(d.contacts) for d in builder.accounts),
                    "activities": len(builder.activities),
                    "leads": Lead.objects.count(),
                    "deals": Opportunity.objects.count(),
                }
            )
        )

    def admin(self) -> tuple[User, str]:
        """The instance's administrator; created (with a new password) when there is none."""
        admin = User.objects.filter(is_superuser=True).order_by("pk").first()
        if admin is not None:
            return admin, ""
        password = secrets.token_urlsafe(12)
        admin = User.objects.create_superuser(
            username="admin",
            email=f"admin@allyance.{MAIL_DOMAIN}",
            password=password,
            organisation=Organisation.company(),
            role=Role.ADMIN,
            first_name="Admin",
        )
        return admin, password

    def write_logins(self, logins: list[Login]) -> None:
        header = Login(_("Role"), _("Username"), _("Password"), _("Name"), _("Organisation"))
        rows = [header, *logins]
        columns = list(vars(header))
        widths = {c: max(display_width(getattr(row, c)) for row in rows) for c in columns}

        def line(row: Login) -> str:
            cells = (getattr(row, c) for c in columns)
            return "  ".join(
                cell + " " * (widths[c] - display_width(cell))
                for c, cell in zip(columns, cells, strict=True)
            ).rstrip()

        self.stdout.write("")
        self.stdout.write(_("Demo logins:"))
        self.stdout.write(line(header))
        self.stdout.write("  ".join("-" * widths[c] for c in columns))
        for login in logins:
            self.stdout.write(line(login))
        self.stdout.write("")
