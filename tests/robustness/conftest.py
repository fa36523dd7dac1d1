"""Hypothesis profiles for the robustness tests.

``ci`` (at least 500 examples, no deadline, derandomized so a CI failure
reproduces locally with the same profile) is used when ``$CI`` is set or
``$LOOM_HYPOTHESIS_PROFILE=ci``; ``dev`` (50 examples) otherwise.
``$LOOM_HYPOTHESIS_PROFILE`` may also name any other registered profile.

The profiles are applied by the robustness tests themselves (see
:func:`tests.robustness.profiles.robustness_settings`) rather than loaded
globally, so hypothesis tests elsewhere in the suite keep their own settings.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.robustness.harness import Workspace
from tests.robustness.profiles import register_profiles

register_profiles()


@pytest.fixture(scope="module")
def workspace() -> Iterator[Workspace]:
    """A temporary folder on ``sys.path`` for the packages the tests build."""
    space = Workspace()
    try:
        yield space
    finally:
        space.close()
