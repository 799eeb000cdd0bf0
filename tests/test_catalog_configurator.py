"""The configurator: rules a configuration must keep, and the explained price of a line."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from allyance.catalog.models import (
    BundleComponent,
    ConfigurationRule,
    OptionValue,
    ProductOption,
    VolumeBreak,
)
from allyance.catalog.services.configurator import check_products_together, configure_line
from tests.factories import PriceListFactory, PriceListItemFactory, ProductFactory, TaxClassFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 7)


def option(product, name, *, required=False, multiple=False, order=0):
    return ProductOption.objects.create(
        product=product,
        name=name,
        code=name.lower().replace(" ", "-"),
        required=required,
        multiple=multiple,
        order=order,
    )


def value(opt, name, effect="0", *, kind=OptionValue.Effect.AMOUNT, default=False, order=0):
    return OptionValue.objects.create(
        option=opt,
        name=name,
        code=name.lower().replace(" ", "-"),
        price_effect=Decimal(effect),
        price_effect_kind=kind,
        is_default=default,
        order=order,
    )


def rule(kind, *, if_value=None, if_product=None, then_value=None, then_product=None, **extra):
    return ConfigurationRule.objects.create(
        kind=kind,
        if_value=if_value,
        if_product=if_product,
        then_value=then_value,
        then_product=then_product,
        **extra,
    )


@pytest.fixture
def array():
    """Array X200 at 1000 on a CNY list, with a capacity and a colour option."""
    product = ProductFactory(name="Array X200", sku="X200", unit="pcs")
    price_list = PriceListFactory(name="Standard", currency="CNY")
    item = PriceListItemFactory(price_list=price_list, product=product, price="1000.00")
    capacity = option(product, "Capacity", required=True, order=1)
    colour = option(product, "Colour", order=2)
    values = {
        "2tb": value(capacity, "2 TB", default=True, order=1),
        "4tb": value(capacity, "4 TB", "250.00", order=2),
        "black": value(colour, "Black", order=1),
        "red": value(colour, "Red", "10", kind=OptionValue.Effect.PERCENT, order=2),
    }
    return product, price_list, item, values


def configure(product, price_list, quantity="1", ids=(), on=TODAY):
    return configure_line(
        product, price_list=price_list, quantity=Decimal(quantity), option_value_ids=ids, on=on
    )


def error_text(excinfo, key) -> str:
    return " ".join(excinfo.value.message_dict[key])


# --- rules ---------------------------------------------------------------------------------


def test_excludes_rule_refuses_both_values_with_a_generated_message(array):
    product, price_list, _, v = array
    rule(ConfigurationRule.Kind.EXCLUDES, if_value=v["4tb"], then_value=v["red"])
    with pytest.raises(ValidationError) as excinfo:
        configure(product, price_list, ids=[v["4tb"].id, v["red"].id])
    assert (
        error_text(excinfo, "options") == "“Capacity: 4 TB” cannot be combined with “Colour: Red”."
    )
    assert configure(product, price_list, ids=[v["4tb"].id, v["black"].id]).unit_price


def test_a_rule_message_is_used_when_set(array):
    product, price_list, _, v = array
    rule(
        ConfigurationRule.Kind.EXCLUDES,
        if_value=v["4tb"],
        then_value=v["red"],
        message="Red arrays ship with 2 TB only.",
    )
    with pytest.raises(ValidationError) as excinfo:
        configure(product, price_list, ids=[v["4tb"].id, v["red"].id])
    assert error_text(excinfo, "options") == "Red arrays ship with 2 TB only."


def test_requires_rule_needs_the_object(array):
    product, price_list, _, v = array
    rule(ConfigurationRule.Kind.REQUIRES, if_value=v["4tb"], then_value=v["black"])
    with pytest.raises(ValidationError) as excinfo:
        configure(product, price_list, ids=[v["4tb"].id])
    assert error_text(excinfo, "options") == "“Capacity: 4 TB” requires “Colour: Black”."
    configure(product, price_list, ids=[v["4tb"].id, v["black"].id])


def test_requires_rule_on_another_product_is_met_by_a_bundle_component(array):
    product, price_list, _, v = array
    rail = ProductFactory(name="Rack rail")
    rule(ConfigurationRule.Kind.REQUIRES, if_value=v["4tb"], then_product=rail)
    with pytest.raises(ValidationError) as excinfo:
        configure(product, price_list, ids=[v["4tb"].id])
    assert "requires “Rack rail”" in error_text(excinfo, "options")

    BundleComponent.objects.create(bundle=product, component=rail)
    configure(product, price_list, ids=[v["4tb"].id])


def test_only_with_allows_the_subject_with_one_of_its_objects(array):
    product, price_list, _, v = array
    rule(ConfigurationRule.Kind.ONLY_WITH, if_value=v["red"], then_value=v["4tb"])
    other = ProductFactory(name="Shelf")
    rule(ConfigurationRule.Kind.ONLY_WITH, if_value=v["red"], then_product=other)
    with pytest.raises(ValidationError) as excinfo:
        configure(product, price_list, ids=[v["red"].id])  # 2 TB by default
    assert error_text(excinfo, "options") == (
        "“Colour: Red” is only available with “Capacity: 4 TB” or “Shelf”."
    )
    configure(product, price_list, ids=[v["red"].id, v["4tb"].id])


def test_inactive_rules_and_rules_of_other_products_do_not_apply(array):
    product, price_list, _, v = array
    rule(ConfigurationRule.Kind.EXCLUDES, if_value=v["4tb"], then_value=v["red"], active=False)
    rule(
        ConfigurationRule.Kind.EXCLUDES,
        if_value=v["4tb"],
        then_value=v["red"],
        product=ProductFactory(),
    )
    configure(product, price_list, ids=[v["4tb"].id, v["red"].id])
    rule(ConfigurationRule.Kind.EXCLUDES, if_value=v["4tb"], then_value=v["red"], product=product)
    with pytest.raises(ValidationError):
        configure(product, price_list, ids=[v["4tb"].id, v["red"].id])


def test_required_option_takes_its_default_and_without_one_is_refused(array):
    product, price_list, _, v = array
    line = configure(product, price_list)
    assert line.configuration["options"] == [v["2tb"].id]
    assert line.description == "Array X200 — Capacity: 2 TB"

    v["2tb"].is_default = False
    v["2tb"].save()
    with pytest.raises(ValidationError) as excinfo:
        configure(product, price_list)
    assert error_text(excinfo, "options") == "Choose a value of “Capacity”."


def test_single_valued_option_takes_one_value(array):
    product, price_list, _, v = array
    with pytest.raises(ValidationError) as excinfo:
        configure(product, price_list, ids=[v["2tb"].id, v["4tb"].id])
    assert "Capacity" in error_text(excinfo, "options")


def test_multiple_option_takes_several_values(array):
    product, price_list, _, v = array
    extras = option(product, "Extras", multiple=True, order=3)
    a, b = value(extras, "Rails", "5"), value(extras, "Cables", "3", order=1)
    line = configure(product, price_list, ids=[a.id, b.id, v["2tb"].id])
    assert line.unit_price == Decimal("1008.0000")


def test_values_of_another_product_are_refused(array):
    product, price_list, _, _ = array
    other = ProductFactory(name="Switch")
    foreign = value(option(other, "Ports"), "48")
    with pytest.raises(ValidationError) as excinfo:
        configure(product, price_list, ids=[foreign.id])
    assert "“Ports: 48” is not an option of Array X200" in error_text(excinfo, "options")


def test_inactive_product_is_refused(array):
    product, price_list, _, _ = array
    product.active = False
    product.save()
    with pytest.raises(ValidationError) as excinfo:
        configure(product, price_list)
    assert "inactive" in error_text(excinfo, "product")


def test_product_without_a_price_on_the_list_is_refused(array):
    _, price_list, _, _ = array
    with pytest.raises(ValidationError) as excinfo:
        configure(ProductFactory(name="Unpriced"), price_list)
    assert error_text(excinfo, "product") == "“Unpriced” has no price on the list “Standard”."


def test_price_list_outside_its_dates_or_inactive_is_refused(array):
    product, price_list, _, _ = array
    price_list.valid_from = datetime.date(2027, 1, 1)
    price_list.save()
    with pytest.raises(ValidationError) as excinfo:
        configure(product, price_list)
    assert "not valid on 2026-12-07" in error_text(excinfo, "price_list")
    configure(product, price_list, on=datetime.date(2027, 1, 1))

    price_list.valid_from, price_list.valid_until = None, datetime.date(2026, 12, 6)
    price_list.save()
    with pytest.raises(ValidationError):
        configure(product, price_list)

    price_list.valid_until, price_list.active = None, False
    price_list.save()
    with pytest.raises(ValidationError) as excinfo:
        configure(product, price_list)
    assert "inactive" in error_text(excinfo, "price_list")


@pytest.mark.parametrize("quantity", ["0", "-1"])
def test_quantity_must_be_positive(array, quantity):
    product, price_list, _, _ = array
    with pytest.raises(ValidationError) as excinfo:
        configure(product, price_list, quantity=quantity)
    assert "quantity" in excinfo.value.message_dict


def test_products_together_keeps_product_rules_across_lines(array):
    product, _, _, _ = array
    switch, cable = ProductFactory(name="Switch"), ProductFactory(name="Cable")
    rule(ConfigurationRule.Kind.EXCLUDES, if_product=product, then_product=switch)
    rule(ConfigurationRule.Kind.REQUIRES, if_product=switch, then_product=cable)
    check_products_together([product, cable])
    with pytest.raises(ValidationError) as excinfo:
        check_products_together([product, switch])
    messages = excinfo.value.message_dict["products"]
    assert "“Array X200” cannot be combined with “Switch”." in messages
    assert "“Switch” requires “Cable”." in messages


# --- pricing -------------------------------------------------------------------------------


def test_price_explained_step_by_step(array):
    product, price_list, item, v = array
    VolumeBreak.objects.create(item=item, min_quantity=Decimal("10"), price=Decimal("900"))
    VolumeBreak.objects.create(item=item, min_quantity=Decimal("50"), price=Decimal("800"))
    price_list.discount_percent = Decimal("5")
    price_list.save()

    line = configure(product, price_list, quantity="12", ids=[v["4tb"].id, v["red"].id])

    assert line.list_price == Decimal("1000.00")
    assert [(a.label, a.amount) for a in line.adjustments] == [
        ("Volume price from 10", Decimal("-100.0000")),
        ("Capacity: 4 TB", Decimal("250.0000")),
        ("Colour: Red (10 %)", Decimal("90.0000")),  # 10 % of the volume price 900
        ("List discount 5 %", Decimal("-62.0000")),  # 5 % of 1240
    ]
    assert line.unit_price == Decimal("1178.0000")
    assert line.description == "Array X200 — Capacity: 4 TB, Colour: Red"
    assert line.configuration == {
        "options": [v["4tb"].id, v["red"].id],
        "labels": ["Capacity: 4 TB", "Colour: Red"],
    }
    assert line.currency == "CNY" and line.unit == "pcs" and line.tax_rate == Decimal("13.00")
    assert line.quantity == Decimal("12")


def test_largest_volume_break_not_above_quantity_applies(array):
    product, price_list, item, _ = array
    VolumeBreak.objects.create(item=item, min_quantity=Decimal("10"), price=Decimal("900"))
    VolumeBreak.objects.create(item=item, min_quantity=Decimal("50"), price=Decimal("800"))
    assert configure(product, price_list, quantity="9.5").unit_price == Decimal("1000.0000")
    assert configure(product, price_list, quantity="50").unit_price == Decimal("800.0000")
    assert configure(product, price_list, quantity="49.999").unit_price == Decimal("900.0000")


def test_decimal_exactness_to_four_places(array):
    product, price_list, item, v = array
    item.price = Decimal("0.1")
    item.save()
    price_list.discount_percent = Decimal("33.33")
    price_list.save()
    v["2tb"].price_effect = Decimal("0.2")
    v["2tb"].save()
    line = configure(product, price_list)
    # (0.1 + 0.2) × (1 − 0.3333) = 0.20001 → 0.2000; float would give 0.30000000000000004 first
    assert line.unit_price == Decimal("0.2000")
    assert isinstance(line.unit_price, Decimal)
    assert line.list_price + sum(a.amount for a in line.adjustments) == line.unit_price


def test_price_never_goes_below_zero(array):
    product, price_list, _, v = array
    v["2tb"].price_effect = Decimal("-5000")
    v["2tb"].save()
    assert configure(product, price_list).unit_price == Decimal("0")


def test_product_without_tax_class_has_rate_zero():
    product = ProductFactory(tax_class=None)
    item = PriceListItemFactory(product=product, price="7")
    line = configure(product, item.price_list)
    assert line.tax_rate == Decimal("0")
    assert line.description == product.name
    assert line.adjustments == []


def test_tax_rate_is_the_tax_class_rate():
    product = ProductFactory(tax_class=TaxClassFactory(name="VAT 6%", rate="6.00"))
    item = PriceListItemFactory(product=product)
    assert configure(product, item.price_list).tax_rate == Decimal("6.00")
