"""Robust defaults over a suite of cheap tasks from different families (``python -m benchmarks.defaults``)."""
