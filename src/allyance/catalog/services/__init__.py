"""Writes with rules for the catalog, price lists and the configurator; one module per part."""
