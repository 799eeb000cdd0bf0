"""Web pages for attachments: upload onto a record, download, delete with confirmation.

Every page reaches the file through the visibility gate of its record; a file the
user may not see is a 404. Uploads work as a plain form and, with htmx, in place.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from allyance.core.attachments import (
    attachment_add,
    attachment_delete,
    attachment_download_response,
    attachments_visible_to,
    may_delete,
)
from allyance.core.models import Attachment
from allyance.core.record_types import record_model_for
from allyance.core.visibility import get_visible_or_404


class AttachmentUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File"))


def _record_url(record) -> str:
    url = getattr(record, "get_absolute_url", None)
    return url() if url is not None else "/"


def _visible_attachment_or_404(request: HttpRequest, pk: int) -> Attachment:
    return get_object_or_404(attachments_visible_to(request.user), pk=pk)


@login_required
@require_POST
def attachment_upload(request: HttpRequest, target_type: str, target_id: int) -> HttpResponse:
    """Attach the posted file to a record the user can see; errors come back beside the field."""
    model = record_model_for(target_type)
    if model is None:
        raise Http404
    record = get_visible_or_404(request.user, model._default_manager.all(), pk=target_id)
    form = AttachmentUploadForm(request.POST, request.FILES)
    error = None
    if form.is_valid():
        try:
            attachment = attachment_add(
                target=record, uploaded_file=form.cleaned_data["file"], by=request.user
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        except PermissionDenied as exc:
            raise Http404 from exc
    else:
        error = " ".join(form.errors.get("file", [])) or _("Choose a file.")
    if error is None:
        messages.success(request, _("Attached %(name)s.") % {"name": attachment.name})
        if request.htmx:
            return HttpResponseClientRefresh()  # the timeline lists the new file too
        return redirect(_record_url(record))
    if request.htmx:
        return render(
            request, "core/attachments_panel.html", {"record": record, "upload_error": error}
        )
    messages.error(request, error)
    return redirect(_record_url(record))


@login_required
def attachment_download(request: HttpRequest, pk: int) -> HttpResponse:
    """Stream the file as a download, never as a page."""
    return attachment_download_response(_visible_attachment_or_404(request, pk))


@login_required
def attachment_delete_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask first; on POST delete the file and go back to its record."""
    attachment = _visible_attachment_or_404(request, pk)
    record = attachment.target
    if not may_delete(request.user, attachment):
        raise PermissionDenied
    if request.method == "POST":
        try:
            attachment_delete(attachment=attachment, by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Deleted %(name)s.") % {"name": attachment.name})
        return redirect(_record_url(record))
    return render(
        request,
        "core/attachment_confirm_delete.html",
        {"attachment": attachment, "record": record, "cancel_url": _record_url(record)},
    )
