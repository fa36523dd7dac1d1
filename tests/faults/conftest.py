"""The hostile-source tests build with the differential harness: its profiles and ``workspace``
fixture (see ``tests/differential/conftest.py``)."""

from __future__ import annotations

from tests.differential.harness import workspace  # noqa: F401  (module-scoped fixture)
from tests.differential.profiles import register_profiles

register_profiles()
