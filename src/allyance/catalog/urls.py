"""Web pages of the catalog app; each part adds its own paths."""

from django.urls import path  # noqa: F401

app_name = "catalog"

urlpatterns: list = []
