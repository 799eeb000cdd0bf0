"""Writes on price lists: lists, their prices and volume breaks, import and export.

Price lists are the company's: only administrators change them. One list per currency is
the default (making a list the default clears the previous one in the same transaction).
An import is previewed first, every bad row named by its line, and applied whole or not
at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from allyance.catalog.models import PriceList, PriceListItem, Product, VolumeBreak
from allyance.core import audit
from allyance.core.imports.reading import read_table
from allyance.core.imports.targets import ImportField, header_key, synonym_index
from allyance.core.models import Organisation, User
from allyance.core.services import record_delete, record_save

PRICE_LIMIT = Decimal("1e14")  # 18 digits, 4 of them decimals
QUANTITY_LIMIT = Decimal("1e9")  # 12 digits, 3 of them decimals


def ensure_may_change_price_lists(by: User | None) -> None:
    """Price lists are central data: administrators change them, everyone else reads."""
    if by is None or not by.is_authenticated or not by.is_admin:
        raise PermissionDenied(_("Only administrators change price lists."))


def _check_dates(price_list: PriceList) -> None:
    if (
        price_list.valid_from
        and price_list.valid_until
        and price_list.valid_until < price_list.valid_from
    ):
        raise ValidationError({"valid_until": _("The list cannot end before it starts.")})


def price_list_save(
    *, price_list: PriceList, by: User, expected_version: int | None = None
) -> PriceList:
    """Create or change a list; making it the default clears the currency's previous default."""
    ensure_may_change_price_lists(by)
    _check_dates(price_list)
    if price_list.organisation_id is None:
        price_list.organisation = Organisation.company()
    if price_list.pk is None and price_list.owner_id is None:
        price_list.owner = by
    with audit.acting_as(by), transaction.atomic():
        if price_list.is_default:
            previous = (
                PriceList.objects.select_for_update()
                .filter(currency=price_list.currency, is_default=True)
                .exclude(pk=price_list.pk)
            )
            for other in previous:
                other.is_default = False
                other.version += 1
                other.save(update_fields=["is_default", "version", "updated_at"])
        return record_save(instance=price_list, by=by, expected_version=expected_version)


def price_list_assign(
    *,
    price_list: PriceList,
    by: User,
    accounts: Iterable | None = None,
    partners: Iterable[Organisation] | None = None,
) -> PriceList:
    """Set the accounts and partner organisations that buy at the list."""
    ensure_may_change_price_lists(by)
    with audit.acting_as(by), transaction.atomic():
        if partners is not None:
            partners = list(partners)
            wrong = [org for org in partners if org.kind != Organisation.Kind.PARTNER]
            if wrong:
                raise ValidationError(
                    {
                        "partners": _("%(name)s is not a partner organisation.")
                        % {"name": wrong[0].name}
                    }
                )
            price_list.partners.set(partners)
        if accounts is not None:
            price_list.accounts.set(list(accounts))
    return price_list


def price_list_delete(*, price_list: PriceList, by: User) -> None:
    ensure_may_change_price_lists(by)
    record_delete(instance=price_list, by=by)


def _clean_breaks(breaks: Iterable[tuple]) -> list[tuple[Decimal, Decimal]]:
    """(from quantity, unit price) pairs: positive quantities, prices ≥ 0, each quantity once."""
    cleaned: dict[Decimal, Decimal] = {}
    for min_quantity, price in breaks:
        min_quantity, price = Decimal(min_quantity), Decimal(price)
        if min_quantity <= 0:
            raise ValidationError({"breaks": _("A volume break starts at a quantity above 0.")})
        if price < 0:
            raise ValidationError({"breaks": _("A volume price cannot be negative.")})
        if min_quantity in cleaned:
            raise ValidationError(
                {
                    "breaks": _("Two volume breaks start at %(quantity)s.")
                    % {"quantity": min_quantity.normalize()}
                }
            )
        cleaned[min_quantity] = price
    return sorted(cleaned.items())


def _write_item(
    price_list: PriceList, product: Product, price: Decimal, breaks, item=None
) -> PriceListItem:
    if item is None:
        item = PriceListItem.objects.filter(price_list=price_list, product=product).first()
    if item is None:
        item = PriceListItem(price_list=price_list, product=product)
    item.price = price
    item.save()
    if breaks is not None:
        keep = {quantity: value for quantity, value in breaks}
        for existing in list(item.breaks.all()):
            if existing.min_quantity in keep:
                new_price = keep.pop(existing.min_quantity)
                if existing.price != new_price:
                    existing.price = new_price
                    existing.save()
            else:
                existing.delete()
        for quantity, value in keep.items():
            VolumeBreak.objects.create(item=item, min_quantity=quantity, price=value)
    return item


def price_list_item_save(
    *,
    item: PriceListItem,
    by: User,
    breaks: Iterable[tuple] | None = None,
) -> PriceListItem:
    """Set a product's price on a list; `breaks` (from quantity, price) replace the old ones."""
    ensure_may_change_price_lists(by)
    if item.price is None:
        raise ValidationError({"price": _("Enter the price.")})
    if Decimal(item.price) < 0:
        raise ValidationError({"price": _("A price cannot be negative.")})
    if item.product_id is None:
        raise ValidationError({"product": _("Choose a product.")})
    duplicate = PriceListItem.objects.filter(
        price_list_id=item.price_list_id, product_id=item.product_id
    ).exclude(pk=item.pk)
    if duplicate.exists():
        raise ValidationError({"product": _("This product already has a price on the list.")})
    cleaned = _clean_breaks(breaks) if breaks is not None else None
    item.full_clean(validate_unique=False, validate_constraints=False)
    with audit.acting_as(by), transaction.atomic():
        return _write_item(item.price_list, item.product, Decimal(item.price), cleaned, item=item)


def price_list_item_delete(*, item: PriceListItem, by: User) -> None:
    ensure_may_change_price_lists(by)
    with audit.acting_as(by), transaction.atomic():
        item.delete()


# --- import and export -------------------------------------------------------------------

SKU_SYNONYMS = (
    "sku|编码|料号|料號|產品編號|产品编号|產品編碼|产品编码|product code|item code|part number"
)
PRICE_SYNONYMS = "price|unit price|单价|單價|价格|價格|list price"
MIN_QUANTITY_SYNONYMS = (
    "from quantity|min quantity|minimum quantity|起订量|起訂量|起始数量|起始數量"
)
VOLUME_PRICE_SYNONYMS = "volume price|break price|阶梯价|階梯價|阶梯价格|階梯價格"
NAME_SYNONYMS = "product|product name|name|产品|產品|产品名称|產品名稱|名称|名稱"


def _import_field(name: str, label, synonyms: str) -> ImportField:
    return ImportField(name, label, tuple(synonyms.split("|")))


IMPORT_FIELDS = [
    _import_field("sku", gettext_lazy("SKU"), SKU_SYNONYMS),
    _import_field("name", gettext_lazy("Product"), NAME_SYNONYMS),
    _import_field("price", gettext_lazy("Price"), PRICE_SYNONYMS),
    _import_field("min_quantity", gettext_lazy("From quantity"), MIN_QUANTITY_SYNONYMS),
    _import_field("volume_price", gettext_lazy("Volume price"), VOLUME_PRICE_SYNONYMS),
]


class PriceListImportColumns:
    """The columns a price list file may have (what `read_table` looks for in the header)."""

    def import_fields(self) -> list[ImportField]:
        return list(IMPORT_FIELDS)


@dataclass
class ImportRow:
    """What the import will do to one product's price."""

    line: int
    product: Product
    price: Decimal | None
    old_price: Decimal | None
    breaks: list[tuple[Decimal, Decimal]] = field(default_factory=list)

    @property
    def creates(self) -> bool:
        return self.old_price is None


@dataclass
class ImportPreview:
    """A dry run: the rows to apply and every bad row, by the line it is on in the file."""

    rows: list[ImportRow]
    errors: list[tuple[int, list[str]]]
    encoding: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)

    @property
    def created(self) -> int:
        return sum(1 for row in self.rows if row.creates)

    @property
    def updated(self) -> int:
        return len(self.rows) - self.created


_NUMBER_NOISE = re.compile(r"[\s,¥￥$€£]|(?:CNY|RMB|USD|EUR|TWD|HKD)$", re.IGNORECASE)


def _number(text: str, *, limit: Decimal, places: int, what: str) -> Decimal:
    """A price or quantity typed in a spreadsheet: `1,234.50`, `¥ 99`; never negative."""
    cleaned = _NUMBER_NOISE.sub("", text.replace("，", ",").replace("．", "."))
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(
            _("“%(text)s” is not a %(what)s.") % {"text": text, "what": what}
        ) from None
    if not value.is_finite():
        raise ValueError(_("“%(text)s” is not a %(what)s.") % {"text": text, "what": what})
    if value < 0:
        raise ValueError(
            _("A %(what)s cannot be negative: %(text)s.") % {"text": text, "what": what}
        )
    if value >= limit:
        raise ValueError(_("“%(text)s” is too large.") % {"text": text})
    if value.as_tuple().exponent < -places:
        raise ValueError(
            _("“%(text)s” has more than %(places)d decimal places.")
            % {"text": text, "places": places}
        )
    return value


def price_list_import_preview(
    *, price_list: PriceList, data: bytes, file_name: str, encoding: str = ""
) -> ImportPreview:
    """Read a CSV or XLSX file of prices and check every row; nothing is written.

    One row per SKU with its price; a row may also give a volume break (from quantity and
    volume price), and further rows of the same SKU add more breaks. Breaks in the file
    replace the product's breaks on the list; a SKU without breaks keeps its own.
    """
    table = read_table(
        data, file_name=file_name, encoding=encoding, target=PriceListImportColumns()
    )
    index = synonym_index(IMPORT_FIELDS)
    columns: dict[str, int] = {}
    for position, header in enumerate(table.headers):
        name = index.get(header_key(header))
        if name and name not in columns:
            columns[name] = position
    if "sku" not in columns:
        raise ValidationError(_("The file has no SKU column (SKU, 编码, 料號 …)."))
    if "price" not in columns and not {"min_quantity", "volume_price"} <= set(columns):
        raise ValidationError(_("The file has no price column (Price, 单价, 單價 …)."))

    def cell(cells: list[str], name: str) -> str:
        return cells[columns[name]].strip() if name in columns else ""

    skus = {cell(cells, "sku") for _line, cells in table.rows}
    products = {p.sku.casefold(): p for p in Product.objects.filter(sku__in=skus - {""})}
    missing = {sku.casefold() for sku in skus if sku and sku.casefold() not in products}
    if missing:  # SKUs typed in another case still find their product
        matches = [
            pk
            for pk, sku in Product.objects.values_list("pk", "sku").iterator()
            if sku.casefold() in missing
        ]
        for product in Product.objects.filter(pk__in=matches):
            products[product.sku.casefold()] = product
    existing = dict(
        PriceListItem.objects.filter(price_list=price_list).values_list("product_id", "price")
    )
    rows: dict[int, ImportRow] = {}
    errors: list[tuple[int, list[str]]] = []
    break_lines: dict[tuple[int, Decimal], int] = {}
    for line, cells in table.rows:
        messages: list[str] = []
        sku = cell(cells, "sku")
        product = products.get(sku.casefold()) if sku else None
        if not sku:
            messages.append(_("The SKU is missing."))
        elif product is None:
            messages.append(_("Unknown SKU “%(sku)s”.") % {"sku": sku})
        price = quantity = volume_price = None
        price_text = cell(cells, "price")
        if price_text:
            try:
                price = _number(price_text, limit=PRICE_LIMIT, places=4, what=_("price"))
            except ValueError as exc:
                messages.append(str(exc))
        quantity_text, volume_text = cell(cells, "min_quantity"), cell(cells, "volume_price")
        if quantity_text or volume_text:
            if not (quantity_text and volume_text):
                messages.append(_("A volume break needs both the from quantity and the price."))
            else:
                try:
                    quantity = _number(
                        quantity_text, limit=QUANTITY_LIMIT, places=3, what=_("quantity")
                    )
                    if quantity == 0:
                        messages.append(_("A volume break starts at a quantity above 0."))
                except ValueError as exc:
                    messages.append(str(exc))
                try:
                    volume_price = _number(
                        volume_text, limit=PRICE_LIMIT, places=4, what=_("price")
                    )
                except ValueError as exc:
                    messages.append(str(exc))
        if not price_text and not (quantity_text or volume_text) and not messages:
            messages.append(_("The price is missing."))
        if product is not None and not messages:
            row = rows.get(product.pk)
            if row is None:
                row = rows[product.pk] = ImportRow(
                    line=line, product=product, price=price, old_price=existing.get(product.pk)
                )
            elif price is not None and row.price is not None and price != row.price:
                messages.append(
                    _("%(sku)s has another price on line %(line)d.")
                    % {"sku": product.sku, "line": row.line}
                )
            elif price is not None:
                row.price = price
            if quantity and volume_price is not None and not messages:
                key = (product.pk, quantity)
                if key in break_lines:
                    messages.append(
                        _("The volume break from %(quantity)s is also on line %(line)d.")
                        % {"quantity": quantity.normalize(), "line": break_lines[key]}
                    )
                else:
                    break_lines[key] = line
                    row.breaks.append((quantity, volume_price))
        if messages:
            errors.append((line, messages))
    for row in rows.values():
        if row.price is None and row.old_price is None:
            errors.append(
                (row.line, [_("%(sku)s has no price on the list yet.") % {"sku": row.product.sku}])
            )
    errors.sort(key=lambda error: error[0])
    return ImportPreview(rows=list(rows.values()), errors=errors, encoding=table.encoding)


def price_list_import_apply(
    *, price_list: PriceList, data: bytes, file_name: str, by: User, encoding: str = ""
) -> ImportPreview:
    """Check the file again and apply it whole: if any row is bad, nothing changes."""
    ensure_may_change_price_lists(by)
    preview = price_list_import_preview(
        price_list=price_list, data=data, file_name=file_name, encoding=encoding
    )
    if preview.errors:
        raise ValidationError(
            [
                _("Line %(line)d: %(message)s") % {"line": line, "message": " ".join(messages)}
                for line, messages in preview.errors
            ]
        )
    with audit.acting_as(by), transaction.atomic():
        for row in preview.rows:
            price = row.price if row.price is not None else row.old_price
            _write_item(price_list, row.product, price, sorted(row.breaks) if row.breaks else None)
    return preview


EXPORT_HEADERS = [
    gettext_lazy("SKU"),
    gettext_lazy("Product"),
    gettext_lazy("Price"),
    gettext_lazy("From quantity"),
    gettext_lazy("Volume price"),
]


def price_list_export_rows(items: Iterable[PriceListItem]) -> Iterable[list[str]]:
    """One row per price, one more per further volume break: the file imports again."""
    for item in items:
        breaks = list(item.breaks.all())
        price = str(item.price)
        if not breaks:
            yield [item.product.sku, item.product.name, price, "", ""]
        for volume in breaks:
            yield [
                item.product.sku,
                item.product.name,
                price,
                format(volume.min_quantity.normalize(), "f"),
                str(volume.price),
            ]
