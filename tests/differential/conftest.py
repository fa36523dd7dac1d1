"""Hypothesis profiles and the ``workspace`` fixture of the differential tests.

``ci`` (at least 500 examples, no deadline, derandomized so a CI failure
reproduces locally with the same profile) is used when ``$CI`` is set or
``$LOOM_HYPOTHESIS_PROFILE=ci``; ``dev`` (50 examples) otherwise.
``$LOOM_HYPOTHESIS_PROFILE`` may also name any other registered profile.

The profiles are applied by the tests themselves (see
:func:`tests.differential.profiles.robustness_settings`) rather than loaded
globally, so hypothesis tests elsewhere in the suite keep their own settings.
"""

from __future__ import annotations

from tests.differential.harness import workspace  # noqa: F401  (module-scoped fixture)
from tests.differential.profiles import register_profiles

register_profiles()
