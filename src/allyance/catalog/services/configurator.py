"""The configurator: a product + option values + quantity on a price list → an explained price.

Quotes, orders, the configurator page and the API all price lines through `configure_line`,
so a price is computed one way everywhere.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from allyance.catalog.models import (
    BundleComponent,
    ConfigurationRule,
    OptionValue,
    PriceList,
    PriceListItem,
    Product,
)
from allyance.core.money import round_money

UNIT_PRICE_PLACES = Decimal("0.0001")
HUNDRED = Decimal("100")


@dataclass
class Adjustment:
    """One explained step from the list price to the unit price (per unit, signed)."""

    label: str  # e.g. "Capacity: 2 TB", "Volume break from 10", "List discount 5 %"
    amount: Decimal


@dataclass
class ConfiguredLine:
    """A priced, validated configuration; quote and order lines copy these fields."""

    product: Product
    quantity: Decimal
    description: str
    unit: str
    list_price: Decimal  # the list's price for the product before any adjustment
    unit_price: Decimal  # after options, volume breaks and the list discount
    tax_rate: Decimal
    currency: str
    adjustments: list[Adjustment] = field(default_factory=list)
    configuration: dict = field(default_factory=dict)  # {"options": [value ids], ...}
    option_values: list[OptionValue] = field(default_factory=list)  # chosen, in display order

    @property
    def line_total(self) -> Decimal:
        """Quantity × unit price, rounded to the currency (as a document line before discounts)."""
        return round_money(self.quantity * self.unit_price, self.currency)

    @property
    def tax_amount(self) -> Decimal:
        return round_money(self.line_total * self.tax_rate / HUNDRED, self.currency)

    @property
    def total(self) -> Decimal:
        return self.line_total + self.tax_amount


def plain_number(value: Decimal) -> str:
    """`10.000` → `10`, `2.50` → `2.5`: quantities and percentages as people write them."""
    return format(Decimal(value).normalize(), "f")


def _q4(value: Decimal) -> Decimal:
    return value.quantize(UNIT_PRICE_PLACES, rounding=ROUND_HALF_UP)


def _value_label(value: OptionValue) -> str:
    return f"{value.option.name}: {value.name}"


def _subject_label(value: OptionValue | None, product: Product | None) -> str:
    if value is not None:
        return _value_label(value)
    return product.name if product is not None else ""


def rule_message(rule: ConfigurationRule, objects: list[ConfigurationRule] | None = None) -> str:
    """The rule's own message, else a sentence naming subject and object(s)."""
    if rule.message:
        return rule.message
    subject = _subject_label(rule.if_value, rule.if_product)
    if rule.kind == ConfigurationRule.Kind.REQUIRES:
        target = _subject_label(rule.then_value, rule.then_product)
        return _("“%(subject)s” requires “%(object)s”.") % {"subject": subject, "object": target}
    if rule.kind == ConfigurationRule.Kind.EXCLUDES:
        target = _subject_label(rule.then_value, rule.then_product)
        return _("“%(subject)s” cannot be combined with “%(object)s”.") % {
            "subject": subject,
            "object": target,
        }
    targets = _(" or ").join(
        f"“{_subject_label(r.then_value, r.then_product)}”" for r in (objects or [rule])
    )
    return _("“%(subject)s” is only available with %(objects)s.") % {
        "subject": subject,
        "objects": targets,
    }


def _rule_keys(rule: ConfigurationRule) -> tuple[tuple[str, int], tuple[str, int]]:
    subject = ("v", rule.if_value_id) if rule.if_value_id else ("p", rule.if_product_id)
    target = ("v", rule.then_value_id) if rule.then_value_id else ("p", rule.then_product_id)
    return subject, target


def _broken_rules(rules: Iterable[ConfigurationRule], chosen: set[tuple[str, int]]) -> list[str]:
    """Messages of the rules the chosen set breaks (requires, excludes, only-with)."""
    broken: list[str] = []
    only_with: dict[tuple[str, int], list[ConfigurationRule]] = {}
    for rule in rules:
        subject, target = _rule_keys(rule)
        if subject not in chosen:
            continue
        requires_missing = rule.kind == ConfigurationRule.Kind.REQUIRES and target not in chosen
        excluded_present = rule.kind == ConfigurationRule.Kind.EXCLUDES and target in chosen
        if requires_missing or excluded_present:
            broken.append(rule_message(rule))
        elif rule.kind == ConfigurationRule.Kind.ONLY_WITH:
            only_with.setdefault(subject, []).append(rule)
    for group in only_with.values():
        if not any(_rule_keys(rule)[1] in chosen for rule in group):
            with_message = [rule for rule in group if rule.message]
            broken.append(rule_message(with_message[0] if with_message else group[0], group))
    return broken


def _rules_query():
    return ConfigurationRule.objects.filter(active=True).select_related(
        "if_value__option", "then_value__option", "if_product", "then_product"
    )


def _components_of(product_ids: Iterable[int]) -> set[int]:
    return set(
        BundleComponent.objects.filter(bundle_id__in=list(product_ids)).values_list(
            "component_id", flat=True
        )
    )


def _as_quantity(quantity) -> Decimal:
    try:
        value = Decimal(str(quantity)) if not isinstance(quantity, Decimal) else quantity
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({"quantity": _("Enter a number.")}) from None
    if not value.is_finite():
        raise ValidationError({"quantity": _("Enter a number.")})
    if value <= 0:
        raise ValidationError({"quantity": _("The quantity must be more than 0.")})
    return value


def check_price_list_valid(price_list: PriceList, on: datetime.date) -> None:
    """Refuse a list that is inactive or outside its validity dates on `on`."""
    if not price_list.active:
        raise ValidationError(
            {"price_list": _("The price list “%(name)s” is inactive.") % {"name": price_list.name}}
        )
    if (price_list.valid_from and on < price_list.valid_from) or (
        price_list.valid_until and on > price_list.valid_until
    ):
        raise ValidationError(
            {
                "price_list": _("The price list “%(name)s” is not valid on %(date)s.")
                % {"name": price_list.name, "date": on.isoformat()}
            }
        )


def _chosen_values(product: Product, option_value_ids) -> list[OptionValue]:
    """The chosen values, checked against the product's options, defaults filled in."""
    options = list(product.options.prefetch_related("values").order_by("order", "id"))
    values_by_id = {value.id: value for option in options for value in option.values.all()}
    ids: list[int] = []
    for raw in option_value_ids or ():
        try:
            value_id = int(raw)
        except (TypeError, ValueError):
            raise ValidationError(
                {"options": _("“%(id)s” is not an option value.") % {"id": raw}}
            ) from None
        if value_id not in ids:
            ids.append(value_id)
    foreign = [value_id for value_id in ids if value_id not in values_by_id]
    if foreign:
        names = OptionValue.objects.filter(pk__in=foreign).select_related("option")
        labels = ", ".join(f"“{_value_label(v)}”" for v in names) or ", ".join(map(str, foreign))
        raise ValidationError(
            {
                "options": _("%(values)s is not an option of %(product)s.")
                % {"values": labels, "product": product.name}
            }
        )
    errors: list[str] = []
    chosen: list[OptionValue] = []
    for option in options:
        picked = [value for value in option.values.all() if value.id in ids]
        if len(picked) > 1 and not option.multiple:
            errors.append(
                _("Choose one value of “%(option)s”, not %(count)d.")
                % {"option": option.name, "count": len(picked)}
            )
        if not picked and option.required:
            defaults = [value for value in option.values.all() if value.is_default]
            if defaults:
                picked = defaults if option.multiple else defaults[:1]
            else:
                errors.append(_("Choose a value of “%(option)s”.") % {"option": option.name})
        for value in picked:
            value.option = option
        chosen.extend(picked)
    if errors:
        raise ValidationError({"options": errors})
    return chosen


def configure_line(
    product: Product,
    *,
    price_list: PriceList,
    quantity: Decimal,
    option_value_ids: list[int] | tuple[int, ...] = (),
    on: datetime.date | None = None,
) -> ConfiguredLine:
    """Validate the configuration against the rules and price it on `price_list`.

    Raises `ValidationError` naming the rule a configuration breaks, or why the product
    cannot be priced (no price on the list, list not valid on `on`, inactive product).
    """
    on = on or timezone.localdate()
    if product is None:
        raise ValidationError({"product": _("Choose a product.")})
    if price_list is None:
        raise ValidationError({"price_list": _("Choose a price list.")})
    if not product.active:
        raise ValidationError(
            {"product": _("“%(name)s” is inactive and cannot be sold.") % {"name": product.name}}
        )
    quantity = _as_quantity(quantity)
    check_price_list_valid(price_list, on)
    item = (
        PriceListItem.objects.filter(price_list=price_list, product=product)
        .prefetch_related("breaks")
        .first()
    )
    if item is None:
        raise ValidationError(
            {
                "product": _("“%(product)s” has no price on the list “%(list)s”.")
                % {"product": product.name, "list": price_list.name}
            }
        )
    chosen = _chosen_values(product, option_value_ids)

    chosen_keys = {("v", value.id) for value in chosen} | {("p", product.id)}
    chosen_keys |= {("p", component) for component in _components_of([product.id])}
    rules = _rules_query().filter(Q(product__isnull=True) | Q(product=product))
    broken = _broken_rules(rules, chosen_keys)
    if broken:
        raise ValidationError({"options": broken})

    list_price = item.price
    adjustments: list[Adjustment] = []
    base = list_price
    applicable = [b for b in item.breaks.all() if b.min_quantity <= quantity]
    if applicable:
        volume = max(applicable, key=lambda b: b.min_quantity)
        adjustments.append(
            Adjustment(
                label=_("Volume price from %(quantity)s")
                % {"quantity": plain_number(volume.min_quantity)},
                amount=_q4(volume.price - list_price),
            )
        )
        base = volume.price
    price = base
    for value in chosen:
        if value.price_effect_kind == OptionValue.Effect.PERCENT:
            amount = _q4(base * value.price_effect / HUNDRED)
            label = f"{_value_label(value)} ({plain_number(value.price_effect)} %)"
        else:
            amount = _q4(value.price_effect)
            label = _value_label(value)
        if amount:
            adjustments.append(Adjustment(label=label, amount=amount))
        price += amount
    if price_list.discount_percent:
        discount = -_q4(max(price, Decimal("0")) * price_list.discount_percent / HUNDRED)
        adjustments.append(
            Adjustment(
                label=_("List discount %(percent)s %%")
                % {"percent": plain_number(price_list.discount_percent)},
                amount=discount,
            )
        )
        price += discount
    unit_price = _q4(max(price, Decimal("0")))

    labels = [_value_label(value) for value in chosen]
    description = product.name
    if labels:
        description = f"{product.name} — {', '.join(labels)}"
    tax_rate = Decimal(str(product.tax_class.rate)) if product.tax_class_id else Decimal("0")
    return ConfiguredLine(
        product=product,
        quantity=quantity,
        description=description,
        unit=product.unit,
        list_price=list_price,
        unit_price=unit_price,
        tax_rate=tax_rate,
        currency=price_list.currency,
        adjustments=adjustments,
        configuration={"options": [value.id for value in chosen], "labels": labels},
        option_values=chosen,
    )


def check_products_together(products: Iterable[Product]) -> None:
    """Apply the product↔product rules across the lines of one document (e.g. before sending).

    Bundle components count as chosen. Raises `ValidationError` under `products` naming
    every broken rule.
    """
    product_ids = {product.id for product in products if product is not None}
    if not product_ids:
        return
    chosen = {("p", product_id) for product_id in product_ids}
    chosen |= {("p", component) for component in _components_of(product_ids)}
    rules = _rules_query().filter(
        Q(product__isnull=True) | Q(product_id__in=product_ids),
        if_product__isnull=False,
        then_product__isnull=False,
    )
    broken = _broken_rules(rules, chosen)
    if broken:
        raise ValidationError({"products": broken})
