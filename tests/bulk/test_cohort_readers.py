"""Cohort readers: JSONL, a folder of patient files, and cBioPortal study folders."""

from __future__ import annotations

import json

import pytest
from conftest import shared_cohort

from trialmatch.bulk.sources import open_cohort
from trialmatch.errors import InputError


def _records(path):
    return list(open_cohort(path).records())


def test_jsonl_streams_records_with_line_numbers(tmp_path):
    f = tmp_path / "c.jsonl"
    f.write_text('{"id": "A"}\n\n{"id": "B"\n{"id": "C"}\n')
    recs = _records(f)
    assert [r.where.rsplit(":", 1)[1] for r in recs] == ["1", "3", "4"]
    assert recs[1].error and "malformed JSON" in recs[1].error
    assert [r.data["id"] for r in recs if not r.error] == ["A", "C"]
    assert open_cohort(f).estimate() == 3


def test_folder_reads_json_lists_and_jsonl_and_reports_bad_files(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps({"id": "A"}))
    (tmp_path / "b.json").write_text(json.dumps([{"id": "B1"}, {"id": "B2"}]))
    (tmp_path / "c.jsonl").write_text('{"id": "C"}\n')
    (tmp_path / "d.json").write_text("{not json")
    (tmp_path / "notes.txt").write_text("ignored")
    cohort = open_cohort(tmp_path)
    assert cohort.kind == "folder"
    recs = list(cohort.records())
    assert [r.data["id"] for r in recs if not r.error] == ["A", "B1", "B2", "C"]
    bad = [r for r in recs if r.error]
    assert len(bad) == 1 and bad[0].where.endswith("d.json") and "malformed JSON" in bad[0].error


def test_unusable_inputs_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        open_cohort(tmp_path / "missing.jsonl")
    with pytest.raises(InputError, match="no patient files"):
        open_cohort(tmp_path)
    (tmp_path / "x.xml").write_text("<x/>")
    with pytest.raises(InputError, match="expected a JSONL file"):
        open_cohort(tmp_path / "x.xml")


STUDY = {
    "data_clinical_sample.txt": (
        "#Sample Identifier\tPatient Identifier\tOncotree Code\tSample Type\tGene Panel\t"
        "TMB\tMSI Type\n#STRING\tSTRING\tSTRING\tSTRING\tSTRING\tNUMBER\tSTRING\n#1\t1\t1\t1\t1\t1\t1\n"
        "SAMPLE_ID\tPATIENT_ID\tONCOTREE_CODE\tSAMPLE_TYPE\tGENE_PANEL\tTMB_NONSYNONYMOUS\tMSI_TYPE\n"
        "S1\tP1\tLUAD\tPrimary\tPANEL_A\t12.5\tStable\n"
        "S2\tP2\tCOAD\tMetastasis\tPANEL_A\tNA\tInstable\n"
        "S1_N\tP1\tNormal\tNormal\tPANEL_A\tNA\tNA\n"),
    "data_clinical_patient.txt": (
        "#Patient Identifier\tSex\tAge\n#STRING\tSTRING\tNUMBER\n#1\t1\t1\n"
        "PATIENT_ID\tSEX\tAGE\nP1\tFemale\t61\nP2\tMale\tUNKNOWN\n"),
    "data_mutations_extended.txt": (
        "#version 2.4\nHugo_Symbol\tTumor_Sample_Barcode\tVariant_Classification\tHGVSp_Short\t"
        "Exon_Number\tMutation_Status\n"
        "EGFR\tS1\tIn_Frame_Del\tp.E746_A750del\t19/28\tSOMATIC\n"
        "KRAS\tS1\tSilent\tp.G12=\t2/6\tSOMATIC\n"
        "TP53\tS2\tSplice_Site\tp.X125_splice\t\tSOMATIC\n"
        "BRAF\tS2\tMissense_Mutation\tp.V600E\t15/18\tGERMLINE\n"),
    "data_CNA.txt": (
        "Hugo_Symbol\tEntrez_Gene_Id\tS1\tS2\nERBB2\t2064\t2\t0\nCDKN2A\t1029\t-2\tNA\n"
        "EGFR\t1956\t1\t0\n"),
    "data_sv.txt": (
        "Sample_Id\tSite1_Hugo_Symbol\tSite2_Hugo_Symbol\tClass\n"
        "S2\tEML4\tALK\tFUSION\nS2\tRB1\t\tDELETION\n"),
    "data_gene_panel_a.txt": "stable_id: PANEL_A\ndescription: test\ngene_list: EGFR\tKRAS\tTP53\tBRAF\tALK\tERBB2\n",
    "meta_study.txt": "type_of_cancer: mixed\ncancer_study_identifier: test_study\n",
}


@pytest.fixture
def study(tmp_path):
    for name, text in STUDY.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def test_cbioportal_study_becomes_one_profile_per_tumour_sample(study):
    cohort = open_cohort(study)
    assert cohort.kind == "cbioportal"
    recs = {r.data["id"]: r for r in cohort.records()}
    assert set(recs) == {"S1", "S2"}, "the normal sample is skipped"
    s1, s2 = recs["S1"].data, recs["S2"].data
    assert recs["S1"].where.endswith("sample S1")
    assert s1["sex"] == "female" and s1["age"] == 61 and s1["diagnosis"]["oncotree"] == "LUAD"
    assert s1["biomarkers"] == {"tmb": 12.5, "msi": "MSS"}
    assert {"gene": "EGFR", "type": "mutation", "protein": "E746_A750del", "exon": 19,
            "origin": "somatic"} in s1["alterations"]
    assert not any(a["gene"] == "KRAS" for a in s1["alterations"]), "silent variants dropped"
    assert {"gene": "ERBB2", "type": "amplification"} in s1["alterations"]
    assert {"gene": "CDKN2A", "type": "deletion"} in s1["alterations"]
    assert not any(a["gene"] == "EGFR" and a["type"] != "mutation" for a in s1["alterations"])
    assert s1["tested_genes"] == ["ALK", "BRAF", "EGFR", "ERBB2", "KRAS", "TP53"]
    assert "age" not in s2 and s2["biomarkers"] == {"msi": "MSI-H"}
    assert {"gene": "EML4", "type": "fusion", "partner": "ALK"} in s2["alterations"]
    assert {"gene": "RB1", "type": "mutation"} in s2["alterations"], "intragenic SV"
    assert {"gene": "TP53", "type": "mutation", "origin": "somatic"} in s2["alterations"]
    assert {"gene": "BRAF", "type": "mutation", "protein": "V600E", "exon": 15,
            "origin": "germline"} in s2["alterations"]


def test_cna_matrix_gives_the_panel_when_no_panel_file(study):
    (study / "data_gene_panel_a.txt").unlink()
    recs = {r.data["id"]: r.data for r in open_cohort(study).records()}
    assert recs["S1"]["tested_genes"] == ["CDKN2A", "EGFR", "ERBB2"]
    assert recs["S2"]["tested_genes"] == ["EGFR", "ERBB2"], "NA means not profiled"


def test_real_biliary_study_reads(study):
    path = shared_cohort("msk_summit_biliary_her2")
    recs = list(open_cohort(path).records())
    ids = [r.data["id"] for r in recs]
    assert len(ids) == len(set(ids)) == 34 and not any(i.endswith("_N") for i in ids)
    p2 = next(r.data for r in recs if r.data["id"] == "P2_A")
    assert p2["sex"] == "male" and p2["diagnosis"]["oncotree"] == "GBC"
    assert {"gene": "ERBB2", "type": "mutation", "protein": "L755S"} in p2["alterations"]
    kinds = {a["type"] for r in recs for a in r.data["alterations"]}
    assert kinds == {"mutation", "amplification", "deletion"}


def test_real_prostate_api_tables_read(study):
    path = shared_cohort("prad_mskcc_2017_subset_gnomeR")
    recs = list(open_cohort(path).records())
    assert len(recs) >= 200
    alts = [a for r in recs for a in r.data["alterations"]]
    assert {"gene": "ERG", "type": "fusion", "partner": "TMPRSS2"} in alts
    assert any(a["type"] == "deletion" for a in alts)
    assert any(a["type"] == "amplification" and a["gene"] == "AR" for a in alts)
    assert any(a.get("protein") == "E17K" and a["gene"] == "AKT1" for a in alts)


@pytest.mark.parametrize("name", ["msk_summit_biliary_her2", "prad_mskcc_2017_subset_gnomeR"])
def test_no_real_sample_is_rejected_for_a_notation(name):
    from trialmatch.bulk.stream import PatientStream
    from trialmatch.ontology import default_ontology

    path = shared_cohort(name)
    recs = list(open_cohort(path).records())
    splice = [a for r in recs for a in r.data["alterations"]
              if a["type"] == "mutation" and "protein" not in a]
    assert splice, "the real studies hold splice-site changes (p.X..._splice)"
    stream = PatientStream(recs, default_ontology())
    accepted = [p for b in stream.batches(100) for p in b]
    assert stream.messages.rejected == 0 and len(accepted) == len(recs)
    assert not [w for w in stream.messages.warnings if "/protein" in w]


@pytest.mark.parametrize("name,text,message", [
    ("data_mutations_extended.txt",
     "Hugo_Symbol\tVariant_Classification\tHGVSp_Short\nEGFR\tMissense_Mutation\tp.L858R\n",
     "a mutation (MAF) file without a sample column (Tumor_Sample_Barcode) in its header "
     "(line 1)"),
    ("data_CNA.txt",
     "Hugo_Symbol\tEntrez_Gene_Id\tS1\tS2\nERBB2\t2064\t2\t0\nCDKN2A\t1029\tdeep\tNA\n",
     ":3: a CNA matrix cell that is not a number (column 3; expected -2, -1, 0, 1, 2 or NA)"),
    ("data_CNA.txt", "Hugo_Symbol\tS1\tS2\tS1\nERBB2\t2\t0\t0\n",
     ":1: a column name appears twice in the header (a sample id twice?)"),
    ("data_sv.txt", "Site1_Hugo_Symbol\tSite2_Hugo_Symbol\tClass\nEML4\tALK\tFUSION\n",
     ":1: the header has no sample column (such as Tumor_Sample_Barcode)"),
])
def test_bad_study_files_are_input_errors_naming_file_and_line(study, name, text, message):
    (study / name).write_text(text)
    with pytest.raises(InputError) as exc:
        list(open_cohort(study).records())
    assert str(exc.value).startswith(str(study / name))
    assert message in str(exc.value)
    assert "deep" not in str(exc.value)


def test_a_sample_id_twice_in_the_clinical_file_is_an_input_error(study):
    path = study / "data_clinical_sample.txt"
    path.write_text(path.read_text() + "S2\tP2\tCOAD\tPrimary\tPANEL_A\t3\tStable\n")
    with pytest.raises(InputError, match=r"data_clinical_sample.txt: the same sample id on "
                                         r"lines 6 and 8"):
        list(open_cohort(study).records())


def test_bad_study_exits_2_and_keeps_the_previous_results(study, db, tmp_path, capsys):
    from trialmatch.cli.app import main
    from trialmatch.store.db import Store

    def results():
        with Store(db) as s:
            return s.con.execute("SELECT * FROM results ORDER BY ALL").fetchall()

    assert main(["bulk", str(study), "--db", str(db), "--format", "json"]) == 0
    before = results()
    assert before
    (study / "data_CNA.txt").write_text("Hugo_Symbol\tS1\tS2\nERBB2\t2\tlots\n")
    capsys.readouterr()
    assert main(["bulk", str(study), "--db", str(db), "--format", "json"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "not a number" in err and "Traceback" not in err
    assert results() == before


def test_a_large_maf_is_read_column_by_column(tmp_path):
    """Only the columns used are parsed: a wide MAF of many rows reads quickly and whole."""
    filler = [f"Extra_{i}" for i in range(60)]
    header = ["Hugo_Symbol", "Tumor_Sample_Barcode", "Variant_Classification", "HGVSp_Short",
              *filler]
    rows = ["\t".join(["KRAS" if i % 3 else "EGFR", f"S{i % 500}", "Missense_Mutation",
                       "p.G12C" if i % 3 else "p.X755_splice", *("x" * 8 for _ in filler)])
            for i in range(5_000)]
    (tmp_path / "data_mutations.txt").write_text("\t".join(header) + "\n" + "\n".join(rows))
    (tmp_path / "data_clinical_sample.txt").write_text(
        "SAMPLE_ID\tONCOTREE_CODE\n" + "".join(f"S{i}\tLUAD\n" for i in range(500)))
    recs = list(open_cohort(tmp_path).records())
    assert len(recs) == 500
    alts = {(a["gene"], a.get("protein")) for r in recs for a in r.data["alterations"]}
    assert alts == {("KRAS", "G12C"), ("EGFR", None)}


def test_a_cna_matrix_read_in_passes_gives_the_same_profiles(study, monkeypatch):
    from trialmatch.bulk import cbioportal

    whole = [r.data for r in open_cohort(study).records()]
    monkeypatch.setattr(cbioportal, "MATRIX_CHUNK", 1)
    assert [r.data for r in open_cohort(study).records()] == whole
