"""MatchMiner CTML trials (YAML or JSON) read into rule trees, and rule trees written as CTML.

A CTML trial holds `match` clauses at its top level and in `treatment_list.step[]`, `.arm[]`
and `.dose_level[]`; each clause becomes one cohort (id `main` for the top level, else the
step, arm and dose-level codes joined by `/`), closed (`SUSPENDED`) when its level is
suspended, when an enclosing arm is, or, for a step, when all its arms are. A clause is a
list of nodes `and` / `or` / `clinical` / `genomic`, combined with `all`.

Fields trialmatch evaluates become leaves; CTML fields it does not evaluate (disease status,
mutational signatures, variant classification, low-level copy-number calls) are kept in the
tree as `unparsed` criteria for manual review whose text is the CTML they came from, so they
are never lost and are written back on export. A `!` on any field of a genomic node negates
the whole node (MatchMiner V2 makes it an exclusion); on a clinical field it negates that
field. Every difference from MatchMiner's semantics is listed in docs/ctml-semantics.md.

Problems are reported as `<file>:<line>: <JSON pointer>: <problem>` (the line when the file
is YAML, or JSON that a YAML reader can follow); a file with a problem loads nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from trialmatch.errors import InputError
from trialmatch.ingest.curated import kind_of as _kind
from trialmatch.ingest.record import phase_code
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
    Provenance,
    Sex,
    Signature,
    Unparsed,
)
from trialmatch.rules.trial import Cohort, Trial
from trialmatch.rules.variants import codon_of, normalize_protein, variant_mode

ORIGIN = "ctml"
TOP_COHORT = "main"
RESIDUE = "ctml: not evaluated by trialmatch"  # reason of an unparsed node holding CTML
CLOSED = "SUSPENDED"
CLOSED_STATUSES = ("SUSPENDED", "TERMINATED", "WITHDRAWN", "COMPLETED", "ACTIVE_NOT_RECRUITING",
                   "CLOSED")

CLINICAL_FIELDS = ("age_numerical", "oncotree_primary_diagnosis", "gender", "tmb_numerical",
                   "her2_status", "er_status", "pr_status", "disease_status",
                   "molecular_marker_other", "number_prior_lines_therapy_allowed",
                   "active_brain_metastases_allowed", "brca1_germline_mutation")
SIGNATURE_FIELDS = ("apobec_signature", "pole_signature", "tobacco_signature",
                    "temozolomide_signature", "uva_signature")
GENOMIC_FIELDS = ("hugo_symbol", "variant_category", "protein_change", "wildcard_protein_change",
                  "exon", "cnv_call", "variant_classification", "true_variant_classification",
                  "fusion_partner_hugo_symbol", "wildtype", "mmr_status", "ms_status",
                  "display_name", "oncokb_variant", *SIGNATURE_FIELDS)
NODE_KINDS = ("and", "or", "clinical", "genomic")

_CATEGORIES = {"mutation": "Mutation", "copy number variation": "CNV", "cnv": "CNV",
               "structural variation": "SV", "sv": "SV", "any variation": "Any",
               "signature": "Signature"}
_CNV_CALLS = {"high amplification": "amplification", "amplification": "amplification",
              "homozygous deletion": "deletion", "deletion": "deletion"}
_MS = {"MSI-H": "MSI-H", "MSI-L": "MSS", "MSS": "MSS"}
_MMR = {"MMR-Deficient": "dMMR", "MMR-Proficient": "pMMR"}
_OPS = {">=": ">=", "<=": "<=", ">": ">", "<": "<", "==": "=", "=": "="}
_NUMBER = re.compile(r"^\s*(>=|<=|==|=|>|<)\s*(\d+(?:\.\d+)?|\.\d+)\s*$")
_NCT = re.compile(r"NCT\d{8}\Z")
_TRIAL_STATUS = {"open to accrual": "RECRUITING", "closed to accrual": "ACTIVE_NOT_RECRUITING",
                 "temporarily closed to accrual": "SUSPENDED", "suspended": "SUSPENDED",
                 "completed": "COMPLETED", "terminated": "TERMINATED",
                 "withdrawn": "WITHDRAWN", "not yet open": "NOT_YET_RECRUITING"}
_PHASES = {"I": "PHASE1", "I/II": "PHASE1_PHASE2", "II": "PHASE2", "II/III": "PHASE2_PHASE3",
           "III": "PHASE3", "IV": "PHASE4", "0": "EARLY_PHASE1", "NA": "NA"}


# ----------------------------------------------------------------------------- detection

def looks_like_ctml(data: Any) -> bool:
    """A parsed document is CTML when it is a mapping with a `treatment_list` mapping."""
    return isinstance(data, dict) and isinstance(data.get("treatment_list"), dict)


def is_ctml_file(path: str | Path) -> bool:
    """True for a .json / .yml / .yaml file that holds a CTML trial (a format dispatcher's
    test; cheap for other files: only text naming `treatment_list` is parsed)."""
    path = Path(path)
    if path.suffix.lower() not in (".json", ".yml", ".yaml") or not path.is_file():
        return False
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return False
    if "treatment_list" not in text:
        return False
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError):
        return path.suffix.lower() != ".json"  # broken YAML naming treatment_list: report it
    return looks_like_ctml(data)


# ----------------------------------------------------------------------------- reading

def _read_document(path: Path) -> tuple[Any, bool]:
    """The parsed document (YAML mappings carry line numbers) and whether lines are known."""
    from trialmatch.ingest.curated import _Loader

    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    loader = _Loader(text)
    try:
        return loader.get_single_data(), True
    except yaml.MarkedYAMLError as exc:
        if path.suffix.lower() == ".json":
            return _read_json(path, text), False
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        what = "; ".join(p for p in (exc.context, exc.problem) if p)
        raise InputError(f"{path}:{line}: invalid YAML: {what or 'syntax error'}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{path}:1: invalid YAML: {exc}") from None
    finally:
        loader.dispose()


def _read_json(path: Path, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}: broken JSON: {exc.msg} "
                         f"(column {exc.colno})") from None


def _line(container: Any, key: Any = None) -> int | None:
    if key is None:
        return getattr(container, "line", None)
    if isinstance(container, dict):
        return getattr(container, "key_lines", {}).get(key)
    lines = getattr(container, "item_lines", None)
    return lines[key] if lines and isinstance(key, int) and key < len(lines) else None


def _esc(code: Any) -> str:
    return str(code).replace("%", "%25").replace("/", "%2F").replace("#", "%23")


def _unesc(code: str) -> str:
    return code.replace("%23", "#").replace("%2F", "/").replace("%25", "%")


def _plain(value: Any) -> Any:
    """A YAML value as plain JSON data (drops the line-carrying subclasses)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@dataclass
class _Reader:
    path: Path
    ontology: Any
    problems: list[tuple[int, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.path)

    def problem(self, line: int | None, pointer: str, message: str) -> None:
        self.problems.append((line or 0, f"{pointer or '/'}: {message}"))

    def where(self, line: int | None) -> str:
        return f"{self.name}:{line}" if line else self.name

    def prov(self, text: str, line: int | None) -> Provenance:
        return Provenance(section="inclusion", text=text, source=self.where(line))

    # -- the trial
    def trial(self, doc: Any) -> Trial | None:
        if not looks_like_ctml(doc):
            self.problem(_line(doc), "", "not a CTML trial (expected a mapping with "
                                         "treatment_list)")
            return None
        trial_id = self.trial_id(doc)
        cohorts: list[Cohort] = []
        if "match" in doc:
            self.clause(doc, TOP_COHORT, None, None, "/match", cohorts)
        steps = doc["treatment_list"].get("step")
        tl_line = _line(doc, "treatment_list")
        if not isinstance(steps, list):
            self.problem(tl_line, "/treatment_list/step", f"must be a list, found {_kind(steps)}")
            steps = []
        self.unique_ids(steps)
        for i, step in enumerate(steps):
            self.step(step, i, steps, cohorts)
        seen: dict[str, int] = {}
        unique = []
        for c in cohorts:
            n = seen[c.id] = seen.get(c.id, 0) + 1
            unique.append(c if n == 1 else Cohort(f"{c.id}#{n}", c.rule, c.label, c.status))
        if not unique and not self.problems:
            self.problem(tl_line, "/treatment_list", "no match clause anywhere in the trial")
        if self.problems or trial_id is None:
            return None
        status = doc.get("status")
        title = doc.get("long_title") or doc.get("short_title") or doc.get("title")
        phase = doc.get("phase")
        return Trial(trial_id, tuple(unique), str(title) if title else None,
                     _PHASES.get(str(phase).strip().upper()) or phase_code(str(phase))
                     if phase else None,
                     _TRIAL_STATUS.get(str(status).strip().lower()) if status else None,
                     source=self.name)

    def trial_id(self, doc: dict) -> str | None:
        nct = doc.get("nct_id")
        if isinstance(nct, str) and _NCT.match(nct.strip()):
            return nct.strip()
        proto = doc.get("protocol_no")
        if isinstance(proto, (str, int)) and not isinstance(proto, bool) and str(proto).strip():
            return str(proto).strip()
        self.problem(_line(doc), "", "no trial id: neither nct_id (NCT followed by 8 digits) "
                                     "nor protocol_no")
        return None

    def unique_ids(self, steps: list) -> None:
        """Internal ids name the step, arm or dose level a match is for: each kind unique."""
        seen: dict[tuple[str, Any], str] = {}

        def note(kind: str, obj: Any, pointer: str) -> None:
            if not isinstance(obj, dict) or f"{kind}_internal_id" not in obj:
                return
            key = (kind, obj[f"{kind}_internal_id"])
            if isinstance(key[1], (dict, list)):
                return
            line = _line(obj, f"{kind}_internal_id")
            if key in seen:
                self.problem(line, f"{pointer}/{kind}_internal_id",
                             f"duplicate {kind}_internal_id (also at {seen[key]})")
            else:
                seen[key] = f"{pointer}" + (f", line {line}" if line else "")

        for i, step in enumerate(steps):
            note("step", step, f"/treatment_list/step/{i}")
            arms = step.get("arm") if isinstance(step, dict) else None
            for j, arm in enumerate(arms if isinstance(arms, list) else []):
                note("arm", arm, f"/treatment_list/step/{i}/arm/{j}")
                levels = arm.get("dose_level") if isinstance(arm, dict) else None
                for k, lvl in enumerate(levels if isinstance(levels, list) else []):
                    note("level", lvl, f"/treatment_list/step/{i}/arm/{j}/dose_level/{k}")

    def suspended(self, obj: dict, key: str, pointer: str) -> bool:
        value = obj.get(key)
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().upper() in ("Y", "N", "YES", "NO"):
            return value.strip().upper().startswith("Y")
        self.problem(_line(obj, key), f"{pointer}/{key}", "must be Y or N")
        return False

    def step(self, step: Any, i: int, steps: list, cohorts: list[Cohort]) -> None:
        ptr = f"/treatment_list/step/{i}"
        if not isinstance(step, dict):
            self.problem(_line(steps, i), ptr, f"a step is a mapping, found {_kind(step)}")
            return
        arms = step.get("arm") or []
        if not isinstance(arms, list):
            self.problem(_line(step, "arm"), f"{ptr}/arm", f"must be a list, found {_kind(arms)}")
            arms = []
        code = _esc(step.get("step_code", i + 1))
        flags = [self.suspended(a, "arm_suspended", f"{ptr}/arm/{j}")
                 for j, a in enumerate(arms) if isinstance(a, dict)]
        step_closed = bool(flags) and all(flags)
        if "match" in step:
            self.clause(step, code, step.get("step_type"), step_closed, f"{ptr}/match", cohorts)
        for j, arm in enumerate(arms):
            aptr = f"{ptr}/arm/{j}"
            if not isinstance(arm, dict):
                self.problem(_line(arms, j), aptr, f"an arm is a mapping, found {_kind(arm)}")
                continue
            acode = f"{code}/{_esc(arm.get('arm_code', j + 1))}"
            arm_closed = self.suspended(arm, "arm_suspended", aptr)
            if "match" in arm:
                self.clause(arm, acode, arm.get("arm_description"), arm_closed,
                            f"{aptr}/match", cohorts)
            levels = arm.get("dose_level") or []
            if not isinstance(levels, list):
                self.problem(_line(arm, "dose_level"), f"{aptr}/dose_level",
                             f"must be a list, found {_kind(levels)}")
                continue
            for k, lvl in enumerate(levels):
                lptr = f"{aptr}/dose_level/{k}"
                if not isinstance(lvl, dict):
                    self.problem(_line(levels, k), lptr,
                                 f"a dose level is a mapping, found {_kind(lvl)}")
                    continue
                closed = self.suspended(lvl, "level_suspended", lptr) or arm_closed
                if "match" in lvl:
                    self.clause(lvl, f"{acode}/{_esc(lvl.get('level_code', k + 1))}",
                                lvl.get("level_description"), closed, f"{lptr}/match", cohorts)

    def clause(self, owner: dict, cid: str, label: Any, closed: bool | None, pointer: str,
               cohorts: list[Cohort]) -> None:
        items = owner["match"]
        line = _line(owner, "match")
        if items is None or items == []:
            return  # an empty clause matches nobody in MatchMiner: no cohort
        if not isinstance(items, list):
            self.problem(line, pointer, f"match must be a list, found {_kind(items)}")
            return
        nodes = [self.node(item, f"{pointer}/{i}", _line(items, i) or line)
                 for i, item in enumerate(items)]
        found = tuple(n for n in nodes if n is not None)
        if len(found) != len(nodes):
            return
        rule = All(found, prov=Provenance(section="cohort", text=str(label) if label
                                                 else None, source=self.where(line)))
        cohorts.append(Cohort(cid, rule, str(label) if label not in (None, "") else None,
                              CLOSED if closed else None))

    # -- the match tree
    def node(self, item: Any, pointer: str, line: int | None) -> Node | None:
        if not isinstance(item, dict) or len(item) != 1:
            self.problem(_line(item) or line, pointer,
                         "a match node is a mapping with one key: and, or, clinical or genomic")
            return None
        (kind, value), = item.items()
        kline = _line(item, kind) or line
        if kind not in NODE_KINDS:
            self.problem(kline, f"{pointer}/{kind}", f"unknown CTML node {str(kind)!r}; "
                                                     f"expected {', '.join(NODE_KINDS)}")
            return None
        if kind in ("and", "or"):
            if not isinstance(value, list) or not value:
                self.problem(kline, f"{pointer}/{kind}", "must be a non-empty list of nodes")
                return None
            kids = [self.node(v, f"{pointer}/{kind}/{i}", _line(value, i) or kline)
                    for i, v in enumerate(value)]
            found = tuple(k for k in kids if k is not None)
            if len(found) != len(kids):
                return None
            return All(found) if kind == "and" else AnyOf(found)
        if not isinstance(value, dict) or not value:
            self.problem(kline, f"{pointer}/{kind}", "must be a non-empty mapping of fields")
            return None
        allowed = CLINICAL_FIELDS if kind == "clinical" else GENOMIC_FIELDS
        bad = [k for k in value if k not in allowed]
        for k in bad:
            self.problem(_line(value, k) or kline, f"{pointer}/{kind}/{k}",
                         f"unknown CTML {kind} field {str(k)!r}")
        if bad:
            return None
        fields = {str(k): _plain(v) for k, v in value.items()}
        text = "; ".join(f"{k}: {v}" for k, v in fields.items())
        prov = self.prov(f"{kind}: {text}", kline)
        node = (self.clinical(fields, pointer, kline) if kind == "clinical"
                else genomic_node(fields, self.ontology))
        return _stamp(node, prov)

    def clinical(self, fields: dict[str, Any], pointer: str, line: int | None) -> Node:
        items: list[Node] = []
        residue: dict[str, Any] = {}
        for key, raw in fields.items():
            node = clinical_field(key, raw, self.ontology)
            if node is None:
                residue[key] = raw
                if key == "oncotree_primary_diagnosis":
                    self.notes.append(f"{self.where(line)}: {pointer}/clinical/{key}: "
                                      "not an OncoTree name trialmatch knows; kept for "
                                      "manual review")
            else:
                items.append(node)
        if residue:
            items.append(_residue("clinical", residue))
        return items[0] if len(items) == 1 else All(tuple(items))


def _stamp(node: Node, prov: Provenance) -> Node:
    from trialmatch.ingest.curated import _stamp as stamp

    return stamp(node, prov)


def _residue(kind: str, fields: dict[str, Any]) -> Unparsed:
    return Unparsed(f"{kind}: {json.dumps(fields, ensure_ascii=False)}", reason=RESIDUE)


def _negated(value: Any) -> tuple[Any, bool]:
    if isinstance(value, str) and value.startswith("!"):
        return value[1:], True
    return value, False


def _number(text: Any) -> tuple[str, float] | None:
    m = _NUMBER.match(str(text)) if isinstance(text, (str, int, float)) else None
    if m is None:
        return None
    return _OPS[m.group(1)], float(m.group(2))


def clinical_field(key: str, raw: Any, ontology: Any) -> Node | None:
    """The leaf of one clinical field (negated by a leading `!`), or None when trialmatch
    does not evaluate it (the caller keeps it for manual review)."""
    value, neg = _negated(raw)
    node: Node | None = None
    if key in ("age_numerical", "tmb_numerical"):
        parsed = _number(value)
        if parsed is not None:
            op, num = parsed
            node = Age(op, num) if key == "age_numerical" else Measurement("tmb", op, num)
    elif key == "oncotree_primary_diagnosis" and isinstance(value, str):
        code = {"_SOLID_": "SOLID", "_LIQUID_": "HEME"}.get(value.strip())
        if code is None and ontology is not None:
            code = ontology.cancer_code(value)
        node = Diagnosis(code) if code else None
    elif key == "gender" and isinstance(value, str) and value.strip().lower() in ("male",
                                                                                 "female"):
        node = Sex(value.strip().lower())
    elif key in ("her2_status", "er_status", "pr_status") and isinstance(value, str) and \
            value.strip().lower() in ("positive", "negative"):
        node = Measurement(key.split("_")[0], "=", value.strip().lower())
    if node is None:
        return None
    return Not(node) if neg else node


def _gene(value: Any, ontology: Any) -> str | None:
    if not isinstance(value, str) or not value.strip() or value.strip() == "None":
        return None
    symbol = value.strip()
    if ontology is not None:
        found = ontology.gene_symbol(symbol)
        if found is not None and (found == symbol or ontology.has_gene(found)):
            return found
    return symbol


def genomic_node(raw: dict[str, Any], ontology: Any) -> Node:
    """The tree of one genomic node: what trialmatch evaluates, plus an unparsed node for
    the fields it does not, all negated when any field carries `!`."""
    fields: dict[str, Any] = {}
    neg = False
    for k, v in raw.items():
        if k == "display_name":
            continue
        fields[k], n = _negated(v)
        neg = neg or n
    rest = dict(fields)
    evaluable = _evaluable(rest, ontology)
    if evaluable is None:
        rest = dict(fields)
    node: Node
    if evaluable is None:
        node = _residue("genomic", rest or {"display_name": raw.get("display_name")})
    elif rest:
        node = All((evaluable, _residue("genomic", rest)))
    else:
        node = evaluable
    return Not(node) if neg else node


def _take(rest: dict[str, Any], *keys: str) -> None:
    for k in keys:
        rest.pop(k, None)


def _evaluable(rest: dict[str, Any], ontology: Any) -> Node | None:
    """The evaluable part of a genomic node; consumed fields are removed from `rest`."""
    cat_raw = rest.get("variant_category")
    cat = _CATEGORIES.get(cat_raw.strip().lower()) if isinstance(cat_raw, str) else None
    if cat_raw is not None and cat is None:
        return None
    gene = _gene(rest.get("hugo_symbol"), ontology)
    if rest.get("wildtype") is False:
        rest.pop("wildtype")
    status = [k for k in ("ms_status", "mmr_status") if k in rest]
    if status:
        sigs = []
        for k in status:
            name = (_MS if k == "ms_status" else _MMR).get(str(rest[k]))
            if name is None:
                return None
            sigs.append(Signature(name))
        _take(rest, *status)
        if cat == "Signature":
            rest.pop("variant_category")
        if rest.get("hugo_symbol") in ("None", None, ""):
            rest.pop("hugo_symbol", None)
        return sigs[0] if len(sigs) == 1 else All(tuple(sigs))
    if rest.get("wildtype") is True:
        if gene is None or cat not in (None, "Mutation"):
            return None
        _take(rest, "wildtype", "hugo_symbol", "variant_category")
        return Alteration(gene, "wildtype")
    if cat is None:
        if any(k in rest for k in ("protein_change", "wildcard_protein_change", "exon")):
            cat = "Mutation"
        elif "cnv_call" in rest:
            cat = "CNV"
        elif "fusion_partner_hugo_symbol" in rest:
            cat = "SV"
        elif gene is not None and not (set(rest) & set(SIGNATURE_FIELDS)):
            _take(rest, "hugo_symbol")
            return Alteration(gene, "any")
        else:
            return None
    if cat == "SV":
        return _fusion(rest, ontology)
    if gene is None:
        return None
    if cat == "Mutation":
        return _mutation(rest, gene)
    if cat == "CNV":
        call = rest.get("cnv_call")
        if call is None:
            node: Node = AnyOf((Alteration(gene, "amplification"), Alteration(gene, "deletion")))
        else:
            kind = _CNV_CALLS.get(str(call).strip().lower())
            if kind is None:
                return None
            node = Alteration(gene, kind)
        _take(rest, "hugo_symbol", "variant_category", "cnv_call")
        return node
    if cat == "Any" and not (set(rest) - {"hugo_symbol", "variant_category"}):
        _take(rest, "hugo_symbol", "variant_category")
        return AnyOf((Alteration(gene, "mutation"), Alteration(gene, "amplification"),
                      Alteration(gene, "deletion")))
    return None


def _mutation(rest: dict[str, Any], gene: str) -> Node | None:
    variant = None
    for key in ("protein_change", "wildcard_protein_change"):
        if key not in rest:
            continue
        if variant is not None:
            return None
        try:
            variant = normalize_protein(str(rest[key]))
        except ValueError:
            return None
        if variant is None:
            return None
        if key == "wildcard_protein_change":
            codon = codon_of(variant)
            if codon is None or variant not in (codon, codon + "X"):
                return None
            variant = codon
        elif variant_mode(variant) == "codon":
            return None  # a bare codon in protein_change is an exact string in MatchMiner
    exon = rest.get("exon")
    if exon is not None and not (isinstance(exon, int) and not isinstance(exon, bool)
                                 and exon > 0):
        return None
    _take(rest, "hugo_symbol", "variant_category", "protein_change", "wildcard_protein_change",
          "exon")
    return Alteration(gene, "mutation", variant=variant, exon=exon)


def _fusion(rest: dict[str, Any], ontology: Any) -> Node | None:
    left_raw, right_raw = rest.get("hugo_symbol"), rest.get("fusion_partner_hugo_symbol")
    anyg = ("any_gene",)
    left = None if str(left_raw).lower() in anyg else _gene(left_raw, ontology)
    right = None if str(right_raw).lower() in anyg else _gene(right_raw, ontology)
    intergenic = isinstance(right, str) and right.lower() == "intergenic"
    if left is None and right is None:
        return None
    _take(rest, "variant_category", "hugo_symbol")
    if intergenic:
        rest["fusion_partner_hugo_symbol"] = right_raw  # no gene: kept for review
        return Fusion(left) if left else None
    rest.pop("fusion_partner_hugo_symbol", None)
    if left is None:
        return Fusion(right) if right is not None else None  # (both None: returned above)
    return Fusion(left, partner=right)


def read_ctml(path: str | Path, ontology: Any = None) -> tuple[Trial, list[str]]:
    """The trial of one CTML file and notes (unknown diagnosis names kept for review);
    raise `InputError` listing every problem (file:line: pointer: problem)."""
    path = Path(path)
    doc, _ = _read_document(path)
    reader = _Reader(path, ontology)
    trial = reader.trial(doc)
    if reader.problems or trial is None:
        lines = [f"{reader.where(line)}: {msg}" for line, msg in
                 sorted(reader.problems, key=lambda p: p[0])]
        n = len(lines)
        raise InputError(f"{path}: invalid CTML trial ({n} problem{'s' if n != 1 else ''})",
                         lines)
    return trial, reader.notes
