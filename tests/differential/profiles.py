"""The ``ci`` and ``dev`` hypothesis profiles of the differential and hostile-source tests."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

CI_EXAMPLES = 500
DEV_EXAMPLES = 50
_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]


def register_profiles() -> None:
    settings.register_profile(
        "ci",
        max_examples=CI_EXAMPLES,
        deadline=None,
        derandomize=True,
        print_blob=True,
        suppress_health_check=_HEALTH,
    )
    settings.register_profile(
        "soak",  # a long random search, to run by hand: LOOM_HYPOTHESIS_PROFILE=soak
        max_examples=5000,
        deadline=None,
        print_blob=True,
        suppress_health_check=_HEALTH,
    )
    settings.register_profile(
        "dev",
        max_examples=DEV_EXAMPLES,
        deadline=None,
        print_blob=True,
        suppress_health_check=_HEALTH,
    )


def active_profile() -> str:
    """``$LOOM_HYPOTHESIS_PROFILE``, else ``ci`` under CI, else ``dev``."""
    chosen = os.environ.get("LOOM_HYPOTHESIS_PROFILE", "")
    if chosen:
        return chosen
    return "ci" if os.environ.get("CI") else "dev"


def robustness_settings(scale: float = 1.0) -> settings:
    """The active profile, with ``max_examples`` scaled by ``scale`` (at least 1)."""
    register_profiles()
    profile = settings.get_profile(active_profile())
    return settings(profile, max_examples=max(1, int(profile.max_examples * scale)))
