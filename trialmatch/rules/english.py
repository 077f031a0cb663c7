"""Plain English for rule trees: one phrase per node kind, reviewed by clinicians.

`describe` gives a short label for a leaf or a negated leaf ("EGFR L858R mutation",
"no prior EGFR TKI"); `explain` renders a whole tree as an indented outline.
"""

from __future__ import annotations

from dataclasses import replace

from trialmatch.rules.nodes import (
    Age,
    All,
    Alteration,
    AnyOf,
    Diagnosis,
    Expression,
    Fusion,
    Measurement,
    Node,
    Not,
    Performance,
    Population,
    PriorTherapy,
    Sex,
    Signature,
    Stage,
    Unparsed,
)

_OPS = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "=": "=", "!=": "≠"}
_MARKERS = {"tmb": "TMB", "pdl1_tps": "PD-L1 TPS", "pdl1_cps": "PD-L1 CPS",
            "her2_ihc": "HER2 IHC", "her2": "HER2", "er": "ER", "pr": "PR"}
_UNITS = {"tmb": " mut/Mb", "pdl1_tps": "%", "pdl1_cps": ""}
_EVENTS = {"exon19del": "exon 19 deletion", "exon20ins": "exon 20 insertion",
           "exon14skip": "exon 14 skipping", "ITD": "ITD"}


_PLAIN_WORDS = {"inhibitor", "inhibitors", "agent", "agents", "therapy", "antibody", "gen",
                "third", "first", "second", "based", "targeted", "and", "or", "of", "class"}
_STAGE_WORDS = {">=": "stage {} or later", ">": "a stage later than {}",
                "<=": "stage {} or earlier", "<": "a stage earlier than {}"}


def concept_label(concept: str) -> str:
    """A drug or drug-class id as words: egfr_tki -> EGFR TKI, platinum -> platinum."""
    words = concept.split("_")
    if len(words) == 1:
        return concept
    return " ".join(w if w in _PLAIN_WORDS or (len(w) > 5 and w.isalpha()) else w.upper()
                    for w in words)


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


def _alteration(n: Alteration) -> str:
    origin = f"{n.origin} " if n.origin else ""
    if n.alteration == "wildtype":
        return f"{n.gene} wild-type"
    if n.alteration != "mutation":
        kind = "alteration" if n.alteration == "any" else n.alteration
        return f"{origin}{n.gene} {kind}"
    if n.variant:
        v = _EVENTS.get(n.variant, n.variant)
        suffix = "" if n.variant in _EVENTS else " mutation"
        return f"{origin}{n.gene} {v}{suffix}"
    if n.exon is not None:
        return f"{origin}{n.gene} exon {n.exon} mutation"
    return f"{origin}{n.gene} mutation"


_SPECIMENS = ("tissue", "plasma")


def _evidence(label: str, evidence: tuple[str, ...]) -> str:
    """The label with how the trial wants the finding shown: "(documented; tissue or plasma)"."""
    if not evidence:
        return label
    from trialmatch.rules.nodes import EVIDENCE

    words = [EVIDENCE[t] for t in evidence if t not in _SPECIMENS]
    specimens = [t for t in _SPECIMENS if t in evidence]
    if specimens:
        words.append(" or ".join(specimens))
    return f"{label} ({'; '.join(words)})"


def describe(node: Node) -> str:
    """A short English label for one node (connectives are summarised)."""
    if isinstance(node, (Alteration, Fusion, Signature, Expression)) and node.evidence:
        return _evidence(describe(replace(node, evidence=())), node.evidence)
    match node:
        case Alteration():
            return _alteration(node)
        case Fusion():
            return f"{node.partner}-{node.gene} fusion" if node.partner else f"{node.gene} fusion"
        case Signature():
            return {"TMB-H": "TMB-high", "HRD": "HRD-positive", "LOH": "genomic LOH-high",
                    "1p19q-codel": "1p/19q-codeleted"}.get(node.name, node.name)
        case Measurement():
            label = _MARKERS[node.marker]
            if isinstance(node.value, str):
                return f"{label}-{node.value}" if node.op == "=" else f"not {label}-{node.value}"
            unit = _UNITS.get(node.marker, "")
            if node.marker == "her2_ihc":
                return f"{label} {_OPS[node.op]} {_num(node.value)}+"
            return f"{label} {_OPS[node.op]} {_num(node.value)}{unit}"
        case Diagnosis():
            return f"cancer type {node.code}"
        case Age():
            return f"age {_OPS[node.op]} {_num(node.value)}"
        case Sex():
            return node.value
        case Performance():
            return f"{'ECOG' if node.scale == 'ecog' else 'Karnofsky'} {_OPS[node.op]} " \
                   f"{_num(node.value)}"
        case Stage():
            return _STAGE_WORDS[node.op].format(node.value)
        case PriorTherapy(excluding=()):
            return f"prior {concept_label(node.concept)}"
        case PriorTherapy():
            others = ", ".join(concept_label(x) for x in node.excluding)
            return f"prior {concept_label(node.concept)} other than {others}"
        case Population(scope="non_oncology"):
            return f"the trial studies {node.condition}, not cancer"
        case Population():
            return f"a population trialmatch does not recognise ({node.condition})"
        case Unparsed():
            return node.text
        case Expression():
            label = f"{node.gene} {'expression' if node.level == 'positive' else node.level + ' expression'}"
            return label + (f" ({node.assay})" if node.assay else "")
        case Not(item=item, stated="negative"):
            return f"{describe(item)}: negative"
        case Not(item=item, stated="wildtype"):
            return f"{describe(item)}: wild-type"
        case Not(item=item):
            inner = describe(item)
            if isinstance(item, PriorTherapy):
                return "no " + inner
            return ("no " + inner) if isinstance(item, (Alteration, Fusion, Signature,
                                                        Diagnosis)) else f"not ({inner})"
        case All(items=items):
            return " and ".join(describe(c) for c in items) or "nothing"
        case AnyOf(items=items):
            return "either " + " or ".join(describe(c) for c in items) if items else "nothing"
    raise TypeError(f"no explanation for node kind {node.kind!r}")


def explain(node: Node, indent: int = 0) -> str:
    """The whole tree as an indented English outline."""
    pad = "  " * indent
    match node:
        case All(items=items):
            head = f"{pad}all of:"
        case AnyOf(items=items):
            head = f"{pad}any of:"
        case Not(item=item) if isinstance(item, (All, AnyOf, Not)):
            label = {"any": "none of:", "all": "not all of:", "not": "not:"}[item.kind]
            return "\n".join([f"{pad}{label}", *(explain(c, indent + 1) for c in item.children)])
        case _:
            line = f"{pad}- {describe(node)}"
            if node.prov and node.prov.text and node.prov.text != describe(node):
                line += f'  ("{node.prov.text}")'
            return line
    return "\n".join([head, *(explain(c, indent + 1) for c in items)])
