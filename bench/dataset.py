"""A seeded, bilingual benchmark dataset, loaded in bulk.

    .venv/bin/python -m bench.dataset --scale small|medium|large --seed N

`large` is 1,000,000 contacts, 200,000 accounts, 2,000,000 activities, 300,000 leads,
200,000 opportunities (with their stage history) and 50 partner organisations with their users; `medium` is a tenth of that, `small` a hundredth.
The words come from the demo vocabulary (`allyance.core.demo.vocabulary`). The shape is
what a real CRM holds: account sizes with a long tail (Pareto), a few owners with most
of the records, activities bunched around campaign days and the recent weeks.

Rows go in with `bulk_create` in batches, so model signals do not run: the search
index is built afterwards with `search.index_records`, and no audit entries are
written (a benchmark dataset is a bulk load, not a user's change). Timestamps are set
as generated (`auto_now` is held off during the load). The target is the database of
`DATABASE_URL`, else SQLite at `SQLITE_PATH` (default `var/bench.sqlite3`, never the
user's `var/allyance.sqlite3`); it must hold no contacts yet.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from bisect import bisect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import accumulate
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_DIR / "var" / "bench.sqlite3"
BENCH_PASSWORD = "bench-only-password"  # local benchmark logins on a loopback server
BATCH = 5000
DIVISORS = {"large": 1, "medium": 10, "small": 100, "tiny": 10_000}
# The bench pipeline: name (简体, English), probability, forecast category, outcome.
BENCH_STAGES = (
    ("初步接洽", "Qualification", 10, "pipeline", "open"),
    ("需求分析", "Needs analysis", 20, "pipeline", "open"),
    ("方案报价", "Proposal", 50, "best_case", "open"),
    ("商务谈判", "Negotiation", 75, "commit", "open"),
    ("赢单", "Won", 100, "closed", "won"),
    ("输单", "Lost", 0, "omitted", "lost"),
)


@dataclass(frozen=True)
class Sizes:
    """How many rows of each kind a scale loads."""

    contacts: int
    accounts: int
    activities: int
    leads: int
    opportunities: int
    partners: int
    reps: int


def sizes_for(scale: str) -> Sizes:
    """`large` and the fractions of it; at least two partners and one rep per territory leaf."""
    divisor = DIVISORS[scale]
    contacts = 1_000_000 // divisor
    return Sizes(
        contacts=contacts,
        accounts=200_000 // divisor,
        activities=2_000_000 // divisor,
        leads=300_000 // divisor,
        opportunities=200_000 // divisor,
        partners=max(2, 50 // divisor),
        reps=max(8, contacts // 5000),
    )


@dataclass
class AccountRow:
    """What later tables need to know of an inserted account."""

    id: int
    organisation_id: int
    owner_id: int
    territory: str
    place: object
    chinese: bool
    domain: str
    created_at: datetime
    contact_ids: list[int] = field(default_factory=list)


@dataclass
class LoadStats:
    """Rows and seconds per table, for the printed summary and the runner's JSON."""

    tables: dict[str, dict] = field(default_factory=dict)

    def add(self, table: str, rows: int, seconds: float) -> None:
        rate = rows / seconds if seconds else 0.0
        self.tables[table] = {"rows": rows, "seconds": round(seconds, 2), "rows_per_s": round(rate)}


def _zipf_weights(count: int, exponent: float = 1.0) -> list[float]:
    return [1 / (rank + 1) ** exponent for rank in range(count)]


class DatasetBuilder:
    """Generates and inserts the dataset from one seeded random generator."""

    def __init__(self, sizes: Sizes, *, seed: int, now: datetime, log: Callable[[str], None]):
        from allyance.core.demo import vocabulary as vocab

        self.vocab = vocab
        self.sizes = sizes
        self.rng = random.Random(seed)
        self.now = now
        self.log = log
        self.stats = LoadStats()
        self.territories: dict[str, int] = {}
        self.reps_by_territory: dict[str, list[int]] = {}
        self.rep_weights: dict[str, list[float]] = {}
        self.partner_users: list[tuple[int, int, int]] = []  # (organisation, admin, user)
        self.accounts: list[AccountRow] = []
        self.names: set[str] = set()
        self.emails: dict[str, int] = {}
        self.place_weights = list(accumulate(p.weight for p in vocab.PLACES))
        leaves = [p.territory for p in vocab.PLACES]
        self.leaves = list(dict.fromkeys(["江苏", *leaves]))

    # --- small helpers ------------------------------------------------------------------

    def digits(self, pattern: str) -> str:
        rng = self.rng
        return "".join(
            str(rng.randint(0, 9)) if ch == "#" else str(rng.randint(2, 9)) if ch == "N" else ch
            for ch in pattern
        )

    def e164(self, pattern: str) -> str:
        """A number from a vocabulary pattern, already in E.164 as the services store it."""
        number = self.digits(pattern)
        if number.startswith("+"):
            return "+" + "".join(ch for ch in number if ch.isdigit())
        area, _dash, local = number.partition("-")
        if not local:  # a Chinese mobile pattern
            return "+86" + "".join(ch for ch in number if ch.isdigit())
        return "+86" + area.lstrip("0") + "".join(ch for ch in local if ch.isdigit())

    def mobile(self, place) -> str:
        return self.e164(place.mobile or self.rng.choice(self.vocab.CN_MOBILE))

    def email(self, local: str, domain: str) -> str:
        """A lower-case address, numbered when the name is taken at the domain."""
        from allyance.core.demo.builder import ascii_slug

        address = f"{ascii_slug(local)}@{domain}"
        seen = self.emails.get(address, 0)
        self.emails[address] = seen + 1
        if seen:
            name, _at, host = address.partition("@")
            address = f"{name}{seen + 1}@{host}"
        return address

    def place(self):
        return self.vocab.PLACES[
            bisect(self.place_weights, self.rng.random() * self.place_weights[-1])
        ]

    def when_between(self, start: datetime, end: datetime, skew: float = 1.0) -> datetime:
        """A moment in [start, end]; skew < 1 leans it towards `end`."""
        span = max((end - start).total_seconds(), 0)
        return start + timedelta(seconds=span * self.rng.random() ** skew)

    @contextmanager
    def timestamps_as_given(self, *models) -> Iterator[None]:
        """Hold off `auto_now`/`auto_now_add` so the generated history is what is stored."""
        saved = []
        for model in models:
            for name in ("created_at", "updated_at"):
                model_field = model._meta.get_field(name)
                saved.append((model_field, model_field.auto_now, model_field.auto_now_add))
                model_field.auto_now = model_field.auto_now_add = False
        try:
            yield
        finally:
            for model_field, auto_now, auto_now_add in saved:
                model_field.auto_now, model_field.auto_now_add = auto_now, auto_now_add

    def insert(self, table: str, rows: Iterator, model, *, keep: Callable | None = None) -> int:
        """Insert generated model instances in batches; `keep(batch)` sees each saved batch."""
        from django.db import transaction

        started, count, batch = time.perf_counter(), 0, []
        with transaction.atomic():
            for row in rows:
                batch.append(row)
                if len(batch) >= BATCH:
                    model.objects.bulk_create(batch, batch_size=BATCH)
                    if keep:
                        keep(batch)
                    count += len(batch)
                    batch = []
            if batch:
                model.objects.bulk_create(batch, batch_size=BATCH)
                if keep:
                    keep(batch)
                count += len(batch)
        self.stats.add(table, count, time.perf_counter() - started)
        self.log(
            f"{table:<22} {count:>10,} rows  {self.stats.tables[table]['rows_per_s']:>9,} rows/s"
        )
        return count

    # --- people and structure -----------------------------------------------------------

    def build_structure(self) -> None:
        """Territories from the vocabulary, staff reps per leaf, partner organisations and users."""
        from django.contrib.auth.hashers import make_password

        from allyance.core.models import Organisation, Role, Territory, User

        vocab, rng = self.vocab, self.rng
        started = time.perf_counter()

        def grow(tree: dict, parent: Territory | None) -> None:
            for name, children in tree.items():
                node, _created = Territory.objects.get_or_create(name=name, parent=parent)
                self.territories[name] = node.pk
                grow(children, node)

        grow(vocab.TERRITORIES, None)
        company = Organisation.company()
        password = make_password(BENCH_PASSWORD)  # hashed once: argon2 per user would dominate
        users = [
            User(
                username="bench.admin",
                role=Role.ADMIN,
                is_superuser=True,
                is_staff=True,
                organisation=company,
                password=password,
                last_name="管理员",
                email="bench.admin@allyance.example.com",
            )
        ]
        leaf_weight = {leaf: 0 for leaf in self.leaves}
        for place in vocab.PLACES:
            leaf_weight[place.territory] += place.weight
        rep_leaves = list(self.leaves)  # one rep per leaf, the rest in proportion to its trade
        while len(rep_leaves) < self.sizes.reps:
            rep_leaves.append(rng.choices(self.leaves, weights=list(leaf_weight.values()))[0])
        for number, leaf in enumerate(rep_leaves, start=1):
            chinese = not leaf.isascii()
            if chinese:
                family, _latin = rng.choice(vocab.FAMILY_NAMES)
                given, _latin = rng.choice(vocab.GIVEN_NAMES)
            else:
                family, given = rng.choice(vocab.LAST_NAMES), rng.choice(vocab.FIRST_NAMES)
            users.append(
                User(
                    username=f"bench.rep.{number:04d}",
                    role=Role.SALES_REP,
                    organisation=company,
                    password=password,
                    last_name=family,
                    first_name=given,
                    email=f"bench.rep.{number:04d}@allyance.example.com",
                    language="zh-hans" if chinese else "en",
                )
            )
        partner_orgs = []
        from allyance.partners.models import Tier

        tiers = [
            Tier.objects.get_or_create(name=name, defaults={"rank": rank})[0]
            for rank, name in enumerate(("Registered", "Silver", "Gold"), start=1)
        ]
        for number in range(1, self.sizes.partners + 1):
            place = self.place()
            if place.chinese:
                brand, _latin = rng.choice(vocab.BRANDS)
                name = f"{place.short}{brand}信息系统有限公司（伙伴{number:02d}）"
            else:
                name = f"{rng.choice(vocab.LATIN_BRANDS)} Partner {number:02d} Pte. Ltd."
            partner_orgs.append(
                Organisation(
                    name=name,
                    kind=Organisation.Kind.PARTNER,
                    partner_type=rng.choice(Organisation.PartnerType.values),
                    tier=rng.choice(tiers),
                )
            )
        Organisation.objects.bulk_create(partner_orgs)
        for number, org in enumerate(partner_orgs, start=1):
            for suffix, role in (("admin", Role.PARTNER_ADMIN), ("user", Role.PARTNER_USER)):
                users.append(
                    User(
                        username=f"bench.partner{number:02d}.{suffix}",
                        role=role,
                        organisation=org,
                        password=password,
                        last_name=rng.choice(vocab.FAMILY_NAMES)[0],
                        first_name=rng.choice(vocab.GIVEN_NAMES)[0],
                        email=f"{suffix}@partner{number:02d}.example.com",
                    )
                )
        User.objects.bulk_create(users)
        by_name = dict(
            User.objects.filter(username__startswith="bench.").values_list("username", "pk")
        )
        memberships = []
        for number, leaf in enumerate(rep_leaves, start=1):
            rep_id = by_name[f"bench.rep.{number:04d}"]
            self.reps_by_territory.setdefault(leaf, []).append(rep_id)
            memberships.append(
                Territory.members.through(territory_id=self.territories[leaf], user_id=rep_id)
            )
        Territory.members.through.objects.bulk_create(memberships)
        for leaf, reps in self.reps_by_territory.items():
            self.rep_weights[leaf] = list(accumulate(_zipf_weights(len(reps), 1.1)))
        for number, org in enumerate(partner_orgs, start=1):
            self.partner_users.append(
                (
                    org.pk,
                    by_name[f"bench.partner{number:02d}.admin"],
                    by_name[f"bench.partner{number:02d}.user"],
                )
            )
        self.company_id = company.pk
        self.stats.add("users and partners", len(users), time.perf_counter() - started)

    def rep_for(self, leaf: str) -> int:
        """An owner in the territory; the first reps hold most of the records."""
        weights = self.rep_weights[leaf]
        return self.reps_by_territory[leaf][bisect(weights, self.rng.random() * weights[-1])]

    # --- accounts -----------------------------------------------------------------------

    def company_name(self, place, chinese: bool) -> tuple[str, str, str]:
        """Name, industry and e-mail domain; brands are paired to give enough distinct names."""
        from allyance.core.demo.builder import ascii_slug

        vocab, rng = self.vocab, self.rng
        kinds = list(vocab.INDUSTRIES)
        industry = rng.choices(kinds, weights=[vocab.INDUSTRIES[k][0] for k in kinds])[0]
        word, word_latin, word_en = rng.choice(vocab.INDUSTRIES[industry][1])
        city = ascii_slug(place.latin)
        if chinese:
            (first, first_latin), (second, second_latin) = rng.sample(vocab.BRANDS, 2)
            brand, brand_latin = (
                (first, first_latin)
                if rng.random() < 0.3
                else (first[0] + second[1], first_latin + second_latin)
            )
            suffix = rng.choice(("有限公司", "有限公司", "股份有限公司"))
            name = f"{place.short}{brand}{word}{suffix}"
            domain = f"{brand_latin}-{word_latin}.{city}.{vocab.MAIL_DOMAIN}"
        else:
            brand = rng.choice(vocab.LATIN_BRANDS)
            if rng.random() < 0.6:
                brand = f"{brand} {rng.choice(vocab.LATIN_BRANDS)}"
            if place.chinese:
                name = f"{brand} {word_en} ({place.latin}) Co., Ltd."
            else:
                name = f"{brand} {word_en} {vocab.LATIN_SUFFIX[place.country]}"
            domain = f"{ascii_slug(brand.replace(' ', '-'))}.{city}.{vocab.MAIL_DOMAIN}"
        if name in self.names:  # a branch of a company already in the book
            site, site_en = rng.choice(vocab.SITES)
            branch = self.place()
            name = (
                f"{name}{branch.short}{site}" if chinese else f"{name} — {branch.latin} {site_en}"
            )
        self.names.add(name)
        return name, industry, domain

    def account_rows(self) -> Iterator:
        from allyance.customers.models import Account, SizeBand, Source

        vocab, rng, now = self.vocab, self.rng, self.now
        partner_weights = list(accumulate(_zipf_weights(len(self.partner_users))))
        bands = [b for b, _label in SizeBand.choices]
        for _index in range(self.sizes.accounts):
            place = self.place()
            chinese = place.chinese and rng.random() < 0.9
            individual = rng.random() < 0.05
            if individual:
                family, _latin = (
                    rng.choice(vocab.FAMILY_NAMES)
                    if chinese
                    else (rng.choice(vocab.LAST_NAMES), "")
                )
                given = (
                    rng.choice(vocab.GIVEN_NAMES)[0] if chinese else rng.choice(vocab.FIRST_NAMES)
                )
                name = f"{family}{given}" if chinese else f"{given} {family}"
                industry, domain = "", f"mail.{vocab.MAIL_DOMAIN}"
            else:
                name, industry, domain = self.company_name(place, chinese)
            if rng.random() < 0.3:
                partner = self.partner_users[
                    bisect(partner_weights, rng.random() * partner_weights[-1])
                ]
                organisation_id = partner[0]
                owner_id = partner[2] if rng.random() < 0.8 else partner[1]
            else:
                organisation_id, owner_id = self.company_id, self.rep_for(place.territory)
            created = now - timedelta(days=30 + 1800 * rng.random() ** 0.7)
            row = AccountRow(
                id=0,
                organisation_id=organisation_id,
                owner_id=owner_id,
                territory=place.territory,
                place=place,
                chinese=chinese,
                domain=domain,
                created_at=created,
            )
            self.accounts.append(row)
            number = rng.randint(1, 999)
            road = rng.choice(place.roads)
            street = (
                f"{rng.choice(place.districts)}{road}{number}号"
                if place.chinese
                else f"{number} {road}"
            )
            yield Account(
                kind=Account.Kind.INDIVIDUAL if individual else Account.Kind.COMPANY,
                name=name,
                industry=industry,
                size_band="" if individual else rng.choices(bands, weights=(40, 30, 18, 8, 4))[0],
                country=place.country,
                province=place.province,
                city=place.city,
                street=street,
                postcode=self.digits(place.postcode),
                phone=self.e164(place.landline),
                email=self.email("info", domain) if not individual else "",
                website="" if individual else f"https://www.{domain}",
                source=rng.choice(Source.values),
                status=rng.choices(Account.Status.values, weights=(20, 70, 10))[0],
                territory_id=self.territories[place.territory],
                organisation_id=organisation_id,
                owner_id=owner_id,
                created_at=created,
                updated_at=self.when_between(created, now, 0.4),
            )

    def keep_account_ids(self, batch: list) -> None:
        for offset, account in enumerate(batch):
            self.accounts[self._account_done + offset].id = account.pk
        self._account_done += len(batch)

    # --- contacts -----------------------------------------------------------------------

    def build_account_weights(self) -> None:
        """A Pareto weight per account: most have a few contacts, a few have hundreds."""
        cap = max(50.0, min(2000.0, len(self.accounts) / 20))  # the biggest: ~1,800 at large
        weights = [min(self.rng.paretovariate(1.2), cap) for _account in self.accounts]
        self.account_cumulative = list(accumulate(weights))

    def pick_account(self) -> AccountRow:
        total = self.account_cumulative[-1]
        return self.accounts[bisect(self.account_cumulative, self.rng.random() * total)]

    def contact_rows(self) -> Iterator:
        from allyance.customers.models import Contact

        vocab, rng, now = self.vocab, self.rng, self.now
        family_weights = list(range(len(vocab.FAMILY_NAMES), 0, -1))
        positions = vocab.TOP_POSITIONS + vocab.HEAD_POSITIONS
        self.contact_accounts: list[AccountRow] = []
        for _index in range(self.sizes.contacts):
            account = self.pick_account()
            if account.chinese or rng.random() < 0.1:
                family, family_latin = rng.choices(vocab.FAMILY_NAMES, weights=family_weights)[0]
                given, given_latin = rng.choice(vocab.GIVEN_NAMES)
                local = f"{given_latin}.{family_latin}"
            else:
                family, given = rng.choice(vocab.LAST_NAMES), rng.choice(vocab.FIRST_NAMES)
                local = f"{given}.{family}"
            title_cn, department_cn, title_en, department_en, roles = rng.choice(positions)
            if rng.random() < 0.6:  # most people work below the heads of their department
                title_cn, title_en, roles = rng.choice(vocab.STAFF_POSITIONS[department_cn])
            owner_id = account.owner_id
            if rng.random() < 0.15 and account.organisation_id == self.company_id:
                owner_id = self.rep_for(account.territory)
            created = self.when_between(account.created_at, now, 1.0)
            self.contact_accounts.append(account)
            yield Contact(
                family_name=family,
                given_name=given,
                title=title_cn if account.chinese else title_en,
                department=department_cn if account.chinese else department_en,
                decision_role=rng.choice(roles),
                phone=self.e164(account.place.landline) if rng.random() < 0.4 else "",
                mobile=self.mobile(account.place) if rng.random() < 0.9 else "",
                email=self.email(local, account.domain) if rng.random() < 0.95 else "",
                account_id=account.id,
                status=rng.choices(Contact.Status.values, weights=(90, 8, 2))[0],
                organisation_id=account.organisation_id,
                owner_id=owner_id,
                created_at=created,
                updated_at=self.when_between(created, now, 0.3),
            )

    def keep_contact_ids(self, batch: list) -> None:
        for contact in batch:
            self.contact_accounts[self._contact_done].contact_ids.append(contact.pk)
            self._contact_done += 1

    # --- activities ---------------------------------------------------------------------

    def activity_rows(self) -> Iterator:
        """Activities bunched around campaign days, more of them in recent months; a tenth ahead."""
        from allyance.activities.models import Activity

        vocab, rng, now = self.vocab, self.rng, self.now
        centres = [730 * rng.random() ** 2 for _centre in range(80)]
        centre_weights = list(accumulate(rng.paretovariate(1.5) for _centre in centres))
        kinds = [Activity.Kind.CALL, Activity.Kind.EMAIL, Activity.Kind.MEETING,
                 Activity.Kind.TASK, Activity.Kind.NOTE]  # fmt: skip
        for _index in range(self.sizes.activities):
            account = self.pick_account()
            kind = rng.choices(kinds, weights=(35, 25, 15, 15, 10))[0]
            if rng.random() < 0.1:
                days_ago = -rng.uniform(1, 30)
            else:
                centre = centres[bisect(centre_weights, rng.random() * centre_weights[-1])]
                days_ago = max(0.05, centre + rng.gauss(0, 1.5))
            day = (now - timedelta(days=days_ago)).replace(
                hour=rng.randint(1, 10), minute=rng.choice((0, 15, 30, 45)), second=0, microsecond=0
            )
            future = day > now
            chinese = account.chinese
            topic_cn, topic_en = rng.choice(vocab.TOPICS)
            body = ""
            if kind == Activity.Kind.MEETING:
                subject_cn, subject_en = rng.choice(vocab.MEETINGS)
                subject = f"{subject_cn}：{topic_cn}" if chinese else f"{subject_en}: {topic_en}"
            elif kind == Activity.Kind.TASK:
                subject = rng.choice(vocab.TASKS)[0 if chinese else 1]
            elif kind == Activity.Kind.NOTE:
                body = rng.choice(vocab.NOTES)[0 if chinese else 1]
                subject = topic_cn if chinese else topic_en.capitalize()
            else:
                subject = topic_cn if chinese else topic_en.capitalize()
            timed = kind in (Activity.Kind.CALL, Activity.Kind.MEETING)
            status = Activity.Status.PLANNED if future else (
                Activity.Status.DONE if rng.random() < 0.92 else Activity.Status.CANCELLED
            )  # fmt: skip
            done = status == Activity.Status.DONE
            created = (
                day - timedelta(days=rng.uniform(0, 7))
                if future or kind == Activity.Kind.TASK
                else day
            )
            contact_ids = account.contact_ids
            owner_id = account.owner_id
            if rng.random() < 0.15 and account.organisation_id == self.company_id:
                owner_id = self.rep_for(account.territory)
            yield Activity(
                kind=kind,
                subject=subject,
                body=body,
                starts_at=day if timed else None,
                ends_at=day + timedelta(minutes=rng.choice((15, 30, 60))) if timed else None,
                due_at=day if kind == Activity.Kind.TASK else None,
                status=status,
                priority=rng.choices(Activity.Priority.values, weights=(20, 65, 15))[0],
                outcome=rng.choice(vocab.OUTCOMES)[0 if chinese else 1]
                if done and kind == Activity.Kind.CALL
                else "",
                completed_at=day if done else None,
                account_id=account.id,
                contact_id=rng.choice(contact_ids) if contact_ids and rng.random() < 0.8 else None,
                organisation_id=account.organisation_id,
                owner_id=owner_id,
                created_at=created,
                updated_at=day if done else created,
            )

    # --- leads --------------------------------------------------------------------------

    def lead_rows(self) -> Iterator:
        """Leads mostly recent, a tenth in the queue without an owner, a third from partners."""
        from allyance.customers.models import SizeBand, Source
        from allyance.sales.models import Lead

        vocab, rng, now = self.vocab, self.rng, self.now
        family_weights = list(range(len(vocab.FAMILY_NAMES), 0, -1))
        partner_weights = list(accumulate(_zipf_weights(len(self.partner_users))))
        bands = [b for b, _label in SizeBand.choices]
        statuses = Lead.Status.values
        for _index in range(self.sizes.leads):
            place = self.place()
            chinese = place.chinese and rng.random() < 0.9
            if chinese:
                family, family_latin = rng.choices(vocab.FAMILY_NAMES, weights=family_weights)[0]
                given, given_latin = rng.choice(vocab.GIVEN_NAMES)
                local = f"{given_latin}.{family_latin}"
            else:
                family, given = rng.choice(vocab.LAST_NAMES), rng.choice(vocab.FIRST_NAMES)
                local = f"{given}.{family}"
            company, industry, domain = self.company_name(place, chinese)
            self.names.discard(company)  # a lead's company is not yet an account
            if rng.random() < 0.3:
                partner = self.partner_users[
                    bisect(partner_weights, rng.random() * partner_weights[-1])
                ]
                organisation_id, owner_id = partner[0], partner[2]
            else:
                organisation_id = self.company_id
                owner_id = None if rng.random() < 0.1 else self.rep_for(place.territory)
            created = now - timedelta(days=540 * rng.random() ** 2)
            status = rng.choices(statuses, weights=(35, 25, 10, 15, 15))[0]
            score = max(0, min(100, int(rng.gauss(35, 20))))
            yield Lead(
                family_name=family,
                given_name=given,
                company=company,
                title=rng.choice(vocab.TOP_POSITIONS)[0 if chinese else 2],
                email=self.email(local, domain) if rng.random() < 0.9 else "",
                mobile=self.mobile(place) if rng.random() < 0.8 else "",
                source=rng.choice(Source.values),
                country=place.country,
                province=place.province,
                city=place.city,
                industry=industry,
                size_band=rng.choices(bands, weights=(40, 30, 18, 8, 4))[0],
                budget=Decimal(rng.choice((5, 10, 20, 50, 100, 300))) * 10_000
                if rng.random() < 0.4
                else None,
                currency="CNY" if place.chinese else "USD",
                status=status,
                disqualified_reason=rng.choice(vocab.OUTCOMES)[0 if chinese else 1]
                if status == Lead.Status.DISQUALIFIED
                else "",
                score=score,
                score_reasons=[{"points": score, "reason": "bench"}],
                territory_id=self.territories[place.territory],
                organisation_id=organisation_id,
                owner_id=owner_id,
                created_at=created,
                updated_at=self.when_between(created, now, 0.5),
            )

    # --- opportunities ------------------------------------------------------------------

    def build_pipeline(self) -> None:
        from allyance.sales.models import Pipeline, Stage

        pipeline, _created = Pipeline.objects.get_or_create(
            name="标准销售流程 Standard", defaults={"is_default": True}
        )
        self.pipeline_id = pipeline.pk
        self.stages = []
        for order, (name_cn, name_en, probability, category, outcome) in enumerate(BENCH_STAGES):
            stage, _created = Stage.objects.get_or_create(
                pipeline=pipeline,
                name=f"{name_cn} {name_en}",
                defaults={
                    "order": order,
                    "probability": probability,
                    "forecast_category": category,
                    "outcome": outcome,
                    "stall_days": 21 if outcome == "open" else None,
                },
            )
            self.stages.append(stage)

    def opportunity_rows(self) -> Iterator:
        """Deals on the accounts (Pareto again): 60 % open, the rest won or lost, with a path."""
        from allyance.sales.models import Opportunity

        vocab, rng, now = self.vocab, self.rng, self.now
        open_stages = [index for index, stage in enumerate(self.stages) if stage.outcome == "open"]
        won = next(i for i, stage in enumerate(self.stages) if stage.outcome == "won")
        lost = next(i for i, stage in enumerate(self.stages) if stage.outcome == "lost")
        self.opportunity_paths: list[tuple[list[int], list[datetime]]] = []
        for _index in range(self.sizes.opportunities):
            account = self.pick_account()
            chinese = account.chinese
            topic_cn, topic_en = rng.choice(vocab.TOPICS)
            created = now - timedelta(days=720 * rng.random() ** 1.5)
            roll = rng.random()
            if roll < 0.6:
                last = rng.choices(open_stages, weights=(40, 25, 20, 15))[0]
                path = list(range(last + 1))
            elif roll < 0.8:
                path = [*open_stages, won]
            else:
                path = [*range(rng.choice(open_stages) + 1), lost]
            moments = [created]
            for _step in path[1:]:
                moments.append(moments[-1] + timedelta(days=rng.uniform(1, 30) ** 1.2))
            moments = [min(moment, now) for moment in moments]
            stage = self.stages[path[-1]]
            closed = stage.outcome != "open"
            amount = Decimal(int(rng.lognormvariate(11.5, 1.1) // 100 * 100))
            close_date = (
                moments[-1].date()
                if closed
                else (now + timedelta(days=rng.uniform(-20, 180))).date()
            )
            owner_id = account.owner_id
            if rng.random() < 0.15 and account.organisation_id == self.company_id:
                owner_id = self.rep_for(account.territory)
            self.opportunity_paths.append((path, moments))
            yield Opportunity(
                name=f"{topic_cn}（{account.place.short}）" if chinese else topic_en.capitalize(),
                account_id=account.id,
                pipeline_id=self.pipeline_id,
                stage_id=stage.pk,
                outcome=stage.outcome,
                amount=amount,
                currency="CNY" if account.place.chinese else "USD",
                close_date=close_date,
                probability=stage.probability,
                forecast_category=stage.forecast_category,
                loss_reason=rng.choice(vocab.OUTCOMES)[0 if chinese else 1]
                if stage.outcome == "lost"
                else "",
                territory_id=self.territories[account.territory],
                organisation_id=account.organisation_id,
                owner_id=owner_id,
                stage_entered_at=moments[-1],
                closed_at=moments[-1] if closed else None,
                last_activity_at=self.when_between(moments[-1], now, 2.0),
                created_at=created,
                updated_at=moments[-1],
            )

    def keep_opportunity_ids(self, batch: list) -> None:
        for opportunity in batch:
            self.opportunity_ids.append(opportunity.pk)

    def stage_change_rows(self) -> Iterator:
        from allyance.sales.models import StageChange

        for opportunity_id, (path, moments) in zip(
            self.opportunity_ids, self.opportunity_paths, strict=True
        ):
            previous = None
            for step, stage_index in enumerate(path):
                yield StageChange(
                    opportunity_id=opportunity_id,
                    from_stage_id=self.stages[previous].pk if previous is not None else None,
                    to_stage_id=self.stages[stage_index].pk,
                    changed_at=moments[step],
                    seconds_in_from_stage=int((moments[step] - moments[step - 1]).total_seconds())
                    if step
                    else None,
                )
                previous = stage_index

    # --- the whole load -----------------------------------------------------------------

    def build(self) -> LoadStats:
        """Insert everything, then build the search index and refresh planner statistics."""
        from django.db import connection, transaction

        from allyance.activities.models import Activity
        from allyance.core import search
        from allyance.customers.models import Account, Contact
        from allyance.sales.models import Lead, Opportunity, StageChange

        started = time.perf_counter()
        self.build_structure()
        self.build_pipeline()
        with self.timestamps_as_given(Account, Contact, Activity, Lead, Opportunity):
            self._account_done = 0
            self.insert(
                "customers_account", self.account_rows(), Account, keep=self.keep_account_ids
            )
            self.build_account_weights()
            self._contact_done = 0
            self.insert(
                "customers_contact", self.contact_rows(), Contact, keep=self.keep_contact_ids
            )
            self.insert("activities_activity", self.activity_rows(), Activity)
            self.insert("sales_lead", self.lead_rows(), Lead)
            self.opportunity_ids: list[int] = []
            self.insert(
                "sales_opportunity",
                self.opportunity_rows(),
                Opportunity,
                keep=self.keep_opportunity_ids,
            )
        self.insert("sales_stagechange", self.stage_change_rows(), StageChange)
        for model in search.registered_models():
            index_started = time.perf_counter()
            with transaction.atomic():
                count = search.index_records(model)
            table = f"search index ({model._meta.model_name})"
            self.stats.add(table, count, time.perf_counter() - index_started)
            self.log(
                f"{table:<22} {count:>10,} rows  {self.stats.tables[table]['rows_per_s']:>9,} rows/s"
            )
        if connection.vendor == "postgresql":
            # What autovacuum does after a bulk load (statistics, the visibility map and hint
            # bits; without them the first reads of every row wrote); SQLite users get no
            # ANALYZE, nor here.
            # VACUUM cannot run inside a transaction: a caller's (a test's) gets the ANALYZE.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)")
        self.stats.add("total", sum(
            t["rows"] for name, t in self.stats.tables.items() if not name.startswith("search")
        ), time.perf_counter() - started)  # fmt: skip
        self.log(f"{'total':<22} {self.stats.tables['total']['rows']:>10,} rows  "
                 f"in {self.stats.tables['total']['seconds']:.1f} s")  # fmt: skip
        return self.stats


def generate(scale: str, *, seed: int, now: datetime | None = None,
             log: Callable[[str], None] = print) -> LoadStats:  # fmt: skip
    """Load the dataset of `scale` into the configured database, which must hold no contacts."""
    from allyance.customers.models import Contact

    if Contact.objects.exists():
        raise SystemExit("The database already holds contacts: load the bench into an empty one.")
    now = now or datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return DatasetBuilder(sizes_for(scale), seed=seed, now=now, log=log).build()


def configure_django() -> None:
    """Point Django at the bench database (never the user's own SQLite file) and set it up."""
    sys.path.insert(0, str(PROJECT_DIR / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "allyance.settings")
    if not os.environ.get("DATABASE_URL"):
        os.environ.setdefault("SQLITE_PATH", str(DEFAULT_SQLITE_PATH))
        if Path(os.environ["SQLITE_PATH"]).name == "allyance.sqlite3":
            raise SystemExit("Refusing to load the benchmark into the user's allyance.sqlite3.")
    import django

    django.setup()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=list(DIVISORS), default="small")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--now", help="anchor date YYYY-MM-DD (default: today, UTC)")
    parser.add_argument("--stats-file", help="write the load statistics here as JSON")
    args = parser.parse_args(argv)
    configure_django()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    now = datetime.fromisoformat(args.now).replace(tzinfo=UTC) if args.now else None
    print(f"Loading scale {args.scale} (seed {args.seed}) into {connection.vendor} "
          f"{connection.settings_dict['NAME']}: {asdict(sizes_for(args.scale))}")  # fmt: skip
    stats = generate(args.scale, seed=args.seed, now=now)
    if args.stats_file:
        Path(args.stats_file).write_text(json.dumps(stats.tables, indent=2))


if __name__ == "__main__":
    main()
