"""Import of partner organisations: administrators onboard a channel from a spreadsheet."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from allyance.core.imports import DuplicateRule, Target
from allyance.core.models import STAFF_ROLES, Organisation, User
from allyance.core.normalise import name_key
from allyance.partners.imports.cells import field, one_by_name, refused
from allyance.partners.models import Tier


def _tier(user: User, text: str) -> dict:
    from allyance.partners.selectors.programme import tiers_visible_to

    found = one_by_name(tiers_visible_to(user), text)
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
            if wanted
            in (
                name_key(str(person)),
                name_key(f"{person.first_name}{person.last_name}"),
            )
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
        found = one_by_name(_partner_rows(by), parent_name)
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
        raise refused(exc) from exc


_STATUS = "status|状态|狀態"

# fmt: off
PARTNER_FIELDS = (
    field("name", gettext_lazy("Name"), "partner|partner name|organisation|organization|company|company name|合作伙伴|合作夥伴|合作伙伴名称|合作夥伴名稱|伙伴名称|夥伴名稱|名称|名稱|公司|公司名称|公司名稱|企业名称|企業名稱"),
    field("partner_type", gettext_lazy("Partner type"), "type|partner type|类型|類型|合作伙伴类型|合作夥伴類型|伙伴类型|夥伴類型", "choice"),
    field("tier", gettext_lazy("Tier"), "level|partner tier|programme tier|program tier|等级|等級|级别|級別|合作等级|合作等級", "parsed", parse=_tier),
    field("status", gettext_lazy("Status"), _STATUS, "choice"),
    field("parent", gettext_lazy("Partner above"), "parent|parent partner|parent organisation|parent organization|distributor|上级合作伙伴|上層合作夥伴|上级|上級|上层|上層|上级组织|上層組織|分销商|分銷商|上级分销商|上層分銷商|所属分销商|所屬分銷商", "parsed", parse=_parent_by_name),
    field("shares_with_parent", gettext_lazy("Shares with the partner above"), "shares with parent|the partner above sees our records|共享给上级|共享給上層|上级可见|上層可見|上级合作伙伴可查看我方记录|上層合作夥伴可檢視我方記錄", "boolean"),
    field("channel_manager", gettext_lazy("Channel manager"), "manager|partner manager|渠道经理|通路經理|渠道經理|合作伙伴经理|合作夥伴經理", "parsed", parse=_staff_user),
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
