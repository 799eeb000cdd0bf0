"""Builds the demo records through the services, drawing everything from one seeded generator."""

from __future__ import annotations

import random
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
from django.conf import settings

from allyance.activities.models import Activity
from allyance.activities.services import activity_save
from allyance.core import audit
from allyance.core.demo.vocabulary import (
    ACCOUNTS,
    ACTIVITIES,
    AGENCIES,
    BRANDS,
    CN_MOBILE,
    CONTACTS,
    FAMILY_NAMES,
    FIRST_NAMES,
    GIVEN_NAMES,
    HEAD_POSITIONS,
    INDUSTRIES,
    LAST_NAMES,
    LATIN_BRANDS,
    LATIN_SUFFIX,
    MAIL_DOMAIN,
    MARKETING_TOPICS,
    MEETINGS,
    NOTES,
    OUTCOMES,
    PARTNERS,
    PLACE,
    PLACES,
    SERVICE_TOPICS,
    SITES,
    SIZE_WEIGHT,
    STAFF,
    STAFF_POSITIONS,
    TASKS,
    TERRITORIES,
    TERRITORY_OWNER,
    TOP_POSITIONS,
    TOPICS,
    Place,
)
from allyance.core.models import Organisation, Role, Tag, Team, Territory, User
from allyance.customers.models import Account, Contact, Industry, SizeBand, Source
from allyance.customers.services import account_save, contact_save


@dataclass
class DemoAccount:
    """An account being built, with what its contacts and activities need to stay coherent."""

    account: Account
    place: Place
    chinese: bool
    domain: str
    weight: int
    person: tuple[str, str, str] | None = None  # an individual's family, given name, e-mail
    contacts: list[Contact] = field(default_factory=list)
    latest: datetime | None = None


@dataclass
class Login:
    role: str
    username: str
    password: str
    name: str
    organisation: str


def ascii_slug(text: str) -> str:
    """`muller` from `Müller`: e-mail local parts and domains stay plain ASCII."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum() or ch in ".-")


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


class DemoBuilder:
    """Builds the demo data set from one random generator; call `build()` inside a transaction."""

    def __init__(self, rng: random.Random, *, now: datetime) -> None:
        self.rng = rng
        self.now = now
        self.logins: list[Login] = []
        self.users: dict[str, User] = {}
        self.partners: dict[str, Organisation] = {}
        self.territories: dict[str, Territory] = {}
        self.accounts: list[DemoAccount] = []
        self.names: set[str] = set()
        self.domains: set[str] = set()
        self.emails: set[str] = set()
        self.activities: list[Activity] = []
        # The first brands name the groups; other companies never borrow a group's name.
        self.group_brands = [BRANDS[i * 7] for i in range(6)]
        self.latin_group_brands = [LATIN_BRANDS[i * 5] for i in range(3)]
        self.brands = [b for b in BRANDS if b not in self.group_brands]
        self.latin_brands = [b for b in LATIN_BRANDS if b not in self.latin_group_brands]

    # --- small helpers -------------------------------------------------------------------

    def digits(self, pattern: str) -> str:
        """Fill a pattern: '#' is any digit, 'N' a digit that may start a local number."""
        rng = self.rng
        return "".join(
            str(rng.randint(0, 9)) if ch == "#" else str(rng.randint(2, 9)) if ch == "N" else ch
            for ch in pattern
        )

    def phone(self, pattern: str) -> str:
        """A number from `pattern` that phonenumbers accepts as a real, assigned one."""
        while True:
            number = self.digits(pattern)
            parsed = phonenumbers.parse(number, settings.DEFAULT_PHONE_REGION)
            if phonenumbers.is_valid_number(parsed):
                return number

    def mobile(self, place: Place) -> str:
        return self.phone(place.mobile or self.rng.choice(CN_MOBILE))

    def email(self, local: str, domain: str) -> str:
        """A new address at `domain`; a number is added when the name is taken there."""
        local = ascii_slug(local)
        address = f"{local}@{domain}"
        while address in self.emails:
            address = f"{local}{self.rng.randint(2, 99)}@{domain}"
        self.emails.add(address)
        return address

    def person(self, chinese: bool) -> tuple[str, str, str]:
        """Family name, given name, and the e-mail local part for them."""
        if chinese:
            weights = range(len(FAMILY_NAMES), 0, -1)
            family, family_latin = self.rng.choices(FAMILY_NAMES, weights=weights)[0]
            given, given_latin = self.rng.choice(GIVEN_NAMES)
            return family, given, f"{given_latin}.{family_latin}"
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        return last, first, f"{first}.{last}"

    def moment(self, place: Place, days: int) -> datetime:
        """A working-hours time `days` from today (negative: in the past) in the place's zone."""
        zone = ZoneInfo(place.tz)
        day = (self.now.astimezone(zone) + timedelta(days=days)).date()
        while day.weekday() >= 5:
            day += timedelta(days=1 if days > 0 else -1)
        hour, minute = self.rng.randint(9, 17), self.rng.choice((0, 15, 30, 45))
        return datetime.combine(day, time(hour, minute), tzinfo=zone)

    def past_days(self) -> int:
        """Most history falls in the last 90 days, and more of it in the recent weeks."""
        if self.rng.random() < 0.05:
            return -self.rng.randint(91, 365)
        return -1 - int(self.rng.triangular(0, 89, 0))

    # --- people and structure ------------------------------------------------------------

    def user(self, username: str, role: str, family: str, given: str, *,
             organisation: Organisation, email: str, language: str = "zh-hans",
             time_zone: str = "Asia/Shanghai", **extra) -> User:  # fmt: skip
        """A login with a fresh random password, remembered for the table at the end."""
        password = secrets.token_urlsafe(9)
        user = User(
            username=username,
            email=email,
            first_name=given,
            last_name=family,
            role=role,
            organisation=organisation,
            language=language,
            time_zone=time_zone,
            **extra,
        )
        user.set_password(password)
        user.save()
        self.users[username] = user
        self.logins.append(
            Login(str(Role(role).label), username, password, str(user), organisation.name)
        )
        return user

    def tier(self, name: str):
        """The programme tier of that name; the partners part of the demo sets its policy."""
        from allyance.partners.models import Tier

        rank = {"Registered": 1, "Silver": 2, "Gold": 3}.get(name, 0)
        return Tier.objects.get_or_create(name=name, defaults={"rank": rank})[0]

    def build_people(self, admin: User) -> None:
        company = Organisation.company()
        for username, role, family, given, language in STAFF:
            self.user(username, role, family, given, organisation=company, language=language,
                      email=f"{username}@allyance.{MAIL_DOMAIN}")  # fmt: skip
        for key, name, kind, tier, parent, _places, admin_name, user_name, _n in PARTNERS:
            partner = Organisation(
                name=name,
                kind=Organisation.Kind.PARTNER,
                partner_type=kind,
                tier=self.tier(tier),
                parent=self.partners.get(parent),
                channel_manager=self.users["channel"],
            )
            partner.save()
            self.partners[key] = partner
            english = admin_name[0].isascii()
            for suffix, role, (family, given) in (
                ("admin", Role.PARTNER_ADMIN, admin_name),
                ("user", Role.PARTNER_USER, user_name),
            ):
                self.user(
                    f"{key}.{suffix}", role, family, given, organisation=partner,
                    email=f"{ascii_slug(given)}.{ascii_slug(family)}@{key}.{MAIL_DOMAIN}"
                    if english else f"{suffix}@{key}.{MAIL_DOMAIN}",
                    language="en" if english else "zh-hans",
                    time_zone="Asia/Singapore" if english else "Asia/Shanghai",
                )  # fmt: skip

        team, _created = Team.objects.get_or_create(name="直销团队 Direct Sales")
        team.manager = self.users["manager"]
        team.save()
        team.members.add(self.users["rep.zhang"], self.users["rep.emily"])

        def grow(tree: dict, parent: Territory | None) -> None:
            for name, children in tree.items():
                node, _created = Territory.objects.get_or_create(name=name, parent=parent)
                self.territories[name] = node
                grow(children, node)

        grow(TERRITORIES, None)
        self.territories["华东"].members.add(self.users["rep.zhang"])
        self.territories["华南"].members.add(self.users["rep.emily"])
        self.territories["International"].members.add(self.users["rep.emily"])
        self.territories["华北"].members.add(self.users["manager"])

    # --- accounts ------------------------------------------------------------------------

    def industry(self) -> tuple[str, tuple[str, str, str]]:
        kinds = list(INDUSTRIES)
        kind = self.rng.choices(kinds, weights=[INDUSTRIES[k][0] for k in kinds])[0]
        return kind, self.rng.choice(INDUSTRIES[kind][1])

    def company_name(self, place: Place, chinese: bool) -> tuple[str, str, str]:
        """Name, industry and e-mail domain of a new, not yet used company."""
        while True:
            if chinese and self.rng.random() < 0.05:
                agency, latin = self.rng.choice(AGENCIES)
                name = f"{place.short}市{agency}".replace("市市", "市")
                industry, domain = Industry.GOVERNMENT, f"{latin}.{ascii_slug(place.latin)}"
            else:
                industry, (word, word_latin, word_en) = self.industry()
                if chinese:
                    brand, brand_latin = self.rng.choice(self.brands)
                    suffix = self.rng.choice(("有限公司", "有限公司", "股份有限公司"))
                    name = f"{place.short}{brand}{word}{suffix}"
                    domain = f"{brand_latin}-{word_latin}"
                else:
                    brand = self.rng.choice(self.latin_brands)
                    if place.chinese:  # a foreign-invested company in China
                        name = f"{brand} {word_en} ({place.latin}) Co., Ltd."
                    else:
                        name = f"{brand} {word_en} {LATIN_SUFFIX[place.country]}"
                    domain = ascii_slug(f"{brand}-{word_en.split()[0]}")
            if name not in self.names:
                self.names.add(name)
                domain = f"{domain}.{MAIL_DOMAIN}"
                if domain in self.domains:  # the same brand and trade in another city
                    domain = f"{ascii_slug(place.latin)}.{domain}"
                self.domains.add(domain)
                return name, industry, domain

    def address(self, place: Place) -> dict:
        number = self.rng.randint(1, 999)
        road = self.rng.choice(place.roads)
        if place.chinese:
            street = f"{self.rng.choice(place.districts)}{road}{number}号"
        else:
            street = f"{number} {road}"
        return {
            "country": place.country,
            "province": place.province,
            "city": place.city,
            "street": street,
            "postcode": self.digits(place.postcode),
        }

    def owner_for(self, place: Place) -> User:
        return self.users[TERRITORY_OWNER[place.territory]]

    def add_account(self, *, name: str, place: Place, chinese: bool, domain: str, owner: User,
                    organisation: Organisation, industry: str = "", size: str = "",
                    parent: Account | None = None, kind: str = Account.Kind.COMPANY,
                    person: tuple[str, str, str] | None = None, mailbox: str = "",
                    **extra) -> DemoAccount:  # fmt: skip
        rng = self.rng
        company = kind == Account.Kind.COMPANY
        if not mailbox:
            mailbox = rng.choice(("info", "contact", "sales", "office")) if company else person[2]
        account = Account(
            kind=kind,
            name=name,
            parent=parent,
            industry=industry,
            size_band=size,
            phone=self.phone(place.landline) if company else self.mobile(place),
            phone_alt=self.mobile(place) if company and rng.random() < 0.2 else "",
            email=self.email(mailbox, domain),
            website=f"https://www.{domain}" if company else "",
            source=rng.choice(Source.values),
            status=rng.choices(Account.Status.values, weights=(22, 72, 6))[0],
            territory=self.territories[place.territory],
            owner=owner,
            organisation=organisation,
            **self.address(place),
            **extra,
        )
        account_save(account=account, by=owner)
        demo = DemoAccount(account, place, chinese, domain, SIZE_WEIGHT.get(size, 1), person)
        self.accounts.append(demo)
        return demo

    def build_groups(self) -> None:
        """Groups with subsidiaries in other cities, and sites below some subsidiaries."""
        china = [p for p in PLACES if p.chinese]
        abroad = [p for p in PLACES if not p.chinese]
        group_cities = ["Shanghai", "Beijing", "Shenzhen", "Hangzhou", "Suzhou", "Guangzhou"]
        heads = [
            (PLACE[c], brand) for c, brand in zip(group_cities, self.group_brands, strict=True)
        ]
        heads += [(self.rng.choice(abroad), (b, "")) for b in self.latin_group_brands]
        for head, (brand, brand_latin) in heads:
            chinese = head.chinese
            owner = self.owner_for(head)
            if chinese:
                group_name, domain = f"{brand}集团有限公司", f"{brand_latin}-group.{MAIL_DOMAIN}"
            else:
                group_name = f"{brand} Holdings {LATIN_SUFFIX[head.country]}"
                domain = f"{ascii_slug(brand)}-group.{MAIL_DOMAIN}"
            self.names.add(group_name)
            self.domains.add(domain)
            industry, (word, _latin, word_en) = self.industry()
            group = self.add_account(
                name=group_name, place=head, chinese=chinese, domain=domain, owner=owner,
                organisation=owner.organisation, industry=industry, size=SizeBand.ENTERPRISE,
                description="集团总部" if chinese else "Group headquarters", mailbox="info",
            )  # fmt: skip
            for sub_index in range(self.rng.randint(2, 4)):
                place = self.rng.choice(china if chinese or sub_index == 0 else PLACES)
                if chinese:
                    name = f"{place.short}{brand}{word}有限公司"
                elif place.chinese:
                    name = f"{brand} {word_en} ({place.latin}) Co., Ltd."
                else:
                    name = f"{brand} {word_en} {LATIN_SUFFIX[place.country]}"
                if name in self.names:
                    continue
                self.names.add(name)
                subsidiary = self.add_account(
                    name=name, place=place, chinese=chinese, domain=domain, owner=owner,
                    organisation=owner.organisation, industry=industry,
                    size=self.rng.choice((SizeBand.LARGE, SizeBand.MEDIUM)),
                    parent=group.account, mailbox=ascii_slug(place.latin),
                )  # fmt: skip
                sites = self.rng.randint(1, 3) if sub_index == 0 else self.rng.randint(0, 2)
                for site_index in range(sites):
                    district = place.districts[site_index % len(place.districts)]
                    kind_zh, kind_en = self.rng.choice(SITES)
                    if chinese:
                        site_name = f"{brand}{word}{place.short}{district}{kind_zh}"
                    else:
                        site_name = f"{brand} {word_en} {place.latin} {kind_en}"
                    if site_name in self.names:
                        continue
                    self.names.add(site_name)
                    self.add_account(
                        name=site_name, place=place, chinese=chinese, domain=domain,
                        owner=owner, organisation=owner.organisation, industry=industry,
                        size=self.rng.choice((SizeBand.MEDIUM, SizeBand.SMALL)),
                        parent=subsidiary.account,
                        mailbox=ascii_slug(f"{place.latin}.{kind_en}.{site_index + 1}"),
                    )  # fmt: skip

    def build_standalone(self, count: int, *, places: list[Place], owners: list[User] | None,
                         organisation: Organisation) -> None:  # fmt: skip
        """Companies and a few private customers; `owners=None` means the territory's staff."""
        rng = self.rng
        for _index in range(count):
            place = rng.choices(places, weights=[p.weight for p in places])[0]
            owner = self.owner_for(place) if owners is None else rng.choice(owners)
            chinese = place.chinese and rng.random() < 0.8
            if rng.random() < 0.07:
                family, given, local = self.person(place.chinese)
                name = f"{family}{given}" if place.chinese else f"{given} {family}"
                if name in self.names:
                    continue
                self.names.add(name)
                self.add_account(
                    name=name, place=place, chinese=place.chinese, domain=f"mail.{MAIL_DOMAIN}",
                    owner=owner, organisation=organisation, kind=Account.Kind.INDIVIDUAL,
                    person=(family, given, local),
                )  # fmt: skip
                continue
            name, industry, domain = self.company_name(place, chinese)
            size = rng.choices(list(SIZE_WEIGHT), weights=(10, 30, 30, 20, 10))[0]
            self.add_account(
                name=name, place=place, chinese=chinese, domain=domain, owner=owner,
                organisation=organisation, industry=industry, size=size,
            )  # fmt: skip

    def build_accounts(self) -> None:
        self.build_groups()
        for key, _name, _type, _tier, _parent, cities, *_names, count in PARTNERS:
            partner = self.partners[key]
            people = [self.users[f"{key}.user"]] * 3 + [self.users[f"{key}.admin"]]
            self.build_standalone(count, places=[PLACE[c] for c in cities], owners=people,
                                  organisation=partner)  # fmt: skip
        company = Organisation.company()
        while len(self.accounts) < ACCOUNTS:
            self.build_standalone(ACCOUNTS - len(self.accounts), places=list(PLACES), owners=None,
                                  organisation=company)  # fmt: skip
        tags = [Tag.objects.get_or_create(name=n)[0] for n in ("重点客户", "VIP", "Trade show")]
        for demo in self.rng.sample(self.accounts, 30):
            with audit.acting_as(demo.account.owner):
                demo.account.tags.add(self.rng.choice(tags))

    # --- contacts ------------------------------------------------------------------------

    def build_contacts(self) -> None:
        rng = self.rng
        counts = {id(demo): 1 for demo in self.accounts}
        companies = [d for d in self.accounts if d.account.kind == Account.Kind.COMPANY]
        for demo in rng.choices(companies, weights=[d.weight for d in companies],
                                k=CONTACTS - len(self.accounts)):  # fmt: skip
            counts[id(demo)] += 1
        for demo in self.accounts:
            if demo.account.kind == Account.Kind.INDIVIDUAL:
                family, given, local = demo.person
                self.add_contact(demo, family, given, local, ("", "", "", "", ()), None)
                continue
            heads: list[tuple[Contact, tuple]] = []
            top = None
            for index in range(counts[id(demo)]):
                chinese_name = rng.random() < (0.9 if demo.chinese else
                                               0.6 if demo.place.chinese else
                                               0.4 if demo.place.territory == "Asia Pacific" else 0.1)  # fmt: skip
                family, given, local = self.person(chinese_name)
                open_heads = [h for h in HEAD_POSITIONS if h[1] not in {x[1][1] for x in heads}]
                if index == 0:
                    position, boss = rng.choice(TOP_POSITIONS), None
                elif open_heads and (index <= 3 or rng.random() < 0.4):
                    position, boss = rng.choice(open_heads), top
                else:
                    boss, head = rng.choice(heads) if heads else (top, TOP_POSITIONS[0])
                    title_zh, title_en, roles = rng.choice(STAFF_POSITIONS[head[1]])
                    position = (title_zh, head[1], title_en, head[3], roles)
                contact = self.add_contact(demo, family, given, local, position, boss)
                if index == 0:
                    top = contact
                elif boss is top:
                    heads.append((contact, position))

    def add_contact(self, demo: DemoAccount, family: str, given: str, local: str,
                    position: tuple, boss: Contact | None) -> Contact:  # fmt: skip
        rng = self.rng
        title_zh, department_zh, title_en, department_en, roles = position
        individual = demo.account.kind == Account.Kind.INDIVIDUAL
        contact = Contact(
            family_name=family,
            given_name=given,
            title=title_zh if demo.chinese else title_en,
            department=department_zh if demo.chinese else department_en,
            decision_role=rng.choice(roles) if roles else "",
            reports_to=boss,
            account=demo.account,
            mobile=demo.account.phone if individual else self.mobile(demo.place),
            phone="" if individual or rng.random() < 0.5 else self.phone(demo.place.landline),
            email=demo.account.email
            if individual
            else self.email(local, demo.domain)
            if rng.random() < 0.92
            else "",
            status=rng.choices(Contact.Status.values, weights=(94, 4, 2))[0],
            owner=demo.account.owner,
            organisation=demo.account.organisation,
        )
        contact_save(contact=contact, by=demo.account.owner)
        demo.contacts.append(contact)
        return contact

    # --- activities ----------------------------------------------------------------------

    def add_activity(self, demo: DemoAccount, owner: User, kind: str, days: int, *,
                     subject: tuple[str, str], status: str | None = None) -> None:  # fmt: skip
        rng = self.rng
        at = self.moment(demo.place, days)
        past = at < self.now
        reachable = [c for c in demo.contacts if c.status == Contact.Status.ACTIVE]
        activity = Activity(
            kind=kind,
            subject=subject[0] if demo.chinese else subject[1],
            account=demo.account,
            contact=rng.choice(reachable) if reachable and rng.random() < 0.85 else None,
            owner=owner,
            organisation=owner.organisation if owner.is_partner else demo.account.organisation,
            priority=rng.choices(Activity.Priority.values, weights=(15, 65, 20))[0]
            if kind == Activity.Kind.TASK
            else Activity.Priority.NORMAL,
            status=status or (Activity.Status.DONE if past else Activity.Status.PLANNED),
        )
        if kind in (Activity.Kind.CALL, Activity.Kind.MEETING):
            minutes = rng.randint(5, 25) if kind == Activity.Kind.CALL else rng.choice((30, 60, 90))
            activity.starts_at, activity.ends_at = at, at + timedelta(minutes=minutes)
        elif kind == Activity.Kind.EMAIL:
            activity.starts_at = at
        elif kind == Activity.Kind.TASK:
            activity.due_at = at
        if kind != Activity.Kind.TASK or rng.random() < 0.3:
            note = rng.choice(NOTES)
            activity.body = note[0] if demo.chinese else note[1]
        if activity.status == Activity.Status.DONE:
            activity.completed_at = activity.ends_at or at
            if kind in (Activity.Kind.CALL, Activity.Kind.MEETING):
                outcome = rng.choice(OUTCOMES)
                activity.outcome = outcome[0] if demo.chinese else outcome[1]
        activity_save(activity=activity, by=owner)
        # Planned work was entered some days before it was due; logged work when it happened.
        if past and kind in (Activity.Kind.CALL, Activity.Kind.EMAIL, Activity.Kind.NOTE):
            activity.created_at = at
        else:
            activity.created_at = min(at, self.now) - timedelta(days=rng.randint(1, 10))
        activity.updated_at = min(activity.completed_at or activity.created_at, self.now)
        if past and (demo.latest is None or at > demo.latest):
            demo.latest = at
        self.activities.append(activity)

    def build_activities(self) -> None:
        rng = self.rng
        kinds = list(Activity.Kind.values)
        own = {}
        for demo in self.accounts:
            own.setdefault(demo.account.owner.username, []).append(demo)
        # Upcoming and overdue work for every salesperson and partner user first.
        for username, accounts in own.items():
            upcoming, overdue = (12, 4) if username.startswith("rep.") else (6, 2)
            for _index in range(upcoming):
                kind = rng.choices(kinds, weights=(20, 25, 55, 0, 0))[0]
                words = rng.choice(TASKS) if kind == Activity.Kind.TASK else rng.choice(TOPICS)
                if kind != Activity.Kind.TASK:
                    words = self.subject(kind, words)
                self.add_activity(rng.choice(accounts), self.users[username], kind,
                                  rng.randint(1, 21), subject=words)  # fmt: skip
            for _index in range(overdue):
                self.add_activity(rng.choice(accounts), self.users[username], Activity.Kind.TASK,
                                  -rng.randint(1, 10), subject=rng.choice(TASKS),
                                  status=Activity.Status.PLANNED)  # fmt: skip
        direct = [d for d in self.accounts if d.account.organisation.is_company]
        for _index in range(90):  # service follow-ups and marketing mailings
            demo = rng.choice(direct)
            topic = rng.choice(SERVICE_TOPICS)
            self.add_activity(demo, self.users["service"], Activity.Kind.CALL, self.past_days(),
                              subject=self.subject(Activity.Kind.CALL, topic))  # fmt: skip
        for _index in range(60):
            self.add_activity(rng.choice(direct), self.users["marketing"], Activity.Kind.EMAIL,
                              self.past_days(), subject=rng.choice(MARKETING_TOPICS))  # fmt: skip
        weights = [d.weight + len(d.contacts) for d in self.accounts]
        while len(self.activities) < ACTIVITIES:
            demo = rng.choices(self.accounts, weights=weights)[0]
            kind = rng.choices(kinds, weights=(35, 15, 15, 10, 25))[0]
            owner = demo.account.owner
            if (
                owner.username == "rep.zhang"
                and kind == Activity.Kind.MEETING
                and rng.random() < 0.2
            ):
                owner = self.users["manager"]  # the manager joins some key meetings
            if kind == Activity.Kind.TASK:
                words = rng.choice(TASKS)
            else:
                words = self.subject(kind, rng.choice(TOPICS))
            status = None
            if kind in (Activity.Kind.MEETING, Activity.Kind.TASK) and rng.random() < 0.08:
                status = Activity.Status.CANCELLED
            self.add_activity(demo, owner, kind, self.past_days(), subject=words, status=status)

    def subject(self, kind: str, topic: tuple[str, str]) -> tuple[str, str]:
        zh, en = topic
        if kind == Activity.Kind.MEETING:
            how = self.rng.choice(MEETINGS)
            return f"{how[0]}：{zh}", f"{how[1]}: {en}"
        prefix = {
            "call": ("电话沟通", "Call"),
            "email": ("邮件", "E-mail"),
            "note": ("备注", "Note"),
        }
        return f"{prefix[kind][0]}：{zh}", f"{prefix[kind][1]}: {en}"

    # --- history and the portal user ----------------------------------------------------

    def backdate(self) -> None:
        """Give the records the history they pretend to have.

        `created_at` is set on insert, so the dates are corrected afterwards in a few
        UPDATEs of the timestamps only; the audit trail keeps the real load time.
        """
        rng = self.rng
        contacts = []
        for demo in self.accounts:
            created = self.now - timedelta(days=rng.randint(430, 1500), hours=rng.randint(0, 23))
            demo.account.created_at = created
            demo.account.updated_at = max(created, demo.latest or created)
            for contact in demo.contacts:
                contact.created_at = created + timedelta(days=rng.randint(0, 60))
                contact.updated_at = contact.created_at + timedelta(days=rng.randint(0, 60))
                contacts.append(contact)
        stamps = ["created_at", "updated_at"]
        Account.objects.bulk_update([d.account for d in self.accounts], stamps, batch_size=500)
        Contact.objects.bulk_update(contacts, stamps, batch_size=500)
        Activity.objects.bulk_update(self.activities, stamps, batch_size=500)

    def build_portal_user(self) -> None:
        """The customer portal login belongs to the top contact of one direct customer."""
        demo = next(
            d
            for d in self.accounts
            if d.chinese
            and d.account.organisation.is_company
            and d.account.parent_id is None
            and d.account.kind == Account.Kind.COMPANY
            and len(d.contacts) >= 3
        )
        person = demo.contacts[0]
        self.user(
            "customer", Role.CUSTOMER, person.family_name, person.given_name,
            organisation=Organisation.company(), customer_account=demo.account,
            email=person.email or f"customer@{demo.domain}",
        )  # fmt: skip
        self.logins[-1].organisation = demo.account.name

    def build(self, admin: User) -> None:
        with audit.acting_as(admin):
            self.build_people(admin)
        self.build_accounts()
        self.build_contacts()
        self.build_activities()
        self.backdate()
        with audit.acting_as(admin):
            self.build_portal_user()
        from allyance.core.demo.orders import OrdersDemo
        from allyance.core.demo.sales import SalesDemo

        sales = SalesDemo(self, admin)
        sales.build()
        OrdersDemo(self, admin, [deal for deal, _path in sales.history]).build()
        from allyance.core.demo.partners import PartnersDemo

        PartnersDemo(self, admin).build()
