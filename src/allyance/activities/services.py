"""Writes on activities: logging, completing, and keeping the account in step with the contact."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from allyance.activities.models import Activity
from allyance.core.models import Organisation, User
from allyance.core.services import record_save


def activity_save(
    *, activity: Activity, by: User | None, expected_version: int | None = None
) -> Activity:
    """Create or update an activity; a contact's account is filled in when none is given."""
    if activity.contact_id and not activity.account_id:
        activity.account_id = activity.contact.account_id
    if activity.pk is None:
        if activity.owner_id is None and by is not None:
            activity.owner = by
        if activity.organisation_id is None:
            activity.organisation = (
                by.organisation if by is not None and by.organisation_id else Organisation.company()
            )
    if activity.starts_at and activity.ends_at and activity.ends_at < activity.starts_at:
        raise ValidationError({"ends_at": _("The end must not be before the start.")})
    if activity.status == Activity.Status.DONE and activity.completed_at is None:
        activity.completed_at = timezone.now()
    if activity.status != Activity.Status.DONE:
        activity.completed_at = None
    return record_save(instance=activity, by=by, expected_version=expected_version)
