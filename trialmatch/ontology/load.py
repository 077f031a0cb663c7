"""Read and validate the ontology source files (TSV, `|` between values, `#` comments).

Every problem names the file and line. A file with a cycle, a dangling parent or a
duplicate key is rejected whole, so the ontology in use never changes half-way.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from trialmatch.errors import OntologyError

FILES = {
    "cancer_types": ("code", "name", "parent", "main_type", "tissue", "synonyms"),
    "genes": ("symbol", "name", "aliases", "previous", "families"),
    "gene_families": ("family", "name", "synonyms"),
    "drug_classes": ("id", "name", "parent", "synonyms"),
    "drugs": ("name", "brands", "classes", "targets", "synonyms"),
    "variant_groups": ("gene", "group", "name", "members", "synonyms"),
}
LIST_COLUMNS = {"synonyms", "aliases", "previous", "families", "brands", "classes", "targets",
                "members"}


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    values: dict[str, object]

    def __getitem__(self, key: str):
        return self.values[key]


def split(cell: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (cell or "").split("|") if v.strip())


def read_table(path: Path, columns: tuple[str, ...]) -> list[Row]:
    """Rows of one TSV file; the header must name exactly `columns`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise OntologyError(f"{path}: cannot read ({exc.strerror})") from None
    lines = [(i, ln) for i, ln in enumerate(text.splitlines(), 1)
             if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        raise OntologyError(f"{path}: empty file")
    header_line, header = lines[0]
    got = tuple(h.strip() for h in header.split("\t"))
    if got != columns:
        raise OntologyError(f"{path}:{header_line}: header must be {' '.join(columns)}")
    rows: list[Row] = []
    for lineno, line in lines[1:]:
        cells = next(csv.reader([line], delimiter="\t", quoting=csv.QUOTE_NONE))
        cells += [""] * (len(columns) - len(cells))
        values: dict[str, object] = {}
        for col, cell in zip(columns, cells):
            values[col] = split(cell) if col in LIST_COLUMNS else cell.strip()
        rows.append(Row(lineno, values))
    return rows


def check_unique(path: Path, rows: list[Row], key: str) -> dict[str, Row]:
    seen: dict[str, Row] = {}
    problems = []
    for row in rows:
        k = str(row[key])
        if not k:
            problems.append(f"{path}:{row.line}: empty {key}")
        elif k in seen:
            problems.append(f"{path}:{row.line}: duplicate {key} {k!r} "
                            f"(first at line {seen[k].line})")
        else:
            seen[k] = row
    if problems:
        raise OntologyError(f"{path}: invalid ontology file", problems)
    return seen


def check_tree(path: Path, by_key: dict[str, Row], parent_col: str = "parent") -> None:
    """Every parent exists and following parents never loops."""
    problems = []
    for key, row in by_key.items():
        parent = str(row[parent_col])
        if parent and parent not in by_key:
            problems.append(f"{path}:{row.line}: {key!r} has unknown parent {parent!r}")
    for key, row in by_key.items():
        seen = {key}
        parent = str(row[parent_col])
        while parent and parent in by_key:
            if parent in seen:
                problems.append(f"{path}:{row.line}: cycle through {key!r} and {parent!r}")
                break
            seen.add(parent)
            parent = str(by_key[parent][parent_col])
    if problems:
        raise OntologyError(f"{path}: invalid ontology file", problems)


def read_sources(folder: Path) -> dict[str, list[Row]]:
    """All ontology tables in `folder`, validated."""
    tables = {name: read_table(folder / f"{name}.tsv", cols) for name, cols in FILES.items()}
    cancers = check_unique(folder / "cancer_types.tsv", tables["cancer_types"], "code")
    check_tree(folder / "cancer_types.tsv", cancers)
    check_unique(folder / "genes.tsv", tables["genes"], "symbol")
    check_unique(folder / "gene_families.tsv", tables["gene_families"], "family")
    classes = check_unique(folder / "drug_classes.tsv", tables["drug_classes"], "id")
    check_tree(folder / "drug_classes.tsv", classes)
    check_unique(folder / "drugs.tsv", tables["drugs"], "name")
    return tables
