"""Importing the official OncoTree: the nested JSON of `tumorTypes/tree`, the flat JSON list
of `tumorTypes`, the `tumor_types.txt` TSV export (`level_1 ... level_7`), or a flat TSV with
`code` and `parent` columns.

Rows come out in the shape of our `cancer_types.tsv`, with OncoTree's tissues placed under
our SOLID and HEME nodes (MYELOID and LYMPH are haematologic) and the `tissue` column set to
the tissue-level code. Codes the file lists in a node's `history`, `revocations` or
`precursors` become *successors*: a patient or trial still using the old code is read as the
current one. Problems (duplicate codes, dangling parents, cycles, a parent field that
disagrees with the nesting) are reported with their lines, and nothing is imported.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from trialmatch.errors import OntologyError
from trialmatch.ontology.graph import HEME, ROOT, SOLID
from trialmatch.ontology.load import Row, table_problems

HEME_TISSUES = {"MYELOID", "LYMPH"}
HEME_TISSUE_NAMES = {"myeloid", "lymphoid", "blood", "lymph"}
HISTORY_FIELDS = ("history", "revocations", "precursors")
_CELL = re.compile(r"^(?P<name>.*?)\s*\((?P<code>[^()]+)\)\s*$")


@dataclass
class CancerImport:
    """The cancer-type rows of one OncoTree file, and its revoked codes."""

    source: str
    rows: list[Row]
    successors: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def codes(self) -> set[str]:
        return {str(r["code"]) for r in self.rows}


@dataclass
class _Node:
    code: str
    name: str
    parent: str
    line: int
    main_type: str = ""
    old_codes: tuple[str, ...] = ()
    where: str = ""


def read_oncotree(path: Path) -> CancerImport:
    """Parse and validate an OncoTree file; raises OntologyError with every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise OntologyError(f"{path}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise OntologyError(f"{path}: not a UTF-8 text file") from None
    problems: list[str] = []
    if text.lstrip().startswith(("{", "[")):
        nodes = _from_json(path, text, problems)
    else:
        nodes = _from_tsv(path, text, problems)
    if not nodes and not problems:
        problems.append(f"{path}: no tumour types found")
    return _finish(path, nodes, problems)


# ----------------------------------------------------------------------------- JSON

def _code_lines(text: str) -> dict[str, list[int]]:
    """Line numbers of each `"code": "X"` in the text, in order of appearance."""
    out: dict[str, list[int]] = {}
    line, pos = 1, 0
    for m in re.finditer(r'"code"\s*:\s*"((?:[^"\\]|\\.)*)"', text):
        line += text.count("\n", pos, m.start())
        pos = m.start()
        out.setdefault(json.loads(f'"{m.group(1)}"'), []).append(line)
    return out


def _from_json(path: Path, text: str, problems: list[str]) -> list[_Node]:
    from trialmatch.jsonio import JSONProblem, loads

    try:
        data = loads(text)
    except JSONProblem as exc:
        where = f"{path}:{exc.lineno}" if exc.lineno else str(path)
        raise OntologyError(f"{where}: not valid JSON ({exc.msg})") from None
    lines = _code_lines(text)
    nodes: list[_Node] = []

    def line_of(code: str) -> int:
        seen = lines.get(code)
        return seen.pop(0) if seen else 1

    def node_of(obj: object, where: str, nest_parent: str | None) -> _Node | None:
        if not isinstance(obj, dict) or not isinstance(obj.get("code"), str) \
                or not obj["code"].strip():
            problems.append(f"{path}: {where}: a tumour type needs a \"code\" string")
            return None
        code = obj["code"].strip()
        line = line_of(obj["code"])
        stated = obj.get("parent")
        stated = stated.strip() if isinstance(stated, str) else None
        if nest_parent is not None and stated and stated != nest_parent:
            problems.append(f"{path}:{line}: {code!r} says its parent is {stated!r} but sits "
                            f"under {nest_parent!r}")
        parent = nest_parent if nest_parent is not None else (stated or "")
        old: list[str] = []
        for key in HISTORY_FIELDS:
            value = obj.get(key) or []
            if isinstance(value, str):
                value = [v for v in re.split(r"[,\s]+", value) if v]
            old.extend(str(v).strip() for v in value if str(v).strip())
        return _Node(code, str(obj.get("name") or code).strip(), parent, line,
                     str(obj.get("mainType") or obj.get("main_type") or "").strip(),
                     tuple(old), where)

    def walk(obj: object, where: str, nest_parent: str | None) -> None:
        node = node_of(obj, where, nest_parent)
        if node is None or not isinstance(obj, dict):  # node_of accepts only objects
            return
        nodes.append(node)
        children = obj.get("children") or {}
        items = children.values() if isinstance(children, dict) else children
        if not isinstance(items, (list, type({}.values()))):
            problems.append(f"{path}:{node.line}: children of {node.code!r} must be an object")
            return
        for child in items:
            code = child.get("code", "?") if isinstance(child, dict) else "?"
            walk(child, f"{where}/{code}", node.code)

    if isinstance(data, dict) and "code" in data:
        walk(data, data.get("code", "?"), None)
    elif isinstance(data, dict):
        for key, root in data.items():
            walk(root, str(key), None)
    elif isinstance(data, list):  # the flat list of `tumorTypes`: parents by field
        for i, obj in enumerate(data):
            node = node_of(obj, f"[{i}]", None)
            if node is not None:
                nodes.append(node)
    else:
        raise OntologyError(f"{path}: expected an OncoTree tree (object) or a list of "
                            "tumour types")
    return nodes


# ----------------------------------------------------------------------------- TSV

def _from_tsv(path: Path, text: str, problems: list[str]) -> list[_Node]:
    reader = csv.reader(io.StringIO(text), delimiter="\t")
    rows = [(i, r) for i, r in enumerate(reader, 1) if any(c.strip() for c in r)
            and not r[0].lstrip().startswith("#")]
    if not rows:
        return []
    header = [h.strip().lower() for h in rows[0][1]]
    if "level_1" in header:
        return _from_levels(path, header, rows[1:], problems)
    col = {h: i for i, h in enumerate(header)}
    if "code" not in col or "parent" not in col:
        raise OntologyError(f"{path}:{rows[0][0]}: header must have level_1 ... level_7 "
                            "(OncoTree export) or code and parent columns")

    def cell(r: list[str], *names: str) -> str:
        for n in names:
            if n in col and col[n] < len(r):
                return r[col[n]].strip()
        return ""

    nodes = []
    for line, r in rows[1:]:
        old = tuple(v for n in HISTORY_FIELDS
                    for v in re.split(r"[,|\s]+", cell(r, n)) if v)
        nodes.append(_Node(cell(r, "code"), cell(r, "name") or cell(r, "code"),
                           cell(r, "parent"), line, cell(r, "maintype", "main_type"), old))
    return nodes


def _from_levels(path: Path, header: list[str], rows: list[tuple[int, list[str]]],
                 problems: list[str]) -> list[_Node]:
    levels = [i for i, h in enumerate(header) if re.fullmatch(r"level_\d+", h)]
    col = {h: i for i, h in enumerate(header)}
    nodes: list[_Node] = []
    implied: dict[str, tuple[str, str, int]] = {}  # code -> (name, parent, line)
    for line, r in rows:
        path_cells = [r[i].strip() for i in levels if i < len(r) and r[i].strip()]
        chain: list[tuple[str, str]] = []
        for c in path_cells:
            m = _CELL.match(c)
            if not m:
                problems.append(f"{path}:{line}: cannot read {c!r} (expected 'Name (CODE)')")
                break
            chain.append((m.group("code").strip(), m.group("name").strip()))
        else:
            if not chain:
                continue
            for depth, (code, name) in enumerate(chain[:-1]):
                parent = chain[depth - 1][0] if depth else ROOT
                known = implied.setdefault(code, (name, parent, line))
                if known[1] != parent:
                    problems.append(f"{path}:{line}: {code!r} is under {parent!r} here but "
                                    f"under {known[1]!r} at line {known[2]}")
            code, name = chain[-1]
            parent = chain[-2][0] if len(chain) > 1 else ROOT

            def cell(n: str, r: list[str] = r) -> str:
                return r[col[n]].strip() if n in col and col[n] < len(r) else ""

            old = tuple(v for n in HISTORY_FIELDS for v in re.split(r"[,|\s]+", cell(n)) if v)
            nodes.append(_Node(code, name, parent, line, cell("metamaintype"), old))
    listed = {n.code for n in nodes}
    for code, (name, parent, line) in implied.items():
        if code not in listed:
            nodes.append(_Node(code, name, parent, line))
    if not any(n.code == ROOT for n in nodes):
        nodes.insert(0, _Node(ROOT, "Tissue", "", 0))
    return nodes


# ----------------------------------------------------------------------------- rows

def _finish(path: Path, nodes: list[_Node], problems: list[str]) -> CancerImport:
    source = str(path)
    roots = [n for n in nodes if not n.parent]
    if len(roots) > 1 and not problems:
        problems.append(f"{path}: several roots: "
                        + ", ".join(f"{n.code} (line {n.line})" for n in roots[:5]))
    by_code = {n.code: n for n in nodes}
    rows: list[Row] = []
    for n in nodes:
        parent = n.parent
        if n.code == ROOT or (not parent and n is (roots[0] if roots else None)):
            code, parent = ROOT, ""
        else:
            code = n.code
            if parent == ROOT or (roots and parent == roots[0].code):
                heme = code in HEME_TISSUES or n.name.lower() in HEME_TISSUE_NAMES
                parent = HEME if heme else SOLID
        rows.append(Row(n.line, {"code": code, "name": n.name, "parent": parent,
                                 "main_type": n.main_type, "tissue": "", "synonyms": (),
                                 "imported": True}, source))
    for code, name in ((SOLID, "Solid Tumor"), (HEME, "Hematologic Malignancy")):
        if code not in by_code:
            rows.append(Row(0, {"code": code, "name": name, "parent": ROOT, "main_type": "",
                                "tissue": "", "synonyms": (), "imported": True}, source))
    problems.extend(table_problems({"cancer_types": rows}))
    if problems:
        raise OntologyError(f"{path}: invalid OncoTree file, nothing imported", problems)
    _set_tissues(rows)
    successors, notes = _successors(nodes, rows)
    return CancerImport(source, rows, successors, notes)


def _set_tissues(rows: list[Row]) -> None:
    parent = {str(r["code"]): str(r["parent"]) for r in rows}
    for r in rows:
        code, tissue = str(r["code"]), ""
        while code and parent.get(code) not in (SOLID, HEME, ROOT, "", None):
            code = parent[code]
        if code not in (SOLID, HEME, ROOT):
            tissue = code
        r.values["tissue"] = tissue


def _successors(nodes: list[_Node], rows: list[Row]) -> tuple[dict[str, str], list[str]]:
    """Old code -> current code. A code replaced by several nodes maps to their nearest
    common ancestor (read more coarsely rather than guessed)."""
    current = {str(r["code"]) for r in rows}
    parent = {str(r["code"]): str(r["parent"]) for r in rows}
    wanted: dict[str, set[str]] = {}
    for n in nodes:
        for old in n.old_codes:
            if old != n.code and old not in current:
                wanted.setdefault(old, set()).add(n.code)
    out: dict[str, str] = {}
    notes: list[str] = []
    for old, news in sorted(wanted.items()):
        if len(news) == 1:
            out[old] = next(iter(news))
            continue
        chains = []
        for code in sorted(news):
            chain = [code]
            while parent.get(chain[-1]):
                chain.append(parent[chain[-1]])
            chains.append(chain)
        common = next(c for c in chains[0] if all(c in ch for ch in chains[1:]))
        out[old] = common
        notes.append(f"{old} was replaced by {', '.join(sorted(news))}; read as {common}")
    return out, notes
