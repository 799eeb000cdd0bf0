"""Import of MDF allocations: a channel manager loads the period's funds per partner, each
row through `allocation_save` (never below what requests already take)."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from allyance.core.imports import DuplicateRule, Target
from allyance.core.models import Organisation, User
from allyance.partners.imports.cells import (
    field,
    one_by_name,
    parse_amount,
    parse_date,
    parse_period,
    parsed,
    refused,
)
from allyance.partners.models import MdfAllocation
from allyance.sales.models.money import default_currency


def _may_import_allocations(user: User) -> bool:
    from allyance.partners.services.mdf import may_manage_mdf

    return may_manage_mdf(user)


def _managed_partners(user: User) -> QuerySet[Organisation]:
    """The partners whose funds `user` sets: all for administrators, a channel manager's own."""
    from allyance.core.visibility import managed_organisation_ids_of
    from allyance.partners.selectors.mdf import mdf_partners_for

    partners = mdf_partners_for(user)
    if user.is_admin:
        return partners
    return partners.filter(pk__in=managed_organisation_ids_of(user))


def _partner_funded(user: User, text: str) -> dict:
    found = one_by_name(_managed_partners(user), text)
    if len(found) > 1:
        raise ValidationError(_("Several partners are called “%(value)s”."), params={"value": text})
    if not found:
        raise ValidationError(
            _("There is no partner “%(value)s” whose funds you set."),
            params={"value": text},
        )
    return {"organisation": found[0]}


def _period(user: User, text: str) -> dict:
    start, end = parse_period(text)
    return {"period_start": start, "period_end": end}


def _allocation_key(organisation_id: int, start: datetime.date, currency: str) -> tuple:
    return ("period", f"{organisation_id}|{start.isoformat()}|{currency}")


def _allocation_keys(values: dict) -> list[tuple[str, str]]:
    organisation, start = values.get("organisation"), values.get("period_start")
    if organisation is None or start is None:
        return []
    return [_allocation_key(organisation.pk, start, values.get("currency") or default_currency())]


def _existing_allocations(user: User, keys: set) -> dict:
    from allyance.partners.selectors.mdf import allocations_visible_to

    wanted = [key.split("|") for kind, key in keys if kind == "period"]
    if not wanted:
        return {}
    allocations = allocations_visible_to(user).filter(
        organisation_id__in={int(pk) for pk, _start, _currency in wanted},
        period_start__in={start for _pk, start, _currency in wanted},
    )
    found: dict = {}
    for allocation in allocations.order_by("-updated_at", "-pk"):
        key = _allocation_key(
            allocation.organisation_id, allocation.period_start, allocation.currency
        )
        if key in keys:
            found.setdefault(key, (allocation.pk, str(allocation)))
    return found


def _save_allocation(record: MdfAllocation, *, by: User) -> MdfAllocation:
    from allyance.partners.services.mdf import allocation_save

    if record.period_start and not record.period_end:
        raise ValidationError(
            {"period_end": _("Give the period's end, or a period such as 2026 Q1.")}
        )
    if record.pk is None:
        record.source = MdfAllocation.Source.MANUAL
    try:
        return allocation_save(allocation=record, by=by)
    except PermissionDenied as exc:
        raise refused(exc) from exc


# fmt: off
ALLOCATION_FIELDS = (
    field("organisation", gettext_lazy("Partner"), "partner|partner name|合作伙伴|合作夥伴|伙伴|夥伴|合作伙伴名称|合作夥伴名稱", "parsed", parse=_partner_funded),
    field("period", gettext_lazy("Period"), "quarter|month|year|期间|期間|季度|周期|週期|年度", "parsed", parse=_period),
    field("period_start", gettext_lazy("Period start"), "start|start date|from|开始日期|開始日期|起始日期|期间开始日期|期間開始日期", "parsed", parse=parsed(parse_date, "period_start")),
    field("period_end", gettext_lazy("Period end"), "end|end date|to|结束日期|結束日期|截止日期|期间结束日期|期間結束日期", "parsed", parse=parsed(parse_date, "period_end")),
    field("amount", gettext_lazy("Amount"), "funds|mdf|mdf amount|allocation|金额|金額|额度|額度|基金额度|基金額度|市场发展基金|行銷發展基金|市场发展基金额度|行銷發展基金額度", "parsed", parse=parsed(parse_amount, "amount")),
    field("currency", gettext_lazy("Currency"), "币种|幣別|幣種|货币|貨幣", "choice"),
    field("note", gettext_lazy("Note"), "notes|remarks|comment|备注|備註|说明|說明"),
)
# fmt: on

ALLOCATIONS = Target(
    key="mdf_allocations",
    label=gettext_lazy("MDF allocations"),
    model=MdfAllocation,
    fields=ALLOCATION_FIELDS,
    required=(("organisation",), ("period", "period_start"), ("amount",)),
    selector="allyance.partners.selectors.mdf.allocations_visible_to",
    record_list="",
    save=_save_allocation,
    phone_fields=(),
    email_fields=(),
    may_import=_may_import_allocations,
    refusal=gettext_lazy("Only administrators and channel managers may import into %(target)s."),
    duplicates=DuplicateRule(keys=_allocation_keys, existing=_existing_allocations),
    list_url="partners:mdf-allocation-list",
)
