"""The patient reader (`patients/model.py`) against the pydantic model it replaced.

`pydantic_reference.py` is the former pydantic model, kept here as the oracle: on generated
profiles (valid, lenient and broken values for every field) both must accept the same
profiles with the same values, and reject the others with the same problems. The reader is
stricter on purpose in three places, which the generator leaves out and the last tests pin:
true / false is not a number, a number is not a date, and an unknown expression level is
named as such rather than by its marker.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import date
from typing import Any

import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic_reference import PatientIn as Reference

try:
    from tests.thoroughness import sized
except ImportError:  # tests/ is not a package
    from thoroughness import sized

from trialmatch.patients.model import read_patient
from trialmatch.patients.validate import pointer, validate

NUMBERS = st.sampled_from([0, 1, 2, 5, 6, 99, 100, 101, 130, 131, -1, 0.5, 2.0, 2.5, 1e30,
                           "3", " 4 ", "2.0", "2.5", "65.5", "abc", "", "50%", "inf", "-inf",
                           "nan", None, [], {}])
TEXT = st.sampled_from(["EGFR", " kras ", "", "   ", "p.L858R", "LUAD", " luad ", 7, None,
                        ["x"], {"a": 1}])
WORDS = st.sampled_from(["positive", "Positive", " neg ", "+", "-", "pos", "negative", "low",
                         "zero", "amplified", "not amplified", "high", "MSI-H", "msi high",
                         "stable", "MSS", "dMMR", "proficient", "deficient", "x", "", None, 3,
                         "female", "F", "m", " Male ", "unknown", "mutation", " Fusion ",
                         "somatic", "GERMLINE", "wildtype", "codeleted", "Co deleted",
                         "intact", "yes", "no", "true", "FALSE", "1", "0", "2+", "3", 0, 1,
                         2.0])
FLAGS = st.sampled_from(["yes", "no", "true", "False", "on", "off", "1", "0", 0, 1, 2, 0.0,
                         1.0, 0.5, "maybe", None, "codeleted", "retained"])
DATES = st.sampled_from(["2020-01-31", "1950-06-01", "2020-02-30", "2020-13-01", "20200101",
                         "yesterday", "", None, []])
KEYS = st.sampled_from(["alteration", "Age", "_comment", "_", "extra"])


def maybe(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(st.just(_ABSENT), strategy)


_ABSENT = object()


@st.composite
def objects(draw, fields: dict[str, st.SearchStrategy]) -> Any:
    if draw(st.integers(0, 19)) == 0:
        return draw(st.sampled_from([None, "x", 3, []]))
    out = {}
    for name, strategy in fields.items():
        value = draw(maybe(strategy))
        if value is not _ABSENT:
            out[name] = value
    if draw(st.integers(0, 4)) == 0:
        out[draw(KEYS)] = 1
    return out


ALTERATION = objects({"gene": TEXT, "type": WORDS, "protein": TEXT, "exon": NUMBERS,
                      "origin": WORDS, "partner": TEXT, "vaf": NUMBERS, "cdna": TEXT,
                      "transcript": TEXT})
DIAGNOSIS = objects({"oncotree": TEXT, "text": TEXT, "stage": TEXT})
BIOMARKERS = objects({"tmb": NUMBERS, "msi": WORDS, "mmr": WORDS, "pdl1_tps": NUMBERS,
                      "pdl1_cps": NUMBERS, "her2_ihc": WORDS, "her2_ish": WORDS,
                      "her2": WORDS, "er": WORDS, "pr": WORDS, "hrd": FLAGS, "loh": FLAGS,
                      "codel_1p19q": FLAGS})
PATIENT = objects({
    "id": st.sampled_from(["P1", " P2 ", "", 17, 2.5, None, "x" * 201, True]),
    "birth_date": DATES, "age": NUMBERS, "sex": WORDS, "diagnosis": DIAGNOSIS,
    "ecog": NUMBERS, "karnofsky": NUMBERS,
    "alterations": st.one_of(st.lists(ALTERATION, max_size=3), st.sampled_from([None, {}])),
    "biomarkers": st.one_of(BIOMARKERS, st.none()),
    "tested_genes": st.one_of(st.lists(TEXT, max_size=3), TEXT),
    "prior_therapies": st.one_of(st.lists(TEXT, max_size=2), st.none()),
    "updated": DATES})


def _deliberately_stricter(data: Any) -> bool:
    """Profiles where the reader rejects on purpose what pydantic accepted."""
    if not isinstance(data, dict):
        return False
    bio = data.get("biomarkers")
    return isinstance(bio, dict) and isinstance(bio.get("her2_ihc"), bool)


def _reference(data: dict) -> tuple[dict | None, list[str]]:
    try:
        model = Reference.model_validate(data)
    except pydantic.ValidationError as exc:
        return None, sorted({pointer(tuple(e["loc"])) for e in exc.errors()})
    return model.model_dump(), []


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


@settings(max_examples=sized(400, 100), deadline=None)
@given(PATIENT)
def test_reader_agrees_with_the_pydantic_model(data: Any) -> None:
    if not isinstance(data, dict) or _deliberately_stricter(data):
        return
    expected, expected_where = _reference(data)
    got, problems = read_patient(data)
    if expected is None:
        assert got is None
        # the same fields are named (the reader names each problem once per field)
        assert sorted({pointer(loc) for loc, _ in problems}) == expected_where
    else:
        assert problems == []
        assert got is not None
        mine = dataclasses.asdict(got)
        assert mine.keys() == expected.keys()
        for key in mine:
            assert _same(mine[key], expected[key]), key


def test_messages_name_the_kind_of_problem_and_never_the_value() -> None:
    data = {"id": "P9", "age": "sixty", "sex": "X-secret", "ecog": 7,
            "alterations": [{"gene": "EGFR", "type": "Mutated-secret"}],
            "biomarkers": {"her2_ihc": "4+", "expression": {"CD20": "strong-secret"}},
            "birth_date": "1950-02-30", "typo": 1}
    model, problems = validate(data, "f.json")
    assert model is None
    assert problems == [
        "f.json/age: wrong type (expected a number)",
        "f.json/sex: unknown sex (expected 'female' or 'male')",
        "f.json/ecog: out of range (must be at most 5)",
        "f.json/alterations/0/type: unknown alteration type (expected 'mutation', "
        "'amplification', 'deletion', 'fusion' or 'wildtype')",
        "f.json/biomarkers/her2_ihc: unknown HER2 IHC score (expected 0, 1, 2 or 3)",
        "f.json/biomarkers/expression/CD20: unknown expression level (expected 'positive', "
        "'negative', 'high' or 'low')",
        "f.json/birth_date: not a valid date (expected YYYY-MM-DD)",
        "f.json/typo: unknown field",
    ]
    assert not any("secret" in p or "sixty" in p for p in problems)


@pytest.mark.parametrize("data, where", [
    ({"id": "P1", "ecog": True}, "/ecog"),
    ({"id": "P1", "age": False}, "/age"),
    ({"id": "P1", "biomarkers": {"her2_ihc": True}}, "/biomarkers/her2_ihc"),
    ({"id": "P1", "birth_date": 0}, "/birth_date"),
    ({"id": "P1", "updated": 1700000000}, "/updated"),
])
def test_stricter_than_pydantic_where_leniency_hid_an_error(data: dict, where: str) -> None:
    model, problems = validate(data)
    assert model is None
    assert [p.split(":")[0] for p in problems] == [where]


def test_lenient_values_a_hand_written_file_relies_on() -> None:
    model, problems = validate({
        "id": 42, "age": " 61.5 ", "ecog": "1", "karnofsky": 80.0, "sex": "F",
        "birth_date": " 1964-03-01 ", "_note": "comment",
        "diagnosis": {"oncotree": " luad "},
        "alterations": [{"gene": " EGFR ", "type": " Mutation ", "exon": "19",
                         "vaf": "0.25", "_why": "comment"}],
        "biomarkers": {"msi": "msi high", "mmr": "deficient", "her2_ihc": "2+", "er": "pos",
                       "hrd": "yes", "codel_1p19q": "co deleted", "tmb": 12,
                       "expression": {" CD20 ": "positive"}},
        "tested_genes": ["EGFR"], "prior_therapies": None})
    assert problems == []
    assert model is not None
    assert (model.id, model.age, model.ecog, model.karnofsky, model.sex) == (
        "42", 61.5, 1, 80, "female")
    assert model.birth_date == date(1964, 3, 1)
    assert model.diagnosis is not None and model.diagnosis.oncotree == "LUAD"
    alt = model.alterations[0]
    assert (alt.gene, alt.type, alt.exon, alt.vaf) == ("EGFR", "mutation", 19, 0.25)
    b = model.biomarkers
    assert (b.msi, b.mmr, b.her2_ihc, b.er, b.hrd, b.codel_1p19q, b.tmb) == (
        "MSI-H", "dMMR", 2, "positive", True, True, 12.0)
    assert b.expression == {"CD20": "positive"}
    assert model.prior_therapies is None
