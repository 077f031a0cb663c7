"""GA4GH Phenopackets v2 read as patient.json v1 profiles (our own examples)."""

from __future__ import annotations

import json

from tests.conftest import ROOT
from trialmatch.app.convert import convert_patients
from trialmatch.cli.app import main
from trialmatch.patients.validate import validate

EXAMPLE = ROOT / "examples" / "standards" / "phenopacket.json"
PROFILE = {
    "id": "TM-PXF-0001", "sex": "male", "age": 64,
    "diagnosis": {"oncotree": "LUAD", "text": "Lung Adenocarcinoma", "stage": "IV"},
    "alterations": [
        {"gene": "KRAS", "type": "mutation", "protein": "p.Gly12Cys", "cdna": "c.34G>T",
         "transcript": "NM_004985.5"},
        {"gene": "STK11", "type": "mutation", "protein": "p.Gln37Ter"},
        {"gene": "CDKN2A", "type": "deletion"}],
    "biomarkers": {"tmb": 14.2, "pdl1_tps": 5.0}, "ecog": 0,
    "prior_therapies": ["carboplatin", "pembrolizumab"]}


def test_our_example_phenopacket():
    result = convert_patients(EXAMPLE)
    assert result.problems == []
    assert result.profiles == [PROFILE]
    assert validate(PROFILE)[0] is not None
    assert [w.split(": ", 1)[1].split(":")[0] for w in result.warnings] == [
        "/interpretations/0/diagnosis/genomicInterpretations/0/variantInterpretation/"
        "variationDescriptor/allelicState", "/medicalActions/2", "/phenotypicFeatures"]


def test_a_cohort_is_one_patient_per_member(tmp_path):
    packet = json.loads(EXAMPLE.read_text())
    other = dict(packet, id="TM-PXF-0002", subject={"id": "TM-PXF-0002", "sex": "FEMALE"})
    cohort = {"id": "c1", "members": [packet, other], "metaData": packet["metaData"]}
    path = tmp_path / "cohort.json"
    path.write_text(json.dumps(cohort))
    result = convert_patients(path)
    assert [p["id"] for p in result.profiles] == ["TM-PXF-0001", "TM-PXF-0002"]
    assert all("patient 1" in w or "patient 2" in w for w in result.warnings)


def test_an_unparseable_hgvs_expression_is_refused_with_file_and_path(tmp_path, capsys):
    packet = json.loads(EXAMPLE.read_text())
    vd = packet["interpretations"][0]["diagnosis"]["genomicInterpretations"][0][
        "variantInterpretation"]["variationDescriptor"]
    vd["expressions"][0]["value"] = "NP_004976.2:p.Gly12!!"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(packet))
    assert main(["convert", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert (f"{path}: /interpretations/0/diagnosis/genomicInterpretations/0/"
            "variantInterpretation/variationDescriptor/expressions/0/value: unparseable HGVS "
            "protein expression") in captured.err
    assert "Gly12!!" not in captured.err
    assert main(["find", str(path), "--db", str(tmp_path / "db.duckdb")]) == 2


def test_an_unknown_field_is_refused(tmp_path, capsys):
    packet = json.loads(EXAMPLE.read_text())
    packet["subject"]["favouriteColour"] = "blue"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(packet))
    assert main(["convert", str(path)]) == 2
    err = capsys.readouterr().err
    assert "not a valid GA4GH Phenopacket v2: unknown field 'favouriteColour'" in err
    assert "blue" not in err


def test_a_patient_json_converts_to_itself(tmp_path, capsys):
    path = ROOT / "examples" / "patients" / "P-0001.json"
    assert main(["convert", str(path), "--to", "patient-json"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(path.read_text())
    assert main(["convert", str(path), "--to", "fhir"]) == 2
