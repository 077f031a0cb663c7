"""Read and validate the ontology source files (TSV, `|` between values, `#` comments).

Every problem names the file and line. A file with a cycle, a dangling parent or a
duplicate key is rejected whole, so the ontology in use never changes half-way. The same
checks run on the tables an importer produces (`check_tables`), and again on the merged
tables of the embedded ontology and the imports stored in a database.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container
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
# Optional files: read when present.
OPTIONAL_FILES = {
    # a revoked or renamed OncoTree code and the current code that replaces it
    "cancer_successors": ("code", "successor", "note"),
    # a tumour type that is also a kind of another type outside its OncoTree parent chain
    "cancer_also": ("code", "also", "note"),
    # a code that leaves its subtype unstated, and the groups whose subtypes it leaves open
    "cancer_unspecified": ("code", "within", "note"),
    # a subtype a record names whenever the patient has it (a broader code is not it)
    "cancer_stated": ("code", "note"),
    # the protein positions each exon of a gene encodes ("688-728")
    "gene_exons": ("gene", "exon", "codons", "note"),
    # an alteration every tumour of a type carries by definition (CML: BCR-ABL1 fusion)
    "cancer_defining": ("code", "gene", "type", "partner", "note"),
    # a drug class that is also a kind of another class outside its parent chain
    "drug_class_also": ("id", "also", "note"),
}
LIST_COLUMNS = {"synonyms", "aliases", "previous", "families", "brands", "classes", "targets",
                "members", "within"}


@dataclass(frozen=True, slots=True)
class Row:
    """One row of a table; `source` names the file (or import) and `line` the line in it."""

    line: int
    values: dict[str, object]
    source: str = ""

    def __getitem__(self, key: str):
        return self.values[key]

    def get(self, key: str, default: object = None) -> object:
        return self.values.get(key, default)

    def where(self, fallback: str | Path = "") -> str:
        return f"{self.source or fallback}:{self.line}"

    def __reduce__(self):
        """Pickled as its three fields (`ontology.cache`): re-created by `__init__`, several
        times faster than the frozen dataclass's own `__setstate__`."""
        return (Row, (self.line, self.values, self.source))


def surface_key(text: str) -> str:
    """How names are compared: case, underscores and spacing do not matter."""
    return " ".join(text.lower().replace("_", " ").split())


def split(cell: str | None) -> tuple[str, ...]:
    return tuple(v for v in map(str.strip, cell.split("|")) if v) if cell else ()


def read_table(path: Path, columns: tuple[str, ...]) -> list[Row]:
    """Rows of one TSV file; the header must name exactly `columns`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise OntologyError(f"{path}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise OntologyError(f"{path}: not a UTF-8 text file") from None
    lines = [(i, ln) for i, ln in enumerate(text.splitlines(), 1)
             if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        raise OntologyError(f"{path}: empty file")
    header_line, header = lines[0]
    got = tuple(h.strip() for h in header.split("\t"))
    if got != columns:
        raise OntologyError(f"{path}:{header_line}: header must be {' '.join(columns)}")
    rows: list[Row] = []
    source = str(path)
    listed = [col in LIST_COLUMNS for col in columns]
    for lineno, line in lines[1:]:
        cells = line.split("\t")  # no quoting in these files: every tab separates
        cells += [""] * (len(columns) - len(cells))
        rows.append(Row(lineno, {col: split(cell) if is_list else cell.strip()
                                 for col, is_list, cell in zip(columns, listed, cells)},
                        source))
    return rows


def _unique(rows: list[Row], key: str, problems: list[str], what: str = "") -> dict[str, Row]:
    seen: dict[str, Row] = {}
    for row in rows:
        k = str(row[key])
        if not k:
            problems.append(f"{row.where(what)}: empty {key}")
        elif k in seen:
            first = seen[k]
            at = (f"line {first.line}" if first.source == row.source
                  else first.where())
            problems.append(f"{row.where(what)}: duplicate {key} {k!r} (first at {at})")
        else:
            seen[k] = row
    return seen


def _tree(by_key: dict[str, Row], problems: list[str], parent_col: str = "parent",
          what: str = "") -> None:
    """Every parent exists and following parents never loops (each cycle reported once)."""
    for key, row in by_key.items():
        parent = str(row[parent_col])
        if parent and parent not in by_key:
            problems.append(f"{row.where(what)}: {key!r} has unknown parent {parent!r}")
    cycles: set[frozenset[str]] = set()
    for key in by_key:
        order: list[str] = []
        node = key
        while node and node in by_key and node not in order:
            order.append(node)
            node = str(by_key[node][parent_col])
        if node and node in order:
            cycle = order[order.index(node):]
            if frozenset(cycle) not in cycles:
                cycles.add(frozenset(cycle))
                first = by_key[min(cycle, key=lambda k: by_key[k].line)]
                chain = " -> ".join([*cycle, cycle[0]])
                rows = [by_key[k] for k in cycle]
                if len({r.source for r in rows}) == 1:
                    lines = "lines " + ", ".join(str(r.line) for r in rows)
                else:
                    lines = ", ".join(r.where(what) for r in rows)
                problems.append(f"{first.where(what)}: cycle {chain} ({lines})")


def table_problems(tables: dict[str, list[Row]], other_genes: Container[str] = ()
                   ) -> list[str]:
    """Every problem of a set of tables: duplicates, dangling references, cycles.
    `other_genes` are known genes that are not in the tables (an HGNC import)."""
    problems: list[str] = []
    cancers = _unique(tables.get("cancer_types", []), "code", problems)
    _tree(cancers, problems)
    genes = _unique(tables.get("genes", []), "symbol", problems)
    families = _unique(tables.get("gene_families", []), "family", problems)
    classes = _unique(tables.get("drug_classes", []), "id", problems)
    _tree(classes, problems)
    _unique(tables.get("drugs", []), "name", problems)
    for row in tables.get("genes", []):
        for fam in row["families"]:
            if fam not in families:
                problems.append(f"{row.where()}: {row['symbol']!r} is in unknown gene "
                                f"family {fam!r}")
    for row in tables.get("drugs", []):
        for cls in row["classes"]:
            if cls not in classes:
                problems.append(f"{row.where()}: {row['name']!r} is in unknown drug class "
                                f"{cls!r}")
    seen_groups: dict[tuple[str, str], Row] = {}
    for row in tables.get("variant_groups", []):
        key = (str(row["gene"]), str(row["group"]))
        if key in seen_groups:
            problems.append(f"{row.where()}: duplicate variant group {key[0]} {key[1]!r} "
                            f"(first at line {seen_groups[key].line})")
        seen_groups[key] = row
        if key[0] not in genes and key[0] not in families and key[0] not in other_genes:
            problems.append(f"{row.where()}: variant group of unknown gene {key[0]!r}")
    for row in tables.get("cancer_successors", []):
        old, new = str(row["code"]), str(row["successor"])
        if old in cancers:
            problems.append(f"{row.where()}: {old!r} is a current code and cannot be revoked")
        if new not in cancers:
            problems.append(f"{row.where()}: successor {new!r} of {old!r} is not a known code")
    problems += _also_problems(tables.get("cancer_also", []), cancers)
    problems += _class_also_problems(tables.get("drug_class_also", []), classes)
    problems += _unspecified_problems(tables.get("cancer_unspecified", []), cancers)
    problems += _stated_problems(tables.get("cancer_stated", []), cancers)
    problems += _exon_problems(tables.get("gene_exons", []), genes, other_genes)
    problems += _defining_problems(tables.get("cancer_defining", []), cancers, genes, other_genes)
    return problems


_DEFINING_TYPES = ("fusion", "mutation")


def _defining_problems(rows: list[Row], cancers: dict[str, Row], genes: dict[str, Row],
                       other_genes: Container[str]) -> list[str]:
    """A defining alteration names a known code, a known gene (and partner, for a fusion
    only) and a type the profiles use: fusion or mutation."""
    problems: list[str] = []
    for row in rows:
        code, gene, kind = str(row["code"]), str(row["gene"]), str(row["type"])
        partner = str(row.get("partner") or "")
        if code not in cancers:
            problems.append(f"{row.where()}: unknown cancer code {code!r}")
        for g in (gene, partner) if partner else (gene,):
            if g not in genes and g not in other_genes:
                problems.append(f"{row.where()}: unknown gene {g!r}")
        if kind not in _DEFINING_TYPES:
            problems.append(f"{row.where()}: type {kind!r} is not one of {', '.join(_DEFINING_TYPES)}")
        elif partner and kind != "fusion":
            problems.append(f"{row.where()}: a partner gene is for a fusion only")
    return problems


_CODONS = re.compile(r"(\d+)-(\d+)\Z")


def exon_ranges(rows: list[Row]) -> dict[str, tuple[tuple[int, int, int], ...]]:
    """gene -> its (first codon, last codon, exon) ranges, of rows that read."""
    out: dict[str, list[tuple[int, int, int]]] = {}
    for row in rows:
        m = _CODONS.match(str(row["codons"]).strip())
        if m and str(row["exon"]).isdigit():
            out.setdefault(str(row["gene"]), []).append(
                (int(m.group(1)), int(m.group(2)), int(str(row["exon"]))))
    return {gene: tuple(sorted(ranges)) for gene, ranges in out.items()}


def _exon_problems(rows: list[Row], genes: dict[str, Row], other_genes: Container[str]
                   ) -> list[str]:
    """An exon range names a known gene, a whole exon number and "first-last" codons in
    order, overlapping no other range of the gene."""
    problems: list[str] = []
    for row in rows:
        gene, m = str(row["gene"]), _CODONS.match(str(row["codons"]).strip())
        if gene not in genes and gene not in other_genes:
            problems.append(f"{row.where()}: exon of unknown gene {gene!r}")
        if not str(row["exon"]).isdigit():
            problems.append(f"{row.where()}: exon {row['exon']!r} is not a whole number")
        if m is None or int(m.group(1)) > int(m.group(2)):
            problems.append(f"{row.where()}: codons {row['codons']!r} are not first-last")
    for gene, ranges in exon_ranges(rows).items():
        for (_, last, exon), (first, _, after) in zip(ranges, ranges[1:]):
            if first <= last:
                problems.append(f"gene_exons: {gene} exons {exon} and {after} overlap")
    return problems


def _above(code: str, cancers: dict[str, Row], ups: dict[str, list[str]]) -> set[str]:
    """Every node above `code` (a cancer type, or a drug class when `cancers` holds the
    classes): over the parent links, and over the extra links in `ups`."""
    seen: set[str] = set()
    todo = [code]
    while todo:
        node = todo.pop()
        parent = str(cancers[node]["parent"]) if node in cancers else ""
        for up in ([parent] if parent else []) + ups.get(node, []):
            if up not in seen:
                seen.add(up)
                todo.append(up)
    return seen


def _link_problems(rows: list[Row], col: str, nodes: dict[str, Row], what: str,
                   apart: Callable[[str, str], str | None] | None = None) -> list[str]:
    """Extra is-a links (`col` -> `also`) join two known nodes and are listed once; a link to
    a node already above says nothing, no chain of links may lead back to where it started,
    and `apart` names any other reason two nodes may not be linked."""
    ups: dict[str, list[str]] = {}
    for row in rows:
        ups.setdefault(str(row[col]), []).append(str(row["also"]))
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    for row in rows:
        node, also = str(row[col]), str(row["also"])
        unknown = [c for c in (node, also) if c not in nodes]
        if (node, also) in seen:
            problems.append(f"{row.where()}: the link {node!r} -> {also!r} is listed twice")
        seen.add((node, also))
        if unknown:
            problems.append(f"{row.where()}: unknown {what} {unknown[0]!r}")
        elif also in _above(node, nodes, {}):
            problems.append(f"{row.where()}: {also!r} is already above {node!r}")
        elif node == also or node in _above(also, nodes, ups):
            problems.append(f"{row.where()}: {node!r} -> {also!r} closes a cycle")
        elif apart is not None and (why := apart(node, also)) is not None:
            problems.append(f"{row.where()}: {node!r} -> {also!r} {why}")
    return problems


def _also_problems(rows: list[Row], cancers: dict[str, Row]) -> list[str]:
    """`cancer_also.tsv`: links between two codes of one tissue (see _link_problems)."""
    def tissues(code: str, also: str) -> str | None:
        return None if cancers[code]["tissue"] == cancers[also]["tissue"] else (
            "joins two tissues (a name that spans tissues is an umbrella, "
            "nlp/data/umbrellas.yaml)")
    return _link_problems(rows, "code", cancers, "cancer code", tissues)


def _class_also_problems(rows: list[Row], classes: dict[str, Row]) -> list[str]:
    """`drug_class_also.tsv`: links between two drug classes (see _link_problems)."""
    return _link_problems(rows, "id", classes, "drug class")


def _stated_problems(rows: list[Row], cancers: dict[str, Row]) -> list[str]:
    """A stated subtype is a known code, listed once, with a parent above it."""
    problems: list[str] = []
    seen: set[str] = set()
    for row in rows:
        code = str(row["code"])
        if code in seen:
            problems.append(f"{row.where()}: {code!r} is listed twice")
        seen.add(code)
        if code not in cancers:
            problems.append(f"{row.where()}: unknown cancer code {code!r}")
        elif not cancers[code]["parent"]:
            problems.append(f"{row.where()}: {code!r} has no broader code to be told from")
    return problems


def _unspecified_problems(rows: list[Row], cancers: dict[str, Row]) -> list[str]:
    """A code of unstated subtype names known groups of its own tissue, none below it."""
    problems: list[str] = []
    seen: set[str] = set()
    for row in rows:
        code, within = str(row["code"]), [str(w) for w in row["within"]]
        if code in seen:
            problems.append(f"{row.where()}: {code!r} is listed twice")
        seen.add(code)
        unknown = [c for c in (code, *within) if c not in cancers]
        if unknown:
            problems.append(f"{row.where()}: unknown cancer code {unknown[0]!r}")
            continue
        if not within:
            problems.append(f"{row.where()}: {code!r} names no group it lies within")
        for group in within:
            if code == group or code in _above(group, cancers, {}):
                problems.append(f"{row.where()}: {code!r} is {group!r} or above it")
            elif cancers[code]["tissue"] != cancers[group]["tissue"]:
                problems.append(f"{row.where()}: {code!r} and {group!r} are of two tissues")
    return problems


def check_tables(tables: dict[str, list[Row]], what: str = "ontology") -> None:
    """Raise OntologyError listing every problem (file:line each), if there is any."""
    problems = table_problems(tables)
    if problems:
        raise OntologyError(f"invalid {what}: {len(problems)} problem(s)", problems)


def read_sources(folder: Path) -> dict[str, list[Row]]:
    """All ontology tables in `folder`, validated."""
    if not Path(folder).is_dir():
        raise OntologyError(f"{folder}: no such ontology folder")
    tables = {name: read_table(folder / f"{name}.tsv", cols) for name, cols in FILES.items()}
    for name, cols in OPTIONAL_FILES.items():
        path = folder / f"{name}.tsv"
        tables[name] = read_table(path, cols) if path.exists() else []
    check_tables(tables, f"ontology in {folder}")
    return tables
