"""Accounts (companies and individuals, in a hierarchy) and their contacts."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from allyance.core.models import BusinessModel, Tag, Territory
from allyance.core.names import display_name
from allyance.core.record_urls import record_url


class Industry(models.TextChoices):
    MANUFACTURING = "manufacturing", _("Manufacturing")
    RETAIL = "retail", _("Retail")
    FINANCE = "finance", _("Finance")
    HEALTHCARE = "healthcare", _("Healthcare")
    EDUCATION = "education", _("Education")
    GOVERNMENT = "government", _("Government")
    TECHNOLOGY = "technology", _("Technology")
    TELECOM = "telecom", _("Telecommunications")
    ENERGY = "energy", _("Energy")
    LOGISTICS = "logistics", _("Logistics")
    REAL_ESTATE = "real_estate", _("Real estate")
    SERVICES = "services", _("Professional services")
    OTHER = "other", _("Other")


class SizeBand(models.TextChoices):
    MICRO = "1-9", _("1–9 employees")
    SMALL = "10-49", _("10–49 employees")
    MEDIUM = "50-249", _("50–249 employees")
    LARGE = "250-999", _("250–999 employees")
    ENTERPRISE = "1000+", _("1,000+ employees")


class Source(models.TextChoices):
    WEBSITE = "website", _("Website")
    REFERRAL = "referral", _("Referral")
    PARTNER = "partner", _("Partner")
    TRADE_SHOW = "trade_show", _("Trade show")
    COLD_CALL = "cold_call", _("Cold call")
    ADVERTISING = "advertising", _("Advertising")
    SOCIAL = "social", _("Social media")
    OTHER = "other", _("Other")


class Account(BusinessModel):
    """A customer: a company or an individual, optionally part of a group."""

    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        INDIVIDUAL = "individual", _("Individual")

    class Status(models.TextChoices):
        PROSPECT = "prospect", _("Prospect")
        ACTIVE = "active", _("Active")
        INACTIVE = "inactive", _("Inactive")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.COMPANY)
    name = models.CharField(_("name"), max_length=200)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
    )
    industry = models.CharField(_("industry"), max_length=30, choices=Industry.choices, blank=True)
    size_band = models.CharField(_("size"), max_length=10, choices=SizeBand.choices, blank=True)
    country = CountryField(_("country"), blank=True)
    province = models.CharField(_("province/state"), max_length=100, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    street = models.CharField(_("street"), max_length=255, blank=True)
    postcode = models.CharField(_("postcode"), max_length=20, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    phone_alt = models.CharField(_("other phone"), max_length=32, blank=True)
    email = models.EmailField(_("email"), blank=True)
    email_alt = models.EmailField(_("other email"), blank=True)
    website = models.URLField(_("website"), blank=True)
    tax_id = models.CharField(_("tax id"), max_length=40, blank=True, db_index=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    territory = models.ForeignKey(
        Territory,
        verbose_name=_("territory"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="accounts",
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="+")
    description = models.TextField(_("description"), blank=True)

    visibility_territory_path = "territory"
    visibility_account_path = "pk"
    search_fields = ("name", "email", "phone", "city")

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-updated_at", "-id"]),
            models.Index(fields=["organisation", "-updated_at", "-id"]),
            models.Index(fields=["territory", "-updated_at", "-id"]),
            models.Index(fields=["-updated_at", "-id"]),
            models.Index(fields=["name"]),
            # Duplicate checks of imports look names up case-insensitively, and e-mails
            # and phones as stored (normalised).
            models.Index(Lower("name"), name="customers_account_name_lower"),
            models.Index(fields=["email"], name="customers_account_email"),
            models.Index(fields=["email_alt"], name="customers_account_email_alt"),
            models.Index(fields=["phone"], name="customers_account_phone"),
            models.Index(fields=["phone_alt"], name="customers_account_phone_alt"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return record_url("customers:account-detail", self.pk)


class Contact(BusinessModel):
    """A person at an account; may also be linked to other accounts."""

    class DecisionRole(models.TextChoices):
        DECISION_MAKER = "decision_maker", _("Decision maker")
        ECONOMIC_BUYER = "economic_buyer", _("Economic buyer")
        TECHNICAL_BUYER = "technical_buyer", _("Technical buyer")
        INFLUENCER = "influencer", _("Influencer")
        CHAMPION = "champion", _("Champion")
        USER = "user", _("User")
        GATEKEEPER = "gatekeeper", _("Gatekeeper")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        LEFT = "left", _("Left the company")
        DO_NOT_CONTACT = "do_not_contact", _("Do not contact")

    family_name = models.CharField(_("family name"), max_length=100)
    given_name = models.CharField(_("given name"), max_length=100, blank=True)
    title = models.CharField(_("job title"), max_length=120, blank=True)
    department = models.CharField(_("department"), max_length=120, blank=True)
    reports_to = models.ForeignKey(
        "self",
        verbose_name=_("reports to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
    )
    decision_role = models.CharField(
        _("decision role"), max_length=20, choices=DecisionRole.choices, blank=True
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    mobile = models.CharField(_("mobile"), max_length=32, blank=True)
    email = models.EmailField(_("email"), blank=True)
    email_alt = models.EmailField(_("other email"), blank=True)
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
    )
    other_accounts = models.ManyToManyField(
        Account, verbose_name=_("other accounts"), blank=True, related_name="linked_contacts"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="+")
    notes = models.TextField(_("notes"), blank=True)

    visibility_territory_path = "account__territory"
    visibility_account_path = "account"
    search_fields = ("family_name", "given_name", "email", "phone", "mobile", "account__name")

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-updated_at", "-id"]),
            models.Index(fields=["organisation", "-updated_at", "-id"]),
            models.Index(fields=["account", "-updated_at", "-id"]),
            models.Index(fields=["-updated_at", "-id"]),
            models.Index(fields=["email"]),
            models.Index(fields=["email_alt"]),
            models.Index(fields=["phone"]),
            models.Index(fields=["mobile"]),
            # Duplicate checks of imports look people up by name, case-insensitively.
            models.Index(
                Lower("family_name"), Lower("given_name"), name="customers_contact_person"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return display_name(family=self.family_name, given=self.given_name)

    def get_absolute_url(self) -> str:
        return record_url("customers:contact-detail", self.pk)
