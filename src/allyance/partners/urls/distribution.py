"""Web pages of the partners app: the distribution part."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
