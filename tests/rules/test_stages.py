"""Stage groups on one scale: names, intervals, comparisons, and the patient's stage."""

from __future__ import annotations

import pytest

from trialmatch.patients import load_patients
from trialmatch.rules.dsl import parse_text
from trialmatch.rules.evaluate import MET, NOT_MET, UNKNOWN, evaluate
from trialmatch.rules.facts import PatientFacts
from trialmatch.rules.stages import stage_interval, stage_label, stage_name


@pytest.mark.parametrize("text,name", [
    ("IV", "IV"), ("Stage 3a", "IIIA"), ("stage IIIc1", "IIIC"), ("0is", "0"), ("pIIB", "IIB"),
    ("4", "IV"), ("stage V", None), ("T2N0M0", None), ("", None), ("extensive", None)])
def test_stage_names(text, name):
    assert stage_name(text) == name


def test_a_group_without_its_letter_is_the_whole_group():
    assert stage_interval("III") == (30.0, 39.0)
    assert stage_interval("IIIB") == (32.0, 32.0)
    assert stage_label(stage_interval("IIIB")) == "IIIB"
    assert stage_label(stage_interval("III")) == "III"


@pytest.mark.parametrize("rule,stage,value", [
    ("stage >= IIIB", "IV", MET), ("stage >= IIIB", "IIIA", NOT_MET),
    ("stage >= IIIB", "III", UNKNOWN), ("stage <= III", "IIIC", MET),
    ("stage <= III", "IVA", NOT_MET), ("stage < III", "IIB", MET), ("stage > III", "IIIC", NOT_MET),
    ("all(stage >= III, stage <= III)", "IIIA", MET), ("stage >= IV", None, UNKNOWN)])
def test_stage_comparisons(rule, stage, value, mini_ontology):
    numbers = {} if stage is None else {"stage": stage_interval(stage)}
    assert evaluate(parse_text(rule), PatientFacts("P", numbers=numbers), mini_ontology) == value


def test_patient_stage_is_read_and_an_unreadable_one_warned(tmp_path, mini_ontology):
    path = tmp_path / "p.json"
    path.write_text('[{"id": "A", "diagnosis": {"oncotree": "LUAD", "stage": "Stage 3B"}},'
                    ' {"id": "B", "diagnosis": {"oncotree": "LUAD", "stage": "late"}}]')
    loaded = load_patients(path, mini_ontology)
    facts = {p.id: p for p in loaded.patients}
    assert facts["A"].numbers["stage"] == (32.0, 32.0)
    assert "stage" not in facts["B"].numbers
    assert any("/diagnosis/stage" in w and "late" not in w for w in loaded.warnings)
