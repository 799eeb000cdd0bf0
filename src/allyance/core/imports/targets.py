"""What can be imported and exported: the target registry, header synonyms, name splitting."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.utils import translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from allyance.catalog.models import Product
from allyance.core.models import CustomField, User
from allyance.core.normalise import name_key
from allyance.customers.models import Account, Contact
from allyance.customers.services import account_save, contact_save
from allyance.sales.models import Lead

_COMPOUND_SURNAME_TEXT = (
    "欧阳 歐陽 司马 司馬 诸葛 諸葛 上官 东方 東方 皇甫 尉迟 尉遲 公孙 公孫 慕容 夏侯 长孙 長孫 宇文 司徒 "
    "令狐 端木 南宫 南宮 西门 西門 轩辕 軒轅 独孤 獨孤 百里 呼延 澹台 澹臺 万俟 萬俟"
)
_COMPOUND_SURNAMES = frozenset(_COMPOUND_SURNAME_TEXT.split())


def header_key(text: str) -> str:
    """`E-mail (required)` and `e_mail` compare equal; so do full- and half-width forms."""
    text = unicodedata.normalize("NFKC", text or "")
    return name_key(re.sub(r"\([^)]*\)", "", text))


@dataclass(frozen=True, eq=False)
class ImportField:
    """One column a target accepts. `kind` says how its text becomes a value."""

    name: str
    label: Any
    synonyms: tuple[str, ...] = ()
    # text, choice, country, owner, tags, account, full_name, custom; for products also
    # family (by name or path), tax_class (by name), integer and boolean.
    kind: str = "text"
    custom: CustomField | None = None
    exported: bool = True
    # Kind `parsed`: the target's own reading of the text, `parse(user, text)` → the values it
    # sets (a partner by name, a period as its start and end); raises ValidationError.
    parse: Callable[[User, str], dict[str, Any]] | None = None


def synonym_index(fields: Iterable[ImportField]) -> dict[str, str]:
    """Header key → field name, from each field's name, synonyms and label in every language."""
    index: dict[str, str] = {}
    for import_field in fields:
        index.setdefault(header_key(import_field.name), import_field.name)
    for import_field in fields:
        labels = set()
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                labels.add(str(import_field.label))
        for text in (*import_field.synonyms, *labels):
            index.setdefault(header_key(text), import_field.name)
    return index


@dataclass(frozen=True)
class DuplicateRule:
    """How a target's rows repeat records when e-mails, phones and names do not say it.

    `keys(values)` → the row's (kind, key) pairs; `existing(user, keys)` → {key: (id, label)}
    for the records among those `user` may see that have one of `keys`.
    """

    keys: Callable[[dict], list[tuple[str, str]]]
    existing: Callable[[User, set[tuple[str, str]]], dict[tuple[str, str], tuple[int, str]]]


@dataclass(frozen=True)
class Target:
    """A record type that can be imported and exported, and the service that saves its rows."""

    key: str
    label: Any
    model: type[models.Model]
    fields: tuple[ImportField, ...]
    required: tuple[tuple[str, ...], ...]  # each group: at least one of these columns
    selector: str
    record_list: str
    save: Callable[..., models.Model]
    phone_fields: tuple[str, ...]
    email_fields: tuple[str, ...]
    # Fields whose value alone identifies a record (a product's SKU): duplicates match on
    # them, case-insensitively, instead of on e-mails, phones and names.
    key_fields: tuple[str, ...] = ()
    # Who may import into this target, beyond `can_import` (the catalog: administrators),
    # and what those who may not are told (`%(target)s` is the target's label).
    may_import: Callable[[User], bool] | None = None
    refusal: Any = None
    duplicates: DuplicateRule | None = None
    # The page listing the records (a URL name), and a record's page when the model has no
    # `get_absolute_url`.
    list_url: str = ""
    url_of: Callable[[int], str] | None = None

    def import_fields(self) -> list[ImportField]:
        """The built-in fields and one per custom field defined for the model."""
        content_type = ContentType.objects.get_for_model(self.model)
        custom = [
            ImportField(
                name=f"cf_{definition.name}",
                label=definition.label,
                synonyms=(definition.name,),
                kind="custom",
                custom=definition,
            )
            for definition in CustomField.objects.filter(content_type=content_type)
        ]
        return [*self.fields, *custom]

    def visible(self, user: User) -> QuerySet:
        """The target's records `user` may see: its selector, so the visibility gate."""
        return import_string(self.selector)(user)

    def record_url(self, pk: int) -> str:
        return self.url_of(pk) if self.url_of else self.model(pk=pk).get_absolute_url()

    def importable_by(self, user: User) -> bool:
        return can_import(user) and (self.may_import is None or self.may_import(user))


def _save_account(record: Account, *, by: User) -> Account:
    return account_save(account=record, by=by)


def _save_contact(record: Contact, *, by: User) -> Contact:
    return contact_save(contact=record, by=by)


def _save_lead(record: Lead, *, by: User) -> Lead:
    # Imported lazily: the sales services import the customers app, which imports this module.
    from allyance.sales.services.leads import lead_save

    return lead_save(lead=record, by=by)


def _save_product(record, *, by: User):
    """Products go through the catalog's service; a refusal is a row error, not a crash."""
    from django.core.exceptions import PermissionDenied

    from allyance.catalog.services.products import product_save

    try:
        return product_save(product=record, by=by)
    except PermissionDenied as exc:
        raise ValidationError(str(exc)) from exc


def _may_import_products(user: User) -> bool:
    return bool(user.is_authenticated and user.is_admin)


def _field(name: str, label, synonyms: str = "", kind: str = "text", **extra) -> ImportField:
    """An import field whose synonyms are given as one `a|b|c` string."""
    return ImportField(name, label, tuple(filter(None, synonyms.split("|"))), kind, **extra)


_PHONE = "phone|telephone|tel|office phone|电话|電話|座机|座機|固话|固話|办公电话|辦公電話|联系电话|聯絡電話|聯繫電話"
_EMAIL = "email|e-mail|mail|email address|邮箱|郵箱|电子邮件|電子郵件|电子邮箱|電子郵箱|邮件|郵件|邮箱地址|電郵"
_EMAIL_ALT = "other email|email 2|备用邮箱|備用郵箱|其他邮箱|其他郵箱"
_OWNER = "owner|负责人|負責人|所有者|所有人|跟进人|跟進人|业务员|業務員"
_TAGS = "tags|tag|labels|标签|標籤|標簽"
_STATUS = "status|状态|狀態"
_COMPANY = (
    "company|company name|account|account name|customer|customer name|organisation|organization|"
    "公司|公司名称|公司名稱|客户|客戶|客户名称|客戶名稱|单位|單位|单位名称|單位名稱|企业名称|企業名稱|"
    "所属公司|所屬公司"
)

# fmt: off
ACCOUNT_FIELDS = (
    _field("name", gettext_lazy("Name"), _COMPANY + "|名称|名稱"),
    _field("kind", gettext_lazy("Kind"), "type|account type|类型|類型|客户类型|客戶類型", "choice"),
    _field("industry", gettext_lazy("Industry"), "行业|行業|所属行业|所屬行業", "choice"),
    _field("size_band", gettext_lazy("Size"), "company size|employees|规模|規模|人数|人數|员工人数|員工人數", "choice"),
    _field("status", gettext_lazy("Status"), _STATUS, "choice"),
    _field("source", gettext_lazy("Source"), "lead source|来源|來源|客户来源|客戶來源", "choice"),
    _field("phone", gettext_lazy("Phone"), _PHONE),
    _field("phone_alt", gettext_lazy("Other phone"), "phone 2|其他电话|其他電話|备用电话|備用電話"),
    _field("email", gettext_lazy("E-mail"), _EMAIL),
    _field("email_alt", gettext_lazy("Other e-mail"), _EMAIL_ALT),
    _field("website", gettext_lazy("Website"), "web|url|homepage|网站|網站|网址|網址|主页|主頁"),
    _field("tax_id", gettext_lazy("Tax id"), "tax number|vat|vat number|vat id|uscc|unified social credit code|税号|稅號|纳税人识别号|納稅人識別號|统一社会信用代码|統一社會信用代碼|统一编号|統一編號"),
    _field("country", gettext_lazy("Country"), "国家|國家|国家/地区|國家/地區|国家地区", "country"),
    _field("province", gettext_lazy("Province/state"), "province|state|region|省|省份|州|省/州|省/市"),
    _field("city", gettext_lazy("City"), "town|城市|市|所在城市"),
    _field("street", gettext_lazy("Street"), "address|地址|街道|详细地址|詳細地址|办公地址|辦公地址"),
    _field("postcode", gettext_lazy("Postcode"), "postal code|zip|zip code|邮编|郵編|邮政编码|郵政編碼|郵遞區號"),
    _field("description", gettext_lazy("Description"), "notes|note|remarks|comment|描述|备注|備註|说明|說明|简介|簡介"),
    _field("owner", gettext_lazy("Owner"), _OWNER, "owner"),
    _field("tags", gettext_lazy("Tags"), _TAGS, "tags"),
)

CONTACT_FIELDS = (
    _field("full_name", gettext_lazy("Full name"), "name|contact|contact name|姓名|联系人|聯繫人|聯絡人|联系人姓名|聯絡人姓名|全名", "full_name", exported=False),
    _field("family_name", gettext_lazy("Family name"), "last name|surname|姓|姓氏"),
    _field("given_name", gettext_lazy("Given name"), "first name|forename|名|名字"),
    _field("account", gettext_lazy("Company"), _COMPANY, "account"),
    _field("title", gettext_lazy("Job title"), "title|position|job|职位|職位|职务|職務|头衔|頭銜|岗位|崗位"),
    _field("department", gettext_lazy("Department"), "dept|部门|部門|所属部门|所屬部門"),
    _field("decision_role", gettext_lazy("Decision role"), "role|角色|决策角色|決策角色", "choice"),
    _field("status", gettext_lazy("Status"), _STATUS, "choice"),
    _field("phone", gettext_lazy("Phone"), _PHONE),
    _field("mobile", gettext_lazy("Mobile"), "mobile phone|cell|cell phone|cellphone|手机|手機|手机号|手機號|手机号码|手機號碼|移动电话|移動電話|行動電話"),
    _field("email", gettext_lazy("E-mail"), _EMAIL),
    _field("email_alt", gettext_lazy("Other e-mail"), _EMAIL_ALT),
    _field("notes", gettext_lazy("Notes"), "note|remarks|comment|description|备注|備註|说明|說明"),
    _field("owner", gettext_lazy("Owner"), _OWNER, "owner"),
    _field("tags", gettext_lazy("Tags"), _TAGS, "tags"),
)

LEAD_FIELDS = (
    _field("full_name", gettext_lazy("Full name"), "name|contact|contact name|姓名|联系人|聯繫人|聯絡人|联系人姓名|聯絡人姓名|全名", "full_name", exported=False),
    _field("family_name", gettext_lazy("Family name"), "last name|surname|姓|姓氏"),
    _field("given_name", gettext_lazy("Given name"), "first name|forename|名|名字"),
    _field("company", gettext_lazy("Company"), _COMPANY),
    _field("title", gettext_lazy("Job title"), "title|position|job|职位|職位|职务|職務|头衔|頭銜|岗位|崗位"),
    _field("phone", gettext_lazy("Phone"), _PHONE),
    _field("mobile", gettext_lazy("Mobile"), "mobile phone|cell|cell phone|cellphone|手机|手機|手机号|手機號|手机号码|手機號碼|移动电话|移動電話|行動電話"),
    _field("email", gettext_lazy("E-mail"), _EMAIL),
    _field("website", gettext_lazy("Website"), "web|url|homepage|网站|網站|网址|網址|主页|主頁"),
    _field("source", gettext_lazy("Source"), "lead source|来源|來源|线索来源|線索來源|客户来源|客戶來源", "choice"),
    _field("campaign", gettext_lazy("Campaign"), "marketing campaign|活动|活動|市场活动|市場活動"),
    _field("status", gettext_lazy("Status"), _STATUS, "choice"),
    _field("industry", gettext_lazy("Industry"), "行业|行業|所属行业|所屬行業", "choice"),
    _field("size_band", gettext_lazy("Size"), "company size|employees|规模|規模|人数|人數|员工人数|員工人數", "choice"),
    _field("budget", gettext_lazy("Budget"), "预算|預算"),
    _field("country", gettext_lazy("Country"), "国家|國家|国家/地区|國家/地區|国家地区", "country"),
    _field("province", gettext_lazy("Province/state"), "province|state|region|省|省份|州|省/州|省/市"),
    _field("city", gettext_lazy("City"), "town|城市|市|所在城市"),
    _field("notes", gettext_lazy("Notes"), "note|remarks|comment|description|备注|備註|说明|說明"),
    _field("owner", gettext_lazy("Owner"), _OWNER, "owner"),
    _field("tags", gettext_lazy("Tags"), _TAGS, "tags"),
)
PRODUCT_FIELDS = (
    _field("sku", gettext_lazy("SKU"), "sku|item code|product code|part number|编码|编号|產品編號|产品编码|產品編碼|料号|料號|物料编码|物料編碼|货号|貨號"),
    _field("name", gettext_lazy("Name"), "product|product name|名称|名稱|品名|产品名称|產品名稱|商品名称|商品名稱"),
    _field("family", gettext_lazy("Family"), "product family|category|产品系列|產品系列|系列|类别|類別|分类|分類", "family"),
    _field("kind", gettext_lazy("Kind"), "type|类型|類型|种类|種類", "choice"),
    _field("unit", gettext_lazy("Unit"), "uom|unit of measure|单位|單位|计量单位|計量單位"),
    _field("tax_class", gettext_lazy("Tax class"), "tax|tax rate|vat|税率|稅率|税类|稅類", "tax_class"),
    _field("active", gettext_lazy("Active"), "enabled|启用|啟用|有效|在售", "boolean"),
    _field("warranty_months", gettext_lazy("Warranty (months)"), "warranty|保修期|保固期|保修月数|保修月數|质保期|質保期", "integer"),
    _field("description", gettext_lazy("Description"), "notes|remarks|描述|说明|說明|备注|備註|简介|簡介"),
    _field("tags", gettext_lazy("Tags"), _TAGS, "tags"),
)
# fmt: on

TARGETS: dict[str, Target] = {
    "accounts": Target(
        key="accounts",
        label=gettext_lazy("Accounts"),
        model=Account,
        fields=ACCOUNT_FIELDS,
        required=(("name",),),
        selector="allyance.customers.selectors.accounts_visible_to",
        record_list="allyance.customers.views.ACCOUNT_LIST",
        list_url="customers:account-list",
        save=_save_account,
        phone_fields=("phone", "phone_alt"),
        email_fields=("email", "email_alt"),
    ),
    "contacts": Target(
        key="contacts",
        label=gettext_lazy("Contacts"),
        model=Contact,
        fields=CONTACT_FIELDS,
        required=(("family_name", "full_name"),),
        selector="allyance.customers.selectors.contacts_visible_to",
        record_list="allyance.customers.views.CONTACT_LIST",
        list_url="customers:contact-list",
        save=_save_contact,
        phone_fields=("phone", "mobile"),
        email_fields=("email", "email_alt"),
    ),
    "leads": Target(
        key="leads",
        label=gettext_lazy("Leads"),
        model=Lead,
        fields=LEAD_FIELDS,
        required=(("family_name", "full_name"),),
        selector="allyance.sales.selectors.leads.leads_visible_to",
        record_list="allyance.sales.views.leads.LEAD_LIST",
        list_url="sales:lead-list",
        save=_save_lead,
        phone_fields=("phone", "mobile"),
        email_fields=("email",),
    ),
    "products": Target(
        key="products",
        label=gettext_lazy("Products"),
        model=Product,
        fields=PRODUCT_FIELDS,
        required=(("sku",), ("name",)),
        selector="allyance.catalog.selectors.products.products_visible_to",
        record_list="allyance.catalog.views.products.PRODUCT_LIST",
        list_url="catalog:product-list",
        save=_save_product,
        phone_fields=(),
        email_fields=(),
        key_fields=("sku",),
        may_import=_may_import_products,
    ),
}


def register_target(target: Target) -> None:
    """Add a target from another app (the partners app registers its records in `ready()`),
    so `core` does not import every app's models."""
    TARGETS[target.key] = target


def targets_for(user: User) -> list[Target]:
    """The targets `user` may import into, in registry order."""
    return [target for target in TARGETS.values() if target.importable_by(user)]


def target_for(key: str) -> Target:
    try:
        return TARGETS[key]
    except KeyError:
        raise ValidationError({"target": _("Choose what to import.")}) from None


def can_import(user: User) -> bool:
    """Staff and partner users import; portal customers do not."""
    return bool(user.is_authenticated and user.is_active and (user.is_internal or user.is_partner))


def suggest_mapping(headers: list[str], target: Target) -> dict[str, str]:
    """Column index → field name for every header that names a known field, each field once."""
    index = synonym_index(target.import_fields())
    mapping: dict[str, str] = {}
    for position, header in enumerate(headers):
        name = index.get(header_key(header))
        if name and name not in mapping.values():
            mapping[str(position)] = name
    return mapping


def mapping_problems(mapping: dict[str, str], target: Target) -> list[str]:
    """Why a column mapping cannot be used: a field chosen twice, or a required one missing."""
    fields = {f.name: f for f in target.import_fields()}
    chosen = [name for name in mapping.values() if name]
    problems = [
        _("“%(field)s” is chosen for more than one column.") % {"field": fields[name].label}
        for name in sorted(set(chosen))
        if chosen.count(name) > 1 and name in fields
    ]
    for group in target.required:
        if not set(group) & set(chosen):
            labels = " / ".join(str(fields[name].label) for name in group)
            problems.append(_("Choose a column for “%(field)s”.") % {"field": labels})
    return problems


def split_full_name(text: str) -> tuple[str, str]:
    """(family, given): `王小明` → (王, 小明), `欧阳娜娜` → (欧阳, 娜娜), `Ada Lovelace` → (Lovelace, Ada)."""
    text = " ".join((text or "").split())
    if not text:
        return "", ""
    if "," in text:
        family, _sep, given = text.partition(",")
        return family.strip(), given.strip()
    from allyance.core.names import has_cjk

    if has_cjk(text):
        if " " in text:
            family, _sep, given = text.partition(" ")
            return family, given
        size = 2 if text[:2] in _COMPOUND_SURNAMES and len(text) > 2 else 1
        return text[:size], text[size:]
    parts = text.split(" ")
    return parts[-1], " ".join(parts[:-1])
