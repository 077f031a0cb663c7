"""Hand-made hostile inputs, and the rule every one of them must obey.

The rule: no traceback, no exit 4 for bad input, nothing lost (a bad record costs that
record only), and no patient value in a message. Each case is a file, the command that
reads it, and the exit codes it may give. `tests/fuzz/test_hostile_files.py` runs them;
`benchmarks/fuzz_summary.py` counts them (with the hypothesis properties) for
`docs/reliability.md`.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from trialmatch.cli.app import main

CANARY = "Zq-CANARY-7"  # a value only a patient file holds: never in any message
GOOD = {"id": "P-FUZZ", "age": 60, "sex": "female", "diagnosis": {"oncotree": "LUAD"},
        "alterations": [{"gene": "EGFR", "type": "mutation", "protein": "p.L858R"}],
        "tested_genes": ["EGFR", "KRAS", "ALK"]}
ELIGIBILITY = "Inclusion Criteria:\n\n- Tumour with an EGFR L858R mutation\n"


def study(nct: str, title: str, text: str = ELIGIBILITY) -> dict:
    """A ClinicalTrials.gov API v2 study of our own."""
    return {"protocolSection": {
        "identificationModule": {"nctId": nct, "briefTitle": title},
        "statusModule": {"overallStatus": "RECRUITING"},
        "designModule": {"phases": ["PHASE2"]},
        "eligibilityModule": {"eligibilityCriteria": text}}}


HOSTILE_TRIALS = [
    study("NCT90000001", "Study of [pembrolizumab] after [/b] closing [bold]markup"),
    study("NCT90000002", "=HYPERLINK(\"http://example.invalid\")+1 \x1b[31mred\x1b[0m "
                         "\x1b]0;title\x07 \u202eevil"),
    study("NCT90000003", "@SUM(A1) and -2+3 in a title"),
]


def write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


# ----------------------------------------------------------------------------- the rule

OUTCOMES: Counter = Counter()  # (group, outcome) -> cases, for the summary
CASES: Counter = Counter()  # group -> cases tried


def obey(group: str, code: int, err: str, allowed: set[int], *,
         forbidden: tuple[str, ...] = (CANARY,)) -> None:
    """Assert the rule for one case and count its outcome."""
    CASES[group] += 1
    assert code != 4, f"exit 4 for bad input: {err}"
    assert "Traceback" not in err and "internal error" not in err, err
    for value in forbidden:
        assert value not in err, f"a patient value reached a message: {err}"
    assert code in allowed, f"exit {code}, expected one of {sorted(allowed)}: {err}"
    OUTCOMES[(group, {0: "accepted (exit 0)", 1: "check failed (exit 1)",
                      2: "refused, clear message (exit 2)",
                      3: "bad records rejected, rest kept (exit 3)"}.get(code, str(code)))] += 1


def count(group: str, outcome: str, n: int = 1) -> None:
    """Count cases decided without a CLI exit code (library-level properties)."""
    CASES[group] += n
    OUTCOMES[(group, outcome)] += n


def dump_report() -> None:
    """Write the counts to $TRIALMATCH_FUZZ_REPORT (read by benchmarks/fuzz_summary.py)."""
    target = os.environ.get("TRIALMATCH_FUZZ_REPORT")
    if not target or not CASES:
        return
    rows = [{"group": g, "outcome": o, "cases": n} for (g, o), n in sorted(OUTCOMES.items())]
    Path(target).write_text(json.dumps({"cases": dict(CASES), "outcomes": rows}, indent=1))


# ----------------------------------------------------------------------------- the files

@dataclass(frozen=True)
class Case:
    group: str
    name: str
    command: str  # find, bulk, load, parse, ontology
    filename: str
    content: bytes
    allowed: frozenset[int]
    expect: tuple[str, ...] = field(default=())  # words the messages must contain


def _j(obj: object) -> bytes:
    return json.dumps(obj).encode()


def _nested(depth: int) -> bytes:
    return (b'{"id": "P-DEEP", "x": ' + b"[" * depth + b"1" + b"]" * depth + b"}")


def _lines(*records: bytes) -> bytes:
    return b"\n".join(records) + b"\n"


HOSTILE_IDS = ["P-\x00-NUL", "P-\x1b[2J\x1b]0;x\x07", "P-[/b][red]x", "=cmd|' /C calc'!A0",
               "P-\u202eevil"]
GOOD_LINE = _j(GOOD)
OTHER_LINE = _j({**GOOD, "id": "P-FUZZ-2"})
REFUSED = frozenset({2})
PARTIAL = frozenset({3})
OK = frozenset({0})

CASES_TABLE: list[Case] = [
    # nesting
    *(Case("nesting", f"patient nested {d} deep", "find", "p.json", _nested(d), REFUSED,
           ("nested",)) for d in (70, 100_000)),
    Case("nesting", "deep trial record", "load", "t.json",
         b'{"protocolSection": ' + b"[" * 3_000 + b"]" * 3_000 + b"}", REFUSED, ("nested",)),
    Case("nesting", "deep OncoTree file", "ontology", "o.json",
         b'{"TISSUE": {"code": "TISSUE", "children": ' + b"[" * 2_000 + b"]" * 2_000 + b"}}",
         REFUSED, ("nested",)),
    Case("nesting", "deep trial, parse", "parse", "t.json",
         b"[" * 50_000 + b"]" * 50_000, REFUSED),
    Case("cohort lines", "cohort with a BOM, then a deep, a Latin-1 and a duplicate-key line",
         "bulk", "c.jsonl", b"\xef\xbb\xbf" + _lines(
             GOOD_LINE, _nested(5_000), b'{"id": "P-L", "sex": "f\xe9"}',
             b'{"id": "P-D", "age": 40, "age": 80}', OTHER_LINE), PARTIAL,
         ("c.jsonl:2: malformed JSON (nested", "c.jsonl:3: not UTF-8",
          "c.jsonl:4: malformed JSON (duplicate key at /age)")),
    # sizes
    Case("sizes", "id of 10,000 characters", "find", "p.json", _j({**GOOD, "id": "P" * 10_000}),
         REFUSED, ("/id",)),
    Case("sizes", "20,000 unknown tested genes and 5,000 alterations", "find", "p.json",
         _j({**GOOD, "tested_genes": [f"ZZ{i}X" for i in range(20_000)],
             "alterations": [{"gene": "EGFR", "type": "mutation"}] * 5_000}), OK),
    Case("sizes", "number of 5,000 digits", "find", "p.json",
         b'{"id": "P-N", "age": ' + b"9" * 5_000 + b"}", REFUSED, ("number",)),
    Case("sizes", "empty file", "find", "p.json", b"", REFUSED, ("empty",)),
    Case("sizes", "empty list", "find", "p.json", b"[]", REFUSED, ("empty",)),
    Case("sizes", "blank cohort", "bulk", "c.jsonl", b"\n\n  \n", REFUSED),
    # encodings
    Case("encodings", "Latin-1 byte in a patient file", "find", "p.json",
         b'{"id": "P-L", "diagnosis": {"text": "tumeur \xe9"}}', REFUSED, ("UTF-8",)),
    Case("encodings", "UTF-16 patient file", "find", "p.json",
         json.dumps(GOOD).encode("utf-16"), REFUSED, ("UTF-8",)),
    Case("encodings", "Latin-1 line in a trial NDJSON", "load", "t.ndjson",
         _lines(_j(study("NCT90000011", "a")), b'{"x": "\xff"}',
                _j(study("NCT90000012", "b"))), PARTIAL, ("t.ndjson:2",)),
    Case("encodings", "NUL bytes in a text trial", "load", "NCT90000013.txt",
         b"Inclusion Criteria:\x00\x00 EGFR", REFUSED, ("binary",)),
    # byte-order marks, and ids a terminal or a spreadsheet would act on
    Case("boms", "BOM, then ids with NUL, escape sequences, markup and a formula", "find",
         "p.json", b"\xef\xbb\xbf" + _j([{**GOOD, "id": i} for i in HOSTILE_IDS]), OK),
    Case("boms", "trial file with a BOM and a bidi override in its title", "load", "t.json",
         b"\xef\xbb\xbf" + _j(study("NCT90000014", "safe \u202eexe.txt")), OK),
    # control characters
    Case("control characters", "escape sequences in a file name", "find", "p\x1b[31m.json",
         b"{", REFUSED, ("malformed",)),
    # duplicate keys
    Case("duplicate keys", "two ids", "find", "p.json",
         b'{"id": "P-1", "age": 50, "id": "P-2"}', REFUSED, ("duplicate key at /id",)),
    Case("duplicate keys", "two ages, nested", "find", "p.json",
         b'{"id": "P-1", "diagnosis": {"oncotree": "LUAD", "oncotree": "BRCA"}}', REFUSED,
         ("/diagnosis/oncotree",)),
    Case("duplicate keys", "two nctIds in a trial", "load", "t.ndjson",
         _lines(_j(study("NCT90000016", "a")),
                b'{"protocolSection": {"identificationModule": {"nctId": "NCT90000017", '
                b'"nctId": "NCT90000018"}}}'), PARTIAL, ("duplicate key",)),
    # values that must never be echoed
    Case("patient values", "unknown sex and alteration type", "find", "p.json",
         _j({"id": "P-V", "sex": CANARY, "alterations": [{"gene": "EGFR", "type": CANARY}]}),
         REFUSED, ("/sex", "/alterations/0/type")),
    Case("patient values", "bad date and protein", "find", "p.json",
         _j({"id": "P-V", "birth_date": CANARY, "alterations": [
             {"gene": "EGFR", "type": "mutation", "protein": CANARY}]}), REFUSED,
         ("/birth_date",)),
    Case("patient values", "unknown gene and code", "find", "p.json",
         _j({**GOOD, "diagnosis": {"oncotree": CANARY}, "tested_genes": [CANARY]}), OK),
    # markup and formulas
    Case("markup", "rich markup in a file name", "find", "[red]p[b].json", b"{", REFUSED),
    # trial ids and files load must not take as trials
    Case("trial files", "SQL in an NCT id", "load", "t.json",
         _j(study("NCT0'; DROP TABLE trials; --", "x")), REFUSED, ("NCT id",)),
    Case("trial files", "a YAML file", "load", "trial.yaml",
         b"trial:\n  id: NCT90000019\n  arms: []\n", REFUSED, ("--format text",)),
    Case("trial files", "a CSV file", "load", "trials.csv", b"nct,title\nNCT90000020,x\n",
         REFUSED, ("not a recognised",)),
    Case("trial files", "a list of numbers", "load", "t.json", b"[1, 2, 3]", REFUSED),
    Case("trial files", "truncated XML", "load", "t.xml",
         b"<clinical_study><id_info><nct_id>NCT9", REFUSED, ("broken XML",)),
    Case("trial files", "XML entity bomb", "load", "t.xml",
         b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
         b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">'
         b']><clinical_study><id_info><nct_id>NCT90000021</nct_id></id_info>'
         b"<eligibility><criteria><textblock>&c;</textblock></criteria></eligibility>"
         b"</clinical_study>", frozenset({0, 2})),
]
