"""Web pages of the orders app; each part adds its own paths."""

from django.urls import path  # noqa: F401

app_name = "orders"

urlpatterns: list = []

from allyance.orders.views import billing_exports as billing_export_views  # noqa: E402
from allyance.orders.views import invoices as invoice_views  # noqa: E402
from allyance.orders.views import payments as payment_views  # noqa: E402
from allyance.orders.views import receivables as receivable_views  # noqa: E402

urlpatterns += [
    path("invoices/", invoice_views.invoice_list, name="invoice-list"),
    path("invoices/overdue/", invoice_views.invoice_overdue_list, name="invoice-overdue-list"),
    path("invoices/export/", billing_export_views.invoice_export, name="invoice-export"),
    path("invoices/new/", invoice_views.invoice_create_view, name="invoice-create"),
    path("invoices/from-order/", invoice_views.invoice_from_order_view, name="invoice-from-order"),
    path("invoices/<int:pk>/", invoice_views.invoice_detail, name="invoice-detail"),
    path("invoices/<int:pk>/cancel/", invoice_views.invoice_cancel_view, name="invoice-cancel"),
    path("payments/", payment_views.payment_list, name="payment-list"),
    path("payments/export/", billing_export_views.payment_export, name="payment-export"),
    path("payments/new/", payment_views.payment_create, name="payment-create"),
    path("payments/<int:pk>/", payment_views.payment_detail, name="payment-detail"),
    path(
        "payments/<int:pk>/allocate/",
        payment_views.payment_allocate_view,
        name="payment-allocate",
    ),
    path("payments/<int:pk>/delete/", payment_views.payment_delete_view, name="payment-delete"),
    path("receivables/", receivable_views.receivables, name="receivables"),
    path("receivables/export/", receivable_views.receivables_export, name="receivables-export"),
]

from allyance.orders.views import fulfilment as order_views  # noqa: E402

urlpatterns += [
    path("orders/", order_views.order_list, name="order-list"),
    path("orders/export/", order_views.order_export, name="order-export"),
    path("orders/new/", order_views.order_create, name="order-create"),
    path("orders/<int:pk>/", order_views.order_detail, name="order-detail"),
    path("orders/<int:pk>/edit/", order_views.order_edit, name="order-edit"),
    path("orders/<int:pk>/cancel/", order_views.order_cancel, name="order-cancel"),
    path("orders/<int:pk>/action/", order_views.order_action, name="order-action"),
    path("orders/<int:pk>/confirm/", order_views.order_confirm, name="order-confirm"),
    path("orders/<int:pk>/lines/", order_views.order_line_add, name="order-line-add"),
    path(
        "orders/<int:pk>/lines/<int:line_pk>/remove/",
        order_views.order_line_remove,
        name="order-line-remove",
    ),
    path("orders/<int:pk>/shipments/", order_views.shipment_record, name="shipment-record"),
    path("orders/from-quote/<int:pk>/", order_views.order_from_quote, name="order-from-quote"),
    path("shipments/<int:pk>/delivered/", order_views.shipment_deliver, name="shipment-deliver"),
    path("shipments/<int:pk>/delete/", order_views.shipment_delete, name="shipment-delete"),
]

from allyance.orders.views import documents as document_views  # noqa: E402

urlpatterns += [
    path(
        "documents/templates/",
        document_views.document_template_list,
        name="document-template-list",
    ),
    path(
        "documents/templates/new/",
        document_views.document_template_create,
        name="document-template-create",
    ),
    path(
        "documents/templates/<int:pk>/",
        document_views.document_template_edit,
        name="document-template-edit",
    ),
    path(
        "documents/templates/<int:pk>/preview/",
        document_views.document_template_preview,
        name="document-template-preview",
    ),
    path(
        "documents/templates/<int:pk>/default/",
        document_views.document_template_set_default,
        name="document-template-set-default",
    ),
    path(
        "documents/templates/<int:pk>/active/",
        document_views.document_template_set_active,
        name="document-template-set-active",
    ),
    path(
        "documents/generate/<str:record_type>/<int:record_id>/",
        document_views.document_generate,
        name="document-generate",
    ),
    path("documents/<int:pk>/email/", document_views.document_email, name="document-email"),
]

from allyance.orders.views import quotes as quote_views  # noqa: E402
from allyance.orders.views import settings as settings_views  # noqa: E402

urlpatterns += [
    path("quotes/", quote_views.quote_list, name="quote-list"),
    path("quotes/approvals/", quote_views.quote_approval_list, name="quote-approval-list"),
    path("quotes/export/", quote_views.quote_export, name="quote-export"),
    path("quotes/new/", quote_views.quote_create, name="quote-create"),
    path("quotes/<int:pk>/", quote_views.quote_detail, name="quote-detail"),
    path("quotes/<int:pk>/edit/", quote_views.quote_edit, name="quote-edit"),
    path("quotes/<int:pk>/action/", quote_views.quote_action, name="quote-action"),
    path("quotes/<int:pk>/lines/new/", quote_views.quote_line_add, name="quote-line-add"),
    path(
        "quotes/<int:pk>/lines/<int:line_pk>/edit/",
        quote_views.quote_line_edit,
        name="quote-line-edit",
    ),
    path(
        "quotes/<int:pk>/lines/<int:line_pk>/remove/",
        quote_views.quote_line_remove,
        name="quote-line-remove",
    ),
    path("settings/quotes-and-invoices/", settings_views.order_settings, name="settings"),
]
