"""Benchmarks: each module runs with ``python benchmarks/<name>.py`` and prints ratios measured in one run."""
