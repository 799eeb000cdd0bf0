"""Web pages of the catalog's products: list, detail, create/edit (administrators), image,
bundle components and options.

Everyone reads the products the gate shows (partners and customers: the active ones);
only administrators see the edit buttons and reach the edit pages (403 otherwise).
"""

from __future__ import annotations

import dataclasses

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from allyance.activities.models import Activity
from allyance.catalog.filters.products import ProductFilter
from allyance.catalog.forms.products import (
    BundleComponentForm,
    OptionForm,
    OptionValueFormSet,
    ProductForm,
)
from allyance.catalog.models import BundleComponent, Product, ProductOption
from allyance.catalog.selectors.products import (
    family_path,
    product_detail_queryset,
    products_visible_to,
    rules_involving,
    rules_visible_to,
)
from allyance.catalog.services import products as services
from allyance.catalog.services.rules import rule_sentence
from allyance.core.attachments import attachments_visible_to
from allyance.core.editing import record_form_page
from allyance.core.exceptions import ConflictError
from allyance.core.forms import form_errors_from
from allyance.core.listing import Column, RecordList
from allyance.core.timeline import timeline_for
from allyance.core.views_admin import admin_required
from allyance.core.visibility import get_visible_or_404

PRODUCT_LIST = RecordList(
    selector=products_visible_to,
    filterset_class=ProductFilter,
    title=gettext_lazy("Products"),
    columns=[
        Column("sku", gettext_lazy("SKU"), sort="sku", link=True),
        Column("name", gettext_lazy("Name"), sort="name", link=True),
        Column("family__name", gettext_lazy("Family"), sort="family__name"),
        Column("kind", gettext_lazy("Kind"), sort="kind"),
        Column("unit", gettext_lazy("Unit")),
        Column("tax_class__name", gettext_lazy("Tax class")),
        Column("active_display", gettext_lazy("Status"), sort="active"),
        Column("updated_at", gettext_lazy("Updated"), sort="updated_at"),
    ],
    default_ordering="name",
    create_url=reverse_lazy("catalog:product-create"),
    export_url=reverse_lazy("core:export", kwargs={"target": "products"}),
    import_url=format_lazy("{}?target=products", reverse_lazy("core:import-new")),
    # Tagging is the only bulk change; deleting goes one by one through the usage check.
    bulk_actions=("add_tag",),
)


def product_list_for(user) -> RecordList:
    """The list as `user` may use it: only administrators create, import and tag."""
    if user.is_admin:
        return PRODUCT_LIST
    return dataclasses.replace(PRODUCT_LIST, create_url=None, import_url=None, bulk_actions=())


@login_required
def product_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and not request.user.is_admin:
        raise PermissionDenied
    return product_list_for(request.user).render(request)


def _product_or_404(request: HttpRequest, pk: int) -> Product:
    return get_visible_or_404(request.user, product_detail_queryset(request.user), pk=pk)


@login_required
def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    product = _product_or_404(request, pk)
    user = request.user
    rules = [
        (rule, rule_sentence(rule))
        for rule in rules_involving(product, rules_visible_to(user)).order_by("id")
    ]
    files = attachments_visible_to(user, product)
    return render(
        request,
        "catalog/product_detail.html",
        {
            "record": product,
            "may_edit": user.is_admin,
            "family_path": family_path(product.family),
            "options": product.options.all(),
            "components": product.components.all(),
            "in_bundles": BundleComponent.objects.filter(
                component=product, bundle__in=products_visible_to(user)
            ).select_related("bundle"),
            "rules": rules,
            "files": files,
            "timeline": timeline_for(
                product, activities=Activity.objects.none(), page=request.GET.get("timeline")
            ),
        },
    )


@login_required
def product_image(request: HttpRequest, pk: int) -> HttpResponse:
    """The product's image, served through the gate rather than from a public media URL."""
    product = get_visible_or_404(request.user, products_visible_to(request.user), pk=pk)
    if not product.image:
        raise Http404
    try:
        handle = product.image.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    head = handle.read(16)
    handle.seek(0)
    content_type = "application/octet-stream"
    if head.startswith(b"\xff\xd8"):
        content_type = "image/jpeg"
    elif head.startswith(b"\x89PNG"):
        content_type = "image/png"
    elif head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        content_type = "image/webp"
    response = FileResponse(handle, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _save(record, *, by, expected_version):
    return services.product_save(product=record, by=by, expected_version=expected_version)


@admin_required
def product_create(request: HttpRequest) -> HttpResponse:
    initial = {}
    if request.GET.get("family", "").isdigit():
        initial["family"] = request.GET["family"]
    return record_form_page(
        request,
        form_class=ProductForm,
        instance=Product(),
        save=_save,
        title=_("New product"),
        cancel_url=reverse("catalog:product-list"),
        initial=initial,
    )


@admin_required
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    product = get_object_or_404(Product, pk=pk)
    return record_form_page(
        request,
        form_class=ProductForm,
        instance=product,
        save=_save,
        title=_("Edit product"),
        cancel_url=product.get_absolute_url(),
    )


@admin_required
@require_POST
def product_delete(request: HttpRequest, pk: int) -> HttpResponse:
    product = get_object_or_404(Product, pk=pk)
    try:
        services.product_delete(product=product, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(product.get_absolute_url())
    messages.success(request, _("Product deleted."))
    return redirect("catalog:product-list")


@admin_required
@require_POST
def product_activate(request: HttpRequest, pk: int) -> HttpResponse:
    """Activate or deactivate (the normal way to take a product out of the catalog)."""
    product = get_object_or_404(Product, pk=pk)
    active = request.POST.get("active") == "1"
    version = request.POST.get("version", "")
    try:
        services.product_set_active(
            product=product,
            active=active,
            by=request.user,
            expected_version=int(version) if version.isdigit() else None,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except ConflictError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Product activated.") if active else _("Product deactivated."))
    return redirect(product.get_absolute_url())


# --- Bundle components -----------------------------------------------------------------


def _admin_page(request, *, form, save, title, cancel_url, delete_url=None, template=None):
    """Validate, call the service, go back to the product; errors stay beside the fields."""
    if request.method == "POST" and form.is_valid():
        try:
            save(form)
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(cancel_url)
    return render(
        request,
        template or "core/admin_form.html",
        {"form": form, "title": title, "cancel_url": cancel_url, "delete_url": delete_url},
    )


@admin_required
def component_add(request: HttpRequest, pk: int) -> HttpResponse:
    bundle = get_object_or_404(Product, pk=pk)
    return _admin_page(
        request,
        form=BundleComponentForm(request.POST or None, bundle=bundle),
        save=lambda form: services.bundle_component_save(
            component=form.save(commit=False), by=request.user
        ),
        title=_("Add a component to %(bundle)s") % {"bundle": bundle},
        cancel_url=bundle.get_absolute_url(),
    )


@admin_required
def component_edit(request: HttpRequest, pk: int, component_pk: int) -> HttpResponse:
    component = get_object_or_404(BundleComponent, pk=component_pk, bundle_id=pk)
    return _admin_page(
        request,
        form=BundleComponentForm(request.POST or None, instance=component, bundle=component.bundle),
        save=lambda form: services.bundle_component_save(
            component=form.save(commit=False), by=request.user
        ),
        title=_("Component of %(bundle)s") % {"bundle": component.bundle},
        cancel_url=component.bundle.get_absolute_url(),
        delete_url=reverse("catalog:product-component-delete", args=[pk, component.pk]),
    )


@admin_required
@require_POST
def component_delete(request: HttpRequest, pk: int, component_pk: int) -> HttpResponse:
    component = get_object_or_404(BundleComponent, pk=component_pk, bundle_id=pk)
    services.bundle_component_delete(component=component, by=request.user)
    messages.success(request, _("Component removed."))
    return redirect(component.bundle.get_absolute_url())


# --- Options ---------------------------------------------------------------------------


def _option_page(request: HttpRequest, product: Product, option: ProductOption) -> HttpResponse:
    form = OptionForm(request.POST or None, instance=option)
    formset = OptionValueFormSet(request.POST or None, instance=option, prefix="values")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        values = []
        for value_form in formset.forms:
            data = value_form.cleaned_data
            if not data or data.get("DELETE"):
                continue
            entry = {
                name: data[name]
                for name in ("name", "code", "price_effect_kind", "price_effect", "is_default")
            }
            entry["order"] = data.get("order") or 0
            if value_form.instance.pk:
                entry["id"] = value_form.instance.pk
            values.append(entry)
        try:
            services.option_save(option=form.save(commit=False), values=values, by=request.user)
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
            for name, messages_ in errors.items():
                form.add_error(name if name in form.fields else None, messages_)
        else:
            messages.success(request, _("Saved."))
            return redirect(product.get_absolute_url())
    return render(
        request,
        "catalog/product_option_form.html",
        {
            "form": form,
            "formset": formset,
            "product": product,
            "option": option,
            "title": _("Option of %(product)s") % {"product": product},
            "cancel_url": product.get_absolute_url(),
        },
    )


@admin_required
def option_add(request: HttpRequest, pk: int) -> HttpResponse:
    product = get_object_or_404(Product, pk=pk)
    return _option_page(request, product, ProductOption(product=product))


@admin_required
def option_edit(request: HttpRequest, pk: int, option_pk: int) -> HttpResponse:
    option = get_object_or_404(ProductOption, pk=option_pk, product_id=pk)
    return _option_page(request, option.product, option)


@admin_required
@require_POST
def option_delete(request: HttpRequest, pk: int, option_pk: int) -> HttpResponse:
    option = get_object_or_404(ProductOption, pk=option_pk, product_id=pk)
    services.option_delete(option=option, by=request.user)
    messages.success(request, _("Option removed."))
    return redirect(option.product.get_absolute_url())
