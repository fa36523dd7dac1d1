"""Benchmarks for loom and loomgen: ``python -m bench`` (or ``make bench``).

See :mod:`bench.__main__` for what is measured and the targets.
"""
