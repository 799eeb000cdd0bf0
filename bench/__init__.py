"""The benchmark suite: a seeded dataset generator (`bench.dataset`) and the runner (`bench.run`)."""
