"""Lead scoring: the rules administrators set, and the interactions that are not activities."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from allyance.activities.models import Activity
from allyance.core.record_urls import record_url


class ScoringRule(models.Model):
    """One way a lead earns (or loses) points. Central data: staff read, admins write.

    `threshold` means, by kind: activities needed (activity), lowest rating
    (feedback), days per step (decay). `field`/`value` are for field rules.
    """

    class Kind(models.TextChoices):
        FIELD = "field", _("Field value")
        ACTIVITY = "activity", _("Activities logged")
        REPLY = "reply", _("E-mail reply")
        VISIT = "visit", _("Form visit")
        FEEDBACK = "feedback", _("Feedback rating")
        DECAY = "decay", _("Decay")

    class Field(models.TextChoices):
        INDUSTRY = "industry", _("Industry")
        SIZE_BAND = "size_band", _("Size")
        SOURCE = "source", _("Source")
        COUNTRY = "country", _("Country")
        PROVINCE = "province", _("Province/state")
        CITY = "city", _("City")
        CAMPAIGN = "campaign", _("Campaign")
        TITLE = "title", _("Job title")

    class DecayBasis(models.TextChoices):
        AGE = "age", _("Age of the lead")
        INACTIVITY = "inactivity", _("Time without activity")

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    field = models.CharField(_("field"), max_length=20, choices=Field.choices, blank=True)
    value = models.CharField(_("value"), max_length=200, blank=True)
    activity_kind = models.CharField(
        _("activity type"), max_length=10, choices=Activity.Kind.choices, blank=True
    )
    threshold = models.PositiveIntegerField(
        _("threshold"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100000)],
        help_text=_("Activities needed, lowest rating (1–5), or days per decay step, by kind."),
    )
    decay_basis = models.CharField(
        _("decay counts"), max_length=20, choices=DecayBasis.choices, blank=True
    )
    points = models.IntegerField(
        _("points"), validators=[MinValueValidator(-1000), MaxValueValidator(1000)]
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    audited = True

    class Meta:
        verbose_name = _("scoring rule")
        verbose_name_plural = _("scoring rules")
        ordering = ["kind", "name", "id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return record_url("sales:scoring-rule-edit", self.pk)


class LeadEvent(models.Model):
    """Something a lead did outside the activity log: replied, visited a form, rated us."""

    class Kind(models.TextChoices):
        REPLY = "reply", _("E-mail reply")
        VISIT = "visit", _("Form visit")
        FEEDBACK = "feedback", _("Feedback")

    lead = models.ForeignKey(
        "sales.Lead", verbose_name=_("lead"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    rating = models.PositiveSmallIntegerField(
        _("rating"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    detail = models.CharField(_("detail"), max_length=255, blank=True)
    at = models.DateTimeField(_("when"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    audited = True

    class Meta:
        verbose_name = _("lead event")
        verbose_name_plural = _("lead events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["lead", "kind", "-at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.lead_id}"
