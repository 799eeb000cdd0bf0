"""Record types by name: the business models that custom fields and attachments can hang on.

Every concrete `BusinessModel` is a record type, so a new module's records get
custom fields and attachments without registering anywhere. Outside code (the
API, URLs) names a type by its model name (`account`), or by `app.model` when
two apps use the same model name.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model

from allyance.core.models import BusinessModel


def record_models() -> list[type[BusinessModel]]:
    """Every concrete business record model, in app order."""
    return [
        model
        for model in apps.get_models()
        if issubclass(model, BusinessModel) and not model._meta.abstract
    ]


def is_record_model(model: type[Model]) -> bool:
    return isinstance(model, type) and model in record_models()


def custom_field_models() -> list[type[BusinessModel]]:
    """The record types administrators may define custom fields for: every record type but
    those the system writes by itself with no form to fill them in (a model says so with
    `custom_fields_fillable = False`)."""
    return [model for model in record_models() if getattr(model, "custom_fields_fillable", True)]


def takes_custom_fields(model: type[Model]) -> bool:
    return isinstance(model, type) and model in custom_field_models()


def record_type_key(model: type[Model] | Model) -> str:
    """`account`, or `app_label.model` when the bare model name is taken twice."""
    meta = model._meta
    clashes = sum(1 for other in record_models() if other._meta.model_name == meta.model_name)
    return meta.model_name if clashes <= 1 else meta.label_lower


def record_model_for(key: str) -> type[BusinessModel] | None:
    """The record model a key names, or None for an unknown or ambiguous key."""
    key = (key or "").strip().lower()
    found = [
        model
        for model in record_models()
        if key in (model._meta.model_name, model._meta.label_lower)
    ]
    return found[0] if len(found) == 1 else None


def record_type_choices() -> list[tuple[str, str]]:
    """(key, plural label) for every record type, for pickers."""
    return [
        (record_type_key(model), str(model._meta.verbose_name_plural).capitalize())
        for model in record_models()
    ]


def content_type_for_key(key: str) -> ContentType | None:
    model = record_model_for(key)
    return ContentType.objects.get_for_model(model) if model is not None else None
