"""REST API of the partners app: the mdf part. ROUTES: (prefix, viewset, basename)."""

ROUTES: list = []
