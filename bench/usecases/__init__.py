"""Use cases the per-call benchmark runs, one module per plan shape.

They are ordinary loom sources, written so loomgen can compile them without
importing them (literal markers, literal ``computes``/``rules`` lists).
``bench.percall`` builds them into ``.bench/generated`` and runs each one
hand-written, generated and interpreted.
"""
