"""The demo's catalog, price lists, quotes, orders, shipments, invoices and payments received.

Built through the services, so every number, status and total is what a user would have
produced by hand: a configured disk array with a rule, quotes at each status (one waiting
for a manager's approval), orders shipped in part, invoices partly paid and one overdue.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from allyance.catalog.models import (
    BundleComponent,
    ConfigurationRule,
    PriceList,
    PriceListItem,
    Product,
    ProductFamily,
    ProductOption,
    TaxClass,
)
from allyance.catalog.services.families import family_save, tax_class_save
from allyance.catalog.services.pricing import (
    price_list_assign,
    price_list_item_save,
    price_list_save,
)
from allyance.catalog.services.products import bundle_component_save, option_save, product_save
from allyance.catalog.services.rules import rule_save
from allyance.core.models import User
from allyance.orders.models import Quote
from allyance.orders.services.fulfilment import order_from_quote, shipment_record
from allyance.orders.services.invoices import invoice_from_order
from allyance.orders.services.payments import payment_record
from allyance.orders.services.quotes import (
    quote_accept,
    quote_approve,
    quote_create,
    quote_line_add,
    quote_mark_sent,
    quote_request_approval,
)

if TYPE_CHECKING:
    from allyance.core.demo.builder import DemoBuilder
    from allyance.sales.models import Opportunity

# SKU, name, kind, family key, unit, tax key, warranty months, CNY price, USD price.
PRODUCTS = (
    ("AX-200", "磁盘阵列 AX-200 Disk array", "product", "arrays", "台", "goods", 36, 98_000, 14_000),
    ("SW-MGR", "存储管理软件 Storage manager licence", "product", "software", "套", "goods", None, 12_000, 1_700),
    ("SV-INST", "安装实施服务 Installation", "service", "services", "人天", "services", None, 3_000, 450),
    ("SV-SUP", "年度维保 Annual support", "service", "services", "年", "services", None, 15_000, 2_100),
    ("BN-START", "入门套装 Starter bundle", "bundle", "arrays", "套", "goods", 36, 105_000, 15_000),
)  # fmt: skip
# Option of the array: code, name, required, values (code, name, effect kind, effect, default).
ARRAY_OPTIONS = (
    ("capacity", "容量 Capacity", True, (
        ("8tb", "8 TB", "amount", 0, True),
        ("16tb", "16 TB", "amount", 12_000, False),
        ("32tb", "32 TB", "amount", 30_000, False),
    )),
    ("controller", "控制器 Controller", True, (
        ("single", "单控 Single", "amount", 0, True),
        ("dual", "双控 Dual", "percent", 20, False),
    )),
    ("power", "电源 Power supply", True, (
        ("single", "单电源 Single", "amount", 0, True),
        ("redundant", "冗余电源 Redundant", "amount", 3_000, False),
    )),
)  # fmt: skip


class OrdersDemo:
    """Adds the catalog and the order-to-cash records to a demo whose deals exist."""

    def __init__(self, builder: DemoBuilder, admin: User, deals: list[Opportunity]) -> None:
        self.builder = builder
        self.rng = builder.rng
        self.today = builder.now.date()
        self.admin = admin
        self.manager = builder.users["manager"]
        self.deals = deals

    def build(self) -> None:
        self.build_catalog()
        self.build_price_lists()
        self.build_quotes()

    # --- central data ----------------------------------------------------------------------

    def build_catalog(self) -> None:
        by = self.admin
        taxes = {
            "goods": tax_class_save(
                tax_class=TaxClass(name="增值税 VAT 13%", rate=Decimal("13")), by=by
            ),
            "services": tax_class_save(
                tax_class=TaxClass(name="增值税 VAT 6% (服务 services)", rate=Decimal("6")), by=by
            ),
        }
        storage = family_save(family=ProductFamily(name="存储 Storage"), by=by)
        families = {
            "arrays": family_save(
                family=ProductFamily(name="磁盘阵列 Disk arrays", parent=storage), by=by
            ),
            "software": family_save(family=ProductFamily(name="软件 Software"), by=by),
            "services": family_save(family=ProductFamily(name="服务 Services"), by=by),
        }
        self.products: dict[str, Product] = {}
        self.prices: dict[str, tuple[int, int]] = {}
        for sku, name, kind, family, unit, tax, warranty, cny, usd in PRODUCTS:
            self.products[sku] = product_save(
                product=Product(
                    sku=sku,
                    name=name,
                    kind=kind,
                    family=families[family],
                    unit=unit,
                    tax_class=taxes[tax],
                    warranty_months=warranty,
                    description=f"{name}。",
                ),
                by=by,
            )
            self.prices[sku] = (cny, usd)
        array = self.products["AX-200"]
        self.values: dict[str, int] = {}
        for order, (code, name, required, values) in enumerate(ARRAY_OPTIONS):
            option = option_save(
                option=ProductOption(
                    product=array, code=code, name=name, required=required, order=order
                ),
                by=by,
                values=[
                    {
                        "code": value_code,
                        "name": value_name,
                        "price_effect_kind": effect_kind,
                        "price_effect": Decimal(effect),
                        "is_default": default,
                        "order": position,
                    }
                    for position, (value_code, value_name, effect_kind, effect, default) in (
                        enumerate(values)
                    )
                ],
            )
            for value in option.values.all():
                self.values[f"{code}.{value.code}"] = value.pk
        value_of = array.options.get(code="capacity").values.get
        controller = array.options.get(code="controller").values.get
        power = array.options.get(code="power").values.get
        rule_save(
            rule=ConfigurationRule(
                product=array,
                kind=ConfigurationRule.Kind.REQUIRES,
                if_value=value_of(code="32tb"),
                then_value=controller(code="dual"),
                message="32 TB 需要双控制器。32 TB needs the dual controller.",
            ),
            by=by,
        )
        rule_save(
            rule=ConfigurationRule(
                product=array,
                kind=ConfigurationRule.Kind.EXCLUDES,
                if_value=controller(code="dual"),
                then_value=power(code="single"),
                message="双控制器需要冗余电源。The dual controller needs redundant power.",
            ),
            by=by,
        )
        bundle = self.products["BN-START"]
        for component, quantity in ((array, 1), (self.products["SV-INST"], 2)):
            bundle_component_save(
                component=BundleComponent(
                    bundle=bundle, component=component, quantity=Decimal(quantity)
                ),
                by=by,
            )

    def build_price_lists(self) -> None:
        by = self.admin
        self.lists: dict[str, PriceList] = {}
        for key, name, currency, discount, default in (
            ("CNY", "标准价格表 Standard (CNY)", "CNY", 0, True),
            ("USD", "Standard price list (USD)", "USD", 0, True),
            ("partner", "渠道价格表 Channel (CNY)", "CNY", 20, False),
        ):
            self.lists[key] = price_list_save(
                price_list=PriceList(
                    name=name,
                    currency=currency,
                    discount_percent=Decimal(discount),
                    is_default=default,
                    valid_from=self.today.replace(month=1, day=1),
                ),
                by=by,
            )
            for sku, product in self.products.items():
                cny, usd = self.prices[sku]
                breaks = [(10, round(cny * 0.85))] if sku == "SW-MGR" and currency == "CNY" else []
                price_list_item_save(
                    item=PriceListItem(
                        price_list=self.lists[key],
                        product=product,
                        price=Decimal(usd if currency == "USD" else cny),
                    ),
                    by=by,
                    breaks=breaks,
                )
        price_list_assign(
            price_list=self.lists["partner"], by=by, partners=self.builder.partners.values()
        )

    # --- order to cash ---------------------------------------------------------------------

    def quote_for(self, deal: Opportunity, *, deep_discount: bool) -> Quote:
        owner = deal.owner
        quote = quote_create(
            by=owner,
            account=deal.account,
            opportunity=deal,
            title=deal.name[:200],
            discount_percent=Decimal(20 if deep_discount else self.rng.choice((0, 5, 10))),
        )
        capacity = self.rng.choice(("8tb", "16tb", "32tb"))
        dual = capacity == "32tb" or self.rng.random() < 0.3
        options = [self.values[f"capacity.{capacity}"]]
        options += [self.values["controller.dual"], self.values["power.redundant"]] if dual else []
        quote_line_add(
            quote=quote,
            by=owner,
            product=self.products["AX-200"],
            option_value_ids=options,
            quantity=Decimal(self.rng.randint(1, 3)),
        )
        for sku, quantity in (("SW-MGR", self.rng.choice((2, 5, 12))), ("SV-INST", 3)):
            quote_line_add(
                quote=quote, by=owner, product=self.products[sku], quantity=Decimal(quantity)
            )
        quote.refresh_from_db()
        return quote

    def build_quotes(self) -> None:
        """Quotes for the deals in proposal and later: one per status the team works through."""
        candidates = [
            deal
            for deal in self.deals
            if deal.stage.order >= 2 and deal.account_id and deal.owner_id
        ][:10]
        for index, deal in enumerate(candidates):
            step = index % 5
            quote = self.quote_for(deal, deep_discount=step == 1)
            if step == 0:
                continue  # a draft the rep is still working on
            if step == 1:
                quote_request_approval(quote=quote, by=deal.owner)
                if index > 5:
                    approver = self.admin if deal.owner_id == self.manager.pk else self.manager
                    quote_approve(quote=quote, by=approver, comment="同意 Approved")
                continue  # waiting for the manager, or approved and ready to send
            quote = quote_mark_sent(quote=quote, by=deal.owner)
            if step == 2:
                continue  # sent, waiting for the customer
            quote = quote_accept(quote=quote, by=deal.owner)
            self.fulfil(quote, deal.owner, paid_in_full=step == 4, overdue=index == 3)

    def fulfil(self, quote: Quote, owner: User, *, paid_in_full: bool, overdue: bool) -> None:
        order = order_from_quote(quote, by=owner)
        lines = list(order.lines.order_by("position"))
        first = lines[0]
        shipped = {first.pk: first.quantity} if not paid_in_full else None
        shipment_record(
            order,
            by=owner,
            shipped_on=self.today - timedelta(days=12),
            carrier="顺丰速运 SF Express",
            tracking_number=f"SF{self.rng.randint(10**11, 10**12 - 1)}",
            lines=shipped or {line.pk: line.quantity for line in lines},
        )
        issued = self.today - timedelta(days=75 if overdue else 10)
        invoice = invoice_from_order(
            order,
            by=owner,
            quantities=shipped,
            issue_date=issued,
        )
        paid = (
            invoice.total
            if paid_in_full
            else (invoice.total * Decimal("0.4")).quantize(Decimal("0.01"))
        )
        payment_record(
            by=owner,
            account=invoice.account,
            received_on=min(issued + timedelta(days=20), self.today),
            amount=paid,
            currency=invoice.currency,
            reference=f"银行回单 {invoice.number}",
            allocations={invoice.pk: paid},
        )
