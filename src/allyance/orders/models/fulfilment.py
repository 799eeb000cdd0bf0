"""Orders and their shipments: what was bought, and what has left the warehouse."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from allyance.core.record_urls import record_url
from allyance.orders.models.common import LineItem, PricedDocument


class Order(PricedDocument):
    """A sale: from an accepted quote, entered directly, or placed by a partner in the portal.

    A partner's order starts as submitted and becomes confirmed when the company accepts it.
    """

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        CONFIRMED = "confirmed", _("Confirmed")
        PARTLY_SHIPPED = "partly_shipped", _("Partly shipped")
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivered")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    quote = models.ForeignKey(
        "orders.Quote",
        verbose_name=_("quote"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    opportunity = models.ForeignKey(
        "sales.Opportunity",
        verbose_name=_("opportunity"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    price_list = models.ForeignKey(
        "catalog.PriceList",
        verbose_name=_("price list"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.CONFIRMED
    )
    end_customer = models.ForeignKey(
        "customers.Account",
        verbose_name=_("end customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("For a partner's order on behalf of a customer; empty: for stock."),
    )
    order_date = models.DateField(_("order date"))
    requested_delivery = models.DateField(_("requested delivery"), null=True, blank=True)
    customer_reference = models.CharField(_("customer reference"), max_length=100, blank=True)
    shipping_address = models.TextField(_("shipping address"), blank=True)
    terms = models.TextField(_("terms"), blank=True)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=255, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    search_fields = ("number", "customer_reference", "account__name")

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-updated_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["number"], name="unique_order_number")]
        indexes = [
            models.Index(fields=["owner", "-updated_at", "-id"]),
            models.Index(fields=["organisation", "-updated_at", "-id"]),
            models.Index(fields=["account", "-updated_at", "-id"]),
            models.Index(fields=["-updated_at", "-id"]),
            models.Index(fields=["status", "order_date"]),
        ]

    def get_absolute_url(self) -> str:
        return record_url("orders:order-detail", self.pk)


class OrderLine(LineItem):
    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines"
    )

    class Meta(LineItem.Meta):
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")


class Shipment(models.Model):
    """One delivery of some or all of an order's lines."""

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="shipments"
    )
    shipped_on = models.DateField(_("shipped on"))
    carrier = models.CharField(_("carrier"), max_length=120, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=120, blank=True)
    delivered_on = models.DateField(_("delivered on"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    audited = True

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["order", "shipped_on", "id"]

    def __str__(self) -> str:
        return f"{self.order} {self.shipped_on} {self.tracking_number}".strip()

    def get_absolute_url(self) -> str:
        return reverse("orders:order-detail", args=[self.order_id]) + f"#shipment-{self.pk}"


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(
        Shipment, verbose_name=_("shipment"), on_delete=models.CASCADE, related_name="lines"
    )
    order_line = models.ForeignKey(
        OrderLine,
        verbose_name=_("order line"),
        on_delete=models.CASCADE,
        related_name="shipment_lines",
    )
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=12,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001"))],
    )

    class Meta:
        verbose_name = _("shipment line")
        verbose_name_plural = _("shipment lines")
        constraints = [
            models.UniqueConstraint(
                fields=["shipment", "order_line"], name="one_shipment_line_per_order_line"
            )
        ]

    def __str__(self) -> str:
        return f"{self.order_line} × {self.quantity}"
