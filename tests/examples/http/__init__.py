"""The example shop served by uvicorn on a free local port, and the helpers that drive it."""
