"""Marketing development funds: allocations, requests, claims with proof, payment, the ledger
to the cent, ROI, tier-share allocation, and partners seeing only their own funds."""

from __future__ import annotations

import datetime
import io
import struct
import zlib
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from allyance.core.attachments import attachment_add
from allyance.core.models import AuditEntry, Notification, Organisation, Role
from allyance.partners.models import MdfAllocation, MdfClaim, MdfRequest
from allyance.partners.selectors.mdf import (
    allocations_visible_to,
    claims_visible_to,
    ledger_totals,
    mdf_ledger,
    requests_visible_to,
)
from allyance.partners.services.mdf import (
    CLAIM_TRANSITIONS,
    REQUEST_TRANSITIONS,
    allocation_save,
    allocations_from_tier_share,
    claim_approve,
    claim_pay,
    claim_reject,
    claim_submit,
    previous_period,
    request_approve,
    request_attribute_leads,
    request_cancel,
    request_reject,
    request_submit,
)
from tests.factories import (
    LeadFactory,
    OpportunityFactory,
    OrderFactory,
    OrganisationFactory,
    PipelineFactory,
    PriceListFactory,
    TierFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Q_START, Q_END = datetime.date(2026, 4, 1), datetime.date(2026, 6, 30)


def tiny_png() -> bytes:
    """A valid 1×1 PNG: proof that passes the attachment content check."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def attach_proof(claim: MdfClaim, by) -> None:
    attachment_add(
        target=claim,
        uploaded_file=SimpleUploadedFile("receipt.png", tiny_png(), content_type="image/png"),
        by=by,
    )


@pytest.fixture
def channel_manager():
    return UserFactory(role=Role.CHANNEL_MANAGER, username="cm")


@pytest.fixture
def partner(channel_manager):
    return OrganisationFactory(name="华东 Distribution", channel_manager=channel_manager)


@pytest.fixture
def partner_user(partner):
    return UserFactory(role=Role.PARTNER_USER, organisation=partner, username="pat")


@pytest.fixture
def other_partner():
    return OrganisationFactory(name="Pacific Bridge")


@pytest.fixture
def other_user(other_partner):
    return UserFactory(role=Role.PARTNER_ADMIN, organisation=other_partner, username="olga")


def allocate(partner, by, amount="10000.00", **fields) -> MdfAllocation:
    values = {"period_start": Q_START, "period_end": Q_END, "currency": "CNY"}
    values.update(fields)
    return allocation_save(
        allocation=MdfAllocation(organisation=partner, amount=Decimal(amount), **values), by=by
    )


def ask(allocation, by, amount="3000.00", **fields) -> MdfRequest:
    values = {"activity_name": "Shanghai roadshow", "plan": "Two seminars with a demo."}
    values.update(fields)
    return request_submit(allocation=allocation, amount=Decimal(amount), by=by, **values)


LINES = [
    ("Venue hire", Decimal("1200.00")),
    ("Printing", Decimal("800.05")),
    ("Catering", Decimal("400.05")),
]


def claim_for(request, by, lines=LINES, number="INV-2026-0001") -> MdfClaim:
    return claim_submit(
        request=request,
        invoice_number=number,
        invoice_date=datetime.date(2026, 5, 20),
        lines=lines,
        by=by,
    )


# --- The whole flow ------------------------------------------------------------------------


def test_whole_flow_to_the_cent(channel_manager, partner, partner_user):
    allocation = allocate(partner, channel_manager)
    request = ask(allocation, partner_user, "3000.00")
    request = request_approve(request=request, amount=Decimal("2500.00"), by=channel_manager)
    assert request.status == MdfRequest.Status.APPROVED
    assert request.approved_amount == Decimal("2500.00")

    claim = claim_for(request, partner_user)
    assert claim.amount == Decimal("2400.10")
    assert [(line.position, line.amount) for line in claim.lines.all()] == [
        (1, Decimal("1200.00")),
        (2, Decimal("800.05")),
        (3, Decimal("400.05")),
    ]
    attach_proof(claim, partner_user)
    claim = claim_approve(claim=claim, amount=Decimal("2000.05"), by=channel_manager)
    assert claim.approved_amount == Decimal("2000.05")
    claim = claim_pay(
        claim=claim, paid_on=datetime.date(2026, 6, 10), reference="BOC-778", by=channel_manager
    )
    assert claim.status == MdfClaim.Status.PAID
    assert claim.paid_amount == Decimal("2000.05")
    assert claim.paid_at == datetime.date(2026, 6, 10)

    (row,) = mdf_ledger(user=partner_user)
    assert row.organisation_id == partner.pk
    assert (row.period_start, row.period_end, row.currency) == (Q_START, Q_END, "CNY")
    assert row.allocated == Decimal("10000.00")
    assert row.requested == Decimal("0.00")
    assert row.approved == Decimal("2500.00")
    assert row.claimed == Decimal("2400.10")
    assert row.claims_approved == Decimal("2000.05")
    assert row.paid == Decimal("2000.05")
    assert row.remaining == Decimal("7500.00")
    assert str(row.paid) == "2000.05"  # exactly two places, on SQLite too
    assert row.roi is None or row.roi == Decimal("0.00")


def test_every_change_of_a_claim_is_audited(channel_manager, partner, partner_user):
    request = request_approve(
        request=ask(allocate(partner, channel_manager), partner_user), by=channel_manager
    )
    claim = claim_for(request, partner_user)
    attach_proof(claim, partner_user)
    claim_approve(claim=claim, amount=Decimal("100.00"), by=channel_manager)
    entries = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(MdfClaim), object_id=str(claim.pk)
    ).order_by("at", "pk")
    assert [e.action for e in entries][:2] == ["create", "update"]
    approval = entries.last()
    assert approval.actor == channel_manager
    assert "approved_amount" in approval.changes and "status" in approval.changes


def test_pending_requests_hold_funds_until_decided(channel_manager, partner, partner_user):
    allocation = allocate(partner, channel_manager, "5000.00")
    first = ask(allocation, partner_user, "3000.00")
    ask(allocation, partner_user, "1500.00")
    (row,) = mdf_ledger(user=channel_manager)
    assert row.requested == Decimal("4500.00")
    assert row.remaining == Decimal("5000.00")  # nothing approved yet
    request_approve(request=first, amount=Decimal("2000.00"), by=channel_manager)
    (row,) = mdf_ledger(user=channel_manager)
    assert (row.requested, row.approved, row.remaining) == (
        Decimal("1500.00"),
        Decimal("2000.00"),
        Decimal("3000.00"),
    )
    # 5000 − 2000 approved − 1500 pending = 1500 left to ask for.
    ask(allocation, partner_user, "1500.00")
    with pytest.raises(ValidationError) as raised:
        ask(allocation, partner_user, "0.01")
    assert "amount" in raised.value.message_dict


def test_a_withdrawn_request_frees_its_funds(channel_manager, partner, partner_user):
    allocation = allocate(partner, channel_manager, "1000.00")
    request = ask(allocation, partner_user, "1000.00")
    request = request_cancel(request=request, by=partner_user)
    assert request.status == MdfRequest.Status.CANCELLED
    ask(allocation, partner_user, "1000.00")


def test_a_rejected_request_says_why_and_frees_its_funds(channel_manager, partner, partner_user):
    allocation = allocate(partner, channel_manager, "1000.00")
    request = ask(allocation, partner_user, "1000.00")
    with pytest.raises(ValidationError) as raised:
        request_reject(request=request, reason=" ", by=channel_manager)
    assert "reason" in raised.value.message_dict
    request = request_reject(request=request, reason="Outside the programme", by=channel_manager)
    assert request.status == MdfRequest.Status.REJECTED
    assert request.decision_reason == "Outside the programme"
    ask(allocation, partner_user, "1000.00")


def test_transition_tables_end_in_final_statuses():
    assert REQUEST_TRANSITIONS[MdfRequest.Status.APPROVED] == set()
    assert CLAIM_TRANSITIONS[MdfClaim.Status.SUBMITTED] == {
        MdfClaim.Status.APPROVED,
        MdfClaim.Status.REJECTED,
    }
    assert CLAIM_TRANSITIONS[MdfClaim.Status.APPROVED] == {MdfClaim.Status.PAID}
    assert CLAIM_TRANSITIONS[MdfClaim.Status.PAID] == set()


# --- Refusals ------------------------------------------------------------------------------


def test_request_above_remaining_is_refused(channel_manager, partner, partner_user):
    allocation = allocate(partner, channel_manager, "10000.00")
    request_approve(request=ask(allocation, partner_user, "6000.00"), by=channel_manager)
    with pytest.raises(ValidationError) as raised:
        ask(allocation, partner_user, "4000.01")
    assert "4000.00" in raised.value.message_dict["amount"][0]
    assert MdfRequest.objects.count() == 1


def test_request_amount_must_be_positive_and_in_cents(channel_manager, partner, partner_user):
    allocation = allocate(partner, channel_manager)
    for amount in ("0", "-5", "10.001"):
        with pytest.raises(ValidationError) as raised:
            ask(allocation, partner_user, amount)
        assert "amount" in raised.value.message_dict


def test_approval_is_never_above_what_was_asked(channel_manager, partner, partner_user):
    request = ask(allocate(partner, channel_manager), partner_user, "3000.00")
    with pytest.raises(ValidationError) as raised:
        request_approve(request=request, amount=Decimal("3000.01"), by=channel_manager)
    assert "amount" in raised.value.message_dict
    request.refresh_from_db()
    assert request.status == MdfRequest.Status.SUBMITTED


def test_funds_are_never_lowered_below_what_requests_take(channel_manager, partner, partner_user):
    allocation = allocate(partner, channel_manager, "10000.00")
    request_approve(request=ask(allocation, partner_user, "3000.00"), by=channel_manager)
    ask(allocation, partner_user, "2000.00")
    allocation.amount = Decimal("4999.99")
    with pytest.raises(ValidationError) as raised:
        allocation_save(allocation=allocation, by=channel_manager)
    assert "amount" in raised.value.message_dict
    allocation.amount = Decimal("5000.00")
    allocation_save(allocation=allocation, by=channel_manager)
    allocation.refresh_from_db()
    assert allocation.amount == Decimal("5000.00")


def test_claim_above_approved_is_refused(channel_manager, partner, partner_user):
    request = request_approve(
        request=ask(allocate(partner, channel_manager), partner_user, "3000.00"),
        amount=Decimal("2500.00"),
        by=channel_manager,
    )
    with pytest.raises(ValidationError) as raised:
        claim_for(request, partner_user, lines=[("Booth", Decimal("2500.01"))])
    assert "lines" in raised.value.message_dict
    claim_for(request, partner_user, lines=[("Booth", Decimal("2000.00"))], number="A-1")
    # Claims not rejected add up: only 500.00 is left to claim.
    with pytest.raises(ValidationError):
        claim_for(request, partner_user, lines=[("Flyers", Decimal("500.01"))], number="A-2")
    claim_for(request, partner_user, lines=[("Flyers", Decimal("500.00"))], number="A-2")
    assert MdfClaim.objects.count() == 2


def test_a_rejected_claim_frees_what_it_claimed(channel_manager, partner, partner_user):
    request = request_approve(
        request=ask(allocate(partner, channel_manager), partner_user, "1000.00"),
        by=channel_manager,
    )
    claim = claim_for(request, partner_user, lines=[("Booth", Decimal("1000.00"))], number="R-1")
    claim_reject(claim=claim, reason="Receipt unreadable", by=channel_manager)
    claim_for(request, partner_user, lines=[("Booth", Decimal("1000.00"))], number="R-2")


def test_claims_only_on_approved_requests(channel_manager, partner, partner_user):
    request = ask(allocate(partner, channel_manager), partner_user)
    with pytest.raises(ValidationError) as raised:
        claim_for(request, partner_user)
    assert "request" in raised.value.message_dict


def test_a_claim_needs_lines_with_descriptions(channel_manager, partner, partner_user):
    request = request_approve(
        request=ask(allocate(partner, channel_manager), partner_user), by=channel_manager
    )
    with pytest.raises(ValidationError) as raised:
        claim_for(request, partner_user, lines=[])
    assert "lines" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:
        claim_for(request, partner_user, lines=[("", Decimal("5.00")), ("Ok", Decimal("-1"))])
    assert {"line_1", "line_2"} <= set(raised.value.message_dict)


def test_the_same_invoice_is_not_claimed_twice(channel_manager, partner, partner_user):
    request = request_approve(
        request=ask(allocate(partner, channel_manager), partner_user), by=channel_manager
    )
    claim_for(request, partner_user, lines=[("Booth", Decimal("100.00"))], number="INV-9")
    with pytest.raises(ValidationError) as raised:
        claim_for(request, partner_user, lines=[("Booth", Decimal("100.00"))], number="inv-9")
    assert "invoice_number" in raised.value.message_dict


def test_approval_without_proof_is_refused(channel_manager, partner, partner_user):
    request = request_approve(
        request=ask(allocate(partner, channel_manager), partner_user), by=channel_manager
    )
    claim = claim_for(request, partner_user)
    with pytest.raises(ValidationError) as raised:
        claim_approve(claim=claim, by=channel_manager)
    assert "proof" in raised.value.message_dict
    attach_proof(claim, partner_user)
    claim = claim_approve(claim=claim, by=channel_manager)
    assert claim.approved_amount == claim.amount == Decimal("2400.10")


def test_claim_approval_never_above_what_was_claimed(channel_manager, partner, partner_user):
    request = request_approve(
        request=ask(allocate(partner, channel_manager), partner_user), by=channel_manager
    )
    claim = claim_for(request, partner_user)
    attach_proof(claim, partner_user)
    with pytest.raises(ValidationError) as raised:
        claim_approve(claim=claim, amount=Decimal("2400.11"), by=channel_manager)
    assert "amount" in raised.value.message_dict


def test_pay_before_approval_is_refused(channel_manager, partner, partner_user):
    request = request_approve(
        request=ask(allocate(partner, channel_manager), partner_user), by=channel_manager
    )
    claim = claim_for(request, partner_user)
    with pytest.raises(ValidationError) as raised:
        claim_pay(claim=claim, paid_on=datetime.date(2026, 6, 1), reference="", by=channel_manager)
    assert "status" in raised.value.message_dict
    claim.refresh_from_db()
    assert claim.paid_amount == Decimal("0.00")


def test_proof_is_locked_once_the_claim_is_approved(channel_manager, partner, partner_user):
    request = request_approve(
        request=ask(allocate(partner, channel_manager), partner_user), by=channel_manager
    )
    claim = claim_for(request, partner_user)
    attach_proof(claim, partner_user)
    claim = claim_approve(claim=claim, by=channel_manager)
    with pytest.raises(ValidationError):
        attach_proof(claim, partner_user)


def test_partner_cannot_approve_reject_or_pay(channel_manager, partner, partner_user):
    allocation = allocate(partner, channel_manager)
    request = ask(allocation, partner_user)
    with pytest.raises(PermissionDenied):
        request_approve(request=request, by=partner_user)
    with pytest.raises(PermissionDenied):
        request_reject(request=request, reason="no", by=partner_user)
    request = request_approve(request=request, by=channel_manager)
    claim = claim_for(request, partner_user)
    attach_proof(claim, partner_user)
    with pytest.raises(PermissionDenied):
        claim_approve(claim=claim, by=partner_user)
    claim = claim_approve(claim=claim, by=channel_manager)
    with pytest.raises(PermissionDenied):
        claim_pay(claim=claim, paid_on=datetime.date(2026, 6, 1), reference="", by=partner_user)


def test_partner_cannot_allocate_funds(partner, partner_user):
    with pytest.raises(PermissionDenied):
        allocate(partner, partner_user)
    assert not MdfAllocation.objects.exists()


def test_another_partners_channel_manager_decides_nothing(channel_manager, partner, partner_user):
    stranger = UserFactory(role=Role.CHANNEL_MANAGER)
    with pytest.raises(PermissionDenied):
        allocate(partner, stranger)
    request = ask(allocate(partner, channel_manager), partner_user)
    with pytest.raises(PermissionDenied):
        request_approve(request=request, by=stranger)
    sales_rep = UserFactory(role=Role.SALES_REP)
    with pytest.raises(PermissionDenied):
        request_approve(request=request, by=sales_rep)


def test_staff_do_not_submit_requests_or_claims_for_the_partner(
    channel_manager, partner, partner_user
):
    allocation = allocate(partner, channel_manager)
    with pytest.raises(PermissionDenied):
        ask(allocation, channel_manager)
    request = request_approve(request=ask(allocation, partner_user), by=channel_manager)
    with pytest.raises(PermissionDenied):
        claim_for(request, channel_manager)


def test_partner_cannot_cancel_a_decided_request(channel_manager, partner, partner_user):
    request = request_approve(
        request=ask(allocate(partner, channel_manager), partner_user), by=channel_manager
    )
    with pytest.raises(ValidationError):
        request_cancel(request=request, by=partner_user)


def test_administrator_decides_for_any_partner(partner, partner_user, channel_manager):
    admin = UserFactory(role=Role.ADMIN)
    request = ask(allocate(partner, admin), partner_user)
    assert request_approve(request=request, by=admin).status == MdfRequest.Status.APPROVED


# --- Notifications -------------------------------------------------------------------------


def test_decisions_are_notified(channel_manager, partner, partner_user):
    request = ask(allocate(partner, channel_manager), partner_user)
    assert Notification.objects.filter(
        recipient=channel_manager, kind="mdf_request_submitted"
    ).exists()
    request_approve(request=request, amount=Decimal("2500.00"), by=channel_manager)
    note = Notification.objects.get(recipient=partner_user, kind="mdf_request_approved")
    assert "2500.00" in note.message
    assert note.url == request.get_absolute_url()
    claim = claim_for(MdfRequest.objects.get(pk=request.pk), partner_user)
    claim_reject(claim=claim, reason="Wrong invoice", by=channel_manager)
    assert "Wrong invoice" in (
        Notification.objects.get(recipient=partner_user, kind="mdf_claim_rejected").message
    )


# --- Ledger --------------------------------------------------------------------------------


def test_ledger_totals_per_currency(channel_manager, partner, partner_user, other_partner):
    other_partner.channel_manager = channel_manager
    other_partner.save()
    allocate(partner, channel_manager, "10000.00")
    allocate(partner, channel_manager, "800.00", currency="USD")
    allocate(other_partner, channel_manager, "2000.50")
    rows = mdf_ledger(user=channel_manager)
    assert len(rows) == 3
    totals = {total.currency: total for total in ledger_totals(rows)}
    assert totals["CNY"].allocated == Decimal("12000.50")
    assert totals["USD"].allocated == Decimal("800.00")


def test_ledger_period_and_partner_filters(channel_manager, partner, other_partner):
    other_partner.channel_manager = channel_manager
    other_partner.save()
    allocate(partner, channel_manager)
    allocate(
        partner,
        channel_manager,
        "500.00",
        period_start=datetime.date(2026, 7, 1),
        period_end=datetime.date(2026, 9, 30),
    )
    allocate(other_partner, channel_manager)
    in_q2 = mdf_ledger(
        user=channel_manager,
        period_start=datetime.date(2026, 5, 1),
        period_end=datetime.date(2026, 5, 31),
    )
    assert {(row.organisation_id, row.period_start) for row in in_q2} == {
        (partner.pk, Q_START),
        (other_partner.pk, Q_START),
    }
    only_partner = mdf_ledger(user=channel_manager, organisation=partner)
    assert {row.organisation_id for row in only_partner} == {partner.pk}
    assert len(only_partner) == 2


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=400_000),  # asked, in cents
            st.sampled_from(["pending", "approve", "approve_less", "reject", "cancel"]),
            st.lists(st.integers(min_value=1, max_value=90_000), min_size=0, max_size=3),
            st.sampled_from(["submitted", "approved", "paid", "rejected"]),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_ledger_reconciles_with_requests_and_claims_to_the_cent(steps):
    """Whatever happens to requests and claims, the ledger equals their sums."""
    channel_manager = UserFactory(role=Role.CHANNEL_MANAGER)
    partner = OrganisationFactory(channel_manager=channel_manager)
    user = UserFactory(role=Role.PARTNER_USER, organisation=partner)
    allocation = allocate(partner, channel_manager, "10000.00")
    cent = Decimal("0.01")
    for asked_cents, fate, claim_cents, claim_fate in steps:
        asked = asked_cents * cent
        try:
            request = ask(allocation, user, str(asked))
        except ValidationError:
            continue  # above what is left: refused, and the ledger must not move
        if fate == "approve":
            request = request_approve(request=request, by=channel_manager)
        elif fate == "approve_less":
            request = request_approve(
                request=request, amount=max(cent, (asked / 3).quantize(cent)), by=channel_manager
            )
        elif fate == "reject":
            request_reject(request=request, reason="No", by=channel_manager)
        elif fate == "cancel":
            request_cancel(request=request, by=user)
        if request.status != MdfRequest.Status.APPROVED or not claim_cents:
            continue
        try:
            claim = claim_for(
                request,
                user,
                lines=[(f"Line {i}", c * cent) for i, c in enumerate(claim_cents)],
                number=f"H-{request.pk}",
            )
        except ValidationError:
            continue
        if claim_fate == "rejected":
            claim_reject(claim=claim, reason="No", by=channel_manager)
        elif claim_fate in ("approved", "paid"):
            attach_proof(claim, user)
            claim = (
                claim_approve(
                    claim=claim, amount=(claim.amount * 2 / 3).quantize(cent), by=channel_manager
                )
                if claim.amount > cent
                else claim_approve(claim=claim, by=channel_manager)
            )
            if claim_fate == "paid":
                claim_pay(claim=claim, paid_on=Q_END, reference="x", by=channel_manager)

    requests = MdfRequest.objects.filter(allocation=allocation)
    claims = MdfClaim.objects.filter(request__allocation=allocation)

    def total(rows, name):
        return sum((getattr(r, name) for r in rows), Decimal("0"))

    approved = total(requests.filter(status="approved"), "approved_amount")
    (row,) = mdf_ledger(user=user, organisation=partner)
    assert row.allocated == Decimal("10000.00")
    assert row.requested == total(requests.filter(status="submitted"), "amount")
    assert row.approved == approved
    assert row.claimed == total(claims.exclude(status="rejected"), "amount")
    assert row.claims_approved == total(
        claims.filter(status__in=["approved", "paid"]), "approved_amount"
    )
    assert row.paid == total(claims.filter(status="paid"), "paid_amount")
    assert row.remaining == Decimal("10000.00") - approved
    # The rules hold: nothing approved beyond the funds, nothing claimed beyond approval.
    assert row.approved + row.requested <= row.allocated
    assert row.claimed <= row.approved
    for claim in claims:
        assert claim.amount == sum((line.amount for line in claim.lines.all()), Decimal("0"))


# --- ROI -----------------------------------------------------------------------------------


def test_roi_is_won_revenue_of_attributed_leads_over_paid(channel_manager, partner, partner_user):
    request = request_approve(
        request=ask(allocate(partner, channel_manager), partner_user, "3000.00"),
        amount=Decimal("2500.00"),
        by=channel_manager,
    )
    pipeline = PipelineFactory()
    won_stage = pipeline.stages.get(outcome="won")
    won = OpportunityFactory(
        organisation=partner,
        pipeline=pipeline,
        stage=won_stage,
        outcome="won",
        amount=Decimal("50000.00"),
        currency="CNY",
    )
    still_open = OpportunityFactory(organisation=partner, amount=Decimal("90000.00"))
    in_dollars = OpportunityFactory(
        organisation=partner,
        pipeline=pipeline,
        stage=won_stage,
        outcome="won",
        amount=Decimal("7000.00"),
        currency="USD",
    )
    leads = [
        LeadFactory(organisation=partner, owner=partner_user, converted_opportunity=won),
        LeadFactory(organisation=partner, owner=partner_user, converted_opportunity=still_open),
        LeadFactory(organisation=partner, owner=partner_user, converted_opportunity=in_dollars),
        LeadFactory(organisation=partner, owner=partner_user),
    ]
    request_attribute_leads(request=request, leads=leads, by=partner_user)
    (row,) = mdf_ledger(user=partner_user)
    assert row.leads == 4
    assert row.revenue == Decimal("50000.00")  # only won, only in the funds' currency
    assert row.roi is None  # nothing paid yet

    claim = claim_for(request, partner_user)
    attach_proof(claim, partner_user)
    claim = claim_approve(claim=claim, amount=Decimal("2000.05"), by=channel_manager)
    claim_pay(claim=claim, paid_on=Q_END, reference="", by=channel_manager)
    (row,) = mdf_ledger(user=partner_user)
    assert row.roi == (Decimal("50000.00") / Decimal("2000.05")).quantize(Decimal("0.01"))
    assert row.roi == Decimal("25.00")


def test_partner_attributes_only_leads_it_can_see(
    channel_manager, partner, partner_user, other_user
):
    request = ask(allocate(partner, channel_manager), partner_user)
    foreign = LeadFactory(organisation=other_user.organisation, owner=other_user)
    with pytest.raises(ValidationError) as raised:
        request_attribute_leads(request=request, leads=[foreign], by=partner_user)
    assert "leads" in raised.value.message_dict
    assert not request.leads.exists()


def test_attributing_leads_keeps_those_the_user_cannot_see(channel_manager, partner, partner_user):
    request = ask(allocate(partner, channel_manager), partner_user)
    company_lead = LeadFactory(owner=channel_manager)  # a company lead the partner cannot see
    request_attribute_leads(request=request, leads=[company_lead], by=channel_manager)
    own = LeadFactory(organisation=partner, owner=partner_user)
    request_attribute_leads(request=request, leads=[own], by=partner_user)
    assert set(request.leads.all()) == {company_lead, own}


# --- Tier share ----------------------------------------------------------------------------


def test_previous_period_of_the_same_length():
    assert previous_period(Q_START, Q_END) == (
        datetime.date(2026, 1, 1),
        datetime.date(2026, 3, 31),
    )
    assert previous_period(datetime.date(2026, 1, 1), datetime.date(2026, 1, 31)) == (
        datetime.date(2025, 12, 1),
        datetime.date(2025, 12, 31),
    )
    assert previous_period(datetime.date(2026, 3, 10), datetime.date(2026, 3, 19)) == (
        datetime.date(2026, 2, 28),
        datetime.date(2026, 3, 9),
    )


def test_tier_share_of_last_periods_orders(channel_manager):
    gold = TierFactory(name="Gold", mdf_share_percent=Decimal("5.00"))
    gold.price_list = PriceListFactory(currency="CNY")
    gold.save()
    registered = TierFactory(name="Registered", mdf_share_percent=Decimal("0"))
    partner = OrganisationFactory(tier=gold, channel_manager=channel_manager)
    zero_share = OrganisationFactory(tier=registered, channel_manager=channel_manager)
    suspended = OrganisationFactory(
        tier=gold, channel_manager=channel_manager, status=Organisation.Status.SUSPENDED
    )
    funded = OrganisationFactory(tier=gold, channel_manager=channel_manager)
    allocate(funded, channel_manager, "100.00")
    jan, mar = datetime.date(2026, 1, 5), datetime.date(2026, 3, 31)
    for org in (partner, zero_share, suspended, funded):
        OrderFactory(organisation=org, order_date=jan, total=Decimal("100000.00"))
    OrderFactory(
        organisation=partner, order_date=mar, total=Decimal("23456.78"), status="submitted"
    )
    OrderFactory(organisation=partner, order_date=mar, total=Decimal("9999.00"), status="cancelled")
    OrderFactory(organisation=partner, order_date=jan, total=Decimal("5000.00"), currency="USD")
    OrderFactory(organisation=partner, order_date=Q_START, total=Decimal("7777.00"))  # this period
    OrderFactory(organisation=partner, order_date=datetime.date(2025, 12, 31), total=Decimal("1"))

    created = allocations_from_tier_share(
        period_start=Q_START, period_end=Q_END, by=channel_manager
    )

    assert [a.organisation for a in created] == [partner]
    (allocation,) = created
    # 5% of 123,456.78 = 6,172.839 → 6,172.84
    assert allocation.amount == Decimal("6172.84")
    assert (allocation.currency, allocation.source) == ("CNY", MdfAllocation.Source.TIER)
    assert (allocation.period_start, allocation.period_end) == (Q_START, Q_END)
    assert "123456.78" in allocation.note
    # Run again: the partner now has funds for the period and is skipped.
    assert (
        allocations_from_tier_share(period_start=Q_START, period_end=Q_END, by=channel_manager)
        == []
    )


def test_tier_share_in_the_default_currency_without_a_price_list(settings, channel_manager):
    settings.DEFAULT_CURRENCY = "CNY"
    tier = TierFactory(name="Silver", mdf_share_percent=Decimal("2.50"))
    partner = OrganisationFactory(tier=tier, channel_manager=channel_manager)
    OrderFactory(
        organisation=partner, order_date=datetime.date(2026, 2, 1), total=Decimal("1000.10")
    )
    (allocation,) = allocations_from_tier_share(
        period_start=Q_START, period_end=Q_END, by=channel_manager
    )
    assert allocation.amount == Decimal("25.00")  # 25.0025 rounds to the cent


def test_channel_manager_allocates_only_their_partners_from_tier_share(channel_manager):
    tier = TierFactory(name="Gold", mdf_share_percent=Decimal("5"))
    mine = OrganisationFactory(tier=tier, channel_manager=channel_manager)
    theirs = OrganisationFactory(tier=tier)
    for org in (mine, theirs):
        OrderFactory(organisation=org, order_date=datetime.date(2026, 2, 1), total=Decimal("100"))
    created = allocations_from_tier_share(
        period_start=Q_START, period_end=Q_END, by=channel_manager
    )
    assert [a.organisation for a in created] == [mine]
    partner_user = UserFactory(role=Role.PARTNER_ADMIN, organisation=mine)
    with pytest.raises(PermissionDenied):
        allocations_from_tier_share(period_start=Q_START, period_end=Q_END, by=partner_user)


# --- Visibility ----------------------------------------------------------------------------


def test_partner_b_sees_none_of_partner_as_funds(
    channel_manager, partner, partner_user, other_user, client
):
    request = request_approve(
        request=ask(allocate(partner, channel_manager), partner_user), by=channel_manager
    )
    claim = claim_for(request, partner_user)
    for selector in (allocations_visible_to, requests_visible_to, claims_visible_to):
        assert selector(partner_user).exists()
        assert not selector(other_user).exists()
    assert mdf_ledger(user=other_user) == []
    client.force_login(other_user)
    for name, pk in (
        ("partners:mdf-allocation-detail", request.allocation_id),
        ("partners:mdf-request-detail", request.pk),
        ("partners:mdf-claim-detail", claim.pk),
        ("partners:mdf-claim-invoice", claim.pk),
    ):
        assert client.get(reverse(name, args=[pk])).status_code == 404
    response = client.get(reverse("partners:mdf-ledger"))
    assert response.status_code == 200
    assert partner.name not in response.content.decode()
    assert (
        client.post(
            reverse("partners:mdf-request-decide", args=[request.pk]), {"action": "approve"}
        ).status_code
        == 404
    )


def test_a_distributor_sees_its_resellers_funds_but_not_the_other_way(channel_manager, partner):
    distributor_user = UserFactory(role=Role.PARTNER_ADMIN, organisation=partner)
    reseller = OrganisationFactory(parent=partner)
    reseller_user = UserFactory(role=Role.PARTNER_USER, organisation=reseller)
    allocate(partner, channel_manager)
    allocate(reseller, channel_manager, "300.00")
    assert {row.organisation_id for row in mdf_ledger(user=distributor_user)} == {
        partner.pk,
        reseller.pk,
    }
    assert {row.organisation_id for row in mdf_ledger(user=reseller_user)} == {reseller.pk}


# --- API -----------------------------------------------------------------------------------


def test_api_flow_and_refusals(api, channel_manager, partner, partner_user, other_user):
    staff, me, stranger = api(channel_manager), api(partner_user), api(other_user)
    answer = me.post(
        "/api/v1/mdf-allocations/",
        {
            "organisation": partner.pk,
            "period_start": "2026-04-01",
            "period_end": "2026-06-30",
            "amount": "10000.00",
        },
        format="json",
    )
    assert answer.status_code == 403
    answer = staff.post(
        "/api/v1/mdf-allocations/",
        {
            "organisation": partner.pk,
            "period_start": "2026-04-01",
            "period_end": "2026-06-30",
            "amount": "10000.00",
            "currency": "CNY",
        },
        format="json",
    )
    assert answer.status_code == 201, answer.content
    allocation_id = answer.json()["id"]
    assert me.get(f"/api/v1/mdf-allocations/{allocation_id}/").json()["remaining"] == "10000.00"

    answer = me.post(
        "/api/v1/mdf-requests/",
        {
            "allocation": allocation_id,
            "activity_name": "Expo",
            "plan": "Booth",
            "amount": "10000.01",
        },
        format="json",
    )
    assert answer.status_code == 400 and "amount" in answer.json()
    answer = me.post(
        "/api/v1/mdf-requests/",
        {
            "allocation": allocation_id,
            "activity_name": "Expo",
            "plan": "Booth",
            "amount": "3000.00",
        },
        format="json",
    )
    assert answer.status_code == 201, answer.content
    request_id = answer.json()["id"]
    assert answer.json()["status"] == "submitted"

    assert (
        me.post(f"/api/v1/mdf-requests/{request_id}/approve/", {}, format="json").status_code == 403
    )
    assert (
        stranger.post(f"/api/v1/mdf-requests/{request_id}/approve/", {}, format="json").status_code
        == 404
    )
    answer = staff.post(
        f"/api/v1/mdf-requests/{request_id}/approve/", {"amount": "2500.00"}, format="json"
    )
    assert answer.status_code == 200 and answer.json()["approved_amount"] == "2500.00"

    lines = [{"description": d, "amount": str(a)} for d, a in LINES]
    answer = me.post(
        "/api/v1/mdf-claims/",
        {
            "request": request_id,
            "invoice_number": "INV-1",
            "invoice_date": "2026-05-20",
            "lines": lines + [{"description": "Extra", "amount": "100.00"}],
        },
        format="json",
    )
    assert answer.status_code == 400 and "lines" in answer.json()
    answer = me.post(
        "/api/v1/mdf-claims/",
        {
            "request": request_id,
            "invoice_number": "INV-1",
            "invoice_date": "2026-05-20",
            "lines": lines,
        },
        format="json",
    )
    assert answer.status_code == 201, answer.content
    claim = answer.json()
    assert claim["amount"] == "2400.10" and len(claim["lines"]) == 3

    answer = staff.post(
        f"/api/v1/mdf-claims/{claim['id']}/approve/", {"amount": "2000.05"}, format="json"
    )
    assert answer.status_code == 400 and "proof" in answer.json()
    assert (
        staff.post(
            f"/api/v1/mdf-claims/{claim['id']}/pay/", {"paid_on": "2026-06-10"}, format="json"
        ).status_code
        == 400
    )
    upload = me.post(
        "/api/v1/attachments/",
        {
            "target_type": "mdfclaim",
            "target_id": claim["id"],
            "file": SimpleUploadedFile("r.png", tiny_png()),
        },
        format="multipart",
    )
    assert upload.status_code == 201, upload.content
    answer = staff.post(
        f"/api/v1/mdf-claims/{claim['id']}/approve/", {"amount": "2000.05"}, format="json"
    )
    assert answer.status_code == 200, answer.content
    answer = staff.post(
        f"/api/v1/mdf-claims/{claim['id']}/pay/",
        {"paid_on": "2026-06-10", "reference": "BOC"},
        format="json",
    )
    assert answer.status_code == 200 and answer.json()["paid_amount"] == "2000.05"

    ledger = me.get("/api/v1/mdf-ledger/").json()
    (row,) = ledger["results"]
    assert {
        k: row[k]
        for k in (
            "allocated",
            "requested",
            "approved",
            "claimed",
            "claims_approved",
            "paid",
            "remaining",
        )
    } == {
        "allocated": "10000.00",
        "requested": "0.00",
        "approved": "2500.00",
        "claimed": "2400.10",
        "claims_approved": "2000.05",
        "paid": "2000.05",
        "remaining": "7500.00",
    }
    assert ledger["totals"][0]["paid"] == "2000.05"
    assert stranger.get("/api/v1/mdf-ledger/").json()["results"] == []
    assert stranger.get(f"/api/v1/mdf-ledger/?organisation={partner.pk}").status_code == 400


def test_api_requests_and_claims_are_never_edited(api, channel_manager, partner, partner_user):
    request = ask(allocate(partner, channel_manager), partner_user)
    client = api(channel_manager)
    assert (
        client.patch(
            f"/api/v1/mdf-requests/{request.pk}/", {"amount": "1.00"}, format="json"
        ).status_code
        == 405
    )
    assert client.delete(f"/api/v1/mdf-requests/{request.pk}/").status_code == 405


# --- Pages ---------------------------------------------------------------------------------


@pytest.fixture
def paid_flow(channel_manager, partner, partner_user):
    request = request_approve(
        request=ask(allocate(partner, channel_manager), partner_user, "3000.00"),
        amount=Decimal("2500.00"),
        by=channel_manager,
    )
    claim = claim_for(request, partner_user)
    attach_proof(claim, partner_user)
    claim = claim_approve(claim=claim, amount=Decimal("2000.05"), by=channel_manager)
    return claim_pay(claim=claim, paid_on=Q_END, reference="BOC-1", by=channel_manager)


def test_ledger_page_shows_exact_numbers_and_totals(client, partner_user, paid_flow):
    client.force_login(partner_user)
    html = client.get(reverse("partners:mdf-ledger")).content.decode()
    row = html[html.index('data-testid="mdf-ledger-row-') :]
    for amount in ("10000.00", "2500.00", "2400.10", "2000.05", "7500.00"):
        assert amount in row
    assert 'data-testid="mdf-ledger-total-CNY"' in html


def test_ledger_exports_for_accounting(client, channel_manager, paid_flow):
    client.force_login(channel_manager)
    csv_text = client.get(reverse("partners:mdf-ledger-export") + "?format=csv").content.decode(
        "utf-8-sig"
    )
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("Partner,Period start")
    assert (
        "华东 Distribution,2026-04-01,2026-06-30,CNY,10000.00,0.00,0.00,2500.00,2400.10,2000.05,"
        "2000.05,7500.00" in lines[1]
    )
    assert lines[-1].startswith("Total,,,CNY,10000.00")
    response = client.get(reverse("partners:mdf-ledger-export") + "?format=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [cell.value for cell in sheet[2]]
    assert values[0] == "华东 Distribution"
    assert Decimal(str(values[10])) == Decimal("2000.05")  # paid, after "passed down"


def test_ledger_page_period_filter(client, channel_manager, paid_flow):
    client.force_login(channel_manager)
    html = client.get(
        reverse("partners:mdf-ledger") + "?period_start=2026-07-01&period_end=2026-09-30"
    ).content.decode()
    assert "mdf-ledger-row-" not in html
    assert client.get(reverse("partners:mdf-ledger") + "?period_start=nope").status_code == 400


def test_partner_asks_for_funds_on_the_page(client, channel_manager, partner, partner_user):
    allocation = allocate(partner, channel_manager)
    client.force_login(partner_user)
    assert client.get(reverse("partners:mdf-request-create")).status_code == 200
    form = {
        "allocation": allocation.pk,
        "activity_name": "Hangzhou seminar",
        "activity_type": "event",
        "plan": "Half-day seminar for 40 IT managers.",
        "amount": "10000.01",
        "expected_leads": "15",
    }
    response = client.post(reverse("partners:mdf-request-create"), form)
    assert response.status_code == 400
    assert 'data-field-error="amount"' in response.content.decode()
    response = client.post(reverse("partners:mdf-request-create"), {**form, "amount": "3000.00"})
    request = MdfRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == request.get_absolute_url()
    assert (request.amount, request.expected_leads) == (Decimal("3000.00"), 15)


def test_channel_manager_decides_on_the_page(client, channel_manager, partner, partner_user):
    request = ask(allocate(partner, channel_manager), partner_user)
    client.force_login(partner_user)
    assert (
        'data-testid="mdf-request-decision"'
        not in client.get(request.get_absolute_url()).content.decode()
    )
    client.force_login(channel_manager)
    assert (
        'data-testid="mdf-request-decision"'
        in client.get(request.get_absolute_url()).content.decode()
    )
    response = client.post(
        reverse("partners:mdf-request-decide", args=[request.pk]),
        {"action": "approve", "amount": "3000.01", "version": request.version},
    )
    assert response.status_code == 400
    response = client.post(
        reverse("partners:mdf-request-decide", args=[request.pk]),
        {"action": "approve", "amount": "2500.00", "version": request.version},
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.approved_amount == Decimal("2500.00")


def test_partner_claims_with_invoice_lines_on_the_page(
    client, channel_manager, partner, partner_user
):
    request = request_approve(
        request=ask(allocate(partner, channel_manager), partner_user),
        amount=Decimal("2500.00"),
        by=channel_manager,
    )
    client.force_login(partner_user)
    assert (
        client.get(reverse("partners:mdf-claim-create") + f"?request={request.pk}").status_code
        == 200
    )
    data = {
        "request": request.pk,
        "invoice_number": "FP-88",
        "invoice_date": "2026-05-20",
        "lines-TOTAL_FORMS": "4",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "50",
    }
    for index, (description, amount) in enumerate(LINES):
        data[f"lines-{index}-description"] = description
        data[f"lines-{index}-amount"] = str(amount)
    response = client.post(reverse("partners:mdf-claim-create"), data)
    claim = MdfClaim.objects.get()
    assert response.status_code == 302 and response["Location"] == claim.get_absolute_url()
    assert claim.amount == Decimal("2400.10")
    page = client.get(claim.get_absolute_url()).content.decode()
    assert 'data-testid="attachments"' in page and "2400.10" in page
    invoice = client.get(reverse("partners:mdf-claim-invoice", args=[claim.pk])).content.decode()
    assert "FP-88" in invoice and "800.05" in invoice and "2400.10" in invoice


def test_claim_decisions_and_payment_on_the_page(client, channel_manager, partner_user, paid_flow):
    claim = paid_flow
    client.force_login(channel_manager)
    page = client.get(claim.get_absolute_url()).content.decode()
    assert "2000.05" in page and 'data-testid="mdf-claim-payment"' not in page


def test_staff_allocate_on_the_page_and_from_tier_share(
    client, channel_manager, partner, partner_user
):
    client.force_login(partner_user)
    assert client.get(reverse("partners:mdf-allocation-create")).status_code == 403
    assert client.get(reverse("partners:mdf-allocation-from-tier")).status_code == 403
    client.force_login(channel_manager)
    response = client.post(
        reverse("partners:mdf-allocation-create"),
        {
            "organisation": partner.pk,
            "period_start": "2026-04-01",
            "period_end": "2026-06-30",
            "amount": "10000.00",
            "currency": "CNY",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    allocation = MdfAllocation.objects.get()
    assert (allocation.amount, allocation.owner) == (Decimal("10000.00"), channel_manager)
    tier = TierFactory(name="Gold", mdf_share_percent=Decimal("10"))
    partner.tier = tier
    partner.save()
    OrderFactory(
        organisation=partner, order_date=datetime.date(2026, 5, 1), total=Decimal("100.00")
    )
    response = client.post(
        reverse("partners:mdf-allocation-from-tier"),
        {"period_start": "2026-07-01", "period_end": "2026-09-30"},
    )
    assert response.status_code == 302
    assert MdfAllocation.objects.get(period_start=datetime.date(2026, 7, 1)).amount == Decimal(
        "10.00"
    )
    listing = client.get(reverse("partners:mdf-allocation-list")).content.decode()
    assert 'data-testid="mdf-from-tier"' in listing


# --- Search and demo -----------------------------------------------------------------------


def test_global_search_finds_requests_and_claims_only_for_those_who_see_them(
    channel_manager, partner, partner_user, other_user
):
    from allyance.core.search import global_search

    request = request_approve(
        request=ask(allocate(partner, channel_manager), partner_user, activity_name="宁波路演"),
        by=channel_manager,
    )
    claim = claim_for(request, partner_user, number="FP-7788")

    def found(user, query):
        return {row.pk for group in global_search(user, query) for row in group["rows"]}

    assert request.pk in found(partner_user, "路演")
    assert claim.pk in found(partner_user, "FP-7788")
    assert not found(other_user, "路演") and not found(other_user, "FP-7788")


def test_demo_builds_funds_at_every_status(channel_manager):
    from types import SimpleNamespace

    from allyance.partners.demo import mdf as demo_mdf

    admin = UserFactory(role=Role.ADMIN, is_superuser=True)
    partners, users = {}, {}
    for key in ("huadong", "jinqiao", "pacific"):
        partners[key] = OrganisationFactory(name=key, channel_manager=channel_manager)
        users[f"{key}.user"] = UserFactory(role=Role.PARTNER_USER, organisation=partners[key])
        users[f"{key}.admin"] = UserFactory(role=Role.PARTNER_ADMIN, organisation=partners[key])
    LeadFactory(organisation=partners["huadong"], owner=users["huadong.user"])
    demo = SimpleNamespace(
        admin=admin, partners=partners, users=users, today=datetime.date(2026, 5, 15)
    )
    demo_mdf.build(demo)

    assert MdfAllocation.objects.filter(period_start=Q_START, period_end=Q_END).count() == 3
    assert set(MdfRequest.objects.values_list("status", flat=True)) == set(MdfRequest.Status.values)
    assert MdfClaim.objects.filter(status="paid").count() == 1
    waiting = MdfClaim.objects.get(status="submitted")
    from allyance.partners.services.mdf import claim_has_proof

    assert claim_has_proof(waiting)
    rows = {row.organisation_id: row for row in mdf_ledger(user=admin)}
    huadong = rows[partners["huadong"].pk]
    assert (huadong.paid, huadong.leads) == (Decimal("23500.00"), 1)
    assert huadong.claimed == Decimal("24000.10")


# --- Concurrency ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_cannot_both_take_the_last_funds():
    """The allocation row is locked while what is left is checked: while one request for
    6,000.00 of 10,000.00 is being submitted, a second one waits, then sees it and is refused."""
    import threading
    import time

    from django.db import OperationalError, connection, transaction

    manager = UserFactory(role=Role.CHANNEL_MANAGER)
    partner = OrganisationFactory(channel_manager=manager)
    user = UserFactory(role=Role.PARTNER_USER, organisation=partner)
    allocation = allocate(partner, manager, "10000.00")
    first_inside = threading.Event()
    outcome: dict[str, object] = {}

    def first() -> None:
        try:
            with transaction.atomic():
                ask(allocation, user, "6000.00")
                first_inside.set()
                time.sleep(1.0)  # the second request arrives while this one is open
            outcome["first"] = "submitted"
        finally:
            first_inside.set()
            connection.close()

    def second() -> None:
        first_inside.wait(10)
        try:
            ask(allocation, user, "6000.00")
            outcome["second"] = "submitted"
        except ValidationError as exc:
            outcome["second"] = exc.message_dict["amount"][0]
        except OperationalError as exc:  # SQLite's in-memory test database locks whole tables
            outcome["second"] = f"locked: {exc}"
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert outcome["first"] == "submitted"
    assert outcome["second"] != "submitted"
    assert MdfRequest.objects.filter(allocation=allocation).count() == 1
    if connection.vendor == "postgresql":  # the row lock made it wait, then refuse
        assert "4000.00" in str(outcome["second"])


def test_partner_attributes_leads_on_the_page(client, channel_manager, partner, partner_user):
    request = ask(allocate(partner, channel_manager), partner_user)
    lead = LeadFactory(organisation=partner, owner=partner_user, family_name="Zhou")
    foreign = LeadFactory(family_name="Hidden")
    client.force_login(partner_user)
    page = client.get(request.get_absolute_url()).content.decode()
    assert "Zhou" in page and "Hidden" not in page
    response = client.post(
        reverse("partners:mdf-request-leads", args=[request.pk]), {"leads": [foreign.pk]}
    )
    assert response.status_code == 400 and not request.leads.exists()
    response = client.post(
        reverse("partners:mdf-request-leads", args=[request.pk]), {"leads": [lead.pk]}
    )
    assert response.status_code == 302
    assert list(request.leads.all()) == [lead]


# --- Two-tier: a distributor passes funds down to its resellers ----------------------------


@pytest.fixture
def distributor_admin(partner):
    """`partner` (华东 Distribution) is the distributor; this is its administrator."""
    return UserFactory(role=Role.PARTNER_ADMIN, organisation=partner, username="dora")


@pytest.fixture
def reseller(partner):
    return OrganisationFactory(name="杭州 Reseller", parent=partner)


@pytest.fixture
def reseller_user(reseller):
    return UserFactory(role=Role.PARTNER_USER, organisation=reseller, username="rita")


@pytest.fixture
def sibling_user(partner):
    sibling = OrganisationFactory(name="Suzhou Reseller", parent=partner)
    return UserFactory(role=Role.PARTNER_ADMIN, organisation=sibling, username="sven")


def pass_down(allocation, reseller, by, amount="2500.00", **kwargs) -> MdfAllocation:
    from allyance.partners.services.mdf import allocation_pass_down

    return allocation_pass_down(
        allocation=allocation, reseller=reseller, amount=Decimal(amount), by=by, **kwargs
    )


def test_a_distributor_passes_funds_down_exact_to_the_cent(
    channel_manager, partner, distributor_admin, reseller, reseller_user
):
    from allyance.partners.services.mdf import allocation_remaining

    allocation = allocate(partner, channel_manager, "10000.00")
    child = pass_down(allocation, reseller, distributor_admin)
    child.refresh_from_db()
    assert child.organisation_id == reseller.pk
    assert (child.period_start, child.period_end, child.currency) == (Q_START, Q_END, "CNY")
    assert child.amount == Decimal("2500.00")
    assert child.source == MdfAllocation.Source.PARENT
    assert child.parent_allocation_id == allocation.pk
    assert AuditEntry.objects.filter(object_id=str(child.pk), action="create").exists()
    allocation.refresh_from_db()
    assert allocation.amount == Decimal("10000.00")  # the distributor's funds stay as set
    assert allocation_remaining(allocation) == Decimal("7500.00")

    rows = {row.organisation_id: row for row in mdf_ledger(user=distributor_admin)}
    mine, theirs = rows[partner.pk], rows[reseller.pk]
    assert (mine.allocated, mine.passed_down, mine.remaining) == (
        Decimal("10000.00"),
        Decimal("2500.00"),
        Decimal("7500.00"),
    )
    assert (theirs.allocated, theirs.passed_down, theirs.remaining) == (
        Decimal("2500.00"),
        Decimal("0.00"),
        Decimal("2500.00"),
    )
    assert theirs.parent_allocation_id == allocation.pk
    # The roll-up: totals reconcile (allocated − passed down = what the company gave).
    (total,) = ledger_totals(list(rows.values()))
    assert (total.allocated, total.passed_down, total.remaining) == (
        Decimal("12500.00"),
        Decimal("2500.00"),
        Decimal("10000.00"),
    )
    # The reseller sees its own funds only.
    (row,) = mdf_ledger(user=reseller_user)
    assert (row.organisation_id, row.allocated, row.remaining) == (
        reseller.pk,
        Decimal("2500.00"),
        Decimal("2500.00"),
    )
    # Passing down again to the same reseller tops its funds up.
    again = pass_down(allocation, reseller, distributor_admin, "0.01")
    assert again.pk == child.pk
    again.refresh_from_db()
    assert again.amount == Decimal("2500.01")
    assert allocation_remaining(allocation) == Decimal("7499.99")


def test_passing_down_never_takes_more_than_is_left(
    channel_manager, partner, partner_user, distributor_admin, reseller
):
    from allyance.partners.services.mdf import allocation_remaining

    allocation = allocate(partner, channel_manager, "10000.00")
    pass_down(allocation, reseller, distributor_admin, "2500.00")
    with pytest.raises(ValidationError) as refused:
        pass_down(allocation, reseller, distributor_admin, "7500.01")
    assert "amount" in refused.value.message_dict
    ask(allocation, partner_user, "3000.00")  # a pending request holds its amount
    with pytest.raises(ValidationError):
        pass_down(allocation, reseller, distributor_admin, "4500.01")
    pass_down(allocation, reseller, distributor_admin, "4500.00")
    assert allocation_remaining(allocation) == Decimal("0.00")
    with pytest.raises(ValidationError):  # and the distributor cannot ask for it any more
        ask(allocation, partner_user, "0.01")
    for bad in ("0", "-1", "1.001"):
        with pytest.raises(ValidationError):
            pass_down(allocation, reseller, distributor_admin, bad)
    assert MdfAllocation.objects.get(organisation=reseller).amount == Decimal("7000.00")


def test_the_reseller_asks_within_its_funds_and_the_company_decides(
    channel_manager, partner, distributor_admin, reseller, reseller_user
):
    allocation = allocate(partner, channel_manager, "10000.00")
    child = pass_down(allocation, reseller, distributor_admin)
    with pytest.raises(ValidationError):
        ask(child, reseller_user, "2500.01")
    request = ask(child, reseller_user, "2500.00")
    assert request.organisation_id == reseller.pk
    # The company approves: the distributor's admin does not decide on the company's money.
    with pytest.raises(PermissionDenied):
        request_approve(request=request, by=distributor_admin)
    request_approve(request=request, by=channel_manager)
    rows = {row.organisation_id: row for row in mdf_ledger(user=distributor_admin)}
    assert (rows[reseller.pk].approved, rows[reseller.pk].remaining) == (
        Decimal("2500.00"),
        Decimal("0.00"),
    )
    assert rows[partner.pk].remaining == Decimal("7500.00")


def test_who_may_pass_funds_down_and_to_whom(
    channel_manager,
    partner,
    partner_user,
    distributor_admin,
    reseller,
    reseller_user,
    sibling_user,
    other_partner,
):
    allocation = allocate(partner, channel_manager, "10000.00")
    for user in (partner_user, reseller_user, sibling_user):  # not the distributor's admin
        with pytest.raises(PermissionDenied):
            pass_down(allocation, reseller, user)
    below_reseller = OrganisationFactory(name="Ningbo Shop", parent=reseller)
    suspended = OrganisationFactory(parent=partner, status=Organisation.Status.SUSPENDED)
    for target in (other_partner, below_reseller, partner, suspended):
        with pytest.raises(ValidationError) as refused:
            pass_down(allocation, target, distributor_admin)
        assert "reseller" in refused.value.message_dict
    # A reseller with funds of its own for the period is topped up by the company, not here.
    allocate(reseller, channel_manager, "100.00")
    with pytest.raises(ValidationError):
        pass_down(allocation, reseller, distributor_admin)
    # The company's channel manager may pass funds down on the distributor's behalf.
    sibling = sibling_user.organisation
    assert pass_down(allocation, sibling, channel_manager, "1.00").organisation_id == sibling.pk
    assert not MdfAllocation.objects.filter(organisation=other_partner).exists()


def test_passed_down_funds_keep_the_chain_consistent(
    channel_manager, partner, distributor_admin, reseller, reseller_user
):
    from allyance.partners.services.mdf import allocation_delete

    allocation = allocate(partner, channel_manager, "10000.00")
    child = pass_down(allocation, reseller, distributor_admin, "2500.00")
    ask(allocation, UserFactory(role=Role.PARTNER_USER, organisation=partner), "5000.00")
    # The distributor's funds cannot drop below what its requests and resellers take.
    allocation.refresh_from_db()
    allocation.amount = Decimal("7499.99")
    with pytest.raises(ValidationError):
        allocation_save(allocation=allocation, by=channel_manager)
    allocation.refresh_from_db()
    with pytest.raises(ValidationError):
        allocation_delete(allocation=allocation, by=channel_manager)
    # The reseller's passed-down funds grow only by what the distributor has left.
    child.refresh_from_db()
    child.amount = Decimal("5000.01")
    with pytest.raises(ValidationError):
        allocation_save(allocation=child, by=channel_manager)
    child.refresh_from_db()
    child.amount = Decimal("5000.00")
    allocation_save(allocation=child, by=channel_manager)
    child.refresh_from_db()
    child.period_end = datetime.date(2026, 7, 31)
    with pytest.raises(ValidationError):
        allocation_save(allocation=child, by=channel_manager)
    (row,) = mdf_ledger(user=channel_manager, organisation=partner)
    assert (row.passed_down, row.requested, row.remaining) == (
        Decimal("5000.00"),
        Decimal("5000.00"),
        Decimal("5000.00"),
    )
    # Funds from the partner above are never created by hand.
    with pytest.raises(ValidationError):
        allocation_save(
            allocation=MdfAllocation(
                organisation=reseller,
                parent_allocation=allocation,
                period_start=datetime.date(2026, 7, 1),
                period_end=datetime.date(2026, 9, 30),
                amount=Decimal("1.00"),
                currency="CNY",
            ),
            by=channel_manager,
        )


def test_a_sibling_reseller_and_another_partner_see_nothing(
    client,
    api,
    channel_manager,
    partner,
    distributor_admin,
    reseller,
    reseller_user,
    sibling_user,
    other_user,
):
    allocation = allocate(partner, channel_manager, "10000.00")
    child = pass_down(allocation, reseller, distributor_admin)
    request = ask(child, reseller_user, "1000.00")
    for user in (sibling_user, other_user):
        assert mdf_ledger(user=user) == []
        assert not allocations_visible_to(user).exists()
        assert not requests_visible_to(user).exists()
        client.force_login(user)
        for pk in (allocation.pk, child.pk):
            assert (
                client.get(reverse("partners:mdf-allocation-detail", args=[pk])).status_code == 404
            )
            response = client.post(
                reverse("partners:mdf-allocation-pass-down", args=[pk]),
                {"reseller": user.organisation_id, "amount": "1.00"},
            )
            assert response.status_code == 404
            assert api(user).get(f"/api/v1/mdf-allocations/{pk}/").status_code == 404
            response = api(user).post(
                f"/api/v1/mdf-allocations/{pk}/pass-down/",
                {"reseller": user.organisation_id, "amount": "1.00"},
                format="json",
            )
            assert response.status_code == 404
        assert (
            client.get(reverse("partners:mdf-request-detail", args=[request.pk])).status_code == 404
        )
        html = client.get(reverse("partners:mdf-ledger")).content.decode()
        assert "杭州 Reseller" not in html and "华东 Distribution" not in html
    assert MdfAllocation.objects.filter(parent_allocation=allocation).count() == 1


def test_a_distributor_passes_funds_down_on_the_page_and_reads_the_roll_up(
    client, channel_manager, partner, distributor_admin, reseller, other_partner
):
    allocation = allocate(partner, channel_manager, "10000.00")
    client.force_login(distributor_admin)
    page = client.get(allocation.get_absolute_url()).content.decode()
    assert 'data-testid="mdf-pass-down-form"' in page
    assert "杭州 Reseller" in page and "Pacific Bridge" not in page
    url = reverse("partners:mdf-allocation-pass-down", args=[allocation.pk])
    refused = client.post(url, {"reseller": reseller.pk, "amount": "10000.01"})
    assert refused.status_code == 400 and 'data-field-error="amount"' in refused.content.decode()
    response = client.post(url, {"reseller": reseller.pk, "amount": "2500.00"})
    assert response.status_code == 302
    child = MdfAllocation.objects.get(organisation=reseller)
    assert child.amount == Decimal("2500.00")
    page = client.get(allocation.get_absolute_url()).content.decode()
    assert f'data-testid="mdf-passed-down-{reseller.pk}"' in page
    assert "7500.00" in page  # left to ask for
    ledger = client.get(reverse("partners:mdf-ledger")).content.decode()
    assert f'data-testid="mdf-ledger-row-{child.pk}"' in ledger
    assert 'data-testid="passed-down"' in ledger and 'data-testid="from-partner-above"' in ledger
    total = ledger.split('data-testid="mdf-ledger-total-CNY"')[1].split("</tr>")[0]
    for amount in ("12500.00", "2500.00", "10000.00"):
        assert amount in total
    csv_text = client.get(reverse("partners:mdf-ledger-export") + "?format=csv").content.decode(
        "utf-8-sig"
    )
    assert "Passed down" in csv_text.splitlines()[0]
    assert "华东 Distribution,2026-04-01,2026-06-30,CNY,10000.00,2500.00," in csv_text
    # The reseller's page names where its funds came from; it cannot pass them back up.
    client.force_login(UserFactory(role=Role.PARTNER_ADMIN, organisation=reseller))
    page = client.get(child.get_absolute_url()).content.decode()
    assert 'data-testid="mdf-parent-allocation"' in page
    assert 'data-testid="mdf-pass-down-form"' not in page
    assert client.post(url, {"reseller": reseller.pk, "amount": "1.00"}).status_code == 404


def test_the_distributor_knows_what_it_passed_down_to_a_reseller_that_does_not_share(
    client, channel_manager, partner, distributor_admin, reseller
):
    reseller.shares_with_parent = False
    reseller.save()
    allocation = allocate(partner, channel_manager, "10000.00")
    child = pass_down(allocation, reseller, distributor_admin)
    (row,) = mdf_ledger(user=distributor_admin)
    assert (row.organisation_id, row.passed_down, row.remaining) == (
        partner.pk,
        Decimal("2500.00"),
        Decimal("7500.00"),
    )
    client.force_login(distributor_admin)
    page = client.get(allocation.get_absolute_url()).content.decode()
    assert f'data-testid="mdf-passed-down-{reseller.pk}"' in page
    assert client.get(child.get_absolute_url()).status_code == 404


def test_api_passes_funds_down(
    api, channel_manager, partner, partner_user, distributor_admin, reseller, other_partner
):
    allocation = allocate(partner, channel_manager, "10000.00")
    url = f"/api/v1/mdf-allocations/{allocation.pk}/pass-down/"
    body = {"reseller": reseller.pk, "amount": "2500.00", "note": "Q2 spring campaign"}
    assert api(partner_user).post(url, body, format="json").status_code == 403
    refused = api(distributor_admin).post(
        url, {"reseller": other_partner.pk, "amount": "1.00"}, format="json"
    )
    assert refused.status_code == 400 and "reseller" in refused.json()
    too_much = api(distributor_admin).post(
        url, {"reseller": reseller.pk, "amount": "10000.01"}, format="json"
    )
    assert too_much.status_code == 400 and "amount" in too_much.json()
    answer = api(distributor_admin).post(url, body, format="json")
    assert answer.status_code == 201, answer.content
    data = answer.json()
    assert (data["organisation"], data["amount"], data["source"]) == (
        reseller.pk,
        "2500.00",
        "parent",
    )
    assert data["parent_allocation"] == allocation.pk and data["note"] == "Q2 spring campaign"
    mine = api(distributor_admin).get(f"/api/v1/mdf-allocations/{allocation.pk}/").json()
    assert (mine["passed_down"], mine["remaining"]) == ("2500.00", "7500.00")
    ledger = api(distributor_admin).get("/api/v1/mdf-ledger/").json()
    rows = {row["organisation_id"]: row for row in ledger["results"]}
    assert rows[partner.pk]["passed_down"] == "2500.00"
    assert rows[partner.pk]["remaining"] == "7500.00"
    assert ledger["totals"][0]["passed_down"] == "2500.00"
