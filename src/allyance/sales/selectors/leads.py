"""Reads of leads and their scoring data, always through the visibility gate."""

from __future__ import annotations

from django.db.models import QuerySet

from allyance.core.visibility import visible_to
from allyance.customers.models import Account, Contact
from allyance.sales.models import Lead, LeadEvent, ScoringRule


def leads_visible_to(user) -> QuerySet[Lead]:
    return visible_to(user, Lead.objects.select_related("owner", "territory"))


def lead_events_visible_to(user) -> QuerySet[LeadEvent]:
    """Events of the leads the user may see."""
    return LeadEvent.objects.filter(lead__in=visible_to(user, Lead.objects.all()).values("pk"))


def scoring_rules_visible_to(user) -> QuerySet[ScoringRule]:
    """Central rules: staff read them; partners and customers do not."""
    if user is None or not user.is_authenticated or not user.is_internal:
        return ScoringRule.objects.none()
    return ScoringRule.objects.all()


DUPLICATE_MODELS = {"lead": Lead, "contact": Contact, "account": Account}


def visible_duplicates(user, leads) -> dict[str, dict[int, object]]:
    """The records named as possible duplicates of `leads` that `user` may see, by type and
    id: one query per type for a whole page of leads."""
    ids: dict[str, set[int]] = {kind: set() for kind in DUPLICATE_MODELS}
    for lead in leads:
        for entry in lead.possible_duplicates or []:
            if entry.get("type") in ids and isinstance(entry.get("id"), int):
                ids[entry["type"]].add(entry["id"])
    return {
        kind: {r.pk: r for r in visible_to(user, DUPLICATE_MODELS[kind].objects.filter(pk__in=pks))}
        for kind, pks in ids.items()
        if pks
    }


def lead_duplicates_for(user, lead: Lead, *, visible: dict | None = None) -> list[dict]:
    """The lead's possible duplicates as `user` may see them: a link and a name for what they
    may see; only the fact that another record matched for what they may not."""
    if visible is None:
        visible = visible_duplicates(user, [lead])
    shown = []
    for entry in lead.possible_duplicates or []:
        if entry.get("type") not in DUPLICATE_MODELS:
            continue
        record = visible.get(entry["type"], {}).get(entry.get("id"))
        shown.append(
            {
                "type": entry["type"],
                "type_label": DUPLICATE_MODELS[entry["type"]]._meta.verbose_name,
                "why": entry.get("why", ""),
                "id": entry.get("id") if record is not None else None,
                "label": str(record) if record is not None else "",
                "url": record.get_absolute_url() if record is not None else "",
            }
        )
    return shown


def lead_search_document(lead: Lead) -> list[str]:
    """Names, company, e-mail, phones and city of a lead, for the search index."""
    from allyance.core.search import phone_terms

    return [
        lead.family_name,
        lead.given_name,
        lead.company,
        lead.email,
        *phone_terms(lead.phone),
        *phone_terms(lead.mobile),
        lead.city,
    ]
