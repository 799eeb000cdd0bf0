"""REST API of the service app. ROUTES: (prefix, viewset, basename)."""

ROUTES: list = []
