"""Web pages of training and content: courses and their quiz, results, certifications, the
content library with gated downloads, and announcements.

Everyone reads through the selectors (the gate); administrators, channel managers and
marketing maintain the records (the services check it too); partners take the quizzes.
"""

from __future__ import annotations

import os
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from allyance.core.attachments import ALLOWED_KINDS, display_name
from allyance.core.forms import form_errors_from
from allyance.core.search import search_queryset
from allyance.core.visibility import get_visible_or_404
from allyance.partners.forms.training import (
    AnnouncementForm,
    AwardFilterForm,
    CertificationForm,
    ContentFilterForm,
    ContentItemForm,
    CourseForm,
    QuestionForm,
    QuestionFormSet,
    QuizForm,
)
from allyance.partners.models import (
    Announcement,
    Certification,
    CertificationAward,
    ContentItem,
    Course,
    QuizQuestion,
)
from allyance.partners.selectors import training as selectors
from allyance.partners.services import training as services

PER_PAGE = 50


def training_writer_required(view):
    """Administrators, channel managers and marketing; everyone else gets 403."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not services.may_manage_training(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _form_page(request, *, form, save, title, cancel_url, delete_url=None, done_url=None):
    """Validate, call the service, show its errors beside the fields, nothing lost."""
    if request.method == "POST" and form.is_valid():
        try:
            record = save(form.save(commit=False), form.cleaned_data)
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(done_url(record) if done_url else cancel_url)
    return render(
        request,
        "partners/training_form.html",
        {"form": form, "title": title, "cancel_url": cancel_url, "delete_url": delete_url},
    )


def _delete(request, *, delete, success: str, back: str, failed: str | None = None):
    try:
        delete()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(failed or back)
    messages.success(request, success)
    return redirect(back)


def _without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


# --- Courses --------------------------------------------------------------------------


@login_required
def course_list(request: HttpRequest) -> HttpResponse:
    """Partners: the active courses and where they stand; staff: every course, to manage."""
    courses = list(selectors.courses_visible_to(request.user).order_by("title", "id"))
    statuses = selectors.course_statuses_for(request.user, courses)
    return render(
        request,
        "partners/training_course_list.html",
        {
            "rows": [(course, statuses[course.pk]) for course in courses],
            "may_manage": services.may_manage_training(request.user),
            "today": timezone.localdate(),
        },
    )


def _course_or_404(request: HttpRequest, pk: int) -> Course:
    return get_visible_or_404(request.user, selectors.courses_visible_to(request.user), pk=pk)


@login_required
def course_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The materials and the quiz; a posted quiz is scored and its result shown."""
    course = _course_or_404(request, pk)
    questions = list(course.questions.all())
    may_take = (
        course.active and bool(questions) and (request.user.is_partner or request.user.is_internal)
    )
    form = QuizForm(request.POST or None, questions=questions)
    if request.method == "POST":
        if not may_take:
            raise PermissionDenied
        if form.is_valid():
            try:
                attempt = services.course_attempt_submit(
                    course=course, answers=form.answers(), by=request.user
                )
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                return redirect("partners:course-attempt-detail", pk=attempt.pk)
    may_manage = services.may_manage_training(request.user)
    status = selectors.course_statuses_for(request.user, [course])[course.pk]
    return render(
        request,
        "partners/training_course_detail.html",
        {
            "record": course,
            "form": form,
            "may_take": may_take,
            "may_manage": may_manage,
            "status": status,
            # The right answers are for the people who write the quiz, not for those taking it.
            "questions": questions if may_manage else [],
        },
    )


@login_required
def course_attempt_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The result of one attempt: score, pass or fail, and the certifications it earned."""
    attempt = get_visible_or_404(
        request.user, selectors.course_attempts_visible_to(request.user), pk=pk
    )
    awards = CertificationAward.objects.filter(attempt=attempt).select_related("certification")
    return render(
        request,
        "partners/training_attempt_detail.html",
        {"attempt": attempt, "course": attempt.course, "awards": awards},
    )


def _question_forms(request: HttpRequest, course: Course):
    initial = [QuestionForm.initial_for(q) for q in course.questions.all()] if course.pk else []
    return QuestionFormSet(request.POST or None, initial=initial, prefix="questions")


def _course_page(request: HttpRequest, course: Course, title: str) -> HttpResponse:
    form = CourseForm(request.POST or None, instance=course)
    formset = _question_forms(request, course)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        existing = {q.pk: q for q in course.questions.all()} if course.pk else {}
        questions = []
        for item in formset.cleaned_data:
            if not item or item.get("DELETE"):
                continue
            question = existing.get(item.get("id")) or QuizQuestion()
            question.text = item["text"]
            question.choices = item["choices"]
            question.correct_choice = item["correct_number"] - 1
            questions.append(question)
        try:
            record = services.course_save(
                course=form.save(commit=False), questions=questions, by=request.user
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(record.get_absolute_url())
    return render(
        request,
        "partners/training_course_form.html",
        {
            "form": form,
            "formset": formset,
            "title": title,
            "record": course,
            "cancel_url": course.get_absolute_url()
            if course.pk
            else reverse("partners:course-list"),
        },
    )


@training_writer_required
def course_create(request: HttpRequest) -> HttpResponse:
    return _course_page(request, Course(), _("New course"))


@training_writer_required
def course_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _course_page(request, _course_or_404(request, pk), _("Edit course"))


@training_writer_required
@require_POST
def course_delete(request: HttpRequest, pk: int) -> HttpResponse:
    course = _course_or_404(request, pk)
    return _delete(
        request,
        delete=lambda: services.course_delete(course=course, by=request.user),
        success=_("Course deleted."),
        back=reverse("partners:course-list"),
        failed=course.get_absolute_url(),
    )


# --- Certifications -------------------------------------------------------------------


@login_required
def certification_list(request: HttpRequest) -> HttpResponse:
    """Who holds which certification until when (staff: every award they may see, partners:
    their organisation's); staff also maintain the certifications themselves."""
    user = request.user
    filters = AwardFilterForm(request.GET or None)
    filters.fields["certification"].queryset = selectors.certifications_visible_to(user).order_by(
        "name"
    )
    awards = selectors.certification_awards_visible_to(user).order_by("expires_on", "id")
    today = timezone.localdate()
    if filters.is_valid():
        days = filters.cleaned_data.get("expiring")
        if days == -1:
            awards = awards.filter(expires_on__lt=today)
        elif days:
            awards = selectors.certification_awards_expiring(
                user, within_days=days, today=today
            ).order_by("expires_on", "id")
        if filters.cleaned_data.get("certification"):
            awards = awards.filter(certification=filters.cleaned_data["certification"])
    page = Paginator(awards, PER_PAGE).get_page(request.GET.get("page"))
    may_manage = services.may_manage_training(user)
    return render(
        request,
        "partners/training_certification_list.html",
        {
            "page": page,
            "filters": filters,
            "today": today,
            "may_manage": may_manage,
            "certifications": selectors.certifications_visible_to(user).order_by("name")
            if user.is_internal
            else [],
            "gaps": selectors.tier_certification_gaps(user.organisation, today=today)
            if user.is_partner
            else [],
            "query_string": _without_page(request),
        },
    )


def _certification_page(request, certification: Certification, title: str, delete_url=None):
    form = CertificationForm(request.POST or None, instance=certification)
    form.fields["course"].queryset = selectors.courses_visible_to(request.user).order_by("title")
    return _form_page(
        request,
        form=form,
        save=lambda record, data: services.certification_save(
            certification=record, by=request.user, required_by_tiers=data["required_by_tiers"]
        ),
        title=title,
        cancel_url=reverse("partners:certification-list"),
        delete_url=delete_url,
    )


def _certification_or_404(request, pk: int) -> Certification:
    return get_visible_or_404(
        request.user, selectors.certifications_visible_to(request.user), pk=pk
    )


@training_writer_required
def certification_create(request: HttpRequest) -> HttpResponse:
    return _certification_page(request, Certification(), _("New certification"))


@training_writer_required
def certification_edit(request: HttpRequest, pk: int) -> HttpResponse:
    certification = _certification_or_404(request, pk)
    return _certification_page(
        request,
        certification,
        _("Edit certification"),
        delete_url=reverse("partners:certification-delete", args=[pk]),
    )


@training_writer_required
@require_POST
def certification_delete(request: HttpRequest, pk: int) -> HttpResponse:
    certification = _certification_or_404(request, pk)
    return _delete(
        request,
        delete=lambda: services.certification_delete(certification=certification, by=request.user),
        success=_("Certification deleted."),
        back=reverse("partners:certification-list"),
    )


# --- The content library --------------------------------------------------------------


@login_required
def content_list(request: HttpRequest) -> HttpResponse:
    """The library the user may read, by kind and search text; files come through
    `content-download`, never from a media URL."""
    items = selectors.content_items_visible_to(request.user).order_by("-updated_at", "-id")
    filters = ContentFilterForm(request.GET or None)
    if filters.is_valid():
        if filters.cleaned_data.get("kind"):
            items = items.filter(kind=filters.cleaned_data["kind"])
        if query := filters.cleaned_data.get("q", "").strip():
            items = search_queryset(items, query)
    page = Paginator(items, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "partners/training_content_list.html",
        {
            "page": page,
            "filters": filters,
            "may_manage": services.may_manage_training(request.user),
            "query_string": _without_page(request),
        },
    )


def _content_or_404(request, pk: int) -> ContentItem:
    return get_visible_or_404(request.user, selectors.content_items_visible_to(request.user), pk=pk)


@login_required
def content_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The item's file, if the gate lets the user read the item; never rendered inline."""
    item = _content_or_404(request, pk)
    if not item.file:
        raise Http404
    extension = os.path.splitext(item.file.name)[1].lower()
    kind = ALLOWED_KINDS.get(extension.lstrip("."))
    try:
        handle = item.file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=display_name(f"{item.title}{extension}"),
        content_type=kind.content_type if kind else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def _content_page(request, item: ContentItem, title: str, delete_url=None):
    form = ContentItemForm(request.POST or None, request.FILES or None, instance=item)
    return _form_page(
        request,
        form=form,
        save=lambda record, data: services.content_item_save(
            item=record, by=request.user, tiers=data["tiers"]
        ),
        title=title,
        cancel_url=reverse("partners:content-list"),
        delete_url=delete_url,
    )


@training_writer_required
def content_create(request: HttpRequest) -> HttpResponse:
    return _content_page(request, ContentItem(), _("New content item"))


@training_writer_required
def content_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _content_page(
        request,
        _content_or_404(request, pk),
        _("Edit content item"),
        delete_url=reverse("partners:content-delete", args=[pk]),
    )


@training_writer_required
@require_POST
def content_delete(request: HttpRequest, pk: int) -> HttpResponse:
    item = _content_or_404(request, pk)
    return _delete(
        request,
        delete=lambda: services.content_item_delete(item=item, by=request.user),
        success=_("Content item deleted."),
        back=reverse("partners:content-list"),
    )


# --- Announcements --------------------------------------------------------------------


@login_required
def announcement_list(request: HttpRequest) -> HttpResponse:
    """Announcements the user may read, newest first; staff see the scheduled ones too."""
    today = timezone.localdate()
    announcements = selectors.announcements_visible_to(request.user, today=today).order_by(
        "-publish_from", "-id"
    )
    page = Paginator(announcements, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "partners/training_announcement_list.html",
        {
            "page": page,
            "today": today,
            "may_manage": services.may_manage_training(request.user),
        },
    )


def _announcement_or_404(request, pk: int) -> Announcement:
    return get_visible_or_404(request.user, selectors.announcements_visible_to(request.user), pk=pk)


def _announcement_page(request, announcement: Announcement, title: str, delete_url=None):
    initial = {} if announcement.pk else {"publish_from": timezone.localdate()}
    form = AnnouncementForm(request.POST or None, instance=announcement, initial=initial)
    return _form_page(
        request,
        form=form,
        save=lambda record, data: services.announcement_save(
            announcement=record, by=request.user, tiers=data["tiers"]
        ),
        title=title,
        cancel_url=reverse("partners:announcement-list"),
        delete_url=delete_url,
    )


@training_writer_required
def announcement_create(request: HttpRequest) -> HttpResponse:
    return _announcement_page(request, Announcement(), _("New announcement"))


@training_writer_required
def announcement_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _announcement_page(
        request,
        _announcement_or_404(request, pk),
        _("Edit announcement"),
        delete_url=reverse("partners:announcement-delete", args=[pk]),
    )


@training_writer_required
@require_POST
def announcement_delete(request: HttpRequest, pk: int) -> HttpResponse:
    announcement = _announcement_or_404(request, pk)
    return _delete(
        request,
        delete=lambda: services.announcement_delete(announcement=announcement, by=request.user),
        success=_("Announcement deleted."),
        back=reverse("partners:announcement-list"),
    )
