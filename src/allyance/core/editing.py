"""The create/edit page every record type shares: errors beside the field, nothing lost."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from allyance.core.exceptions import ConflictError
from allyance.core.forms import form_errors_from


def record_form_page(
    request: HttpRequest,
    *,
    form_class,
    instance,
    save: Callable,
    title: str,
    cancel_url: str,
    initial: dict | None = None,
    template: str = "core/record_form.html",
) -> HttpResponse:
    """Show the form; on POST validate, call the service, and show its errors beside the fields."""
    form = form_class(
        request.POST or None,
        request.FILES or None,
        instance=instance,
        initial=initial,
        user=request.user,
    )
    if request.method == "POST" and form.is_valid():
        record = form.save(commit=False)
        try:
            record = save(
                record, by=request.user, expected_version=form.cleaned_data.get("version")
            )
            form.save_m2m_for(record)
        except ValidationError as exc:
            form_errors_from(form, exc)
        except ConflictError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Saved."))
            return redirect(record.get_absolute_url())
    return render(request, template, {"form": form, "title": title, "cancel_url": cancel_url})
