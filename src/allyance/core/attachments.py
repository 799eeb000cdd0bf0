"""Files attached to records: what may be uploaded, who sees them, how they are served.

A file is accepted only when its extension is on the allow-list *and* its content
matches that extension (detected with `filetype`; text files must decode as text
and must not look like HTML). Downloads never render in the browser: they go out
as attachments with a fixed type from the allow-list, `nosniff` and a sandboxing
Content-Security-Policy. Whether an attachment is visible is decided by the
visibility gate on the record it is attached to.
"""

from __future__ import annotations

import codecs
import os
import re
import unicodedata
import uuid
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import CharField, Model, Q, QuerySet
from django.db.models.functions import Cast
from django.db.models.signals import post_delete
from django.http import FileResponse, Http404
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from allyance.core import audit
from allyance.core.models import Attachment, BusinessModel, User
from allyance.core.record_types import record_models
from allyance.core.visibility import can_see, visibility_filter, visible_to


@dataclass(frozen=True)
class FileKind:
    """One allowed file type: the type it is served as and what its content must be."""

    content_type: str
    detected: frozenset[str] = frozenset()  # MIME types `filetype` may find in the content
    text: bool = False  # plain text: nothing binary detected, decodes as text, no markup
    ole: bool = False  # legacy Office file: an OLE2 compound document


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
ODP = "application/vnd.oasis.opendocument.presentation"
ZIP = "application/zip"
ZIP_BASED = frozenset({ZIP, DOCX, XLSX, PPTX, ODT, ODS, ODP})


def _kind(content_type: str, *detected: str, **flags) -> FileKind:
    return FileKind(content_type, frozenset(detected or (content_type,)), **flags)


ALLOWED_KINDS: dict[str, FileKind] = {
    "pdf": _kind("application/pdf"),
    "doc": _kind("application/msword", ole=True),
    "xls": _kind("application/vnd.ms-excel", ole=True),
    "ppt": _kind("application/vnd.ms-powerpoint", ole=True),
    "docx": _kind(DOCX, DOCX, ZIP),
    "xlsx": _kind(XLSX, XLSX, ZIP),
    "pptx": _kind(PPTX, PPTX, ZIP),
    "odt": _kind(ODT, ODT, ZIP),
    "ods": _kind(ODS, ODS, ZIP),
    "odp": _kind(ODP, ODP, ZIP),
    "rtf": _kind("application/rtf"),
    "png": _kind("image/png"),
    "jpg": _kind("image/jpeg"),
    "jpeg": _kind("image/jpeg"),
    "gif": _kind("image/gif"),
    "webp": _kind("image/webp"),
    "bmp": _kind("image/bmp"),
    "tif": _kind("image/tiff"),
    "tiff": _kind("image/tiff"),
    "heic": _kind("image/heic"),
    "txt": FileKind("text/plain", text=True),
    "csv": FileKind("text/csv", text=True),
    "zip": FileKind(ZIP, ZIP_BASED),
}
SAFE_CONTENT_TYPES = frozenset(kind.content_type for kind in ALLOWED_KINDS.values())
ACCEPT_ATTRIBUTE = ",".join(f".{extension}" for extension in ALLOWED_KINDS)
SNIFF_BYTES = 8192

# What a browser would take for HTML, SVG or XML at the start of a file, or script anywhere.
MARKUP_START = re.compile(
    r"^\s*<(?:!doctype|html|head|body|script|iframe|svg|\?xml|!--|h1|div|font|table|a|"
    r"style|title|b|br|p|object|embed|meta|link|img)[\s>/]",
    re.IGNORECASE,
)
MARKUP_ANYWHERE = re.compile(r"<(?:script|html|svg|iframe|object|embed)\b", re.IGNORECASE)


def display_name(raw: str | None) -> str:
    """The uploaded name without folders, control or direction-override characters, ≤ 255."""
    name = unicodedata.normalize("NFC", raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if len(name) > 255:
        stem, extension = os.path.splitext(name)
        name = stem[: 255 - len(extension)] + extension
    return name or "file"


def _decoded_text(head: bytes) -> str | None:
    """The start of a file as text, or None when it is not text."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return head.decode("utf-16", errors="ignore")
    if b"\x00" in head:
        return None
    for encoding in ("utf-8-sig", "gb18030"):  # UTF-8, or the GBK family Chinese Excel writes
        try:
            return codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
    return None


def file_kind_problem(name: str, head: bytes) -> tuple[FileKind | None, str | None]:
    """The allowed kind of a file from its name and first bytes, or the reason it is refused."""
    extension = os.path.splitext(name)[1].lower().lstrip(".")
    kind = ALLOWED_KINDS.get(extension)
    if kind is None:
        return None, _(
            "Files of this type cannot be attached. Attach PDF, office documents, images "
            "(not SVG), text, CSV or ZIP files."
        )
    detected = filetype.guess_mime(head)
    if kind.text:
        text = _decoded_text(head) if detected is None else None
        if text is None:
            return None, _("This file is not a text file, although its name says so.")
        if MARKUP_START.match(text.lstrip("\ufeff")) or MARKUP_ANYWHERE.search(text):
            return None, _("Web pages and scripts cannot be attached.")
        return kind, None
    if detected in kind.detected or (kind.ole and head.startswith(OLE_MAGIC)):
        return kind, None
    return None, _("The content of this file does not match its name (.%(extension)s).") % {
        "extension": extension
    }


def attachment_add(*, target: Model, uploaded_file: UploadedFile, by: User) -> Attachment:
    """Attach an uploaded file to a record `by` can see, after the size and type checks.

    The file is stored under a random name; the name people see is kept apart.
    """
    if not isinstance(target, BusinessModel) or target.pk is None or not can_see(by, target):
        raise PermissionDenied(_("You cannot attach files to this record."))
    if not may_change_files_of(by, target):
        raise PermissionDenied(_("Only administrators change the files of the catalog."))
    if target.files_locked():
        raise ValidationError({"file": [_("The files of this record can no longer change.")]})
    name = display_name(uploaded_file.name)
    size = uploaded_file.size or 0
    if size == 0:
        raise ValidationError({"file": [_("The file is empty.")]})
    if size > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            {
                "file": [
                    _("The file is too large (%(size)s); the limit is %(limit)s.")
                    % {
                        "size": filesizeformat(size),
                        "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES),
                    }
                ]
            }
        )
    uploaded_file.seek(0)
    head = uploaded_file.read(SNIFF_BYTES)
    uploaded_file.seek(0)
    kind, problem = file_kind_problem(name, head)
    if problem is not None:
        raise ValidationError({"file": [problem]})
    extension = os.path.splitext(name)[1].lower()
    attachment = Attachment(
        content_type=ContentType.objects.get_for_model(target),
        object_id=str(target.pk),
        name=name,
        size=size,
        mime_type=kind.content_type,
        uploaded_by=by,
    )
    attachment.file.save(f"{uuid.uuid4().hex}{extension}", uploaded_file, save=False)
    try:
        with audit.acting_as(by), transaction.atomic():
            attachment.save()
    except BaseException:
        attachment.file.storage.delete(attachment.file.name)
        raise
    return attachment


def _files_kept_by_company(model: type[Model] | None, user: User) -> bool:
    """Files only the company changes: those of centrally maintained records (products,
    price lists) are changed by administrators, and those of records the company keeps about
    a partner (`files_by_company_only`, e.g. its signed agreements) by company staff."""
    if getattr(model, "centrally_maintained", False):
        return not user.is_admin
    return getattr(model, "files_by_company_only", False) and not user.is_internal


def may_change_files_of(user: User, target: Model) -> bool:
    return not _files_kept_by_company(type(target), user)


def may_delete(user: User, attachment: Attachment) -> bool:
    """Whoever sees the record may remove its files; portal customers only the files they added.

    The files only the company changes (see `_files_kept_by_company`) stay out of reach.
    """
    if _files_kept_by_company(attachment.content_type.model_class(), user):
        return False
    return not user.is_customer or attachment.uploaded_by_id == user.pk


def _target_visible(user: User, attachment: Attachment) -> bool:
    """The attachment's record is visible to `user`; a file whose record is gone only to
    those who see every record of its type (as `attachments_visible_to` lists it)."""
    target = attachment.target
    if target is not None:
        return can_see(user, target)
    model = attachment.content_type.model_class()
    return model is not None and visibility_filter(user, model) is None


def attachment_delete(*, attachment: Attachment, by: User) -> None:
    """Delete an attachment and, once the transaction commits, its stored file (audited)."""
    if not _target_visible(by, attachment) or not may_delete(by, attachment):
        raise PermissionDenied(_("You cannot delete this file."))
    target = attachment.target
    if target is not None:  # as stored now, not as cached on the attachment
        target = type(target)._default_manager.filter(pk=target.pk).first()
    if target is not None and target.files_locked():
        raise ValidationError(_("The files of this record can no longer change."))
    storage, stored_name = attachment.file.storage, attachment.file.name
    with audit.acting_as(by), transaction.atomic():
        attachment.delete()
        transaction.on_commit(lambda: storage.delete(stored_name))


def attachments_visible_to(user: User, target: Model | None = None) -> QuerySet[Attachment]:
    """The attachments of `target` (or of every record) that `user` may see.

    An attachment is visible exactly when the record it hangs on is visible.
    """
    attachments = Attachment.objects.select_related("uploaded_by", "content_type")
    if target is not None:
        if not isinstance(target, BusinessModel) or not can_see(user, target):
            return attachments.none()
        return attachments.filter(
            content_type=ContentType.objects.get_for_model(target), object_id=str(target.pk)
        )
    condition = Q(pk__in=[])
    for model in record_models():
        content_type = ContentType.objects.get_for_model(model)
        if visibility_filter(user, model) is None:
            condition |= Q(content_type=content_type)
            continue
        visible_ids = (
            visible_to(user, model._default_manager.all())
            .annotate(attachment_object_id=Cast("pk", CharField()))
            .values("attachment_object_id")
        )
        condition |= Q(content_type=content_type, object_id__in=visible_ids)
    return attachments.filter(condition)


def attachment_download_response(attachment: Attachment) -> FileResponse:
    """The file as a download that no browser renders or runs."""
    content_type = attachment.mime_type
    if content_type not in SAFE_CONTENT_TYPES:
        content_type = "application/octet-stream"
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.name, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def attachments_delete_for(*, target: Model) -> int:
    """Delete the attachments of a record that is being deleted, and their files on commit."""
    attachments = list(
        Attachment.objects.filter(
            content_type=ContentType.objects.get_for_model(type(target)), object_id=str(target.pk)
        )
    )
    for attachment in attachments:
        storage, stored_name = attachment.file.storage, attachment.file.name
        attachment.delete()
        transaction.on_commit(lambda s=storage, n=stored_name: s.delete(n))
    return len(attachments)


def _on_record_deleted(sender, instance, **kwargs) -> None:
    if issubclass(sender, BusinessModel):
        attachments_delete_for(target=instance)


def connect_signals() -> None:
    """Files go with their record, also when it is deleted by a cascade (an account's activities)."""
    post_delete.connect(_on_record_deleted, dispatch_uid="attachments_follow_record")
