"""What breaks, and what must still hold: killed builds, failing repositories and commits, hostile
sources, stale generated code, a failing server."""
