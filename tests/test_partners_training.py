"""Training and content: quizzes scored against the pass mark, certifications awarded for
calendar months and renewed, answers kept from partners, the content library and
announcements by tier, partner type and date, and the certifications a tier still lacks."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from allyance.core.models import Notification, Organisation, Role
from allyance.partners.models import (
    Announcement,
    CertificationAward,
    ContentItem,
    Course,
    CourseAttempt,
    QuizQuestion,
)
from allyance.partners.selectors.training import (
    announcements_current,
    course_attempts_visible_to,
    tier_certification_gaps,
)
from allyance.partners.services.training import (
    add_months,
    announcement_save,
    certification_award,
    content_item_save,
    course_attempt_submit,
    course_save,
    warn_expiring_certifications,
)
from tests.factories import (
    AnnouncementFactory,
    CertificationAwardFactory,
    CertificationFactory,
    ContentItemFactory,
    CourseFactory,
    OrganisationFactory,
    QuizQuestionFactory,
    TierFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 7)


def quiz(*, questions: int, pass_mark: int, **fields) -> Course:
    """A course whose every question has three choices, the first one right."""
    course = CourseFactory(pass_mark_percent=pass_mark, **fields)
    for number in range(questions):
        QuizQuestionFactory(
            course=course, position=number, choices=["Right", "Wrong", "Also wrong"]
        )
    return course


def answers(course: Course, *, right: int) -> dict[str, int]:
    """The first `right` questions answered correctly, the rest wrongly."""
    return {
        str(q.pk): q.correct_choice if i < right else (q.correct_choice + 1) % len(q.choices)
        for i, q in enumerate(course.questions.order_by("position", "id"))
    }


@pytest.fixture
def channel_manager(db):
    return UserFactory(role=Role.CHANNEL_MANAGER)


@pytest.fixture
def gold():
    return TierFactory(name="Gold", rank=3)


@pytest.fixture
def silver():
    return TierFactory(name="Silver", rank=2)


# --- scoring -------------------------------------------------------------------------------


def test_a_score_exactly_at_the_pass_mark_passes_and_one_answer_less_fails(partner_a_user):
    course = quiz(questions=4, pass_mark=75)
    passed = course_attempt_submit(
        course=course, answers=answers(course, right=3), by=partner_a_user
    )
    failed = course_attempt_submit(
        course=course, answers=answers(course, right=2), by=partner_a_user
    )
    assert (passed.score_percent, passed.passed) == (75, True)
    assert (failed.score_percent, failed.passed) == (50, False)
    assert passed.organisation == partner_a_user.organisation
    assert passed.owner == partner_a_user


def test_a_score_just_below_the_pass_mark_is_not_rounded_up_to_pass(partner_a_user):
    course = quiz(questions=3, pass_mark=67)
    attempt = course_attempt_submit(
        course=course, answers=answers(course, right=2), by=partner_a_user
    )
    assert (attempt.score_percent, attempt.passed) == (66, False)


def test_an_unanswered_question_counts_as_wrong(partner_a_user):
    course = quiz(questions=2, pass_mark=100)
    first = course.questions.order_by("position").first()
    attempt = course_attempt_submit(
        course=course, answers={str(first.pk): first.correct_choice}, by=partner_a_user
    )
    assert (attempt.score_percent, attempt.passed) == (50, False)


def test_answers_must_belong_to_the_quiz_and_name_one_of_the_choices(partner_a_user):
    course = quiz(questions=1, pass_mark=50)
    other = quiz(questions=1, pass_mark=50)
    question = course.questions.get()
    with pytest.raises(ValidationError):
        course_attempt_submit(
            course=course, answers={str(other.questions.get().pk): 0}, by=partner_a_user
        )
    with pytest.raises(ValidationError):
        course_attempt_submit(course=course, answers={str(question.pk): 3}, by=partner_a_user)
    assert not CourseAttempt.objects.exists()


def test_an_inactive_course_or_one_without_a_quiz_cannot_be_taken(partner_a_user):
    inactive = quiz(questions=1, pass_mark=50, active=False)
    with pytest.raises(ValidationError):
        course_attempt_submit(
            course=inactive, answers=answers(inactive, right=1), by=partner_a_user
        )
    with pytest.raises(ValidationError):
        course_attempt_submit(course=CourseFactory(), answers={}, by=partner_a_user)


def test_portal_customers_do_not_take_courses():
    course = quiz(questions=1, pass_mark=50)
    customer = UserFactory(role=Role.CUSTOMER)
    with pytest.raises(PermissionDenied):
        course_attempt_submit(course=course, answers=answers(course, right=1), by=customer)


# --- certifications --------------------------------------------------------------------------


def test_calendar_months_end_on_the_last_day_of_a_shorter_month():
    assert add_months(datetime.date(2027, 1, 31), 1) == datetime.date(2027, 2, 28)
    assert add_months(datetime.date(2028, 1, 31), 1) == datetime.date(2028, 2, 29)
    assert add_months(datetime.date(2026, 12, 7), 24) == datetime.date(2028, 12, 7)
    assert add_months(datetime.date(2026, 3, 31), -1) == datetime.date(2026, 2, 28)


def test_passing_awards_every_active_certification_of_the_course(partner_a_user):
    course = quiz(questions=2, pass_mark=50)
    seller = CertificationFactory(course=course, valid_months=12)
    CertificationFactory(course=course, active=False)
    attempt = course_attempt_submit(
        course=course, answers=answers(course, right=1), by=partner_a_user
    )
    award = CertificationAward.objects.get()
    today = timezone.localdate()
    assert award.certification == seller
    assert award.holder == partner_a_user
    assert award.organisation == partner_a_user.organisation
    assert award.attempt == attempt
    assert award.awarded_on == today
    assert award.expires_on == add_months(today, 12)


def test_a_failed_attempt_awards_nothing(partner_a_user):
    course = quiz(questions=2, pass_mark=100)
    CertificationFactory(course=course)
    course_attempt_submit(course=course, answers=answers(course, right=1), by=partner_a_user)
    assert not CertificationAward.objects.exists()


def test_an_award_on_31_january_for_one_month_expires_on_28_february(partner_a_user):
    certification = CertificationFactory(valid_months=1)
    award = certification_award(
        certification=certification, holder=partner_a_user, on=datetime.date(2027, 1, 31)
    )
    assert award.expires_on == datetime.date(2027, 2, 28)


def test_an_unexpired_award_is_renewed_rather_than_duplicated(partner_a_user):
    certification = CertificationFactory(valid_months=12)
    first = certification_award(
        certification=certification, holder=partner_a_user, on=datetime.date(2026, 1, 10)
    )
    CertificationAward.objects.filter(pk=first.pk).update(warned_at=timezone.now())
    renewed = certification_award(
        certification=certification, holder=partner_a_user, on=datetime.date(2026, 12, 1)
    )
    assert renewed.pk == first.pk
    assert CertificationAward.objects.count() == 1
    renewed.refresh_from_db()
    assert renewed.awarded_on == datetime.date(2026, 12, 1)
    assert renewed.expires_on == datetime.date(2027, 12, 1)
    assert renewed.warned_at is None  # the new expiry is warned about again


def test_passing_again_after_expiry_awards_anew(partner_a_user):
    certification = CertificationFactory(valid_months=1)
    old = certification_award(
        certification=certification, holder=partner_a_user, on=datetime.date(2026, 1, 1)
    )
    new = certification_award(
        certification=certification, holder=partner_a_user, on=datetime.date(2026, 6, 1)
    )
    assert new.pk != old.pk
    assert CertificationAward.objects.count() == 2


def test_passing_the_course_again_renews_the_award(partner_a_user):
    course = quiz(questions=1, pass_mark=100)
    CertificationFactory(course=course, valid_months=6)
    for _ in range(2):
        course_attempt_submit(course=course, answers=answers(course, right=1), by=partner_a_user)
    award = CertificationAward.objects.get()
    assert award.attempt == CourseAttempt.objects.order_by("-id").first()


def test_expiring_certifications_are_warned_about_once(partner_a, partner_a_user):
    manager = UserFactory(role=Role.CHANNEL_MANAGER)
    partner_a.channel_manager = manager
    partner_a.save()
    soon = CertificationAwardFactory(
        organisation=partner_a,
        holder=partner_a_user,
        awarded_on=TODAY - datetime.timedelta(days=700),
        expires_on=TODAY + datetime.timedelta(days=10),
    )
    CertificationAwardFactory(  # far off: no warning yet
        organisation=partner_a, holder=partner_a_user, expires_on=TODAY + datetime.timedelta(60)
    )
    assert warn_expiring_certifications(today=TODAY) == 1
    assert set(Notification.objects.values_list("recipient", flat=True)) == {
        partner_a_user.pk,
        manager.pk,
    }
    assert soon.certification.name in Notification.objects.first().message
    assert warn_expiring_certifications(today=TODAY) == 0
    assert Notification.objects.count() == 2


# --- who writes ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.PARTNER_ADMIN, Role.PARTNER_USER, Role.SALES_REP])
def test_only_training_managers_write_courses_and_content(role, partner_a):
    user = UserFactory(role=role, organisation=partner_a if "partner" in role else None)
    if user.organisation is None:
        user.organisation = Organisation.company()
    with pytest.raises(PermissionDenied):
        course_save(course=Course(title="Mine"), by=user)
    with pytest.raises(PermissionDenied):
        content_item_save(item=ContentItem(title="Mine"), by=user)
    with pytest.raises(PermissionDenied):
        announcement_save(
            announcement=Announcement(title="Mine", body="x", publish_from=TODAY), by=user
        )
    assert not Course.objects.exists() and not ContentItem.objects.exists()


@pytest.mark.parametrize("role", [Role.ADMIN, Role.CHANNEL_MANAGER, Role.MARKETING])
def test_administrators_channel_managers_and_marketing_write_courses(role):
    user = UserFactory(role=role)
    course = course_save(
        course=Course(title="Basics"),
        by=user,
        questions=[QuizQuestion(text="Q?", choices=["a", "b"], correct_choice=1)],
    )
    assert course.questions.get().correct_choice == 1


def test_a_question_needs_two_choices_and_a_correct_one_among_them(channel_manager):
    with pytest.raises(ValidationError) as error:
        course_save(
            course=Course(title="Basics"),
            by=channel_manager,
            questions=[QuizQuestion(text="Q?", choices=["a", "b"], correct_choice=2)],
        )
    assert "correct_choice" in error.value.message_dict
    with pytest.raises(ValidationError):
        course_save(
            course=Course(title="Basics"),
            by=channel_manager,
            questions=[QuizQuestion(text="Q?", choices=["only"], correct_choice=0)],
        )
    assert not Course.objects.exists()


def test_saving_a_quiz_keeps_updates_and_removes_questions(channel_manager):
    course = quiz(questions=2, pass_mark=50)
    keep, drop = list(course.questions.order_by("position"))
    keep.text = "Changed?"
    course_save(
        course=course,
        by=channel_manager,
        questions=[keep, QuizQuestion(text="New?", choices=["x", "y"], correct_choice=0)],
    )
    assert list(course.questions.order_by("position").values_list("text", flat=True)) == [
        "Changed?",
        "New?",
    ]
    assert not QuizQuestion.objects.filter(pk=drop.pk).exists()


# --- the right answers stay with the company ---------------------------------------------------


def test_the_course_page_shows_partners_the_quiz_but_not_the_right_answers(
    client, partner_a_user, channel_manager
):
    course = quiz(questions=2, pass_mark=50)
    client.force_login(partner_a_user)
    page = client.get(reverse("partners:course-detail", args=[course.pk])).content.decode()
    assert 'data-testid="quiz"' in page and "Also wrong" in page
    assert 'data-testid="quiz-answers"' not in page and "✓" not in page
    client.force_login(channel_manager)
    page = client.get(reverse("partners:course-detail", args=[course.pk])).content.decode()
    assert 'data-testid="quiz-answers"' in page and "✓" in page


def test_the_api_gives_partners_the_quiz_without_the_right_answers(
    api, partner_a_user, channel_manager
):
    course = quiz(questions=2, pass_mark=50)
    body = api(partner_a_user).get(f"/api/v1/courses/{course.pk}/").json()
    assert len(body["questions"]) == 2
    assert all("correct_choice" not in q for q in body["questions"])
    assert all(q["choices"] == ["Right", "Wrong", "Also wrong"] for q in body["questions"])
    listed = api(partner_a_user).get("/api/v1/courses/").json()["results"]
    assert all("correct_choice" not in q for row in listed for q in row["questions"])
    staff = api(channel_manager).get(f"/api/v1/courses/{course.pk}/").json()
    assert [q["correct_choice"] for q in staff["questions"]] == [0, 0]


def test_an_attempt_tells_the_score_not_which_answers_were_right(api, partner_a_user):
    course = quiz(questions=2, pass_mark=50)
    response = api(partner_a_user).post(
        "/api/v1/course-attempts/",
        {"course": course.pk, "answers": answers(course, right=1)},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["score_percent"], body["passed"]) == (50, True)
    assert set(body) == {
        "id",
        "course",
        "answers",
        "score_percent",
        "passed",
        "awards",
        "owner",
        "organisation",
        "created_at",
    }


def test_partners_cannot_read_the_quiz_questions_history(api, partner_a_user, channel_manager):
    course_save(
        course=Course(title="Basics"),
        by=channel_manager,
        questions=[QuizQuestion(text="Q?", choices=["a", "b"], correct_choice=1)],
    )
    rows = api(partner_a_user).get("/api/v1/audit/?content_type=quizquestion").json()["results"]
    assert rows == []


# --- taking a course --------------------------------------------------------------------------


def test_a_partner_takes_the_quiz_on_the_course_page_and_sees_the_result(
    client, partner_a_user, partner_b_user
):
    course = quiz(questions=2, pass_mark=100)
    CertificationFactory(course=course, name="Storage seller")
    q1, q2 = course.questions.order_by("position")
    client.force_login(partner_a_user)
    response = client.post(
        reverse("partners:course-detail", args=[course.pk]),
        {f"q{q1.pk}": "0", f"q{q2.pk}": "0"},
    )
    attempt = CourseAttempt.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("partners:course-attempt-detail", args=[attempt.pk])
    result = client.get(response.url).content.decode()
    assert 'data-testid="passed"' in result and "Storage seller" in result
    listing = client.get(reverse("partners:course-list")).content.decode()
    assert "Certified until" in listing
    client.force_login(partner_b_user)
    assert client.get(response.url).status_code == 404


def test_the_quiz_page_asks_for_every_answer(client, partner_a_user):
    course = quiz(questions=2, pass_mark=50)
    q1 = course.questions.order_by("position").first()
    client.force_login(partner_a_user)
    response = client.post(reverse("partners:course-detail", args=[course.pk]), {f"q{q1.pk}": "0"})
    assert response.status_code == 200
    assert "Answer this question." in response.content.decode()
    assert not CourseAttempt.objects.exists()


def test_partner_users_read_their_own_attempts_and_partner_admins_their_organisations(
    partner_a, partner_a_user
):
    colleague = UserFactory(role=Role.PARTNER_USER, organisation=partner_a)
    admin = UserFactory(role=Role.PARTNER_ADMIN, organisation=partner_a)
    course = quiz(questions=1, pass_mark=50)
    mine = course_attempt_submit(course=course, answers={}, by=partner_a_user)
    theirs = course_attempt_submit(course=course, answers={}, by=colleague)
    assert list(course_attempts_visible_to(partner_a_user)) == [mine]
    assert set(course_attempts_visible_to(admin)) == {mine, theirs}


def test_partners_cannot_take_a_course_they_cannot_see(api, partner_a_user):
    course = quiz(questions=1, pass_mark=50, active=False)
    response = api(partner_a_user).post(
        "/api/v1/course-attempts/", {"course": course.pk, "answers": {}}, format="json"
    )
    assert response.status_code == 400
    assert not CourseAttempt.objects.exists()


def test_partners_cannot_write_courses_through_the_api(api, partner_a_user, channel_manager):
    body = {
        "title": "Partner course",
        "questions": [{"text": "Q?", "choices": ["a", "b"], "correct_choice": 0}],
    }
    assert api(partner_a_user).post("/api/v1/courses/", body, format="json").status_code == 403
    created = api(channel_manager).post("/api/v1/courses/", body, format="json")
    assert created.status_code == 201, created.content
    assert QuizQuestion.objects.get().correct_choice == 0
    bad = api(channel_manager).post(
        "/api/v1/courses/",
        {"title": "Bad", "questions": [{"text": "Q?", "choices": ["a", "b"]}]},
        format="json",
    )
    assert bad.status_code == 400
    assert Course.objects.count() == 1


def test_a_channel_manager_writes_a_course_with_its_quiz_on_one_page(client, channel_manager):
    client.force_login(channel_manager)
    response = client.post(
        reverse("partners:course-create"),
        {
            "title": "Implementation",
            "summary": "",
            "materials": "Read this.",
            "pass_mark_percent": "50",
            "active": "on",
            "questions-TOTAL_FORMS": "2",
            "questions-INITIAL_FORMS": "0",
            "questions-MIN_NUM_FORMS": "0",
            "questions-MAX_NUM_FORMS": "50",
            "questions-0-text": "Where do warranty requests go?",
            "questions-0-choices_text": "E-mail\nThe portal\nFax",
            "questions-0-correct_number": "2",
        },
    )
    course = Course.objects.get()
    assert response.status_code == 302 and response.url == course.get_absolute_url()
    question = course.questions.get()
    assert (question.choices, question.correct_choice) == (["E-mail", "The portal", "Fax"], 1)


def test_partners_are_refused_the_pages_that_write_training(client, partner_a_user):
    course = CourseFactory()
    client.force_login(partner_a_user)
    for url in (
        reverse("partners:course-create"),
        reverse("partners:course-edit", args=[course.pk]),
        reverse("partners:content-create"),
        reverse("partners:announcement-create"),
        reverse("partners:certification-create"),
    ):
        assert client.get(url).status_code == 403, url


# --- the content library ---------------------------------------------------------------------


@pytest.fixture
def library(channel_manager, gold):
    """A deck for Gold partners only, a price sheet for everyone, a kit for distributors."""
    deck = content_item_save(
        item=ContentItem(
            title="Gold roadshow deck",
            kind="sales_deck",
            file=ContentFile(b"%PDF-1.4\n%gold deck\n", name="deck.pdf"),
        ),
        by=channel_manager,
        tiers=[gold],
    )
    sheet = content_item_save(
        item=ContentItem(
            title="Tier prices 2027",
            kind="price_sheet",
            file=ContentFile(b"sku,price\nA,1\n", name="prices.csv"),
        ),
        by=channel_manager,
    )
    kit = content_item_save(
        item=ContentItem(
            title="Distributor kit", kind="campaign_kit", partner_types=["distributor"]
        ),
        by=channel_manager,
    )
    return deck, sheet, kit


def partner_user(tier, partner_type=Organisation.PartnerType.RESELLER):
    organisation = OrganisationFactory(tier=tier, partner_type=partner_type)
    return UserFactory(role=Role.PARTNER_USER, organisation=organisation)


def test_a_silver_partner_does_not_get_the_gold_only_deck(client, api, library, gold, silver):
    deck, sheet, _kit = library
    silver_user, gold_user = partner_user(silver), partner_user(gold)
    client.force_login(silver_user)
    page = client.get(reverse("partners:content-list")).content.decode()
    assert "Tier prices 2027" in page and "Gold roadshow deck" not in page
    download = reverse("partners:content-download", args=[deck.pk])
    assert client.get(download).status_code == 404
    titles = {
        row["title"] for row in api(silver_user).get("/api/v1/content-items/").json()["results"]
    }
    assert titles == {"Tier prices 2027"}
    assert api(silver_user).get(f"/api/v1/content-items/{deck.pk}/").status_code == 404

    client.force_login(gold_user)
    page = client.get(reverse("partners:content-list")).content.decode()
    assert "Gold roadshow deck" in page and "/media/" not in page
    response = client.get(download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4\n%gold deck\n"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "application/pdf"
    row = api(gold_user).get(f"/api/v1/content-items/{deck.pk}/").json()
    assert row["download_url"].endswith(download)


def test_content_meant_for_a_partner_type_reaches_only_that_type(client, api, library, silver):
    _deck, _sheet, kit = library
    reseller = partner_user(silver)
    distributor = partner_user(silver, Organisation.PartnerType.DISTRIBUTOR)
    assert api(reseller).get(f"/api/v1/content-items/{kit.pk}/").status_code == 404
    assert api(distributor).get(f"/api/v1/content-items/{kit.pk}/").status_code == 200
    client.force_login(distributor)
    assert "Distributor kit" in client.get(reverse("partners:content-list")).content.decode()


def test_inactive_content_is_not_shown_to_partners(api, channel_manager, silver):
    item = ContentItemFactory(title="Old deck", active=False)
    assert api(partner_user(silver)).get(f"/api/v1/content-items/{item.pk}/").status_code == 404
    assert api(channel_manager).get(f"/api/v1/content-items/{item.pk}/").status_code == 200


def test_the_library_filters_by_kind_and_search_text(client, library, gold):
    client.force_login(partner_user(gold))
    by_kind = client.get(reverse("partners:content-list"), {"kind": "price_sheet"}).content.decode()
    assert "Tier prices 2027" in by_kind and "Gold roadshow deck" not in by_kind
    by_text = client.get(reverse("partners:content-list"), {"q": "roadshow"}).content.decode()
    assert "Gold roadshow deck" in by_text and "Tier prices 2027" not in by_text


def test_a_library_file_must_be_what_its_name_says(client, channel_manager):
    client.force_login(channel_manager)
    response = client.post(
        reverse("partners:content-create"),
        {
            "title": "Deck",
            "kind": "sales_deck",
            "active": "on",
            "file": SimpleUploadedFile("deck.pdf", b"<html><script>alert(1)</script></html>"),
        },
    )
    assert response.status_code == 200
    assert 'data-field-error="file"' in response.content.decode()
    assert not ContentItem.objects.exists()


def test_a_channel_manager_uploads_a_library_item_for_a_tier(client, channel_manager, gold):
    client.force_login(channel_manager)
    response = client.post(
        reverse("partners:content-create"),
        {
            "title": "Gold price sheet",
            "kind": "price_sheet",
            "active": "on",
            "tiers": [gold.pk],
            "partner_types": ["reseller"],
            "file": SimpleUploadedFile("prices.csv", b"sku,price\nA,1\n"),
        },
    )
    assert response.status_code == 302
    item = ContentItem.objects.get()
    assert list(item.tiers.all()) == [gold]
    assert item.partner_types == ["reseller"]
    assert item.file.name.startswith("partner-content/") and "prices" not in item.file.name


# --- announcements ----------------------------------------------------------------------------


def test_announcements_are_shown_between_their_dates(partner_a_user):
    AnnouncementFactory(title="Running", publish_from=TODAY - datetime.timedelta(days=3))
    AnnouncementFactory(
        title="Ends today", publish_from=TODAY - datetime.timedelta(days=9), publish_until=TODAY
    )
    AnnouncementFactory(
        title="Ended",
        publish_from=TODAY - datetime.timedelta(days=9),
        publish_until=TODAY - datetime.timedelta(days=1),
    )
    AnnouncementFactory(title="Tomorrow", publish_from=TODAY + datetime.timedelta(days=1))
    shown = {a.title for a in announcements_current(partner_a_user, today=TODAY)}
    assert shown == {"Running", "Ends today"}
    tomorrow = {
        a.title
        for a in announcements_current(partner_a_user, today=TODAY + datetime.timedelta(days=1))
    }
    assert tomorrow == {"Running", "Tomorrow"}


def test_announcements_follow_the_tier_and_partner_type(gold, silver):
    for_gold = AnnouncementFactory(title="Gold news")
    for_gold.tiers.set([gold])
    AnnouncementFactory(title="Distributor news", partner_types=["distributor"])
    AnnouncementFactory(title="News for all")
    silver_reseller = partner_user(silver)
    gold_distributor = partner_user(gold, Organisation.PartnerType.DISTRIBUTOR)
    assert {a.title for a in announcements_current(silver_reseller)} == {"News for all"}
    assert {a.title for a in announcements_current(gold_distributor)} == {
        "Gold news",
        "Distributor news",
        "News for all",
    }


def test_partners_do_not_see_scheduled_announcements_staff_do(client, api, partner_a_user, rep):
    scheduled = AnnouncementFactory(
        title="Next month", publish_from=timezone.localdate() + datetime.timedelta(days=30)
    )
    AnnouncementFactory(title="This week")
    client.force_login(partner_a_user)
    page = client.get(reverse("partners:announcement-list")).content.decode()
    assert "This week" in page and "Next month" not in page
    assert api(partner_a_user).get(f"/api/v1/announcements/{scheduled.pk}/").status_code == 404
    client.force_login(rep)
    assert "Next month" in client.get(reverse("partners:announcement-list")).content.decode()


def test_an_announcement_cannot_end_before_it_starts(channel_manager):
    with pytest.raises(ValidationError) as error:
        announcement_save(
            announcement=Announcement(
                title="x", body="x", publish_from=TODAY, publish_until=TODAY - datetime.timedelta(1)
            ),
            by=channel_manager,
        )
    assert "publish_until" in error.value.message_dict


# --- the certifications a tier requires -------------------------------------------------------


def test_tier_gaps_are_the_required_certifications_nobody_in_the_organisation_holds(gold):
    seller, engineer, retired = (
        CertificationFactory(name="Seller"),
        CertificationFactory(name="Engineer"),
        CertificationFactory(name="Retired", active=False),
    )
    gold.required_certifications.set([seller, engineer, retired])
    organisation = OrganisationFactory(tier=gold)
    colleague = UserFactory(role=Role.PARTNER_USER, organisation=organisation)
    assert {c.name for c in tier_certification_gaps(organisation, today=TODAY)} == {
        "Seller",
        "Engineer",
    }
    CertificationAwardFactory(
        certification=seller, organisation=organisation, holder=colleague, expires_on=TODAY
    )
    CertificationAwardFactory(  # expired: does not count
        certification=engineer,
        organisation=organisation,
        holder=colleague,
        awarded_on=TODAY - datetime.timedelta(days=400),
        expires_on=TODAY - datetime.timedelta(days=1),
    )
    CertificationAwardFactory(certification=engineer)  # someone else's organisation
    assert [c.name for c in tier_certification_gaps(organisation, today=TODAY)] == ["Engineer"]
    assert not tier_certification_gaps(OrganisationFactory(tier=None), today=TODAY).exists()


def test_the_certification_page_shows_a_partner_its_holders_and_its_tier_gaps(
    client, gold, partner_b_user
):
    required = CertificationFactory(name="Engineer")
    gold.required_certifications.add(required)
    organisation = OrganisationFactory(tier=gold)
    user = UserFactory(role=Role.PARTNER_USER, organisation=organisation)
    holder = UserFactory(role=Role.PARTNER_USER, organisation=organisation, last_name="Holderson")
    CertificationAwardFactory(organisation=organisation, holder=holder)
    CertificationAwardFactory(
        organisation=partner_b_user.organisation, holder=partner_b_user, expires_on=TODAY
    )
    client.force_login(user)
    page = client.get(reverse("partners:certification-list")).content.decode()
    assert "Holderson" in page and str(partner_b_user) not in page
    assert 'data-testid="tier-gaps"' in page and "Engineer" in page


def test_staff_filter_the_awards_that_expire_soon(client, partner_a):
    admin = UserFactory(role=Role.ADMIN)
    today = timezone.localdate()
    soon = UserFactory(role=Role.PARTNER_USER, organisation=partner_a, last_name="Soonish")
    later = UserFactory(role=Role.PARTNER_USER, organisation=partner_a, last_name="Laterton")
    CertificationAwardFactory(
        organisation=partner_a, holder=soon, expires_on=today + datetime.timedelta(days=10)
    )
    CertificationAwardFactory(
        organisation=partner_a, holder=later, expires_on=today + datetime.timedelta(days=200)
    )
    client.force_login(admin)
    page = client.get(reverse("partners:certification-list"), {"expiring": "30"}).content.decode()
    assert "Soonish" in page and "Laterton" not in page


def test_global_search_finds_courses_and_only_the_content_meant_for_the_partner(
    library, gold, silver
):
    from allyance.core.search import global_search

    CourseFactory(title="Roadshow selling skills")

    def found(user) -> set[str]:
        return {
            str(row)
            for group in global_search(user, "roadshow")
            if group["type"] in ("courses", "content_items")
            for row in group["rows"]
        }

    assert found(partner_user(gold)) == {"Roadshow selling skills", "Gold roadshow deck"}
    assert found(partner_user(silver)) == {"Roadshow selling skills"}


def test_the_demo_builds_courses_awards_content_and_announcements(gold, silver):
    from types import SimpleNamespace

    from allyance.partners.demo import training as demo_training
    from allyance.partners.models import Certification

    partners = {
        "huadong": OrganisationFactory(tier=gold, partner_type="distributor"),
        "jinqiao": OrganisationFactory(tier=silver),
        "pacific": OrganisationFactory(tier=TierFactory(name="Registered", rank=1)),
    }
    users = {
        f"{key}.{suffix}": UserFactory(
            role=Role.PARTNER_ADMIN if suffix == "admin" else Role.PARTNER_USER,
            organisation=organisation,
        )
        for key, organisation in partners.items()
        for suffix in ("admin", "user")
    }
    admin = UserFactory(role=Role.ADMIN)
    demo = SimpleNamespace(admin=admin, users=users, today=timezone.localdate())
    demo_training.build(demo)

    assert Course.objects.count() == 2
    assert all(3 <= course.questions.count() <= 5 for course in Course.objects.all())
    assert set(gold.required_certifications.all()) == set(Certification.objects.all())
    assert not tier_certification_gaps(partners["huadong"]).exists()
    soon = CertificationAward.objects.filter(
        expires_on__lte=timezone.localdate() + datetime.timedelta(days=30)
    )
    assert soon.count() == 1
    assert CourseAttempt.objects.filter(passed=False).exists()
    deck = ContentItem.objects.get(tiers=gold)
    assert deck.file and all(item.file for item in ContentItem.objects.all())
    assert ContentItem.objects.count() == 4
    assert Announcement.objects.count() == 2
    assert len(announcements_current(users["huadong.user"])) == 2
    assert len(announcements_current(users["jinqiao.user"])) == 1


def test_every_training_page_opens_for_a_channel_manager(client, channel_manager, library):
    deck, _sheet, _kit = library
    course = quiz(questions=2, pass_mark=50)
    certification = CertificationFactory(course=course)
    announcement = AnnouncementFactory()
    client.force_login(channel_manager)
    for name, args in (
        ("partners:course-list", []),
        ("partners:course-create", []),
        ("partners:course-detail", [course.pk]),
        ("partners:course-edit", [course.pk]),
        ("partners:certification-list", []),
        ("partners:certification-create", []),
        ("partners:certification-edit", [certification.pk]),
        ("partners:content-list", []),
        ("partners:content-create", []),
        ("partners:content-edit", [deck.pk]),
        ("partners:announcement-list", []),
        ("partners:announcement-create", []),
        ("partners:announcement-edit", [announcement.pk]),
    ):
        assert client.get(reverse(name, args=args)).status_code == 200, name


def test_editing_a_course_on_its_page_changes_its_questions_in_place(client, channel_manager):
    course = quiz(questions=2, pass_mark=50)
    first, second = course.questions.order_by("position")
    client.force_login(channel_manager)
    response = client.post(
        reverse("partners:course-edit", args=[course.pk]),
        {
            "title": course.title,
            "materials": "New materials",
            "pass_mark_percent": "60",
            "active": "on",
            "questions-TOTAL_FORMS": "3",
            "questions-INITIAL_FORMS": "2",
            "questions-MIN_NUM_FORMS": "0",
            "questions-MAX_NUM_FORMS": "50",
            "questions-0-id": str(first.pk),
            "questions-0-text": "Reworded?",
            "questions-0-choices_text": "Right\nWrong",
            "questions-0-correct_number": "1",
            "questions-1-id": str(second.pk),
            "questions-1-text": second.text,
            "questions-1-choices_text": "Right\nWrong",
            "questions-1-correct_number": "1",
            "questions-1-DELETE": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    course.refresh_from_db()
    assert course.pass_mark_percent == 60
    assert list(course.questions.values_list("pk", "text")) == [(first.pk, "Reworded?")]
