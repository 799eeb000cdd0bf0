"""Web pages of the partners app: the mdf part."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
