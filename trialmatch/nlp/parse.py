"""Public parsing API: eligibility text or a registry record to a `Trial` rule tree."""

from __future__ import annotations

import gc
import re
from contextlib import contextmanager
from dataclasses import replace
from functools import lru_cache

from spacy.tokens import Doc

from trialmatch.ingest.record import Record
from trialmatch.nlp.assemble import ANY_CANCER, cohort_rules, criteria_nodes
from trialmatch.nlp.consistency import without_conflicts
from trialmatch.nlp.histology import histology_items
from trialmatch.nlp.pipeline import analyse, lexicon_of, pipeline
from trialmatch.nlp.population import (
    one_cancer,
    population_leaf,
    required_codes,
    without_contradictions,
)
from trialmatch.nlp.resources import spread_terms, umbrella_codes
from trialmatch.nlp.simplify import simplify
from trialmatch.nlp.summary import summary_population, with_summary_cohort
from trialmatch.rules.nodes import (
    Age,
    All,
    AnyOf,
    Diagnosis,
    Node,
    Not,
    Provenance,
    Sex,
    Unparsed,
)
from trialmatch.rules.trial import Cohort, Trial

MAX_CHARS = 2_000_000  # text beyond this is kept whole as one unparsed criterion


def parse_doc(text: str, ontology=None) -> Doc:
    """The processed spaCy Doc (layout and mentions), e.g. for highlighting."""
    nlp = pipeline(ontology)
    nlp.max_length = max(nlp.max_length, MAX_CHARS + 1)  # spaCy's own limit is lower
    return nlp(text[:MAX_CHARS])


@contextmanager
def _gc_paused():
    """Parsing allocates many small acyclic objects; the cyclic garbage collector would scan
    them again and again (a quarter of the time on a long text). Paused, then restored."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse_eligibility(text: str, trial_id: str = "text", ontology=None,
                      leading: tuple[Node, ...] = ()) -> Trial:
    """Parse eligibility text into a Trial: one rule per cohort, every node with provenance."""
    text = text or ""
    with _gc_paused():
        read = text[:MAX_CHARS]
        layout, mentions = analyse(read, ontology)  # what parse_doc gives, without its Doc
        pairs = criteria_nodes(layout, read, mentions)
        section = layout.criteria[-1].section if layout.criteria else "inclusion"
        cohorts = cohort_rules(layout, pairs, leading, _overflow(text, section))
    return Trial(trial_id, tuple(replace(c, rule=simplify(c.rule)) for c in cohorts))


def _overflow(text: str, section: str) -> tuple[Node, ...]:
    """Text past MAX_CHARS, kept for manual review rather than parsed."""
    rest = text[MAX_CHARS:]
    if not rest.strip():
        return ()
    return (Unparsed(rest, reason="too long to parse", prov=Provenance(
        section, MAX_CHARS, len(text), rest, "parse.max_chars")),)


def structured_leaves(record: Record) -> tuple[Node, ...]:
    """Age and sex leaves from the record's structured fields (section "structured")."""
    out: list[Node] = []
    if record.min_age is not None and record.min_age > 0:
        out.append(Age(">=", record.min_age, prov=Provenance(
            "structured", None, None, record.min_age_text, "ctgov.minimumAge")))
    if record.max_age is not None and record.max_age > 0:
        out.append(Age("<=", record.max_age, prov=Provenance(
            "structured", None, None, record.max_age_text, "ctgov.maximumAge")))
    if record.sex in ("FEMALE", "MALE"):
        out.append(Sex(record.sex.lower(), prov=Provenance(
            "structured", None, None, record.sex, "ctgov.sex")))
    return tuple(out)


# a condition that is only an abbreviation written in lower case ("mds", "nsclc"): the
# registry's field names a disease, so the abbreviation is the cancer's
_LOWER_ABBREVIATION = re.compile(r"\s*[a-z]{2,6}\s*")


def condition_leaf(conditions: tuple[str, ...], ontology=None) -> Node | None:
    """The cancer types a record's conditions name, as one requirement (None: none named).

    A ClinicalTrials.gov record lists the conditions it studies ("Non-small Cell Lung
    Cancer"); many eligibility texts never restate them. Each condition is read with the
    parser's own cancer-type vocabulary; an unrecognised one (a symptom, "Healthy") adds
    nothing, so it can only narrow a trial to the cancers it names. Metastases named by
    their site alone ("Brain Metastases") are any solid tumour's (data/conditions.yaml
    `spread`)."""
    if ontology is None:
        from trialmatch.ontology import default_ontology

        ontology = default_ontology()
    codes: dict[str, str] = {}
    sites: dict[str, str] = {}
    for condition in conditions:
        found = _condition_codes(condition, ontology)
        site = _spread_site(condition, found, ontology)
        if site is not None:
            sites.setdefault(site, condition)
            continue
        for code in found:
            codes.setdefault(code, condition)
    # metastases at a site are any solid tumour's, unless another condition names the
    # cancer they came from (a cancer of another tissue: "Breast Cancer", "Brain Metastases")
    if sites and all(ontology.tissue_of(code) in sites for code in codes):
        codes.setdefault("SOLID", next(iter(sites.values())))
    if not codes:  # "Cancer", "Neoplasms", "Advanced Malignancies": any cancer at all
        generic = next((c for c in conditions if _GENERIC_CONDITION.fullmatch(c)), None)
        if generic is not None:
            codes[ANY_CANCER] = generic
    leaves = tuple(Diagnosis(code, prov=Provenance("structured", None, None, text,
                                                   "ctgov.conditions"))
                   for code, text in codes.items())
    if not leaves:
        return None
    if len(leaves) == 1:
        return leaves[0]
    return AnyOf(leaves, prov=Provenance("structured", None, None, "; ".join(conditions),
                                         "ctgov.conditions"))


def _condition_codes(condition: str, ontology) -> tuple[str, ...]:
    """The cancer types one condition names, read as the registry writes them."""
    parts = [p.strip() for p in condition[:500].split(",")]
    # MeSH order with two qualifiers or more ("Leukemia, Myelocytic, Acute"): the words
    # read in reverse order name the disease; the head alone ("Leukemia") is too wide
    # the same with one qualifier after a one-word head ("Melanoma, Uveal"): the head
    # alone would name the wider type
    mesh = len(parts) > 2 or (len(parts) == 2 and len(parts[0].split()) == 1)
    found = _cancer_codes(" ".join(reversed(parts)), ontology) if mesh else ()
    found = found or _cancer_codes(condition[:500], ontology)
    if not found and len(parts) == 2:  # MeSH order: "Carcinoma, Non-Small-Cell Lung"
        found = _cancer_codes(f"{parts[1]} {parts[0]}", ontology)
    if not found and _LOWER_ABBREVIATION.fullmatch(condition):
        found = _cancer_codes(condition.strip().upper(), ontology)  # "aml", "nsclc"
    return found


def _spread_site(condition: str, found: tuple[str, ...], ontology) -> str | None:
    """The tissue a condition names as the site of metastases with no primary cancer
    ("Brain Metastases", "Metastatic Brain Tumor": the brain is where they are, not what
    they are), else None."""
    site = next((tissue for tissue, terms in spread_terms() if terms.search(condition[:500])),
                None)
    tissue_of = getattr(ontology, "tissue_of", None)
    if site is None or tissue_of is None or not all(tissue_of(code) in (code, None)
                                                    for code in found):
        return None
    return site


@lru_cache(maxsize=8192)
def _cancer_codes(text: str, ontology) -> tuple[str, ...]:
    """The cancer types one condition names (cached: registries repeat conditions)."""
    return tuple(code for m in analyse(text, ontology)[1] if m.label == "cancer"
                 for code in (umbrella_codes(text[m.start:m.end], m.data["code"])
                              or (m.data["code"],)))


def _requires_diagnosis(node: Node, negated: bool = False) -> bool:
    """True when the tree requires a cancer type (a diagnosis not under a `not`)."""
    if isinstance(node, Diagnosis):
        return not negated
    if isinstance(node, Not):
        return _requires_diagnosis(node.item, not negated)
    if isinstance(node, (All, AnyOf)):
        return any(_requires_diagnosis(c, negated) for c in node.children)
    return False


# cancer types that name no disease of their own: any solid tumour, any cancer, any blood cancer
_GENERIC_TYPES = frozenset({"SOLID", "TISSUE", "HEME"})


# a condition that names any cancer ("Cancer", "Advanced Solid Tumors", "Neoplasms")
_GENERIC_CONDITION = re.compile(r"(?i)\s*(?:(?:advanced|metastatic|refractory|unspecified|"
                                r"adult|childhood|solid|malignant|other)[\s,]+){0,3}(?:cancers?|"
                                r"tumou?rs?|neoplasms?|malignanc(?:y|ies)|carcinomas?)\s*")


def _generic_type_only(rule: Node) -> bool:
    """Whether every cancer type the cohort requires is a generic one ("a metastatic solid
    tumour"): the record's conditions then say which cancers the trial studies."""
    codes = required_codes(rule)
    return bool(codes) and codes <= _GENERIC_TYPES


def _narrower(leaf: Node, rule: Node, ontology) -> bool:
    """Whether every cancer type of the conditions `leaf` is a kind of a type `rule`
    requires ("metastatic colorectal cancer" under "solid tumour"): the conditions narrow
    the text's generic type, as a coordinator reads a record (a condition outside it, or a
    generic one, leaves the text's type alone)."""
    ont = ontology if ontology is not None else _default_ontology()
    codes = required_codes(leaf)
    wide = required_codes(rule)
    return bool(codes) and not codes & _GENERIC_TYPES and all(
        any(ont.is_a_relation(w, code) == 2 for w in wide) for code in codes)


def parse_record(record: Record, ontology=None) -> Trial:
    """Parse a registry record: its text, plus title, phase, status, conditions, age, sex.

    A cohort whose criteria name no cancer type gets the cancer types of the record's
    conditions as a requirement, right after the structured age and sex. A biomarker
    population stated only in the brief summary adds a cohort (`nlp.summary`)."""
    leading = structured_leaves(record)
    parsed = parse_eligibility(record.eligibility, record.nct_id, ontology, leading)
    cohorts = parsed.cohorts
    if any(not _requires_diagnosis(c.rule) or _generic_type_only(c.rule) for c in cohorts):
        leaf = condition_leaf(tuple(record.conditions), ontology)
        if leaf is not None:
            # (not where another cohort names a cancer type of its own: "phase I: any solid
            # tumour; phase II: medullary thyroid cancer" - that part is what the conditions
            # name, and the generic part stays as written)
            narrows = not any(_GENERIC_CONDITION.fullmatch(c) for c in record.conditions) \
                and not any(_requires_diagnosis(c.rule) and not _generic_type_only(c.rule)
                            for c in cohorts)
            cohorts = tuple(c if _requires_diagnosis(c.rule) and not (
                narrows and _generic_type_only(c.rule) and _narrower(leaf, c.rule, ontology))
                else _with_leading(c, leaf, len(leading)) for c in cohorts)
    population = population_leaf(tuple(record.conditions), record.title,
                                 all(_requires_diagnosis(c.rule) for c in cohorts),
                                 record.eligibility)
    if population is not None:
        cohorts = tuple(_with_leading(c, population, 0) for c in cohorts)
    ont = ontology if ontology is not None else _default_ontology()
    subtypes = lexicon_of(ontology).subtypes
    cohorts = tuple(replace(c, rule=without_contradictions(
        histology_items(one_cancer(c.rule, ont), subtypes), ont)) for c in cohorts)
    cohorts = tuple(_consistent(c, ont, record) for c in cohorts)
    from_summary = summary_population(
        record.summary, lambda text: parse_eligibility(text, record.nct_id, ontology),
        _may_name_biomarker(ontology))
    cohorts = with_summary_cohort(cohorts, from_summary)
    return Trial(record.nct_id, cohorts, record.title, record.phase, record.status,
                 tuple(record.conditions), record.source)


_MARKER_WORDS = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-/]*")
_SIGNATURE_WORDS = re.compile(r"(?i)microsatellite|mismatch|\bmsi|\bdmmr|\btmb\b|mutational|"
                              r"homologous|\bhrd\b|philadelphia|\bt\s?\(|\binv\s?\(|"
                              r"triple[- ]negative|receptor|claudin|cyclin|kinase")


@lru_cache(maxsize=4)
def _may_name_biomarker(ontology):
    """A cheap test that a text may name a biomarker: a word that starts a gene name, or a
    signature or alteration word (the full parse runs only then)."""
    lexicon = pipeline(ontology).get_pipe("trialmatch_entities").lexicon
    first = lexicon.gene_first

    def test(text: str) -> bool:
        return bool(_SIGNATURE_WORDS.search(text)) or any(
            (w.isupper() or any(c.isdigit() or c.isupper() for c in w[1:]))
            and w.upper() in first for w in _MARKER_WORDS.findall(text))

    return test


def _consistent(cohort: Cohort, ont, record: Record) -> Cohort:
    """The cohort with criteria no patient can meet together left for manual review
    (`nlp.consistency`); a cohort that so loses every cancer type it required takes the
    record's conditions instead."""
    rule = without_conflicts(cohort.rule, ont)
    if rule is cohort.rule:
        return cohort
    cohort = replace(cohort, rule=rule)
    if not _requires_diagnosis(rule):
        leaf = condition_leaf(tuple(record.conditions), ont)
        if leaf is not None:
            cohort = _with_leading(cohort, leaf, 0)
    return cohort


def _default_ontology():
    from trialmatch.ontology import default_ontology

    return default_ontology()


def _with_leading(cohort: Cohort, node: Node, after: int) -> Cohort:
    rule = cohort.rule
    items = list(rule.children) if isinstance(rule, All) else [rule]
    items.insert(after, node)
    return replace(cohort, rule=All(tuple(items), prov=rule.prov))
