"""Lead distribution: rules that pick a partner for a lead, and every hop a lead makes.

A distributed lead moves to the partner's organisation while it is offered; rejected or
expired, it returns to the company and, when the rule says so, is offered to the next partner.
In a two-tier channel a distributor's administrator offers a lead it holds to a reseller below
it; that lead returns to the distributor. Each offer is one `LeadDistribution` row, so the
whole path of a lead is kept.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from allyance.core.models import BusinessModel, Territory


class DistributionRule(models.Model):
    """Which partners may get a lead, tried by priority; the best-placed eligible partner wins.

    Conditions left empty match every lead or partner. Among eligible partners the choice
    goes by tier lead priority, then acceptance rate, then the fewest open leads.
    """

    name = models.CharField(_("name"), max_length=120)
    priority = models.PositiveIntegerField(
        _("priority"), default=100, help_text=_("Rules are tried from the lowest number up.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Lead conditions.
    territories = models.ManyToManyField(
        Territory, verbose_name=_("territories"), blank=True, related_name="+"
    )
    provinces = models.JSONField(_("provinces/states"), default=list, blank=True)
    industries = models.JSONField(_("industries"), default=list, blank=True)
    # Partner conditions.
    partner_types = models.JSONField(_("partner types"), default=list, blank=True)
    minimum_tier = models.ForeignKey(
        "partners.Tier",
        verbose_name=_("minimum tier"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    required_certification = models.ForeignKey(
        "partners.Certification",
        verbose_name=_("required certification"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    max_open_leads = models.PositiveIntegerField(
        _("at most open leads"),
        null=True,
        blank=True,
        help_text=_("Skip partners already holding this many offered or accepted open leads."),
    )
    min_acceptance_rate = models.DecimalField(
        _("acceptance rate at least (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    partners = models.ManyToManyField(
        "core.Organisation",
        verbose_name=_("only these partners"),
        blank=True,
        related_name="+",
        limit_choices_to={"kind": "partner"},
    )
    pass_on = models.BooleanField(
        _("pass on"),
        default=True,
        help_text=_("When a partner rejects the lead or lets it expire, offer it to the next."),
    )
    max_hops = models.PositiveSmallIntegerField(_("at most offers per lead"), default=3)
    accept_hours = models.PositiveIntegerField(
        _("hours to accept"),
        null=True,
        blank=True,
        help_text=_("Empty: the programme's setting."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    audited = True

    class Meta:
        verbose_name = _("distribution rule")
        verbose_name_plural = _("distribution rules")
        ordering = ["priority", "id"]

    def __str__(self) -> str:
        return self.name


class LeadDistribution(BusinessModel):
    """One offer of a lead to a partner: offered → accepted / rejected / expired / recalled.

    `organisation` is the partner offered the lead; `owner` is the staff member (or nobody, for
    a rule) or the distributor's administrator who offered it and follows its progress;
    `previous_organisation` is where the lead came from (the company, or the distributor) and
    where it returns when the offer ends unanswered, is rejected or recalled.
    """

    custom_fields_fillable = False  # written by the system; no form to fill them in

    class Status(models.TextChoices):
        OFFERED = "offered", _("Offered")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        EXPIRED = "expired", _("Expired")
        RECALLED = "recalled", _("Recalled")

    lead = models.ForeignKey(
        "sales.Lead", verbose_name=_("lead"), on_delete=models.CASCADE, related_name="distributions"
    )
    rule = models.ForeignKey(
        DistributionRule,
        verbose_name=_("rule"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="distributions",
    )
    hop = models.PositiveSmallIntegerField(_("offer number"), default=1)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OFFERED
    )
    offered_at = models.DateTimeField(_("offered"))
    respond_by = models.DateTimeField(_("respond by"))
    responded_at = models.DateTimeField(_("responded"), null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    # Where the lead came from (the company or, in a two-tier channel, the distributor) and who
    # owned it there: it goes back to them when the offer ends unanswered.
    previous_organisation = models.ForeignKey(
        "core.Organisation",
        verbose_name=_("offered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    previous_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("previous owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("lead distribution")
        verbose_name_plural = _("lead distributions")
        ordering = ["-offered_at", "-id"]
        indexes = [
            models.Index(fields=["organisation", "status", "-offered_at"]),
            models.Index(fields=["status", "respond_by"]),
            models.Index(fields=["lead", "hop"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["lead"],
                condition=Q(status="offered"),
                name="one_open_offer_per_lead",
            )
        ]

    def __str__(self) -> str:
        return f"{self.lead} → {self.organisation}"


__all__ = ["DistributionRule", "LeadDistribution"]
