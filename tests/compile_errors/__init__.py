"""Use cases that must fail compilation (kept out of tests/usecases: loomgen rejects them)."""
