"""Import of deal registrations: a partner's users bulk-register their own organisation's
deals, each through `registration_submit` (normalised, checked for conflicts, told to the
channel manager) as if typed in."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from allyance.core.imports import DuplicateRule, Target
from allyance.core.models import User
from allyance.core.normalise import name_key
from allyance.partners.imports.cells import (
    field,
    parse_amount,
    parse_date,
    parsed,
    refused,
)
from allyance.partners.models import DealRegistration


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
        raise refused(exc) from exc


# fmt: off
REGISTRATION_FIELDS = (
    field("customer_name", gettext_lazy("Customer"), "customer|customer name|company|company name|end customer|end user|account|客户|客戶|客户名称|客戶名稱|最终客户|最終客戶|终端客户|終端客戶|公司|公司名称|公司名稱|企业名称|企業名稱"),
    field("tax_id", gettext_lazy("Tax id"), "tax number|vat|vat number|vat id|uscc|unified social credit code|税号|稅號|纳税人识别号|納稅人識別號|统一社会信用代码|統一社會信用代碼|统一编号|統一編號"),
    field("domain", gettext_lazy("Web domain"), "domain|website|web|url|homepage|域名|网站|網站|网址|網址|网站域名|網站網域"),
    field("contact_name", gettext_lazy("Contact"), "contact|contact name|联系人|聯絡人|聯繫人|联系人姓名|聯絡人姓名"),
    field("contact_email", gettext_lazy("Contact e-mail"), "email|e-mail|contact email|邮箱|郵箱|电子邮件|電子郵件|联系人邮箱|聯絡人郵箱|聯絡人電郵"),
    field("product_interest", gettext_lazy("Product interest"), "product|products|interest|产品|產品|意向产品|意向產品|感兴趣的产品|感興趣的產品|产品意向|產品意向"),
    field("estimated_amount", gettext_lazy("Estimated amount"), "amount|value|deal value|deal size|estimated value|金额|金額|预计金额|預計金額|預估金額|商机金额|商機金額", "parsed", parse=parsed(parse_amount, "estimated_amount")),
    field("currency", gettext_lazy("Currency"), "币种|幣別|幣種|货币|貨幣", "choice"),
    field("expected_close", gettext_lazy("Expected close"), "close date|expected close date|expected closing|预计成交日期|預計成交日期|成交日期|预计签约日期|預計簽約日期", "parsed", parse=parsed(parse_date, "expected_close")),
    field("description", gettext_lazy("Notes"), "notes|note|remarks|comment|description|备注|備註|说明|說明|描述"),
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
