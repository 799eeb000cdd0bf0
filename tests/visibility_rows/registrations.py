"""Visibility matrix rows and list pages of the registrations part (see tests/visibility_rows)."""

from tests.visibility_rows import Row, marker


def _registration(user):
    from tests.factories import DealRegistrationFactory

    registration = DealRegistrationFactory(
        organisation=user.organisation, owner=user, customer_name=marker()
    )
    registration.refresh_from_db()  # amounts as the database keeps them, for the snapshot
    return registration


# A partner submits (POST) and withdraws its own; edits and deletes are refused to everyone.
ROWS: dict[str, Row] = {
    "deal-registrations": Row(
        make=_registration,
        shown_as=lambda r: r.customer_name,
        change={"customer_name": "hijacked"},
    ),
}
# List page URL name → the ROWS key of what it lists.
PAGES: dict[str, str] = {"partners:registration-list": "deal-registrations"}
