"""Reads of training and content, through the visibility gate.

Staff read every course, certification, library item and announcement; a partner reads
the active courses and certifications, and the library items and announcements meant for
its tier and partner type (`_for_partner` in the models). Attempts and awards belong to
the organisation of the person who took the course.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from allyance.core.models import Organisation, Role, User
from allyance.core.visibility import visible_to
from allyance.partners.models import (
    Announcement,
    Certification,
    CertificationAward,
    ContentItem,
    Course,
    CourseAttempt,
    QuizQuestion,
)


def courses_visible_to(user: User) -> QuerySet[Course]:
    """Courses `user` may read (partners: the active ones), with their quiz questions."""
    return visible_to(user, Course.objects.all()).prefetch_related(
        Prefetch("questions", queryset=QuizQuestion.objects.order_by("position", "id")),
        Prefetch(
            "certifications",
            queryset=visible_to(user, Certification.objects.all()).order_by("name"),
        ),
    )


def certifications_visible_to(user: User) -> QuerySet[Certification]:
    return visible_to(user, Certification.objects.select_related("course")).prefetch_related(
        "required_by_tiers"
    )


def course_attempts_visible_to(user: User) -> QuerySet[CourseAttempt]:
    """Quiz attempts through the gate; a partner user reads only their own, a partner admin
    those of the organisation."""
    attempts = visible_to(user, CourseAttempt.objects.select_related("course", "owner"))
    if user.is_partner and user.role != Role.PARTNER_ADMIN:
        attempts = attempts.filter(owner=user)
    return attempts


def certification_awards_visible_to(user: User) -> QuerySet[CertificationAward]:
    return visible_to(
        user,
        CertificationAward.objects.select_related("certification", "holder", "organisation"),
    )


def certification_awards_expiring(
    user: User, *, within_days: int, today: datetime.date | None = None
) -> QuerySet[CertificationAward]:
    """Unexpired awards `user` may see that expire within `within_days` days."""
    today = today or timezone.localdate()
    return certification_awards_visible_to(user).filter(
        expires_on__gte=today, expires_on__lte=today + datetime.timedelta(days=within_days)
    )


def content_items_visible_to(user: User) -> QuerySet[ContentItem]:
    return visible_to(user, ContentItem.objects.all()).prefetch_related("tiers")


def announcements_visible_to(user: User, *, today: datetime.date | None = None):
    """Announcements `user` may read; partners only those already published."""
    announcements = visible_to(user, Announcement.objects.all()).prefetch_related("tiers")
    if not user.is_internal:
        announcements = announcements.filter(publish_from__lte=today or timezone.localdate())
    return announcements


def announcements_current(user: User, *, today: datetime.date | None = None):
    """The announcements shown to `user` today (for the portal home), newest first."""
    today = today or timezone.localdate()
    return (
        announcements_visible_to(user, today=today)
        .filter(
            Q(publish_until__isnull=True) | Q(publish_until__gte=today), publish_from__lte=today
        )
        .order_by("-publish_from", "-id")
    )


def tier_certification_gaps(
    organisation: Organisation, *, today: datetime.date | None = None
) -> QuerySet[Certification]:
    """Active certifications the organisation's tier requires that none of its users holds
    unexpired today."""
    if organisation is None or organisation.tier_id is None:
        return Certification.objects.none()
    today = today or timezone.localdate()
    held = CertificationAward.objects.filter(
        holder__organisation=organisation, expires_on__gte=today
    ).values("certification_id")
    return (
        Certification.objects.filter(required_by_tiers=organisation.tier_id, active=True)
        .exclude(pk__in=held)
        .order_by("name")
    )


@dataclass(frozen=True)
class CourseStatus:
    """Where `user` stands with a course: passed (when), and until when it certifies them."""

    passed_on: datetime.date | None
    best_score: int | None
    expires_on: datetime.date | None

    @property
    def expired(self) -> bool:
        return self.expires_on is not None and self.expires_on < timezone.localdate()


def course_statuses_for(user: User, courses: list[Course]) -> dict[int, CourseStatus]:
    """`{course id: CourseStatus}` of the user's own attempts and awards."""
    ids = [course.pk for course in courses]
    best: dict[int, int] = {}
    passed: dict[int, datetime.date] = {}
    for course_id, score, ok, created in CourseAttempt.objects.filter(
        owner=user, course_id__in=ids
    ).values_list("course_id", "score_percent", "passed", "created_at"):
        best[course_id] = max(best.get(course_id, 0), score)
        if ok:
            day = timezone.localtime(created).date()
            passed[course_id] = max(passed.get(course_id, day), day)
    expiry: dict[int, datetime.date] = {}
    for course_id, expires_on in CertificationAward.objects.filter(
        holder=user, certification__course_id__in=ids
    ).values_list("certification__course_id", "expires_on"):
        expiry[course_id] = max(expiry.get(course_id, expires_on), expires_on)
    return {
        course_id: CourseStatus(passed.get(course_id), best.get(course_id), expiry.get(course_id))
        for course_id in ids
    }


def course_search_document(course: Course) -> list[str]:
    return [course.title, course.summary]


def content_item_search_document(item: ContentItem) -> list[str]:
    return [item.title, item.description, str(item.get_kind_display())]
