"""Benchmarks (python -m bench.recompute, python -m bench.freshness)."""
