"""REST API of the partners app: the incentives part. ROUTES: (prefix, viewset, basename)."""

ROUTES: list = []
