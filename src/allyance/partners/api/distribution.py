"""REST API of the partners app: the distribution part. ROUTES: (prefix, viewset, basename)."""

ROUTES: list = []
