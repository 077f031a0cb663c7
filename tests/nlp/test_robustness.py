"""No exception on any text; no catastrophic backtracking; the shared corpus parses."""

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trialmatch.nlp import biomarkers, parse_eligibility, parse_output, unparsed


@settings(max_examples=60, deadline=None)
@given(st.text())
def test_arbitrary_unicode(ont, text):
    trial = parse_eligibility(text, ontology=ont)
    biomarkers(trial)
    unparsed(trial)


def test_adversarial_megabyte(ont):
    chunk = ("EGFR " * 50 + "- " * 50 + "(" * 30 + "exon 19 " * 20 + "≥≥≥ 1 " * 20
             + "a" * 300 + " ,,,, or or and/or " * 20 + "\n")
    text = (chunk * (1_000_000 // len(chunk) + 1))[:1_000_000]
    t = time.perf_counter()
    parse_eligibility(text, ontology=ont)
    assert time.perf_counter() - t < 60  # a hang check with a generous bound


@pytest.mark.slow
def test_corpus_parses(shared, ont):
    from trialmatch.ingest import read_records
    from trialmatch.nlp import parse_record

    records, _ = read_records(shared / "ctgov" / "trials_2000_2020.ndjson")
    for r in records:
        parse_output(parse_record(r, ont))
