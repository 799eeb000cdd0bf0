"""Web pages of the sales app; each part adds its own paths."""

from django.urls import path  # noqa: F401

app_name = "sales"

urlpatterns: list = []
