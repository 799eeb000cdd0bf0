"""Read-only REST API over the audit trail: who changed which record, when, field by field.

The trail can be read, never written: the viewset has no write methods (405), and
`AuditEntry` itself refuses edits and deletes.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Model, Q, QuerySet
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, viewsets

from allyance.core import audit
from allyance.core.api_support import OrderingFilter
from allyance.core.models import AuditEntry, BusinessModel, User
from allyance.core.visibility import visible_to


def audited_models() -> list[type[Model]]:
    """Every model whose changes land in the audit trail."""
    return [model for model in apps.get_models() if audit.is_audited(model)]


def audited_model_choices() -> list[tuple[str, str]]:
    """(model name, label) of every audited model, for the `content_type` filter."""
    return sorted(
        {(model._meta.model_name, str(model._meta.verbose_name)) for model in audited_models()}
    )


def audit_entries_visible_to(user: User) -> QuerySet[AuditEntry]:
    """Administrators read the whole trail; anyone else the entries about business records
    they may see now, each record type narrowed by the visibility gate."""
    entries = AuditEntry.objects.select_related("content_type", "actor")
    if not user.is_authenticated or not user.is_active:
        return entries.none()
    if user.is_admin:
        return entries
    condition = Q(pk__in=[])
    for model in audited_models():
        if not issubclass(model, BusinessModel):
            continue  # users, organisations, teams …: their history is for administrators
        visible_keys = (
            visible_to(user, model._default_manager.all())
            .annotate(audit_key=Cast("pk", CharField()))
            .values("audit_key")
        )
        content_type = ContentType.objects.get_for_model(model, for_concrete_model=True)
        condition |= Q(content_type=content_type, object_id__in=visible_keys)
    return entries.filter(condition)


@extend_schema_field(OpenApiTypes.INT)
class IntegerFilter(django_filters.NumberFilter):
    """A whole-number filter (django-filter's NumberFilter accepts decimals)."""

    field_class = forms.IntegerField


class AuditEntryFilter(django_filters.FilterSet):
    content_type = django_filters.ChoiceFilter(
        label=_("record type"),
        choices=audited_model_choices,
        method="filter_content_type",
        help_text=_("Model name of the record, e.g. `account`."),
    )
    object_id = django_filters.CharFilter(label=_("record id"), max_length=64)
    action = django_filters.ChoiceFilter(choices=AuditEntry.Action.choices)
    actor = IntegerFilter(
        label=_("by (user id)"), field_name="actor_id", min_value=1, max_value=2**63 - 1
    )

    class Meta:
        model = AuditEntry
        fields = ["content_type", "object_id", "action", "actor"]

    def filter_content_type(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(content_type__model=value)


class AuditEntrySerializer(serializers.ModelSerializer):
    content_type = serializers.CharField(source="content_type.model", read_only=True)
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "at",
            "action",
            "content_type",
            "object_id",
            "object_repr",
            "actor",
            "actor_name",
            "changes",
        ]
        read_only_fields = fields

    def get_actor_name(self, entry: AuditEntry) -> str | None:
        return str(entry.actor) if entry.actor else None


class AuditEntryViewSet(viewsets.ReadOnlyModelViewSet):
    """The audit trail, newest first. Filter by record type and id, action or actor."""

    queryset = AuditEntry.objects.none()  # for the schema; rows come from get_queryset
    serializer_class = AuditEntrySerializer
    filterset_class = AuditEntryFilter
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["at"]
    ordering = ("-at", "-id")

    def get_queryset(self):
        return audit_entries_visible_to(self.request.user)
