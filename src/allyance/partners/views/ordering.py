"""Web pages of indirect ordering: a partner places an order from the catalog at its prices.

The partner then follows the order (status, shipments, tracking) on the order's own page.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from allyance.core.custom_fields import custom_form_values
from allyance.core.forms import form_errors_from
from allyance.partners.forms.ordering import PortalOrderForm
from allyance.partners.selectors.ordering import portal_catalog
from allyance.partners.services.ordering import partner_order_place

PREFIX = "qty-"


def _entered_quantities(request: HttpRequest) -> tuple[dict[int, str], dict[int, str]]:
    """Quantities typed per product id (as typed), and an error per product id."""
    entered: dict[int, str] = {}
    errors: dict[int, str] = {}
    for name, value in request.POST.items():
        if not name.startswith(PREFIX) or not name[len(PREFIX) :].isdigit():
            continue
        value = value.strip()
        if not value:
            continue
        product_id = int(name[len(PREFIX) :])
        entered[product_id] = value
        try:
            quantity = Decimal(value)
        except (InvalidOperation, ValueError):
            errors[product_id] = _("Enter a number.")
            continue
        if not quantity.is_finite() or quantity < 0:
            errors[product_id] = _("Enter a quantity of 0 or more.")
        elif quantity != quantity.quantize(Decimal("0.001")):
            errors[product_id] = _("Use at most three decimal places.")
    return entered, errors


@login_required
def portal_order_create(request: HttpRequest) -> HttpResponse:
    """The catalog at the partner's prices with a quantity per product, and the order header.

    "Search" narrows the table and keeps what was typed; "Place order" submits the order.
    """
    user = request.user
    if not user.is_partner:
        raise PermissionDenied
    posted = request.method == "POST"
    query = (request.POST if posted else request.GET).get("q", "").strip()
    form = PortalOrderForm(request.POST if posted else None, user=user)
    entered, quantity_errors = _entered_quantities(request) if posted else ({}, {})
    placing = posted and "search" not in request.POST
    if placing and form.is_valid() and not quantity_errors:
        lines = [
            {"product": product_id, "quantity": Decimal(value)}
            for product_id, value in entered.items()
            if Decimal(value) > 0
        ]
        try:
            order = partner_order_place(
                by=user,
                lines=lines,
                end_customer=form.cleaned_data["end_customer"],
                customer_reference=form.cleaned_data["customer_reference"],
                requested_delivery=form.cleaned_data["requested_delivery"],
                shipping_address=form.cleaned_data["shipping_address"],
                notes=form.cleaned_data["notes"],
                custom_fields=custom_form_values(form),
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(
                request,
                _("Order %(number)s submitted; you will be notified when it is confirmed.")
                % {"number": order.number},
            )
            return redirect(order.get_absolute_url())
    elif placing and quantity_errors:
        form.is_valid()
        form.add_error(None, _("Correct the quantities marked below."))
    price_list, discount, rows = portal_catalog(user, query=query)
    shown = {row.product.pk for row in rows}
    return render(
        request,
        "partners/ordering_create.html",
        {
            "form": form,
            "query": query,
            "price_list": price_list,
            "discount": discount,
            "rows": [
                {
                    "row": row,
                    "quantity": entered.get(row.product.pk, ""),
                    "error": quantity_errors.get(row.product.pk, ""),
                }
                for row in rows
            ],
            # Quantities typed for products the search hides are kept, not lost.
            "kept": [(pk, value) for pk, value in entered.items() if pk not in shown],
            "prefix": PREFIX,
        },
        status=400 if placing else 200,
    )
