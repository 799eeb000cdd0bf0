"""Sales alerts: the large-deal threshold, and what was already notified so nobody is told twice."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from allyance.sales.models.money import currency_choices, default_currency
from allyance.sales.models.pipelines import Opportunity, Stage


class AlertSettings(models.Model):
    """The one row of alert settings; `AlertSettings.current()` creates it on first use."""

    large_deal_amount = models.DecimalField(
        _("large deal from"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("1000000"),
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("A deal of at least this amount notifies the sales managers."),
    )
    large_deal_currency = models.CharField(
        _("currency"), max_length=3, choices=currency_choices, default=default_currency
    )
    # When the next daily stalled-deal scan is queued for (see sales.tasks.alerts): a run
    # queued for another time belongs to a superseded chain and does not reschedule.
    stalled_scan_next_at = models.DateTimeField(
        _("next stalled-deal scan"), null=True, blank=True, editable=False
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    audited = True

    class Meta:
        verbose_name = _("alert settings")
        verbose_name_plural = _("alert settings")

    def __str__(self) -> str:
        return f"{self.large_deal_amount} {self.large_deal_currency}"

    @classmethod
    def current(cls) -> AlertSettings:
        row = cls.objects.order_by("pk").first()
        if row is None:
            row, _created = cls.objects.get_or_create(pk=1)
        return row


class LargeDealAlert(models.Model):
    """The size a deal was last alerted at: it is alerted again only when it grows past that."""

    opportunity = models.OneToOneField(
        Opportunity, on_delete=models.CASCADE, related_name="large_deal_alert"
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    alerted_at = models.DateTimeField(_("alerted"), auto_now=True)

    class Meta:
        verbose_name = _("large-deal alert")
        verbose_name_plural = _("large-deal alerts")

    def __str__(self) -> str:
        return f"{self.opportunity} {self.amount} {self.currency}"


class StalledDealAlert(models.Model):
    """One stall episode the owner was told about: the deal, its stage, and the quiet since when.

    A new activity or a stage move starts a new episode (a different `quiet_since` or stage).
    """

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="stalled_alerts"
    )
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="+")
    quiet_since = models.DateTimeField(_("no activity since"))
    notified_at = models.DateTimeField(_("notified"), auto_now_add=True)

    class Meta:
        verbose_name = _("stalled-deal alert")
        verbose_name_plural = _("stalled-deal alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity", "stage", "quiet_since"], name="stalled_alert_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.opportunity} ({self.stage})"
