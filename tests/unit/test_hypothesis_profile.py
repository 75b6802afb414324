"""The CI profile of Hypothesis is what `make test` and `.ci/run` run under."""

from __future__ import annotations

import os
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

CI = os.environ.get("HYPOTHESIS_PROFILE") == "ci"


@pytest.mark.skipif(not CI, reason="runs under HYPOTHESIS_PROFILE=ci (make test, .ci/run)")
def test_ci_profile_is_loaded():
    assert settings.default.deadline is None
    assert HealthCheck.too_slow in settings.default.suppress_health_check
    assert settings.default.derandomize


@pytest.mark.skipif(not CI, reason="runs under HYPOTHESIS_PROFILE=ci (make test, .ci/run)")
@settings(max_examples=3)
@given(st.integers())
def test_a_slow_example_is_not_a_failure(n):
    """Slower than the default 200 ms deadline, as a property can be on a loaded machine."""
    time.sleep(0.25)
