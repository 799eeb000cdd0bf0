"""Commission plans: how much of their won deals reps earn per month or quarter.

Central data kept by administrators. The statement itself is computed, never
stored: see `sales.services.commissions.commission_statement`.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from allyance.core.record_urls import record_url
from allyance.sales.models.money import currency_choices, default_currency

PERCENT = [MinValueValidator(0), MaxValueValidator(100)]


class CommissionPlan(models.Model):
    """A percentage of the won amount of deals a rep closed in the period.

    The rate is either flat, or set by tiers of attainment of the rep's target for
    the period. Tiered plans pay either *whole amount* (the tier reached sets the
    rate of every deal of the period) or *marginal* (each slice of the period's won
    amount earns the rate of the tier it falls in, like income tax brackets).
    Deals in another currency than the plan's are listed as excluded, never converted.
    """

    class Period(models.TextChoices):
        MONTH = "month", _("Month")
        QUARTER = "quarter", _("Quarter")

    class RateKind(models.TextChoices):
        FLAT = "flat", _("Flat percentage")
        TIERED = "tiered", _("Tiered by attainment")

    class TierMode(models.TextChoices):
        WHOLE = "whole", _("Whole amount at the tier reached")
        MARGINAL = "marginal", _("Each slice at its own tier (marginal)")

    name = models.CharField(_("name"), max_length=120, unique=True)
    currency = models.CharField(
        _("currency"), max_length=3, choices=currency_choices, default=default_currency
    )
    is_active = models.BooleanField(_("active"), default=True)
    period = models.CharField(
        _("period"), max_length=10, choices=Period.choices, default=Period.QUARTER
    )
    rate_kind = models.CharField(
        _("rate"), max_length=10, choices=RateKind.choices, default=RateKind.FLAT
    )
    flat_rate = models.DecimalField(
        _("flat rate (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=PERCENT,
    )
    tier_mode = models.CharField(
        _("tier mode"), max_length=10, choices=TierMode.choices, default=TierMode.WHOLE
    )
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reps"),
        blank=True,
        related_name="commission_plans",
    )
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    audited = True

    class Meta:
        verbose_name = _("commission plan")
        verbose_name_plural = _("commission plans")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return record_url("sales:commission-plan-edit", self.pk)


class CommissionTier(models.Model):
    """From this attainment (in % of target) upwards, until the next tier, pay `rate` %."""

    plan = models.ForeignKey(
        CommissionPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="tiers"
    )
    from_attainment = models.DecimalField(
        _("from attainment (%)"),
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(10000)],
    )
    rate = models.DecimalField(
        pgettext_lazy("commission", "rate (%)"), max_digits=5, decimal_places=2, validators=PERCENT
    )

    audited = True

    class Meta:
        verbose_name = _("commission tier")
        verbose_name_plural = _("commission tiers")
        ordering = ["plan", "from_attainment"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "from_attainment"], name="commission_tier_once_per_start"
            )
        ]

    def __str__(self) -> str:
        return f"≥ {self.from_attainment} %: {self.rate} %"
