"""Sales forms: one module per part (leads, routing, opportunities, …)."""
