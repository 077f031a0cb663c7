"""The hypothesis profiles of tests/conftest.py: chosen by $HYPOTHESIS_PROFILE, at least 500
examples in CI for the property tests that follow the profile, fewer by default."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHOW = ("import tests.conftest as c; from hypothesis import settings; "
        "print(c.HYPOTHESIS_PROFILE, settings.default.max_examples)")


@pytest.mark.parametrize("env,profile,at_least,below", [
    ({"HYPOTHESIS_PROFILE": "ci"}, "ci", 500, None),
    ({"CI": "true"}, "ci", 500, None),
    ({}, "dev", 1, 500),
])
def test_profile_is_chosen_by_the_environment(env, profile, at_least, below):
    base = {k: v for k, v in os.environ.items() if k not in ("HYPOTHESIS_PROFILE", "CI")}
    out = subprocess.run([sys.executable, "-c", SHOW], cwd=ROOT, env={**base, **env},
                         capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == profile
    assert int(out[1]) >= at_least and (below is None or int(out[1]) < below)
