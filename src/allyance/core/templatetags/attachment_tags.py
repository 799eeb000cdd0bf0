"""Template tags for the attachments panel on record pages."""

from django import template
from django.conf import settings
from django.urls import reverse

from allyance.core.attachments import (
    ACCEPT_ATTRIBUTE,
    attachments_visible_to,
    may_change_files_of,
    may_delete,
)
from allyance.core.record_types import record_type_key

register = template.Library()


@register.simple_tag(takes_context=True)
def attachment_panel(context, record) -> dict:
    """The files of `record` the current user may see, and where to upload another."""
    user = context["request"].user
    files = list(attachments_visible_to(user, record)[:200])
    for attachment in files:
        attachment.deletable = may_delete(user, attachment) and not record.files_locked()
    return {
        "can_upload": may_change_files_of(user, record) and not record.files_locked(),
        "files": files,
        "upload_url": reverse("core:attachment-upload", args=[record_type_key(record), record.pk]),
        "accept": ACCEPT_ATTRIBUTE,
        "max_bytes": settings.ATTACHMENT_MAX_BYTES,
    }
