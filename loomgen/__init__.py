"""loomgen: compile loom use case sources into straight-line executors.

A build finds the sources (:mod:`loomgen.config`, :mod:`loomgen.discover`),
reads every module into the IR without importing it (:mod:`loomgen.parse` and
the readers it calls), renders an executor per use case and the registry
(:mod:`loomgen.render`) and writes the package it owns (:mod:`loomgen.emit`).
:mod:`loomgen.build` runs those stages module by module, cached and in
parallel; :mod:`loomgen.cli` is the command line. ``docs/architecture.md``
walks through the stages and where each fact lives.
"""

__version__ = "0.1.0"
