"""Web pages of the service app: cases (service requests and warranty claims)."""

from django.urls import path

from allyance.service import views

app_name = "service"

urlpatterns: list = [
    path("cases/", views.case_list, name="case-list"),
    path("cases/export/", views.case_export, name="case-export"),
    path("cases/new/", views.case_create, name="case-create"),
    path("cases/<int:pk>/", views.case_detail, name="case-detail"),
    path("cases/<int:pk>/edit/", views.case_edit, name="case-edit"),
    path("cases/<int:pk>/move/", views.case_move, name="case-move"),
]
