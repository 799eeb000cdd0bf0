"""Writes on leads: clean contact data, the status flow, duplicates on entry, routing, conversion."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from allyance.activities.models import Activity
from allyance.core import audit
from allyance.core.models import Organisation, User
from allyance.core.normalise import email_normalised, name_key, phone_e164
from allyance.core.services import ensure_may_write, record_save
from allyance.core.visibility import visible_to
from allyance.customers.models import Account, Contact
from allyance.customers.services import account_save, contact_save
from allyance.sales.models import Lead, Opportunity, OpportunityContact, Pipeline, Stage

Status = Lead.Status

# The status flow. Conversion is not here: only `lead_convert` makes a lead converted.
TRANSITIONS: dict[str, set[str]] = {
    Status.NEW: {Status.WORKING, Status.QUALIFIED, Status.DISQUALIFIED},
    Status.WORKING: {Status.NEW, Status.QUALIFIED, Status.DISQUALIFIED},
    Status.QUALIFIED: {Status.WORKING, Status.DISQUALIFIED},
    Status.DISQUALIFIED: {Status.NEW, Status.WORKING},
    Status.CONVERTED: set(),
}
# What may still change on a converted lead.
CONVERTED_EDITABLE = {"notes"}
PHONE_FIELDS = ("phone", "mobile")
DUPLICATES_PER_KEY = 10
# A company name shared by more records than this is too common to report them all.
COMPANY_SEARCH_LIMIT = 50


def _normalise(lead: Lead) -> None:
    errors = {}
    for name in PHONE_FIELDS:
        try:
            setattr(lead, name, phone_e164(getattr(lead, name)))
        except ValidationError as exc:
            errors[name] = exc.messages
    try:
        lead.email = email_normalised(lead.email)
    except ValidationError:
        errors["email"] = [_("Enter a valid e-mail address.")]
    for name in ("family_name", "given_name", "company"):
        setattr(lead, name, " ".join((getattr(lead, name) or "").split()))
    if errors:
        raise ValidationError(errors)


def _default_ownership(lead: Lead, by: User | None) -> None:
    if lead.pk is None:
        if lead.owner_id is None and by is not None and not by.is_customer:
            lead.owner = by
        if lead.organisation_id is None:
            lead.organisation = (
                by.organisation if by is not None and by.organisation_id else Organisation.company()
            )


def _check_status(lead: Lead, before: Lead | None) -> None:
    """The status moves only along TRANSITIONS; converted leads keep all but their notes."""
    old = before.status if before is not None else None
    if old == Status.CONVERTED:
        changed = [
            f.name
            for f in Lead._meta.concrete_fields
            if f.editable
            and f.name not in CONVERTED_EDITABLE | {"version", "updated_at", "id"}
            and getattr(lead, f.attname) != getattr(before, f.attname)
        ]
        if changed:
            raise ValidationError(
                {
                    name: _("A converted lead is read-only; only its notes may change.")
                    for name in changed
                }
            )
        return
    if lead.status == Status.CONVERTED and old != Status.CONVERTED:
        raise ValidationError({"status": _("Convert the lead to make it converted.")})
    if old is not None and lead.status != old and lead.status not in TRANSITIONS[old]:
        raise ValidationError(
            {
                "status": _("A lead cannot go from “%(old)s” to “%(new)s”.")
                % {"old": Status(old).label, "new": Status(lead.status).label}
            }
        )
    if lead.status == Status.DISQUALIFIED:
        lead.disqualified_reason = (lead.disqualified_reason or "").strip()
        if not lead.disqualified_reason:
            raise ValidationError({"disqualified_reason": _("Say why the lead is disqualified.")})
    elif old == Status.DISQUALIFIED:
        lead.disqualified_reason = ""


def _entry(kind: str, record, why: str) -> dict:
    return {"type": kind, "id": record.pk, "label": str(record)[:200], "why": why}


def lead_duplicates_find(lead: Lead) -> list[dict]:
    """Leads, contacts and accounts that may be the same as `lead`, whoever may see them.

    Matched by e-mail, phone or mobile (E.164) on indexed columns, and by company name
    (case- and width-insensitive): leads on their lower-case index, accounts through the
    search index, confirmed by comparing the folded names.
    """
    found: dict[tuple[str, int], dict] = {}

    def add(kind: str, records, why: str) -> None:
        for record in records:
            if kind == "lead" and record.pk == lead.pk:
                continue
            found.setdefault((kind, record.pk), _entry(kind, record, why))

    phones = sorted({getattr(lead, name) for name in PHONE_FIELDS} - {""})
    others = Lead.objects.exclude(pk=lead.pk) if lead.pk else Lead.objects.all()
    if lead.email:
        add("lead", others.filter(email=lead.email)[:DUPLICATES_PER_KEY], "email")
        add("contact", Contact.objects.filter(email=lead.email)[:DUPLICATES_PER_KEY], "email")
    for name in PHONE_FIELDS:
        if phones:
            add(
                "lead",
                others.filter(**{f"{name}__in": phones})[:DUPLICATES_PER_KEY],
                "phone",
            )
            add(
                "contact",
                Contact.objects.filter(**{f"{name}__in": phones})[:DUPLICATES_PER_KEY],
                "phone",
            )
    from allyance.core.search import search_queryset

    accounts = Account.objects.order_by("-updated_at")
    if lead.email:
        for account in search_queryset(accounts, lead.email)[:COMPANY_SEARCH_LIMIT]:
            if lead.email in (account.email, account.email_alt):
                add("account", [account], "email")
    for phone in phones:
        for account in search_queryset(accounts, phone)[:COMPANY_SEARCH_LIMIT]:
            if phone in (account.phone, account.phone_alt):
                add("account", [account], "phone")
    company = name_key(lead.company)
    if company:
        same_company = (
            others.alias(company_lower=Lower("company"))
            .filter(company_lower=lead.company.lower())
            .order_by("-updated_at")[:DUPLICATES_PER_KEY]
        )
        add("lead", same_company, "company")
        add(
            "account",
            [
                account
                for account in search_queryset(accounts, lead.company)[:COMPANY_SEARCH_LIMIT]
                if name_key(account.name) == company
            ][:DUPLICATES_PER_KEY],
            "company",
        )
    return list(found.values())


def lead_save(*, lead: Lead, by: User | None, expected_version: int | None = None) -> Lead:
    """Create or update a lead: clean phones and e-mail, keep the status flow, flag possible
    duplicates, route a new lead, and score it, all in one transaction."""
    creating = lead.pk is None
    _normalise(lead)
    _default_ownership(lead, by)
    before = None if creating else Lead.objects.filter(pk=lead.pk).first()
    _check_status(lead, before)
    with transaction.atomic():
        lead.possible_duplicates = lead_duplicates_find(lead)
        lead = record_save(instance=lead, by=by, expected_version=expected_version)
        from allyance.sales.services.scoring import lead_rescore

        lead_rescore(lead=lead)  # first: routing rules may match on the score
        if creating:
            from allyance.sales.services.routing import lead_route

            with audit.acting_as(by):
                lead_route(lead=lead, by=by)
    return lead


def _first_open_stage(pipeline: Pipeline) -> Stage:
    stage = pipeline.stages.filter(outcome=Stage.Outcome.OPEN).order_by("order", "id").first()
    if stage is None:
        raise ValidationError(
            {"pipeline": _("The pipeline “%(name)s” has no open stage.") % {"name": pipeline}}
        )
    return stage


def _new_account(lead: Lead, by: User | None) -> Account:
    account = Account(
        kind=Account.Kind.COMPANY if lead.company else Account.Kind.INDIVIDUAL,
        name=lead.company or lead.full_name,
        industry=lead.industry,
        size_band=lead.size_band,
        country=lead.country,
        province=lead.province,
        city=lead.city,
        phone=lead.phone,
        email=lead.email,
        website=lead.website,
        source=lead.source,
        status=Account.Status.PROSPECT,
        territory=lead.territory,
        owner=lead.owner or by,
        organisation=lead.organisation,
    )
    return account_save(account=account, by=by)


def _new_contact(lead: Lead, account: Account, by: User | None) -> Contact:
    contact = Contact(
        family_name=lead.family_name,
        given_name=lead.given_name,
        title=lead.title,
        phone=lead.phone,
        mobile=lead.mobile,
        email=lead.email,
        account=account,
        owner=lead.owner or by,
        organisation=lead.organisation,
    )
    return contact_save(contact=contact, by=by)


def _check_visible(by: User | None, record, field: str) -> None:
    if (
        record is not None
        and by is not None
        and not visible_to(by, type(record)._default_manager.filter(pk=record.pk)).exists()
    ):
        raise ValidationError({field: _("Choose a record you can see.")})


def _move_activities(
    lead: Lead, *, account: Account, contact: Contact, opportunity: Opportunity | None
) -> int:
    """The lead's activities now belong to the new customer records (audited, versioned)."""
    activities = Activity.objects.filter(
        target_type=ContentType.objects.get_for_model(Lead), target_id=str(lead.pk)
    )
    target_type = ContentType.objects.get_for_model(Opportunity) if opportunity else None
    moved = 0
    for activity in activities:
        activity.account = account
        activity.contact = contact
        activity.target_type = target_type
        activity.target_id = str(opportunity.pk) if opportunity else ""
        activity.version += 1
        activity.save(
            update_fields=[
                "account",
                "contact",
                "target_type",
                "target_id",
                "version",
                "updated_at",
            ]
        )
        moved += 1
    return moved


def lead_convert(
    *,
    lead: Lead,
    by: User | None,
    account: Account | None = None,
    contact: Contact | None = None,
    create_opportunity: bool = True,
    opportunity_name: str = "",
    pipeline: Pipeline | None = None,
    amount: Decimal | None = None,
    close_date: date | None = None,
) -> Lead:
    """Turn a lead into an account, a contact and (optionally) an opportunity in one step.

    Existing account/contact are linked instead of created; the lead's activities move to
    the new records; the lead keeps links to what it became and is read-only afterwards.
    """
    ensure_may_write(by, Lead)
    if by is not None and by.is_customer:
        raise PermissionDenied(_("Your account may not change this record."))
    _check_visible(by, account, "account")
    _check_visible(by, contact, "contact")
    if contact is not None and account is None and contact.account_id:
        account = contact.account
    with audit.acting_as(by), transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        if lead.status == Status.CONVERTED:
            raise ValidationError({"status": _("This lead has already been converted.")})
        if lead.status == Status.DISQUALIFIED:
            raise ValidationError({"status": _("Reopen a disqualified lead before converting it.")})
        stage = None
        if create_opportunity:
            pipeline = pipeline or Pipeline.objects.filter(is_default=True, is_active=True).first()
            if pipeline is None:
                raise ValidationError(
                    {"pipeline": _("There is no default pipeline: choose the pipeline.")}
                )
            stage = _first_open_stage(pipeline)
        if account is None:
            account = _new_account(lead, by)
        if contact is None:
            contact = _new_contact(lead, account, by)
        opportunity = None
        if create_opportunity:
            from allyance.sales.services.opportunities import opportunity_save

            name = (opportunity_name or "").strip() or _("%(company)s – new business") % {
                "company": account.name
            }
            opportunity = opportunity_save(
                opportunity=Opportunity(
                    name=name[:200],
                    account=account,
                    pipeline=pipeline,
                    stage=stage,
                    amount=amount if amount is not None else (lead.budget or Decimal(0)),
                    currency=lead.currency,
                    close_date=close_date,
                    source=lead.source,
                    territory=lead.territory or account.territory,
                    owner=lead.owner or by,
                    organisation=lead.organisation,
                ),
                by=by,
            )
            OpportunityContact.objects.get_or_create(opportunity=opportunity, contact=contact)
        _move_activities(lead, account=account, contact=contact, opportunity=opportunity)
        lead.status = Status.CONVERTED
        lead.converted_account = account
        lead.converted_contact = contact
        lead.converted_opportunity = opportunity
        lead.converted_at = timezone.now()
        lead = record_save(instance=lead, by=by)
    return lead
