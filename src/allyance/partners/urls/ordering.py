"""Web pages of the partners app: the ordering part."""

from django.urls import path

from allyance.partners.views import ordering as views

urlpatterns: list = [
    path("portal/orders/new/", views.portal_order_create, name="portal-order-create"),
]
