"""Lead routing: assignment rules in priority order and the log of who got which lead and why."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from allyance.core.models import Team, Territory


class AssignmentRule(models.Model):
    """Who gets a new lead: the first active rule (lowest priority number) that matches wins.

    Every condition left empty matches any lead; a rule without conditions matches all.
    Central data, maintained by administrators.
    """

    class Action(models.TextChoices):
        USER = "user", _("Assign to a user")
        ROUND_ROBIN = "round_robin", _("Assign to a team, round-robin")
        LEAST_LOADED = "least_loaded", _("Assign to a team, least loaded")
        TERRITORY = "territory", _("Assign to a territory")
        QUEUE = "queue", _("Leave in the queue")

    name = models.CharField(_("name"), max_length=120)
    priority = models.PositiveIntegerField(
        _("priority"), default=100, help_text=_("Rules are tried from the lowest number up.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    include_partner_leads = models.BooleanField(
        _("also route partners' leads"),
        default=False,
        help_text=_("Off: leads registered by partner organisations stay with the partner."),
    )

    # Conditions. Lists match any of their values; text compares without case.
    countries = models.JSONField(_("countries"), default=list, blank=True)
    provinces = models.JSONField(_("provinces/states"), default=list, blank=True)
    cities = models.JSONField(_("cities"), default=list, blank=True)
    size_bands = models.JSONField(_("sizes"), default=list, blank=True)
    industries = models.JSONField(_("industries"), default=list, blank=True)
    sources = models.JSONField(_("sources"), default=list, blank=True)
    score_min = models.IntegerField(_("score at least"), null=True, blank=True)
    score_max = models.IntegerField(_("score at most"), null=True, blank=True)
    # {"key": "value", …}: every custom field named must have that value.
    custom_fields_equal = models.JSONField(_("custom fields equal"), default=dict, blank=True)
    company_contains = models.CharField(_("company contains"), max_length=120, blank=True)
    email_contains = models.CharField(_("e-mail contains"), max_length=120, blank=True)

    # What happens to a lead the rule matches.
    action = models.CharField(
        _("action"), max_length=20, choices=Action.choices, default=Action.USER
    )
    assign_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    assign_team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    assign_territory = models.ForeignKey(
        Territory,
        verbose_name=_("territory"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    audited = True

    class Meta:
        verbose_name = _("assignment rule")
        verbose_name_plural = _("assignment rules")
        ordering = ["priority", "id"]

    def __str__(self) -> str:
        return self.name

    def conditions_display(self) -> list[str]:
        """The rule's conditions in words, one per condition ("City: Shenzhen, Dongguan")."""
        from django_countries import countries

        from allyance.customers.models import Industry, SizeBand, Source

        def labels(values, choices) -> str:
            names = dict(choices)
            return ", ".join(str(names.get(v, v)) for v in values)

        parts = []
        if self.countries:
            parts.append(
                f"{_('Country')}: {', '.join(countries.name(c) or c for c in self.countries)}"
            )
        for label, values in (
            (_("Province/state"), self.provinces),
            (_("City"), self.cities),
        ):
            if values:
                parts.append(f"{label}: {', '.join(values)}")
        for label, values, choices in (
            (_("Size"), self.size_bands, SizeBand.choices),
            (_("Industry"), self.industries, Industry.choices),
            (_("Source"), self.sources, Source.choices),
        ):
            if values:
                parts.append(f"{label}: {labels(values, choices)}")
        if self.score_min is not None or self.score_max is not None:
            low = "" if self.score_min is None else self.score_min
            high = "" if self.score_max is None else self.score_max
            parts.append(f"{_('Score')}: {low}–{high}")
        for key, value in (self.custom_fields_equal or {}).items():
            parts.append(f"{key} = {value}")
        if self.company_contains:
            parts.append(f"{_('Company contains')}: {self.company_contains}")
        if self.email_contains:
            parts.append(f"{_('E-mail contains')}: {self.email_contains}")
        if self.include_partner_leads:
            parts.append(str(_("Partners' leads too")))
        return parts

    def action_display(self) -> str:
        target = {
            self.Action.USER: self.assign_user,
            self.Action.ROUND_ROBIN: self.assign_team,
            self.Action.LEAST_LOADED: self.assign_team,
            self.Action.TERRITORY: self.assign_territory,
        }.get(self.action)
        label = self.get_action_display()
        return f"{label}: {target}" if target is not None else str(label)


class RoundRobinCursor(models.Model):
    """Where a round-robin rule's turn stands: the user id that got the last lead.

    Apart from the rule so that advancing it neither bumps nor audits the rule.
    """

    rule = models.OneToOneField(
        AssignmentRule, primary_key=True, on_delete=models.CASCADE, related_name="cursor"
    )
    last_user_id = models.IntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("round-robin position")
        verbose_name_plural = _("round-robin positions")

    def __str__(self) -> str:
        return f"{self.rule_id}: {self.last_user_id}"


class LeadAssignment(models.Model):
    """One routing decision: which rule gave a lead to whom (or left it in the queue)."""

    class Trigger(models.TextChoices):
        CREATED = "created", _("New lead")
        ON_DEMAND = "on_demand", _("Routed on demand")
        TERRITORY = "territory", _("Territory reassignment")

    lead = models.ForeignKey(
        "sales.Lead", verbose_name=_("lead"), on_delete=models.CASCADE, related_name="assignments"
    )
    rule = models.ForeignKey(
        AssignmentRule,
        verbose_name=_("rule"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assignments",
    )
    # The rule's name at the time, kept when the rule is renamed or deleted.
    rule_name = models.CharField(_("rule"), max_length=120, blank=True)
    assigned_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    territory = models.ForeignKey(
        Territory,
        verbose_name=_("territory"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    queued = models.BooleanField(_("left in queue"), default=False)
    trigger = models.CharField(
        _("trigger"), max_length=20, choices=Trigger.choices, default=Trigger.CREATED
    )
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("lead assignment")
        verbose_name_plural = _("lead assignments")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["lead", "-at"])]

    def __str__(self) -> str:
        return f"{self.lead_id} → {self.assigned_user_id or '-'} ({self.rule_name})"
