"""Order records: quotes, orders and shipments, invoices and payments, documents.

One module per part; import models from here (`from allyance.orders.models import Quote`).
"""

from allyance.orders.models.billing import Invoice, InvoiceLine, Payment, PaymentAllocation
from allyance.orders.models.common import NumberSequence, OrderSettings
from allyance.orders.models.documents import DocumentKind, DocumentTemplate, GeneratedDocument
from allyance.orders.models.fulfilment import Order, OrderLine, Shipment, ShipmentLine
from allyance.orders.models.quotes import Quote, QuoteLine

__all__ = [
    "DocumentKind",
    "DocumentTemplate",
    "GeneratedDocument",
    "Invoice",
    "InvoiceLine",
    "NumberSequence",
    "Order",
    "OrderLine",
    "OrderSettings",
    "Payment",
    "PaymentAllocation",
    "Quote",
    "QuoteLine",
    "Shipment",
    "ShipmentLine",
]
