"""Sales views: one module per part (leads, routing, opportunities, …)."""
