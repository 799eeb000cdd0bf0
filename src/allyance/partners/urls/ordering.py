"""Web pages of the partners app: the ordering part."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
