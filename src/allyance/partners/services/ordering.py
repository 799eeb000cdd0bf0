"""Indirect ordering: a partner places an order with the company at its tier's prices.

The order is priced line by line by the configurator on the partner's price list (its tier's
list, else a list assigned to the partner); the tier's extra discount is then taken off as
the order's overall discount (`Order.discount_percent`), so each line carries its share and
the totals reconcile to the cent. The order starts submitted; the company confirms it
(`orders.services.fulfilment.order_confirm`) and fulfils it with the usual order flow.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from allyance.catalog.models import PriceList, Product
from allyance.catalog.selectors.pricing import valid_on
from allyance.core import audit
from allyance.core.custom_fields import new_record_custom_values
from allyance.core.models import Organisation, User
from allyance.core.notifications import in_language_of, notification_send
from allyance.core.services import record_save
from allyance.core.visibility import visible_to
from allyance.customers.models import Account
from allyance.orders.models import Order
from allyance.orders.services import lines as line_services
from allyance.orders.services.numbers import next_number
from allyance.partners.models import HouseAccount


def partner_price_list(organisation: Organisation, *, on: datetime.date | None = None):
    """The list a partner orders at on `on` (today): its tier's list when that list is active
    and valid, else the active list assigned to the partner that started last; None if none."""
    on = on or timezone.localdate()
    usable = PriceList.objects.filter(valid_on(on), active=True)
    tier = organisation.tier
    if tier is not None and tier.price_list_id is not None:
        found = usable.filter(pk=tier.price_list_id).first()
        if found is not None:
            return found
    return (
        usable.filter(partners=organisation)
        .order_by(F("valid_from").desc(nulls_last=True), "name", "pk")
        .first()
    )


def partner_extra_discount(organisation: Organisation) -> Decimal:
    """The tier's extra discount in percent (0 without a tier)."""
    tier = organisation.tier
    return Decimal(tier.extra_discount_percent) if tier is not None else Decimal("0")


def partner_house_account(organisation: Organisation, *, by: User | None = None) -> Account:
    """The partner's own account, named after it, on which its orders for stock are placed.

    Created the first time it is needed, then always the same one (renaming it is fine).
    """
    with transaction.atomic():
        Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
        link = HouseAccount.objects.select_related("account").filter(organisation=organisation)
        existing = link.first()
        if existing is not None:
            return existing.account
        account = record_save(
            instance=Account(name=organisation.name, organisation=organisation), by=by
        )
        HouseAccount.objects.create(organisation=organisation, account=account)
    return account


def _quantity(value) -> Decimal | None:
    try:
        quantity = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        return None
    return quantity if quantity.is_finite() else None


def _ensure_partner(by: User | None) -> Organisation:
    if by is None or not by.is_authenticated or not by.is_partner or by.organisation_id is None:
        raise PermissionDenied(_("Only partner users place orders in the partner portal."))
    # As stored now: the tier and its policy may have changed since the user was loaded.
    return Organisation.objects.select_related("tier", "channel_manager").get(pk=by.organisation_id)


def _checked_lines(by: User, lines: list[dict]) -> tuple[list[dict], list[str]]:
    """The lines with a product the partner may order and a positive quantity, and errors."""
    visible_products = visible_to(by, Product.objects.all())
    checked, errors = [], []
    for number, line in enumerate(lines or [], start=1):
        product = line.get("product")
        if isinstance(product, int | str):
            product = (
                visible_products.filter(pk=product).first() if str(product).isdigit() else None
            )
        elif product is not None and not visible_products.filter(pk=product.pk).exists():
            product = None
        quantity = _quantity(line.get("quantity"))
        if product is None:
            errors.append(_("Line %(line)s: choose a product of the catalog.") % {"line": number})
        elif quantity is None or quantity <= 0:
            errors.append(
                _("Line %(line)s (%(product)s): enter a quantity above 0.")
                % {"line": number, "product": product.name}
            )
        else:
            checked.append(
                {
                    "product": product,
                    "quantity": quantity,
                    "option_value_ids": list(line.get("option_value_ids") or ()),
                }
            )
    if not lines:
        errors.append(_("Order at least one product."))
    return checked, errors


def partner_order_place(
    *,
    by: User,
    lines: list[dict],
    end_customer: Account | None = None,
    customer_reference: str = "",
    requested_delivery: datetime.date | None = None,
    shipping_address: str = "",
    notes: str = "",
    custom_fields: dict | None = None,
) -> Order:
    """A partner user orders from the catalog, for stock or for an end customer it can see.

    `lines`: `{"product": Product or id, "quantity": Decimal, "option_value_ids": [...]}`.
    The order is the partner's, owned by `by`, submitted, numbered like every order; its
    account is the end customer or, for stock, the partner's house account. The partner's
    channel manager is notified once it is committed. `custom_fields` are checked as for a
    new record (errors keyed `cf_<key>`).
    """
    organisation = _ensure_partner(by)
    errors: dict[str, list[str]] = {}
    price_list = partner_price_list(organisation)
    if price_list is None:
        errors["price_list"] = [
            _(
                "No price list is set for your organisation yet: your channel manager assigns "
                "one (or your tier's) before you can order."
            )
        ]
    if (
        end_customer is not None
        and not visible_to(by, Account.objects.filter(pk=end_customer.pk)).exists()
    ):
        errors["end_customer"] = [_("Choose one of your customers, or order for stock.")]
    if requested_delivery is not None and requested_delivery < timezone.localdate():
        errors["requested_delivery"] = [_("The requested delivery cannot be in the past.")]
    checked, line_errors = _checked_lines(by, lines)
    if line_errors:
        errors["lines"] = line_errors
    try:
        custom = new_record_custom_values(Order, custom_fields)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        house = partner_house_account(organisation, by=by)
        if end_customer is not None and end_customer.pk == house.pk:
            end_customer = None  # the partner's own account: that is an order for stock
        today = timezone.localdate()
        order = Order(
            number=next_number("order", on=today),
            status=Order.Status.SUBMITTED,
            account=end_customer or house,
            end_customer=end_customer,
            organisation=organisation,
            owner=by,
            price_list=price_list,
            currency=price_list.currency,
            discount_percent=partner_extra_discount(organisation),
            order_date=today,
            requested_delivery=requested_delivery,
            customer_reference=(customer_reference or "").strip(),
            shipping_address=(shipping_address or "").strip(),
            notes=notes or "",
            custom_fields=custom,
        )
        order = record_save(instance=order, by=by)
        line_errors = []
        with audit.acting_as(by):
            for number, line in enumerate(checked, start=1):
                try:
                    line_services.line_add(order, **line)
                except ValidationError as exc:
                    line_errors.append(
                        _("Line %(line)s (%(product)s): %(problem)s")
                        % {
                            "line": number,
                            "product": line["product"].name,
                            "problem": " ".join(exc.messages),
                        }
                    )
        if line_errors:
            raise ValidationError({"lines": line_errors})
        order.refresh_from_db()
        manager = organisation.channel_manager
        if manager is not None and manager.is_active:
            transaction.on_commit(lambda: _notify_channel_manager(manager, order, organisation))
    return order


def _notify_channel_manager(manager: User, order: Order, organisation: Organisation) -> None:
    with in_language_of(manager):
        notification_send(
            recipient=manager,
            message=_("%(partner)s placed order %(number)s; confirm it.")
            % {"partner": organisation.name, "number": order.number},
            url=order.get_absolute_url(),
            kind="partner_order",
            email=True,
        )
