"""Sales services: one module per part (leads, routing, opportunities, …)."""
