"""Golden files: criteria text -> expected rule tree in canonical text form."""

from pathlib import Path

import pytest
import yaml

from trialmatch.nlp import parse_eligibility
from trialmatch.rules import to_text

GOLDEN = Path(__file__).parent / "golden"
CASES = [(f.stem, c) for f in sorted(GOLDEN.glob("*.yaml")) for c in yaml.safe_load(f.read_text())]


@pytest.mark.parametrize("case", [c for _, c in CASES], ids=[f"{s}:{c['id']}" for s, c in CASES])
def test_golden(case, ont):
    trial = parse_eligibility(case["text"], ontology=ont)
    if "cohorts" in case:
        got = {c.id: to_text(c.rule) for c in trial.cohorts}
        assert got == case["cohorts"]
    else:
        assert [c.id for c in trial.cohorts] == ["main"]
        assert to_text(trial.cohorts[0].rule) == case["tree"]
