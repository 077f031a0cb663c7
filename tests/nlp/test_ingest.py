"""Readers: API v2 JSON / NDJSON / XML / text, and bad input reported, never raised."""

import json

from trialmatch.ingest import parse_age, phase_code, read_records, status_code


def test_fields():
    assert parse_age("18 Years") == 18 and parse_age("6 Months") == 0.5 and parse_age("N/A") is None
    assert phase_code(["PHASE1", "PHASE2"]) == "PHASE1_PHASE2"
    assert phase_code("Phase 1/Phase 2") == "PHASE1_PHASE2"
    assert status_code("Active, not recruiting") == "ACTIVE_NOT_RECRUITING"


def _study(nct, text="Inclusion Criteria:\n- EGFR T790M"):
    return {"protocolSection": {"identificationModule": {"nctId": nct},
                                "eligibilityModule": {"eligibilityCriteria": text,
                                                      "minimumAge": "18 Years", "sex": "FEMALE"}}}


def test_ndjson_with_bad_line(tmp_path):
    f = tmp_path / "t.ndjson"
    f.write_text(json.dumps(_study("NCT00000001")) + "\n{broken\n" + json.dumps(_study("NCT00000002", "")) + "\n")
    records, problems = read_records(f)
    assert [r.nct_id for r in records] == ["NCT00000001"]
    assert records[0].min_age == 18 and records[0].sex == "FEMALE"
    assert any(":2: broken JSON" in p for p in problems)
    assert any("NCT00000002: no eligibility text" in p for p in problems)


def test_page_and_not_a_record(tmp_path):
    f = tmp_path / "page.json"
    f.write_text(json.dumps({"studies": [_study("NCT00000003")]}))
    assert len(read_records(f)[0]) == 1
    g = tmp_path / "x.json"
    g.write_text(json.dumps({"hello": 1}))
    records, problems = read_records(g)
    assert not records and "not a trial record" in problems[0]


def test_broken_xml(tmp_path):
    f = tmp_path / "x.xml"
    f.write_text("<clinical_study><id_info>")
    records, problems = read_records(f)
    assert not records and "broken XML" in problems[0]


def test_shared_samples(shared):
    for name in ("NCT02513394.json", "NCT02513394.xml", "NCT00000378.xml"):
        records, problems = read_records(shared / "ctgov" / name)
        assert len(records) == 1 and not problems
