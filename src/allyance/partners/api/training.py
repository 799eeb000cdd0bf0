"""REST API of training and content: courses (with the quiz), certifications, quiz attempts,
certification awards, the content library and announcements.

Courses, certifications, content and announcements are central: everyone reads what the
gate shows them, administrators, channel managers and marketing write. The right answers
of a quiz are shown only to those who maintain courses. Partners submit quiz attempts and
read their awards; nobody writes awards by hand.
"""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.permissions import SAFE_METHODS, BasePermission

from allyance.core.models import Organisation
from allyance.partners.models import (
    Announcement,
    Certification,
    CertificationAward,
    ContentItem,
    Course,
    CourseAttempt,
    QuizQuestion,
    Tier,
)
from allyance.partners.selectors import training as selectors
from allyance.partners.services import training as services


class TrainingWritersOnly(BasePermission):
    """Whoever sees the rows reads them; administrators, channel managers and marketing
    change them."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        return request.method in SAFE_METHODS or services.may_manage_training(user)


def _may_manage(serializer: serializers.Serializer) -> bool:
    request = serializer.context.get("request")
    return request is not None and services.may_manage_training(request.user)


# --- Courses --------------------------------------------------------------------------


class QuizQuestionSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(required=False, help_text="Give it to change a saved question.")
    choices = serializers.ListField(
        child=serializers.CharField(max_length=300), min_length=2, max_length=10
    )
    correct_choice = serializers.IntegerField(
        min_value=0,
        max_value=9,
        required=False,
        help_text="Index of the right choice; shown only to those who maintain courses.",
    )

    class Meta:
        model = QuizQuestion
        fields = ["id", "text", "choices", "correct_choice"]


class CourseSerializer(serializers.ModelSerializer):
    questions = QuizQuestionSerializer(
        many=True,
        required=False,
        help_text="The quiz. On a write it becomes exactly these questions (saved ones by id).",
    )
    certifications = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Course
        fields = [
            "id",
            "title",
            "summary",
            "materials",
            "pass_mark_percent",
            "active",
            "questions",
            "certifications",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not _may_manage(self):
            for question in data.get("questions", []):
                question.pop("correct_choice", None)
        return data


class TrainingViewSet(viewsets.ModelViewSet):
    """Central training records: read per the gate, written through `save_record` and
    `delete_record` by the people who maintain training."""

    permission_classes = [TrainingWritersOnly]
    ordering = ["id"]

    def selector(self, user):
        raise NotImplementedError

    def save_record(self, instance, *, by, data):
        raise NotImplementedError

    def delete_record(self, instance, *, by):
        raise NotImplementedError

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.get_serializer_class().Meta.model.objects.none()
        return self.selector(self.request.user)

    def _save(self, serializer, instance=None):
        data = dict(serializer.validated_data)
        if instance is None:
            instance = serializer.Meta.model()
        serializer.instance = self.save_record(instance, by=self.request.user, data=data)

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    def perform_destroy(self, instance):
        self.delete_record(instance, by=self.request.user)


def _assign(instance, data: dict):
    for name, value in data.items():
        setattr(instance, name, value)
    return instance


class CourseViewSet(TrainingViewSet):
    """Courses and their quiz; partners read the active ones, without the right answers."""

    serializer_class = CourseSerializer
    filterset_fields = ["active"]
    ordering_fields = ["title", "created_at", "updated_at"]
    ordering = ["title"]

    def selector(self, user):
        return selectors.courses_visible_to(user)

    def save_record(self, instance, *, by, data):
        rows = data.pop("questions", None)
        questions = None
        if rows is not None:
            existing = {q.pk: q for q in instance.questions.all()} if instance.pk else {}
            questions = []
            for row in rows:
                question = existing.get(row.get("id")) if row.get("id") else QuizQuestion()
                if question is None:
                    raise serializers.ValidationError(
                        {"questions": ["A question id is not one of this course's questions."]}
                    )
                question.text = row["text"]
                question.choices = row["choices"]
                if "correct_choice" in row:
                    question.correct_choice = row["correct_choice"]
                questions.append(question)
        course = services.course_save(course=_assign(instance, data), by=by, questions=questions)
        return selectors.courses_visible_to(by).get(pk=course.pk)

    def delete_record(self, instance, *, by):
        services.course_delete(course=instance, by=by)


# --- Certifications -------------------------------------------------------------------


class CertificationSerializer(serializers.ModelSerializer):
    required_by_tiers = serializers.PrimaryKeyRelatedField(
        many=True,
        required=False,
        queryset=Tier.objects.all(),
        help_text="Tiers whose partners need someone holding this certification.",
    )

    class Meta:
        model = Certification
        fields = ["id", "name", "course", "valid_months", "active", "required_by_tiers"]
        extra_kwargs = {"name": {"validators": []}}  # the service says so, case-insensitively

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            fields["course"].queryset = selectors.courses_visible_to(request.user)
        return fields


class CertificationViewSet(TrainingViewSet):
    serializer_class = CertificationSerializer
    filterset_fields = ["course", "active"]
    ordering_fields = ["name", "valid_months"]
    ordering = ["name"]

    def selector(self, user):
        return selectors.certifications_visible_to(user)

    def save_record(self, instance, *, by, data):
        tiers = data.pop("required_by_tiers", None)
        return services.certification_save(
            certification=_assign(instance, data), by=by, required_by_tiers=tiers
        )

    def delete_record(self, instance, *, by):
        services.certification_delete(certification=instance, by=by)


# --- Attempts and awards --------------------------------------------------------------


class CourseAttemptSerializer(serializers.ModelSerializer):
    answers = serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=9),
        help_text="Question id → index of the chosen answer; a missing question counts wrong.",
    )
    awards = serializers.SerializerMethodField()

    class Meta:
        model = CourseAttempt
        fields = [
            "id",
            "course",
            "answers",
            "score_percent",
            "passed",
            "awards",
            "owner",
            "organisation",
            "created_at",
        ]
        read_only_fields = ["score_percent", "passed", "owner", "organisation", "created_at"]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            fields["course"].queryset = selectors.courses_visible_to(request.user)
        return fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_awards(self, attempt: CourseAttempt) -> list[int]:
        """Ids of the certification awards this attempt granted or renewed."""
        return list(CertificationAward.objects.filter(attempt=attempt).values_list("id", flat=True))


class CourseAttemptViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Quiz attempts: create one to submit answers (it is scored at once); list your own."""

    queryset = CourseAttempt.objects.none()  # for the schema; rows come from get_queryset
    serializer_class = CourseAttemptSerializer
    filterset_fields = ["course", "passed"]
    ordering_fields = ["created_at", "score_percent"]
    ordering = ["-created_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CourseAttempt.objects.none()
        return selectors.course_attempts_visible_to(self.request.user)

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.course_attempt_submit(
            course=data["course"], answers=data["answers"], by=self.request.user
        )


class CertificationAwardSerializer(serializers.ModelSerializer):
    certification_name = serializers.CharField(source="certification.name", read_only=True)
    holder_name = serializers.SerializerMethodField()

    class Meta:
        model = CertificationAward
        fields = [
            "id",
            "certification",
            "certification_name",
            "holder",
            "holder_name",
            "organisation",
            "awarded_on",
            "expires_on",
            "attempt",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_holder_name(self, award: CertificationAward) -> str:
        return str(award.holder)


class CertificationAwardFilter(django_filters.FilterSet):
    expires_before = django_filters.DateFilter(field_name="expires_on", lookup_expr="lte")
    expires_after = django_filters.DateFilter(field_name="expires_on", lookup_expr="gte")

    class Meta:
        model = CertificationAward
        fields = ["certification", "holder", "organisation", "expires_before", "expires_after"]


class CertificationAwardViewSet(viewsets.ReadOnlyModelViewSet):
    """Who holds which certification until when, through the gate; awarded by passing."""

    queryset = CertificationAward.objects.none()  # for the schema; rows come from get_queryset
    serializer_class = CertificationAwardSerializer
    filterset_class = CertificationAwardFilter
    ordering_fields = ["expires_on", "awarded_on", "updated_at"]
    ordering = ["expires_on"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CertificationAward.objects.none()
        return selectors.certification_awards_visible_to(self.request.user)


# --- Content and announcements --------------------------------------------------------


class _TargetedSerializer(serializers.ModelSerializer):
    tiers = serializers.PrimaryKeyRelatedField(
        many=True,
        required=False,
        queryset=Tier.objects.all(),
        help_text="Tiers it is meant for; empty: every tier.",
    )
    partner_types = serializers.ListField(
        child=serializers.ChoiceField(choices=Organisation.PartnerType.choices),
        required=False,
        help_text="Partner types it is meant for; empty: every type.",
    )

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None and not request.user.is_internal:
            # Which other tiers and types receive it is the company's business.
            data["tiers"], data["partner_types"] = [], []
        return data


class ContentItemSerializer(_TargetedSerializer):
    download_url = serializers.SerializerMethodField(
        help_text="The file, through the checked download page; null without a file."
    )

    class Meta:
        model = ContentItem
        fields = [
            "id",
            "title",
            "kind",
            "description",
            "download_url",
            "tiers",
            "partner_types",
            "active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_download_url(self, item: ContentItem) -> str | None:
        if not item.file:
            return None
        url = reverse("partners:content-download", args=[item.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


@extend_schema_field(OpenApiTypes.INT)
class TierFilter(django_filters.ModelChoiceFilter):
    """A tier by id."""


class ContentItemFilter(django_filters.FilterSet):
    tier = TierFilter(queryset=Tier.objects.all(), method="filter_tier", label="tier")
    partner_type = django_filters.ChoiceFilter(
        choices=Organisation.PartnerType.choices, method="filter_partner_type"
    )

    class Meta:
        model = ContentItem
        fields = ["kind", "active", "tier", "partner_type"]

    def filter_tier(self, queryset, name, value):
        """Items a partner of that tier gets: for that tier or for every tier."""
        return queryset.filter(
            Q(pk__in=ContentItem.objects.filter(tiers__isnull=True).values("pk"))
            | Q(pk__in=ContentItem.objects.filter(tiers=value).values("pk"))
        )

    def filter_partner_type(self, queryset, name, value):
        """Items a partner of that type gets: for that type or for every type."""
        return queryset.filter(Q(partner_types=[]) | Q(partner_types__icontains=f'"{value}"'))


class ContentItemViewSet(TrainingViewSet):
    """The content library (files are uploaded on the library page and downloaded through
    `download_url`); filter by kind, tier and partner type."""

    serializer_class = ContentItemSerializer
    filterset_class = ContentItemFilter
    ordering_fields = ["title", "kind", "updated_at"]
    ordering = ["-updated_at"]

    def selector(self, user):
        return selectors.content_items_visible_to(user)

    def save_record(self, instance, *, by, data):
        tiers = data.pop("tiers", None)
        return services.content_item_save(item=_assign(instance, data), by=by, tiers=tiers)

    def delete_record(self, instance, *, by):
        services.content_item_delete(item=instance, by=by)


class AnnouncementSerializer(_TargetedSerializer):
    class Meta:
        model = Announcement
        fields = [
            "id",
            "title",
            "body",
            "publish_from",
            "publish_until",
            "tiers",
            "partner_types",
            "created_at",
        ]
        read_only_fields = ["created_at"]


class AnnouncementFilter(django_filters.FilterSet):
    current_on = django_filters.DateFilter(method="filter_current_on", label="shown on")

    class Meta:
        model = Announcement
        fields = ["current_on"]

    def filter_current_on(self, queryset, name, value):
        return queryset.filter(publish_from__lte=value).exclude(publish_until__lt=value)


class AnnouncementViewSet(TrainingViewSet):
    """Announcements; partners read the published ones meant for their tier and type."""

    serializer_class = AnnouncementSerializer
    filterset_class = AnnouncementFilter
    ordering_fields = ["publish_from", "publish_until", "title"]
    ordering = ["-publish_from"]

    def selector(self, user):
        return selectors.announcements_visible_to(user)

    def save_record(self, instance, *, by, data):
        tiers = data.pop("tiers", None)
        return services.announcement_save(announcement=_assign(instance, data), by=by, tiers=tiers)

    def delete_record(self, instance, *, by):
        services.announcement_delete(announcement=instance, by=by)


ROUTES = [
    ("courses", CourseViewSet, "course"),
    ("certifications", CertificationViewSet, "certification"),
    ("course-attempts", CourseAttemptViewSet, "course-attempt"),
    ("certification-awards", CertificationAwardViewSet, "certification-award"),
    ("content-items", ContentItemViewSet, "content-item"),
    ("announcements", AnnouncementViewSet, "announcement"),
]
