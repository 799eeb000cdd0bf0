"""REST API of the partners app: the ordering part. ROUTES: (prefix, viewset, basename)."""

ROUTES: list = []
