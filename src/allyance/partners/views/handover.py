"""Web pages of orders handed down the channel: the hops with each order's progress, and the
hand-down, hand-back and recall actions (from the order's page or the list)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from allyance.core.redirects import posted_next_or
from allyance.core.visibility import get_visible_or_404, visible_to
from allyance.orders.models import Order
from allyance.orders.selectors.fulfilment import orders_visible_to
from allyance.orders.services.fulfilment import SHIPPABLE
from allyance.partners.forms.handover import HandDownForm, HandoverFilterForm, HandoverReasonForm
from allyance.partners.models import OrderHandover
from allyance.partners.selectors import handover as selectors
from allyance.partners.services import handover as services

PAGE_SIZE = 50
Status = OrderHandover.Status


def _staff_or_partner(request: HttpRequest) -> None:
    if not (request.user.is_internal or request.user.is_partner):
        raise PermissionDenied


def _message_of(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def mark_actions(user, hops) -> None:
    """Set `may_hand_back`, `may_recall` and `progress` on each hop the user sees."""
    for hop in hops:
        # Until something ships on it, the hop may end (the services check again).
        active = (
            hop.status == Status.ACTIVE
            and hop.order.status in SHIPPABLE
            and not getattr(hop, "shipped_since_handed", False)
        )
        hop.may_hand_back = (
            active
            and hop.order.organisation_id == hop.organisation_id
            and services.may_hand_back(user, hop)
        )
        hop.may_recall = active and services.may_recall(user, hop)
        hop.progress = selectors.shipping_progress(hop)


@login_required
def order_handover_list(request: HttpRequest) -> HttpResponse:
    """Orders handed down: staff the hops they may see; a partner the orders handed to it and
    those it handed on to its resellers, with each order's status and shipping progress."""
    _staff_or_partner(request)
    user = request.user
    form = HandoverFilterForm(request.GET or None)
    rows = selectors.handovers_visible_to(user)
    if form.is_valid() and form.cleaned_data.get("status"):
        rows = rows.filter(status=form.cleaned_data["status"])
    page = Paginator(rows.order_by("-handed_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    hops = list(page.object_list)
    openable = set(
        visible_to(user, Order.objects.filter(pk__in=[hop.order_id for hop in hops])).values_list(
            "pk", flat=True
        )
    )
    mark_actions(user, hops)
    for hop in hops:
        hop.may_open_order = hop.order_id in openable
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "partners/handover_list.html",
        {
            "form": form,
            "page": page,
            "rows": hops,
            "query_string": query.urlencode(),
            "is_staff_view": user.is_internal,
        },
    )


def _hop_for(request: HttpRequest, pk: int) -> OrderHandover:
    """A hop the user may see (a distributor: also those it made to its resellers)."""
    try:
        return selectors.handovers_visible_to(request.user).get(pk=pk)
    except OrderHandover.DoesNotExist as exc:
        raise Http404 from exc


def _after(request: HttpRequest, order: Order) -> HttpResponse:
    """Back where the form came from while the user still sees the order, else to the list of
    handed-down orders (a distributor that handed it to a reseller that does not share)."""
    if visible_to(request.user, Order.objects.filter(pk=order.pk)).exists():
        return redirect(posted_next_or(request, order.get_absolute_url()))
    return redirect(reverse("partners:order-handover-list"))


@login_required
@require_POST
def order_hand_down(request: HttpRequest, pk: int) -> HttpResponse:
    """Hand the order to the partner chosen on its page."""
    order = get_visible_or_404(request.user, orders_visible_to(request.user), pk=pk)
    if not services.may_hand_down(request.user):
        raise PermissionDenied
    form = HandDownForm(request.POST, user=request.user)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect(order.get_absolute_url())
    try:
        hop = services.order_hand_down(
            order=order,
            partner=form.cleaned_data["partner"],
            note=form.cleaned_data.get("note", ""),
            by=request.user,
        )
    except ValidationError as exc:
        messages.error(request, _message_of(exc))
        return redirect(order.get_absolute_url())
    messages.success(
        request,
        _("Order %(number)s handed to %(partner)s to fulfil.")
        % {"number": order.number, "partner": hop.organisation.name},
    )
    return _after(request, order)


@login_required
@require_POST
def order_handover_hand_back(request: HttpRequest, pk: int) -> HttpResponse:
    hop = _hop_for(request, pk)
    form = HandoverReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why you hand the order back."))
        return _after(request, hop.order)
    try:
        services.order_hand_back(handover=hop, reason=form.cleaned_data["reason"], by=request.user)
    except ValidationError as exc:
        messages.error(request, _message_of(exc))
    else:
        source = hop.from_organisation.name if hop.from_organisation else _("the company")
        messages.success(request, _("Order handed back to %(source)s.") % {"source": source})
    return _after(request, hop.order)


@login_required
@require_POST
def order_handover_recall(request: HttpRequest, pk: int) -> HttpResponse:
    hop = _hop_for(request, pk)
    form = HandoverReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why you recall the order."))
        return _after(request, hop.order)
    try:
        services.order_recall(handover=hop, reason=form.cleaned_data["reason"], by=request.user)
    except ValidationError as exc:
        messages.error(request, _message_of(exc))
    else:
        messages.success(request, _("Order %(number)s recalled.") % {"number": hop.order.number})
    return _after(request, hop.order)
