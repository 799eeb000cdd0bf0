"""Target pages (list with attainment, create, edit, delete) and the alert settings page.

Staff see the targets `targets_visible_to` allows; administrators and sales managers change
them through `services.targets`. Partners and portal customers get 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from allyance.core.views_admin import admin_required
from allyance.sales.forms.targets import AlertSettingsForm, TargetForm
from allyance.sales.models import AlertSettings, Target
from allyance.sales.selectors.reports import attainment, targets_visible_to
from allyance.sales.services.alerts import alert_settings_save
from allyance.sales.services.targets import may_plan_targets, target_delete, target_save


def staff_required(view):
    @login_required
    def wrapped(request, *args, **kwargs):
        if not request.user.is_internal:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _planner_required(request: HttpRequest) -> None:
    if not may_plan_targets(request.user):
        raise PermissionDenied


@staff_required
def target_list(request: HttpRequest) -> HttpResponse:
    """Targets the user may see, newest period first, with attainment to date."""
    targets = targets_visible_to(request.user).order_by("-period_start", "id")
    period = request.GET.get("period")
    if period in Target.Period.values:
        targets = targets.filter(period=period)
    rows = [{"target": t, **attainment(request.user, t)} for t in targets[:200]]
    return render(
        request,
        "sales/target_list.html",
        {
            "rows": rows,
            "may_edit": may_plan_targets(request.user),
            "period": period or "",
            "periods": Target.Period.choices,
        },
    )


def _form_page(request: HttpRequest, target: Target, title: str) -> HttpResponse:
    form = TargetForm(request.POST or None, instance=target, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            target_save(target=form.save(commit=False), by=request.user)
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            messages.success(request, _("Saved."))
            return redirect("sales:target-list")
    return render(
        request,
        "sales/target_form.html",
        {
            "form": form,
            "title": title,
            "target": target,
            "cancel_url": reverse("sales:target-list"),
        },
    )


@staff_required
def target_create(request: HttpRequest) -> HttpResponse:
    _planner_required(request)
    return _form_page(request, Target(), _("New target"))


@staff_required
def target_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _planner_required(request)
    target = get_object_or_404(targets_visible_to(request.user), pk=pk)
    return _form_page(request, target, _("Edit target %(target)s") % {"target": target})


@staff_required
def target_delete_page(request: HttpRequest, pk: int) -> HttpResponse:
    _planner_required(request)
    target = get_object_or_404(targets_visible_to(request.user), pk=pk)
    if request.method != "POST":
        return redirect("sales:target-edit", pk=pk)
    target_delete(target=target, by=request.user)
    messages.success(request, _("Deleted the target %(target)s.") % {"target": target})
    return redirect("sales:target-list")


@admin_required
def alert_settings(request: HttpRequest) -> HttpResponse:
    """The large-deal threshold (administrators only)."""
    current = AlertSettings.current()
    form = AlertSettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        try:
            alert_settings_save(
                by=request.user,
                large_deal_amount=form.cleaned_data["large_deal_amount"],
                large_deal_currency=form.cleaned_data["large_deal_currency"],
            )
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            messages.success(request, _("Saved."))
            return redirect("sales:alert-settings")
    return render(
        request,
        "core/admin_form.html",
        {"form": form, "title": _("Sales alerts"), "cancel_url": reverse("core:admin-home")},
    )
