"""Golden tests of the parser's logic (issue 9's failure classes, in our own words).

Parsed with the embedded ontology, so cancer types, drugs and classes are the ones a user
gets; each case names the failure class it guards. A case with `record: true` is parsed as a
registry record (no conditions, no ages), so the passes that need the whole cohort and the
ontology (`nlp.population`) run too."""

from pathlib import Path

import pytest
import yaml

from trialmatch.ingest.record import Record
from trialmatch.nlp import parse_eligibility
from trialmatch.nlp.parse import parse_record
from trialmatch.ontology import default_ontology
from trialmatch.rules import to_text

CASES = yaml.safe_load((Path(__file__).parent / "logic" / "logic.yaml").read_text())


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_logic_golden(case):
    if case.get("record"):
        trial = parse_record(Record(nct_id="NCT99990009", eligibility=case["text"]),
                             default_ontology())
    else:
        trial = parse_eligibility(case["text"], ontology=default_ontology())
    if "cohorts" in case:
        assert {c.id: to_text(c.rule) for c in trial.cohorts} == case["cohorts"], case["class"]
        return
    assert [c.id for c in trial.cohorts] == ["main"]
    assert to_text(trial.cohorts[0].rule) == case["tree"], case["class"]
