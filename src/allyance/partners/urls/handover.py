"""Web pages of the partners app: orders handed down the channel."""

from django.urls import path

from allyance.partners.views import handover as views

urlpatterns: list = [
    path("order-handovers/", views.order_handover_list, name="order-handover-list"),
    path(
        "order-handovers/orders/<int:pk>/hand-down/",
        views.order_hand_down,
        name="order-hand-down",
    ),
    path(
        "order-handovers/<int:pk>/hand-back/",
        views.order_handover_hand_back,
        name="order-handover-hand-back",
    ),
    path(
        "order-handovers/<int:pk>/recall/",
        views.order_handover_recall,
        name="order-handover-recall",
    ),
]
