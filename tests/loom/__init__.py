"""The runtime, laid out like ``loom/``: every executor test runs in both execution modes."""
