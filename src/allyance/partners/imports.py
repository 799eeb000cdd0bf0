"""Import targets of the partner programme: partner organisations, deal registrations and MDF
allocations, registered with core's import machinery in `PartnersConfig.ready()`.

Every row is saved through the partners' own services, so the rules, conflict checks,
notifications and audit trail are those of a record typed in. Names in a file (a partner, a
tier, a channel manager) are looked up only among what the importing user may see or manage,
and a name that is not found gets the same message whether it exists elsewhere or not.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from allyance.core.imports import DuplicateRule, ImportField, Target, register_target
from allyance.core.models import STAFF_ROLES, Organisation, User
from allyance.core.normalise import name_key
from allyance.partners.models import DealRegistration, MdfAllocation, Tier
from allyance.sales.models.money import default_currency


def _field(name: str, label, synonyms: str = "", kind: str = "text", **extra) -> ImportField:
    return ImportField(name, label, tuple(filter(None, synonyms.split("|"))), kind, **extra)


def _refused(exc: PermissionDenied) -> ValidationError:
    """A service's refusal is the row's error, not a crash of the whole import."""
    return ValidationError(str(exc) or _("You may not change this record."))


# --- Reading cells ---------------------------------------------------------------------------

_DATE_SEPARATORS = re.compile(r"[年月/.]")


def parse_date(text: str) -> datetime.date:
    """`2026-03-31`, `2026/3/31`, `2026.03.31`, `2026年3月31日`; else a ValidationError."""
    cleaned = _DATE_SEPARATORS.sub("-", text.strip()).rstrip("日").split(" ")[0].split("T")[0]
    try:
        return datetime.date(*(int(part) for part in cleaned.split("-")))
    except (TypeError, ValueError):
        raise ValidationError(
            _("“%(value)s” is not a date; write it as 2026-03-31."), params={"value": text}
        ) from None


def parse_amount(text: str) -> Decimal:
    """`12,500.00`, `12 500`, `¥12,500` as an exact Decimal, never a float."""
    cleaned = re.sub(r"[\s,，¥￥$€£]", "", text)
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise ValidationError(_("“%(value)s” is not an amount."), params={"value": text})
    return amount


_QUARTER = re.compile(
    r"^(?:(?P<y1>\d{4})\s*年?\s*[-/ ]?\s*(?:q|第)\s*(?P<q1>[1-4一二三四])\s*(?:季度|季)?"
    r"|(?:q|第)\s*(?P<q2>[1-4一二三四])\s*(?:季度|季)?\s*[-/ ]?\s*(?P<y2>\d{4})\s*年?)$",
    re.IGNORECASE,
)
_MONTH = re.compile(r"^(?P<y>\d{4})\s*(?:年|[-/.])\s*(?P<m>\d{1,2})\s*月?$")
_YEAR = re.compile(r"^(?P<y>\d{4})\s*年?(?:度)?$")
_CHINESE_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4}


def parse_period(text: str) -> tuple[datetime.date, datetime.date]:
    """A quarter (`2026 Q1`, `Q1 2026`, `2026年第一季度`), a month (`2026-03`, `2026年3月`)
    or a year (`2026`) as its first and last day."""
    cleaned = text.strip()
    if match := _QUARTER.match(cleaned):
        year = int(match["y1"] or match["y2"])
        digit = match["q1"] or match["q2"]
        quarter = _CHINESE_DIGITS.get(digit) or int(digit)
        start = datetime.date(year, 3 * quarter - 2, 1)
        end = datetime.date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)
        return start, end - datetime.timedelta(days=1)
    if (match := _MONTH.match(cleaned)) and 1 <= int(match["m"]) <= 12:
        year, month = int(match["y"]), int(match["m"])
        start = datetime.date(year, month, 1)
        end = datetime.date(year + (month == 12), 1 if month == 12 else month + 1, 1)
        return start, end - datetime.timedelta(days=1)
    if match := _YEAR.match(cleaned):
        year = int(match["y"])
        return datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    raise ValidationError(
        _("“%(value)s” is not a period; write a quarter such as 2026 Q1, a month or a year."),
        params={"value": text},
    )


def _one_by_name(queryset: QuerySet, text: str) -> list:
    """The records of `queryset` whose name is `text` once case, width and spacing are folded."""
    key = name_key(text)
    found = [r for r in queryset.filter(name__iexact=text.strip())[:5] if name_key(r.name) == key]
    if not found:  # written in another width or spacing: compare every name the user may see
        found = [
            r for r in queryset.select_related(None).only("pk", "name") if name_key(r.name) == key
        ]
    return found


def _parsed(reader: Callable[[str], Any], name: str) -> Callable[[User, str], dict]:
    return lambda user, text: {name: reader(text)}


def _tier(user: User, text: str) -> dict:
    from allyance.partners.selectors.programme import tiers_visible_to

    found = _one_by_name(tiers_visible_to(user), text)
    if not found:
        names = ", ".join(tier.name for tier in Tier.objects.order_by("-rank", "name"))
        raise ValidationError(
            _("There is no tier “%(value)s”; the tiers are: %(names)s."),
            params={"value": text, "names": names},
        )
    return {"tier": found[0]}


def _staff_user(user: User, text: str) -> dict:
    """A channel manager by user name, e-mail or full name (`王小明`, `Ada Lovelace`)."""
    staff = User.objects.filter(is_active=True).filter(
        Q(role__in=STAFF_ROLES) | Q(is_superuser=True)
    )
    key = text.strip()
    found = list(staff.filter(Q(username__iexact=key) | Q(email__iexact=key)).order_by("pk")[:1])
    if not found:
        wanted = name_key(key)
        found = [
            person
            for person in staff.only("pk", "username", "first_name", "last_name")
            if wanted in (name_key(str(person)), name_key(f"{person.first_name}{person.last_name}"))
        ]
    if len(found) > 1:
        raise ValidationError(
            _("Several staff are called “%(value)s”; give the user name or e-mail."),
            params={"value": text},
        )
    if not found:
        raise ValidationError(
            _("There is no active staff member “%(value)s”."), params={"value": text}
        )
    return {"channel_manager": found[0]}


# --- Partner organisations ---------------------------------------------------------------------


def _may_import_partners(user: User) -> bool:
    from allyance.partners.selectors.programme import oversees_all_partners

    return oversees_all_partners(user)


def _partner_rows(user: User) -> QuerySet[Organisation]:
    from allyance.partners.selectors.programme import partner_organisations_overseen_by

    return partner_organisations_overseen_by(user)


def _partner_keys(values: dict) -> list[tuple[str, str]]:
    key = name_key(values.get("name", ""))
    return [("name", key)] if key else []


def _existing_partners(user: User, keys: set) -> dict:
    found: dict = {}
    rows = _partner_rows(user).order_by("-updated_at", "-pk").values_list("pk", "name")
    for pk, name in rows:
        key = ("name", name_key(name))
        if key in keys:
            found.setdefault(key, (pk, name))
    return found


def _parent_by_name(user: User, text: str) -> dict:
    # Looked up when the row is saved, so a reseller may name a distributor from an earlier
    # line of the same file.
    return {"_import_parent_name": text.strip()}


def _save_partner(record: Organisation, *, by: User) -> Organisation:
    from allyance.partners.services.programme import partner_organisation_save

    parent_name = getattr(record, "_import_parent_name", "")
    if parent_name:
        found = [o for o in _one_by_name(_partner_rows(by), parent_name) if o.pk != record.pk]
        if len(found) != 1:
            message = (
                _("Several partners are called “%(value)s”.")
                if found
                else _("There is no partner “%(value)s”.")
            )
            raise ValidationError({"parent": message % {"value": parent_name}})
        record.parent = found[0]
    try:
        return partner_organisation_save(organisation=record, by=by)
    except PermissionDenied as exc:
        raise _refused(exc) from exc


_STATUS = "status|状态|狀態"

# fmt: off
PARTNER_FIELDS = (
    _field("name", gettext_lazy("Name"), "partner|partner name|organisation|organization|company|company name|合作伙伴|合作夥伴|合作伙伴名称|合作夥伴名稱|伙伴名称|夥伴名稱|名称|名稱|公司|公司名称|公司名稱|企业名称|企業名稱"),
    _field("partner_type", gettext_lazy("Partner type"), "type|partner type|类型|類型|合作伙伴类型|合作夥伴類型|伙伴类型|夥伴類型", "choice"),
    _field("tier", gettext_lazy("Tier"), "level|partner tier|programme tier|program tier|等级|等級|级别|級別|合作等级|合作等級", "parsed", parse=_tier),
    _field("status", gettext_lazy("Status"), _STATUS, "choice"),
    _field("parent", gettext_lazy("Partner above"), "parent|parent partner|parent organisation|parent organization|distributor|上级合作伙伴|上層合作夥伴|上级|上級|上层|上層|上级组织|上層組織|分销商|分銷商|上级分销商|上層分銷商|所属分销商|所屬分銷商", "parsed", parse=_parent_by_name),
    _field("shares_with_parent", gettext_lazy("Shares with the partner above"), "shares with parent|the partner above sees our records|共享给上级|共享給上層|上级可见|上層可見|上级合作伙伴可查看我方记录|上層合作夥伴可檢視我方記錄", "boolean"),
    _field("channel_manager", gettext_lazy("Channel manager"), "manager|partner manager|渠道经理|通路經理|渠道經理|合作伙伴经理|合作夥伴經理", "parsed", parse=_staff_user),
)
# fmt: on

PARTNERS = Target(
    key="partners",
    label=gettext_lazy("Partners"),
    model=Organisation,
    fields=PARTNER_FIELDS,
    required=(("name",),),
    selector="allyance.partners.selectors.programme.partner_organisations_overseen_by",
    record_list="",
    save=_save_partner,
    phone_fields=(),
    email_fields=(),
    may_import=_may_import_partners,
    duplicates=DuplicateRule(keys=_partner_keys, existing=_existing_partners),
    list_url="partners:partner-list",
    url_of=lambda pk: reverse("partners:partner-detail", args=[pk]),
)


# --- Deal registrations --------------------------------------------------------------------


def _may_import_registrations(user: User) -> bool:
    """Partner users register deals (the service's rule), so they import them."""
    return bool(user.is_authenticated and user.is_partner and user.organisation_id)


def _registration_keys(values: dict) -> list[tuple[str, str]]:
    key = name_key(values.get("customer_name", ""))
    return [("name", key)] if key else []


def _existing_registrations(user: User, keys: set) -> dict:
    """The partner's own registrations that still claim the customer: another partner's are
    for the channel manager to weigh as conflicts, never shown to this one."""
    from allyance.partners.selectors.registrations import registrations_visible_to
    from allyance.partners.services.registrations import _active_condition

    wanted = sorted(key for kind, key in keys if kind == "name")
    own = (
        registrations_visible_to(user)
        .filter(organisation_id=user.organisation_id, customer_key__in=wanted)
        .filter(_active_condition(timezone.localdate()))
        .order_by("-updated_at", "-pk")
    )
    found: dict = {}
    for pk, customer_key, customer_name in own.values_list("pk", "customer_key", "customer_name"):
        found.setdefault(("name", customer_key), (pk, customer_name))
    return found


def _save_registration(record: DealRegistration, *, by: User) -> DealRegistration:
    from allyance.partners.services.registrations import registration_submit

    if record.pk is not None:
        raise ValidationError(
            _(
                "A registered deal is not changed by an import: skip the rows that repeat one, "
                "or withdraw it and register it again."
            )
        )
    try:
        return registration_submit(registration=record, by=by)
    except PermissionDenied as exc:
        raise _refused(exc) from exc


# fmt: off
REGISTRATION_FIELDS = (
    _field("customer_name", gettext_lazy("Customer"), "customer|customer name|company|company name|end customer|end user|account|客户|客戶|客户名称|客戶名稱|最终客户|最終客戶|终端客户|終端客戶|公司|公司名称|公司名稱|企业名称|企業名稱"),
    _field("tax_id", gettext_lazy("Tax id"), "tax number|vat|vat number|vat id|uscc|unified social credit code|税号|稅號|纳税人识别号|納稅人識別號|统一社会信用代码|統一社會信用代碼|统一编号|統一編號"),
    _field("domain", gettext_lazy("Web domain"), "domain|website|web|url|homepage|域名|网站|網站|网址|網址|网站域名|網站網域"),
    _field("contact_name", gettext_lazy("Contact"), "contact|contact name|联系人|聯絡人|聯繫人|联系人姓名|聯絡人姓名"),
    _field("contact_email", gettext_lazy("Contact e-mail"), "email|e-mail|contact email|邮箱|郵箱|电子邮件|電子郵件|联系人邮箱|聯絡人郵箱|聯絡人電郵"),
    _field("product_interest", gettext_lazy("Product interest"), "product|products|interest|产品|產品|意向产品|意向產品|感兴趣的产品|感興趣的產品|产品意向|產品意向"),
    _field("estimated_amount", gettext_lazy("Estimated amount"), "amount|value|deal value|deal size|estimated value|金额|金額|预计金额|預計金額|預估金額|商机金额|商機金額", "parsed", parse=_parsed(parse_amount, "estimated_amount")),
    _field("currency", gettext_lazy("Currency"), "币种|幣別|幣種|货币|貨幣", "choice"),
    _field("expected_close", gettext_lazy("Expected close"), "close date|expected close date|expected closing|预计成交日期|預計成交日期|成交日期|预计签约日期|預計簽約日期", "parsed", parse=_parsed(parse_date, "expected_close")),
    _field("description", gettext_lazy("Notes"), "notes|note|remarks|comment|description|备注|備註|说明|說明|描述"),
)
# fmt: on

REGISTRATIONS = Target(
    key="registrations",
    label=gettext_lazy("Deal registrations"),
    model=DealRegistration,
    fields=REGISTRATION_FIELDS,
    required=(("customer_name",),),
    selector="allyance.partners.selectors.registrations.registrations_visible_to",
    record_list="",
    save=_save_registration,
    phone_fields=(),
    email_fields=(),
    may_import=_may_import_registrations,
    refusal=gettext_lazy("Only partner users may import into %(target)s."),
    duplicates=DuplicateRule(keys=_registration_keys, existing=_existing_registrations),
    list_url="partners:registration-list",
)


# --- MDF allocations -----------------------------------------------------------------------


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
    found = _one_by_name(_managed_partners(user), text)
    if len(found) > 1:
        raise ValidationError(_("Several partners are called “%(value)s”."), params={"value": text})
    if not found:
        raise ValidationError(
            _("There is no partner “%(value)s” whose funds you set."), params={"value": text}
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
        raise _refused(exc) from exc


# fmt: off
ALLOCATION_FIELDS = (
    _field("organisation", gettext_lazy("Partner"), "partner|partner name|合作伙伴|合作夥伴|伙伴|夥伴|合作伙伴名称|合作夥伴名稱", "parsed", parse=_partner_funded),
    _field("period", gettext_lazy("Period"), "quarter|month|year|期间|期間|季度|周期|週期|年度", "parsed", parse=_period),
    _field("period_start", gettext_lazy("Period start"), "start|start date|from|开始日期|開始日期|起始日期|期间开始日期|期間開始日期", "parsed", parse=_parsed(parse_date, "period_start")),
    _field("period_end", gettext_lazy("Period end"), "end|end date|to|结束日期|結束日期|截止日期|期间结束日期|期間結束日期", "parsed", parse=_parsed(parse_date, "period_end")),
    _field("amount", gettext_lazy("Amount"), "funds|mdf|mdf amount|allocation|金额|金額|额度|額度|基金额度|基金額度|市场发展基金|行銷發展基金|市场发展基金额度|行銷發展基金額度", "parsed", parse=_parsed(parse_amount, "amount")),
    _field("currency", gettext_lazy("Currency"), "币种|幣別|幣種|货币|貨幣", "choice"),
    _field("note", gettext_lazy("Note"), "notes|remarks|comment|备注|備註|说明|說明"),
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


def register_import_targets() -> None:
    """Offer the programme's records to the import pages (called from `ready()`)."""
    for target in (PARTNERS, REGISTRATIONS, ALLOCATIONS):
        register_target(target)


def import_url(target: Target, user: User) -> str | None:
    """The import page for `target`, for list pages to link to when `user` may import."""
    if not target.importable_by(user):
        return None
    return f"{reverse('core:import-new')}?target={target.key}"
