"""Web pages of configuration rules: the list as sentences, and administration."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from allyance.catalog.filters.products import RuleFilter
from allyance.catalog.forms.products import RuleForm
from allyance.catalog.models import ConfigurationRule
from allyance.catalog.selectors.products import rules_visible_to
from allyance.catalog.services import rules as services
from allyance.core.forms import form_errors_from
from allyance.core.views_admin import admin_required

PAGE_SIZE = 200


@login_required
def rule_list(request: HttpRequest) -> HttpResponse:
    """The rules the user may read, each as a sentence; filter by kind or product."""
    filterset = RuleFilter(request.GET, queryset=rules_visible_to(request.user))
    rules = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    rules = list(rules.order_by("product__name", "id")[:PAGE_SIZE])
    rows = [(rule, services.rule_sentence(rule)) for rule in rules]
    return render(
        request,
        "catalog/rule_list.html",
        {"rows": rows, "filterset": filterset, "may_edit": request.user.is_admin},
    )


def _form_page(request, rule: ConfigurationRule, *, title, delete_url=None) -> HttpResponse:
    form = RuleForm(request.POST or None, instance=rule)
    cancel_url = reverse("catalog:rule-list")
    if request.method == "POST" and form.is_valid():
        try:
            services.rule_save(rule=form.save(commit=False), by=request.user)
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(cancel_url)
    return render(
        request,
        "core/admin_form.html",
        {"form": form, "title": title, "cancel_url": cancel_url, "delete_url": delete_url},
    )


@admin_required
def rule_create(request: HttpRequest) -> HttpResponse:
    rule = ConfigurationRule()
    if request.GET.get("product", "").isdigit():
        rule.product_id = int(request.GET["product"])
    return _form_page(request, rule, title=_("New configuration rule"))


@admin_required
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(ConfigurationRule, pk=pk)
    return _form_page(
        request,
        rule,
        title=_("Configuration rule"),
        delete_url=reverse("catalog:rule-delete", args=[rule.pk]),
    )


@admin_required
@require_POST
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(ConfigurationRule, pk=pk)
    services.rule_delete(rule=rule, by=request.user)
    messages.success(request, _("Rule deleted."))
    return redirect("catalog:rule-list")
