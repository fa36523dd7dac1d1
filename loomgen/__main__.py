"""``python -m loomgen``: the same as the ``loomgen`` command."""

from loomgen.cli import main

raise SystemExit(main())
