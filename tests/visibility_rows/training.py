"""Visibility matrix rows and list pages of the training part (see tests/visibility_rows).

Courses and certifications are central and every partner reads the active ones. Library
items and announcements are central too but meant for some tiers and partner types, so
their rows are made for a tier only the maker's organisation is in.
"""

from __future__ import annotations

from allyance.core.models import Role, User
from tests.visibility_rows import Row, marker


def _own_tier(user: User):
    """A tier only the user's organisation is in (it is moved there)."""
    from allyance.partners.models import Tier

    organisation = user.organisation
    tier, _created = Tier.objects.get_or_create(name=f"Matrix tier {organisation.pk}")
    if organisation.tier_id != tier.pk:
        organisation.tier = tier
        organisation.save(update_fields=["tier"])
    return tier


def _course(user: User):
    from tests.factories import CourseFactory, QuizQuestionFactory

    course = CourseFactory(title=marker())
    QuizQuestionFactory(course=course)
    return course


def _certification(user: User):
    from tests.factories import CertificationFactory

    return CertificationFactory(name=marker())


def _attempt(user: User):
    from allyance.partners.models import CourseAttempt

    return CourseAttempt.objects.create(
        course=_course(user),
        organisation=user.organisation,
        owner=user,
        answers={},
        score_percent=0,
    )


def _award(user: User):
    """An award of a colleague of the user (named by a marker)."""
    from tests.factories import CertificationAwardFactory, UserFactory

    holder = UserFactory(role=Role.PARTNER_USER, organisation=user.organisation, last_name=marker())
    return CertificationAwardFactory(organisation=user.organisation, holder=holder)


def _content_item(user: User):
    from tests.factories import ContentItemFactory

    item = ContentItemFactory(title=marker())
    item.tiers.set([_own_tier(user)])
    return item


def _announcement(user: User):
    from tests.factories import AnnouncementFactory

    announcement = AnnouncementFactory(title=marker())
    announcement.tiers.set([_own_tier(user)])
    return announcement


ROWS: dict[str, Row] = {
    # Every partner reads the active courses (without the right answers) and certifications.
    "courses": Row(
        make=_course,
        shown_as=lambda c: c.title,
        change={"title": "hijacked"},
        central=True,
        shared_with_all=True,
    ),
    "certifications": Row(
        make=_certification,
        shown_as=lambda c: c.name,
        change={"name": "hijacked"},
        central=True,
        shared_with_all=True,
    ),
    # Partners create attempts (submit answers) and read their own; nobody changes one.
    "course-attempts": Row(make=_attempt, change={"score_percent": 100}),
    "certification-awards": Row(
        make=_award, shown_as=lambda a: a.holder.last_name, change={"expires_on": "2099-01-01"}
    ),
    # Meant for the maker's tier alone: the other partner neither lists nor reads it.
    "content-items": Row(
        make=_content_item, shown_as=lambda i: i.title, change={"title": "hijacked"}, central=True
    ),
    "announcements": Row(
        make=_announcement, shown_as=lambda a: a.title, change={"title": "hijacked"}, central=True
    ),
}
# List page URL name → the ROWS key of what it lists.
PAGES: dict[str, str] = {
    "partners:course-list": "courses",
    "partners:certification-list": "certification-awards",
    "partners:content-list": "content-items",
    "partners:announcement-list": "announcements",
}
