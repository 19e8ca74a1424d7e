"""Root test configuration: Hypothesis profiles and the shared fixture plugins in tests/support."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# Machines are noisy and shared: no per-example deadline; CI runs a fixed, modest budget.
settings.register_profile(
    "default", deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("long", deadline=None, max_examples=20_000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

pytest_plugins: list[str] = [
    "support.agent",
    "support.browser",
    "support.gui",
    "support.ocsp",
    "support.pcsc",
    "support.redis",
    "support.users",
]
