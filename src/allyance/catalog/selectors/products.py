"""Reads of the catalog: products, families, tax classes, options and rules, through the gate.

Staff read the whole catalog; partners and portal customers read the active products
(`Product.shared_with`), their options and the rules that concern them. Families and
tax classes are plain reference data every signed-in user reads.
"""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from allyance.catalog.models import (
    BundleComponent,
    ConfigurationRule,
    OptionValue,
    Product,
    ProductFamily,
    ProductOption,
    TaxClass,
)
from allyance.core.visibility import visible_to


def _signed_in(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def products_visible_to(user) -> QuerySet[Product]:
    """The products `user` may read: all for staff, the active ones for everyone else."""
    return visible_to(user, Product.objects.select_related("family", "tax_class", "owner"))


def product_detail_queryset(user) -> QuerySet[Product]:
    """Visible products with their options, values and components loaded for one page."""
    return products_visible_to(user).prefetch_related(
        Prefetch("options", queryset=ProductOption.objects.prefetch_related("values")),
        Prefetch(
            "components",
            queryset=BundleComponent.objects.select_related("component").filter(
                component__in=products_visible_to(user)
            ),
        ),
        "tags",
    )


def families_visible_to(user) -> QuerySet[ProductFamily]:
    """Every family, for any signed-in user: the tree is how the catalog is browsed."""
    if not _signed_in(user):
        return ProductFamily.objects.none()
    return ProductFamily.objects.select_related("parent")


def tax_classes_visible_to(user) -> QuerySet[TaxClass]:
    if not _signed_in(user):
        return TaxClass.objects.none()
    return TaxClass.objects.all()


def options_visible_to(user) -> QuerySet[ProductOption]:
    """Options of the products `user` may read, with their values."""
    return (
        ProductOption.objects.filter(product__in=products_visible_to(user).values("pk"))
        .select_related("product")
        .prefetch_related("values")
    )


def rules_visible_to(user) -> QuerySet[ConfigurationRule]:
    """Rules staff read all of; others read the active rules about products they may read."""
    rules = ConfigurationRule.objects.select_related(
        "product",
        "if_value__option__product",
        "if_product",
        "then_value__option__product",
        "then_product",
    )
    if not _signed_in(user):
        return rules.none()
    if user.is_internal:
        return rules
    visible = products_visible_to(user).values("pk")
    return rules.filter(
        Q(product__isnull=True) | Q(product__in=visible),
        Q(if_product__isnull=True) | Q(if_product__in=visible),
        Q(then_product__isnull=True) | Q(then_product__in=visible),
        Q(if_value__isnull=True) | Q(if_value__option__product__in=visible),
        Q(then_value__isnull=True) | Q(then_value__option__product__in=visible),
        active=True,
    )


def rules_involving(product: Product, rules: QuerySet[ConfigurationRule]) -> QuerySet:
    """The rules among `rules` that name `product`, one of its option values, or apply to it."""
    return rules.filter(
        Q(product=product)
        | Q(if_product=product)
        | Q(then_product=product)
        | Q(if_value__option__product=product)
        | Q(then_value__option__product=product)
    ).distinct()


def family_subtree_ids(family_ids) -> set[int]:
    """The given families and every family below them (one query per tree level)."""
    found = set(family_ids)
    frontier = set(found)
    while frontier:
        frontier = (
            set(ProductFamily.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
            - found
        )
        found |= frontier
    return found


def family_path(family: ProductFamily | None) -> list[ProductFamily]:
    """The families from the root down to `family` (itself included)."""
    path: list[ProductFamily] = []
    seen: set[int] = set()
    while family is not None and family.pk not in seen:
        seen.add(family.pk)
        path.insert(0, family)
        family = family.parent
    return path


def family_path_text(family: ProductFamily | None, separator: str = " / ") -> str:
    return separator.join(node.name for node in family_path(family))


def tree_of(families) -> list[tuple[ProductFamily, int]]:
    """`families` as (family, depth), parents before their children, siblings by name."""
    families = sorted(families, key=lambda family: (family.name.casefold(), family.pk))
    children: dict[int | None, list[ProductFamily]] = {}
    for family in families:
        children.setdefault(family.parent_id, []).append(family)
    rows: list[tuple[ProductFamily, int]] = []

    def walk(parent_id, depth):
        for family in children.get(parent_id, []):
            rows.append((family, depth))
            walk(family.pk, depth + 1)

    walk(None, 0)
    return rows


def family_tree(user) -> list[tuple[ProductFamily, int]]:
    """Every family visible to `user` as (family, depth), parents before their children."""
    return tree_of(families_visible_to(user))


def product_search_document(product: Product) -> list[str | None]:
    """What finds a product: its SKU, name, description and family name."""
    return [
        product.sku,
        product.name,
        product.description,
        product.family.name if product.family_id else None,
    ]


def option_values_visible_to(user) -> QuerySet[OptionValue]:
    return OptionValue.objects.filter(
        option__product__in=products_visible_to(user).values("pk")
    ).select_related("option__product")
