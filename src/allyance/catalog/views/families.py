"""Web pages of the catalog's reference data: the family tree and the tax classes.

Every signed-in user reads them; administrators add, change and delete (403 otherwise).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from allyance.catalog.forms.products import FamilyForm, TaxClassForm
from allyance.catalog.models import ProductFamily, TaxClass
from allyance.catalog.selectors.products import (
    families_visible_to,
    products_visible_to,
    tax_classes_visible_to,
    tree_of,
)
from allyance.catalog.services import families as services
from allyance.core.forms import form_errors_from
from allyance.core.views_admin import admin_required


def _form_page(request, *, form, save, title, cancel_url, delete_url=None) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        try:
            save(form.save(commit=False))
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


def _delete(request, *, delete, success: str, back: str) -> HttpResponse:
    try:
        delete()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, success)
    return redirect(back)


# --- Families --------------------------------------------------------------------------


@login_required
def family_list(request: HttpRequest) -> HttpResponse:
    """The family tree with the number of products each family holds (visible ones)."""
    counts = dict(
        products_visible_to(request.user)
        .order_by()
        .values_list("family_id")
        .annotate(count=Count("id"))
        .values_list("family_id", "count")
    )
    rows = [
        (family, depth, counts.get(family.pk, 0))
        for family, depth in tree_of(families_visible_to(request.user))
    ]
    return render(
        request, "catalog/family_list.html", {"rows": rows, "may_edit": request.user.is_admin}
    )


@admin_required
def family_create(request: HttpRequest) -> HttpResponse:
    initial = {"parent": request.GET["parent"]} if request.GET.get("parent", "").isdigit() else {}
    return _form_page(
        request,
        form=FamilyForm(request.POST or None, initial=initial),
        save=lambda family: services.family_save(family=family, by=request.user),
        title=_("New product family"),
        cancel_url=reverse("catalog:family-list"),
    )


@admin_required
def family_edit(request: HttpRequest, pk: int) -> HttpResponse:
    family = get_object_or_404(ProductFamily, pk=pk)
    return _form_page(
        request,
        form=FamilyForm(request.POST or None, instance=family),
        save=lambda family: services.family_save(family=family, by=request.user),
        title=_("Product family"),
        cancel_url=reverse("catalog:family-list"),
        delete_url=reverse("catalog:family-delete", args=[family.pk]),
    )


@admin_required
@require_POST
def family_delete(request: HttpRequest, pk: int) -> HttpResponse:
    family = get_object_or_404(ProductFamily, pk=pk)
    return _delete(
        request,
        delete=lambda: services.family_delete(family=family, by=request.user),
        success=_("Family deleted."),
        back=reverse("catalog:family-list"),
    )


# --- Tax classes -----------------------------------------------------------------------


@login_required
def tax_class_list(request: HttpRequest) -> HttpResponse:
    tax_classes = tax_classes_visible_to(request.user).annotate(
        product_count=Count("products", distinct=True)
    )
    return render(
        request,
        "catalog/tax_class_list.html",
        {"tax_classes": tax_classes, "may_edit": request.user.is_admin},
    )


@admin_required
def tax_class_create(request: HttpRequest) -> HttpResponse:
    return _form_page(
        request,
        form=TaxClassForm(request.POST or None),
        save=lambda tax_class: services.tax_class_save(tax_class=tax_class, by=request.user),
        title=_("New tax class"),
        cancel_url=reverse("catalog:tax-class-list"),
    )


@admin_required
def tax_class_edit(request: HttpRequest, pk: int) -> HttpResponse:
    tax_class = get_object_or_404(TaxClass, pk=pk)
    return _form_page(
        request,
        form=TaxClassForm(request.POST or None, instance=tax_class),
        save=lambda tax_class: services.tax_class_save(tax_class=tax_class, by=request.user),
        title=_("Tax class"),
        cancel_url=reverse("catalog:tax-class-list"),
        delete_url=reverse("catalog:tax-class-delete", args=[tax_class.pk]),
    )


@admin_required
@require_POST
def tax_class_delete(request: HttpRequest, pk: int) -> HttpResponse:
    tax_class = get_object_or_404(TaxClass, pk=pk)
    return _delete(
        request,
        delete=lambda: services.tax_class_delete(tax_class=tax_class, by=request.user),
        success=_("Tax class deleted."),
        back=reverse("catalog:tax-class-list"),
    )
