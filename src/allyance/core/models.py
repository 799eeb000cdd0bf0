"""Organisations, users, roles, teams, territories, and the shared pieces every record uses."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    SALES_MANAGER = "sales_manager", _("Sales manager")
    SALES_REP = "sales_rep", _("Sales rep")
    MARKETING = "marketing", _("Marketing")
    SERVICE_AGENT = "service_agent", _("Service agent")
    CHANNEL_MANAGER = "channel_manager", _("Channel manager")
    PARTNER_ADMIN = "partner_admin", _("Partner admin")
    PARTNER_USER = "partner_user", _("Partner user")
    CUSTOMER = "customer", _("Customer (portal)")


STAFF_ROLES = frozenset(
    {
        Role.ADMIN,
        Role.SALES_MANAGER,
        Role.SALES_REP,
        Role.MARKETING,
        Role.SERVICE_AGENT,
        Role.CHANNEL_MANAGER,
    }
)
PARTNER_ROLES = frozenset({Role.PARTNER_ADMIN, Role.PARTNER_USER})


class Organisation(models.Model):
    """The company itself or one of its partner organisations."""

    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        PARTNER = "partner", _("Partner")

    class PartnerType(models.TextChoices):
        RESELLER = "reseller", _("Reseller")
        DISTRIBUTOR = "distributor", _("Distributor")
        AGENT = "agent", _("Agent")
        STRATEGIC_SERVICE = "strategic_service", _("Strategic service partner")
        NON_STRATEGIC_SERVICE = "non_strategic_service", _("Non-strategic service partner")
        VALUE_ADDED_SUPPLIER = "value_added_supplier", _("Value-added supplier")
        COMMODITY_SUPPLIER = "commodity_supplier", _("Commodity supplier")
        NETWORK_OPERATIONS = "network_operations", _("Network operations partner")
        APPLICATION_SERVICE_PROVIDER = "asp", _("Application service provider")

    class Status(models.TextChoices):
        PROSPECT = "prospect", _("Prospect")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        TERMINATED = "terminated", _("Terminated")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.PARTNER)
    partner_type = models.CharField(
        _("partner type"), max_length=40, choices=PartnerType.choices, blank=True
    )
    tier = models.ForeignKey(
        "partners.Tier",
        verbose_name=_("tier"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="organisations",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    channel_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("channel manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_partners",
    )
    shares_with_parent = models.BooleanField(
        _("the partner above sees our records"),
        default=True,
        help_text=_(
            "In a two-tier channel: the distributor's users see this partner's records. "
            "The partner's administrator may turn it off."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    audited = True

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(kind="company"),
                name="one_company_organisation",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_company(self) -> bool:
        return self.kind == self.Kind.COMPANY

    @classmethod
    def company(cls) -> Organisation:
        """The one organisation that runs this instance, created on first use."""
        org, _created = cls.objects.get_or_create(
            kind=cls.Kind.COMPANY, defaults={"name": settings.ALLYANCE_COMPANY_NAME}
        )
        return org


class User(AbstractUser):
    """A person who logs in: staff of the company, a partner's user, or a portal customer."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="users",
        null=True,
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices, default=Role.SALES_REP)
    customer_account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("customer account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="portal_users",
        help_text=_("For customer portal users: the account they belong to."),
    )
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, blank=True
    )
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)

    audited = True

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def get_full_name(self) -> str:
        from allyance.core.names import display_name

        return display_name(family=self.last_name, given=self.first_name)

    @property
    def is_admin(self) -> bool:
        return self.is_superuser or self.role == Role.ADMIN

    @property
    def is_partner(self) -> bool:
        return self.role in PARTNER_ROLES

    @property
    def is_customer(self) -> bool:
        return self.role == Role.CUSTOMER

    @property
    def is_internal(self) -> bool:
        return self.role in STAFF_ROLES or self.is_superuser


class Team(models.Model):
    """A group of staff with a manager; team scope shows a manager the team's records."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    manager = models.ForeignKey(
        User,
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_teams",
    )
    members = models.ManyToManyField(
        User, verbose_name=_("members"), related_name="teams", blank=True
    )

    audited = True

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Territory(models.Model):
    """A sales territory; a tree. Members are authorised for it and all territories below."""

    name = models.CharField(_("name"), max_length=120)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent territory"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    members = models.ManyToManyField(
        User, verbose_name=_("members"), related_name="territories", blank=True
    )
    description = models.TextField(_("description"), blank=True)

    audited = True

    class Meta:
        verbose_name = _("territory")
        verbose_name_plural = _("territories")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="unique_territory_name")
        ]

    def __str__(self) -> str:
        return self.name

    def descendant_ids(self) -> set[int]:
        """This territory and every territory below it."""
        return territory_subtree_ids([self.pk])

    def ancestors(self) -> list[Territory]:
        chain, node, seen = [], self.parent, set()
        while node is not None and node.pk not in seen:
            seen.add(node.pk)
            chain.append(node)
            node = node.parent
        return list(reversed(chain))


def territory_subtree_ids(root_ids: list[int]) -> set[int]:
    """All territory ids at or below the given roots, one query per tree level."""
    found = set(root_ids)
    frontier = set(root_ids)
    while frontier:
        frontier = (
            set(Territory.objects.filter(parent_id__in=frontier).values_list("id", flat=True))
            - found
        )
        found |= frontier
    return found


class Tag(models.Model):
    """A free label that can be put on accounts, contacts and later records."""

    name = models.CharField(_("name"), max_length=60, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class BusinessModel(models.Model):
    """Base of every business record: owner, owning organisation, version, custom fields.

    `version` detects concurrent edits; `custom_fields` holds the values of the
    admin-defined fields, validated by `core.custom_fields`.
    """

    owner = models.ForeignKey(
        User,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("owning organisation"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)

    # Paths the visibility gate follows (see core.visibility); override per model.
    visibility_territory_path: str | None = None
    visibility_account_path: str | None = None
    # Organisation paths that also give a partner the record (besides `organisation`).
    visibility_partner_paths: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def files_locked(self) -> bool:
        """True when the record's files may no longer change (an approved expense, say)."""
        return False


class AuditEntry(models.Model):
    """One create, update or delete of a business record. Written once, never edited."""

    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        UPDATE = "update", _("Updated")
        DELETE = "delete", _("Deleted")

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(_("record"), max_length=250)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    actor = models.ForeignKey(
        User,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    changes = models.JSONField(_("changes"), default=dict)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "-at"])]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_repr}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise PermissionError("Audit entries cannot be edited.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit entries cannot be deleted.")


class Attachment(models.Model):
    """A file attached to any record, stored through Django's storage API."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.CharField(max_length=64)
    target = GenericForeignKey("content_type", "object_id")
    file = models.FileField(_("file"), upload_to="attachments/%Y/%m/")
    name = models.CharField(_("name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    mime_type = models.CharField(_("type"), max_length=120)
    uploaded_by = models.ForeignKey(
        User, verbose_name=_("uploaded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    audited = True

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["-uploaded_at"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return self.name


class CustomField(models.Model):
    """An admin-defined, typed field for a record type; values live in `custom_fields`."""

    class Type(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", pgettext_lazy("custom field type", "Number")
        DECIMAL = "decimal", _("Decimal")
        DATE = "date", _("Date")
        CHOICE = "choice", _("Choice")
        MULTI_CHOICE = "multi_choice", _("Multiple choice")
        BOOLEAN = "boolean", _("Yes/no")
        USER = "user", _("User")

    content_type = models.ForeignKey(
        ContentType, verbose_name=_("record type"), on_delete=models.CASCADE, related_name="+"
    )
    name = models.SlugField(_("key"), max_length=60)
    label = models.CharField(_("label"), max_length=120)
    type = models.CharField(_("type"), max_length=20, choices=Type.choices, default=Type.TEXT)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    order = models.PositiveIntegerField(pgettext_lazy("sort position", "order"), default=0)

    audited = True

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["content_type", "order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["content_type", "name"], name="unique_custom_field")
        ]

    def __str__(self) -> str:
        return self.label


class ImportJob(models.Model):
    """One CSV/XLSX import: the uploaded file, its column mapping, options and progress.

    A job is previewed (dry run) first; running it imports all rows in one
    transaction or none, so nothing is ever half-imported.
    """

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        PREVIEWED = "previewed", _("Previewed")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class OnDuplicate(models.TextChoices):
        SKIP = "skip", _("Skip the row")
        UPDATE = "update", _("Update the existing record")
        CREATE = "create", _("Create a new record anyway")

    created_by = models.ForeignKey(
        User, verbose_name=_("by"), on_delete=models.CASCADE, related_name="import_jobs"
    )
    target = models.CharField(_("import into"), max_length=40)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    encoding = models.CharField(_("encoding"), max_length=40, blank=True)
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    on_duplicate = models.CharField(
        _("duplicates"), max_length=10, choices=OnDuplicate.choices, default=OnDuplicate.SKIP
    )
    skip_invalid_rows = models.BooleanField(
        _("import the valid rows, skip bad ones"), default=False
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.UPLOADED
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("processed"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    skipped_count = models.PositiveIntegerField(_("skipped"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.original_name


class SearchEntry(models.Model):
    """The search document of one record: its words, every CJK character a word of its own.

    `core.search` keeps it in step with the record; the database's full-text index
    (FTS5 on SQLite, a GIN index on PostgreSQL, see migration 0003) covers `document`.
    """

    # The unique constraint below indexes content_type first; no second index needed.
    content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    object_id = models.BigIntegerField()
    document = models.TextField(blank=True)

    class Meta:
        verbose_name = _("search entry")
        verbose_name_plural = _("search entries")
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id"], name="unique_search_entry"
            )
        ]

    def __str__(self) -> str:
        return f"{self.content_type_id}:{self.object_id}"


class Notification(models.Model):
    """A message for one user, shown in the app (and e-mailed when the sender asked)."""

    recipient = models.ForeignKey(
        User, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=40, blank=True)
    message = models.CharField(_("message"), max_length=500)
    url = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"])]

    def __str__(self) -> str:
        return self.message
