"""Web pages of the partners app: the mdf part (ledger, allocations, requests, claims)."""

from django.urls import path

from allyance.partners.views import mdf as views

urlpatterns = [
    path("partners/mdf/", views.ledger, name="mdf-ledger"),
    path("partners/mdf/export/", views.ledger_export, name="mdf-ledger-export"),
    path("partners/mdf/allocations/", views.allocation_list, name="mdf-allocation-list"),
    path("partners/mdf/allocations/new/", views.allocation_create, name="mdf-allocation-create"),
    path(
        "partners/mdf/allocations/from-tier/",
        views.allocations_from_tier,
        name="mdf-allocation-from-tier",
    ),
    path(
        "partners/mdf/allocations/<int:pk>/",
        views.allocation_detail,
        name="mdf-allocation-detail",
    ),
    path(
        "partners/mdf/allocations/<int:pk>/edit/",
        views.allocation_edit,
        name="mdf-allocation-edit",
    ),
    path(
        "partners/mdf/allocations/<int:pk>/pass-down/",
        views.allocation_pass_down,
        name="mdf-allocation-pass-down",
    ),
    path("partners/mdf/requests/", views.request_list, name="mdf-request-list"),
    path("partners/mdf/requests/new/", views.request_create, name="mdf-request-create"),
    path("partners/mdf/requests/<int:pk>/", views.request_detail, name="mdf-request-detail"),
    path(
        "partners/mdf/requests/<int:pk>/decide/",
        views.request_decide,
        name="mdf-request-decide",
    ),
    path(
        "partners/mdf/requests/<int:pk>/cancel/",
        views.request_cancel,
        name="mdf-request-cancel",
    ),
    path("partners/mdf/requests/<int:pk>/leads/", views.request_leads, name="mdf-request-leads"),
    path("partners/mdf/claims/", views.claim_list, name="mdf-claim-list"),
    path("partners/mdf/claims/new/", views.claim_create, name="mdf-claim-create"),
    path("partners/mdf/claims/<int:pk>/", views.claim_detail, name="mdf-claim-detail"),
    path("partners/mdf/claims/<int:pk>/decide/", views.claim_decide, name="mdf-claim-decide"),
    path("partners/mdf/claims/<int:pk>/pay/", views.claim_pay, name="mdf-claim-pay"),
    path("partners/mdf/claims/<int:pk>/invoice/", views.claim_invoice, name="mdf-claim-invoice"),
]
