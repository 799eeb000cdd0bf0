"""Pipelines, their ordered stages, opportunities moving through them, and the stage log."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from allyance.core.models import BusinessModel, Tag, Territory
from allyance.core.record_urls import record_url
from allyance.customers.models import Contact, Source
from allyance.sales.models.money import currency_choices, default_currency


class ForecastCategory(models.TextChoices):
    PIPELINE = "pipeline", _("Pipeline")
    BEST_CASE = "best_case", _("Best case")
    COMMIT = "commit", _("Commit")
    CLOSED = "closed", _("Closed")
    OMITTED = "omitted", _("Omitted")


class Pipeline(models.Model):
    """A sales process: its own ordered stages. Central data, maintained by administrators."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    is_default = models.BooleanField(_("default"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveIntegerField(pgettext_lazy("sort position", "order"), default=0)
    description = models.TextField(_("description"), blank=True)

    audited = True

    class Meta:
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class Stage(models.Model):
    """A step of a pipeline with its probability, forecast category, requirements and playbook."""

    class Outcome(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.CASCADE, related_name="stages"
    )
    name = models.CharField(_("name"), max_length=120)
    order = models.PositiveIntegerField(pgettext_lazy("sort position", "order"), default=0)
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"), default=10, validators=[MaxValueValidator(100)]
    )
    forecast_category = models.CharField(
        _("forecast category"),
        max_length=20,
        choices=ForecastCategory.choices,
        default=ForecastCategory.PIPELINE,
    )
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.OPEN
    )
    # Opportunity field names that must have a value before a deal may enter this stage.
    required_fields = models.JSONField(_("required fields"), default=list, blank=True)
    # Activities to have done before entering: [{"kind": "meeting", "subject": "Demo"}, …].
    checklist = models.JSONField(_("checklist"), default=list, blank=True)
    # A deal with no activity for this many days is stalled; empty means never.
    stall_days = models.PositiveIntegerField(_("stalled after (days)"), null=True, blank=True)
    # Sanitised HTML: the team's know-how for deals in this stage.
    playbook = models.TextField(_("playbook"), blank=True)

    audited = True

    class Meta:
        verbose_name = _("sales stage")
        verbose_name_plural = _("sales stages")
        ordering = ["pipeline", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["pipeline", "name"], name="stage_name_unique_in_pipeline"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_won(self) -> bool:
        return self.outcome == self.Outcome.WON

    @property
    def is_lost(self) -> bool:
        return self.outcome == self.Outcome.LOST

    @property
    def is_closed(self) -> bool:
        return self.outcome != self.Outcome.OPEN


class Opportunity(BusinessModel):
    """A deal: what an account may buy, for how much, by when, and where it stands."""

    name = models.CharField(_("name"), max_length=200)
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        null=True,  # kept when the account is deleted; required by the form and the API
        on_delete=models.SET_NULL,
        related_name="opportunities",
    )
    contacts = models.ManyToManyField(
        Contact,
        verbose_name=_("contacts"),
        through="OpportunityContact",
        blank=True,
        related_name="opportunities",
    )
    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.PROTECT, related_name="+"
    )
    stage = models.ForeignKey(
        Stage, verbose_name=_("sales stage"), on_delete=models.PROTECT, related_name="opportunities"
    )
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=Stage.Outcome.choices, default=Stage.Outcome.OPEN
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, default=0)
    currency = models.CharField(
        _("currency"), max_length=3, choices=currency_choices, default=default_currency
    )
    close_date = models.DateField(_("expected close"), null=True, blank=True)
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"), default=10, validators=[MaxValueValidator(100)]
    )
    forecast_category = models.CharField(
        _("forecast category"),
        max_length=20,
        choices=ForecastCategory.choices,
        default=ForecastCategory.PIPELINE,
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, blank=True)
    competitors = models.CharField(_("competitors"), max_length=255, blank=True)
    loss_reason = models.CharField(_("loss reason"), max_length=255, blank=True)
    next_step = models.CharField(_("next step"), max_length=255, blank=True)
    description = models.TextField(_("description"), blank=True)
    territory = models.ForeignKey(
        Territory,
        verbose_name=_("territory"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="+")
    stage_entered_at = models.DateTimeField(_("in stage since"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    last_activity_at = models.DateTimeField(_("last activity"), null=True, blank=True)

    visibility_territory_path = "territory"
    visibility_account_path = "account"
    search_fields = ("name", "account__name", "next_step")

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-updated_at", "-id"]),
            models.Index(fields=["organisation", "-updated_at", "-id"]),
            models.Index(fields=["territory", "-updated_at", "-id"]),
            models.Index(fields=["account", "-updated_at", "-id"]),
            models.Index(fields=["-updated_at", "-id"]),
            models.Index(fields=["pipeline", "stage", "-amount"]),
            models.Index(fields=["outcome", "close_date"]),
            models.Index(fields=["owner", "outcome", "close_date"]),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return record_url("sales:opportunity-detail", self.pk)


class OpportunityContact(models.Model):
    """A contact's part in a deal (decision maker, champion …)."""

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="contact_roles"
    )
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(
        _("role"), max_length=20, choices=Contact.DecisionRole.choices, blank=True
    )

    audited = True

    class Meta:
        verbose_name = _("opportunity contact")
        verbose_name_plural = _("opportunity contacts")
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity", "contact"], name="opportunity_contact_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.contact} ({self.get_role_display()})" if self.role else str(self.contact)


class StageChange(models.Model):
    """One move of a deal between stages; the log that time-in-stage and the funnel read."""

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="stage_changes"
    )
    from_stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="+")
    changed_at = models.DateTimeField(_("changed"), db_index=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Seconds the deal spent in `from_stage`; empty for the first entry.
    seconds_in_from_stage = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["opportunity", "changed_at", "id"]
        indexes = [models.Index(fields=["to_stage", "changed_at"])]

    def __str__(self) -> str:
        return f"{self.from_stage or '—'} → {self.to_stage}"

    @property
    def days_in_from_stage(self) -> float | None:
        if self.seconds_in_from_stage is None:
            return None
        return round(self.seconds_in_from_stage / 86400, 1)
