"""The parser's data files (trialmatch/nlp/data/*.yaml), read and validated once.

Rules and vocabularies are data; this module checks their shape (pydantic) and compiles the
regular expressions, so a bad entry fails at load time with its file and id, never mid-parse.
Patterns are compiled as `Scanner`s (firstchar.py): the same matches as `finditer`, found faster.
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from trialmatch.errors import UsageError
from trialmatch.nlp.firstchar import Scanner

DATA = Path(__file__).resolve().parent / "data"


class DataFileError(UsageError):
    """A parser data file is malformed; the message names the file and the entry id."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


_M = TypeVar("_M", bound=_Model)


class Heading(_Model):
    id: str
    kind: Literal["inclusion", "exclusion", "cohort", "other"]
    pattern: str
    examples: list[str] = Field(min_length=1)
    counter_examples: list[str] = []


class Cue(_Model):
    id: str
    role: Literal["alteration", "negation", "exception", "origin", "therapy", "nonbio", "linker"]
    value: str | None = None
    phrases: list[str] = Field(min_length=1)
    examples: list[str] = Field(min_length=1)


class ListHeader(_Model):
    """A list header's announcing words (data/lists.yaml) and how its items combine."""

    id: str
    connective: Literal["any", "some", "except", "either", "if", "cautions", "groups"]
    pattern: str
    examples: list[str] = Field(min_length=1)
    counter_examples: list[str] = []


class ContextExample(_Model):
    text: str
    reaches: str | None = None
    stops_before: str | None = None  # a word the cue's scope must not reach (a terminator's)


class ContextRule(_Model):
    """One ConText rule (data/context.yaml): a cue, its direction and scope in tokens."""

    id: str
    category: Literal["exception", "carved", "permission", "history", "setting", "prospective",
                      "count", "dose", "site", "test", "stated", "conditional", "benign", "negated",
                      "excluded", "terminate", "alternative", "current"]
    direction: Literal["forward", "backward", "both", "terminate", "pseudo"]
    max_scope: int = Field(ge=0, le=64)
    applies_to: list[str]
    terminators: list[str] = []  # single tokens that end this rule's scope (besides ";", ".")
    # a backward rule that reaches only the mention ending right before its cue, the cue's
    # noun modified by the mention ("lung cancer therapy"): no other word between them
    adjacent: bool = False
    # a scope that no `terminate` cue ends ("except patients who ..., and have ...";
    # backward: "patients with X who have Y may be included"): only ";", a sentence end, a
    # terminator of the rule or the criterion's edge end it
    through_clauses: bool = False
    # a rule that reaches only the treatment words of this drug class or its kinds (an
    # ontology id: "radiotherapy"), not every drug
    drug_class: str | None = None
    # a scope that reaches only the examples its head is given after a comma ("no CNS
    # disease, including primary brain tumours"): the mentions after ", including" /
    # ", such as" / ", for example" inside it
    examples_only: bool = False
    # a forward scope that carries over a coordinator ("no A or B", "no A, or B"): from the
    # coordinator on, this many tokens more (0: it stops where it stops)
    coordinated: int = Field(default=0, ge=0, le=16)
    # the words that coordinate for `coordinated` ("and" too where the items go together:
    # "eligible to receive A and B")
    coordinators: frozenset[str] = frozenset({"or", "nor"})
    phrases: list[str] = Field(min_length=1)
    examples: list[ContextExample] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _grid(cls, data: Any) -> Any:
        """`grid: [[a, b], [c, d]]` spells the phrases "a c", "a d", "b c", "b d" (added to
        `phrases`): a phrase family written once, as its parts, instead of every combination;
        `grids: [...]` holds several such families."""
        if not isinstance(data, dict) or ("grid" not in data and "grids" not in data):
            return data
        grids = ([data["grid"]] if "grid" in data else []) + list(data.get("grids") or [])
        spelled = []
        for grid in grids:
            if not (isinstance(grid, list) and grid and all(
                    isinstance(line, list) and line and all(isinstance(w, str) and w.strip()
                                                            for w in line) for line in grid)):
                raise ValueError("grid: expected a list of non-empty lists of words")
            spelled += [" ".join(words) for words in itertools.product(*grid)]
        rest = {k: v for k, v in data.items() if k not in ("grid", "grids")}
        return {**rest, "phrases": [*rest.get("phrases", []), *spelled]}


class Example(_Model):
    text: str
    groups: dict[str, str] = {}


class Pattern(_Model):
    id: str
    kind: str
    value: str | None = None
    regex: str
    examples: list[Example] = Field(min_length=1)


class Alias(_Model):
    id: str
    forms: list[str] = Field(min_length=1)
    genes: list[str]
    examples: list[str] = Field(min_length=1)


_CD_ANTIGEN = re.compile(r"CD\d+[A-Z]?")


class GeneData(_Model):
    aliases: list[Alias]
    expression_symbols: dict[str, str]
    ambiguous: list[str]
    ignore: list[str]
    status: dict[str, dict[str, dict[str, Any]]]
    expression_markers: list[str]
    fusion_drivers: list[str]
    codons: dict[str, dict[str, str]]
    rearrangements: dict[str, list[str]]
    arm_losses: dict[str, str] = {}
    implied: dict[str, str] = {}
    traits: list[str] = []

    def is_expression_marker(self, gene: str) -> bool:
        """Read as a protein by "positive" / "negative": the listed markers and every cluster of
        differentiation antigen (CD52, CD123), whose status is always a staining result."""
        return gene in self.expression_markers or _CD_ANTIGEN.fullmatch(gene) is not None

    @field_validator("rearrangements")
    @classmethod
    def _pairs(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        for name, genes in v.items():
            if len(genes) != 2 or not re.fullmatch(r"(?:t|inv)\([0-9XY;]+\)", name):
                raise ValueError(f"rearrangements.{name}: expected t(a;b) or inv(a) and two "
                                 "genes, 5' partner first")
        return v

    @field_validator("arm_losses")
    @classmethod
    def _arms(cls, v: dict[str, str]) -> dict[str, str]:
        for arm in v:
            if not re.fullmatch(r"(?:[1-9]|1[0-9]|2[0-2]|X)[pq]", arm):
                raise ValueError(f"arm_losses.{arm}: expected a chromosome arm such as 17p")
        return v

    @field_validator("codons")
    @classmethod
    def _residues(cls, v: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for gene, table in v.items():
            for pos, aa in table.items():
                if not (pos.isdigit() and re.fullmatch(r"[A-Z]", aa)):
                    raise ValueError(f"codons.{gene}.{pos}: expected a number and one residue")
        return v


def _read(name: str) -> Any:
    path = DATA / name
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DataFileError(f"{path}: {exc}") from None


def _validate(model: type[_Model], item: Any, name: str, where: str) -> Any:
    try:
        return model.model_validate(item)
    except ValidationError as exc:
        ident = item.get("id", where) if isinstance(item, dict) else where
        first = exc.errors()[0]
        loc = ".".join(str(x) for x in first["loc"])
        raise DataFileError(f"{DATA / name}: entry {ident!r}: {loc}: {first['msg']}") from None


def _entries(model: type[_M], name: str, key: str) -> list[_M]:
    """The entries under `key` of data file `name`, each validated as `model`, ids unique."""
    raw = _read(name).get(key) or []
    return _unique([_validate(model, item, name, f"#{i}") for i, item in enumerate(raw)], name)


def _unique(items: list[Any], name: str) -> list[Any]:
    seen: set[str] = set()
    for it in items:
        if it.id in seen:
            raise DataFileError(f"{DATA / name}: duplicate id {it.id!r}")
        seen.add(it.id)
    return items


def _compile(regex: str, name: str, ident: str, flags: int = 0) -> re.Pattern[str]:
    try:
        return re.compile(regex, flags)
    except re.error as exc:
        raise DataFileError(f"{DATA / name}: entry {ident!r}: bad regex: {exc}") from None


@lru_cache(maxsize=1)
def list_headers() -> list[tuple[ListHeader, re.Pattern[str]]]:
    """The list-header rules of data/lists.yaml, validated and compiled."""
    raw = _read("lists.yaml").get("headers") or []
    items = _unique([_validate(ListHeader, h, "lists.yaml", f"#{i}") for i, h in
                     enumerate(raw)], "lists.yaml")
    return [(h, _compile(h.pattern, "lists.yaml", h.id, re.IGNORECASE)) for h in items]


@lru_cache(maxsize=1)
def headings() -> list[tuple[Heading, re.Pattern[str]]]:
    raw = _read("sections.yaml").get("headings") or []
    items = _unique([_validate(Heading, h, "sections.yaml", f"#{i}") for i, h in enumerate(raw)],
                    "sections.yaml")
    return [(h, _compile(h.pattern, "sections.yaml", h.id,
                         0 if h.kind == "cohort" else re.IGNORECASE)) for h in items]


@lru_cache(maxsize=1)
def places() -> tuple[list[str], list[str]]:
    """The place-name patterns of data/sections.yaml `places` and their examples."""
    raw = _read("sections.yaml").get("places") or {}
    patterns, examples = raw.get("patterns") or [], raw.get("examples") or []
    if not all(isinstance(x, str) for x in [*patterns, *examples]):
        raise DataFileError(f"{DATA / 'sections.yaml'}: places: expected strings")
    for pattern in patterns:
        _compile(pattern, "sections.yaml", "places")
    return patterns, examples


@lru_cache(maxsize=1)
def cues() -> tuple[list[Cue], list[str]]:
    """The cue entries and the filler words allowed between a gene and its cue."""
    raw = _read("cues.yaml")
    items = _unique([_validate(Cue, c, "cues.yaml", f"#{i}") for i, c in
                     enumerate(raw.get("cues") or [])], "cues.yaml")
    fillers = raw.get("fillers") or []
    if not all(isinstance(f, str) for f in fillers):
        raise DataFileError(f"{DATA / 'cues.yaml'}: fillers must be strings")
    return items, fillers


def expand_macros(regex: str, macros: dict[str, str]) -> str:
    """Replace `{NAME}` by its macro (only upper-case names, so regex counts like {0,3} stay)."""
    return re.sub(r"\{([A-Z][A-Z0-9_]*)\}", lambda m: macros.get(m.group(1), m.group(0)), regex)


@lru_cache(maxsize=1)
def patterns() -> list[tuple[Pattern, Scanner]]:
    raw = _read("patterns.yaml")
    macros = {k: str(v).strip() for k, v in (raw.get("macros") or {}).items()}
    items = _unique([_validate(Pattern, p, "patterns.yaml", f"#{i}") for i, p in
                     enumerate(raw.get("patterns") or [])], "patterns.yaml")
    out = []
    for p in items:
        regex = expand_macros(p.regex, macros)
        _compile(regex, "patterns.yaml", p.id)  # report a bad regex with its file and id
        out.append((p, Scanner(regex)))
    return out


@lru_cache(maxsize=1)
def gene_data() -> GeneData:
    raw = _read("genes.yaml")
    data = _validate(GeneData, raw, "genes.yaml", "genes")
    _unique(data.aliases, "genes.yaml")
    return data


@lru_cache(maxsize=1)
def context_rules() -> list[ContextRule]:
    """The ConText rules of data/context.yaml, validated."""
    return _entries(ContextRule, "context.yaml", "rules")


class SiteExample(_Model):
    text: str
    code: str


class Site(_Model):
    """A body site written after a histology ("carcinoma of the <noun>") and the adjectives
    the ontology's names put before one ("<adjective> carcinoma"): data/sites.yaml."""

    id: str
    nouns: list[str] = Field(min_length=1)
    adjectives: list[str] = Field(min_length=1)
    examples: list[SiteExample] = Field(min_length=1)


@lru_cache(maxsize=1)
def sites() -> list[Site]:
    """The body sites of data/sites.yaml, validated."""
    return _entries(Site, "sites.yaml", "sites")


class UmbrellaExample(_Model):
    text: str
    codes: list[str] = Field(min_length=1)


class Umbrella(_Model):
    """A name covering cancer types of several OncoTree branches: data/umbrellas.yaml."""

    id: str
    names: list[str] = Field(min_length=1)
    codes: list[str] = Field(min_length=2)
    examples: list[UmbrellaExample] = Field(min_length=1)


@lru_cache(maxsize=1)
def umbrellas() -> list[Umbrella]:
    """The umbrella names of data/umbrellas.yaml, validated."""
    return _entries(Umbrella, "umbrellas.yaml", "umbrellas")


# Words of extent before an umbrella name ("advanced neuroendocrine tumours", "unresectable
# or metastatic melanoma")
_EXTENT = re.compile(r"(?i)(?:(?:advanced|metastatic|recurrent|relapsed|refractory|unresectable|"
                     r"inoperable|locally|progressive|histologically|cytologically|"
                     r"pathologically|biopsy|confirmed|proven|documented)"
                     r"(?:\s*,\s*|\s+(?:and/or|or|and)\s+|[\s-]+))+")


@lru_cache(maxsize=1)
def umbrella_sets() -> tuple[tuple[str, ...], ...]:
    """The types each umbrella name covers."""
    return tuple(tuple(u.codes) for u in umbrellas())


@lru_cache(maxsize=1)
def _umbrella_index() -> dict[str, tuple[str, ...]]:
    index: dict[str, tuple[str, ...]] = {}
    for u in umbrellas():
        for n in u.names:  # (keyed without possessives, as `umbrella_codes` looks up)
            index.setdefault(_POSSESSIVE.sub("", " ".join(n.lower().split())), tuple(u.codes))
    return index


# a name's possessive ("Ewing's"): an umbrella name is the same with or without it
_POSSESSIVE = re.compile(r"(?<=\w)['’]s\b")


def umbrella_codes(surface: str, code: str) -> tuple[str, ...]:
    """The types a cancer mention's words cover when they are an umbrella name and the
    ontology read them as its first type; else () (the mention's own code stands)."""
    words = " ".join(surface.lower().split())
    words = words[m.end():] if (m := _EXTENT.match(words)) else words
    codes = _umbrella_index().get(_POSSESSIVE.sub("", words), ())
    return codes if codes and codes[0] == code else ()


class ConditionGroup(_Model):
    id: str
    terms: list[str] = Field(min_length=1)
    examples: list[str] = Field(min_length=1)


class OncologyTerms(_Model):
    terms: list[str] = Field(min_length=1)
    examples: list[str] = Field(min_length=1)


class SpreadTerms(_Model):
    tissue: str
    terms: list[str] = Field(min_length=1)
    examples: list[str] = Field(min_length=1)


class Conditions(_Model):
    oncology: OncologyTerms
    spread: list[SpreadTerms]
    groups: list[ConditionGroup]


def term_regex(terms: list[str]) -> re.Pattern[str]:
    """One case-insensitive regex for vocabulary terms on word boundaries ("x*": any ending)."""
    parts = sorted((re.escape(t[:-1]) + r"[\w'-]*" if t.endswith("*") else re.escape(t)
                    for t in terms), key=len, reverse=True)
    return re.compile(r"(?i)(?<![\w-])(?:" + "|".join(p.replace(r"\ ", r"[\s,-]+")
                                                       for p in parts) + r")(?![\w])")


@lru_cache(maxsize=1)
def conditions() -> tuple[re.Pattern[str], list[tuple[str, re.Pattern[str]]]]:
    """(oncology regex, [(group id, regex)]) of data/conditions.yaml."""
    data = _validate(Conditions, _read("conditions.yaml"), "conditions.yaml", "conditions")
    _unique(data.groups, "conditions.yaml")
    return term_regex(data.oncology.terms), [(g.id, term_regex(g.terms)) for g in data.groups]


@lru_cache(maxsize=1)
def spread_terms() -> list[tuple[str, re.Pattern[str]]]:
    """[(tissue, regex)] of the `spread` terms of data/conditions.yaml: metastases named by
    the site they reached alone."""
    data = _validate(Conditions, _read("conditions.yaml"), "conditions.yaml", "conditions")
    return [(s.tissue, term_regex(s.terms)) for s in data.spread]


class ShortName(_Model):
    """A cancer type's two-letter abbreviation and the context it is read in
    (data/short_names.yaml, nlp/short_names.py)."""

    id: str
    form: str = Field(pattern=r"^[A-Z]{2}$")
    code: str
    other: list[str] = []
    before: list[str] = Field(min_length=1)
    after: list[str] = []
    examples: list[str] = Field(min_length=1)
    counter_examples: list[str] = Field(min_length=1)


@lru_cache(maxsize=1)
def short_names() -> list[ShortName]:
    """The two-letter cancer abbreviations of data/short_names.yaml, validated."""
    return _entries(ShortName, "short_names.yaml", "names")
