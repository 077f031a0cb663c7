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
    "i": (95.0, 87.0, 81.0),  # set I: 100 / 89.8 / 83.7 after session 13 (two X patients ruled out only by a setting: dev rules 100 / 93.9 / 91.8; untuned: 83.3 / 81.6 / 73.5)
    "j": (95.0, 88.0, 85.0),  # set J: 100 / 91.8 / 89.8 after the session-9 fixes (untuned: 75.0 / 77.6 / 75.5)
    "k": (80.0, 81.0, 77.0),  # set K: 91.7 / 83.7 / 79.6 after session 13 (untuned, session 9: 75.0 / 75.5 / 71.4)
    "l": (95.0, 87.0, 81.0),  # set L: 100 / 90.0 / 84.0 after the session-10 readings (untuned, session 9: 91.7 / 76.0 / 66.0)
    "m": (95.0, 91.0, 85.0),  # set M: 100 / 94.0 / 88.0 after the session-11 readings (untuned, session 10: 83.3 / 84.0 / 78.0)
    "n": (95.0, 93.0, 87.0),  # set N: 100 / 96.0 / 90.0 after the session-11 readings (untuned, session 10: 83.3 / 86.0 / 80.0)
    "o": (95.0, 77.0, 71.0),  # set O: 100 / 80.0 / 74.0 after the session-12 readings (untuned, session 11: 66.7 / 72.0 / 68.0)
    "p": (95.0, 81.0, 81.0),  # set P: 100 / 84.0 / 84.0 after the session-12 readings (untuned, session 11: 100 / 82.0 / 82.0)
    "q": (85.0, 79.0, 79.0),  # set Q: untuned (never read), 91.7 / 82.0 / 82.0 at the end of session 13 (session 12: 91.7 / 80.0 / 78.0)
    "r": (95.0, 71.0, 67.0),  # set R: untuned (never read), 100 / 74.0 / 70.0 in sessions 12 and 13
    # Sets S to AB (session 13): first figure the untuned reading with the session-start parser
    # (dev-rules scoring, docs/benchmarks.md "Session 13"), then the figures after they were read
    "s": (95.0, 85.0, 79.0),  # set S: 100 / 88.0 / 82.0 (untuned, dev rules: 77.8 / 80.0 / 72.0)
    "t": (95.0, 79.0, 79.0),  # set T: 100 / 82.0 / 82.0 (untuned, dev rules: 82.4 / 82.0 / 82.0)
    "u": (95.0, 89.0, 85.0),  # set U: 100 / 92.0 / 88.0 (untuned, dev rules: 76.9 / 88.0 / 84.0)
    "v": (95.0, 93.0, 93.0),  # set V: 100 / 96.0 / 96.0 (untuned, dev rules: 92.3 / 88.0 / 86.0)
    "w": (95.0, 95.0, 89.0),  # set W: 100 / 98.0 / 92.0 (untuned: 75.0 / 84.0 / 80.0)
    "x": (95.0, 93.0, 89.0),  # set X: 100 / 96.0 / 92.0 (untuned: 83.3 / 88.0 / 84.0)
    "y": (85.0, 85.0, 81.0),  # set Y: 91.7 / 88.0 / 84.0 (untuned, dev rules: 92.3 / 90.0 / 86.0)
    "z": (95.0, 87.0, 81.0),  # set Z: 100 / 90.0 / 84.0 (untuned: 75.0 / 82.0 / 76.0)
    "aa": (95.0, 91.0, 89.0),  # set AA: 100 / 94.0 / 92.0 after session 14 (untuned: 75.0 / 82.0 / 80.0)
    "ab": (95.0, 95.0, 91.0),  # set AB: 100 / 98.0 / 94.0 after session 14 (untuned: 75.0 / 84.0 / 84.0)
    # Sets AC to AJ (session 14): AC, AD, AG, AH were read; AE, AF, AI, AJ never were (their
    # errors unread, measured at the session's start and end only)
    "ac": (95.0, 95.0, 90.0),  # set AC: 100 / 98.0 / 93.9 (untuned: 75.0 / 81.6 / 77.6)
    "ad": (95.0, 97.0, 97.0),  # set AD: 100 / 100 / 100 (untuned: 83.3 / 91.8 / 91.8)
    "ae": (80.0, 80.0, 76.0),  # set AE, never read: 83.3 / 83.7 / 79.6 (start: 75.0 / 83.7 / 79.6; session 17 end: 91.7 / 87.8 / 83.7)
    "af": (70.0, 84.0, 80.0),  # set AF, never read: 75.0 / 87.8 / 83.7 (start: 66.7 / 85.7 / 83.7)
    "ag": (95.0, 88.0, 86.0),  # set AG: 100 / 91.8 / 89.8 (untuned: 83.3 / 85.7 / 83.7)
    "ah": (95.0, 88.0, 88.0),  # set AH: 100 / 91.8 / 91.8 (untuned: 83.3 / 85.7 / 85.7)
    "ai": (62.0, 82.0, 80.0),  # set AI, never read: 66.7 / 85.7 / 83.7 (start: the same)
    "aj": (78.0, 78.0, 76.0),  # set AJ, never read: 83.3 / 81.6 / 79.6 (start: 75.0 / 79.6 / 77.6)
    "ak": (95.0, 90.0, 90.0),  # set AK: 100 / 93.9 / 93.9 (untuned: 83.3 / 85.7 / 83.7)
    "al": (85.0, 90.0, 90.0),  # set AL, never read: 91.7 / 93.9 / 93.9 (start: 75.0 / 89.8 / 89.8; session 17 end: 91.7 / 91.8 / 91.8)
    "am": (95.0, 94.0, 92.0),  # set AM: 100 / 98.0 / 95.9 (untuned: 83.3 / 87.8 / 83.7)
    "an": (62.0, 80.0, 78.0),  # set AN, never read: 66.7 / 83.7 / 81.6 (start: 50.0 / 77.6 / 75.5; session 17 end: 66.7 / 81.6 / 79.6)
    # Sets AO to AQ (session 16): none was read (measured at the session's start and end only)
    "ao": (70.0, 76.0, 74.0),  # set AO, never read: 75.0 / 79.6 / 77.6 (start: 75.0 / 79.6 / 75.5)
    "ap": (80.0, 84.0, 78.0),  # set AP, never read: 83.3 / 87.8 / 81.6 (start: the same)
    "aq": (80.0, 90.0, 88.0),  # set AQ, never read: 83.3 / 93.9 / 91.8 (start: 75.0 / 91.8 / 89.8)
    # Sets AR and AS (session 17, the walk of long texts): never read
    "ar": (78.0, 80.0, 80.0),  # set AR, never read: 83.3 / 83.7 / 83.7 (start: the same)
    "as": (78.0, 80.0, 76.0),  # set AS, never read: 83.3 / 83.7 / 79.6 (start: the same)
}
# Sets annotated but not yet measured: no bound on purpose, they stay unrun (untuned) until the
# lead measures each once and gives it a bound above.
UNMEASURED: dict[str, str] = {}


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
