"""Incentive plans: a rebate on revenue above a threshold, or a spiff per unit of a product.

What each partner earned in a period is computed (`partners.selectors.scorecards`), not stored.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from allyance.sales.models.money import currency_choices, default_currency


class IncentivePlan(models.Model):
    """A rebate (percent of revenue above a threshold) or a spiff (an amount per unit sold)."""

    class Kind(models.TextChoices):
        REBATE = "rebate", _("Rebate")
        SPIFF = "spiff", _("Spiff")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.REBATE)
    currency = models.CharField(
        _("currency"), max_length=3, choices=currency_choices, default=default_currency
    )
    rebate_percent = models.DecimalField(
        _("rebate (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    threshold = models.DecimalField(
        _("revenue above"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    product = models.ForeignKey(
        "catalog.Product",
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    spiff_amount = models.DecimalField(
        _("amount per unit"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    tiers = models.ManyToManyField(
        "partners.Tier",
        verbose_name=_("tiers"),
        blank=True,
        related_name="+",
        help_text=_("Empty: every tier."),
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    audited = True
    centrally_maintained = True

    class Meta:
        verbose_name = _("incentive plan")
        verbose_name_plural = _("incentive plans")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def shared_with(cls, user) -> Q:
        """A partner reads the active plans open to its tier."""
        organisation = getattr(user, "organisation", None)
        if not user.is_partner or organisation is None:
            return Q(pk__in=[])
        tiers = Q(tiers__isnull=True)
        if organisation.tier_id:
            tiers |= Q(tiers=organisation.tier_id)
        return Q(active=True) & Q(pk__in=cls.objects.filter(tiers).values("pk"))
