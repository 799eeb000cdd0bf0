"""Writes of training and content: courses and their quiz, certifications, the content
library, announcements, quiz attempts and the certifications they award.

Courses, certifications, content and announcements are the company's: administrators,
channel managers and marketing write them, partners never (`ensure_training_writer`).
A passed quiz awards every active certification of its course to the person who took it;
an award that has not expired yet is renewed rather than duplicated.
"""

from __future__ import annotations

import calendar
import datetime
import os
import uuid
from collections.abc import Iterable, Mapping

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from allyance.core import audit
from allyance.core.attachments import SNIFF_BYTES, display_name, file_kind_problem
from allyance.core.models import Organisation, Role, User
from allyance.partners.models import (
    Announcement,
    Certification,
    CertificationAward,
    ContentItem,
    Course,
    CourseAttempt,
    ProgrammeSettings,
    QuizQuestion,
    Tier,
)

TRAINING_WRITER_ROLES = frozenset({Role.ADMIN, Role.CHANNEL_MANAGER, Role.MARKETING})


def may_manage_training(user: User | None) -> bool:
    """Administrators, channel managers and marketing maintain courses, content and news."""
    return bool(
        user is not None
        and user.is_authenticated
        and (user.is_superuser or user.role in TRAINING_WRITER_ROLES)
    )


def ensure_training_writer(by: User | None) -> None:
    if by is not None and not may_manage_training(by):
        raise PermissionDenied(
            _("Only administrators, channel managers and marketing change training and content.")
        )


def add_months(day: datetime.date, months: int) -> datetime.date:
    """`day` plus calendar months; the end of a shorter month stands in (31 Jan + 1 → 28/29 Feb)."""
    try:
        from dateutil.relativedelta import relativedelta
    except ImportError:  # pragma: no cover - dateutil comes with the storage and calendar libraries
        index = day.month - 1 + months
        year, month = day.year + index // 12, index % 12 + 1
        return day.replace(
            year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
        )
    return day + relativedelta(months=months)


def _saved(instance, *, by: User | None, exclude: Iterable[str] = ()):
    instance.full_clean(exclude=list(exclude))
    with audit.acting_as(by), transaction.atomic():
        instance.save()
    return instance


def _delete(instance, *, by: User | None, in_use: str) -> None:
    try:
        with audit.acting_as(by), transaction.atomic():
            instance.delete()
    except ProtectedError as exc:
        raise ValidationError(in_use) from exc


# --- Courses and their quiz ----------------------------------------------------------------


def question_clean(question: QuizQuestion) -> None:
    """A question has at least two non-empty choices and its correct choice is one of them."""
    choices = question.choices
    if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
        raise ValidationError({"choices": _("Give the choices as a list of texts.")})
    question.choices = [choice.strip() for choice in choices]
    if len(question.choices) < 2 or not all(question.choices):
        raise ValidationError({"choices": _("Give at least two choices, none of them empty.")})
    if len(question.choices) > 10:
        raise ValidationError({"choices": _("Give at most ten choices.")})
    if question.correct_choice is None or not 0 <= question.correct_choice < len(choices):
        raise ValidationError(
            {"correct_choice": _("The correct choice must be one of the choices.")}
        )


def course_save(
    *, course: Course, by: User | None, questions: list[QuizQuestion] | None = None
) -> Course:
    """Create or change a course; with `questions`, its quiz becomes exactly those questions
    (saved ones are updated, new ones added, the ones left out removed)."""
    ensure_training_writer(by)
    course.title = (course.title or "").strip()
    course.full_clean()
    if questions is not None:
        for position, question in enumerate(questions, start=1):
            question.position = position
            question_clean(question)
            if question.pk is not None and question.course_id not in (None, course.pk):
                raise ValidationError({"questions": _("A question belongs to another course.")})
    with audit.acting_as(by), transaction.atomic():
        course.save()
        if questions is not None:
            kept = [q.pk for q in questions if q.pk is not None]
            for gone in course.questions.exclude(pk__in=kept):
                gone.delete()
            for question in questions:
                question.course = course
                question.full_clean()
                question.save()
    return course


def course_delete(*, course: Course, by: User | None) -> None:
    """Delete a course nobody took yet; a course with attempts is deactivated instead."""
    ensure_training_writer(by)
    if course.attempts.exists():
        raise ValidationError(
            _("People have taken this course; deactivate it instead of deleting it.")
        )
    _delete(course, by=by, in_use=_("This course is still in use; deactivate it instead."))


def question_save(*, question: QuizQuestion, by: User | None) -> QuizQuestion:
    """Add or change one question of a course's quiz."""
    ensure_training_writer(by)
    question_clean(question)
    if question.pk is None and not question.position:
        last = question.course.questions.order_by("-position").first()
        question.position = (last.position if last else 0) + 1
    return _saved(question, by=by)


def question_delete(*, question: QuizQuestion, by: User | None) -> None:
    ensure_training_writer(by)
    _delete(question, by=by, in_use=_("This question is still in use."))


# --- Certifications ----------------------------------------------------------------------


def certification_save(
    *,
    certification: Certification,
    by: User | None,
    required_by_tiers: Iterable[Tier] | None = None,
) -> Certification:
    """Create or change a certification; with `required_by_tiers`, exactly those tiers
    require it."""
    ensure_training_writer(by)
    certification.name = (certification.name or "").strip()
    clash = Certification.objects.filter(name__iexact=certification.name).exclude(
        pk=certification.pk
    )
    if certification.name and clash.exists():
        raise ValidationError({"name": _("Another certification already has this name.")})
    with audit.acting_as(by), transaction.atomic():
        _saved(certification, by=by)
        if required_by_tiers is not None:
            certification.required_by_tiers.set(required_by_tiers)
    return certification


def certification_delete(*, certification: Certification, by: User | None) -> None:
    """Delete a certification nobody was awarded; an awarded one is deactivated instead."""
    ensure_training_writer(by)
    if certification.awards.exists():
        raise ValidationError(
            _("This certification has been awarded; deactivate it instead of deleting it.")
        )
    _delete(certification, by=by, in_use=_("This certification is still in use."))


# --- Taking a course ---------------------------------------------------------------------


def _answers_clean(course: Course, answers: Mapping, questions: list[QuizQuestion]) -> dict:
    """`{question id: choice index}` with ids and indexes checked; keys become strings."""
    if not isinstance(answers, Mapping):
        raise ValidationError({"answers": _("Give the answers as question id → choice number.")})
    by_id = {str(q.pk): q for q in questions}
    cleaned = {}
    for key, value in answers.items():
        question = by_id.get(str(key))
        if question is None:
            raise ValidationError({"answers": _("An answer names a question of another quiz.")})
        if value is None or value == "":
            continue
        try:
            choice = int(value)
        except (TypeError, ValueError):
            choice = -1
        if isinstance(value, bool) or not 0 <= choice < len(question.choices):
            raise ValidationError({"answers": _("An answer is not one of the question's choices.")})
        cleaned[str(question.pk)] = choice
    return cleaned


def course_attempt_submit(*, course: Course, answers: Mapping, by: User) -> CourseAttempt:
    """Score a quiz: correct answers over questions, in whole percent (rounded down, so the
    score shown passes exactly when the answers do). Passing awards every active
    certification of the course to `by` (see `certification_award`)."""
    if by is None or not (by.is_partner or by.is_internal):
        raise PermissionDenied(_("Only partners and staff take courses."))
    if by.is_partner and by.organisation_id is None:
        raise PermissionDenied(_("Your user belongs to no partner organisation."))
    if not course.active:
        raise ValidationError(_("This course is no longer offered."))
    questions = list(course.questions.all())
    if not questions:
        raise ValidationError(_("This course has no quiz yet."))
    cleaned = _answers_clean(course, answers, questions)
    correct = sum(1 for q in questions if cleaned.get(str(q.pk)) == q.correct_choice)
    score = correct * 100 // len(questions)
    attempt = CourseAttempt(
        course=course,
        answers=cleaned,
        score_percent=score,
        passed=score >= course.pass_mark_percent,
        owner=by,
        organisation_id=by.organisation_id or Organisation.company().pk,
    )
    with audit.acting_as(by), transaction.atomic():
        attempt.save()
        if attempt.passed:
            today = timezone.localdate()
            for certification in course.certifications.filter(active=True):
                certification_award(
                    certification=certification, holder=by, attempt=attempt, on=today
                )
    return attempt


def certification_award(
    *,
    certification: Certification,
    holder: User,
    on: datetime.date,
    attempt: CourseAttempt | None = None,
) -> CertificationAward:
    """Award `certification` to `holder` on `on`, valid for its calendar months.

    An award of the same certification that has not expired by `on` is renewed: it is dated
    `on` and runs to the later of its expiry and the new one, and may be warned about again.
    """
    expires_on = add_months(on, certification.valid_months)
    with transaction.atomic():
        # Lock the holder, so two passes at once cannot both create an award.
        list(User.objects.select_for_update().filter(pk=holder.pk).values_list("pk"))
        current = (
            CertificationAward.objects.select_for_update()
            .filter(certification=certification, holder=holder, expires_on__gte=on)
            .order_by("-expires_on", "-id")
            .first()
        )
        organisation_id = holder.organisation_id or Organisation.company().pk
        if current is None:
            return CertificationAward.objects.create(
                certification=certification,
                holder=holder,
                owner=holder,
                organisation_id=organisation_id,
                awarded_on=on,
                expires_on=expires_on,
                attempt=attempt,
            )
        current.awarded_on = on
        current.expires_on = max(current.expires_on, expires_on)
        current.attempt = attempt or current.attempt
        current.organisation_id = organisation_id
        current.warned_at = None
        current.version += 1
        current.save()
        return current


def warn_expiring_certifications(*, today: datetime.date | None = None) -> int:
    """Tell each holder (and their partner's channel manager) once that a certification
    expires within the programme's warning days; returns how many awards were warned about.

    Meant for the daily `partner_warnings` command; running it again warns nobody twice.
    """
    from allyance.core.notifications import in_language_of, notification_send

    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(
        days=ProgrammeSettings.current().certification_warning_days
    )
    count = 0
    with transaction.atomic():
        awards = (
            CertificationAward.objects.select_for_update(of=("self",))
            .filter(warned_at__isnull=True, expires_on__gte=today, expires_on__lte=horizon)
            .select_related("certification", "holder", "organisation__channel_manager")
        )
        url = reverse("partners:certification-list")
        for award in awards:
            recipients = [award.holder]
            manager = award.organisation.channel_manager
            if manager is not None and manager.is_active and manager != award.holder:
                recipients.append(manager)
            for recipient in recipients:
                if not recipient.is_active:
                    continue
                with in_language_of(recipient):
                    message = _(
                        "The certification %(certification)s of %(holder)s expires on "
                        "%(date)s. Retake the course to renew it."
                    ) % {
                        "certification": award.certification.name,
                        "holder": award.holder,
                        "date": award.expires_on.isoformat(),
                    }
                notification_send(
                    recipient=recipient,
                    message=message,
                    url=url,
                    kind="certification_expiring",
                    email=True,
                )
            award.warned_at = timezone.now()
            award.save(update_fields=["warned_at", "updated_at"])
            count += 1
    return count


# --- The content library -----------------------------------------------------------------


def content_file_check(upload) -> None:
    """A library file is an allowed type whose content matches its name, within the size limit."""
    size = getattr(upload, "size", 0) or 0
    if size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    if size > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            {
                "file": _("The file is too large (%(size)s); the limit is %(limit)s.")
                % {
                    "size": filesizeformat(size),
                    "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES),
                }
            }
        )
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    _kind, problem = file_kind_problem(display_name(upload.name), head)
    if problem is not None:
        raise ValidationError({"file": problem})


def _partner_types_clean(types) -> list[str]:
    if not isinstance(types, list):
        raise ValidationError({"partner_types": _("Give the partner types as a list.")})
    valid = set(Organisation.PartnerType.values)
    unknown = [t for t in types if t not in valid]
    if unknown:
        raise ValidationError(
            {
                "partner_types": _("Unknown partner type: %(types)s.")
                % {"types": ", ".join(map(str, unknown))}
            }
        )
    return sorted(set(types), key=Organisation.PartnerType.values.index)


def content_item_save(
    *, item: ContentItem, by: User | None, tiers: Iterable[Tier] | None = None
) -> ContentItem:
    """Create or change a library item; a new file is checked and stored under a random name
    (the old one is removed once the change is committed). With `tiers`, exactly those
    tiers see it (none: every tier)."""
    ensure_training_writer(by)
    item.title = (item.title or "").strip()
    item.partner_types = _partner_types_clean(item.partner_types)
    old_name = None
    if item.pk is not None:
        old_name = ContentItem.objects.filter(pk=item.pk).values_list("file", flat=True).first()
    upload = item.file
    new_file = bool(upload) and not getattr(upload, "_committed", True)
    if new_file:
        content_file_check(upload.file)
    item.full_clean(exclude=["file"] if new_file else None)
    if new_file:
        name = display_name(upload.name)
        extension = os.path.splitext(name)[1].lower()
        item.file.save(f"{uuid.uuid4().hex}{extension}", upload.file, save=False)
    storage = ContentItem._meta.get_field("file").storage
    try:
        with audit.acting_as(by), transaction.atomic():
            item.save()
            if tiers is not None:
                item.tiers.set(tiers)
            if old_name and old_name != item.file.name:
                transaction.on_commit(lambda: storage.delete(old_name))
    except BaseException:
        if new_file:
            storage.delete(item.file.name)
        raise
    return item


def content_item_delete(*, item: ContentItem, by: User | None) -> None:
    """Delete a library item and, once that is committed, its file."""
    ensure_training_writer(by)
    storage, name = item.file.storage, item.file.name
    with audit.acting_as(by), transaction.atomic():
        item.delete()
        if name:
            transaction.on_commit(lambda: storage.delete(name))


# --- Announcements -----------------------------------------------------------------------


def announcement_save(
    *, announcement: Announcement, by: User | None, tiers: Iterable[Tier] | None = None
) -> Announcement:
    """Create or change an announcement; it cannot end before it starts."""
    ensure_training_writer(by)
    announcement.title = (announcement.title or "").strip()
    announcement.partner_types = _partner_types_clean(announcement.partner_types)
    start, end = announcement.publish_from, announcement.publish_until
    if start and end and end < start:
        raise ValidationError({"publish_until": _("The announcement cannot end before it starts.")})
    with audit.acting_as(by), transaction.atomic():
        _saved(announcement, by=by)
        if tiers is not None:
            announcement.tiers.set(tiers)
    return announcement


def announcement_delete(*, announcement: Announcement, by: User | None) -> None:
    ensure_training_writer(by)
    _delete(announcement, by=by, in_use=_("This announcement is still in use."))
