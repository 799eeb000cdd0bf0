"""Background jobs of the orders app, one module per part."""
