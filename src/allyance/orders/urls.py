"""Web pages of the orders app; each part adds its own paths."""

from django.urls import path  # noqa: F401

app_name = "orders"

urlpatterns: list = []
