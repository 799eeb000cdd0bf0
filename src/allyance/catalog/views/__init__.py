"""Views of the catalog app; one module per part."""
