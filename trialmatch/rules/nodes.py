"""The rule tree: a small, closed set of immutable node kinds.

Connectives (`All`, `AnyOf`, `Not`) combine leaves. Every node may carry a `Provenance`
(section, offsets, the trial's own words, the pattern or file line that produced it);
provenance never takes part in equality, so two trees that mean the same thing compare equal
and de-duplicate, wherever their words came from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import FrozenInstanceError, dataclass, field, fields
from enum import IntEnum
from operator import attrgetter
from typing import Any, ClassVar, TypeVar

from trialmatch.errors import RuleError
from trialmatch.rules.stages import stage_name


class Tri(IntEnum):
    """Kleene truth value. The integer order makes AND = min, OR = max, NOT = 2 - x."""

    NOT_MET = 0
    UNKNOWN = 1
    MET = 2

    @property
    def label(self) -> str:
        return {0: "not met", 1: "unknown", 2: "met"}[int(self)]


ALTERATION_KINDS = ("mutation", "amplification", "deletion", "wildtype", "any")
ORIGINS = ("germline", "somatic")
EVENTS = ("exon19del", "exon20ins", "exon14skip", "ITD")
SIGNATURES = ("MSI-H", "dMMR", "MSS", "pMMR", "TMB-H", "HRD", "LOH", "1p19q-codel")
OPS = (">=", ">", "<=", "<", "=", "!=")
NUMERIC_MARKERS = ("tmb", "pdl1_tps", "pdl1_cps", "her2_ihc")
STATUS_MARKERS = {"her2": ("positive", "negative", "low"), "er": ("positive", "negative"),
                  "pr": ("positive", "negative")}
MARKERS = NUMERIC_MARKERS + tuple(STATUS_MARKERS)
MARKER_GENES = {"tmb": None, "pdl1_tps": "CD274", "pdl1_cps": "CD274", "her2_ihc": "ERBB2",
                "her2": "ERBB2", "er": "ESR1", "pr": "PGR"}
SCALES = ("ecog", "karnofsky")
SEXES = ("female", "male")
STATED = ("negative", "wildtype", "except")
EXPRESSION_LEVELS = ("positive", "negative", "high", "low")
# How a trial wants a biomarker shown, kept on the leaf for review and explanation only:
# it never changes the truth value (a leaf is met or not from the finding alone).
EVIDENCE = {
    "documented": "documented", "confirmed": "confirmed", "approved_test": "by an approved test",
    "central": "central laboratory", "local": "local testing", "tissue": "tissue",
    "plasma": "plasma", "ngs": "by NGS", "ihc": "by IHC", "fish": "by FISH", "pcr": "by PCR",
    "p190": "p190 isoform", "p210": "p210 isoform", "p230": "p230 isoform",
}
SECTIONS = ("inclusion", "exclusion", "cohort", "summary", "structured", "text")


class _Frozen:
    """What `@dataclass(frozen=True, slots=True)` would generate for the node classes,
    written once instead of compiled for each class when the module is imported (that
    compilation was the largest part of importing `trialmatch.rules`, issue 12's start-up
    of `find`). Each class is declared `@_frozen @dataclass(init=False, repr=False,
    eq=False, slots=True)` with its own `__init__`: the dataclass fields (`fields`,
    `replace`) and behaviour are those of a frozen dataclass: equality and hash over the
    compared fields, the dataclass repr, no assignment after `__init__`, pickling."""

    __slots__ = ()
    _cmp: ClassVar[Callable[[Any], tuple]]  # the compared fields, as a tuple
    _shown: ClassVar[tuple[str, ...]]  # the fields the repr shows

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            key = self.__class__._cmp
            return bool(key(self) == key(other))
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.__class__._cmp(self))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._shown)
        return f"{self.__class__.__qualname__}({shown})"

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __getstate__(self) -> list[object]:
        return [getattr(self, f.name) for f in fields(self)]  # type: ignore[arg-type]

    def __setstate__(self, state: list[object]) -> None:
        for f, value in zip(fields(self), state):  # type: ignore[arg-type]
            object.__setattr__(self, f.name, value)


_F = TypeVar("_F", bound=_Frozen)
_set = object.__setattr__  # how a frozen class's __init__ sets its fields


def _frozen(cls: type[_F]) -> type[_F]:
    """Give a `_Frozen` dataclass its compared and shown fields."""
    compared = tuple(f.name for f in fields(cls) if f.compare)  # type: ignore[arg-type]
    key: Callable[[Any], tuple]
    if len(compared) > 1:
        key = attrgetter(*compared)
    elif compared:
        one = attrgetter(compared[0])
        key = lambda node: (one(node),)  # noqa: E731
    else:
        key = lambda node: ()  # noqa: E731
    cls._cmp = staticmethod(key)
    cls._shown = tuple(f.name for f in fields(cls) if f.repr)  # type: ignore[arg-type]
    return cls


@_frozen
@dataclass(init=False, repr=False, eq=False, slots=True)
class Provenance(_Frozen):
    """Where a node came from: the trial's words and how we read them."""

    section: str | None = None
    start: int | None = None
    end: int | None = None
    text: str | None = None
    source: str | None = None  # pattern id, or "criteria/x.yaml:12"

    def __init__(self, section: str | None = None, start: int | None = None,
                 end: int | None = None, text: str | None = None,
                 source: str | None = None) -> None:
        _set(self, "section", section)
        _set(self, "start", start)
        _set(self, "end", end)
        _set(self, "text", text)
        _set(self, "source", source)


def _evidence() -> tuple[str, ...]:
    return field(default=(), kw_only=True)


def _check_evidence(node: Alteration | Fusion | Signature | Expression) -> None:
    """Evidence tags as a sorted tuple of known tags ("documented|ngs" is read too)."""
    raw: object = node.evidence
    if raw == ():
        return
    if isinstance(raw, str):
        raw = tuple(x for x in raw.split("|") if x)
    if not (isinstance(raw, (tuple, list)) and all(isinstance(x, str) for x in raw)):
        raise RuleError("evidence is a list of tags")
    tags = [str(x) for x in raw] if isinstance(raw, (tuple, list)) else []
    unknown = sorted(set(tags) - set(EVIDENCE))
    if unknown:
        raise RuleError(f"unknown evidence tag {unknown[0]!r}; expected one of "
                        f"{', '.join(EVIDENCE)}")
    object.__setattr__(node, "evidence", tuple(sorted(set(tags))))


@_frozen
@dataclass(init=False, repr=False, eq=False, slots=True)
class Node(_Frozen):
    """Base of every node; `kind` is the stable name used in JSON and the text form."""

    kind = "node"
    # Keyword-only, so it comes after each subclass's own fields in __init__.
    prov: Provenance | None = field(default=None, compare=False, repr=False, kw_only=True)

    def __init__(self, *, prov: Provenance | None = None) -> None:
        _set(self, "prov", prov)

    @property
    def children(self) -> tuple[Node, ...]:
        return ()


@_frozen
@dataclass(init=False, repr=False, eq=False, slots=True)
class All(Node):
    """Every item is met (Kleene AND)."""

    items: tuple[Node, ...] = ()
    kind = "all"

    def __init__(self, items: tuple[Node, ...] = (), *,
                 prov: Provenance | None = None) -> None:
        _set(self, "prov", prov)
        _set(self, "items", tuple(items))

    @property
    def children(self) -> tuple[Node, ...]:
        return self.items


@_frozen
@dataclass(init=False, repr=False, eq=False, slots=True)
class AnyOf(Node):
    """At least one item is met (Kleene OR)."""

    items: tuple[Node, ...] = ()
    kind = "any"

    def __init__(self, items: tuple[Node, ...] = (), *,
                 prov: Provenance | None = None) -> None:
        _set(self, "prov", prov)
        _set(self, "items", tuple(items))

    @property
    def children(self) -> tuple[Node, ...]:
        return self.items


@_frozen
@dataclass(init=False, repr=False, eq=False, slots=True)
class Not(Node):
    """The item is not met. `stated` keeps how the trial worded an absence when it is a
    status of its own ("HER2-negative": negative, "KRAS wild-type": wildtype) or a carve-out
    of the finding before it ("NRAS mutation except G12A": except); it never changes the
    truth value, only how the finding is listed and explained."""

    item: Node
    stated: str | None = None
    kind = "not"

    def __init__(self, item: Node, stated: str | None = None, *,
                 prov: Provenance | None = None) -> None:
        _set(self, "prov", prov)
        _set(self, "item", item)
        _set(self, "stated", stated)
        if self.stated not in (None, *STATED):
            raise RuleError(f"unknown stated status {self.stated!r}; expected one of "
                            f"{', '.join(STATED)}")

    @property
    def children(self) -> tuple[Node, ...]:
        return (self.item,)


@_frozen
@dataclass(init=False, repr=False, eq=False, slots=True)
class Alteration(Node):
    """A gene-level finding: mutation (optionally a variant or exon), copy number, wild-type.

    `gene` is an HGNC symbol or a gene family id (RAS, NTRK). `variant` is a one-letter
    protein change (L858R), a codon (V600), a wildcard codon (G719X), an event (exon19del,
    exon20ins, exon14skip, ITD) or a named variant group of the ontology (sensitizing).
    `evidence` (on every biomarker leaf: alteration, fusion, signature, expression) keeps
    how the trial wants the finding shown ("documented", "by NGS", "tissue or plasma",
    tags of `EVIDENCE`): part of the leaf's identity and of every reader, never of its truth.
    """

    gene: str
    alteration: str = "mutation"
    variant: str | None = None
    exon: int | None = None
    origin: str | None = None
    evidence: tuple[str, ...] = _evidence()
    kind = "alteration"

    def __init__(self, gene: str, alteration: str = "mutation", variant: str | None = None,
                 exon: int | None = None, origin: str | None = None, *,
                 prov: Provenance | None = None, evidence: tuple[str, ...] = ()) -> None:
        _set(self, "prov", prov)
        _set(self, "gene", gene)
        _set(self, "alteration", alteration)
        _set(self, "variant", variant)
        _set(self, "exon", exon)
        _set(self, "origin", origin)
        _set(self, "evidence", evidence)
        if not self.gene:
            raise RuleError("alteration needs a gene")
        if self.alteration not in ALTERATION_KINDS:
            raise RuleError(f"unknown alteration kind {self.alteration!r}; expected one of "
                            f"{', '.join(ALTERATION_KINDS)}")
        if self.origin not in (None, *ORIGINS):
            raise RuleError(f"unknown origin {self.origin!r}")
        if not (self.exon is None or (isinstance(self.exon, int) and self.exon > 0)):
            raise RuleError(f"exon must be a positive integer, got {self.exon!r}")
        if not (self.alteration == "mutation" or (self.variant is None and self.exon is None)):
            raise RuleError("variant and exon go only with alteration kind 'mutation'")
        _check_evidence(self)


@_frozen
@dataclass(init=False, repr=False, eq=False, slots=True)
class Fusion(Node):
    """A fusion or rearrangement involving `gene` (or a family), optionally with `partner`."""

    gene: str
    partner: str | None = None
    evidence: tuple[str, ...] = _evidence()
    kind = "fusion"

    def __init__(self, gene: str, partner: str | None = None, *,
                 prov: Provenance | None = None, evidence: tuple[str, ...] = ()) -> None:
        _set(self, "prov", prov)
        _set(self, "gene", gene)
        _set(self, "partner", partner)
        _set(self, "evidence", evidence)
        if not self.gene:
            raise RuleError("fusion needs a gene")
        _check_evidence(self)


@_frozen
@dataclass(init=False, repr=False, eq=False, slots=True)
class Signature(Node):
    """A genomic signature of the tumour (MSI-H, dMMR, TMB-H, HRD, ...)."""

    name: str
    evidence: tuple[str, ...] = _evidence()
    kind = "signature"

    def __init__(self, name: str, *, prov: Provenance | None = None,
                 evidence: tuple[str, ...] = ()) -> None:
        _set(self, "prov", prov)
        _set(self, "name", name)
        _set(self, "evidence", evidence)
        if self.name not in SIGNATURES:
            raise RuleError(f"unknown signature {self.name!r}; expected one of "
                            f"{', '.join(SIGNATURES)}")
        _check_evidence(self)


@_frozen
@dataclass(init=False, repr=False, eq=False, slots=True)
class Measurement(Node):
    """A measured biomarker: numeric (tmb >= 10, pdl1_tps >= 50) or a status (er = positive)."""

    marker: str
    op: str
    value: float | str
    kind = "measurement"

    def __init__(self, marker: str, op: str, value: float | str, *,
                 prov: Provenance | None = None) -> None:
        _set(self, "prov", prov)
        _set(self, "marker", marker)
        _set(self, "op", op)
        _set(self, "value", value)
        if self.marker not in MARKERS:
            raise RuleError(f"unknown marker {self.marker!r}; expected one of "
                            f"{', '.join(MARKERS)}")
        if self.marker in STATUS_MARKERS:
            if self.op not in ("=", "!="):
                raise RuleError(f"{self.marker} takes = or !=, not {self.op}")
            if self.value not in STATUS_MARKERS[self.marker]:
                raise RuleError(f"{self.marker} is one of "
                                f"{', '.join(STATUS_MARKERS[self.marker])}")
        else:
            if self.op not in OPS:
                raise RuleError(f"unknown comparison {self.op!r}")
            if not (isinstance(self.value, (int, float)) and not isinstance(self.value, bool)):
                raise RuleError(f"{self.marker} needs a number")
            object.__setattr__(self, "value", float(self.value))


@_frozen
@dataclass(init=False, repr=False, eq=False, slots=True)
class Diagnosis(Node):
    """The patient's cancer is this OncoTree code or one of its descendants."""

    code: str
    kind = "diagnosis"

    def __init__(self, code: str, *, prov: Provenance | None = None) -> None:
        _set(self, "prov", prov)
        _set(self, "code", code)
        if not self.code:
            raise RuleError("diagnosis needs an OncoTree code")


def _numeric(node: Node, value: float) -> None:
    if not (isinstance(value, (int, float)) and not isinstance(value, bool)):
        raise RuleError(f"{node.kind} needs a number")
    object.__setattr__(node, "value", float(value))


@_frozen
@dataclass(init=False, repr=False, eq=False, slots=True)
class Age(Node):
    """The patient's age in years compared with a threshold."""

    op: str
    value: float
    kind = "age"

    def __init__(self, op: str, value: float, *, prov: Provenance | None = None) -> None:
        _set(self, "prov", prov)
        _set(self, "op", op)
        _set(self, "value", value)
        if self.op not in OPS:
            raise RuleError(f"unknown comparison {self.op!r}")
        _numeric(self, self.value)


@_frozen
@dataclass(init=False, repr=False, eq=False, slots=True)
class Sex(Node):
    """The patient's sex, female or male."""

    value: str
    kind = "sex"

    def __init__(self, value: str, *, prov: Provenance | None = None) -> None:
        _set(self, "prov", prov)
        _set(self, "value", value)
        if self.value not in SEXES:
            raise RuleError(f"sex is female or male, not {self.value!r}")


@_frozen
@dataclass(init=False, repr=False, eq=False, slots=True)
class Performance(Node):
    """Performance status on the ECOG (0-5) or Karnofsky (0-100) scale."""

    scale: str
    op: str
    value: float
    kind = "performance"

    def __init__(self, scale: str, op: str, value: float, *,
                 prov: Provenance | None = None) -> None:
        _set(self, "prov", prov)
        _set(self, "scale", scale)
        _set(self, "op", op)
        _set(self, "value", value)
        if self.scale not in SCALES:
            raise RuleError(f"unknown performance scale {self.scale!r}")
        if self.op not in OPS:
            raise RuleError(f"unknown comparison {self.op!r}")
        _numeric(self, self.value)


@_frozen
@dataclass(init=False, repr=False, eq=False, slots=True)
class Stage(Node):
    """The patient's cancer stage group compared with a named group (`rules.stages`):
    `stage >= IIIB` is IIIB or a later stage, `stage <= III` any stage up to IIIC."""

    op: str
    value: str
    kind = "stage"

    def __init__(self, op: str, value: str, *, prov: Provenance | None = None) -> None:
        _set(self, "prov", prov)
        _set(self, "op", op)
        _set(self, "value", value)
        if self.op not in (">=", ">", "<=", "<"):
            raise RuleError(f"stage takes >=, >, <= or <, not {self.op!r}")
        if not isinstance(self.value, str) or stage_name(self.value) != self.value:
            raise RuleError(f"stage needs a stage group such as IIIB or IV, not {self.value!r}")


@_frozen
@dataclass(init=False, repr=False, eq=False, slots=True)
class PriorTherapy(Node):
    """The patient has received this drug, or a drug of this class (an ontology id);
    `excluding` names drugs or classes that do not count ("any ALK inhibitor other than
    crizotinib": a drug of the class that is none of them)."""

    concept: str
    excluding: tuple[str, ...] = ()
    kind = "prior_therapy"

    def __init__(self, concept: str, excluding: tuple[str, ...] = (), *,
                 prov: Provenance | None = None) -> None:
        _set(self, "prov", prov)
        _set(self, "concept", concept)
        _set(self, "excluding", excluding)
        if not self.concept:
            raise RuleError("prior therapy needs a drug or drug class")
        excluding = self.excluding
        if isinstance(excluding, str):
            excluding = tuple(x for x in excluding.split("|") if x)
        object.__setattr__(self, "excluding", tuple(sorted(set(excluding))))
        if not (all(isinstance(x, str) and x and "|" not in x for x in self.excluding)):
            raise RuleError("prior therapy exclusions are drug or class ids")


@_frozen
@dataclass(init=False, repr=False, eq=False, slots=True)
class Expression(Node):
    """A protein or gene expression marker by IHC, flow cytometry or RNA (CD20, claudin
    18.2, TROP2, c-MET overexpression): `level` is positive, negative, high or low, `assay`
    the method when the trial states one. Met or not from the profile's `expression` map;
    unknown when the profile does not report the marker."""

    gene: str
    level: str = "positive"
    assay: str | None = None
    evidence: tuple[str, ...] = _evidence()
    kind = "expression"

    def __init__(self, gene: str, level: str = "positive", assay: str | None = None, *,
                 prov: Provenance | None = None, evidence: tuple[str, ...] = ()) -> None:
        _set(self, "prov", prov)
        _set(self, "gene", gene)
        _set(self, "level", level)
        _set(self, "assay", assay)
        _set(self, "evidence", evidence)
        if not self.gene:
            raise RuleError("expression needs a gene or protein")
        if self.level not in EXPRESSION_LEVELS:
            raise RuleError(f"unknown expression level {self.level!r}; expected one of "
                            f"{', '.join(EXPRESSION_LEVELS)}")
        _check_evidence(self)


POPULATIONS = ("non_oncology", "unrecognised")


@_frozen
@dataclass(init=False, repr=False, eq=False, slots=True)
class Population(Node):
    """Who the trial studies, when it is not (known to be) a cancer population.

    `non_oncology`: the trial studies `condition`, not cancer; a patient with a cancer
    diagnosis does not meet it (unknown without a diagnosis). `unrecognised`: neither the
    record nor the text names a population trialmatch knows; never met, never violated
    (unknown), so such a trial is at most "possible"."""

    scope: str
    condition: str
    kind = "population"

    def __init__(self, scope: str, condition: str, *,
                 prov: Provenance | None = None) -> None:
        _set(self, "prov", prov)
        _set(self, "scope", scope)
        _set(self, "condition", condition)
        if self.scope not in POPULATIONS:
            raise RuleError(f"unknown population {self.scope!r}; expected one of "
                            f"{', '.join(POPULATIONS)}")
        if not self.condition:
            raise RuleError("population needs the condition studied")


@_frozen
@dataclass(init=False, repr=False, eq=False, slots=True)
class Unparsed(Node):
    """Text the machine cannot evaluate: kept, counted, and shown for manual review."""

    text: str
    reason: str | None = None
    kind = "unparsed"

    def __init__(self, text: str, reason: str | None = None, *,
                 prov: Provenance | None = None) -> None:
        _set(self, "prov", prov)
        _set(self, "text", text)
        _set(self, "reason", reason)


CONNECTIVES = (All, AnyOf, Not)
# The leaves that name a biomarker finding of the tumour (a receptor status or a score is a
# `Measurement`, kept apart).
BIOMARKERS = (Alteration, Fusion, Expression, Signature)
LEAVES = (Alteration, Fusion, Signature, Measurement, Expression, Diagnosis, Age, Sex, Performance,
          Stage, PriorTherapy, Population, Unparsed)
NODE_TYPES: dict[str, type[Node]] = {cls.kind: cls for cls in CONNECTIVES + LEAVES}


def walk(node: Node):
    """Yield the node and all its descendants, depth first, parents before children."""
    yield node
    for child in node.children:
        yield from walk(child)


def leaves(node: Node) -> list[Node]:
    return [n for n in walk(node) if not isinstance(n, CONNECTIVES)]


def with_prov(node: Node, prov: Provenance | None) -> Node:
    """A copy of `node` carrying `prov` (nodes are immutable)."""
    from dataclasses import replace

    return replace(node, prov=prov)
