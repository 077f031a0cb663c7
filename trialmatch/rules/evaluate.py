"""The reference evaluator: Kleene three-valued logic over a patient's facts.

This is the oracle for the SQL matcher (property tests compare the two). Values are the
integers of `Tri` (0 not met, 1 unknown, 2 met), so AND is min, OR is max, NOT is 2 - x.
`Unparsed` leaves evaluate to None: they are not evaluated by the machine but counted for
manual review, and a connective ignores them (a node whose children are all unparsed is None).

An expression marker the profile does not report is `MANUAL` for that patient
(`MAY_GO_UNEVALUATED`): patient.json (DESIGN 2.1) has no field for CD20, cyclin D1 or
claudin 18.2, so such a criterion is one a coordinator checks by hand, not a gap in the
record (a profile that reports the marker, `biomarkers.expression`, is evaluated). The
check is taken to go the patient's way, as the status rules of manual review say: where
the children of a node go together (an `all`, or an `any` under an odd number of `not`s:
what the patient must meet, or must not have) a MANUAL child is ignored; where they are
alternatives (an `any`, or an `all` under an odd number of `not`s: "CD20-positive or
...", "no X with CD20 expression") the node is met, or ruled out, if another child decides
it, and MANUAL otherwise. A tree whose value is MANUAL is None to the caller.
"""

from __future__ import annotations

from trialmatch.rules.facts import FLAG_FIELDS, Finding, PatientFacts, expression_field
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
from trialmatch.rules.stages import FIELD as STAGE_FIELD
from trialmatch.rules.stages import threshold
from trialmatch.rules.variants import (
    VariantSpec,
    Vocabulary,
    exon_of_event,
    expand_alteration,
    may_be_event,
)

NOT_MET, UNKNOWN, MET = 0, 1, 2
MANUAL = -1  # a leaf left to manual review for one patient (see the module docstring)
TMB_HIGH = 10.0

# criterion status -> patient status -> value. HER2-low tumours count as HER2-negative;
# a patient reported only as "negative" may or may not be HER2-low.
STATUS_COMPAT: dict[tuple[str, str], dict[str, int]] = {
    ("her2", "positive"): {"positive": MET, "negative": NOT_MET, "low": NOT_MET, "zero": NOT_MET},
    ("her2", "negative"): {"positive": NOT_MET, "negative": MET, "low": MET, "zero": MET},
    ("her2", "low"): {"positive": NOT_MET, "negative": UNKNOWN, "low": MET, "zero": NOT_MET},
    ("er", "positive"): {"positive": MET, "negative": NOT_MET},
    ("er", "negative"): {"positive": NOT_MET, "negative": MET},
    ("pr", "positive"): {"positive": MET, "negative": NOT_MET},
    ("pr", "negative"): {"positive": NOT_MET, "negative": MET},
}
# signature -> (fact, {fact value: truth}); a missing fact is UNKNOWN.
SIGNATURE_FACTS: dict[str, tuple[str, dict[object, int]]] = {
    "MSI-H": ("msi", {"MSI-H": MET, "MSI-L": NOT_MET, "MSS": NOT_MET}),
    "MSS": ("msi", {"MSI-H": NOT_MET, "MSI-L": MET, "MSS": MET}),
    "dMMR": ("mmr", {"dMMR": MET, "pMMR": NOT_MET}),
    "pMMR": ("mmr", {"dMMR": NOT_MET, "pMMR": MET}),
    "HRD": ("hrd", {True: MET, False: NOT_MET}),
    "LOH": ("loh", {True: MET, False: NOT_MET}),
    # whole-arm co-deletion of chromosome arms 1p and 19q (oligodendroglioma)
    "1p19q-codel": ("codel_1p19q", {True: MET, False: NOT_MET}),
}


def compare(interval: tuple[float, float] | None, op: str, v: float) -> int:
    """Compare a closed interval of possible patient values with a threshold."""
    if interval is None:
        return UNKNOWN
    lo, hi = interval
    if op == ">=":
        return MET if lo >= v else NOT_MET if hi < v else UNKNOWN
    if op == ">":
        return MET if lo > v else NOT_MET if hi <= v else UNKNOWN
    if op == "<=":
        return MET if hi <= v else NOT_MET if lo > v else UNKNOWN
    if op == "<":
        return MET if hi < v else NOT_MET if lo >= v else UNKNOWN
    eq = MET if lo == hi == v else NOT_MET if (v < lo or v > hi) else UNKNOWN
    return eq if op == "=" else 2 - eq


def spec_vs_finding(spec: VariantSpec, f: Finding) -> int:
    """How far one finding meets one spec: 2 yes, 1 cannot tell, 0 no."""
    if f.gene != spec.gene or f.type == "wildtype":
        return NOT_MET
    if spec.alteration == "any":
        base = MET if f.type in ("mutation", "amplification", "deletion", "fusion") else NOT_MET
    else:
        base = MET if f.type == spec.alteration else NOT_MET
    if base == NOT_MET:
        return NOT_MET
    if spec.origin is not None:
        if f.origin is None:
            base = UNKNOWN
        elif f.origin != spec.origin:
            return NOT_MET
    return min(base, _variant_vs_finding(spec, f))


def _variant_vs_finding(spec: VariantSpec, f: Finding) -> int:
    if spec.mode is None:
        return MET
    if spec.mode == "none":
        return NOT_MET
    if spec.mode == "exon":
        exon = f.exon if f.exon is not None else exon_of_event(f.event)
        if exon is None:
            return UNKNOWN
        return MET if exon == spec.exon else NOT_MET
    if spec.mode == "event":
        if f.event is not None:
            return MET if f.event == spec.value else NOT_MET
        if f.protein is None:
            want = exon_of_event(spec.value)
            return UNKNOWN if (f.exon is None or want is None or f.exon == want) else NOT_MET
        return UNKNOWN if may_be_event(f.protein, spec.value or "", f.exon) else NOT_MET
    if f.protein is None:
        return UNKNOWN
    if spec.mode == "codon":
        return MET if f.codon == spec.value else NOT_MET
    return MET if f.protein == spec.value else NOT_MET


def _absent(p: PatientFacts, gene: str) -> int:
    return NOT_MET if p.tested(gene) else UNKNOWN


def eval_alteration(leaf: Alteration, p: PatientFacts, vocab: Vocabulary) -> int:
    if leaf.alteration == "wildtype":
        return min((_wildtype(g, p) for g in vocab.gene_members(leaf.gene)), default=UNKNOWN)
    best = NOT_MET
    for spec in expand_alteration(leaf, vocab):
        hit = max((spec_vs_finding(spec, f) for f in p.findings), default=NOT_MET)
        best = max(best, hit, _absent(p, spec.gene))
    return best


def _wildtype(gene: str, p: PatientFacts) -> int:
    mine = [f for f in p.findings if f.gene == gene]
    if any(f.type != "wildtype" for f in mine):
        return NOT_MET
    if mine or p.tested(gene):
        return MET
    return UNKNOWN


def eval_fusion(leaf: Fusion, p: PatientFacts, vocab: Vocabulary) -> int:
    partners = set(vocab.gene_members(leaf.partner)) if leaf.partner else None
    best = NOT_MET
    for gene in vocab.gene_members(leaf.gene):
        hit = NOT_MET
        for f in p.findings:
            if f.type != "fusion" or gene not in (f.gene, f.partner):
                continue
            other = f.partner if f.gene == gene else f.gene
            if partners is None:
                hit = MET
            elif other is None:
                hit = max(hit, UNKNOWN)
            elif other in partners:
                hit = MET
        best = max(best, hit, _absent(p, gene))
    return best


def eval_signature(leaf: Signature, p: PatientFacts) -> int:
    if leaf.name == "TMB-H":
        return compare(p.numbers.get("tmb"), ">=", TMB_HIGH)
    fact, table = SIGNATURE_FACTS[leaf.name]
    value = p.flags.get(fact) if fact in FLAG_FIELDS else p.statuses.get(fact)
    return UNKNOWN if value is None else table.get(value, UNKNOWN)


def eval_measurement(leaf: Measurement, p: PatientFacts) -> int:
    if isinstance(leaf.value, str):
        have = p.statuses.get(leaf.marker)
        if have is None:
            return UNKNOWN
        eq = STATUS_COMPAT[(leaf.marker, leaf.value)].get(have, UNKNOWN)
        return eq if leaf.op == "=" else 2 - eq
    return compare(p.numbers.get(leaf.marker), leaf.op, leaf.value)


def eval_prior(leaf: PriorTherapy, p: PatientFacts, vocab: Vocabulary) -> int:
    if p.prior_therapies is None:
        return UNKNOWN
    for drug in p.prior_therapies:
        concepts = vocab.drug_concepts(drug)
        if leaf.concept in concepts and concepts.isdisjoint(leaf.excluding):
            return MET
    return NOT_MET


EXPRESSION_MEETS = {  # (criterion level, reported level) -> value; other pairs are not met
    ("positive", "positive"): MET, ("positive", "high"): MET, ("positive", "low"): MET,
    ("negative", "negative"): MET, ("high", "high"): MET, ("high", "positive"): UNKNOWN,
    ("low", "low"): MET, ("low", "positive"): UNKNOWN,
}


# the leaf kinds that a profile may leave to manual review (MANUAL for that patient only)
MAY_GO_UNEVALUATED = (Expression,)


def eval_expression(node: Expression, p: PatientFacts) -> int:
    """Met when the profile reports the marker at the level asked (any positive level meets
    "positive"; a bare "positive" leaves "high" or "low" open); MANUAL when the profile
    does not report it."""
    have = p.statuses.get(expression_field(node.gene))
    if have is None:
        return MANUAL
    return EXPRESSION_MEETS.get((node.level, have), NOT_MET)


def evaluate_leaf(node: Node, p: PatientFacts, vocab: Vocabulary) -> int | None:
    """The truth of one leaf for one patient (None for unparsed text, MANUAL for a marker
    the profile does not report)."""
    match node:
        case Alteration():
            return eval_alteration(node, p, vocab)
        case Fusion():
            return eval_fusion(node, p, vocab)
        case Signature():
            return eval_signature(node, p)
        case Measurement():
            return eval_measurement(node, p)
        case Diagnosis():
            if p.oncotree is None:
                return UNKNOWN
            return vocab.cancer_relation(node.code, p.oncotree)
        case Age():
            return compare(p.numbers.get("age"), node.op, node.value)
        case Sex():
            return UNKNOWN if p.sex is None else MET if p.sex == node.value else NOT_MET
        case Performance():
            return compare(p.numbers.get(node.scale), node.op, node.value)
        case Stage():
            return compare(p.numbers.get(STAGE_FIELD), node.op, threshold(node.op, node.value))
        case PriorTherapy():
            return eval_prior(node, p, vocab)
        case Expression():
            return eval_expression(node, p)
        case Population(scope="non_oncology"):
            return NOT_MET if p.oncotree is not None else UNKNOWN
        case Population():
            return UNKNOWN
        case Unparsed():
            return None
    raise TypeError(f"no evaluator for node kind {node.kind!r}")


def combine(kind: str, values: list[int | None], odd: bool = False) -> int | None:
    """Fold child values with Kleene logic, ignoring unparsed (None) children; a MANUAL
    child as the module's docstring says (`odd`: the node is under an odd number of
    `not`s)."""
    known = [v for v in values if v is not None and v != MANUAL]
    manual = MANUAL in values
    if kind == "not":
        return MANUAL if manual else 2 - known[0] if known else None
    value = (min(known) if kind == "all" else max(known)) if known else None
    if manual and (value is None or ((kind == "any") != odd
                                     and value != (MET if kind == "any" else NOT_MET))):
        return MANUAL
    return value


def evaluate(node: Node, p: PatientFacts, vocab: Vocabulary,
             trace: dict[int, int | None] | None = None) -> int | None:
    """Evaluate a tree; `trace`, if given, receives id(node) -> value for every node (None
    for a node left to manual review)."""
    value = _evaluate(node, p, vocab, trace, False)
    return None if value == MANUAL else value


def _evaluate(node: Node, p: PatientFacts, vocab: Vocabulary,
              trace: dict[int, int | None] | None, odd: bool) -> int | None:
    if isinstance(node, (All, AnyOf, Not)):
        inner = odd != isinstance(node, Not)
        value = combine(node.kind, [_evaluate(c, p, vocab, trace, inner)
                                    for c in node.children], odd)
    else:
        value = evaluate_leaf(node, p, vocab)
    if trace is not None:
        trace[id(node)] = None if value == MANUAL else value
    return value


def status_of(value: int | None) -> str:
    """A cohort's status from its root value (nothing evaluable is only 'possible')."""
    statuses: dict[int | None, str] = {MET: "eligible", UNKNOWN: "possible",
                                       NOT_MET: "ineligible"}
    return statuses.get(value, "possible")
