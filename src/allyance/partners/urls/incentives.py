"""Web pages of the partners app: the incentives part."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
