"""REST API of the partners app: the programme part. ROUTES: (prefix, viewset, basename)."""

ROUTES: list = []
