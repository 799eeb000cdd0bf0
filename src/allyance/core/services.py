"""Writes shared by every record type: versioned update, delete, bulk owner and tags."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from allyance.core import audit
from allyance.core.exceptions import ConflictError
from allyance.core.models import BusinessModel, Tag, User


def ensure_may_write(by: User | None, model: type[models.Model]) -> None:
    """Portal customers read their records; what they may write is opened model by model."""
    if by is not None and by.is_customer and not getattr(model, "customer_writable", False):
        raise PermissionDenied(_("Your account may not change this record."))


def record_validate(
    *,
    instance: BusinessModel,
    by: User | None,
    exclude: Iterable[str] = (),
    creating: bool | None = None,
) -> None:
    """What `record_save` checks before it writes: the writer may write the record type and
    the record is valid; a new record starts at version 1. Bulk writers (imports) call it
    for every record they then insert or update in batches.

    `exclude` leaves out fields the caller has already proved valid (foreign keys it looked
    up itself), so a batch does not check each one with a query.
    """
    ensure_may_write(by, type(instance))
    creating = instance.pk is None if creating is None else creating
    excluded = {*exclude, "owner", "organisation"} if creating else set(exclude)
    instance.full_clean(exclude=sorted(excluded) or None)
    if creating:
        instance.version = 1


def record_save(
    *, instance: BusinessModel, by: User | None, expected_version: int | None = None
) -> BusinessModel:
    """Validate and save a record; an update with a stale `expected_version` is refused.

    The version check and the increment are one conditional UPDATE, so two
    people saving the same record at once cannot both win.
    """
    record_validate(instance=instance, by=by)
    with audit.acting_as(by), transaction.atomic():
        if instance.pk is None:
            instance.save()
            return instance
        current = expected_version if expected_version is not None else instance.version
        updated = (
            type(instance)
            ._default_manager.filter(pk=instance.pk, version=current)
            .update(version=F("version") + 1)
        )
        if not updated:
            raise ConflictError(
                _("Someone else changed this record since you opened it. Reload and try again.")
            )
        instance.version = current + 1
        instance.save()
    return instance


def record_delete(*, instance: models.Model, by: User | None) -> None:
    ensure_may_write(by, type(instance))
    with audit.acting_as(by), transaction.atomic():
        instance.delete()


def records_assign_owner(*, records: Iterable[BusinessModel], owner: User, by: User) -> int:
    """Give every record in `records` the new owner; one audit entry per record."""
    records = list(records)
    for record in records[:1]:
        ensure_may_write(by, type(record))
    count = 0
    with audit.acting_as(by), transaction.atomic():
        for record in records:
            if record.owner_id != owner.pk:
                record.owner = owner
                record.version += 1
                record.save(update_fields=["owner", "version", "updated_at"])
                count += 1
    return count


def records_add_tag(*, records: Iterable[BusinessModel], tag_name: str, by: User) -> int:
    records = list(records)
    for record in records[:1]:
        ensure_may_write(by, type(record))
    name = tag_name.strip()
    if not name:
        raise ValidationError({"tag": _("Enter a tag.")})
    with audit.acting_as(by), transaction.atomic():
        tag, _created = Tag.objects.get_or_create(name=name)
        count = 0
        for record in records:
            record.tags.add(tag)
            count += 1
    return count


def records_delete(*, records: Iterable[models.Model], by: User) -> int:
    records = list(records)
    for record in records[:1]:
        ensure_may_write(by, type(record))
    count = 0
    with audit.acting_as(by), transaction.atomic():
        for record in records:
            record.delete()
            count += 1
    return count
