"""Web pages for generated documents: the template pages administrators keep, and the
generate and e-mail actions of the documents panel on quotes, orders and invoices."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from allyance.core.forms import form_errors_from
from allyance.core.visibility import visible_to
from allyance.orders.forms.documents import (
    DocumentEmailForm,
    DocumentGenerateForm,
    DocumentTemplateForm,
    TemplatePreviewForm,
)
from allyance.orders.models import DocumentKind, DocumentTemplate
from allyance.orders.selectors import documents as selectors
from allyance.orders.services import documents as services

# --- Templates (administrators) -----------------------------------------------------------


def _admin_only(request: HttpRequest) -> None:
    if not request.user.is_admin:
        raise PermissionDenied


@login_required
def document_template_list(request: HttpRequest) -> HttpResponse:
    """Templates by kind and language; the shipped ones are created on the first visit."""
    _admin_only(request)
    services.ensure_default_templates()
    templates = selectors.document_templates_visible_to(request.user)
    kind = request.GET.get("kind", "")
    language = request.GET.get("language", "")
    if kind:
        templates = templates.filter(kind=kind)
    if language:
        templates = templates.filter(language=language)
    return render(
        request,
        "orders/document_template_list.html",
        {
            "templates": templates.order_by("kind", "language", "-is_default", "name"),
            "kinds": DocumentKind.choices,
            "kind": kind,
            "language": language,
        },
    )


def _template_form_page(request: HttpRequest, template: DocumentTemplate, title: str):
    form = DocumentTemplateForm(request.POST or None, instance=template)
    if request.method == "POST" and form.is_valid():
        try:
            template = services.document_template_save(
                template=form.save(commit=False), by=request.user
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Saved %(name)s.") % {"name": template.name})
            return redirect("orders:document-template-edit", template.pk)
    return render(
        request,
        "orders/document_template_form.html",
        {
            "form": form,
            "title": title,
            "template_record": template if template.pk else None,
            "placeholders": services.PLACEHOLDERS,
            "preview_form": TemplatePreviewForm(),
            "example_variable": "{{ account.name }}",
            "example_loop": "{% for line in lines %} … {% endfor %}",
        },
    )


@login_required
def document_template_create(request: HttpRequest) -> HttpResponse:
    _admin_only(request)
    template = DocumentTemplate(is_default=False)
    copy_of = request.GET.get("copy")
    if copy_of and request.method != "POST":
        source = selectors.document_templates_visible_to(request.user).filter(pk=copy_of).first()
        if source is not None:
            template = DocumentTemplate(
                kind=source.kind,
                language=source.language,
                name=_("Copy of %(name)s") % {"name": source.name},
                body=source.body,
                is_default=False,
            )
    return _template_form_page(request, template, _("New document template"))


@login_required
def document_template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _admin_only(request)
    template = get_object_or_404(selectors.document_templates_visible_to(request.user), pk=pk)
    return _template_form_page(request, template, _("Edit %(name)s") % {"name": template.name})


@login_required
@require_POST
def document_template_set_default(request: HttpRequest, pk: int) -> HttpResponse:
    _admin_only(request)
    template = get_object_or_404(selectors.document_templates_visible_to(request.user), pk=pk)
    try:
        services.document_template_set_default(template=template, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(name)s is now the default.") % {"name": template.name})
    return redirect("orders:document-template-list")


@login_required
@require_POST
def document_template_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    """Deactivate an active template, or activate an inactive one."""
    _admin_only(request)
    template = get_object_or_404(selectors.document_templates_visible_to(request.user), pk=pk)
    template = services.document_template_set_active(
        template=template, active=not template.active, by=request.user
    )
    if template.active:
        messages.success(request, _("%(name)s is active again.") % {"name": template.name})
    else:
        messages.success(request, _("%(name)s is deactivated.") % {"name": template.name})
    return redirect("orders:document-template-list")


@login_required
def document_template_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The template as a PDF, for sample data or for a quote, order or invoice by number."""
    _admin_only(request)
    template = get_object_or_404(selectors.document_templates_visible_to(request.user), pk=pk)
    form = TemplatePreviewForm(request.GET or None)
    record = None
    if form.is_valid() and form.cleaned_data["record_type"] and form.cleaned_data["number"]:
        model = selectors.DOCUMENT_RECORD_MODELS[form.cleaned_data["record_type"]]
        record = (
            visible_to(request.user, model._default_manager.all())
            .filter(number=form.cleaned_data["number"].strip())
            .order_by("-pk")
            .first()
        )
        if record is None:
            messages.error(request, _("No such record that you can see."))
            return redirect("orders:document-template-edit", template.pk)
    try:
        pdf = services.document_preview_pdf(template=template, record=record, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("orders:document-template-edit", template.pk)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="preview.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- The documents panel's actions ---------------------------------------------------------


def _back(request: HttpRequest, record) -> HttpResponse:
    """Back to where the form was posted from (the record's page)."""
    for candidate in (request.POST.get("next"), request.META.get("HTTP_REFERER")):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return redirect(candidate)
    url = getattr(record, "get_absolute_url", None)
    return redirect(url() if url is not None else "/")


def _panel_with_error(request: HttpRequest, record, error: str, **extra) -> HttpResponse:
    return render(
        request,
        "orders/includes/documents_panel.html",
        {"record": record, "documents_error": error, **extra},
    )


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@login_required
@require_POST
def document_generate(request: HttpRequest, record_type: str, record_id: int) -> HttpResponse:
    """Make a PDF for a quote, order or invoice the user sees (another partner's: 404)."""
    record = selectors.document_record_or_404(request.user, record_type, record_id)
    form = DocumentGenerateForm(request.POST, kinds=services.kinds_for(record))
    error = None
    if form.is_valid():
        try:
            document = services.document_generate(
                record,
                kind=form.cleaned_data["kind"],
                language=form.cleaned_data["language"],
                by=request.user,
            )
        except ValidationError as exc:
            error = _error_text(exc)
        except PermissionDenied as exc:
            raise Http404 from exc
    else:
        error = " ".join(message for errors in form.errors.values() for message in errors)
    if error is None:
        messages.success(
            request,
            _("%(name)s is ready.") % {"name": document.attachment.name},
        )
        if request.htmx:
            return HttpResponseClientRefresh()  # the files panel lists the new PDF too
        return _back(request, record)
    if request.htmx:
        return _panel_with_error(request, record, error)
    messages.error(request, error)
    return _back(request, record)


@login_required
@require_POST
def document_email(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue a document's PDF for e-mail to the record's contact (or the given addresses)."""
    document = get_object_or_404(selectors.documents_visible_to(request.user), pk=pk)
    record = document.target
    if record is None:
        raise Http404
    form = DocumentEmailForm(request.POST)
    error = None
    if form.is_valid():
        try:
            addresses = services.document_email(
                document,
                by=request.user,
                to=form.cleaned_data["to"],
                message=form.cleaned_data["message"],
            )
        except ValidationError as exc:
            error = _error_text(exc)
        except PermissionDenied as exc:
            raise Http404 from exc
    else:
        error = " ".join(message for errors in form.errors.values() for message in errors)
    if error is None:
        messages.success(
            request,
            _("The PDF is being e-mailed to %(to)s.") % {"to": ", ".join(addresses)},
        )
        if request.htmx:
            return HttpResponseClientRefresh()
        return _back(request, record)
    if request.htmx:
        return _panel_with_error(request, record, error, email_error_for=document.pk)
    messages.error(request, error)
    return _back(request, record)
