"""Leads: people and companies not yet qualified, before they become account, contact and deal."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from allyance.core.models import BusinessModel, Tag, Territory
from allyance.core.names import display_name
from allyance.core.record_urls import record_url
from allyance.customers.models import Industry, SizeBand, Source
from allyance.sales.models.money import currency_choices, default_currency


class Lead(BusinessModel):
    """A prospect to qualify. Conversion links it to the account, contact and deal it became."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        WORKING = "working", _("Working")
        QUALIFIED = "qualified", _("Qualified")
        CONVERTED = "converted", _("Converted")
        DISQUALIFIED = "disqualified", _("Disqualified")

    family_name = models.CharField(_("family name"), max_length=100)
    given_name = models.CharField(_("given name"), max_length=100, blank=True)
    company = models.CharField(_("company"), max_length=200, blank=True)
    title = models.CharField(_("job title"), max_length=120, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    mobile = models.CharField(_("mobile"), max_length=32, blank=True)
    website = models.URLField(_("website"), blank=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, blank=True)
    # Free text until the marketing module brings campaigns as records.
    campaign = models.CharField(_("campaign"), max_length=200, blank=True)
    country = CountryField(_("country"), blank=True)
    province = models.CharField(_("province/state"), max_length=100, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    industry = models.CharField(_("industry"), max_length=30, choices=Industry.choices, blank=True)
    size_band = models.CharField(_("size"), max_length=10, choices=SizeBand.choices, blank=True)
    budget = models.DecimalField(
        _("budget"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(
        _("currency"), max_length=3, choices=currency_choices, default=default_currency
    )
    notes = models.TextField(_("notes"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEW
    )
    disqualified_reason = models.CharField(_("reason disqualified"), max_length=255, blank=True)
    territory = models.ForeignKey(
        Territory,
        verbose_name=_("territory"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="+")
    score = models.IntegerField(_("score"), default=0)
    # [{"points": 20, "reason": "industry = manufacturing"}, …] as the last scoring gave them.
    score_reasons = models.JSONField(_("score reasons"), default=list, blank=True)
    scored_at = models.DateTimeField(_("scored"), null=True, blank=True)
    # [{"type": "contact", "id": 12, "label": "王伟 <w@x.cn>", "why": "email"}, …] found on entry.
    possible_duplicates = models.JSONField(_("possible duplicates"), default=list, blank=True)
    converted_at = models.DateTimeField(_("converted"), null=True, blank=True)
    converted_account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("converted to account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="source_leads",
    )
    converted_contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("converted to contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="source_leads",
    )
    converted_opportunity = models.ForeignKey(
        "sales.Opportunity",
        verbose_name=_("converted to opportunity"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="source_leads",
    )

    visibility_territory_path = "territory"
    # Derived data: recomputed by the services, and duplicates may name records the reader
    # of the audit trail may not see.
    audit_ignored_fields = ("possible_duplicates", "score", "score_reasons", "scored_at")
    search_fields = ("family_name", "given_name", "company", "email", "phone", "mobile")

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-updated_at", "-id"]),
            models.Index(fields=["organisation", "-updated_at", "-id"]),
            models.Index(fields=["territory", "-updated_at", "-id"]),
            models.Index(fields=["-updated_at", "-id"]),
            models.Index(fields=["-score", "-id"]),
            models.Index(fields=["status", "-score"]),
            models.Index(fields=["email"]),
            models.Index(fields=["phone"]),
            models.Index(fields=["mobile"]),
            # Duplicate check on entry: the company name compared case-insensitively.
            models.Index(Lower("company"), name="sales_lead_company_lower"),
        ]

    def __str__(self) -> str:
        name = self.full_name
        return f"{name} ({self.company})" if self.company else name

    @property
    def full_name(self) -> str:
        return display_name(family=self.family_name, given=self.given_name)

    @property
    def is_open(self) -> bool:
        return self.status not in (self.Status.CONVERTED, self.Status.DISQUALIFIED)

    def get_absolute_url(self) -> str:
        return record_url("sales:lead-detail", self.pk)
