"""Benchmarks: figures, not assertions. `make bench` runs them against the local stack."""
