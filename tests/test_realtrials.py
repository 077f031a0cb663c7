"""End to end on real registry text (issue 9): annotated patients against real trials.

Loads the trials of each annotated set from the shared corpus, runs `find --all` for every
patient and compares the status of the patient's own trial (benchmarks/realtrials.py, whose
figures docs/benchmarks.md reports). The bounds here sit a little below the figures measured
when they were set: a regression guard. Each set after the development set was annotated
from the trial text before the parser was run on its trials (benchmarks/realtrials.py's
docstring gives each set's walk and session); a set is untuned until its errors are read,
and its first figures are kept in the comment beside its bound. Sets not yet measured are in
UNMEASURED and skip with a message. Skips without ../shared.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import shared

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import realtrials  # noqa: E402

BOUNDS = {  # set: (eligible found %, candidate agreement %, exact %)
    "dev": (97.0, 94.0, 88.0),
    "ours": (97.0, 92.0, 88.0),
    "c": (95.0, 92.0, 88.0),  # set C: oncology trials only, no non-cancer control
    "d": (95.0, 93.0, 90.0),  # set D: 100 / 96.3 / 94.4 after the session-10 readings (untuned: 53.8 / 77.8 / 72.2)
    "e": (95.0, 90.0, 84.0),  # set E: 100 / 93.9 / 87.8 after the session-10 readings (untuned: 65.0 / 75.6 / 67.1)
    "f": (95.0, 87.0, 85.0),  # set F: 100 / 89.8 / 87.8 after the session-8 fixes (untuned: 83.3 / 71.4 / 65.3)
    "g": (95.0, 95.0, 90.0),  # set G: 100 / 98.0 / 93.9 after the session-6 fixes (untuned: 91.7 / 87.8 / 83.7)
    "h": (80.0, 83.0, 76.0),  # set H: 91.7 / 85.7 / 79.6 after the session-12 readings (untuned: 75.0 / 73.5 / 67.3)
    "i": (95.0, 89.0, 85.0),  # set I: 100 / 91.8 / 87.8 after the session-8 fixes (untuned: 83.3 / 81.6 / 73.5)
    "j": (95.0, 88.0, 85.0),  # set J: 100 / 91.8 / 89.8 after the session-9 fixes (untuned: 75.0 / 77.6 / 75.5)
    "k": (80.0, 79.0, 73.0),  # set K: 83.3 / 81.6 / 75.5 after the session-10 readings (untuned, session 9: 75.0 / 75.5 / 71.4)
    "l": (95.0, 87.0, 81.0),  # set L: 100 / 90.0 / 84.0 after the session-10 readings (untuned, session 9: 91.7 / 76.0 / 66.0)
    "m": (95.0, 91.0, 85.0),  # set M: 100 / 94.0 / 88.0 after the session-11 readings (untuned, session 10: 83.3 / 84.0 / 78.0)
    "n": (95.0, 93.0, 87.0),  # set N: 100 / 96.0 / 90.0 after the session-11 readings (untuned, session 10: 83.3 / 86.0 / 80.0)
    "o": (95.0, 77.0, 71.0),  # set O: 100 / 80.0 / 74.0 after the session-12 readings (untuned, session 11: 66.7 / 72.0 / 68.0)
    "p": (95.0, 81.0, 81.0),  # set P: 100 / 84.0 / 84.0 after the session-12 readings (untuned, session 11: 100 / 82.0 / 82.0)
    "q": (85.0, 77.0, 75.0),  # set Q: untuned, session 12: 91.7 / 80.0 / 78.0 at the start and at the end
    "r": (95.0, 71.0, 67.0),  # set R: untuned, session 12: 100 / 74.0 / 70.0 at the start and at the end
}
# Sets annotated but not yet measured: no bound on purpose, they stay unrun (untuned) until the
# lead measures each once and gives it a bound above.
UNMEASURED: dict[str, str] = {
    "s": "set S (session 13) is untuned and not yet measured: the lead runs it once, then bounds it",
    "t": "set T (session 13) is untuned and not yet measured: the lead runs it once, then bounds it",
    "u": "set U (session 13) is untuned and not yet measured: the lead runs it once, then bounds it",
    "v": "set V (session 13) is untuned and not yet measured: the lead runs it once, then bounds it",
    "w": "set W (session 13) is untuned and not yet measured: the lead runs it once, then bounds it",
    "x": "set X (session 13) is untuned and not yet measured: the lead runs it once, then bounds it",
    "y": "set Y (session 13) is untuned and not yet measured: the lead runs it once, then bounds it",
    "z": "set Z (session 13) is untuned and not yet measured: the lead runs it once, then bounds it",
    "aa": "set AA (session 13) is untuned and not yet measured: the lead runs it once, then bounds it",
    "ab": "set AB (session 13) is untuned and not yet measured: the lead runs it once, then bounds it",
}


@pytest.mark.parametrize("name", sorted(BOUNDS) + sorted(UNMEASURED))
def test_real_trials_end_to_end(name, tmp_path):
    if name in UNMEASURED:
        pytest.skip(UNMEASURED[name])
    shared("ctgov", "trials_2000_2020.ndjson")
    if name == "dev":
        shared("realtrials-dev", "expected.json")
    rows = realtrials.run_set(name, tmp_path)
    got = realtrials.figures(rows)
    found, agree, exact = BOUNDS[name]
    assert got["eligible_found_pct"] >= found, got
    assert got["candidate_agreement_pct"] >= agree, got
    assert got["exact_pct"] >= exact, got
    assert got["nononc_rejected"] == got["nononc"], got  # every non-cancer trial
    assert got["nononc"] > 0 or name == "c", got
