"""Web pages for import (upload → mapping and dry run → run → progress and result) and export."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from allyance.core import exports, imports
from allyance.core.forms import StyledFormMixin, form_errors_from
from allyance.core.models import ImportJob

FINISHED = {ImportJob.Status.PREVIEWED, ImportJob.Status.DONE, ImportJob.Status.FAILED}
REPORTS_SHOWN = 500


class ImportUploadForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            "CSV (UTF-8, GB18030/GBK or Big5) or Excel .xlsx; the first row names the columns."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx"}),
    )
    target = forms.ChoiceField(label=gettext_lazy("Import into"))
    encoding = forms.ChoiceField(
        label=gettext_lazy("Encoding (CSV)"), choices=imports.ENCODING_CHOICES, required=False
    )
    on_duplicate = forms.ChoiceField(
        label=gettext_lazy("When a row repeats an existing record"),
        choices=ImportJob.OnDuplicate.choices,
        initial=ImportJob.OnDuplicate.SKIP,
    )
    skip_invalid_rows = forms.BooleanField(
        label=gettext_lazy("Import the valid rows and skip the bad ones"), required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Only what the user may import into is offered.
        self.fields["target"].choices = [(t.key, t.label) for t in imports.targets_for(user)]


class ImportMappingForm(StyledFormMixin, forms.Form):
    """One choice per column of the file, plus the options the dry run and the run use."""

    encoding = forms.ChoiceField(label=gettext_lazy("Encoding"), required=False)
    on_duplicate = forms.ChoiceField(
        label=gettext_lazy("When a row repeats an existing record"),
        choices=ImportJob.OnDuplicate.choices,
    )
    skip_invalid_rows = forms.BooleanField(
        label=gettext_lazy("Import the valid rows and skip the bad ones"), required=False
    )

    def __init__(self, *args, job: ImportJob, table: imports.Table, **kwargs):
        self.job, self.table = job, table
        target = imports.target_for(job.target)
        initial = {
            "encoding": job.encoding,
            "on_duplicate": job.on_duplicate,
            "skip_invalid_rows": job.skip_invalid_rows,
        }
        field_choices = [("", _("— do not import —")), *imports.field_choices(target)]
        self.columns = []
        for position, header in enumerate(table.headers):
            name = f"column_{position}"
            initial[name] = job.mapping.get(str(position), "")
            samples = [cells[position] for _line, cells in table.rows[:3] if cells[position]]
            self.columns.append((name, header, samples))
        super().__init__(*args, initial=initial, **kwargs)
        for name, header, _samples in self.columns:
            self.fields[name] = forms.ChoiceField(
                label=header, choices=field_choices, required=False
            )
            self.fields[name].widget.attrs["class"] = "form-select form-select-sm"
        encodings = list(imports.ENCODING_CHOICES)
        if job.encoding and job.encoding not in dict(encodings):
            encodings.append((job.encoding, job.encoding))
        self.fields["encoding"].choices = encodings
        if table.is_spreadsheet:
            del self.fields["encoding"]
        self.target = target

    def column_fields(self):
        return [(self[name], header, samples) for name, header, samples in self.columns]

    def mapping(self) -> dict[str, str]:
        return {
            name.removeprefix("column_"): self.cleaned_data.get(name, "")
            for name, _header, _samples in self.columns
        }

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("encoding", self.job.encoding) != self.job.encoding:
            return cleaned  # a new encoding re-reads the file and maps its headers afresh
        first_column: dict[str, str] = {}
        for name, _header, _samples in self.columns:
            value = cleaned.get(name)
            if value and value in first_column:
                self.add_error(name, _("This field is already chosen for another column."))
            first_column.setdefault(value, name)
        if not self.errors:
            for problem in imports.mapping_problems(self.mapping(), self.target):
                self.add_error(None, problem)
        return cleaned


def _job_or_404(request: HttpRequest, pk: int) -> ImportJob:
    return get_object_or_404(imports.import_jobs_of(request.user), pk=pk)


def _require_import_permission(request: HttpRequest) -> None:
    if not imports.can_import(request.user):
        raise PermissionDenied


@login_required
def import_new(request: HttpRequest) -> HttpResponse:
    """Upload a file; it is dry-run at once with the columns mapped from its headers."""
    _require_import_permission(request)
    target = request.GET.get("target", "accounts")
    form = ImportUploadForm(
        request.POST or None, request.FILES or None, initial={"target": target}, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        try:
            job = imports.import_job_create(
                by=request.user,
                target=form.cleaned_data["target"],
                upload=form.cleaned_data["file"],
                encoding=form.cleaned_data["encoding"],
                on_duplicate=form.cleaned_data["on_duplicate"],
                skip_invalid_rows=form.cleaned_data["skip_invalid_rows"],
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            imports.import_job_start(job=job, dry_run=True)
            return redirect("core:import-detail", pk=job.pk)
    recent = imports.import_jobs_of(request.user)[:10]
    return render(request, "core/import_upload.html", {"form": form, "recent": recent})


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The job as its state calls for: mapping and dry-run results, progress, or the result."""
    job = _job_or_404(request, pk)
    if job.status in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING):
        return render(request, "core/import_progress.html", _progress_context(job))
    reports = {
        kind: [r for r in job.errors if r["kind"] == kind] for kind in ("error", "duplicate")
    }
    context = {
        "job": job,
        "target": imports.target_for(job.target),
        "bad_rows": reports["error"][:REPORTS_SHOWN],
        "bad_row_count": len(reports["error"]),
        "duplicates": reports["duplicate"][:REPORTS_SHOWN],
        "duplicate_count": len(reports["duplicate"]),
        "reports_shown": REPORTS_SHOWN,
    }
    if job.status == ImportJob.Status.DONE:
        list_url = context["target"].list_url
        context["list_url"] = reverse(list_url) if list_url else ""
        return render(request, "core/import_result.html", context)
    try:
        table = imports.read_job_table(job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("core:import-new")
    form = ImportMappingForm(request.POST or None, job=job, table=table)
    if request.method == "POST" and form.is_valid():
        try:
            imports.import_job_configure(
                job=job,
                mapping=form.mapping(),
                encoding=form.cleaned_data.get("encoding", job.encoding) or "",
                on_duplicate=form.cleaned_data["on_duplicate"],
                skip_invalid_rows=form.cleaned_data["skip_invalid_rows"],
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            imports.import_job_start(job=job, dry_run=True)
            return redirect("core:import-detail", pk=job.pk)
    context.update(
        form=form,
        columns=imports.import_job_columns(job, table),
        sample=imports.import_job_sample(job, table),
        can_run=job.status == ImportJob.Status.PREVIEWED,
    )
    return render(request, "core/import_preview.html", context)


@login_required
@require_POST
def import_run(request: HttpRequest, pk: int) -> HttpResponse:
    """Run a previewed job: inline when small, else in the background."""
    job = _job_or_404(request, pk)
    try:
        imports.import_job_start(job=job, dry_run=False)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("core:import-detail", pk=job.pk)


def _progress_context(job: ImportJob) -> dict:
    processed = imports.import_job_progress(job)
    percent = int(processed * 100 / job.total_rows) if job.total_rows else 0
    return {"job": job, "processed": processed, "percent": min(percent, 100)}


@login_required
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bar the progress page polls; sends the browser on when the job is done."""
    job = _job_or_404(request, pk)
    if job.status in FINISHED:
        url = reverse("core:import-detail", args=[job.pk])
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    return render(request, "core/import_progress_bar.html", _progress_context(job))


@login_required
def import_report(request: HttpRequest, pk: int) -> HttpResponse:
    """Every row report of a job (bad rows and duplicates) as a CSV file."""
    job = _job_or_404(request, pk)
    return exports.row_report_response(job=job)


@login_required
def export_records(request: HttpRequest, target: str) -> HttpResponse:
    """Export what the list page shows: its filters, its search and the visibility gate."""
    try:
        chosen = imports.target_for(target)
    except ValidationError:
        raise Http404 from None
    if not chosen.record_list:  # exported by its own pages (partners, registrations, MDF)
        raise Http404
    record_list = import_string(chosen.record_list)
    file_format = request.GET.get("format", "csv")
    if file_format not in ("csv", "xlsx"):
        return HttpResponseBadRequest(_("Choose the format csv or xlsx."))
    _filterset, queryset = record_list.queryset(request)
    ordering = record_list.ordering(request)
    queryset = queryset.order_by(ordering, "-id" if ordering.startswith("-") else "id")
    if file_format == "xlsx":
        return exports.export_xlsx_response(target=chosen, queryset=queryset)
    return exports.export_csv_response(target=chosen, queryset=queryset)
