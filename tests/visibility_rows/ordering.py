"""Visibility matrix rows and list pages of the ordering part (see tests/visibility_rows)."""

from tests.visibility_rows import Row, marker


def _partner_order(user):
    """A submitted order of the user's organisation (what `POST /partner-orders/` makes)."""
    from tests.factories import AccountFactory, OrderFactory

    account = AccountFactory(organisation=user.organisation, owner=user)
    order = OrderFactory(
        organisation=user.organisation,
        owner=user,
        account=account,
        end_customer=account,
        status="submitted",
        customer_reference=marker(),
    )
    order.refresh_from_db()  # amounts as the database keeps them, for the snapshot
    return order


def _handover(user):
    """A company order handed down to the user's organisation to fulfil (its hop row)."""
    from django.utils import timezone

    from allyance.partners.models import OrderHandover
    from tests.factories import OrderFactory, OrderLineFactory

    order = OrderFactory(organisation=user.organisation, number=marker())
    OrderLineFactory(order=order, quantity=2)
    return OrderHandover.objects.create(
        order=order, organisation=user.organisation, handed_at=timezone.now(), note=marker()
    )


ROWS: dict[str, Row] = {
    # POST-only: places an order; the orders are read (and matrixed) through /orders/.
    "partner-orders": Row(make=_partner_order, partners_see_own=False),
    # Hops of orders handed down: read-only, ended through POST actions only.
    "order-handovers": Row(make=_handover, shown_as=lambda h: h.order.number),
}
# List page URL name → the ROWS key of what it lists.
PAGES: dict[str, str] = {
    "partners:order-handover-list": "order-handovers",
}
