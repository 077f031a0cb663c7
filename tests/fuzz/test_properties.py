"""Generated hostile input (hypothesis) against the readers and the output layer, and
bit-flipped or truncated database files against `find`.

Properties: the JSON reader raises nothing but `JSONProblem`; patient and trial readers
never raise on content, and name problems without echoing a patient value; text shown on a
terminal carries no control character and no live markup; no CSV cell starts a formula; a
damaged database is refused as such (exit 2) or, when the damage misses every block `find`
reads, gives exactly the undamaged answer.
"""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.fuzz.hostile import CANARY, GOOD, count, dump_report, obey, write
from trialmatch.cli.output import CONTROL, clean, neutral, safe
from trialmatch.jsonio import JSONProblem, loads
from trialmatch.patients import normalize_records
from trialmatch.patients.read import RawRecord

FAST = settings(max_examples=100, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    dump_report()


nasty_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=40) | st.sampled_from(
    ["[/b]", "[bold]x", "\x1b[2J", "\u202e", "=1+1", "+A1", "-2", "@SUM(1)", "\t=x", "\r",
     "\x00", "\ufeff", "NCT0'; DROP TABLE trials; --", CANARY, "", " ", "9" * 30])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | nasty_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(nasty_text, inner,
                                                                 max_size=4),
    max_leaves=20)


@FAST
@given(st.text(max_size=200) | st.binary(max_size=200).map(
    lambda b: b.decode("utf-8", "replace")))
def test_json_reader_raises_only_json_problems(text):
    try:
        loads(text)
        count("JSON text (generated)", "read")
    except JSONProblem:
        count("JSON text (generated)", "refused as malformed")


@FAST
@given(json_values)
def test_json_reader_round_trips_what_json_writes(value):
    assert loads(json.dumps(value)) == value
    count("JSON values (generated)", "round trip equal")


PATIENT_FIELDS = ["birth_date", "age", "sex", "diagnosis", "ecog", "karnofsky", "alterations",
                  "biomarkers", "tested_genes", "prior_therapies", "updated", "_comment"]
alteration = st.fixed_dictionaries({}, optional={
    "gene": nasty_text, "type": nasty_text | st.sampled_from(["mutation", "fusion"]),
    "protein": nasty_text, "exon": json_values, "origin": nasty_text, "partner": nasty_text})
patient_values = st.fixed_dictionaries({"id": st.just("P-H")}, optional={
    **{f: json_values for f in PATIENT_FIELDS},
    "alterations": st.lists(alteration, max_size=3),
    "diagnosis": st.fixed_dictionaries({}, optional={"oncotree": nasty_text,
                                                     "text": nasty_text}),
    "biomarkers": st.dictionaries(st.sampled_from(["tmb", "msi", "er", "her2_ihc", "x"]),
                                  json_values, max_size=3)})


def _canaried(value):
    """Every string value of a patient but its id replaced by the canary."""
    if isinstance(value, str):
        return CANARY
    if isinstance(value, list):
        return [_canaried(v) for v in value]
    if isinstance(value, dict):
        return {k: (v if k == "id" else _canaried(v)) for k, v in value.items()}
    return value


@FAST
@given(patient_values, st.booleans())
def test_patient_readers_never_raise_nor_echo(mini_ontology, data, canaried):
    if canaried:
        data = _canaried(data)
    out = normalize_records([RawRecord(data, "p.json", "")], mini_ontology)
    messages = out.problems + out.warnings
    assert all(m.startswith("p.json: /") for m in messages), messages
    if canaried:
        assert not any(CANARY in m for m in messages), messages
    count("patient profiles (generated)",
          "accepted" if out.patients else "rejected, named by JSON pointer")


@FAST
@given(st.sampled_from(["t.json", "t.ndjson", "t.xml", "t.txt", "t.yaml", "t"]),
       st.text(max_size=300) | json_values.map(json.dumps) | st.builds(
           lambda v: json.dumps({"protocolSection": v}), json_values))
def test_trial_readers_never_raise(name, text):
    from trialmatch.ingest import read_text_records

    records, problems = read_text_records(text, name)
    assert all(p.startswith(name) for p in problems)
    count("trial files (generated)", "read" if records else "refused, named by file")


@FAST
@given(nasty_text | st.text(max_size=60) | st.text("\\[]/a:#@ ", max_size=12))
@example("\\[")  # a backslash before a "[" that opens no tag
@example("a\\\\")  # an even run of backslashes at the end
@example(":a: [b]")  # an emoji code (consoles run with emoji off) and a tag-like run
def test_terminal_text_is_inert(text):
    from rich.text import Text

    shown = safe(text) + "[dim]|[/dim]"  # as in a table cell, followed by markup of ours
    plain = Text.from_markup(shown, emoji=False).plain
    assert plain == clean(text) + "|"  # shown, not obeyed
    assert not CONTROL.search(clean(text))
    count("terminal text (generated)", "escaped")


@FAST
@given(nasty_text | st.text(max_size=30))
def test_csv_cells_never_start_a_formula(text):
    assert not neutral(text).startswith(("=", "+", "-", "@", "\t", "\r"))
    count("CSV cells (generated)", "neutralised or left as they were")


# ----------------------------------------------------------------------------- databases

def _damages(size: int) -> list[tuple[str, int]]:
    rng = random.Random(12)
    flips = sorted(rng.randrange(0, size) for _ in range(4))
    return [("flip", o) for o in flips] + [("truncate", n) for n in (0, size // 2)]


@pytest.fixture(scope="module")
def baseline(fuzz_db, tmp_path_factory):
    patient = write(tmp_path_factory.mktemp("base") / "p.jsonl", [GOOD])
    return patient, fuzz_db.stat().st_size


@pytest.mark.parametrize("n", range(6))
def test_damaged_database(n, baseline, fuzz_db, tmp_path, cli):
    patient, size = baseline
    kind, where = _damages(size)[n]
    data = bytearray(fuzz_db.read_bytes())
    if kind == "flip":
        data[where] ^= 1 << random.Random(where).randrange(8)
    else:
        data = data[:where]
    db = tmp_path / "damaged.duckdb"
    db.write_bytes(bytes(data))
    code, out, err = cli("find", patient, "--db", db, "--format", "json")
    obey("damaged database files", code, err, {0, 2})
    if code == 2:
        assert any(w in err for w in ("corrupt", "not a trialmatch database", "empty file")), err
    else:
        _, expected, _ = cli("find", patient, "--db", fuzz_db, "--format", "json")
        assert json.loads(out) == json.loads(expected)

