"""loomgen: compile loom use case sources into straight-line executors.

Stages, one module each: ``config`` (settings) -> ``discover`` (source files
and their module names) -> ``parse`` (libcst -> IR, without importing user
code) -> ``ir`` (frozen dataclasses) -> ``render`` (jinja2 + black) ->
``emit`` (manifest, atomic writes, check/diff/clean). ``build`` wires them
together and ``cli`` is the command line.
"""

__version__ = "0.1.0"
