"""The example shop end to end: its demo, on a SQLite file, over HTTP."""
