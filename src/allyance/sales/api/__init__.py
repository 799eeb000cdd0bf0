"""Sales api: one module per part (leads, routing, opportunities, …)."""
