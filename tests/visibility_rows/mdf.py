"""Visibility matrix rows and list pages of the mdf part (see tests/visibility_rows)."""

from tests.visibility_rows import Row, marker


def _allocation(user, **fields):
    from tests.factories import MdfAllocationFactory

    allocation = MdfAllocationFactory(organisation=user.organisation, note=marker(), **fields)
    allocation.refresh_from_db()  # amounts as the database gives them back, for the snapshot
    return allocation


def _request(user):
    from tests.factories import MdfRequestFactory

    request = MdfRequestFactory(allocation=_allocation(user), owner=user, activity_name=marker())
    request.refresh_from_db()
    return request


def _claim(user):
    from allyance.partners.models import MdfClaimLine
    from tests.factories import MdfClaimFactory, MdfRequestFactory

    request = MdfRequestFactory(
        allocation=_allocation(user), status="approved", approved_amount="3000.00"
    )
    claim = MdfClaimFactory(request=request, owner=user, invoice_number=marker())
    MdfClaimLine.objects.create(claim=claim, description="Venue", amount=claim.amount)
    claim.refresh_from_db()
    return claim


ROWS: dict[str, Row] = {
    # Partners read their funds; channel managers and administrators write them.
    "mdf-allocations": Row(make=_allocation, shown_as=lambda a: a.note, change={"amount": "1.00"}),
    "mdf-requests": Row(
        make=_request, shown_as=lambda r: r.activity_name, change={"amount": "1.00"}
    ),
    "mdf-claims": Row(make=_claim, shown_as=lambda c: c.invoice_number, change={"amount": "1"}),
    # The ledger lists one row per partner and period; the matrix follows the partner.
    "mdf-ledger": Row(
        make=_allocation,
        shown_as=lambda a: a.organisation.name,
        lookup="organisation_id",
        lookup_field="organisation_id",
    ),
}
# List page URL name → the ROWS key of what it lists.
PAGES: dict[str, str] = {
    "partners:mdf-allocation-list": "mdf-allocations",
    "partners:mdf-request-list": "mdf-requests",
    "partners:mdf-claim-list": "mdf-claims",
}
