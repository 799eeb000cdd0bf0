"""Service requests and warranty claims (cases).

Partners open them for their customers today; the full service desk (routing, SLA,
escalation) will build on the same records.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from allyance.core.models import BusinessModel
from allyance.core.record_urls import record_url


class Case(BusinessModel):
    """A service request or a warranty claim about a product a customer bought."""

    class Kind(models.TextChoices):
        SERVICE = "service", _("Service request")
        WARRANTY = "warranty", _("Warranty claim")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        IN_PROGRESS = "in_progress", _("In progress")
        WAITING = "waiting", _("Waiting for the customer")
        RESOLVED = "resolved", _("Resolved")
        REJECTED = "rejected", _("Rejected")
        CLOSED = "closed", _("Closed")

    number = models.CharField(_("number"), max_length=40, editable=False, default="")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.SERVICE)
    subject = models.CharField(_("subject"), max_length=200)
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="cases",
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
    )
    product = models.ForeignKey(
        "catalog.Product",
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    serial_number = models.CharField(_("serial number"), max_length=80, blank=True)
    purchase_date = models.DateField(_("purchase date"), null=True, blank=True)
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
    )
    problem = models.TextField(_("problem"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEW
    )
    # Warranty check, done when a warranty claim is opened: the product's warranty months from
    # the purchase (sale) date. None: not checked (a service request, or nothing to check on).
    warranty_valid = models.BooleanField(_("under warranty"), null=True, blank=True)
    warranty_until = models.DateField(_("warranty until"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    visibility_territory_path = "account__territory"
    visibility_account_path = "account"
    search_fields = ("number", "subject", "serial_number")

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["organisation", "-updated_at", "-id"]),
            models.Index(fields=["status", "-updated_at"]),
            models.Index(fields=["serial_number"]),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}".strip()

    def get_absolute_url(self) -> str:
        return record_url("service:case-detail", self.pk)
