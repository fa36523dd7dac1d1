"""Checked against an oracle: generated executors against the interpreter (drawn and written
sources), loomgen's static reading against the live plan, black, loom-kernel's recorded results."""
