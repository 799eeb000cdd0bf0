"""The partner programme: tiers and their policies, agreements and qualifications, onboarding.

Tiers and onboarding steps are centrally maintained (the company writes them, partners read
them); agreements and checklist items belong to the partner organisation they concern.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from allyance.core.models import BusinessModel
from allyance.core.record_urls import record_url

PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class ProgrammeSettings(models.Model):
    """The programme's rules in one row: lead acceptance time, deal protection, warnings."""

    accept_hours = models.PositiveIntegerField(
        _("hours to accept a lead"),
        default=48,
        validators=[MinValueValidator(1)],
        help_text=_("A distributed lead not accepted within this time returns to the company."),
    )
    protection_days = models.PositiveIntegerField(
        _("deal protection (days)"),
        default=90,
        validators=[MinValueValidator(1)],
        help_text=_("How long an approved deal registration protects the partner."),
    )
    agreement_warning_days = models.PositiveIntegerField(
        _("warn before an agreement ends (days)"), default=30
    )
    certification_warning_days = models.PositiveIntegerField(
        _("warn before a certification expires (days)"), default=30
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("programme settings")
        verbose_name_plural = _("programme settings")

    def __str__(self) -> str:
        return str(_("Programme settings"))

    @classmethod
    def current(cls) -> ProgrammeSettings:
        settings, _created = cls.objects.get_or_create(pk=1)
        return settings


class Tier(models.Model):
    """A level of the partner programme (registered, silver, gold …) and the policy it grants."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    rank = models.PositiveSmallIntegerField(
        _("rank"), default=0, help_text=_("Higher ranks are better tiers.")
    )
    description = models.TextField(_("description"), blank=True)
    price_list = models.ForeignKey(
        "catalog.PriceList",
        verbose_name=_("price list"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tiers",
        help_text=_("Partners of this tier order at this list."),
    )
    extra_discount_percent = models.DecimalField(
        _("extra discount (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=PERCENT,
    )
    mdf_share_percent = models.DecimalField(
        _("MDF share (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=PERCENT,
        help_text=_("Share of the partner's revenue in a period allocated as MDF for the next."),
    )
    lead_priority = models.PositiveSmallIntegerField(
        _("lead priority"), default=0, help_text=_("Higher numbers are offered leads first.")
    )
    required_certifications = models.ManyToManyField(
        "partners.Certification",
        verbose_name=_("required certifications"),
        blank=True,
        related_name="required_by_tiers",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    audited = True
    centrally_maintained = True

    class Meta:
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        ordering = ["-rank", "name"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def shared_with(cls, user) -> Q:
        """The programme is open: every partner reads every tier and its policy."""
        return Q()


class PartnerAgreement(BusinessModel):
    """An agreement or a qualification of one partner, valid between two dates.

    Its documents are attachments; `warned_at` records the expiry warning so it is sent once.
    """

    class Kind(models.TextChoices):
        AGREEMENT = "agreement", _("Agreement")
        QUALIFICATION = "qualification", _("Qualification")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.AGREEMENT)
    name = models.CharField(_("name"), max_length=200)
    reference = models.CharField(_("reference"), max_length=80, blank=True)
    starts_on = models.DateField(_("starts"))
    ends_on = models.DateField(_("ends"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    warned_at = models.DateTimeField(_("expiry warning sent"), null=True, blank=True)

    search_fields = ("name", "reference")
    files_by_company_only = True  # the signed documents: the partner reads, never changes

    class Meta:
        verbose_name = _("partner agreement")
        verbose_name_plural = _("partner agreements")
        ordering = ["ends_on", "name", "id"]
        indexes = [models.Index(fields=["organisation", "ends_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="agreement_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:

        return record_url("partners:agreement-detail", self.pk)


class OnboardingStep(models.Model):
    """One step of the onboarding checklist every new partner goes through."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)

    audited = True
    centrally_maintained = True

    class Meta:
        verbose_name = _("onboarding step")
        verbose_name_plural = _("onboarding steps")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def shared_with(cls, user) -> Q:
        return Q(active=True)


class OnboardingItem(BusinessModel):
    """A checklist step for one partner, done or not yet."""

    custom_fields_fillable = False  # written by the system; no form to fill them in

    step = models.ForeignKey(
        OnboardingStep, verbose_name=_("step"), on_delete=models.CASCADE, related_name="items"
    )
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(
        "core.User",
        verbose_name=_("done by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("onboarding item")
        verbose_name_plural = _("onboarding items")
        ordering = ["step__position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "step"], name="one_item_per_step")
        ]

    def __str__(self) -> str:
        return str(self.step)
