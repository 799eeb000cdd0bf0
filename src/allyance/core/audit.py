"""The audit trail: every create, update and delete of a business record, field by field.

Change logging is cross-cutting, like NetBox's change log: it hangs on model
signals so no write path can forget it. The acting user comes from the request
(AuditActorMiddleware) or from `acting_as(user)` in services, jobs and commands.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_init, post_save, pre_save

_actor: contextvars.ContextVar = contextvars.ContextVar("audit_actor", default=None)

IGNORED_FIELDS = {"updated_at", "created_at", "version", "password", "last_login", "search_text"}


@contextlib.contextmanager
def acting_as(user) -> Iterator[None]:
    """Attribute every change made inside the block to `user`."""
    token = _actor.set(user)
    try:
        yield
    finally:
        _actor.reset(token)


def set_request(request) -> contextvars.Token:
    return _actor.set(request)


def reset(token: contextvars.Token) -> None:
    _actor.reset(token)


def current_actor():
    value = _actor.get()
    user = getattr(value, "user", value)  # a request or a user
    if user is not None and getattr(user, "is_authenticated", False):
        return user
    return None


def is_audited(model: type[models.Model]) -> bool:
    from allyance.core.models import BusinessModel

    return issubclass(model, BusinessModel) or getattr(model, "audited", False)


def _jsonable(value):
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return str(value)
    if isinstance(value, Decimal | date | datetime):
        return value.isoformat() if not isinstance(value, Decimal) else str(value)
    if isinstance(value, dict | list):
        return value
    return str(value)


def _audited_fields(model: type[models.Model]) -> list:
    # A model may leave derived fields out (`audit_ignored_fields`), e.g. data computed from
    # other records that the audit log must neither repeat nor reveal.
    ignored = IGNORED_FIELDS.union(getattr(model, "audit_ignored_fields", ()))
    return [
        field
        for field in model._meta.concrete_fields
        if field.name not in ignored and not field.primary_key
    ]


def snapshot(instance: models.Model) -> dict:
    return {
        field.attname: _jsonable(getattr(instance, field.attname, None))
        for field in _audited_fields(type(instance))
    }


def _snapshot_as_loaded(instance: models.Model) -> dict:
    """The audited values the record had when it was read, from the copy `_on_init` kept;
    fields that were deferred then are read from the database (still unchanged there)."""
    loaded = instance.__dict__.get("_audit_loaded")
    if loaded is None:
        return {}
    fields = _audited_fields(type(instance))
    missing = [field.attname for field in fields if field.attname not in loaded]
    if missing:
        stored = type(instance)._base_manager.filter(pk=instance.pk).values(*missing).first()
        loaded = {**loaded, **(stored or {})}
    return {field.attname: _jsonable(loaded.get(field.attname)) for field in fields}


def _record(instance: models.Model, action: str, changes: dict) -> None:
    from allyance.core.models import AuditEntry

    AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(type(instance), for_concrete_model=True),
        object_id=str(instance.pk),
        object_repr=str(instance)[:250],
        action=action,
        actor=current_actor(),
        changes=changes,
    )


def changes_between(before: dict, after: dict, *, created: bool) -> dict:
    """{field: [old, new]} of the audited values that differ; a new record's empty ones
    are left out."""
    return {
        name: [before.get(name), value]
        for name, value in after.items()
        if before.get(name) != value and not (created and value in (None, "", [], {}))
    }


def entries_write(entries: Iterable[tuple[models.Model, str, dict]]) -> int:
    """Write many entries (record, action, changes) by the current actor in a few
    statements: for bulk writers (imports) whose inserts and updates bypass the model
    signals. Returns how many were written."""
    from django.db import connection
    from django.utils import timezone

    from allyance.core.models import AuditEntry

    meta = AuditEntry._meta
    names = ["content_type", "object_id", "object_repr", "action", "actor", "at", "changes"]
    fields = [meta.get_field(name) for name in names]
    at = fields[5].get_db_prep_save(timezone.now(), connection)
    actor = current_actor()
    rows = [
        (
            ContentType.objects.get_for_model(type(instance), for_concrete_model=True).pk,
            str(instance.pk),
            str(instance)[:250],
            action,
            actor.pk if actor is not None else None,
            at,
            fields[6].get_db_prep_save(changes, connection),
        )
        for instance, action, changes in entries
    ]
    if rows:
        quote = connection.ops.quote_name
        sql = "INSERT INTO {} ({}) VALUES ({})".format(
            quote(meta.db_table),
            ", ".join(quote(field.column) for field in fields),
            ", ".join(["%s"] * len(fields)),
        )
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)
    return len(rows)


def _on_init(sender, instance, **kwargs) -> None:
    # Most records are read and never saved, so only a shallow copy of the loaded values is
    # kept here (values as they came from the database); the "before" snapshot is made from
    # it when the record is about to be saved.
    if is_audited(sender):
        if instance.pk is None:
            instance._audit_snapshot = {}
        else:
            instance._audit_loaded = instance.__dict__.copy()


def _on_pre_save(sender, instance, raw=False, **kwargs) -> None:
    if raw or not is_audited(sender) or "_audit_snapshot" in instance.__dict__:
        return
    instance._audit_snapshot = _snapshot_as_loaded(instance)


def _on_save(sender, instance, created, raw=False, **kwargs) -> None:
    if raw or not is_audited(sender):
        return
    before = {} if created else instance.__dict__.get("_audit_snapshot", {})
    after = snapshot(instance)
    changes = changes_between(before, after, created=created)
    instance._audit_snapshot = after
    if created:
        _record(instance, "create", changes)
    elif changes:
        _record(instance, "update", changes)


def _on_delete(sender, instance, **kwargs) -> None:
    if is_audited(sender):
        _record(instance, "delete", {n: [v, None] for n, v in snapshot(instance).items()})


def _on_m2m(sender, instance, action, model, pk_set, reverse, **kwargs) -> None:
    if (
        reverse
        or not is_audited(type(instance))
        or action
        not in {
            "post_add",
            "post_remove",
            "post_clear",
        }
    ):
        return
    field = next((f for f in instance._meta.many_to_many if f.remote_field.through is sender), None)
    if field is None:
        return
    labels = sorted(str(obj) for obj in model.objects.filter(pk__in=pk_set or []))
    verb = {"post_add": "added", "post_remove": "removed", "post_clear": "cleared"}[action]
    _record(instance, "update", {field.name: {verb: labels}})


def connect_signals() -> None:
    post_init.connect(_on_init, dispatch_uid="audit_init")
    pre_save.connect(_on_pre_save, dispatch_uid="audit_pre_save")
    post_save.connect(_on_save, dispatch_uid="audit_save")
    post_delete.connect(_on_delete, dispatch_uid="audit_delete")
    m2m_changed.connect(_on_m2m, dispatch_uid="audit_m2m")


def record_bulk_update(instances, changes: dict) -> None:
    """Audit a bulk `update()` that bypassed the model signals."""
    for instance in instances:
        _record(instance, "update", changes)
