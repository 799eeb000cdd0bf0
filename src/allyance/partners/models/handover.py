"""Orders down the two-tier channel: every hop of an order handed to a partner to fulfil.

The company hands one of its orders to a partner (a distributor, say); the distributor may hand
it on to a reseller directly below it. The order moves to the holder's organisation, so the
gate gives it to the holder, who ships it. Each hop is one `OrderHandover` row: who handed it,
to whom, and how the hop ended (handed back by the holder, or recalled by whoever handed it).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from allyance.core.models import BusinessModel


class OrderHandover(BusinessModel):
    """One hop of an order: handed to `organisation` (the partner that fulfils it) by `owner`,
    from `from_organisation` (empty: the company). Active while the partner holds the order;
    returned or recalled, the order goes back to `from_organisation` and `previous_owner`.

    The gate shows the row to the receiving partner and, through `from_organisation`, to the
    partner that handed it down, so a distributor follows an order it passed to a reseller
    even when that reseller does not share its records.
    """

    custom_fields_fillable = False  # written by the system; no form to fill them in

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        RETURNED = "returned", _("Handed back")
        RECALLED = "recalled", _("Recalled")

    order = models.ForeignKey(
        "orders.Order", verbose_name=_("order"), on_delete=models.CASCADE, related_name="handovers"
    )
    hop = models.PositiveSmallIntegerField(_("hop"), default=1)
    from_organisation = models.ForeignKey(
        "core.Organisation",
        verbose_name=_("handed down by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: the company."),
    )
    previous_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("previous owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    handed_at = models.DateTimeField(_("handed down"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ended by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    # The gate: the order's territory for sales reps, and the handing partner besides the
    # receiving one (see core.visibility).
    visibility_territory_path = "order__account__territory"
    visibility_partner_paths = ("from_organisation",)

    class Meta:
        verbose_name = _("order handover")
        verbose_name_plural = _("order handovers")
        ordering = ["-handed_at", "-id"]
        indexes = [
            models.Index(fields=["organisation", "status", "-handed_at"]),
            models.Index(fields=["from_organisation", "status", "-handed_at"]),
            models.Index(fields=["order", "hop"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(status="active") & Q(from_organisation__isnull=True),
                name="one_active_company_handover_per_order",
            ),
            models.UniqueConstraint(
                fields=["order", "from_organisation"],
                condition=Q(status="active"),
                name="one_active_handover_per_order_and_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order} → {self.organisation}"


__all__ = ["OrderHandover"]
