"""Sales tasks: one module per part (leads, routing, opportunities, …)."""
