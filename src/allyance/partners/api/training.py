"""REST API of the partners app: the training part. ROUTES: (prefix, viewset, basename)."""

ROUTES: list = []
