"""Every hand-made hostile file of `hostile.CASES_TABLE` through the command that reads it:
no traceback, no exit 4, the documented exit code, the message naming the problem, no
patient value in any message, and the good records of a mixed file kept."""

from __future__ import annotations

import json

import pytest

from tests.fuzz.hostile import CASES_TABLE, Case, dump_report, obey


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    dump_report()


def _args(case: Case, path, db) -> list:
    if case.command == "find":
        return ["find", path, "--db", db, "--format", "json"]
    if case.command == "bulk":
        return ["bulk", path, "--db", db, "--format", "json"]
    if case.command == "load":
        return ["load", path, "--db", db, "--format", "json"]
    if case.command == "parse":
        return ["parse", path, "--format", "jsonl"]
    return ["ontology", "import", "oncotree", path, "--db", db]


@pytest.mark.parametrize("case", CASES_TABLE, ids=[f"{c.group}: {c.name}" for c in CASES_TABLE])
def test_hostile_file(case, cli, fuzz_db, db_copy, tmp_path):
    path = tmp_path / case.filename
    path.write_bytes(case.content)
    db = fuzz_db if case.command == "find" else db_copy
    code, out, err = cli(*_args(case, path, db))
    obey(case.group, code, err, set(case.allowed))
    for word in case.expect:
        assert word in err, err
    if code == 3 and case.command == "bulk":  # nothing lost: the good lines were matched
        assert json.loads(out)["patients"] == 2
    if code == 3 and case.command == "load":
        assert json.loads(out)["trials"] >= 1
    if code == 0 and case.command == "find":
        docs = json.loads(out)
        docs = docs if isinstance(docs, list) else [docs]
        assert len(docs) == max(1, json.loads(case.content.lstrip(b"\xef\xbb\xbf")).__len__()
                                if case.content.lstrip(b"\xef\xbb\xbf").startswith(b"[")
                                else 1)
        assert all(d["matches"] for d in docs), "hostile patients still match their trials"
