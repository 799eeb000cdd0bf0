"""Sales selectors: one module per part (leads, routing, opportunities, …)."""
