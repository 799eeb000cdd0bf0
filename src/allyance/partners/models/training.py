"""Training and content: courses with a quiz, certifications they award, the content library
and announcements on the portal home.

Courses, certifications, content and announcements are centrally maintained; attempts and
awards belong to the partner organisation of the person who took the course.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from allyance.core.models import BusinessModel
from allyance.core.record_urls import record_url


def _for_partner(user) -> Q:
    """Rows meant for the user's tier and partner type; empty lists mean every partner."""
    organisation = getattr(user, "organisation", None)
    if not user.is_partner or organisation is None:
        return Q(pk__in=[])
    condition = Q(tiers__isnull=True)
    if organisation.tier_id:
        condition |= Q(tiers=organisation.tier_id)
    types = Q(partner_types=[])
    if organisation.partner_type:
        # JSON text match: SQLite has no JSON containment lookup.
        types |= Q(partner_types__icontains=f'"{organisation.partner_type}"')
    return condition & types


def partner_type_labels(types: list[str]) -> list[str]:
    """The readable names of stored partner types (unknown codes as they are)."""
    from allyance.core.models import Organisation

    labels = dict(Organisation.PartnerType.choices)
    return [str(labels.get(code, code)) for code in types]


class Course(models.Model):
    """A course partners take: its materials and a short quiz with a pass mark."""

    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), blank=True)
    materials = models.TextField(_("materials"), blank=True)
    pass_mark_percent = models.PositiveSmallIntegerField(
        _("pass mark (%)"), default=80, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    audited = True
    centrally_maintained = True
    search_fields = ("title", "summary")

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return record_url("partners:course-detail", self.pk)

    @classmethod
    def shared_with(cls, user) -> Q:
        return Q(active=True) if user.is_partner else Q(pk__in=[])


class QuizQuestion(models.Model):
    """One multiple-choice question of a course's quiz."""

    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="questions"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    text = models.CharField(_("question"), max_length=500)
    choices = models.JSONField(_("choices"), default=list)
    correct_choice = models.PositiveSmallIntegerField(_("correct choice"))

    audited = True

    class Meta:
        verbose_name = _("quiz question")
        verbose_name_plural = _("quiz questions")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text


class Certification(models.Model):
    """A certification awarded on passing a course, valid for some months."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    course = models.ForeignKey(
        Course,
        verbose_name=_("course"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="certifications",
    )
    valid_months = models.PositiveSmallIntegerField(
        _("valid for (months)"), default=24, validators=[MinValueValidator(1)]
    )
    active = models.BooleanField(_("active"), default=True)

    audited = True
    centrally_maintained = True

    class Meta:
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def shared_with(cls, user) -> Q:
        return Q(active=True) if user.is_partner else Q(pk__in=[])


class CourseAttempt(BusinessModel):
    """One person's answers to a course's quiz and the score they earned."""

    custom_fields_fillable = False  # written by the system; no form to fill them in

    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.PROTECT, related_name="attempts"
    )
    answers = models.JSONField(_("answers"), default=dict)
    score_percent = models.PositiveSmallIntegerField(_("score (%)"), default=0)
    passed = models.BooleanField(_("passed"), default=False)

    class Meta:
        verbose_name = _("course attempt")
        verbose_name_plural = _("course attempts")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.course} ({self.score_percent}%)"


class CertificationAward(BusinessModel):
    """A certification held by a partner's user, valid until it expires."""

    custom_fields_fillable = False  # written by the system; no form to fill them in

    certification = models.ForeignKey(
        Certification,
        verbose_name=_("certification"),
        on_delete=models.PROTECT,
        related_name="awards",
    )
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("holder"),
        on_delete=models.CASCADE,
        related_name="certifications",
    )
    awarded_on = models.DateField(_("awarded"))
    expires_on = models.DateField(_("expires"))
    attempt = models.ForeignKey(
        CourseAttempt,
        verbose_name=_("attempt"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    warned_at = models.DateTimeField(_("expiry warning sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("certification award")
        verbose_name_plural = _("certification awards")
        ordering = ["-expires_on", "id"]
        indexes = [models.Index(fields=["organisation", "expires_on"])]

    def __str__(self) -> str:
        return f"{self.certification} – {self.holder}"


class ContentItem(models.Model):
    """A file or text in the shared content library, for some tiers and partner types."""

    class Kind(models.TextChoices):
        SALES_DECK = "sales_deck", _("Sales deck")
        PRICE_SHEET = "price_sheet", _("Price sheet")
        CAMPAIGN_KIT = "campaign_kit", _("Campaign kit")
        DATASHEET = "datasheet", _("Datasheet")
        OTHER = "other", _("Other")

    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    description = models.TextField(_("description"), blank=True)
    file = models.FileField(_("file"), upload_to="partner-content/%Y/%m/", blank=True)
    tiers = models.ManyToManyField(
        "partners.Tier",
        verbose_name=_("tiers"),
        blank=True,
        related_name="+",
        help_text=_("Empty: every tier."),
    )
    partner_types = models.JSONField(
        _("partner types"), default=list, blank=True, help_text=_("Empty: every type.")
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    audited = True
    centrally_maintained = True
    search_fields = ("title", "description")

    class Meta:
        verbose_name = _("content item")
        verbose_name_plural = _("content library")
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return f"{reverse('partners:content-list')}?{urlencode({'q': self.title})}"

    def partner_type_labels(self) -> list[str]:
        return partner_type_labels(self.partner_types)

    @classmethod
    def shared_with(cls, user) -> Q:
        return Q(active=True) & Q(pk__in=cls.objects.filter(_for_partner(user)).values("pk"))


class Announcement(models.Model):
    """News for partners on the portal home, shown between two dates."""

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    publish_from = models.DateField(_("show from"))
    publish_until = models.DateField(_("show until"), null=True, blank=True)
    tiers = models.ManyToManyField(
        "partners.Tier",
        verbose_name=_("tiers"),
        blank=True,
        related_name="+",
        help_text=_("Empty: every tier."),
    )
    partner_types = models.JSONField(
        _("partner types"), default=list, blank=True, help_text=_("Empty: every type.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    audited = True
    centrally_maintained = True

    class Meta:
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        ordering = ["-publish_from", "-id"]

    def __str__(self) -> str:
        return self.title

    def partner_type_labels(self) -> list[str]:
        return partner_type_labels(self.partner_types)

    @classmethod
    def shared_with(cls, user) -> Q:
        return Q(pk__in=cls.objects.filter(_for_partner(user)).values("pk"))
