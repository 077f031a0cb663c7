"""Rule trees written as MatchMiner CTML: the inverse of `trialmatch.ingest.ctml`.

A tree read from CTML is written back to CTML that reads to the same tree (the round trip
is tested). Other trees are written as far as CTML can say them: `not` over `and`/`or` by De
Morgan, each leaf as a clinical or genomic node; a criterion CTML has no field for (prior
therapy, performance status, expression, text left for manual review) is left out with one
warning naming its cohort and path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from trialmatch.ingest.ctml import _NCT, _PHASES, CLOSED_STATUSES, RESIDUE, TOP_COHORT, _unesc
from trialmatch.rules.nodes import (
    Age,
    All,
    Alteration,
    AnyOf,
    Diagnosis,
    Fusion,
    Measurement,
    Node,
    Not,
    Sex,
    Signature,
    Unparsed,
)
from trialmatch.rules.trial import Trial
from trialmatch.rules.variants import codon_of, variant_mode


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


_FLIP = {">=": "<", ">": "<=", "<=": ">", "<": ">=", "=": "!=", "!=": "="}


def _residue_fields(node: Node, kind: str) -> dict[str, Any] | None:
    if isinstance(node, Unparsed) and node.reason == RESIDUE and \
            node.text.startswith(f"{kind}: "):
        try:
            data = json.loads(node.text[len(kind) + 2:])
        except ValueError:
            return None
        return data if isinstance(data, dict) else None
    return None


def _clinical_leaf(node: Node, ontology: Any) -> dict[str, Any] | None:
    neg = isinstance(node, Not)
    inner = node.item if isinstance(node, Not) else node
    bang = "!" if neg else ""
    if not neg:
        found = _residue_fields(inner, "clinical")
        if found is not None:
            return found
    if isinstance(inner, Age) or (isinstance(inner, Measurement) and inner.marker == "tmb"):
        op = _FLIP[inner.op] if neg else inner.op
        value = inner.value
        if op == "!=" or isinstance(value, str):  # (a tmb value is always a number)
            return None
        key = "age_numerical" if isinstance(inner, Age) else "tmb_numerical"
        return {key: f"{'==' if op == '=' else op}{_num(value)}"}
    if isinstance(inner, Diagnosis):
        name = {"SOLID": "_SOLID_", "HEME": "_LIQUID_"}.get(inner.code)
        if name is None:
            name = ontology.cancer_name(inner.code) if ontology is not None else inner.code
        return {"oncotree_primary_diagnosis": bang + name}
    if isinstance(inner, Sex):
        return {"gender": bang + inner.value.capitalize()}
    if isinstance(inner, Measurement) and inner.marker in ("her2", "er", "pr") and \
            inner.value in ("positive", "negative"):
        neg = neg != (inner.op == "!=")
        return {f"{inner.marker}_status": ("!" if neg else "") + str(inner.value).capitalize()}
    return None


def clinical_fields(node: Node, ontology: Any) -> dict[str, Any] | None:
    """The CTML clinical node for `node`, or None when it is not one."""
    if isinstance(node, All) and len(node.items) >= 2:
        out: dict[str, Any] = {}
        for i, item in enumerate(node.items):
            if i < len(node.items) - 1 and _residue_fields(item, "clinical") is not None:
                return None  # a clinical node keeps its unevaluated fields last
            part = _clinical_leaf(item, ontology)
            if part is None or set(part) & set(out):
                return None
            out.update(part)
        return out
    return _clinical_leaf(node, ontology)


def _genomic_evaluable(node: Node) -> dict[str, Any] | None:
    if isinstance(node, Alteration):
        out: dict[str, Any] = {"hugo_symbol": node.gene}
        if node.alteration == "mutation":
            out["variant_category"] = "Mutation"
            if node.variant is not None:
                mode = variant_mode(node.variant)
                if mode == "group":
                    return None
                key = "wildcard_protein_change" if mode == "codon" else "protein_change"
                out[key] = "p." + (codon_of(node.variant) or node.variant
                                   if mode == "codon" else node.variant)
            if node.exon is not None:
                out["exon"] = node.exon
            return None if node.origin else out
        if node.origin:
            return None
        if node.alteration in ("amplification", "deletion"):
            out["variant_category"] = "Copy Number Variation"
            out["cnv_call"] = ("High Amplification" if node.alteration == "amplification"
                               else "Homozygous Deletion")
        elif node.alteration == "wildtype":
            out["wildtype"] = True
        return out
    if isinstance(node, Fusion):
        out = {"hugo_symbol": node.gene, "variant_category": "Structural Variation"}
        if node.partner:
            out["fusion_partner_hugo_symbol"] = node.partner
        return out
    if isinstance(node, Signature):
        pair = {"MSI-H": ("ms_status", "MSI-H"), "MSS": ("ms_status", "MSS"),
                "dMMR": ("mmr_status", "MMR-Deficient"),
                "pMMR": ("mmr_status", "MMR-Proficient")}.get(node.name)
        return {pair[0]: pair[1]} if pair else None
    alts = [i for i in node.items if isinstance(i, Alteration)] \
        if isinstance(node, AnyOf) else []
    if alts and len(alts) == len(node.children) and all(
            i.variant is None and i.exon is None and i.origin is None for i in alts):
        genes = {i.gene for i in alts}
        kinds = tuple(i.alteration for i in alts)
        if len(genes) == 1:
            gene = genes.pop()
            if kinds == ("amplification", "deletion"):
                return {"hugo_symbol": gene, "variant_category": "Copy Number Variation"}
            if kinds == ("mutation", "amplification", "deletion"):
                return {"hugo_symbol": gene, "variant_category": "Any Variation"}
    if isinstance(node, All) and len(node.items) >= 2 and \
            all(isinstance(i, Signature) for i in node.items):
        out = {}
        for i in node.items:
            part = _genomic_evaluable(i)
            if part is None or set(part) & set(out):
                return None
            out.update(part)
        return out
    return None


def genomic_fields(node: Node) -> dict[str, Any] | None:
    """The CTML genomic node for `node` (negation as a `!`), or None when it is not one."""
    neg = isinstance(node, Not)
    inner = node.item if isinstance(node, Not) else node
    out = _residue_fields(inner, "genomic")
    if out is None:
        out = _genomic_evaluable(inner)
    if out is None and isinstance(inner, All) and len(inner.items) == 2:
        head = _genomic_evaluable(inner.items[0])
        tail = _residue_fields(inner.items[1], "genomic")
        if head is not None and tail is not None and not set(head) & set(tail):
            out = {**head, **tail}
    if out is None:
        return None
    if neg:
        for key in ("variant_category", "hugo_symbol", *out):
            if isinstance(out.get(key), str):
                out[key] = "!" + out[key]
                break
        else:
            return None
    return out


@dataclass
class Export:
    """A trial written as CTML, and what could not be written (one line each)."""

    document: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


def _node_text(node: Node) -> str:
    from trialmatch.rules.dsl import to_text

    return node.prov.text if node.prov is not None and node.prov.text else to_text(node)


def export_node(node: Node, ontology: Any, where: str, warnings: list[str]) -> dict | None:
    """The CTML match node for a rule tree; what CTML cannot say is left out with a warning."""
    found = clinical_fields(node, ontology)
    if found is not None:
        return {"clinical": found}
    found = genomic_fields(node)
    if found is not None:
        return {"genomic": found}
    if isinstance(node, Not):
        inner = node.item
        if isinstance(inner, Not):
            return export_node(inner.item, ontology, where, warnings)
        if isinstance(inner, (All, AnyOf)):
            flipped = (AnyOf if isinstance(inner, All) else All)(
                tuple(Not(c) for c in inner.items))
            return export_node(flipped, ontology, where, warnings)
    if isinstance(node, (All, AnyOf)):
        kids = [export_node(c, ontology, f"{where}/{i}", warnings)
                for i, c in enumerate(node.items)]
        kids = [k for k in kids if k is not None]
        if not kids:
            return None
        return {"and" if isinstance(node, All) else "or": kids}
    warnings.append(f"{where}: {node.kind} criterion {_node_text(node)!r} has no CTML form; "
                    "left out")
    return None


def _split_id(cid: str) -> tuple[list[str], bool]:
    """The step, arm and dose-level codes of a cohort id, and whether the id is a repeat
    (`#2`: a second level with the same code)."""
    base, _, dup = cid.partition("#")
    parts = [_unesc(p) for p in base.split("/")]
    return (parts if len(parts) <= 3 else [_unesc(base)]), bool(dup)


def export_trial(trial: Trial, ontology: Any = None) -> Export:
    """The CTML document of a trial (cohort ids from a CTML import rebuild its steps, arms
    and dose levels; any other cohort becomes a step of its own)."""
    warnings: list[str] = []
    doc: dict[str, Any] = {}
    if _NCT.match(trial.trial_id):
        doc["nct_id"] = trial.trial_id
    doc["protocol_no"] = trial.trial_id
    if trial.title:
        doc["long_title"] = trial.title
    if trial.phase:
        back = {v: k for k, v in _PHASES.items()}
        doc["phase"] = back.get(trial.phase, trial.phase)
    if trial.status:
        doc["status"] = ("Open to Accrual" if trial.status in ("RECRUITING", "NOT_YET_RECRUITING",
                                                              "ENROLLING_BY_INVITATION")
                         else "Temporarily Closed to Accrual" if trial.status == "SUSPENDED"
                         else "Closed to Accrual")
    steps: dict[str, dict[str, Any]] = {}

    def step(code: str, key: str) -> dict[str, Any]:
        return steps.setdefault(key, {"step_code": code, "step_internal_id": len(steps) + 1,
                                      "step_type": "", "arm": []})

    def arm(s: dict[str, Any], code: str, new: bool) -> dict[str, Any]:
        for a in reversed(s["arm"]):
            if a["arm_code"] == code and not new:
                return a
        a = {"arm_code": code, "arm_description": "", "arm_internal_id":
             sum(len(x["arm"]) for x in steps.values()) + 1, "arm_suspended": "N",
             "dose_level": []}
        s["arm"].append(a)
        return a

    step_status: dict[str, bool] = {}
    levels = 0
    for c in trial.cohorts:
        where = f"cohort {c.id}"
        items = c.rule.items if isinstance(c.rule, All) else (c.rule,)
        match = [m for i, item in enumerate(items)
                 if (m := export_node(item, ontology, f"{where}/{i}", warnings)) is not None]
        closed = c.status in CLOSED_STATUSES
        if c.id == TOP_COHORT:
            doc["match"] = match
            continue
        parts, dup = _split_id(c.id)
        s = step(parts[0], c.id if dup and len(parts) == 1 else parts[0])
        if len(parts) == 1:
            s["match"] = match
            s["step_type"] = c.label or ""
            step_status[c.id if dup else parts[0]] = closed
            continue
        a = arm(s, parts[1], dup and len(parts) == 2)
        if len(parts) == 2:
            a["match"], a["arm_description"] = match, c.label or ""
            a["arm_suspended"] = "Y" if closed else "N"
            continue
        levels += 1
        a["dose_level"].append({"level_code": parts[2], "level_description": c.label or "",
                                "level_internal_id": levels, "level_suspended":
                                "Y" if closed else "N", "match": match})
    for code, closed in step_status.items():
        arms = steps[code]["arm"]
        if closed and any(a["arm_suspended"] == "N" for a in arms):
            warnings.append(f"cohort {code}: closed, but CTML closes a step only when all its "
                            "arms are suspended; written with its arms as they are")
        elif closed != (bool(arms) and all(a["arm_suspended"] == "Y" for a in arms)):
            arms.append({"arm_code": "closed" if closed else "open",
                         "arm_description": "status of the step (no match of its own)",
                         "arm_internal_id": sum(len(x["arm"]) for x in steps.values()) + 1,
                         "arm_suspended": "Y" if closed else "N", "dose_level": []})
    doc["treatment_list"] = {"step": list(steps.values())}
    return Export(doc, warnings)
