"""Reads of assignment rules, the routing log and the lead queue, scoped by who asks."""

from __future__ import annotations

from django.db.models import QuerySet

from allyance.core.visibility import visible_to
from allyance.sales.models import AssignmentRule, Lead, LeadAssignment
from allyance.sales.services.routing import OPEN_LEAD_STATUSES


def assignment_rules_visible_to(user) -> QuerySet[AssignmentRule]:
    """Central rules: staff read them (administrators change them); partners see none."""
    if user is None or not user.is_authenticated or not user.is_internal:
        return AssignmentRule.objects.none()
    return AssignmentRule.objects.select_related(
        "assign_user", "assign_team", "assign_territory"
    ).order_by("priority", "id")


def lead_assignments_for(user, lead: Lead) -> QuerySet[LeadAssignment]:
    """The routing log of one lead, newest first, if the user may see the lead."""
    if not visible_to(user, Lead.objects.filter(pk=lead.pk)).exists():
        return LeadAssignment.objects.none()
    return LeadAssignment.objects.filter(lead=lead).select_related(
        "rule", "assigned_user", "team", "territory", "by"
    )


def lead_queue_visible_to(user) -> QuerySet[Lead]:
    """Open leads nobody owns yet: the queue routing left them in, or rules did not reach."""
    return visible_to(
        user,
        Lead.objects.filter(owner__isnull=True, status__in=OPEN_LEAD_STATUSES).select_related(
            "territory"
        ),
    )


def lead_assignments_visible_to(user) -> QuerySet[LeadAssignment]:
    """The routing log of every lead the user may see."""
    return LeadAssignment.objects.filter(lead__in=visible_to(user, Lead.objects.all()).values("pk"))
