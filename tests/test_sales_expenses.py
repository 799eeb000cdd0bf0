"""Sales expenses: entry against a deal or an account, receipts, and the approval step."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from allyance.core.attachments import attachment_add, attachment_delete, attachments_visible_to
from allyance.core.models import Notification, Role
from allyance.core.search import global_search
from allyance.sales.models import Expense
from allyance.sales.selectors.expenses import (
    expenses_awaiting_decision_by,
    expenses_visible_to,
)
from allyance.sales.services.expenses import (
    ALLOWED_TRANSITIONS,
    expense_approve,
    expense_delete,
    expense_reject,
    expense_save,
    expense_submit,
    expense_transition,
)
from tests.factories import (
    AccountFactory,
    OpportunityFactory,
    OrganisationFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _jobs_run_in_process(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def team():
    """A sales manager with a team of two reps."""
    manager = UserFactory(role=Role.SALES_MANAGER, username="manager")
    rep, colleague = UserFactory(username="rep"), UserFactory(username="colleague")
    squad = TeamFactory(manager=manager)
    squad.members.add(rep, colleague)
    return manager, rep, colleague


def new_expense(owner, **fields) -> Expense:
    values = {
        "date": datetime.date(2026, 11, 2),
        "category": Expense.Category.MEALS,
        "amount": Decimal("356.50"),
        "currency": "CNY",
        "description": "Dinner with the buyer",
    }
    values.update(fields)
    if "account" not in values and "opportunity" not in values:
        values["account"] = AccountFactory(owner=owner, organisation=owner.organisation)
    return expense_save(expense=Expense(**values), by=owner)


def test_expense_is_the_creators_draft():
    rep = UserFactory()
    expense = new_expense(rep)
    assert expense.owner == rep
    assert expense.status == Expense.Status.DRAFT
    assert expense.version == 1


def test_expense_needs_an_opportunity_or_an_account():
    rep = UserFactory()
    with pytest.raises(ValidationError) as raised:
        expense_save(expense=Expense(date=datetime.date(2026, 11, 2), amount=Decimal(10)), by=rep)
    assert "opportunity" in raised.value.message_dict


def test_expense_on_a_deal_is_on_the_deals_account():
    rep = UserFactory()
    deal = OpportunityFactory(owner=rep)
    expense = new_expense(rep, opportunity=deal)
    assert expense.account == deal.account


def test_expense_on_a_deal_refuses_another_account():
    rep = UserFactory()
    deal = OpportunityFactory(owner=rep)
    with pytest.raises(ValidationError) as raised:
        new_expense(rep, opportunity=deal, account=AccountFactory())
    assert "account" in raised.value.message_dict


def test_expense_amount_must_be_positive():
    rep = UserFactory()
    with pytest.raises(ValidationError) as raised:
        new_expense(rep, amount=Decimal("0.00"))
    assert "amount" in raised.value.message_dict


def test_transitions_table_allows_the_approval_path_only():
    assert ALLOWED_TRANSITIONS[Expense.Status.DRAFT] == {Expense.Status.SUBMITTED}
    assert ALLOWED_TRANSITIONS[Expense.Status.APPROVED] == set()


def test_manager_approves_submitted_expense_and_owner_is_notified(team):
    manager, rep, _colleague = team
    expense = new_expense(rep)
    expense = expense_submit(expense=expense, by=rep)
    assert expense.status == Expense.Status.SUBMITTED
    assert expense.approver == manager
    assert Notification.objects.filter(recipient=manager, kind="expense_submitted").exists()

    expense = expense_approve(expense=expense, by=manager, comment="OK")
    assert expense.status == Expense.Status.APPROVED
    assert expense.approver == manager
    assert expense.decided_at is not None
    note = Notification.objects.get(recipient=rep, kind="expense_approved")
    assert note.url == expense.get_absolute_url()


def test_notifications_are_emailed_after_commit(team, django_capture_on_commit_callbacks):
    manager, rep, _colleague = team
    expense = new_expense(rep)
    with django_capture_on_commit_callbacks(execute=True):
        expense_submit(expense=expense, by=rep)
    assert [m.to for m in mail.outbox] == [[manager.email]]
    with django_capture_on_commit_callbacks(execute=True):
        expense_approve(expense=expense, by=manager)
    assert mail.outbox[-1].to == [rep.email]


def test_draft_cannot_be_approved_directly(team):
    manager, rep, _colleague = team
    expense = new_expense(rep)
    with pytest.raises(ValidationError):
        expense_approve(expense=expense, by=manager)
    expense.refresh_from_db()
    assert expense.status == Expense.Status.DRAFT


def test_unknown_status_is_refused(team):
    _manager, rep, _colleague = team
    expense = new_expense(rep)
    with pytest.raises(ValidationError):
        expense_transition(expense=expense, to="paid", by=rep)


def test_approved_expense_is_locked(team):
    manager, rep, _colleague = team
    expense = expense_submit(expense=new_expense(rep), by=rep)
    expense = expense_approve(expense=expense, by=manager)
    for move in (Expense.Status.SUBMITTED, Expense.Status.REJECTED, Expense.Status.DRAFT):
        with pytest.raises(ValidationError):
            expense_transition(expense=expense, to=move, by=manager, comment="again")
    expense.amount = Decimal("9999.00")
    with pytest.raises(ValidationError):
        expense_save(expense=expense, by=rep)
    with pytest.raises(ValidationError):
        expense_delete(expense=expense, by=rep)
    expense.refresh_from_db()
    assert expense.amount == Decimal("356.50")


def test_reject_needs_a_comment(team):
    manager, rep, _colleague = team
    expense = expense_submit(expense=new_expense(rep), by=rep)
    with pytest.raises(ValidationError) as raised:
        expense_reject(expense=expense, by=manager, comment="  ")
    assert "comment" in raised.value.message_dict
    expense = expense_reject(expense=expense, by=manager, comment="No receipt attached")
    assert expense.status == Expense.Status.REJECTED
    assert expense.decision_comment == "No receipt attached"
    note = Notification.objects.get(recipient=rep, kind="expense_rejected")
    assert "No receipt attached" in note.message


def test_rejected_expense_can_be_corrected_and_submitted_again(team):
    manager, rep, _colleague = team
    expense = expense_submit(expense=new_expense(rep), by=rep)
    expense = expense_reject(expense=expense, by=manager, comment="Wrong amount")
    expense.amount = Decimal("300.00")
    expense = expense_save(expense=expense, by=rep)
    expense = expense_submit(expense=expense, by=rep)
    assert expense.status == Expense.Status.SUBMITTED
    assert expense.decision_comment == ""


def test_owner_cannot_approve_own_expense():
    manager = UserFactory(role=Role.SALES_MANAGER)
    expense = expense_submit(expense=new_expense(manager), by=manager)
    with pytest.raises(PermissionDenied):
        expense_approve(expense=expense, by=manager)
    expense.refresh_from_db()
    assert expense.status == Expense.Status.SUBMITTED


def test_admin_cannot_approve_own_expense_either():
    admin = UserFactory(role=Role.ADMIN)
    expense = expense_submit(expense=new_expense(admin), by=admin)
    with pytest.raises(PermissionDenied):
        expense_approve(expense=expense, by=admin)


def test_a_colleague_who_is_not_the_manager_cannot_approve(team):
    _manager, rep, colleague = team
    expense = expense_submit(expense=new_expense(rep), by=rep)
    with pytest.raises(PermissionDenied):
        expense_approve(expense=expense, by=colleague)


def test_another_teams_manager_cannot_approve(team):
    _manager, rep, _colleague = team
    other_manager = UserFactory(role=Role.SALES_MANAGER)
    TeamFactory(manager=other_manager)
    expense = expense_submit(expense=new_expense(rep), by=rep)
    with pytest.raises(PermissionDenied):
        expense_approve(expense=expense, by=other_manager)


def test_admin_may_approve(team):
    _manager, rep, _colleague = team
    admin = UserFactory(role=Role.ADMIN)
    expense = expense_submit(expense=new_expense(rep), by=rep)
    assert expense_approve(expense=expense, by=admin).status == Expense.Status.APPROVED


def test_rep_without_a_team_manager_goes_to_the_sales_managers():
    rep = UserFactory()
    first, second = (UserFactory(role=Role.SALES_MANAGER) for _ in range(2))
    expense = expense_submit(expense=new_expense(rep), by=rep)
    assert expense.approver is None  # either may decide
    notified = set(
        Notification.objects.filter(kind="expense_submitted").values_list("recipient", flat=True)
    )
    assert notified == {first.pk, second.pk}
    assert expense in expenses_awaiting_decision_by(second)
    assert expense_approve(expense=expense, by=second).approver == second


def test_only_the_owner_submits(team):
    manager, rep, colleague = team
    expense = new_expense(rep)
    with pytest.raises(PermissionDenied):
        expense_submit(expense=expense, by=manager)


def test_to_approve_lists_the_team_members_submitted_expenses(team):
    manager, rep, colleague = team
    draft = new_expense(rep)
    submitted = expense_submit(expense=new_expense(colleague), by=colleague)
    assert list(expenses_awaiting_decision_by(manager)) == [submitted]
    assert draft in expenses_visible_to(manager)
    assert list(expenses_awaiting_decision_by(rep)) == []


def test_reps_do_not_see_each_others_expenses(team):
    _manager, rep, colleague = team
    mine = new_expense(rep)
    theirs = new_expense(colleague)
    assert list(expenses_visible_to(rep)) == [mine]
    assert theirs not in expenses_visible_to(rep)


def test_partner_user_expense_goes_to_the_partner_admin():
    partner = OrganisationFactory()
    partner_user = UserFactory(role=Role.PARTNER_USER, organisation=partner)
    partner_admin = UserFactory(role=Role.PARTNER_ADMIN, organisation=partner)
    other_admin = UserFactory(role=Role.PARTNER_ADMIN, organisation=OrganisationFactory())
    expense = expense_submit(expense=new_expense(partner_user), by=partner_user)
    assert expense.organisation == partner
    assert expense not in expenses_visible_to(other_admin)
    with pytest.raises(PermissionDenied):
        expense_approve(expense=expense, by=other_admin)
    assert expense_approve(expense=expense, by=partner_admin).status == Expense.Status.APPROVED


def test_receipt_is_attached_to_the_expense():
    rep = UserFactory()
    expense = new_expense(rep)
    receipt = attachment_add(
        target=expense,
        uploaded_file=SimpleUploadedFile("receipt.pdf", b"%PDF-1.4\n%receipt\n"),
        by=rep,
    )
    assert list(attachments_visible_to(rep, expense)) == [receipt]
    assert list(attachments_visible_to(UserFactory(), expense)) == []


def test_receipts_are_fixed_once_submitted_and_free_again_after_a_rejection(team):
    manager, rep, _colleague = team
    expense = new_expense(rep)
    receipt = attachment_add(
        target=expense,
        uploaded_file=SimpleUploadedFile("taxi.pdf", b"%PDF-1.4\n%taxi\n"),
        by=rep,
    )
    expense = expense_submit(expense=expense, by=rep)
    with pytest.raises(ValidationError):
        attachment_add(
            target=expense,
            uploaded_file=SimpleUploadedFile("late.pdf", b"%PDF-1.4\n%late\n"),
            by=rep,
        )
    with pytest.raises(ValidationError):
        attachment_delete(attachment=receipt, by=rep)
    expense = expense_reject(expense=expense, by=manager, comment="Wrong receipt")
    attachment_delete(attachment=receipt, by=rep)
    assert list(attachments_visible_to(rep, expense)) == []


# ------------------------------------------------------------------------------ API


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_api_creates_and_submits_and_manager_approves(team):
    manager, rep, _colleague = team
    account = AccountFactory(owner=rep)
    created = api(rep).post(
        "/api/v1/expenses/",
        {
            "date": "2026-11-03",
            "category": "travel",
            "amount": "1200.00",
            "currency": "CNY",
            "account": account.pk,
            "description": "Train to Suzhou",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "draft" and body["owner"] == rep.pk
    pk = body["id"]
    submitted = api(rep).post(f"/api/v1/expenses/{pk}/submit/", {}, format="json")
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["status"] == "submitted"
    refused = api(rep).post(f"/api/v1/expenses/{pk}/approve/", {}, format="json")
    assert refused.status_code == 403
    no_comment = api(manager).post(f"/api/v1/expenses/{pk}/reject/", {}, format="json")
    assert no_comment.status_code == 400
    assert "comment" in no_comment.json()
    approved = api(manager).post(
        f"/api/v1/expenses/{pk}/approve/", {"comment": "Fine"}, format="json"
    )
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "approved"
    locked = api(rep).patch(f"/api/v1/expenses/{pk}/", {"amount": "1.00"}, format="json")
    assert locked.status_code == 400
    gone = api(rep).delete(f"/api/v1/expenses/{pk}/")
    assert gone.status_code == 400
    assert Expense.objects.get(pk=pk).amount == Decimal("1200.00")


def test_api_refuses_status_from_the_client(team):
    _manager, rep, _colleague = team
    account = AccountFactory(owner=rep)
    created = api(rep).post(
        "/api/v1/expenses/",
        {
            "date": "2026-11-03",
            "amount": "10.00",
            "account": account.pk,
            "status": "approved",
        },
        format="json",
    )
    assert created.status_code == 201
    assert created.json()["status"] == "draft"


def test_api_refuses_an_expense_without_deal_or_account():
    rep = UserFactory()
    answer = api(rep).post(
        "/api/v1/expenses/", {"date": "2026-11-03", "amount": "10.00"}, format="json"
    )
    assert answer.status_code == 400
    assert "opportunity" in answer.json()


# ------------------------------------------------------------------------------ pages


def test_list_page_shows_mine_and_to_approve(client, team):
    manager, rep, colleague = team
    mine = new_expense(manager, description="Manager lunch")
    waiting = expense_submit(expense=new_expense(rep, description="Rep taxi"), by=rep)
    client.force_login(manager)
    page = client.get(reverse("sales:expense-list"), {"show": "mine"}).content.decode()
    assert "Manager lunch" in page and "Rep taxi" not in page
    page = client.get(reverse("sales:expense-list"), {"show": "to_approve"}).content.decode()
    assert "Rep taxi" in page and "Manager lunch" not in page
    assert mine.pk != waiting.pk


def test_detail_page_approve_and_reject_buttons(client, team):
    manager, rep, _colleague = team
    expense = expense_submit(expense=new_expense(rep), by=rep)
    url = reverse("sales:expense-detail", args=[expense.pk])
    client.force_login(rep)
    assert 'data-testid="expense-approve"' not in client.get(url).content.decode()
    client.force_login(manager)
    page = client.get(url).content.decode()
    assert 'data-testid="expense-approve"' in page and 'data-testid="expense-reject"' in page
    assert 'data-testid="attachments"' in page
    transition = reverse("sales:expense-transition", args=[expense.pk])
    answer = client.post(transition, {"action": "reject", "comment": ""})
    assert answer.status_code == 200
    assert "Say why the expense is rejected." in answer.content.decode()
    answer = client.post(transition, {"action": "reject", "comment": "Too much"})
    assert answer.status_code == 302
    expense.refresh_from_db()
    assert expense.status == Expense.Status.REJECTED


def test_form_creates_an_expense_on_a_deal(client):
    rep = UserFactory()
    deal = OpportunityFactory(owner=rep)
    client.force_login(rep)
    answer = client.post(
        reverse("sales:expense-create"),
        {
            "date": "2026-11-05",
            "category": "samples",
            "amount": "88.00",
            "currency": "CNY",
            "opportunity": deal.pk,
            "description": "Samples for the pilot",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[-2000:]
    expense = Expense.objects.get()
    assert expense.account == deal.account and expense.owner == rep


def test_form_shows_missing_target_beside_the_field(client):
    rep = UserFactory()
    client.force_login(rep)
    answer = client.post(
        reverse("sales:expense-create"),
        {"date": "2026-11-05", "category": "meals", "amount": "10", "currency": "CNY"},
    )
    assert answer.status_code == 200
    assert 'data-field-error="opportunity"' in answer.content.decode()
    assert not Expense.objects.exists()


def test_global_search_finds_an_expense_only_for_those_who_see_it(team):
    _manager, rep, colleague = team
    expense = new_expense(rep, description="出差上海高铁")

    def found(user) -> list:
        groups = {group["type"]: group["rows"] for group in global_search(user, "上海")}
        return groups.get("expenses", [])

    assert found(rep) == [expense]
    assert found(colleague) == []


def test_fallback_approver_keeps_seeing_the_expense_they_decided():
    rep = UserFactory()
    sales_manager = UserFactory(role=Role.SALES_MANAGER)
    expense = expense_submit(expense=new_expense(rep), by=rep)
    expense_reject(expense=expense, by=sales_manager, comment="Missing receipt")
    assert expense in expenses_visible_to(sales_manager)
    assert expense not in expenses_awaiting_decision_by(sales_manager)
