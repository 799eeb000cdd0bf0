"""REST API of the partners app: the registrations part. ROUTES: (prefix, viewset, basename)."""

ROUTES: list = []
