"""Writes on the catalog's reference data: the product family tree and the tax classes.

Administrators only. A family never moves below itself; a family is deleted only when
it has no sub-families and no products, a tax class only when no product uses it.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from allyance.catalog.models import ProductFamily, TaxClass
from allyance.catalog.selectors.products import family_subtree_ids
from allyance.catalog.services.products import ensure_catalog_admin
from allyance.core import audit
from allyance.core.models import User


def family_save(*, family: ProductFamily, by: User | None) -> ProductFamily:
    """Add, rename or move a family; it cannot become its own descendant."""
    ensure_catalog_admin(by)
    family.name = (family.name or "").strip()
    if (
        family.pk is not None
        and family.parent_id is not None
        and family.parent_id in family_subtree_ids([family.pk])
    ):
        raise ValidationError(
            {"parent": _("A family cannot be moved below itself or one of its sub-families.")}
        )
    family.full_clean(validate_constraints=False, validate_unique=False)
    siblings = ProductFamily.objects.filter(
        parent_id=family.parent_id, name__iexact=family.name
    ).exclude(pk=family.pk)
    if siblings.exists():
        raise ValidationError({"name": _("A family with this name is already at this place.")})
    with audit.acting_as(by), transaction.atomic():
        family.save()
    return family


def family_delete(*, family: ProductFamily, by: User | None) -> None:
    """Delete an empty family: one without sub-families and without products."""
    ensure_catalog_admin(by)
    if family.children.exists():
        raise ValidationError(_("This family has sub-families; move or delete them first."))
    if family.products.exists():
        raise ValidationError(
            _("Products belong to this family; move them to another family first.")
        )
    with audit.acting_as(by), transaction.atomic():
        family.delete()


def tax_class_save(*, tax_class: TaxClass, by: User | None) -> TaxClass:
    """Add or change a tax class; names are unique."""
    ensure_catalog_admin(by)
    tax_class.name = (tax_class.name or "").strip()
    tax_class.full_clean(validate_unique=False)
    if TaxClass.objects.filter(name__iexact=tax_class.name).exclude(pk=tax_class.pk).exists():
        raise ValidationError({"name": _("A tax class with this name already exists.")})
    with audit.acting_as(by), transaction.atomic():
        tax_class.save()
    return tax_class


def tax_class_delete(*, tax_class: TaxClass, by: User | None) -> None:
    """Delete a tax class no product uses."""
    ensure_catalog_admin(by)
    if tax_class.products.exists():
        raise ValidationError(
            _("Products are taxed with this tax class; give them another one first.")
        )
    with audit.acting_as(by), transaction.atomic():
        tax_class.delete()
