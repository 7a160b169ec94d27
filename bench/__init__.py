"""Benchmarks (`make bench`): cold init, warm overhead, data-access scaling, artifacts."""
