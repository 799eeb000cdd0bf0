"""The quote and invoice settings page (administrators)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from allyance.core.forms import form_errors_from
from allyance.core.views_admin import admin_required
from allyance.orders.forms.settings import OrderSettingsForm
from allyance.orders.models import OrderSettings
from allyance.orders.services.quotes import order_settings_save


@admin_required
def order_settings(request: HttpRequest) -> HttpResponse:
    """Discount approval threshold, quote validity, payment terms and default terms."""
    current = OrderSettings.current()
    form = OrderSettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        try:
            order_settings_save(settings_row=form.save(commit=False), by=request.user)
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("orders:settings")
    return render(
        request,
        "orders/order_settings.html",
        {
            "form": form,
            "title": _("Quote and invoice settings"),
            "cancel_url": reverse("core:admin-home"),
        },
        status=400 if request.method == "POST" else 200,
    )
