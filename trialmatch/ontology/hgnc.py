"""Importing the HGNC gene table: the complete set (`hgnc_complete_set.txt`) or a custom
download with the columns "Approved symbol", "Approved name", "Status", "Alias symbols",
"Previous symbols" (and "HGNC ID").

Approved genes are kept apart from our curated genes (`ImportedGenes`): the curated names
win over them, and an alias or previous symbol shared by several genes resolves to none.
Their lookup index is built on first use only, so that a database holding all 44,000
approved genes costs `find` nothing while the patient's genes are curated ones. A withdrawn
symbol that HGNC merged into one gene ("symbol withdrawn, see HGNC:12469") becomes a
previous symbol of that gene.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from trialmatch.errors import OntologyError
from trialmatch.ontology.load import surface_key as _key

COLUMNS = {  # our name -> accepted headers (custom download, complete set)
    "symbol": ("approved symbol", "symbol"),
    "name": ("approved name", "name"),
    "status": ("status",),
    "aliases": ("alias symbols", "alias_symbol", "alias symbol"),
    "previous": ("previous symbols", "prev_symbol", "previous symbol"),
    "hgnc_id": ("hgnc id", "hgnc_id"),
}
_SEE = re.compile(r"see \[?(HGNC:\d+)\]?")


# (symbol, name, aliases "A|B", previous "C|D", line in the file)
GeneRow = tuple[str, str, str, str, int]


@dataclass
class GeneImport:
    source: str
    rows: list[GeneRow]
    withdrawn: int = 0
    notes: list[str] = field(default_factory=list)


def _names(cell: str) -> str:
    return "|".join(dict.fromkeys(v.strip().strip('"') for v in re.split(r"[,|]", cell or "")
                                  if v.strip().strip('"')))


class ImportedGenes:
    """The genes of an HGNC import, with a lookup index built on first use."""

    def __init__(self, rows: list[GeneRow], source: str = "") -> None:
        self.rows = rows
        self.source = source
        self._symbols: dict[str, GeneRow] | None = None
        self._index: dict[str, str] | None = None

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def symbols(self) -> dict[str, GeneRow]:
        if self._symbols is None:
            self._symbols = {r[0]: r for r in self.rows}
        return self._symbols

    def __contains__(self, symbol: object) -> bool:
        return symbol in self.symbols

    def row(self, symbol: str) -> GeneRow | None:
        return self.symbols.get(symbol)

    def aliases(self, symbol: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        r = self.symbols.get(symbol)
        if r is None:
            return (), ()
        return tuple(a for a in r[2].split("|") if a), tuple(p for p in r[3].split("|") if p)

    def lookup(self, key: str) -> str | None:
        """The symbol for a normalised surface form (see `graph._key`)."""
        if self._index is None:
            self._index = self._build()
        return self._index.get(key)

    def _build(self) -> dict[str, str]:
        index: dict[str, str] = {}
        for column in (2, 3):  # aliases, then previous symbols (which win)
            forms: dict[str, set[str]] = {}
            for r in self.rows:
                names = r[2] if column == 2 else r[3]
                for name in names.split("|"):
                    if name:
                        forms.setdefault(_key(name), set()).add(r[0])
            index.update({k: next(iter(v)) for k, v in forms.items() if len(v) == 1})
        index.update({_key(r[0]): r[0] for r in self.rows})
        return index


def read_hgnc(path: Path) -> GeneImport:
    """Parse and validate an HGNC TSV; raises OntologyError with every problem."""
    path = Path(path)
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise OntologyError(f"{path}: cannot read ({exc.strerror})") from None
    with handle:
        reader = csv.reader(handle, delimiter="\t")
        try:
            header = next(reader)
            records = list(reader)
        except StopIteration:
            raise OntologyError(f"{path}: empty file") from None
        except (UnicodeDecodeError, csv.Error) as exc:
            raise OntologyError(f"{path}: not a TSV text file ({exc})") from None
    lower = [h.strip().lower() for h in header]
    col: dict[str, int] = {}
    for ours, accepted in COLUMNS.items():
        for h in accepted:
            if h in lower:
                col[ours] = lower.index(h)
                break
    if "symbol" not in col:
        raise OntologyError(f"{path}:1: no \"Approved symbol\" column; is this an HGNC "
                            "gene table?")
    source = str(path)
    problems: list[str] = []
    seen: dict[str, int] = {}
    rows: list[list] = []
    by_id: dict[str, list] = {}
    merged: list[tuple[str, str, int]] = []  # (old symbol, HGNC id it points to, line)
    withdrawn = 0

    def cell(r: list[str], name: str) -> str:
        i = col.get(name)
        return r[i].strip() if i is not None and i < len(r) else ""

    for line, r in enumerate(records, 2):
        if not any(c.strip() for c in r):
            continue
        symbol, status = cell(r, "symbol"), cell(r, "status").lower()
        if status and status != "approved":
            withdrawn += 1
            see = _SEE.findall(cell(r, "name"))
            if "symbol withdrawn" in status and len(see) == 1 and symbol:
                merged.append((symbol.replace("~withdrawn", ""), see[0], line))
            continue
        if not symbol:
            problems.append(f"{path}:{line}: empty approved symbol")
            continue
        if symbol in seen:
            problems.append(f"{path}:{line}: duplicate approved symbol {symbol!r} "
                            f"(first at line {seen[symbol]})")
            continue
        seen[symbol] = line
        row = [symbol, cell(r, "name"), _names(cell(r, "aliases")),
               _names(cell(r, "previous")), line]
        rows.append(row)
        if cell(r, "hgnc_id"):
            by_id[cell(r, "hgnc_id")] = row
    if problems:
        raise OntologyError(f"{path}: invalid HGNC file, nothing imported", problems)
    if not rows:
        raise OntologyError(f"{path}: no approved genes found")
    for old, hgnc_id, _line in merged:
        target = by_id.get(hgnc_id)
        if target is not None and old not in seen and old not in target[3].split("|"):
            target[3] = f"{target[3]}|{old}" if target[3] else old
    return GeneImport(source, [tuple(r) for r in rows], withdrawn)
