"""Sales targets (quotas): an amount and a count per person, team or territory and period."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from allyance.core.models import Team, Territory
from allyance.core.record_urls import record_url
from allyance.sales.models.money import currency_choices, default_currency


class Target(models.Model):
    """A quota for exactly one of user, team or territory, for one month or quarter."""

    class Period(models.TextChoices):
        MONTH = "month", _("Month")
        QUARTER = "quarter", _("Quarter")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sales_targets",
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sales_targets",
    )
    territory = models.ForeignKey(
        Territory,
        verbose_name=_("territory"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sales_targets",
    )
    period = models.CharField(_("period"), max_length=10, choices=Period.choices)
    # First day of the month or quarter.
    period_start = models.DateField(_("period start"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, default=0)
    currency = models.CharField(
        _("currency"), max_length=3, choices=currency_choices, default=default_currency
    )
    count = models.PositiveIntegerField(_("number of deals"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    audited = True

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["-period_start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(user__isnull=False, team__isnull=True, territory__isnull=True)
                    | models.Q(user__isnull=True, team__isnull=False, territory__isnull=True)
                    | models.Q(user__isnull=True, team__isnull=True, territory__isnull=False)
                ),
                name="target_for_exactly_one",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.whom} {self.period_label}"

    def get_absolute_url(self) -> str:
        return record_url("sales:target-edit", self.pk)

    @property
    def whom(self):
        return self.user or self.team or self.territory

    @property
    def period_label(self) -> str:
        if self.period == self.Period.QUARTER:
            return f"{self.period_start.year} Q{(self.period_start.month - 1) // 3 + 1}"
        return f"{self.period_start:%Y-%m}"
