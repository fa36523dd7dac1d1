"""Robustness tests: staleness, crash safety, runtime faults, load (issue 5)."""
