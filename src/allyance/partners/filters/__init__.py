"""List filters of the partners app, one module per part, shared by pages and the API."""
