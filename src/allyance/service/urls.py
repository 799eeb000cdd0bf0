"""Web pages of the service app: cases (service requests and warranty claims)."""

from django.urls import path  # noqa: F401

app_name = "service"

urlpatterns: list = []
