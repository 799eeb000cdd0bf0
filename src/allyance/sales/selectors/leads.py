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


def lead_duplicates_for(user, lead: Lead) -> list[dict]:
    """The lead's possible duplicates as `user` may see them: a link and a name for what they
    may see; only the fact that another record matched for what they may not."""
    entries = [e for e in lead.possible_duplicates or [] if e.get("type") in DUPLICATE_MODELS]
    visible: dict[str, dict[int, object]] = {}
    for kind, model in DUPLICATE_MODELS.items():
        ids = [e.get("id") for e in entries if e["type"] == kind and isinstance(e.get("id"), int)]
        if ids:
            visible[kind] = {r.pk: r for r in visible_to(user, model.objects.filter(pk__in=ids))}
    shown = []
    for entry in entries:
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
