"""loom-kernel 0.12.3's own guide examples, run unchanged (see ``scenarios``)."""
