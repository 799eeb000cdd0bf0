"""Filters of the orders app; one module per part."""
