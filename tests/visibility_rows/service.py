"""Visibility matrix rows and list pages of the service part (see tests/visibility_rows)."""

from tests.visibility_rows import Row, marker


def _case(user):
    """A service request of the user's organisation about one of its customers."""
    from tests.factories import AccountFactory, CaseFactory

    account = AccountFactory(organisation=user.organisation, owner=user)
    return CaseFactory(
        organisation=user.organisation, owner=user, account=account, subject=marker()
    )


ROWS: dict[str, Row] = {
    "cases": Row(make=_case, shown_as=lambda case: case.subject, change={"subject": "hijacked"}),
}
# List page URL name → the ROWS key of what it lists.
PAGES: dict[str, str] = {"service:case-list": "cases"}
