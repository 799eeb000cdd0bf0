"""REST API for sales expenses: CRUD of drafts and the submit / approve / reject actions."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from allyance.core.api import BusinessRecordSerializer, GatedModelViewSet
from allyance.sales.filters.expenses import ExpenseFilter
from allyance.sales.models import Expense
from allyance.sales.selectors.expenses import expenses_visible_to
from allyance.sales.services import expenses as services


class ExpenseSerializer(BusinessRecordSerializer):
    class Meta:
        model = Expense
        fields = [
            "id",
            "date",
            "category",
            "amount",
            "currency",
            "description",
            "opportunity",
            "account",
            "status",
            "approver",
            "submitted_at",
            "decided_at",
            "decision_comment",
            "owner",
            "organisation",
            "custom_fields",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "status",
            "approver",
            "submitted_at",
            "decided_at",
            "decision_comment",
            "owner",
        ]
        extra_kwargs = {"account": {"required": False}, "opportunity": {"required": False}}


class ExpenseDecisionSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    version = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)


class ExpenseViewSet(GatedModelViewSet):
    """Expenses the user may see; the status changes only through the actions."""

    serializer_class = ExpenseSerializer
    filterset_class = ExpenseFilter
    ordering_fields = ["date", "amount", "created_at", "updated_at"]
    selector = staticmethod(expenses_visible_to)
    save_service = staticmethod(services.expense_save)
    service_arg = "expense"

    def perform_destroy(self, instance):
        services.expense_delete(expense=instance, by=self.request.user)

    def _move(self, request, to: str) -> Response:
        expense = self.get_object()
        decision = ExpenseDecisionSerializer(data=request.data)
        decision.is_valid(raise_exception=True)
        try:
            expense = services.expense_transition(
                expense=expense,
                to=to,
                by=request.user,
                comment=decision.validated_data.get("comment", ""),
                expected_version=decision.validated_data.get("version"),
            )
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        return Response(ExpenseSerializer(expense, context=self.get_serializer_context()).data)

    @extend_schema(request=ExpenseDecisionSerializer, responses=ExpenseSerializer, filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def submit(self, request, pk=None):
        """Send a draft or rejected expense to its approver."""
        return self._move(request, Expense.Status.SUBMITTED)

    @extend_schema(request=ExpenseDecisionSerializer, responses=ExpenseSerializer, filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def approve(self, request, pk=None):
        """Approve a submitted expense (the owner's manager or an administrator)."""
        return self._move(request, Expense.Status.APPROVED)

    @extend_schema(request=ExpenseDecisionSerializer, responses=ExpenseSerializer, filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def reject(self, request, pk=None):
        """Reject a submitted expense; `comment` says why and is required."""
        return self._move(request, Expense.Status.REJECTED)
