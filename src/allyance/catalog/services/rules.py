"""Writes on configuration rules, and how a rule reads as a sentence.

A rule has exactly one subject and one object (each an option value or a product),
never the same thing on both sides; when it applies to one product, its option values
must be that product's. The configurator (`catalog.services.configurator`) evaluates
the rules; this module only maintains them.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from allyance.catalog.models import ConfigurationRule
from allyance.catalog.services.products import ensure_catalog_admin
from allyance.core import audit
from allyance.core.models import User

Kind = ConfigurationRule.Kind


def _side(value, product) -> str:
    if value is not None:
        return f"{value.option.name}: {value.name}"
    return str(product) if product is not None else "?"


def rule_sentence(rule: ConfigurationRule) -> str:
    """The rule as people say it: “Capacity: 4 TB excludes Colour: Red”."""
    words = {
        Kind.REQUIRES: _("%(subject)s requires %(object)s"),
        Kind.EXCLUDES: _("%(subject)s excludes %(object)s"),
        Kind.ONLY_WITH: _("%(subject)s only with %(object)s"),
    }
    template = words.get(rule.kind, "%(subject)s ? %(object)s")
    return template % {
        "subject": _side(rule.if_value, rule.if_product),
        "object": _side(rule.then_value, rule.then_product),
    }


def rule_validate(rule: ConfigurationRule) -> None:
    """Refuse a rule that is not one subject, one object, two different things, and
    option values of the product it applies to."""
    errors: dict[str, list[str]] = {}
    if (rule.if_value_id is None) == (rule.if_product_id is None):
        errors.setdefault("if_value", []).append(
            _("Choose either an option value or a product as the subject, not both.")
            if rule.if_value_id
            else _("Choose an option value or a product as the subject.")
        )
    if (rule.then_value_id is None) == (rule.then_product_id is None):
        errors.setdefault("then_value", []).append(
            _("Choose either an option value or a product as the object, not both.")
            if rule.then_value_id
            else _("Choose an option value or a product as the object.")
        )
    if not errors and (
        (rule.if_value_id and rule.if_value_id == rule.then_value_id)
        or (rule.if_product_id and rule.if_product_id == rule.then_product_id)
    ):
        errors.setdefault("then_value", []).append(
            _("The subject and the object of a rule must be different.")
        )
    if rule.product_id is not None:
        for name in ("if_value", "then_value"):
            value = getattr(rule, name)
            if value is not None and value.option.product_id != rule.product_id:
                errors.setdefault(name, []).append(
                    _("“%(value)s” is not an option value of %(product)s.")
                    % {"value": _side(value, None), "product": rule.product}
                )
    if errors:
        raise ValidationError(errors)


def rule_save(*, rule: ConfigurationRule, by: User | None) -> ConfigurationRule:
    """Create or change a configuration rule (administrators only), validated as above."""
    ensure_catalog_admin(by)
    rule_validate(rule)
    rule.full_clean(validate_constraints=False)
    with audit.acting_as(by), transaction.atomic():
        rule.save()
    return rule


def rule_delete(*, rule: ConfigurationRule, by: User | None) -> None:
    ensure_catalog_admin(by)
    with audit.acting_as(by), transaction.atomic():
        rule.delete()
