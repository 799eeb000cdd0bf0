"""Writes on the catalog's products: products, their image, bundle components and options.

The catalog is central data: only administrators change it (`ensure_catalog_admin`).
A product that is used — on a price list, in a bundle, or on a quote, order or invoice
line — is not deleted; it is deactivated. A bundle never contains itself, directly or
through another bundle, and only bundles have components.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, RestrictedError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from allyance.catalog.models import BundleComponent, OptionValue, Product, ProductOption
from allyance.core import audit
from allyance.core.models import Organisation, User
from allyance.core.services import record_save

IMAGE_MAX_BYTES = getattr(settings, "PRODUCT_IMAGE_MAX_BYTES", 5 * 2**20)
IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


def ensure_catalog_admin(by: User | None) -> None:
    """The catalog is the company's: only administrators change it."""
    if by is not None and not by.is_admin:
        raise PermissionDenied(_("Only administrators change the catalog."))


def product_image_validate(upload) -> str:
    """Check that `upload` is a real JPEG, PNG or WebP image of at most 5 MB; its MIME type.

    The content is decoded with Pillow: a renamed text file or a broken image is refused.
    """
    from PIL import Image, UnidentifiedImageError

    size = getattr(upload, "size", None) or 0
    if size > IMAGE_MAX_BYTES:
        raise ValidationError(
            {
                "image": _("The image is too large (%(size)s); the limit is %(limit)s.")
                % {"size": filesizeformat(size), "limit": filesizeformat(IMAGE_MAX_BYTES)}
            }
        )
    position = upload.tell() if hasattr(upload, "tell") else 0
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            image_format = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError({"image": _("This file is not a JPEG, PNG or WebP image.")}) from None
    finally:
        upload.seek(position)
    if image_format not in IMAGE_FORMATS:
        raise ValidationError({"image": _("Upload a JPEG, PNG or WebP image.")})
    upload.seek(0)
    return IMAGE_FORMATS[image_format]


def product_save(
    *, product: Product, by: User | None, expected_version: int | None = None
) -> Product:
    """Create or change a product (administrators only).

    A new product belongs to the company; a product with components stays a bundle
    until they are removed; a newly uploaded image is checked to be a real image.
    """
    ensure_catalog_admin(by)
    if product.pk is None:
        product.organisation = Organisation.company()
        if by is not None and product.owner_id is None:
            product.owner = by
    elif (
        product.kind != Product.Kind.BUNDLE
        and BundleComponent.objects.filter(bundle_id=product.pk).exists()
    ):
        raise ValidationError(
            {"kind": _("This bundle has components; remove them before changing its kind.")}
        )
    image = product.image
    if image and not getattr(image, "_committed", True):
        product_image_validate(image.file)
    if product.sku:
        product.sku = product.sku.strip()
        clash = Product.objects.filter(sku__iexact=product.sku).exclude(pk=product.pk)
        if clash.exists():
            raise ValidationError({"sku": _("Another product already has this SKU.")})
    try:
        with transaction.atomic():
            return record_save(instance=product, by=by, expected_version=expected_version)
    except IntegrityError as exc:  # two saves of the same SKU at once
        raise ValidationError({"sku": _("Another product already has this SKU.")}) from exc


def product_usage(product: Product) -> list[str]:
    """Where `product` is used, as readable phrases; empty when it may be deleted."""
    uses = []
    if product.prices.exists():
        uses.append(_("on a price list"))
    if BundleComponent.objects.filter(component=product).exists():
        uses.append(_("in a bundle"))
    from allyance.orders.models import InvoiceLine, OrderLine, QuoteLine

    for model, phrase in (
        (QuoteLine, _("on a quote")),
        (OrderLine, _("on an order")),
        (InvoiceLine, _("on an invoice")),
    ):
        if model.objects.filter(product=product).exists():
            uses.append(phrase)
    return uses


def _in_use_error(uses: list[str]) -> ValidationError:
    return ValidationError(
        _(
            "This product is used (%(uses)s) and cannot be deleted. "
            "Deactivate it instead: it then leaves the catalog but stays on existing records."
        )
        % {"uses": ", ".join(uses)}
    )


def product_delete(*, product: Product, by: User | None) -> None:
    """Delete a product nobody uses; a used one is refused with the advice to deactivate it."""
    ensure_catalog_admin(by)
    uses = product_usage(product)
    if uses:
        raise _in_use_error(uses)
    try:
        with audit.acting_as(by), transaction.atomic():
            product.delete()
    except (ProtectedError, RestrictedError) as exc:  # a use added since the check
        raise _in_use_error([_("by other records")]) from exc


def product_set_active(
    *, product: Product, active: bool, by: User | None, expected_version: int | None = None
) -> Product:
    """Activate or deactivate a product: the normal way to take one out of the catalog."""
    product.active = active
    return product_save(product=product, by=by, expected_version=expected_version)


# --- Bundles ---------------------------------------------------------------------------


def _bundles_containing(product_id: int) -> set[int]:
    """Every bundle that contains `product_id`, directly or through other bundles."""
    found: set[int] = set()
    frontier = {product_id}
    while frontier:
        parents = set(
            BundleComponent.objects.filter(component_id__in=frontier).values_list(
                "bundle_id", flat=True
            )
        )
        frontier = parents - found
        found |= parents
    return found


def bundle_component_save(*, component: BundleComponent, by: User | None) -> BundleComponent:
    """Add or change a component of a bundle; a bundle cannot contain itself at any depth."""
    ensure_catalog_admin(by)
    bundle = Product.objects.get(pk=component.bundle_id)
    if bundle.kind != Product.Kind.BUNDLE:
        raise ValidationError(
            {"component": _("Only products of the kind “bundle” have components.")}
        )
    if component.component_id is None:
        raise ValidationError({"component": _("Choose the product that goes into the bundle.")})
    if component.component_id == bundle.pk or component.component_id in _bundles_containing(
        bundle.pk
    ):
        raise ValidationError(
            {"component": _("A bundle cannot contain itself, directly or through another bundle.")}
        )
    duplicate = BundleComponent.objects.filter(
        bundle_id=bundle.pk, component_id=component.component_id
    ).exclude(pk=component.pk)
    if duplicate.exists():
        raise ValidationError(
            {"component": _("This product is already a component; change its quantity instead.")}
        )
    if component.quantity is None or Decimal(component.quantity) <= 0:
        raise ValidationError({"quantity": _("The quantity must be more than zero.")})
    component.full_clean(validate_unique=False, validate_constraints=False)
    with audit.acting_as(by), transaction.atomic():
        Product.objects.select_for_update().filter(pk=bundle.pk).first()
        component.save()
    return component


def bundle_component_delete(*, component: BundleComponent, by: User | None) -> None:
    ensure_catalog_admin(by)
    with audit.acting_as(by), transaction.atomic():
        component.delete()


# --- Options ---------------------------------------------------------------------------

VALUE_FIELDS = ("name", "code", "price_effect_kind", "price_effect", "is_default", "order")


def _clean_values(option: ProductOption, values: list[dict]) -> list[dict]:
    errors: list[str] = []
    codes: set[str] = set()
    for position, value in enumerate(values, start=1):
        code = (value.get("code") or "").strip()
        if not code or not (value.get("name") or "").strip():
            errors.append(
                _("Value %(position)d: give it a name and a code.") % {"position": position}
            )
        elif code in codes:
            errors.append(_("Value code “%(code)s” is used twice in this option.") % {"code": code})
        codes.add(code)
    if not option.multiple and sum(1 for value in values if value.get("is_default")) > 1:
        errors.append(_("An option with one value at most has at most one default value."))
    if errors:
        raise ValidationError({"values": errors})
    return values


def option_save(
    *, option: ProductOption, by: User | None, values: list[dict] | None = None
) -> ProductOption:
    """Create or change an option; with `values`, its values become exactly those given.

    Each value is a dict of `VALUE_FIELDS` with an optional `id` of an existing value of
    this option (kept and updated); values not given are removed. Codes are unique per
    product (options) and per option (values), with a clear error.
    """
    ensure_catalog_admin(by)
    option.code = (option.code or "").strip()
    clash = ProductOption.objects.filter(product_id=option.product_id, code=option.code).exclude(
        pk=option.pk
    )
    if option.code and clash.exists():
        raise ValidationError({"code": _("This product already has an option with this code.")})
    option.full_clean(validate_constraints=False, validate_unique=False)
    if values is not None:
        values = _clean_values(option, values)
    with audit.acting_as(by), transaction.atomic():
        option.save()
        if values is None:
            return option
        existing = {value.pk: value for value in option.values.all()}
        kept: list[OptionValue] = []
        for position, data in enumerate(values):
            value = existing.get(data.get("id")) or OptionValue(option=option)
            for name in VALUE_FIELDS:
                if name in data:
                    setattr(value, name, data[name])
            if "order" not in data:
                value.order = position
            value.code = (value.code or "").strip()
            kept.append(value)
        keep_ids = {value.pk for value in kept if value.pk}
        for pk, value in existing.items():
            if pk not in keep_ids:
                value.delete()
        # Codes may swap between values: move the changed ones out of the way first.
        for value in kept:
            if value.pk and existing[value.pk].code != value.code:
                OptionValue.objects.filter(pk=value.pk).update(code=f"~{value.pk}")
        for value in kept:
            try:
                value.full_clean(exclude=["option"], validate_constraints=False)
            except ValidationError as exc:
                raise ValidationError(
                    {"values": [f"{value.name}: {m}" for m in exc.messages]}
                ) from exc
            value.save()
    return option


def option_delete(*, option: ProductOption, by: User | None) -> None:
    """Remove an option with its values (and the rules that name them)."""
    ensure_catalog_admin(by)
    with audit.acting_as(by), transaction.atomic():
        option.delete()


def option_value_save(*, value: OptionValue, by: User | None) -> OptionValue:
    """Add or change one value of an option; its code is unique within the option."""
    ensure_catalog_admin(by)
    value.code = (value.code or "").strip()
    clash = OptionValue.objects.filter(option_id=value.option_id, code=value.code).exclude(
        pk=value.pk
    )
    if value.code and clash.exists():
        raise ValidationError({"code": _("This option already has a value with this code.")})
    value.full_clean(validate_constraints=False, validate_unique=False)
    option = ProductOption.objects.get(pk=value.option_id)
    if (
        value.is_default
        and not option.multiple
        and option.values.filter(is_default=True).exclude(pk=value.pk).exists()
    ):
        raise ValidationError(
            {"is_default": _("This option already has a default value; it allows one value.")}
        )
    with audit.acting_as(by), transaction.atomic():
        value.save()
    return value


def option_value_delete(*, value: OptionValue, by: User | None) -> None:
    ensure_catalog_admin(by)
    with audit.acting_as(by), transaction.atomic():
        value.delete()
