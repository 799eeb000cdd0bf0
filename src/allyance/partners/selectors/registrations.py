"""Reads of deal registrations, through the gate: a partner its own (and, as a distributor,
those of the partners below that share with it), a channel manager those of the partners
it manages, administrators all. Conflicts are for the company's eyes only."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.urls import reverse

from allyance.core.visibility import visible_to
from allyance.partners.models import DealRegistration


def registrations_visible_to(user) -> QuerySet[DealRegistration]:
    return visible_to(
        user,
        DealRegistration.objects.select_related(
            "organisation", "owner", "account", "decided_by", "opportunity"
        ),
    )


def may_see_conflicts(user) -> bool:
    """Staff read the conflicts; a partner never learns who else claims its customer."""
    return bool(user is not None and user.is_authenticated and user.is_internal)


def registration_search_document(registration: DealRegistration) -> list[str | None]:
    """What finds a registration: the customer's name, tax id and web domain."""
    return [registration.customer_name, registration.tax_id, registration.domain]


@dataclass(frozen=True)
class ConflictView:
    """One stored conflict as the channel manager reads it, with the record's state now."""

    kind: str
    label: str
    why: list[str]
    own: bool
    url: str
    state: str
    exists: bool


def conflicts_for_review(registration: DealRegistration) -> list[ConflictView]:
    """The stored conflicts with links and what the other records look like today."""
    from allyance.sales.models import Opportunity

    entries = registration.conflicts or []
    deal_ids = [e["id"] for e in entries if e.get("kind") == "opportunity"]
    reg_ids = [e["id"] for e in entries if e.get("kind") == "registration"]
    deals = {
        deal.pk: deal
        for deal in Opportunity.objects.filter(pk__in=deal_ids).select_related("stage", "owner")
    }
    registrations = {
        other.pk: other
        for other in DealRegistration.objects.filter(pk__in=reg_ids).select_related("organisation")
    }
    views = []
    for entry in entries:
        kind, pk = entry.get("kind"), entry.get("id")
        why = list(entry.get("why") or [])
        if kind == "opportunity":
            deal = deals.get(pk)
            state = (
                f"{deal.stage} · {deal.amount} {deal.currency} · {deal.owner or '—'}"
                if deal
                else ""
            )
            url = reverse("sales:opportunity-detail", args=[pk])
        else:
            other = registrations.get(pk)
            state = ""
            if other is not None:
                state = str(other.get_status_display())
                if other.protected_until:
                    state += f" · {other.protected_until.isoformat()}"
            url = reverse("partners:registration-detail", args=[pk])
            deal = other
        views.append(
            ConflictView(
                kind=kind,
                label=entry.get("label", ""),
                why=why,
                own=bool(entry.get("own")),
                url=url,
                state=state,
                exists=deal is not None,
            )
        )
    return views
