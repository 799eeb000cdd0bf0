"""Web pages of the partners app: the registrations part."""

from django.urls import path

from allyance.partners.views import registrations as views

urlpatterns = [
    path("partners/registrations/", views.registration_list, name="registration-list"),
    path("partners/registrations/new/", views.registration_create, name="registration-create"),
    path("partners/registrations/export/", views.registration_export, name="registration-export"),
    path("partners/registrations/<int:pk>/", views.registration_detail, name="registration-detail"),
    path(
        "registrations/<int:pk>/decide/",
        views.registration_decide,
        name="registration-decide",
    ),
]
