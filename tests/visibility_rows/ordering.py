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


ROWS: dict[str, Row] = {
    # POST-only: places an order; the orders are read (and matrixed) through /orders/.
    "partner-orders": Row(make=_partner_order, partners_see_own=False),
}
# List page URL name → the ROWS key of what it lists.
PAGES: dict[str, str] = {}
