"""How thorough this test run is: the hypothesis profile's name, and what follows from it.

`$HYPOTHESIS_PROFILE` chooses it ("ci" when `$CI` is set, else "dev"). CI (`.ci/run`) runs
"ci": 500 examples for the property tests that take their count from the profile, and the
full size of the few other tests whose cost grows with a sample (the whole shared corpus,
more random rankings, a larger synthetic cohort). The default "dev" keeps the README's test
command under ten minutes on a 2-core machine with smaller samples of the same checks.
"""

from __future__ import annotations

import os

PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
THOROUGH = PROFILE == "ci"


def sized(thorough: int, default: int) -> int:
    """A sample size: `thorough` under the CI profile, else `default`."""
    return thorough if THOROUGH else default
