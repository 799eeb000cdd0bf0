"""Sales filters: one module per part (leads, routing, opportunities, …)."""
