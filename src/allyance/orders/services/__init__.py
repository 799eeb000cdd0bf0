"""Writes with rules for quotes, orders, invoices, payments and documents; one module per part."""
