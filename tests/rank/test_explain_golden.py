"""`explain` on the example patients: golden files, agreement with `find`, exit codes.

Golden files live in tests/golden/explain/<patient>__<trial>.json. They are reviewed
expectations, not snapshots: a missing one fails the test and is not written. After an
intended change, regenerate them with
`TRIALMATCH_REGEN_GOLDEN=1 python -m pytest tests/rank/test_explain_golden.py`
and review the diff.
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest

from trialmatch.app.explain import explain_trial
from trialmatch.cli.app import main
from trialmatch.errors import UsageError

ROOT = Path(__file__).resolve().parents[2]
PATIENTS = sorted((ROOT / "examples" / "patients").glob("*.json"))
GOLDEN = ROOT / "tests" / "golden" / "explain"
TODAY = date(2026, 11, 21)
UPDATE = bool(os.environ.get("TRIALMATCH_REGEN_GOLDEN") or os.environ.get("UPDATE_GOLDEN"))


def expected(path: Path) -> dict[str, str]:
    return json.loads(path.read_text())["_expected"]


PAIRS = [(p, t) for p in PATIENTS for t in expected(p)]
GOLDEN_PAIRS = [(p, next(iter(expected(p)))) for p in PATIENTS]


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return tmp_path_factory.mktemp("explain") / "examples.duckdb"


def explained(patient: Path, trial_id: str, db: Path) -> dict:
    doc = explain_trial(patient, trial_id, db=db, today=TODAY)
    doc["warnings"] = [w.replace(str(patient), patient.name) for w in doc["warnings"]]
    return doc


@pytest.mark.parametrize("patient, trial_id", GOLDEN_PAIRS,
                         ids=[f"{p.stem}-{t}" for p, t in GOLDEN_PAIRS])
def test_explain_matches_its_golden_file(patient, trial_id, db):
    doc = explained(patient, trial_id, db)
    check_golden(GOLDEN / f"{patient.stem}__{trial_id}.json", doc, UPDATE)


def check_golden(path: Path, doc: dict, update: bool) -> None:
    """Compare with the reviewed file; write it only when asked to (`update`)."""
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    if not path.exists():
        pytest.fail(f"{path} is missing; write it with TRIALMATCH_REGEN_GOLDEN=1 and review "
                    "the diff")
    assert json.loads(path.read_text()) == doc


def test_a_missing_golden_file_fails_and_is_not_written(tmp_path):
    path = tmp_path / "missing.json"
    with pytest.raises(pytest.fail.Exception, match="TRIALMATCH_REGEN_GOLDEN"):
        check_golden(path, {"a": 1}, update=False)
    assert not path.exists()
    check_golden(path, {"a": 1}, update=True)
    assert json.loads(path.read_text()) == {"a": 1}


@pytest.mark.parametrize("patient, trial_id", PAIRS, ids=[f"{p.stem}-{t}" for p, t in PAIRS])
def test_explain_agrees_with_the_documented_outcome(patient, trial_id, db):
    doc = explained(patient, trial_id, db)
    assert doc["status"] == expected(patient)[trial_id]
    assert not [w for w in doc["warnings"] if "disagree" in w]
    _check_tree_shape(doc)


def _check_tree_shape(doc: dict) -> None:
    results = {"met", "not met", "unknown", "manual review"}
    for cohort in doc["cohorts"]:
        stack = [cohort["tree"]]
        while stack:
            node = stack.pop()
            assert node["result"] in results and node["criterion"]
            if "children" in node:
                stack.extend(node["children"])
            else:
                assert {"text", "finding", "via", "section", "negated"} <= set(node)
                if node["result"] == "manual review":
                    assert node["finding"] is None


def test_every_criterion_is_marked_and_paths_are_shown(db):
    doc = explained(ROOT / "examples/patients/P-0001.json", "TM-LUNG-001", db)
    leaves = []
    stack = [doc["cohorts"][0]["tree"]]
    while stack:
        node = stack.pop()
        stack.extend(node.get("children", []))
        if "children" not in node:
            leaves.append(node)
    by = {n["criterion"]: n for n in leaves}
    assert by["cancer type NSCLC"]["via"] == ["LUAD", "NSCLC"]
    assert by["cancer type NSCLC"]["finding"].startswith("LUAD")
    assert by["EGFR L858R mutation"]["result"] == "met"
    assert by["no prior EGFR TKI"]["result"] == "met"
    assert {n["result"] for n in leaves} >= {"met", "not met", "manual review"}


def test_unknown_trial_id_names_the_closest_ones(db):
    with pytest.raises(UsageError) as err:
        explain_trial(PATIENTS[0], "TM-LUNG-01", db=db, today=TODAY)
    assert "TM-LUNG-001" in str(err.value)


def test_explain_cli_json_table_and_exit_codes(db, capsys):
    patient = str(ROOT / "examples/patients/P-0002.json")
    assert main(["explain", patient, "TM-LUNG-002", "--db", str(db), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["trial_id"] == "TM-LUNG-002" and doc["cohorts"]
    assert main(["explain", patient, "tm-lung-002", "--db", str(db), "--format",
                 "table"]) == 0
    out = capsys.readouterr().out
    assert "TM-LUNG-002" in out and "met" in out
    assert main(["explain", patient, "TM-LUNG-02", "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert "unknown trial id" in err and "TM-LUNG-002" in err
    assert main(["explain", str(ROOT / "nope.json"), "TM-LUNG-002", "--db", str(db)]) == 2
