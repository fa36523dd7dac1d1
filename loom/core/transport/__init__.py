"""What a transport (HTTP, CLI, a message consumer) hands to the executor."""

from loom.core.transport.adapter import AdapterRequest, LoomAdapter

__all__ = ["AdapterRequest", "LoomAdapter"]
