"""The configurator page: choose a list, a product, its options and a quantity; see the price.

A GET form (pricing changes nothing): changing a control re-renders the page through htmx,
and the submit button does the same without JavaScript. The explained price, or the rule the
configuration breaks, shows beside the form.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from allyance.catalog.forms.pricing import ConfiguratorForm
from allyance.catalog.selectors.pricing import (
    price_lists_visible_to,
    products_priceable_by,
    valid_on,
)
from allyance.catalog.services.configurator import configure_line
from allyance.core.money import format_money, minor_units


def money(amount: Decimal, currency: str) -> str:
    """`¥1,178.00`; a unit amount with more places than the currency keeps them (`0.2345 CNY`)."""
    if amount == amount.quantize(Decimal(1).scaleb(-minor_units(currency))):
        return format_money(amount, currency)
    return f"{amount.normalize():f} {currency}"


@login_required
def configurator(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.is_customer:
        raise PermissionDenied
    today = timezone.localdate()
    price_lists = price_lists_visible_to(user).filter(valid_on(today), active=True)
    products = products_priceable_by(user).filter(active=True).order_by("name")
    data = request.GET.copy()
    if "price_list" not in data:
        only = list(price_lists[:2])
        if len(only) == 1:
            data["price_list"] = str(only[0].pk)
    if "quantity" not in data:
        data["quantity"] = "1"
    form = ConfiguratorForm(data, price_lists=price_lists, products=products)
    line = error = None
    if form.is_valid():
        try:
            line = configure_line(
                form.cleaned_data["product"],
                price_list=form.cleaned_data["price_list"],
                quantity=form.cleaned_data["quantity"],
                option_value_ids=form.option_value_ids(),
                on=today,
            )
        except ValidationError as exc:
            error = exc.messages
    context = {
        "form": form,
        "submitted": bool(request.GET.get("product")),
        "line": line,
        "error": error,
        "price": _explained(line) if line else None,
    }
    return render(request, "catalog/configurator.html", context)


def _explained(line) -> dict:
    currency = line.currency
    return {
        "list_price": money(line.list_price, currency),
        "adjustments": [
            {"label": a.label, "amount": ("+" if a.amount > 0 else "") + money(a.amount, currency)}
            for a in line.adjustments
        ],
        "unit_price": money(line.unit_price, currency),
        "line_total": format_money(line.line_total, currency),
        "tax_rate": f"{line.tax_rate.normalize():f}",
        "tax_amount": format_money(line.tax_amount, currency),
        "total": format_money(line.total, currency),
    }
