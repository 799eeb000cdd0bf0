from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "allyance.orders"
    label = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        # Each part connects its search documents and signals in its own method.
        self._ready_orders()
        self._ready_quotes()
        self._ready_billing()
        pass

    def _ready_orders(self) -> None:
        from allyance.core import search, timeline
        from allyance.customers.models import Account
        from allyance.orders.models import Order
        from allyance.orders.selectors.fulfilment import (
            account_order_timeline,
            order_search_document,
            order_shipment_timeline,
            orders_visible_to,
        )

        search.register(
            Order,
            document=order_search_document,
            select_related=("account",),
            follows={Account: "account"},
            selector=orders_visible_to,
            group="orders",
        )
        # An account's timeline shows its orders' history; an order's page its shipments.
        timeline.register_source(Account, account_order_timeline)
        timeline.register_source(Order, order_shipment_timeline)

    def _ready_quotes(self) -> None:
        from allyance.core import search
        from allyance.customers.models import Account
        from allyance.orders.models import Quote
        from allyance.orders.selectors.quotes import quote_search_document, quotes_visible_to

        search.register(
            Quote,
            document=quote_search_document,
            select_related=("account",),
            follows={Account: "account"},
            selector=quotes_visible_to,
            group="quotes",
        )

    def _ready_billing(self) -> None:
        from allyance.core import search
        from allyance.customers.models import Account
        from allyance.orders.models import Invoice, Payment
        from allyance.orders.selectors.billing import (
            invoice_search_document,
            invoices_visible_to,
            payment_search_document,
            payments_visible_to,
        )

        search.register(
            Invoice,
            document=invoice_search_document,
            select_related=("account",),
            follows={Account: "account"},
            selector=invoices_visible_to,
            group="invoices",
        )
        search.register(
            Payment,
            document=payment_search_document,
            select_related=("account",),
            follows={Account: "account"},
            selector=payments_visible_to,
            group="payments",
        )
