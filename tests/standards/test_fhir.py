"""FHIR R4 (mCODE) Bundles read as patient.json v1 profiles: the shared bundles, our example,
and the bad inputs of issue 13."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT, shared
from trialmatch.app.convert import convert_patients
from trialmatch.app.find import find
from trialmatch.cli.app import main
from trialmatch.patients.validate import validate

EXAMPLE = ROOT / "examples" / "standards" / "fhir-bundle.json"


def _only(path: Path) -> tuple[dict, list[str]]:
    result = convert_patients(path)
    assert result.problems == []
    (profile,) = result.profiles
    assert validate(profile)[0] is not None
    return profile, result.warnings


def test_shared_bundle_eom_patient():
    profile, warnings = _only(shared("fhir", "eom_patient_1.json"))
    assert profile == {
        "id": "Ancora-13", "birth_date": "1987-01-01", "sex": "female",
        "diagnosis": {"oncotree": "BREAST", "stage": "IV",
                      "text": "Primary malignant neoplasm of breast (disorder)"},
        "biomarkers": {"her2": "negative", "er": "negative", "pr": "negative"},
        "ecog": 3, "prior_therapies": ["abemaciclib", "alpelisib"]}
    # the metastasis and the staging observations are named, not dropped silently
    assert any("/entry/2/resource: secondary (metastatic) cancer condition" in w
               for w in warnings)
    assert sum("/entry/" in w and "observation trialmatch does not read" in w
               for w in warnings) == 4  # disease status and the T, N, M categories


def test_shared_bundle_patient_data():
    profile, warnings = _only(shared("fhir", "patient_data.json"))
    assert profile == {
        "id": "1e208b6b-77f1-4808-a32b-9f9caf1ec334", "birth_date": "1966-08-03",
        "sex": "female",
        "diagnosis": {"oncotree": "BREAST", "text": "Malignant neoplasm of breast (disorder)",
                      "stage": "IIIA"},
        "alterations": [{"gene": "STK11", "type": "mutation", "origin": "somatic"}],
        "karnofsky": 90, "ecog": 3, "prior_therapies": ["paclitaxel"]}
    # its three tumour-marker observations carry two values each: invalid FHIR, named
    for i in (2, 3, 4):
        assert any(w.endswith(f"/entry/{i}/resource: Observation does not validate as FHIR "
                              "(value_error at the resource); left out") for w in warnings)


def test_shared_bundle_without_patient_or_valid_variant():
    profile, warnings = _only(shared("fhir", "patient_data_empty-cgv.json"))
    assert profile == {"id": "patient_data_empty-cgv"}
    assert any("/entry/0: entry without a resource" in w for w in warnings)
    assert any("/entry/1/resource: Observation does not validate" in w for w in warnings)


def test_our_example_bundle():
    profile, warnings = _only(EXAMPLE)
    assert profile == {
        "id": "TM-FHIR-0001", "birth_date": "1958-03-14", "sex": "female",
        "diagnosis": {"oncotree": "NSCLC", "text": "Non-small cell lung cancer (disorder)",
                      "stage": "IV"},
        "alterations": [
            {"gene": "EGFR", "type": "mutation", "protein": "p.Leu858Arg",
             "cdna": "c.2573T>G", "transcript": "NM_005228.5", "origin": "somatic"},
            {"gene": "MET", "type": "amplification"}],
        "biomarkers": {"tmb": 7.5, "pdl1_tps": 60.0, "msi": "MSS"},
        "ecog": 1, "prior_therapies": ["carboplatin", "pemetrexed", "osimertinib"]}
    assert [w.split(": ", 1)[1] for w in warnings] == [
        "/entry/2/resource/component/4: allelic state: patient.json has no field for it; "
        "left out",
        "/entry/12/resource: procedure (surgery or radiotherapy): patient.json prior therapies "
        "are drugs; left out"]


def test_warnings_name_paths_never_values(tmp_path):
    data = json.loads(EXAMPLE.read_text())
    data["entry"][0]["resource"]["gender"] = "other"
    data["entry"][0]["resource"]["birthDate"] = "1958"
    path = tmp_path / "b.json"
    path.write_text(json.dumps(data))
    result = convert_patients(path)
    text = "\n".join(result.warnings)
    assert "/entry/0/resource/gender: neither female nor male" in text
    assert "/entry/0/resource/birthDate: partial date" in text
    assert "1958" not in text and not re.search(r"\bother\b", text)


def test_a_condition_without_a_code_is_refused_with_file_and_path(tmp_path, capsys):
    data = json.loads(EXAMPLE.read_text())
    del data["entry"][1]["resource"]["code"]
    path = tmp_path / "nocode.json"
    path.write_text(json.dumps(data))
    assert main(["convert", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # nothing half-written
    assert f"{path}: /entry/1/resource/code: a Condition without a code" in captured.err
    assert main(["find", str(path), "--db", str(tmp_path / "db.duckdb")]) == 2


def test_find_and_bulk_read_bundles(tmp_path):
    report = find(EXAMPLE, db=tmp_path / "db.duckdb")
    assert report.results[0]["patient_id"] == "TM-FHIR-0001"
    assert report.results[0]["matches"]
    from trialmatch.bulk.sources import open_cohort

    folder = tmp_path / "cohort"
    folder.mkdir()
    (folder / "a.json").write_text(EXAMPLE.read_text())
    records = list(open_cohort(folder).records())
    assert [r.data["id"] for r in records] == ["TM-FHIR-0001"]
    assert records[0].warnings


def test_one_bundle_with_two_patients(tmp_path):
    data = json.loads(EXAMPLE.read_text())
    second = copy.deepcopy(data["entry"][0])
    second["fullUrl"] = "urn:uuid:second"
    second["resource"]["id"] = "TM-FHIR-0002"
    second["resource"]["gender"] = "male"
    data["entry"].append(second)
    for e in data["entry"][1:-1]:
        e["resource"]["subject"] = {"reference": "Patient/TM-FHIR-0001"}
    path = tmp_path / "two.json"
    path.write_text(json.dumps(data))
    result = convert_patients(path)
    assert [p["id"] for p in result.profiles] == ["TM-FHIR-0001", "TM-FHIR-0002"]
    assert result.profiles[0]["diagnosis"]["oncotree"] == "NSCLC"
    assert result.profiles[1] == {"id": "TM-FHIR-0002", "birth_date": "1958-03-14",
                                  "sex": "male"}


@pytest.mark.parametrize("code, expected", [("C34.1", "LUNG"), ("C50.9", "BREAST")])
def test_icdo3_site_and_morphology(tmp_path, code, expected):
    data = json.loads(EXAMPLE.read_text())
    cond = data["entry"][1]["resource"]
    cond["code"] = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/icd-o-3",
                                "code": code}]}
    cond["extension"] = []
    path = tmp_path / "icdo.json"
    path.write_text(json.dumps(data))
    assert convert_patients(path).profiles[0]["diagnosis"]["oncotree"] == expected
    cond["extension"] = [{"url": "http://hl7.org/fhir/us/mcode/StructureDefinition/"
                                 "mcode-histology-morphology-behavior",
                          "valueCodeableConcept": {"coding": [{"code": "8140/3"}]}}]
    path.write_text(json.dumps(data))
    got = convert_patients(path).profiles[0]["diagnosis"]["oncotree"]
    assert got == {"LUNG": "LUAD", "BREAST": "BREAST"}[expected]
