"""The brief summary counts (issue 10): a biomarker population stated only there becomes an
extra cohort, read with provenance `summary`; background sentences add nothing."""

from trialmatch.ingest.record import Record
from trialmatch.nlp import parse_output, parse_record
from trialmatch.nlp.summary import population_span, sentences
from trialmatch.ontology import default_ontology
from trialmatch.rules import to_text

ELIGIBILITY = ("Inclusion Criteria:\n- Advanced solid tumour after standard therapy\n"
               "- ECOG 0-1\nExclusion Criteria:\n- Pregnancy")


def _record(summary: str) -> Record:
    return Record("NCT00000001", ELIGIBILITY, title="A study of drug Q", summary=summary)


def test_a_population_sentence_adds_a_summary_cohort():
    summary = ("Drug Q blocks a growth signal. Adults with a solid tumour that carries an "
               "FGFR2 fusion or an FGFR3 mutation can join one of the targeted arms.")
    trial = parse_record(_record(summary), default_ontology())
    assert [c.id for c in trial.cohorts] == ["main", "main+summary"]
    base, extra = trial.cohorts
    assert to_text(extra.rule).startswith(to_text(base.rule)[:-1])  # the base, narrowed
    assert "fusion(FGFR2)" in to_text(extra.rule)
    assert "alteration(FGFR3, mutation)" in to_text(extra.rule)
    from_summary = [b for b in parse_output(trial)["biomarkers"] if b["section"] == "summary"]
    assert {b["gene"] for b in from_summary} == {"FGFR2", "FGFR3"}
    for b in from_summary:  # offsets into the summary, quoting its words
        assert summary[b["start"]:b["end"]] == b["text"]


def test_background_sentences_add_no_cohort():
    summary = ("The antibody binds PD-L1 and blocks its receptor. Earlier studies found BRAF "
               "V600E in many melanomas. This trial tests drug Q in patients with solid "
               "tumours.")
    trial = parse_record(_record(summary), default_ontology())
    assert [c.id for c in trial.cohorts] == ["main"]


def test_a_population_defined_by_absence_adds_no_cohort():
    summary = "Patients without a KRAS mutation receive drug Q."
    assert [c.id for c in parse_record(_record(summary), default_ontology()).cohorts] == ["main"]


def test_a_gene_the_criteria_name_already_adds_no_cohort():
    record = Record("NCT00000002", "Inclusion Criteria:\n- EGFR exon 19 deletion",
                    summary="Patients with an EGFR mutation receive drug Q.")
    assert [c.id for c in parse_record(record, default_ontology()).cohorts] == ["main"]


def test_sentences_and_population_span():
    text = "Drug Q (v1.2) is new. Participants harbouring ALK fusions enter arm B! Done"
    assert [s for _, s in sentences(text)] == ["Drug Q (v1.2) is new.",
                                              "Participants harbouring ALK fusions enter arm B!",
                                              "Done"]
    assert population_span("Drug Q binds ALK.") is None
    assert population_span("Participants harbouring ALK fusions") == len("Participants ")
