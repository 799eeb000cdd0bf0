"""Background jobs of the partners app, one module per part; each only calls its service."""
