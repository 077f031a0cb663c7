"""Assembly: criteria and their findings into one rule tree per cohort.

A criterion's findings are joined by the words between them ("A or B" -> any, otherwise
all); a criterion with no finding is kept whole as `unparsed`. Each cohort's rule is
`all(inclusion criteria..., not(exclusion criterion)...)`; criteria outside any cohort
heading apply to every cohort. A list introduced by "one of the following:" is an `any`.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import lru_cache
from math import inf

from trialmatch.nlp.evidence import with_evidence
from trialmatch.nlp.findings import (
    BRACKET_EXCEPT,
    IF_CAUSE,
    SENTENCE_BREAK,
    Context,
    Unit,
    prefixes_spell,
    prior_heading,
    units,
)
from trialmatch.nlp.firstchar import probe
from trialmatch.nlp.mentions import Mention
from trialmatch.nlp.phrases import EXAMPLE_OPENERS
from trialmatch.nlp.population import diagnosis_choice, required_codes
from trialmatch.nlp.resources import list_headers, places, sites, spread_terms, umbrella_codes
from trialmatch.nlp.sections import PART_LABEL
from trialmatch.nlp.segment import Criterion, Layout
from trialmatch.nlp.treatment_state import ANY_TREATMENT, is_procedure, is_state
from trialmatch.rules.nodes import (
    BIOMARKERS,
    Age,
    All,
    AnyOf,
    Diagnosis,
    Measurement,
    Node,
    Not,
    Performance,
    PriorTherapy,
    Provenance,
    Sex,
    Stage,
    Unparsed,
    walk,
)
from trialmatch.rules.rewrite import rewrite
from trialmatch.rules.trial import Cohort

_SPACES = re.compile(r"\s{2,}")
_GAP_WORD = re.compile(r"[A-Za-z]{2,}")
_ASIDE = re.compile(r"\([^()]{0,120}\)")
_OR = re.compile(r"(?i)(?:^|[\s,(])(?:or|and/or|either|nor)(?=[\s,)]|$)")
# A gap that only separates the items of one list: commas, slashes, conjunctions, articles.
_LIST_GAP = re.compile(r"(?i)[\s,/|、，]*(?:(?:and/or|or|and|nor|as well as|plus|a|an|the|"
                       r"any|other|respective|corresponding|fusion\s+transcripts?|"
                       # (the salt or form of a drug before: "doxorubicin HCl liposome, ...")
                       r"hydrochloride|hcl|liposomes?|mesylate|citrate|maleate|tosylate|"
                       r"besylate|sulfate|sulphate|"
                       r"transcripts?)\b[\s,/|、，]*)*")
# The treatment words said again for the next item of a list ("A as well as any prior
# therapies with other B"), no break in it.
_RESTATED = re.compile(r"(?i)\b(?:prior|previous)\s+(?:therap(?:y|ies)|treatments?)(?:\s+with)?\b")
# Words between treatments of an exclusion that make them one combined treatment.
_COMBINED = re.compile(r"(?i)\b(?:both|combinations?|combined|plus|together|with|followed)\b")
# Words before a run of findings that announce alternatives ("one of", "such as", "e.g.",
# "at least one other agent [A, B, C]").
_ALTERNATIVES = re.compile(r"(?i)(?:\b(?:one|any|either|each)\s+of\b|\bsuch\s+as\b|"
                           r"\bincluding\b|\bto\s+include\b|\be\.\s?g\.|\beg\b|\bfor\s+(?:example|instance)\b|"
                           r"[(,]\s*examples?\b|\b(?:the|these)\s+following\b|"
                           r"\bfollowing\b[^.;,]{0,30}[:：]|"
                           r"\btypes?\b[^.;]{0,20}:|\beither\b|"
                           r"\bat\s+least\s+one\s+(?:other\s+)?[a-z\-]+(?:\s+[a-z\-]+)?\s*[(\[])"
                           r"[^.;]{0,60}$")
# "one of the following diseases. 1) A ... 2) B": a numbered list of alternatives
_NUMBERED_ONE_OF = re.compile(r"(?i)\b(?:one|any|either)\s+of\s+the\s+following\b[^.;:]{0,30}"
                              r"[.:]\s*\(?\d{1,2}\)\s*[^.;]{0,40}$")
# "including patients with X": the examples named as the people who have them
_PEOPLE_WITH = r"(?:(?:patients|those|subjects|people|participants)\s+(?:with|who\s+have|having)\s+)?"
# An opening parenthesis or an example cue right after a finding: what follows names
# examples or synonyms of that finding, not further requirements.
_EXAMPLES = re.compile(r"(?i)\s*\)?\s*(?:,?\s*[(\[]|,?\s*(?:e\.\s?g\.|eg\b|i\.\s?e\.|such\s+as|including|to\s+include|"
                       r"like|namely|for\s+(?:example|instance))\b)[\s,:]*(?:e\.\s?g\.|eg\b|"
                       r"i\.\s?e\.|such\s+as|including|like|examples?|for\s+(?:example|instance))?"
                       r"[\s,:.]*(?:(?:but\s+)?not\s+limited\s+to[\s,:]*)?"
                       # ("solid tumours, including patients with lymphoma": the people)
                       rf"{_PEOPLE_WITH}"
                       # ("(e.g., inhibitors of BTK or PI3K)": the examples' own head)
                       r"(?:(?:an?\s+)?(?:selective\s+)?inhibitors?\s+of\s+(?:the\s+)?)?$")


def _names_cancer(node: Node) -> bool:
    """Whether a node only names a cancer type: a type, an `any` of types, or a type with
    kinds of it left out ("non-squamous NSCLC": all(NSCLC, not(LUSC)))."""
    if _is_type(node):
        return True
    return isinstance(node, All) and any(isinstance(n, Diagnosis) for n in node.items) and all(
        isinstance(n, Diagnosis) or isinstance(n, Not) and isinstance(n.item, Diagnosis)
        for n in node.items)


def _is_type(node: Node) -> bool:
    """A cancer type, or the types one umbrella name covers ("melanoma", "sarcoma")."""
    return _leaf_type(node) is Diagnosis


def _leaf_type(node: Node) -> type | None:
    """The leaf type of a leaf, or of an `any` of leaves of one type; None otherwise."""
    if isinstance(node, AnyOf):
        types = {_leaf_type(n) for n in node.items}
        return types.pop() if len(types) == 1 else None
    if isinstance(node, (All, Not, Unparsed)):
        return None
    return type(node)


def _history(node: Node) -> bool:
    """Whether a node speaks only of treatment history (or is left for review)."""
    if isinstance(node, (All, AnyOf, Not)):
        return all(_history(c) for c in node.children)
    return isinstance(node, (PriorTherapy, Unparsed))


def _bare(node: Node) -> Node:
    """The finding under a negation."""
    return node.item if isinstance(node, Not) else node


def _same_kind(a: Node, b: Node) -> bool:
    return _leaf_type(a) is not None and _leaf_type(a) is _leaf_type(b)


def _negated_biomarkers(nodes: tuple[Node, ...]) -> bool:
    """"No known EGFR mutation or ALK rearrangement", "EGFR-mutant or ALK-positive
    patients are excluded": negated findings of different biomarker kinds, one negation."""
    return all(isinstance(n, Not) and n.stated is None
               and _leaf_type(n.item) in BIOMARKERS for n in nodes)


# "(SERMs)" between a name and its examples: the name's abbreviation, skipped.
_ABBREVIATION = re.compile(r"^\s*\([A-Za-z0-9/\- ]{1,15}\)")
_ABBREVIATION_AT = re.compile(_ABBREVIATION.pattern[1:])


def _example_of(head: Node, example: Node) -> bool:
    """Whether `example` can be an example of `head`: the same kind of finding (cancer types
    also when one is written with kinds of it left out: "non-haematological malignancy
    including sarcoma"), or a drug
    named as an example of a treatment class read only for manual review ("VEGF-targeted
    therapy (e.g. sunitinib)": the drug is one member of it)."""
    return _same_kind(head, example) or _names_cancer(head) and _names_cancer(example) or (
        isinstance(head, Unparsed) and _leaf_type(example) is PriorTherapy)


def _defines(head: Node, inner: list[Node]) -> bool:
    """Whether bracketed measurements define the measured head rather than list examples."""
    return isinstance(head, Measurement) and all(
        isinstance(n, Measurement) and n.marker == head.marker for n in inner)


def _spells_out(head: Node, inner: list[Node], gap: str) -> bool:
    """"clear cell RCC (renal cell carcinoma)", "hairy cell leukaemia (HCL)": a bracket right
    after a cancer type that names only that type or broader ones spells out an abbreviation
    (or gives one); it offers no alternative."""
    if not isinstance(head, Diagnosis) or not gap.lstrip().startswith("("):
        return False
    from trialmatch.ontology import default_ontology

    relation = default_ontology().is_a_relation
    return all(isinstance(n, Diagnosis) and relation(n.code, head.code) == 2 for n in inner)


_BRACKET_END = re.compile(r"[ \t]{0,3}[)\]]")


def _abbreviated(head: Unit, after: Unit | None, text: str) -> bool:
    """Whether `after` is the head's abbreviation in brackets right after it: the same
    finding ("a proteasome inhibitor (PI)"), or a class the head's own treatment is in, the
    abbreviation of its last words ("VEGFR tyrosine kinase inhibitors (TKIs)")."""
    if after is None:
        return False
    a, h = _bare(after.node), _bare(head.node)
    if a != h and not (isinstance(a, PriorTherapy) and isinstance(h, PriorTherapy)
                       and _spells_tail(text[head.start:head.end], text[after.start:after.end])):
        return False
    m = _ABBREVIATION_AT.match(text, head.end)
    return m is not None and m.end() >= after.end


def _spells_tail(head: str, abbreviation: str) -> bool:
    """Whether an abbreviation ("TKIs") spells the last words of a head ("VEGFR tyrosine
    kinase inhibitors") by their first letters."""
    letters = re.sub(r"s$", "", abbreviation.strip()).lower()
    words = re.findall(r"[A-Za-z][\w']*", head)
    if letters.endswith("ab") and len(words) > 1 and words[-1].lower().startswith("antibod") \
            and prefixes_spell(words[-2:-1], letters[:-2]):
        return True  # ("monoclonal antibody (mAb)": "Ab", the usual short form of antibody)
    return len(letters) >= 2 and any(prefixes_spell(words[-k:], letters)
                                     for k in range(1, min(len(letters), len(words)) + 1))


# An example cue, then names not read before the first example read ("solid tumours including
# breast, lung, colon or sarcoma": the sites alone name no type)
_EXAMPLES_LISTED = re.compile(rf"(?i)\s*,?\s*{EXAMPLE_OPENERS}[\s,:]*(?:(?:but\s+)?not\s+limited\s+"
                              r"to[\s,:]*)?(?:[a-z][a-z /-]{0,25}?\s*(?:,|\bor\b|\band\b)\s*)+"
                              r"(?:(?:or|and)\s+)?")
# A clause on the cancer, then its examples ("solid tumour for which a platinum doublet is
# standard care, such as ..."): the examples are of that cancer
_EXAMPLES_AFTER_CLAUSE = re.compile(rf"(?i)\s*,?\s*(?:(?:for|in)\s+which|where|that|whose)\b[^.;:()]{{0,160}}?"
                                    rf",?\s*\(?\s*{EXAMPLE_OPENERS}[\s,:]*{_PEOPLE_WITH}")
# A short qualifier of the cancer, then its examples ("CML in blast phase, including Ph+ ALL",
# "lymphoma with measurable disease, such as ..."): no finding read in the qualifier
_EXAMPLES_AFTER_QUALIFIER = re.compile(rf"(?i)\s+(?:in|with|at)\s+[a-z][a-z \-]{{1,40}}?"
                                       rf",\s*{EXAMPLE_OPENERS}[\s,:]*{_PEOPLE_WITH}")
# A bracketed exception right after a head, with no finding read in it ("(except squamous
# cell of the lung)"): skipped on the way to the head's examples
_EXCEPTION_AHEAD = re.compile(BRACKET_EXCEPT.pattern + r"[^()\[\]]{0,80}[)\]]")


def _examples_end(found: list[Unit], i: int, text: str) -> int:
    """The index after the last example of the head `found[i]` (i + 1 when none follows):
    the findings after an example cue or an opening bracket, of the head's kind and in the
    same bracket; the head's abbreviation in brackets right after it is skipped."""
    head = found[i]
    j = i + 1
    if _abbreviated(head, found[j] if j < len(found) else None, text):
        j += 1  # "an immunomodulatory drug (IMiD) (e.g. ...)": the head again
    start = found[j - 1].end
    if j < len(found) and (carved := _EXCEPTION_AHEAD.match(text, start)) is not None \
            and carved.end() <= found[j].start:
        start = carved.end()  # "malignancy (except X) including A, B": the examples follow
    # (a closed bracket in between is an aside: "breast cancer (stage IV disease) including
    # inflammatory breast cancer")
    gap = _CLOSED_BRACKET.sub(" ", _ABBREVIATION.sub(" ", text[start:found[j].start])) \
        if j < len(found) else "x"
    # ("a platinum-containing regimen (carboplatin, cisplatin)": drugs of the class in a
    # bracket after the regimen it names are its examples; a regimen's bracket that names
    # drugs of other classes lists what it combines, "(carboplatin, paclitaxel)")
    members = j < len(found) and _CLASS_REGIMEN_GAP.fullmatch(gap) is not None \
        and _members_of(_bare(head.node), [_bare(u.node) for u in found[j:]])
    if not _EXAMPLES.fullmatch(gap) and not members and not (
            j < len(found) and _names_cancer(_bare(head.node))
            and _names_cancer(_bare(found[j].node)) and (
                _EXAMPLES_LISTED.fullmatch(gap) or _EXAMPLES_AFTER_CLAUSE.fullmatch(gap)
                or _EXAMPLES_AFTER_QUALIFIER.fullmatch(gap))):
        return j
    opening = _open_bracket(text, start, found[j].start)
    close = text.find(")", opening) if opening != -1 else -1
    limit = close if close != -1 else None
    first = j  # (the gap before the first example is the cue's, checked above)
    while j < len(found):
        width = 2 if _kind_with_marker(found, j, _bare(head.node), text) else 1
        example = found[j + width - 1]
        if not (width == 2 or _example_of(_bare(head.node), _bare(example.node))) or (
                # "sarcoma (leiomyosarcoma excluded)": ruled out, not an example
                isinstance(head.node, Not) != isinstance(example.node, Not)) or (
                limit is not None and example.end > limit) or (
                j != first and len(text[found[j - 1].end:found[j].start]) >= 60):
            break
        j += width
    return j


def _type_below(kind: Node, head: Node) -> bool:
    """Whether every type `kind` names is the head's type or below one of them."""
    from trialmatch.ontology import default_ontology

    relation = default_ontology().is_a_relation
    heads = [n.code for n in walk(head) if isinstance(n, Diagnosis)] if not isinstance(
        head, Diagnosis) else [head.code]
    kinds = [n.code for n in walk(kind) if isinstance(n, Diagnosis)]
    return bool(kinds) and all(any(relation(h, k) == 2 for h in heads) for k in kinds)


_MARKER_GAP = re.compile(r"[\s\-]{0,3}")


def _kind_with_marker(found: list[Unit], j: int, head: Node, text: str) -> bool:
    """Whether found[j] and found[j + 1] are one example of the cancer type `head`: a kind of
    it named with its marker ("myeloproliferative neoplasms, including Ph-negative CML"; not
    "CML, including Ph+ ALL", another population)."""
    return _names_cancer(head) and _marker_of_type(found, j, text) \
        and _type_below(_bare(found[j + 1].node), head)


def _marker_of_type(found: list[Unit], j: int, text: str) -> bool:
    """Whether found[j] is a marker written right before the cancer type found[j + 1]
    ("Ph-negative CML", "EGFR-mutant NSCLC"): one kind of cancer, named with its marker."""
    if j + 1 >= len(found) or not _is_type(_bare(found[j + 1].node)):
        return False
    node = _bare(found[j].node)
    return _leaf_type(node.item if isinstance(node, Not) else node) in BIOMARKERS \
        and _MARKER_GAP.fullmatch(text, found[j].end, found[j + 1].start) is not None


_CLOSED_BRACKET = re.compile(r"\([^()]*\)")
# a class named with its regimen word, then an opening bracket: "platinum-containing regimen (",
# "taxane-based chemotherapy ("
_CLASS_REGIMEN_GAP = re.compile(r"(?i)[\s-]*(?:based|containing)?\s*(?:chemotherapy\s+)?"
                                r"(?:regimens?|chemotherapy|therapy|treatment|doublets?|"
                                r"combinations?)\s*[(\[]\s*")


def _members_of(head: Node, following: list[Node]) -> bool:
    """Whether the head is a drug class and the drugs after it, up to the first that is not
    a named drug, are all of it (at least one)."""
    classes, _broad, concepts = _drug_classes()
    if not isinstance(head, PriorTherapy) or head.concept not in classes:
        return False
    named = []
    for node in following:
        if not isinstance(node, PriorTherapy) or node.concept in classes:
            break
        named.append(node)
    return bool(named) and all(head.concept in concepts(n.concept) for n in named)


def _open_bracket(text: str, start: int, end: int) -> int:
    """The last "(" in text[start:end] not closed before `end` (-1 if none)."""
    depth = 0
    for k in range(end - 1, start - 1, -1):
        if text[k] == ")":
            depth += 1
        elif text[k] == "(":
            if depth == 0:
                return k
            depth -= 1
    return -1


_GENERIC_KINDS = frozenset({"monoclonal_antibody", "tki", "kinase_inhibitor", "targeted_therapy",
                            "small_molecule"})


def _generic_kind_of(head: Node, example: Node) -> bool:
    """Whether `example` is a generic kind of drug (an antibody, a TKI) given as an example
    of a class it is not a kind of: a class named by its target ("EGFR inhibitors (TKIs
    and antibodies)"), not a wider one ("anticancer therapy (e.g. targeted agents)")."""
    if not (isinstance(head, PriorTherapy) and isinstance(example, PriorTherapy)
            and example.concept in _GENERIC_KINDS and head.concept not in _GENERIC_KINDS):
        return False
    from trialmatch.ontology import default_ontology

    return head.concept not in default_ontology().drug_concepts(example.concept)


def _examples(found: list[Unit], text: str) -> list[Unit]:
    """Fold parenthetical examples into their head: "a MEK inhibitor (trametinib or
    binimetinib)" is one criterion on the class and the named drugs."""
    # "VEGFR tyrosine kinase inhibitors (TKIs)": the bracket abbreviates the head's last
    # words, a wider class; it is the head again, not one more treatment
    found = [u for k, u in enumerate(found) if not (
        k and _bare(u.node) != _bare(found[k - 1].node) and _abbreviated(found[k - 1], u, text))]
    out: list[Unit] = []
    i = 0
    while i < len(found):
        head = found[i]
        j = _examples_end(found, i, text)
        if j > i + 1 and _defines(head.node, [u.node for u in found[i + 1:j]]):
            # "HER2 overexpression (IHC 3+)": the parenthesis says what the head means
            inner = tuple(u.node for u in found[i + 1:j])
            out.append(Unit(inner[0] if len(inner) == 1 else AnyOf(inner, prov=Provenance(
                None, found[i + 1].start, found[j - 1].end,
                text[found[i + 1].start:found[j - 1].end], "assemble.definition")),
                head.start, found[j - 1].end))
        elif j > i + 1 and _spells_out(_bare(head.node), [_bare(u.node) for u in found[i + 1:j]],
                                       text[head.end:found[i + 1].start]):
            # the unit ends after the bracket: "A (X), B (Y) or C (Z)" stays one list
            shut = _BRACKET_END.match(text, found[j - 1].end)
            out.append(Unit(head.node, head.start, shut.end() if shut else found[j - 1].end))
        elif j > i + 1:
            # the head's negation ("no prior X (e.g. Y)") covers its examples; a generic class
            # among them is a kind of the head ("EGFR inhibitors (TKIs and antibodies)": the
            # EGFR ones), not every drug of that kind
            prov = Provenance(None, head.start, found[j - 1].end,
                              text[head.start:found[j - 1].end], "assemble.examples")
            nodes = tuple(_example_nodes(found, i, j, text, prov))
            node: Node = AnyOf(nodes, prov=prov) if len(nodes) > 1 else nodes[0]
            if isinstance(head.node, Not):
                node = Not(node, prov=prov)
            out.append(Unit(node, head.start, found[j - 1].end))
        else:
            out.append(head)
        i = j
    return out


def _example_nodes(found: list[Unit], i: int, j: int, text: str, prov: Provenance) -> list[Node]:
    """The head found[i] and its examples found[i + 1:j], each bare; a generic class among
    them is left out ("EGFR inhibitors (TKIs and antibodies)": the EGFR ones, not every drug
    of that kind), and a type named with its marker is one example ("including Ph-negative
    CML": all(CML, not(BCR-ABL1)))."""
    head = _bare(found[i].node)
    nodes: list[Node] = [head]
    k = i + 1
    while k < j:
        if k + 1 < j and _kind_with_marker(found, k, head, text):
            nodes.append(All((_bare(found[k + 1].node), found[k].node), prov=prov))
            k += 2
            continue
        if not _generic_kind_of(head, _bare(found[k].node)):
            nodes.append(_bare(found[k].node))
        k += 1
    return nodes


_BRACKET_OPEN = re.compile(r"\s*\(\s*")
_BRACKET_CLOSE = re.compile(r"\s*\)")
_MARKER_JOINT = re.compile(r"(?i)\s*(?:,|/|\bor\b|\band/or\b|\band\b)\s*")


def _typed_kind(node: Node) -> bool:
    """A cancer type with the markers of its kind (see `_typed_markers`)."""
    return isinstance(node, All) and len(node.items) == 2 and _is_type(node.items[0]) \
        and _marker(node.items[1])


def _typed_markers(found: list[Unit], text: str) -> list[Unit]:
    """A cancer type with the markers of its kind in a bracket right after it ("breast cancer
    (HER2-positive or triple-negative)") as one finding: in a list of types, that kind is one
    alternative, its markers required of it alone."""
    out: list[Unit] = []
    i = 0
    while i < len(found):
        head = found[i]
        j = i + 1
        if _is_type(head.node) and j < len(found) \
                and _BRACKET_OPEN.fullmatch(text, head.end, found[j].start):
            k = j
            while k < len(found) and _marker(found[k].node) and (
                    k == j or _MARKER_JOINT.fullmatch(text, found[k - 1].end, found[k].start)):
                k += 1
            shut = _BRACKET_CLOSE.match(text, found[k - 1].end) if k > j else None
            if shut is not None and (k == len(found) or found[k].start >= shut.end()):
                gaps = " ".join(text[found[x - 1].end:found[x].start] for x in range(j + 1, k))
                markers = tuple(u.node for u in found[j:k])
                prov = Provenance(None, head.start, shut.end(), text[head.start:shut.end()],
                                  "assemble.typed_markers")
                kind: Node = markers[0] if len(markers) == 1 else (
                    AnyOf(markers, prov=prov) if _OR.search(gaps) or "/" in gaps
                    else All(markers, prov=prov))
                out.append(Unit(All((head.node, kind), prov=prov), head.start, shut.end()))
                i = k
                continue
        out.append(head)
        i += 1
    return out


# "... any of the following: * A; * B" written on one line: the alternatives that follow.
_INLINE_CHOICE = re.compile(r"(?i)\b(?:one|any|either|at\s+least\s+one)\s+(?:or\s+more\s+)?of\s+the\s+following"
                            r"(?:\s+\w+){0,3}\s*[:：]")
_INLINE_ITEM = re.compile(r"(?:^|\s)[*•●▪]\s|;\s*(?:[*•●▪]\s*)?|\s\(?[a-z1-9]\)\s?")
# ... and, in an exclusion, a label's numbered list ("high-risk disease: (1) A (2) B"): each
# item rules patients out on its own
_NUMBERED_AFTER_LABEL = re.compile(r"[:：]\s*(?=\(?(?:1|a|i)\)\s?\S)")


_WORD = re.compile(r"[A-Za-z]{2,}")


_SEPARATORS = " \t\r\n;,*•●▪"


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without the separators and spaces around it."""
    while start < end and text[start] in _SEPARATORS:
        start += 1
    while end > start and text[end - 1] in _SEPARATORS:
        end -= 1
    return start, end


def _list_end(text: str, start: int, choice: re.Match[str], end: int) -> int:
    """Where an inline list of alternatives ends: at the bracket that closes one opened
    before its header ("(any of the following: A; B; C) with ..."), else with the criterion."""
    if text.count("(", start, choice.start()) <= text.count(")", start, choice.start()):
        return end
    depth = 0
    for i in range(choice.end(), end):
        depth += (text[i] == "(") - (text[i] == ")")
        if depth < 0:
            return i
    return end


_REGIMEN_BRACKET = re.compile(r"\s*\(\s*")
# Drugs a regimen's name may leave out: a modulator or a steroid given with it ("5-FU,
# leucovorin and oxaliplatin (FOLFOX)")
_REGIMEN_COMPANIONS = frozenset({"chemotherapy_modulator", "corticosteroid"})


def _regimen_named(found: list[Unit], text: str) -> list[Unit]:
    """A list of drugs followed by the regimen they make, in brackets ("ifosfamide,
    carboplatin, etoposide (ICE)"): one treatment, the regimen, not each drug an alternative
    of its own."""
    classes, _broad, concepts = _drug_classes()
    out: list[Unit] = []
    for u in found:
        leaf = _bare(u.node)
        # (a regimen is named by its drugs joined with "and", ontologies/drugs.tsv)
        if isinstance(leaf, PriorTherapy) and " and " in leaf.concept and out \
                and _REGIMEN_BRACKET.fullmatch(text, out[-1].end, u.start):
            parts = concepts(leaf.concept) - classes
            run: list[Unit] = []
            for prev in reversed(out):
                bare = _bare(prev.node)
                gap = text[prev.end:(run[0] if run else u).start]
                if not (isinstance(bare, PriorTherapy)
                        and isinstance(prev.node, Not) == isinstance(u.node, Not)
                        and (bare.concept in parts or bare.concept != leaf.concept
                             and not _REGIMEN_COMPANIONS.isdisjoint(concepts(bare.concept)))) \
                        or _GAP_WORD.search(_LIST_GAP.sub(" ", gap)):
                    break
                run.insert(0, prev)
            named = [b.concept for r in run if isinstance(b := _bare(r.node), PriorTherapy)]
            if sum(c in parts for c in named) >= 2:
                del out[len(out) - len(run):]
                out.append(Unit(u.node, run[0].start, u.end))
                continue
        out.append(u)
    return out


def join_units(found: list[Unit], text: str, prov: Provenance) -> Node:
    """Join findings: items of one list are one coordination, an `any` when the list says
    "or" (or announces alternatives, or names several cancer types: a patient has one),
    else an `all`; findings in separate phrases are all required. A list of alternatives
    written inline after "any of the following:" ("* A; * B; * C") is an `any` of its items,
    each item all of its own findings."""
    found = _typed_markers(_examples(_regimen_named(found, text), text), text)
    start, end = prov.start or 0, prov.end if prov.end is not None else len(text)
    choice = _INLINE_CHOICE.search(text, start, end) or (
        _NUMBERED_AFTER_LABEL.search(text, start, end) if prov.section == "exclusion" else None)
    if choice and found[-1].start > choice.end():
        last = _list_end(text, start, choice, end)
        cuts = [m.start() for m in _INLINE_ITEM.finditer(text, choice.end(), last)]
        head = [u for u in found if u.start < choice.end() or u.start >= last]
        items: dict[int, list[Unit]] = {}
        for u in found:
            if choice.end() <= u.start < last:
                items.setdefault(sum(c <= u.start for c in cuts), []).append(u)
        # an alternative with nothing read still lets a patient in: the `any` is open
        # (simplify.keep_open), not a choice among the ones read
        bounds = [choice.end(), *cuts, last]
        unread: list[Node] = [
            Unparsed(text[a:b], prov=_span(prov, text, a, b, "assemble.inline_choice"))
            for k, (a, b) in enumerate(_trimmed(text, x, y) for x, y in zip(bounds, bounds[1:]))
            if k not in items and len(_WORD.findall(text, a, b)) >= 2]
        if len(items) + len(unread) >= 2:
            options = [_joined(group, text, prov) for group in items.values()] + unread
            lo, hi = _trimmed(text, choice.end(), last)
            node: Node = AnyOf(tuple(options), prov=_span(prov, text, lo, hi,
                                                         "assemble.inline_choice"))
            return node if not head else All((_joined(head, text, prov), node), prov=prov)
    if prov.section == "exclusion":
        # "Prior X for advanced disease. In addition, patients who had a Y are excluded":
        # a further sentence that rules patients out itself is an alternative reason to
        # exclude; any other sentence qualifies the one before it
        cuts = [m.end() for m in SENTENCE_BREAK.finditer(text, start, end)]
        groups: list[list[Unit]] = []
        last = -1
        for u in found:
            k = sum(c <= u.start for c in cuts)
            if not groups or (k != last and _EXCLUDING_SENTENCE.match(
                    text, cuts[k - 1], cuts[k] if k < len(cuts) else end)):
                groups.append([])
            groups[-1].append(u)
            last = k
        if len(groups) >= 2:
            return AnyOf(tuple(_joined(g, text, prov) for g in groups), prov=prov)
    return _joined(found, text, prov)


# A further sentence of an exclusion that rules patients out itself: it adds to the item
# ("In addition, ...", "Also ...") or says so ("... are excluded", "... are not eligible"),
# or it names another treatment history without a verb ("Prior X." after "More than one
# cycle of Y."; not "Prior X is allowed.", "Prior X should be counted in ...").
_EXCLUDING_SENTENCE = re.compile(
    r"(?is)(?:in\s+addition|additionally|also|furthermore|moreover)\b"
    r"|(?:any\s+)?(?:prior|previous|earlier)\s(?![^.]{0,200}?\b(?:allowed|permitted|acceptable|"
    r"eligible|should|must|will|would|can|may|shall|is|are|was|were|be|been)\b)"
    r"|[^.]{0,300}?\b(?:(?:are|is|will\s+be)\s+(?:also\s+)?(?:excluded|ineligible|not\s+eligible|"
    r"not\s+allowed|not\s+permitted|prohibited))\b")


# between a cancer type and a treatment: a time word, then more words and "or"
_TREATMENT_AFTER_TYPE = re.compile(r"(?i)\s*,?\s*(?:after|following|despite|post)\s+[^;,]*?\S\s+or\s+"
                                   r"(?:[\w-]+\s+){0,5}\Z")


def _alternative_ors(gap: str) -> Iterator[re.Match[str]]:
    """The words "or" of a gap that may offer alternatives: not a suspended hyphen ("first-
    or second-line"), not one count, one time or the states of one disease ("after one or
    two regimens", "during or after X", "relapsed or refractory to X")."""
    for m in _OR.finditer(gap):
        if gap[:m.start()].endswith("-") and _GAP_WORD.search(gap, 0, m.start()):
            continue  # (not right after the first finding: "platinum- or taxane-containing")
        if any(before.search(gap, 0, m.start() + 1) and after.match(gap, m.end())
               for before, after in _ONE_PHRASE_OR):
            continue
        yield m


def _history_only(node: Node) -> bool:
    """Whether a node speaks of treatment history alone (with what it leaves for review)."""
    leaves = [n for n in walk(node) if not isinstance(n, (All, AnyOf))]
    return any(isinstance(n, PriorTherapy) for n in leaves) and all(
        isinstance(n, (PriorTherapy, Unparsed)) for n in leaves)


def _joining_or(gap: str) -> bool:
    """Whether an "or" between two findings joins them ("EGFR or ALK", "..., or patients
    with ..."), not words of its own ("with locally advanced or metastatic ER+ disease")."""
    if len(gap) >= 80 or _EXCEPTION_IN_GAP.search(gap):
        return False  # (not "A other than B or C": the "or" joins the exceptions)
    # an aside in brackets ("by IHC (3+, kit; lab) or ...") and a test written out in words
    # ("fluorescence in situ hybridisation") are not words of their own between the two
    gap = _ASSAY_WORDS.sub("ISH", _ASIDE.sub(" ", gap))
    if ";" in gap:
        return False
    for m in _alternative_ors(gap):
        before = len(_GAP_WORD.findall(gap, 0, m.start()))
        after = len(_GAP_WORD.findall(gap, m.end()))
        comma = gap[:m.start() + 1].rstrip().endswith(",")
        # right after the first finding, or close to both, or a listing comma before it
        if (before <= 1 and after <= 8) or (before <= 3 and after <= 4) or (comma and after <= 8):
            return True
    return False


_ASSAY_WORDS = re.compile(r"(?i)\b(?:fluorescen(?:t|ce)|chromogenic|silver|dual)?[- ]?in[- ]situ[- ]"
                          r"hybridi[sz]ation\b")
_EXCEPTION_IN_GAP = re.compile(r"(?i)\b(?:other\s+than|except|excluding|apart\s+from)\b")
# Alternatives numbered in the text: "(i) ... or (ii)", "a) ... or b)", "(1) ... or (2)"
_NUMBERED_OR = re.compile(r"(?i)\(?\b(?:i|a|1)\)\s[^();]*(?:\([^();]*\)[^();]*)*?\bor\s+\(?(?:ii|b|2)\)")


# Words that an "or" joins inside one phrase: numbers of a count ("one or two", "2 or more"),
# words of time ("during or after", "on or within"), states or stages of one disease
# ("relapsed or refractory", "metastatic or relapsed"): (the word before the "or", the word
# after it).
_COUNTS = r"\d+|one|two|three|four|five|six|first|second|third|fourth"
_TIMES = r"during|after|before|on|at|within|following|since|while|prior\s+to"
_STATES = (r"relapsed?|relapsing|recurrent|recurrence|refractory|resistant|resistance|"
           r"progressive|progressing|progression|persistent|intolerant|intolerance|failed|"
           r"failure|metastatic|advanced|locally|unresectable|inoperable|disseminated|"
           r"unresponsive|non-?responsive|insensitive")
_CONFIRMED = (r"histologically|cytologically|pathologically|radiologically|clinically|"
              r"histologic|cytologic|pathologic|histological|cytological|pathological")
_ONE_PHRASE_OR = tuple((re.compile(rf"(?i)\b(?:{words})\s*\Z"),
                        re.compile(rf"(?i)\s*(?:{words}{more})\b"))
                       for words, more in ((_COUNTS, "|more|fewer|less|greater"), (_TIMES, ""),
                                           # ("intolerant of or refractory to X")
                                           (rf"(?:{_STATES})(?:\s+(?:to|of|on))?", ""),
                                           # ("histologically or cytologically confirmed")
                                           (_CONFIRMED, "")))
# A subtype qualifier written after a cancer type, before the list goes on: "DLBCL-GCB
# subtype, DLBCL-non-GCB subtype, or ...", "AML M3 variant, ...".
_SUBTYPE_AFTER = re.compile(r"(?i)(?:[\-–]\s?(?:non[\-–\s]?)?[a-z0-9]{1,12}"
                            r"(?:\s(?:sub)?types?|\svariants?|\ssubgroups?|\ssubsets?)?"
                            r"|\s(?:non[\-–\s]?)?[a-z0-9]{1,12}\s(?:(?:sub)?types?|variants?"
                            r"|subgroups?|subsets?))\b")
# A word written before a cancer type of a list, naming a form of it ("DLBCL, mantle cell
# lymphoma, transformed follicular lymphoma", an adjective right after the comma): the list
# goes on.
_TYPE_PREMODIFIER = re.compile(r"(?i)\b(?:transformed|secondary|primary|de\s+novo|"
                               r"(?:therapy|treatment)[\s-]related|high[\s-]grade|low[\s-]grade|"
                               r"aggressive|indolent|advanced|metastatic|recurrent|relapsed|"
                               r"refractory|untreated|newly\s+diagnosed|"
                               # a form the vocabulary lacks: "..., prolymphocytic leukaemia"
                               r"(?<=[,;]\s)[a-z]{4,}(?:ic|ous|oid|ar))\s*\Z")
_AND = re.compile(r"(?i)\band\b")
_SEMICOLON_ITEM = re.compile(r"(?i)\s*;\s*(?:(?:and/or|or)\s+)?")
_LIST_GOES_ON_OR = re.compile(r"(?i)\s*,\s*(?:or|and/or)\s")
_EITHER = re.compile(r"(?i)\beither\b")
_NOR = re.compile(r"(?i)\bnor\b")
_OPEN_BRACKET = re.compile(r"\s*[(\[]\s*(?:with\s+|if\s+)?")
_CLOSE_BRACKET = re.compile(r"[^()\[\]]{0,30}[)\]]")


def _biomarker(node: Node) -> bool:
    """A biomarker finding, its negation, or alternatives of them."""
    if isinstance(node, Not):
        return _biomarker(node.item)
    if isinstance(node, AnyOf):
        return all(_biomarker(n) for n in node.items)
    return isinstance(node, BIOMARKERS)


_SIGN_COMMA = re.compile(r"\s?[+\-–−]?\s*,\s*")


def _qualified(found: list[Unit], text: str) -> tuple[list[Unit], set[int]]:
    """A bracketed biomarker right after a cancer type qualifies that cancer: "anaplastic
    large cell lymphoma (ALK-negative)" is one finding, all(the cancer, the biomarker), so a
    list of such cancers stays a list of alternatives. Also the ids of the folded nodes."""
    out: list[Unit] = []
    folded: set[int] = set()
    for u in found:
        prev = out[-1] if out else None
        if prev is not None and isinstance(prev.node, Diagnosis) and _biomarker(u.node):
            opening = _OPEN_BRACKET.fullmatch(text, prev.end, u.start)
            close = _CLOSE_BRACKET.match(text, u.end) if opening else None
            if close:
                span = Provenance(None, prev.start, u.end, text[prev.start:u.end],
                                  "assemble.qualifier")
                node = All((prev.node, u.node), prov=span)
                folded.add(id(node))
                out[-1] = Unit(node, prev.start, close.end())
                continue
        out.append(u)
    return _premodified(_treated_types(out, text, folded), text, folded), folded


# "platinum-refractory ovarian carcinoma", "taxane-pretreated breast cancer": a treatment
# state written into a cancer type's name
_STATE_PREFIX = re.compile(r"(?i)[\s\-–]*(?:refractory|resistant|sensitive|pre-?treated|naive|"
                           r"naïve|exposed|failed|relapsed)[\s\-–]*")


# What a state word may say it is of, written before it: "hormone-refractory",
# "castration-resistant"
_STATE_LEAD = re.compile(r"(?i)(?<![\w-])(?:hormone|hormonal|castration|castrate|endocrine|"
                         r"treatment|therapy)[\s\-–]+\Z")


def _treated_types(units: list[Unit], text: str, folded: set[int]) -> list[Unit]:
    """In a list of cancer types, a treatment state written into one type's name is one
    finding with that type, all(the treatment, the type): one alternative of the list."""
    out: list[Unit] = []
    for k, u in enumerate(units):
        prev = units[k - 1] if k else None
        if prev is not None and out and out[-1] is prev and (
                _is_type(prev.node) and isinstance(u.node, PriorTherapy) and not is_state(u.node)
                and prev.start <= u.start and u.end <= prev.end):
            # a drug inside a type's own name ("platinum-resistant ovarian cancer, fallopian
            # tube cancer, or ..."): one alternative of the list, as below
            node = All((u.node, prev.node), prov=Provenance(
                None, prev.start, prev.end, text[prev.start:prev.end], "assemble.qualifier"))
            folded.add(id(node))
            out[-1] = Unit(node, prev.start, prev.end)
            continue
        if prev is not None and out and out[-1] is prev and isinstance(prev.node, PriorTherapy) \
                and _is_type(u.node) \
                and (_STATE_PREFIX.fullmatch(text, prev.end, u.start) is not None
                     # (the state word itself the finding, inside the list: "colon, refractory
                     # prostate cancer"; before its first type it is said of every type)
                     or k >= 2 and _is_type(units[k - 2].node)
                     and _STATE_PREFIX.fullmatch(text, prev.start, u.start) is not None) \
                and (k >= 2 and _is_type(units[k - 2].node)
                     or k + 1 < len(units) and _is_type(units[k + 1].node)):
            lead = _STATE_LEAD.search(text, max(0, prev.start - 30), prev.start)
            lo = lead.start() if lead is not None else prev.start  # ("hormone-refractory")
            node = All((prev.node, u.node), prov=Provenance(
                None, lo, u.end, text[lo:u.end], "assemble.qualifier"))
            folded.add(id(node))
            out[-1] = Unit(node, lo, u.end)
            continue
        out.append(u)
    return out


_PREMODIFIER_GAP = re.compile(r"[\s\-–)\]]*")
_MARKER_JOIN = re.compile(r"(?i)\s*(?:,|and|,\s*and)\s*")


def _premodified(units: list[Unit], text: str, folded: set[int]) -> list[Unit]:
    """A marker written as part of a cancer type's name is one finding with it: "triple-
    negative breast cancer" (overlapping), and in a list of cancer types "melanoma, HER2-
    positive breast cancer or glioma" (the marker right before the type): all(the cancer, the
    marker), one alternative of the list. Outside a list of types a marker before a type
    stays its own finding ("ER-positive or HER2-positive breast cancer")."""
    def diagnosis(u: Unit) -> bool:
        return _is_type(u.node) or id(u.node) in folded

    def names_type(k: int) -> bool:  # a type, or a marker written right before a type
        return k < len(units) and (diagnosis(units[k]) or (
            k + 1 < len(units) and _marker(units[k].node) and _is_type(units[k + 1].node)
            and _PREMODIFIER_GAP.fullmatch(text, units[k].end, units[k + 1].start) is not None))

    out: list[Unit] = []
    i = 0
    while i < len(units):
        u = units[i]
        nxt = units[i + 1] if i + 1 < len(units) else None
        if nxt is not None and _is_type(u.node) != _is_type(nxt.node):
            marker = nxt if _is_type(u.node) else u
            overlap = nxt.start < u.end
            j = len(out)  # "ER-positive, HER2-negative breast cancer": markers joined before
            while not overlap and marker is u and j and _marker(out[j - 1].node) and \
                    _MARKER_JOIN.fullmatch(text, out[j - 1].end, (out[j:] or [u])[0].start):
                j -= 1
            before = (not overlap and marker is u
                      and _PREMODIFIER_GAP.fullmatch(text, u.end, nxt.start) is not None
                      and ((j > 0 and diagnosis(out[j - 1])) or names_type(i + 2)))
            if _marker(marker.node) and (overlap or before):
                parts = [*(out[j:] if before else []), u, nxt]  # in the text's order
                lo, hi = parts[0].start, max(u.end, nxt.end)
                if before:
                    del out[j:]
                node = All(tuple(x.node for x in parts),
                           prov=Provenance(None, lo, hi, text[lo:hi], "assemble.qualifier"))
                folded.add(id(node))
                out.append(Unit(node, lo, hi))
                i += 2
                continue
        out.append(u)
        i += 1
    return out


# An item of a list of cancer types that names none the ontology knows ("ovarian cancer,
# <unread> cancer, fallopian tube cancer or ..."): between two types, with the list's commas,
# it goes on with the list (as it does before the list's "or"), no break in it.
_UNREAD_TYPE_ITEM = re.compile(
    r"(?i)\s*,\s*(?:(?:[a-z][\w\-]*\s+){0,5}(?:cancers?|carcinomas?|adenocarcinomas?|"
    r"tumou?rs?|neoplasms?|malignanc(?:y|ies)|sarcomas?|lymphomas?|leuka?emias?))"
    r"\s*,?\s*(?:(?:or|and/or)\s+)?")


# the words that give a later type of a list a state or risk of its own ("relapsed AML or
# high-risk MDS")
_OWN_QUALIFIER = re.compile(r"(?i)\b(?:(?:high|higher|intermediate|low|lower|poor|standard)[- ]risk|"
                            r"untreated|newly[- ]diagnosed|de[- ]novo|treatment[- ]na[iï]ve|"
                            r"previously[- ]untreated|(?:chemotherapy|therapy)[- ]na[iï]ve)\b[^,;]{0,20}\Z")


def _state_of_first_type(parts: list[Node], found: list[Unit], text: str) -> list[Node]:
    """A treatment state before the first of alternative types, when a later type carries
    a state or risk of its own ("relapsed or refractory AML or high-risk MDS"): the state is
    the first type's, not the list's; all(state, any(A, B)) becomes any(all(A, state), B)."""
    states = [p for p in parts if is_state(p)]
    lists = [p for p in parts if isinstance(p, AnyOf) and len(p.items) >= 2
             and all(_is_type(i) for i in p.items)]
    if len(states) != 1 or len(lists) != 1 or len(parts) != 2:
        return parts
    types = [u for u in found if _is_type(u.node)]
    if len(types) < 2 or not any(_OWN_QUALIFIER.search(text, a.end, b.start)
                                 for a, b in zip(types, types[1:])):
        return parts
    first, *rest = lists[0].items
    return [AnyOf((All((first, states[0]), prov=lists[0].prov), *rest), prov=lists[0].prov)]


_ABBREVIATION_GAP = re.compile(r"\s*[(\[]\s*")


def _add(parts: list[Node], starts: list[int], run: list[Unit], node: Node) -> None:
    """One more part of a criterion's nodes, with where its run of findings starts."""
    parts.append(node)
    starts.append(run[0].start)


def _joined(found: list[Unit], text: str, prov: Provenance) -> Node:
    """Coordinations of one run of findings (see `join_units`)."""
    found, qualified = _qualified(found, text)
    # (a type's abbreviation in brackets right after its name is the same finding, not one
    # more: "acute myeloid leukaemia (AML) or MDS")
    found = [u for u in found if not (_is_type(u.node) and any(
        t is not u and _ABBREVIATION_GAP.fullmatch(text, t.end, u.start)
        and repr(t.node) == repr(u.node) for t in found))]
    inside = [u for u in found if is_state(u.node) and any(
        o is not u and o.start <= u.start and u.end <= o.end for o in found)]
    if inside:  # ("relapsed or refractory myeloma (MM) or other ...": a state within a name
        # is read first, not between the name and the alternative after it)
        found = inside + [u for u in found if not any(u is i for i in inside)]
    runs: list[list[Unit]] = [[found[0]]]
    ors: list[bool] = [False]
    either = False  # the current run opened with "either": its "or" comes, however far
    after_and: set[int] = set()  # units after a gap that joins with "and" alone
    for prev, cur in zip(found, found[1:], strict=False):
        if is_state(prev.node) or is_state(cur.node):
            # "relapsed CML, CMML or myeloma": the treatment state holds for every item of
            # the list, it is no item of its own
            runs.append([cur])
            ors.append(False)
            either = False
            continue
        gap = _ASIDE.sub(" ", text[prev.end:cur.start])  # "(IHC 3+ or ISH+)" defines, not joins
        gap = _SPACES.sub(" ", gap)  # a line wrapped inside the list
        bare = _RESTATED.sub(" ", gap) if _leaf_type(prev.node) is _leaf_type(cur.node) is PriorTherapy else gap
        listed = len(bare) < 40 and _LIST_GAP.fullmatch(bare) is not None
        if not listed and _is_type(prev.node) and _is_type(cur.node) \
                and _SEMICOLON_ITEM.fullmatch(gap):
            listed = True  # "melanoma; renal cell carcinoma; or urothelial carcinoma"
        if not listed and _is_type(prev.node) and _is_type(cur.node) \
                and _UNREAD_TYPE_ITEM.fullmatch(gap):
            listed = True
        if not listed and _is_type(_bare(prev.node)) and _is_type(cur.node):
            # a subtype qualifier after the cancer type keeps the list together (a list
            # the negation before its first type rules out: "no CML, de novo AML, or MDS")
            sub = _SUBTYPE_AFTER.match(gap)
            if sub is not None:
                gap = gap[sub.end():]
                listed = len(gap) < 40 and _LIST_GAP.fullmatch(gap) is not None
            pre = _TYPE_PREMODIFIER.search(gap)
            if not listed and pre is not None:  # "..., transformed follicular lymphoma"
                listed = _LIST_GAP.fullmatch(gap[:pre.start()]) is not None
        if gap.strip() == "/" and _alternative_drugs(prev.node, cur.node) \
                and not _REGIMEN_AFTER.match(text, cur.end):
            # "erlotinib/gefitinib": two drugs of one class, either of them
            runs[-1].append(cur)
            ors[-1] = True
        elif gap.strip() == "/" and _receptors_positive(prev.node, cur.node):
            # "ER+/PR+ breast cancer": hormone-receptor positive, either receptor ("ER-/PR-"
            # stays both negative)
            runs[-1].append(cur)
            ors[-1] = True
        elif ors[-1] and len(runs[-1]) == 2 and _receptors_positive(runs[-1][0].node, prev.node) \
                and _marker(cur.node) and not _OR.search(gap):
            # "ER+/PR+ HER2-negative": the receptors' alternatives end before the next marker
            runs.append([cur])
            ors.append(False)
            either = False
        elif _EITHER.search(gap):
            # "breast cancer resistant to either A or B": the alternatives start at "either"
            runs.append([cur])
            ors.append(False)
            either = True
        elif either and len(gap) < 160 and ";" not in gap and _OR.search(gap):
            # "either a response to A (...) or to an investigational A OR a B mutation"
            runs[-1].append(cur)
            ors[-1] = True
            either = False
        elif _is_type(prev.node) and _history_only(cur.node) and _TREATMENT_AFTER_TYPE.match(gap) \
                and len(gap) < 120 and next(_alternative_ors(gap), None) is not None:
            # "relapsed lymphoma after surgery or chemotherapy": the "or" joins what the
            # disease came after, not the disease and a treatment; an alternative no
            # finding was read in leaves that history for review
            a, b = _trimmed(text, prev.end, cur.end)
            cur = replace(cur, node=Unparsed(text[a:b], reason="an alternative or a part of it "
                                             "needs manual review",
                                             prov=_span(prov, text, a, b, "assemble.after_or")))
            runs.append([cur])
            ors.append(False)
            either = False
        elif _joining_or(gap) or _PART_BRACKET_OR.search(text, prev.end, cur.start) or (
                cur.start - prev.end < 160 and _NUMBERED_OR.search(text, prev.end, cur.start)):
            # (or numbered: "amplified by (i) in situ hybridisation (ISH) or (ii) ...")
            runs[-1].append(cur)
            ors[-1] = True
        elif ors[-1] and _SIGN_COMMA.fullmatch(gap) and _marker(prev.node) and _marker(cur.node):
            # "ER+ or PR+, HER2-negative": a comma after signed alternatives ends them
            runs.append([cur])
            ors.append(False)
            either = False
        elif listed:
            runs[-1].append(cur)
            if _AND.search(gap) and not _OR.search(gap):
                after_and.add(id(cur))
        else:
            runs.append([cur])
            ors.append(False)
            either = False
    if inside:  # (the runs back in the text's order)
        order = sorted(range(len(runs)), key=lambda k: (runs[k][0].start, -runs[k][0].end))
        runs, ors = [runs[k] for k in order], [ors[k] for k in order]
    runs, ors = _head_noun_apart(runs, ors, text)
    parts: list[Node] = []
    starts: list[int] = []  # where each part's run starts
    for run, has_or in zip(runs, ors, strict=True):
        if len(run) == 1:
            _add(parts, starts, run, run[0].node)
            continue
        if has_or and any(id(u) in after_and for u in run[1:]) and all(
                _marker(u.node) for u in run):
            # "HER2-positive and ER-negative or ER-low": "and" joins what "or" offers
            groups: list[list[Unit]] = [[run[0]]]
            for u in run[1:]:
                if id(u) in after_and:
                    groups.append([u])
                else:
                    groups[-1].append(u)
            span = _span(prov, text, run[0].start, run[-1].end, "assemble.and_or")
            _add(parts, starts, run, All(tuple(g[0].node if len(g) == 1 else AnyOf(
                tuple(u.node for u in g), prov=_span(prov, text, g[0].start, g[-1].end,
                                                     "assemble.or")) for g in groups),
                             prov=span))
            continue
        before = text[max(prov.start or 0, run[0].start - 80):run[0].start]
        if not has_or and _as_combination(run, text):
            # "no prior A, B and C as combination therapy": the regimen, not each drug
            regimen = tuple(u.node for u in run)
            drugs = tuple(n.item if isinstance(n, Not) else n for n in regimen)
            span = _span(prov, text, run[0].start, run[-1].end, "assemble.and")
            _add(parts, starts, run, Not(All(drugs, prov=span), prov=span)
                         if all(isinstance(n, Not) for n in regimen) else All(regimen, prov=span))
            continue
        alternatives = has_or or bool(_ALTERNATIVES.search(before)) and not (
            _all_included(run, before, prov.section, after_and)) or (
            # "A, B, or an investigational C": the list's "or" comes before its last item,
            # which was not read; the items read are still alternatives
            not any(id(u) in after_and for u in run[1:])
            and _LIST_GOES_ON_OR.match(text, run[-1].end) is not None) or all(
            _names_cancer(u.node) or id(u.node) in qualified or _typed_kind(u.node)
            for u in run) or (
            prov.section == "exclusion" and all(_same_kind(run[0].node, u.node) for u in run))
        kind = AnyOf if alternatives else All
        nodes = tuple(u.node for u in run)
        span = _span(prov, text, run[0].start, run[-1].end,
                     "assemble.or" if alternatives else "assemble.and")
        inner = [n.item if isinstance(n, Not) else n for n in nodes]
        if isinstance(nodes[0], Not) and (all(_same_kind(inner[0], n) or (
                isinstance(n, Unparsed) and _leaf_type(inner[0]) is PriorTherapy)
                for n in inner[1:]) or _negated_biomarkers(nodes)):
            # "no prior X, Y or Z": the negation scopes over the whole list (a treatment
            # of it left for review too); a status every item states ("ALK- or
            # ROS1-negative") stays stated
            stated = {n.stated if isinstance(n, Not) else None for n in nodes}
            _add(parts, starts, run, Not(AnyOf(tuple(inner), prov=span),
                             stated=stated.pop() if len(stated) == 1 else None, prov=span))
            continue
        if all(isinstance(n, Not) for n in nodes) and _NOR.search(text, run[0].end,
                                                                   run[-1].start):
            # "must not have had X nor a history of Y": neither, so none of them
            _add(parts, starts, run, All(nodes, prov=span))
            continue
        _add(parts, starts, run, kind(nodes, prov=span))
    parts = _state_of_first_type(parts, found, text)
    single = _numbered_alternatives(parts, starts, found, text, prov)
    if single is not None:
        return single
    if prov.section == "exclusion" and all(_leaf_type(p) is PriorTherapy for p in parts) \
            and (_OR.search(text, found[0].end, found[-1].start)
                 or not _COMBINED.search(text, found[0].end, found[-1].start)):
        # "prior X, Y, or having taken part in a study of Z", "prior X therapies, Y, and Z
        # antibodies": each treatment excludes, unless the text combines them ("X with Y")
        return AnyOf(tuple(parts), prov=_span(prov, text, found[0].start, found[-1].end,
                                              "assemble.or"))
    return All(tuple(parts), prov=prov)


# "prior lines of therapy including A and B": the treatments a required history held
_INCLUDED = re.compile(r"(?i)\b(?:therap(?:y|ies)|treatments?|regimens?|lines?)\s+"
                       r"(?:(?:that|which)\s+)?(?:(?:must|should)\s+)?(?:have\s+)?"
                       r"(?:including|included|include)\b[\s:]*(?:(?:an?|the|both)\s+)?$")


def _all_included(run: list[Unit], before: str, section: str | None,
                  after_and: set[int]) -> bool:
    """Whether a run of treatments after "including" was all given: in an inclusion, the
    history "received prior lines of therapy including A, B and C" held each of them (a
    list joined by "or", or exclusions, name examples)."""
    return section == "inclusion" and id(run[-1]) in after_and \
        and _INCLUDED.search(before) is not None \
        and all(not isinstance(u.node, Not) and _history(u.node) for u in run)


_ENUMERATOR = re.compile(r"(?<![\w(])\(?\d{1,2}\)\s")


def _numbered_alternatives(parts: list[Node], starts: list[int], found: list[Unit], text: str,
                           prov: Provenance) -> Node | None:
    """"One of the following diseases. 1) A after X 2) B 3) C": the numbered items are
    alternatives, each with what it says of its own disease; a single part as it is; None
    for other criteria."""
    if len(parts) == 1:
        return parts[0]
    if not _NUMBERED_ONE_OF.search(text, max(prov.start or 0, found[0].start - 80),
                                   found[0].start):
        return None
    marks = [m.start() for m in _ENUMERATOR.finditer(text, found[0].start, found[-1].end)]
    groups: dict[int, list[Node]] = {}
    for node, at in zip(parts, starts, strict=True):
        groups.setdefault(bisect_right(marks, at), []).append(node)
    if len(groups) < 2 or not all(any(_names_cancer(n) for n in g) for g in groups.values()):
        return None
    return AnyOf(tuple(g[0] if len(g) == 1 else All(tuple(g), prov=prov)
                       for g in groups.values()),
                 prov=_span(prov, text, found[0].start, found[-1].end, "assemble.or"))


# Words that make a list of treatments one regimen: "A, B and C as combination therapy",
# "the combination of A and B", "A and B given together"
_COMBINATION = re.compile(r"(?i)\b(?:as\s+(?:a\s+)?combination|in\s+combination|combination\s+of|"
                          r"given\s+together|(?:used|administered|received)\s+together|together\s+with)\b")
_COMBINATION_REACH = 30
# "both A and B": each of them, not either ("a class, including both A and B" lists kinds)
_BOTH_BEFORE = re.compile(r"(?i)(?<!including\s)(?<!includes\s)(?<!include\s)(?<!as\s)"
                          r"\bboth\s+(?:(?:a|an|the|prior|previous)\s+)?\Z")


def _as_combination(run: list[Unit], text: str) -> bool:
    """Whether the words just before or after a run of treatments make them one regimen, or
    ask for each of them ("both A and B")."""
    if not all(_leaf_type(u.node.item if isinstance(u.node, Not) else u.node) is PriorTherapy
               for u in run):
        return False
    return _COMBINATION.search(text, max(0, run[0].start - _COMBINATION_REACH),
                               min(len(text), run[-1].end + _COMBINATION_REACH)) is not None \
        or _BOTH_BEFORE.search(text, max(0, run[0].start - 20), run[0].start) is not None


# A regimen noun right after "A/B": the two given together ("a platinum/fluoropyrimidine
# doublet", "a platinum/taxane combination"), not either of them
_REGIMEN_AFTER = re.compile(r"(?i)[\s\-]*(?:based\s+|containing\s+)?(?:chemotherapy\s+)?"
                            r"(?:doublets?|triplets?|combinations?)\b")


# Drug classes too broad to make two drugs alternatives: drugs written "A/B" that share only
# these are a combination ("carboplatin/paclitaxel", "dabrafenib/trametinib").
_UMBRELLA_CLASSES = frozenset({"kinase_inhibitor", "tki", "mapk_pathway_inhibitor",
                               "pi3k_akt_mtor_inhibitor", "monoclonal_antibody",
                               "immune_checkpoint_inhibitor"})


def _alternative_drugs(a: Node, b: Node) -> bool:
    """Two named drugs of one specific class ("erlotinib/gefitinib", "letrozole/anastrozole"),
    or two drug classes ("PD-1/PD-L1 inhibitor"), which a slash between them offers as
    alternatives; named drugs of different classes written that way are a regimen given
    together ("carboplatin/paclitaxel")."""
    if not (isinstance(a, PriorTherapy) and isinstance(b, PriorTherapy)):
        return False
    classes, broad, concepts = _drug_classes()
    if a.concept in classes and b.concept in classes:
        return True  # "PD-1/PD-L1 inhibitor", "BRAF/MEK inhibitor therapy": a class or the other
    if a.concept in classes or b.concept in classes:
        return False
    shared = (concepts(a.concept) & concepts(b.concept)) - {a.concept, b.concept}
    return bool(shared - broad)


@lru_cache(maxsize=1)
def _drug_classes():
    """(every drug class, the classes too broad to pair drugs: the top two levels and
    `_UMBRELLA_CLASSES`, a drug's classes) of the default ontology."""
    from trialmatch.ontology import default_ontology

    ontology = default_ontology()
    rows = ontology.drug_classes
    roots = {c for c, row in rows.items() if not row["parent"]}
    kinds = {c for c, row in rows.items() if row["parent"] in roots}  # chemotherapy, ...
    return frozenset(rows), _UMBRELLA_CLASSES | roots | kinds, ontology.drug_concepts


_HEAD_GAP = re.compile(r"[\s\-–]*")
# the nouns that name a malignancy whatever its type
_MALIGNANCY_NOUNS = (r"cancers?|carcinomas?|tumou?rs?|neoplasms?|malignanc\w*|lymphomas?|"
                     r"leuka?emias?|sarcomas?|melanomas?")
_CANCER_WORD = re.compile(rf"(?i)\b(?:{_MALIGNANCY_NOUNS}|diseases?)\b")


def _head_noun_apart(runs: list[list[Unit]], ors: list[bool], text: str
                     ) -> tuple[list[list[Unit]], list[bool]]:
    """"EGFR-mutant or ALK-positive NSCLC": the cancer type that closes a list of
    alternative findings, written right after the last one, is the noun they all qualify:
    all(any(findings), cancer type), not one more alternative. When several alternatives
    have a cancer noun of their own ("HER2+ solid cancer or HER2+ gastric cancer"), each
    finding goes with its noun: any(all(finding, type), all(finding, type))."""
    out_runs: list[list[Unit]] = []
    out_ors: list[bool] = []
    for run, has_or in zip(runs, ors, strict=True):
        nouns = [k for k in range(1, len(run)) if has_or and _is_type(run[k].node)
                 and not _is_type(run[k - 1].node)
                 and _HEAD_GAP.fullmatch(text, run[k - 1].end, run[k].start)]
        last = run[-1]
        if len(nouns) >= 2:
            merged: list[Unit] = []
            for k, u in enumerate(run):
                if k in nouns:
                    prev = merged.pop()
                    merged.append(Unit(All((prev.node, u.node), prov=Provenance(
                        None, prev.start, u.end, text[prev.start:u.end], "assemble.qualified")),
                        prev.start, u.end))
                else:
                    merged.append(u)
            out_runs.append(merged)
            out_ors.append(has_or)
        elif nouns == [len(run) - 1] and len(run) >= 3 \
                and not _CANCER_WORD.search(text, run[0].start, run[-2].end):
            # (not when an earlier alternative has a cancer noun we do not read: "HER2+
            # cancer or HER2+ breast cancer")
            out_runs += [run[:-1], [last]]
            out_ors += [True, False]
        else:
            out_runs.append(run)
            out_ors.append(has_or)
    return out_runs, out_ors


def _span(prov: Provenance, text: str, start: int, end: int, source: str) -> Provenance:
    return Provenance(prov.section, start, end, text[start:end], source)


# A list heading that names the patient's age ("Age:", "Patient age:"), and a bare bound under
# it ("Under 80", "18 to 75", "65 and over"), as older registry records lay criteria out.
_AGE_HEADING = re.compile(r"(?i)\s*(?:patient(?:'s)?\s+)?age\s*[:：]?\s*\Z")
# A criterion that is only a number of years ("18 years of age"): the youngest age admitted.
_BARE_AGE = re.compile(r"(?i)\s*(?:aged?\s+)?(?P<v>\d{1,2})\s*(?:years?|yrs?)\s*(?:of\s+age|old)"
                       r"\s*\.?\s*\Z")
_BARE_BOUND = re.compile(
    r"(?i)\s*(?:(?P<op>under|over|older\s+than|younger\s+than|at\s+least|up\s+to|"
    r"no\s+more\s+than|less\s+than|greater\s+than|more\s+than|[<>]=?|[≤≥])\s*(?P<v>\d{1,3})"
    r"|(?P<lo>\d{1,3})\s*(?:to|-|–|through)\s*(?P<hi>\d{1,3})"
    r"|(?P<v2>\d{1,3})\s*(?:years?\s+)?(?:and|or)\s+(?P<dir>over|older|above|under|younger|below))"
    r"\s*(?:years?(?:\s+old|\s+of\s+age)?)?\s*\.?\s*\Z")
_BOUND_OPS = {"under": "<", "over": ">", "older than": ">", "younger than": "<",
              "at least": ">=", "up to": "<=", "no more than": "<=", "less than": "<",
              "greater than": ">", "more than": ">", "<": "<", ">": ">", "<=": "<=",
              ">=": ">=", "≤": "<=", "≥": ">="}


def heading_age(c: Criterion, text: str, heading: str) -> Node | None:
    """Age bounds written bare under an "Age:" heading (see _AGE_HEADING), or None."""
    if c.section != "inclusion":
        return None
    bare = _BARE_AGE.fullmatch(text, c.start, c.end)
    if bare is not None:
        prov = Provenance(c.section, c.start, c.end, text[c.start:c.end], "criterion.age")
        return Age(">=", float(bare.group("v")), prov=prov)
    if not _AGE_HEADING.fullmatch(heading):
        return None
    m = _BARE_BOUND.fullmatch(text, c.start, c.end)
    if m is None:
        return None
    prov = Provenance(c.section, c.start, c.end, text[c.start:c.end], "heading.age")
    if m.group("lo"):
        return All((Age(">=", float(m.group("lo")), prov=prov),
                    Age("<=", float(m.group("hi")), prov=prov)), prov=prov)
    if m.group("v2"):
        op = ">=" if m.group("dir").lower() in ("over", "older", "above") else "<="
        return Age(op, float(m.group("v2")), prov=prov)
    op = _BOUND_OPS[re.sub(r"\s+", " ", m.group("op").lower())]
    return Age(op, float(m.group("v")), prov=prov)


def _permission_over_lists(found: list[Unit], text: str) -> list[Unit]:
    """A permission covers the whole list its first items are in: "may have had prior X, Y,
    Z or W" allows W too, however far the cue's scope reached."""
    if not any(u.permitted for u in found):
        return found
    out = list(found)

    def listed(a: Unit, b: Unit) -> bool:
        gap = _SPACES.sub(" ", text[a.end:b.start])
        return _same_kind(a.node, b.node) and len(gap) < 40 and \
            _LIST_GAP.fullmatch(gap) is not None

    for k in range(1, len(out)):  # forward: "may have had X, Y, Z or W"
        if out[k - 1].permitted and not out[k].permitted and listed(out[k - 1], out[k]):
            out[k] = replace(out[k], permitted=True)
    for k in range(len(out) - 2, -1, -1):  # backward: "X, Y, Z or W ... is allowed"
        if out[k + 1].permitted and not out[k].permitted and listed(out[k], out[k + 1]):
            out[k] = replace(out[k], permitted=True)
    return out


# A criterion that gives a limit per part of the study ("ECOG 0-1 for phase I, 0-2 for phase
# II", "KPS >= 70 (dose escalation) or >= 60 (expansion)"): the patient meets the limit of one
# part, so those limits of one scale are alternatives, not all required.
_PARTS = re.compile(r"(?i)\b(?:phase|part|stage\s+of\s+the\s+study|cohort|arm|dose[- ]escalation|"
                    r"expansion)\b")
# The same per age group: Karnofsky for the older patients and Lansky (its form for children)
# for the younger, or a limit "for patients under 16" or "if aged 71-75": one limit per
# group, alternatives; the same limit twice is one leaf.
_AGE_GROUPS = re.compile(r"(?i)\blansky\b|(?:\bfor|\()\s*(?:patients|participants|subjects|children|"
                         r"adults|those)\s+(?:aged?\s+)?(?:[<>≤≥=]|under|over|older|younger|\d)"
                         r"|\b(?:if|when)\s+(?:aged?|older|younger|over|under)\b")


def _age_interval(node: Node) -> tuple[float, float] | None:
    """The ages an age-only node allows, as a closed hull (None: the node is not age-only)."""
    if isinstance(node, Age):
        return {">=": (node.value, inf), ">": (node.value, inf), "<=": (-inf, node.value),
                "<": (-inf, node.value), "=": (node.value, node.value)}.get(node.op)
    if isinstance(node, (All, AnyOf)) and node.items:
        parts = [p for i in node.items if (p := _age_interval(i)) is not None]
        if len(parts) < len(node.items):
            return None
        los, his = [p[0] for p in parts], [p[1] for p in parts]
        return (max(los), min(his)) if isinstance(node, All) else (min(los), max(his))
    return None


def _age_groups(node: Node) -> Node:
    """A criterion of age groups only that no age could meet together ("children of 6 to
    under 12, adolescents of 12 to under 18 and adults from 18"): the groups are
    alternatives, whatever words joined them."""
    if not isinstance(node, All) or len(node.items) < 2:
        return node
    parts = [p for i in node.items if (p := _age_interval(i)) is not None]
    if len(parts) < len(node.items) or max(p[0] for p in parts) <= min(p[1] for p in parts):
        return node
    groups = [g for i in node.items for g in (i.items if isinstance(i, AnyOf) else (i,))]
    return AnyOf(tuple(groups), prov=node.prov)


# An age group, then the limit its patients are held to: "patients over 65 with ECOG 0-1"
_GROUP_WITH = re.compile(r"(?i)\s*(?:years?|yrs?\.?)?\s*(?:old|of\s+age)?\s*,?\s*(?:with|and|who\s+"
                         r"(?:have|has)|having)\s+(?:an?\s+)?(?:\w+\s+){0,2}?")


# A second age limit given as an exception that lets more patients in ("18 or older.
# Exception: patients of 13 or older weighing over 50 kg will be eligible")
_EXCEPTION_WORD = re.compile(r"(?i)\bexception\b|\bexcept\b")
_ALSO_ELIGIBLE = re.compile(r"(?i)\b(?:will|may|can)\s+(?:also\s+)?be\s+(?:eligible|enrolled|included|"
                            r"considered)|\b(?:are|is)\s+(?:also\s+)?eligible\b")


def _age_exception(node: Node, text: str) -> Node:
    """any(the limit, the exception's) for a criterion of two lower age limits, the second
    written as an exception or as also eligible; `node` otherwise."""
    if not isinstance(node, All) or len(node.items) != 2 \
            or not all(isinstance(i, Age) and i.op in (">=", ">") for i in node.items):
        return node
    first, second = node.items
    if first.prov is None or second.prov is None or first.prov.end is None \
            or second.prov.start is None or second.prov.end is None:
        return node
    between = text[first.prov.end:second.prov.start]
    after = text[second.prov.end:second.prov.end + 160].split(".")[0]
    if not (_EXCEPTION_WORD.search(between) or _ALSO_ELIGIBLE.search(after)):
        return node
    return AnyOf((first, second), prov=node.prov)


def _limit_of_group(node: Node, text: str) -> Node:
    """Age groups that are alternatives ("18 to 65 years; those over 65 with ECOG 0-1 are
    included too") beside a performance limit written right after one group: the limit is
    that group's, not every patient's."""
    if not isinstance(node, All) or len(node.items) < 2:
        return node
    perfs = [i for i in node.items if isinstance(i, Performance)]
    groups = [i for i in node.items if not isinstance(i, Performance)]
    hulls = [_age_interval(g) for g in groups]
    if not perfs or not groups or any(h is None for h in hulls):
        return node
    if len(groups) == 1 and isinstance(groups[0], AnyOf):
        alts = list(groups[0].items)
    elif len(groups) > 1 and max(h[0] for h in hulls if h) >= min(h[1] for h in hulls if h):
        # (no age in two groups, but for a bound they share)
        alts = [g for i in groups for g in (i.items if isinstance(i, AnyOf) else (i,))]
    else:
        return node
    for perf in perfs:
        at = next((k for k, g in enumerate(alts) if g.prov is not None and perf.prov is not None
                   and g.prov.end is not None and perf.prov.start is not None
                   and _GROUP_WITH.fullmatch(text, g.prov.end, perf.prov.start)), None)
        if at is None:
            return node
        alts[at] = All((alts[at], perf), prov=alts[at].prov)
    return AnyOf(tuple(alts), prov=node.prov)


def _scales_as_one(node: Node) -> Node:
    """"ECOG 0-2; Karnofsky 70 % or more": one limit on each of two performance scales in
    one criterion are the same requirement written on both scales, whichever the record
    holds (a patient meets it on either): any of them, where all would also hold an ECOG 2
    patient to a Karnofsky score that ECOG 2 is equivalent to only in part. Two limits on one
    scale ("Zubrod 0-1 with A, or Zubrod 2 with B") are alternatives too: no criterion holds
    a patient to both."""
    if not isinstance(node, All):
        return node
    perfs = [i for i in node.items if isinstance(i, Performance)]
    scales = [p.scale for p in perfs]
    each_scale_once = len(set(scales)) == len(scales) and "ecog" in scales
    # (one scale, one direction, several values; not a range: "Karnofsky 10-50 %")
    one_scale_twice = len(set(scales)) == 1 and len({p.op for p in perfs}) == 1 and len(
        {p.value for p in perfs}) == len(perfs)
    if len(perfs) < 2 or not (each_scale_once or one_scale_twice):
        return node
    first = node.items.index(perfs[0])
    rest = [i for i in node.items if not isinstance(i, Performance)]
    either = AnyOf(tuple(perfs), prov=node.prov)
    return All((*rest[:first], either, *rest[first:]), prov=node.prov) if rest else either


def _limits_per_part(node: Node) -> Node:
    if isinstance(node, AnyOf):  # "Karnofsky >= 70 or Lansky >= 70": one limit
        items = [i for k, i in enumerate(node.items) if not (
            isinstance(i, Performance) and i in node.items[:k])]
        return items[0] if len(items) == 1 else AnyOf(tuple(items), prov=node.prov)
    if not isinstance(node, All):
        return node
    items = [_limits_per_part(i) for i in node.items]
    ages = [i for i in items if isinstance(i, Age)]
    perfs = [i for i in items if isinstance(i, Performance)]
    if len(ages) == 1 and perfs and len(items) == len(perfs) + 1 and len(perfs) == len(
            {p.scale for p in perfs}):
        # "Lansky 50 or more (patients 16 years or younger)": the limit holds for that age
        # group only; any(not in the group, the limit)
        limit = perfs[0] if len(perfs) == 1 else All(tuple(perfs), prov=node.prov)
        return AnyOf((Not(ages[0], prov=ages[0].prov), limit), prov=node.prov)
    by_scale: dict[str, list[Performance]] = {}
    for i in items:
        if isinstance(i, Performance):
            by_scale.setdefault(i.scale, []).append(i)
    for same in by_scale.values():
        if len(same) > 1 and len({(p.op, p.value) for p in same}) == 1:  # one limit, twice
            items = [i for i in items if not any(i is p for p in same[1:])]
        elif len({(p.op, p.value) for p in same}) > 1:
            first = items.index(same[0])
            items = [i for i in items if not any(i is p for p in same)]
            items.insert(first, AnyOf(tuple(same), prov=node.prov))
    if len(items) == 1 and len(node.items) > 1:
        return items[0]
    return All(tuple(items), prov=node.prov)


# A criterion whose subject is the patients of one part of the study ("Patients in the
# second stratum must ...", "Subjects of cohort B should ...", "The expansion phase will
# include ..."): a rule for that part only,
# which the layout did not make a cohort; manual review rather than a rule for everyone.
_PART_SUBJECT = re.compile(
    r"(?i)\W{0,4}(?:all\s+)?(?:patients|subjects|participants)\s+(?:in|of|enrolled\s+in|"
    r"assigned\s+to|entering|randomi[sz]ed\s+to)\s+(?:the\s+)?(?:(?:first|second|third|fourth|"
    r"1st|2nd|3rd|4th|[a-z]{1,12}[- ])\s*)?(?:stratum|strata|cohort|arm|group|part|phase|"
    r"module|step)\b(?:\s+(?:[A-Z0-9]{1,3}|I{1,3}V?|[a-z]))?\s+(?:must|should|shall|need|"
    r"are\s+required|will|have\s+to)\b"
    # "For subjects in Groups B or C, earlier X": the criterion of those parts only
    r"|\W{0,4}for\s+(?:all\s+)?(?:patients|subjects|participants)\s+(?:in|of|enrolled\s+in|"
    r"assigned\s+to|entering)\s+(?:the\s+)?(?:stratum|strata|cohorts?|arms?|groups?|parts?|"
    r"phases?|modules?|steps?)\s+[A-Z0-9]{1,3}(?:\s*(?:,|and|or|&)\s*[A-Z0-9]{1,3})*\s*[,:]"
    # "For patients in the docetaxel arm,": a part named by its treatment
    r"|\W{0,4}for\s+(?:all\s+)?(?:patients|subjects|participants)\s+(?:in|of|enrolled\s+in|"
    r"assigned\s+to|entering)\s+the\s+(?:[\w+/-]{2,30}\s+){1,3}(?:stratum|cohort|arm|group|"
    r"part|phase|module|step)\s*[,:]"
    # "For subjects assigned to take X, ...": the rule of the arm that gives X
    r"|\W{0,4}for\s+(?:all\s+)?(?:patients|subjects|participants|those)\s+(?:who\s+are\s+)?"
    r"(?:assigned|randomi[sz]ed|allocated)\s+to\s+(?:take|receive|be\s+treated\s+with)\s+"
    r"[^.;:]{1,60}?,"
    # "Subjects treated at the MTD must have A or B": the patients of the expansion at that dose
    r"|\W{0,4}(?:all\s+)?(?:patients|subjects|participants)\s+(?:treated|enrolled|dosed|included)\s+"
    r"(?:at|in)\s+(?:the\s+)?(?:MTD|RP2D|maximum\s+tolerated\s+dose|recommended\s+(?:phase\s+(?:2|II)\s+)?"
    r"dose|expansion)\b[^.;:]{0,40}?\s(?:must|should|shall|need|are\s+required|will|have\s+to)\b"
    # "Note: the dose expansion phase will include patients with A or B"
    r"|\W{0,4}(?:note\s*:\s*)?(?:the\s+)?(?:dose[- ])?(?:expansion|escalation|extension)\s+"
    r"(?:phase|part|cohorts?|portion|stage)\s+(?:will|shall|may|must|is|are|includes?|"
    r"consists?)\b")


# A criterion for the sites of one country or region ("In the United States only, ...",
# "... (Japan only)", "For sites in France: ..."): not a rule for every patient; manual review.
# The places are data (data/sections.yaml `places`).
@lru_cache(maxsize=1)
def _region_rule() -> re.Pattern[str]:
    place = "(?:the\\s+)?(?:" + "|".join(places()[0]) + ")"
    return re.compile(
        rf"(?:\b(?i:in|for|at)\s+(?:(?i:sites?|centres?|centers?|patients|participants|subjects)\s+"
        rf"(?i:in|from)\s+)?{place}(?:\s+(?i:sites?|centres?|centers?))?\s+(?i:only)\b"
        rf"|\(\s*{place}\s+(?i:only)\s*\)"
        # ("..., except in X. In X, patients must be 20 or over": the country's own rule)
        rf"|\b(?i:except\s+in)\s+{place}\b|(?:^|(?<=[.;]\s))(?i:in)\s+{place}\s*,\s+"
        rf"(?i:patients|subjects|participants)\b"
        rf"|^\W{{0,4}}(?i:for|in|at)\s+(?i:sites?|centres?|centers?)\s+(?i:in)\s+{place}\s*[,:])")


# A part of the study named inside a criterion, as a label: "For the dose escalation part:",
# "In the pharmacodynamic study:" (at the start of the criterion or of a sentence).
_PART_LABEL = re.compile(
    r"(?i)(?:(?<=[.;])|(?<=[.;]\s)|(?<=[.;]\s\s)|\A)\W{0,3}(?:for|in)\s+(?:the\s+)?"
    r"(?:[\w-]+\s+){0,4}(?:study|studies|part|cohort|arm|phase|group|portion|stage|segment)"
    r"(?:\s+(?:[A-Z0-9]{1,3}|I{1,3}V?))?\s*[:：]")


# A finding said to hold for one part only, in brackets right after it ("prior X (for
# subjects in arm A)", "Y (cohort 2 only)"): that part's rule, which the layout did not make
# a cohort; manual review rather than a rule for everyone. (A cancer type of one part, "solid
# tumour (phase 1)" / "SCLC (phase 2)", or a limit, "ECOG 0-2 (phase 1) or 0-1 (phase 2)",
# is one of the trial's alternatives, read as such: `_limits_per_part`.)
_PART_BRACKET = re.compile(
    r"[ \t]*\(\s*(?i:(?:for|in)\s+)?(?i:(?:all\s+)?(?:patients|subjects|participants)\s+(?:in|of|"
    rf"enrolled\s+in|assigned\s+to)\s+)?(?i:the\s+)?{PART_LABEL.pattern}(?i:\s+only)?\s*\)")


# ... or said so at the end of its clause ("prior X for the phase II part.", "(including X in
# one schedule for phase II part only)")
_PART_AFTER = re.compile(
    r"[^().;:]{0,50}?\b(?i:for|in)\s+(?i:the\s+)?" + PART_LABEL.pattern
    + r"(?i:\s+(?:part|portion|cohort|stage|segment))?(?i:\s+only)?\s*(?:[).;]|\Z)")


# "A ... (part 1 only) or B ...": the "or" after a part's bracket joins one part's finding
# and another's, however long the first
_PART_BRACKET_OR = re.compile(_PART_BRACKET.pattern + r"\s*,?\s*(?i:or)\b")


# (what ends the criterion's first clause: the allowance must be its own main clause, not a
# bracket or a later clause after an exclusion, "Narrow-angle glaucoma (open-angle is not
# excluded)")
_BEFORE_ALLOWANCE = re.compile(r"[(\[;:]|(?<=[a-z)\]]{2})\.\s+(?=[A-Z])|\s-\s")
# An exclusion criterion that says what does not exclude ("X is not an exclusion", "Y
# does not exclude a patient", "Z are not excluded")
_NOT_AN_EXCLUSION = re.compile(r"(?i)\b(?:(?:is|are)\s+not|will\s+not\s+be|would\s+not\s+be)\s+"
                               r"(?:considered\s+)?(?:an?\s+)?(?:exclusion(?:ary)?|excluded)\b"
                               r"|\b(?:does|do|will)\s+not\s+exclude\b"
                               # "Patients with one relapse on X (i.e. A, B, ...) are allowed
                               # to participate": who the exclusions let in
                               r"|\b(?:are|is)\s+(?:also\s+|still\s+)?(?:allowed|permitted|eligible)\s+"
                               r"to\s+(?:participate|enrol{1,2}|enter|take\s+part)\b")


# "... (for patients receiving sorafenib and tipifarnib)" closing a criterion: the rule of
# the arm that gives those drugs
_ARM_BY_TREATMENT_AFTER = re.compile(
    r"(?i)\(\s*(?:only\s+)?for\s+(?:the\s+)?(?:patients|subjects|participants|those)\s+"
    r"(?:receiving|treated\s+with|assigned\s+to|randomi[sz]ed\s+to|who\s+will\s+receive)\b"
    r"[^()]{1,120}\)\s*[.;]?\s*\Z")


# "For the NSCLC, CRC and UC expansion cohorts, ...": the rule of those parts, when the layout
# made no cohort of them
_FOR_EXPANSION_PARTS = re.compile(
    r"(?i)\W{0,4}for\s+(?:the\s+|all\s+)?(?:[\w+/-]{1,30},?\s+(?:(?:and|or|&)\s+)?){0,6}?"
    r"(?:dose[- ])?(?:expansion|escalation|extension)\s+(?:cohorts?|arms?|parts?|phases?|"
    r"portions?)\s*[,:]")


# "... are required to have prior X and Y with the exceptions listed below:": a rule whose
# exceptions come as the items under it, which no finding of the line carries
_EXCEPTIONS_BELOW = re.compile(r"(?i)\b(?:with\s+(?:the\s+)?(?:following\s+exceptions?|exceptions?\s+"
                               r"(?:listed|noted|described|given|shown)\s+below)|except\s+as\s+"
                               r"(?:noted|listed|described|specified)\s+below)\b")


# A plain line that only names a topic of treatment in title case or capitals ("Prior
# Systemic Therapy", "CONCOMITANT MEDICATIONS") above the lines about it: a heading, not a
# requirement of that treatment
_TOPIC_WORD = r"(?:[A-Z][a-z]+|[A-Z]{2,})"
_TOPIC_LINE = re.compile(
    rf"\s*(?:(?i:prior|previous|concurrent|concomitant)(?:\s*/\s*{_TOPIC_WORD})?\s+)?(?:{_TOPIC_WORD}\s+){{0,2}}"
    r"(?:Therap(?:y|ies)|Treatments?|Medications?|THERAP(?:Y|IES)|TREATMENTS?|MEDICATIONS?)\s*:?\s*")


# "Prior radiotherapy:" over items that each say which radiotherapy (a site, a field, a time
# window) rules a patient out: a header that names only a kind of treatment, over items that
# name no treatment, is the topic of its items, not a rule of its own (the items hold what is
# required or excluded; items that name drugs are what the header's kind covers, read as before)
_TREATMENT_TOPIC = re.compile(
    r"(?i)\s*(?:(?:prior|previous|earlier|recent|concurrent|concomitant)\s+)?"
    r"(?:(?:anti-?cancer|systemic|local|other|cancer|hormonal|targeted)\s+)?"
    r"(?:radio\s*therapy|radiation(?:\s+therapy)?|irradiation|chemo\s*therapy|immuno\s*therapy|"
    r"surgery|therap(?:y|ies)|treatments?|medications?)\s*[:：]\s*")


def _topic_named_below(own: list[Mention], below: list[Mention]) -> bool:
    """Whether a treatment heading ("Earlier radiotherapy:") is only the topic of its items:
    they name no treatment, or each treatment the heading names comes again in them, itself
    or a kind of it ("focal radiation within 2 weeks", "craniospinal radiation within 3
    months"): the items say what of it is asked."""
    named = [m.data["concept"] for m in below if m.label == "drug" and "concept" in m.data]
    if not named:
        return True
    concepts = _drug_classes()[2]
    heads = [m.data["concept"] for m in own if m.label == "drug" and "concept" in m.data]
    return bool(heads) and all(any(h in concepts(n) for n in named) for h in heads)


def _whole_criterion_unread(c: Criterion, text: str) -> str | None:
    """Why a whole criterion is left for review before any finding is read, or None: a rule
    for one part of the study, or an exclusion whose main clause says what does not exclude
    ("An earlier cancer is not an exclusion provided that ... no concurrent therapy": what the
    exclusions let in, on conditions; no rule to negate)."""
    if _PART_SUBJECT.match(text, c.start, c.end) \
            or _ARM_BY_TREATMENT_AFTER.search(text, c.start, c.end) \
            or (c.cohorts is None and _FOR_EXPANSION_PARTS.match(text, c.start, c.end)):
        return "a rule for one part of the study"
    if c.children and _EXCEPTIONS_BELOW.search(text, c.start, c.end):
        return "a rule whose exceptions are listed below it"
    if not c.style and _TOPIC_LINE.fullmatch(text, c.start, c.end):
        return "a topic heading"
    if c.section == "exclusion":
        found = _NOT_AN_EXCLUSION.search(text, c.start, c.end)
        # (a bracketed aside of the subject is no clause: "X (i.e. A, B) are allowed to ...")
        if found is not None and not _BEFORE_ALLOWANCE.search(
                _ASIDE.sub(lambda a: " " * len(a.group()), text[c.start:found.start()])):
            return "an allowance among the exclusions"
    return None


def _per_part_limit(node: Node) -> bool:
    return diagnosis_choice(node) is not None or isinstance(node, (Age, Performance, Stage, Sex))


def _per_part(found: list[Unit], text: str, prov: Provenance) -> Node | None:
    """"For the first part: A. For the second part: B or C": a patient joins one part, so the
    parts' findings are alternatives: any(A, any(B, C)); the words before the first label
    hold for every part. None when the criterion names fewer than two parts."""
    start, end = prov.start or 0, prov.end if prov.end is not None else len(text)
    cuts = [m.start() for m in _PART_LABEL.finditer(text[start:end])]
    if len(cuts) < 2:
        return None
    cuts = [start + k for k in cuts]
    head = [u for u in found if u.start < cuts[0]]
    parts = [[u for u in found if a <= u.start < b] for a, b in zip(cuts, cuts[1:] + [end])]
    if sum(1 for p in parts if p) < 2:
        return None
    choice = AnyOf(tuple(join_units(p, text, _span(prov, text, p[0].start, p[-1].end,
                                                   "assemble.part"))
                         for p in parts if p),
                   prov=_span(prov, text, cuts[0], end, "assemble.parts"))
    return choice if not head else All((join_units(head, text, prov), choice), prov=prov)


def _defined_by_list(node: Node) -> Node:
    """"MDS by the FAB classification: RAEB, RAEB-T or CMML": a cancer type with a list of
    types after it, some its kinds and some not, is defined by the list, not narrowed to it:
    the type or the listed types that are not its kinds, any(type, those); a list of its
    kinds only ("solid tumour: breast or lung cancer") narrows it, as written."""
    if not isinstance(node, All):
        return node
    items = list(node.items)
    lists = [n for n in items if isinstance(n, AnyOf) and n.items
             and all(isinstance(x, Diagnosis) for x in n.items)]
    if not items or not isinstance(items[0], Diagnosis) or not lists or not all(
            isinstance(n, Diagnosis) or n in lists for n in items):
        return node
    from trialmatch.ontology import default_ontology

    ontology, head = default_ontology(), items[0]
    listed = [x for n in items[1:] for x in (n.items if isinstance(n, AnyOf) else (n,))
              if isinstance(x, Diagnosis)]
    if head.code in {x.code for x in listed}:  # (a name read twice, once as what it covers)
        return node
    kinds = [x for x in listed if ontology.is_a_relation(head.code, x.code) == 2]
    others = [x for x in listed if ontology.is_a_relation(head.code, x.code) == 0
              and ontology.is_a_relation(x.code, head.code) == 0]
    if not kinds or not others:
        return node
    return AnyOf((head, *others), prov=node.prov)


# "advanced solid tumours, including but not limited to patients with KRAS-mutant cancers":
# a biomarker named as an example of the population the cancer type names, not required
_POPULATION_EXAMPLE = re.compile(
    r"(?i)(?:,|\()\s*(?:including|such\s+as|e\.\s?g\.,?|for\s+(?:example|instance),?)"
    r"(?:\s*,?\s*but\s+not\s+limited\s+to)?[\s,:]*(?:(?:patients|subjects|participants|"
    r"those|people|individuals)\s+with\s+)?(?:an?\s+)?\Z")
# (words that make the cancer type's own words a marker class the examples are of: "tumours
# with MAPK pathway alterations, e.g. ...")
_MARKER_CLASS_WORDS = re.compile(r"(?i)\b(?:harbou?r\w*|carry\w*|bearing|mutat\w*|alter\w*|"
                                 r"aberra\w*|fusions?|positive|negative|express\w*|amplif\w*|"
                                 r"deficien\w*|pathway)\b")


def _without_biomarker_examples(found: list[Unit], text: str, c: Criterion) -> list[Unit]:
    """The units without the biomarkers given as examples after a cancer type (see
    _POPULATION_EXAMPLE)."""
    out: list[Unit] = []
    for k, u in enumerate(found):
        if _leaf_type(u.node) in BIOMARKERS and k:
            types = [x for x in found[:k] if _names_cancer(x.node)]
            lo = found[k - 1].end
            cue = _POPULATION_EXAMPLE.search(text, lo, u.start)
            own = k + 1 < len(found) and _names_cancer(found[k + 1].node) \
                and found[k + 1].start - u.end < 15  # ("including Ph+ ALL": an example type)
            if types and cue is not None and not own and not _MARKER_CLASS_WORDS.search(
                    text, types[-1].end, cue.start()):
                continue
        out.append(u)
    return out


def _without_mere_names(found: list[Unit], text: str, c: Criterion) -> list[Unit]:
    """The units without those that only name what the criterion goes on to say: a
    biomarker given as an example of a cancer type's population (inclusion), a treatment
    class whose definition follows ("earlier hormone therapy, defined as castration by
    orchiectomy or an LHRH agonist": the definition says what counts)."""
    if c.section == "inclusion":
        found = _without_biomarker_examples(found, text, c)
    return [u for k, u in enumerate(found) if not (
        k + 1 < len(found) and isinstance(_bare(u.node), PriorTherapy)
        and _DEFINED_AS.match(text, u.end, found[k + 1].start))]


_DEFINED_AS = re.compile(r"(?i)\s*,?\s*\(?\s*(?:(?:is|are|being)\s+)?defined\s+as\b")


def criterion_node(c: Criterion, text: str, ms: list[Mention], inherited: list[str],
                   heading: str = "") -> Node:
    """The node of one criterion (not yet negated for the exclusion section)."""
    prov = Provenance(c.section, c.start, c.end, text[c.start:c.end], "segment.criterion")
    whole = _whole_criterion_unread(c, text)
    if whole is not None:
        return Unparsed(text[c.start:c.end], reason=whole, prov=prov)
    region = _region_rule().search(text[c.start:c.end])
    words = text[c.start:c.end].rstrip(" .;")
    if region is not None and (region.start() < 8 or region.end() >= len(words)):
        return Unparsed(text[c.start:c.end], reason="a rule for the sites of one country",
                        prov=prov)
    # "Aged 18 or over. For Japan only: aged 20 or over": what follows is that country's
    region_cut = c.end if region is None else c.start + region.start()
    colon = text.find(":", c.start, c.end)
    if not c.header and colon > 0 and text[colon + 1:c.end].strip() \
            and announces_count(text[c.start:colon + 1]):
        # "At least 2 of the following: A; or B; or C" on one line: a count of the items
        return Unparsed(text[c.start:c.end], reason="a number of the listed items must hold",
                        prov=prov)
    ctx = Context(text, c.section, c.start, c.end, ms, inherited, heading)
    found = [u for u in _permission_over_lists(units(ctx), text) if u.start < region_cut]
    allowed = tuple(u.node for u in found if u.permitted)
    found = [u for u in found if not u.permitted]
    found = _without_mere_names(found, text, c)
    if not found:
        return (c.section == "inclusion" and (_any_cancer_except(None, [], text, c, ms)
                                              or _all_kinds_except(text, c, ms))) \
            or Unparsed(text[c.start:c.end], prov=prov)
    found = [replace(u, node=Unparsed(text[u.start:u.end], reason="a rule for one part of "
                                      "the study", prov=_span(prov, text, u.start, u.end,
                                                              "assemble.part_bracket")))
             if c.cohorts is None and (_PART_BRACKET.match(text, u.end, c.end) or (
                 isinstance(u.node, PriorTherapy) and _PART_AFTER.match(text, u.end, c.end)))
             and not _per_part_limit(u.node) else u for u in found]
    listed = _types_with_own_treatments(found, text, prov) if c.section == "inclusion" else None
    if c.section == "inclusion":
        found = _site_list_types(_drugs_of_listed_types(found, text), text, c)
        found = _histology_list_types(found, text, c)
    node = listed or _per_part(found, text, prov) or join_units(found, text, prov)
    if _PARTS.search(text, c.start, c.end) or _AGE_GROUPS.search(text, c.start, c.end):
        node = _limits_per_part(node)
    node = _defined_by_list(_scales_as_one(_limit_of_group(_age_exception(_age_groups(node), text),
                                                           text)))
    if allowed:
        node = _widened(node, allowed)
    if c.section == "exclusion":
        node = _type_partly_allowed(node, ms, c)
        node = _group_clause_unread(node, found, text, c, prov)
        node = _stage_unread(node, found, text, c, prov)
    if c.section == "inclusion":
        if listed is None:  # (a list of types already is its alternatives)
            node = _unread_alternative(node, found, text, c)
        node = _unread_cancer_after_or(node, found, text, c, ms)
        node = _any_cancer_except(node, found, text, c, ms) or node
        node = _unread_procedure_after_or(node, found, text, c)
        node = _unread_after_age(node, found, text, c)
        node = _examples_of_unread_head(node, found, text, c)
    return with_evidence(node, text[c.start:c.end], heading)


# An example cue after words that name a group of cancers the parser does not read ("Other
# blood disorders for which a transplant is appropriate (e.g., myelofibrosis)")
_EXAMPLE_CUE = re.compile(rf"(?i)[(,]?\s*{EXAMPLE_OPENERS}")
_UNREAD_HEAD = re.compile(r"(?i)\b(?:disorders?|diseases?|malignanc(?:y|ies)|cancers?|tumou?rs?|"
                          r"neoplasms?|conditions?|features?|factors?|characteristics?|"
                          r"findings?|lesions?)\b")


def _examples_of_unread_head(node: Node, found: list[Unit], text: str, c: Criterion) -> Node:
    """any(node, the head) when every finding of the criterion is a cancer type given as an
    example ("(e.g., X)", "such as X") of a head naming cancers that reads nothing: the
    examples do not close the group."""
    if not found or not all(_names_cancer(u.node) for u in found):
        return node
    cue = _EXAMPLE_CUE.search(text, c.start, c.end)
    if cue is None or any(u.start < cue.end() for u in found):
        return node
    a, b = _trimmed(text, c.start, cue.start())
    if not _UNREAD_HEAD.search(text, a, b):
        return node
    head = Unparsed(text[a:b], reason="a group the examples do not close",
                    prov=Provenance(c.section, a, b, text[a:b], "assemble.example_head"))
    return AnyOf((node, head), prov=Provenance(c.section, c.start, c.end, text[c.start:c.end],
                                               "assemble.example_head"))


@lru_cache(maxsize=1)
def _site_noun() -> re.Pattern[str]:
    """A body site of data/sites.yaml, as a whole word."""
    return re.compile(r"(?i)(?<![\w-])" + _site_words(adjectives=False))


def _site_words(adjectives: bool) -> str:
    """The body sites of data/sites.yaml (their nouns, and with `adjectives` their adjectives),
    as one alternation, longest first, ending at a word's end."""
    words = sorted({w for site in sites() for w in (*site.nouns, *(site.adjectives if adjectives
                                                                   else ()))},
                   key=len, reverse=True)
    return "(?:" + "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in words) + r")(?![\w-])"


@lru_cache(maxsize=1)
def _site_list() -> re.Pattern[str]:
    """"(primary) sites eligible include A, B, C", A and B body sites of data/sites.yaml:
    a list of where the cancer may arise, up to its end."""
    noun = _site_words(adjectives=False)
    return re.compile(r"(?i)\bsites?\b[^.;:]{0,40}?(?:\binclud\w*|\bare|:)\s+(?:the\s+)?" + noun
                      + r"(?:\s*(?:,|\bor\b|\band\b|and/or)\s*(?:the\s+)?" + noun + r")+"
                      + r"[^.;]*")


def _site_list_types(found: list[Unit], text: str, c: Criterion) -> list[Unit]:
    """`found`, with a cancer type named inside a list of body sites ("sites eligible include
    the larynx, oropharynx or an unknown primary") left for review: the sites are not read
    as types, so the one type read would stand for the whole list."""
    if "site" not in text[c.start:c.end].lower():
        return found
    # (a list whose sites were all read as types, "breast, colon or prostate cancer", is
    # one of types)
    types = [u for u in found if _names_cancer(u.node)]
    spans = [(m.start(), m.end()) for m in _site_list().finditer(text, c.start, c.end)
             if any(not any(u.start <= s.start() < u.end for u in types)
                    for s in _site_noun().finditer(text, m.start(), m.end()))]
    if not spans:
        return found
    return [replace(u, node=Unparsed(text[u.start:u.end], reason="one of a list of body sites",
                                     prov=u.node.prov))
            if _names_cancer(u.node) and any(a <= u.start < b for a, b in spans) else u
            for u in found]


# A list announced as histologies ("the following histologic cell types are eligible: A, B,
# C"): its names are kinds of the cohort's cancer
_HISTOLOGY_LIST = re.compile(r"(?i)\b(?:histolog\w*\s+(?:(?:epithelial\s+)?cell\s+)?(?:sub)?types?|"
                             r"(?:epithelial\s+)?cell\s+types?)\b[^:.;]{0,40}:")


@lru_cache(maxsize=1)
def _site_word() -> re.Pattern[str]:
    """A body site of data/sites.yaml, by a noun or an adjective."""
    return re.compile(r"(?i)(?<![\w-])" + _site_words(adjectives=True))


def _histology_list_types(found: list[Unit], text: str, c: Criterion) -> list[Unit]:
    """`found`, with the cancer types of a list announced as histologies left for review
    when their names say no site ("transitional cell carcinoma", "undifferentiated
    carcinoma" in a list of ovarian histologies): read alone they would be the bladder's or
    no organ's cancer, and required they would turn away the cohort's own patients."""
    if not any(_names_cancer(u.node) for u in found):
        return found
    head = _HISTOLOGY_LIST.search(text, c.start, c.end)
    if head is None:
        return found
    return [replace(u, node=Unparsed(text[u.start:u.end], prov=u.node.prov))
            if u.start >= head.end() and _names_cancer(u.node)
            and not _site_word().search(text, u.start, u.end) else u for u in found]


# Between a treatment and the next cancer type of a list: the list goes on ("lymphoma
# relapsed after chemotherapy, or CLL", "CML after imatinib; MDS after azacitidine")
_NEXT_LISTED = re.compile(r"(?i)(?:(?!\b(?:includ\w*|such\s+as|e\.g|for\s+example|particularly|"
                          r"especially|namely)\b)[^.:])*?(?:[,;]|\b(?:and|or|and/or)\b)"
                          r"(?:(?!\b(?:includ\w*|such\s+as|e\.g|for\s+example|particularly|"
                          r"especially|namely)\b)[^.:])*\Z")


def _drugs_of_listed_types(found: list[Unit], text: str) -> list[Unit]:
    """`found`, with a required treatment written inside one item of a list of cancer types
    (a type read before it, another after it in the same list) left for review: it is
    required of that type's patients only, which a rule for every patient would get wrong
    ("AML after induction failure, MDS of high risk, lymphoma relapsed after chemotherapy,
    and CLL")."""
    types = [u for u in found if _names_cancer(u.node)]
    if len(types) < 2:
        return found
    drugs = [u for u in found if isinstance(u.node, PriorTherapy)
             and any(t.end <= u.start for t in types)]
    inside = [u for u in drugs if (after := next((t for t in types if t.start >= u.end), None))
              and _NEXT_LISTED.match(text, u.end, after.start)]
    if not inside:
        return found
    # (one item's treatment found, the list is one of types each with its own: "CML after
    # imatinib; MDS after azacitidine", the last item's treatment too)
    return [replace(u, node=Unparsed(text[u.start:u.end], reason="a treatment required of one "
                                     "of the listed cancers", prov=u.node.prov))
            if any(u is d for d in drugs) else u for u in found]


# the words between the last type of a list and a treatment in a bracket after it ("...; CML
# (after imatinib)")
_TREATMENT_BRACKET = re.compile(r"\s*[(\[][^()\[\]]*")


def _types_with_own_treatments(found: list[Unit], text: str, prov: Provenance) -> Node | None:
    """A criterion that is only a list of cancer types, some items with a treatment of their
    own ("AML refractory to cytarabine; MDS; CML (failed imatinib)"): any of the types, each
    with its item's treatment left for review; None for any other criterion (see
    `_drugs_of_listed_types`, which leaves the treatments for review in a longer one)."""
    if not found or not _names_cancer(found[0].node) or any(
            not _names_cancer(u.node) and not isinstance(_bare(u.node), PriorTherapy)
            for u in found):
        return None
    items: list[list[Unit]] = []
    for u in found:
        if _names_cancer(u.node):
            items.append([u])
        elif ";" in text[items[-1][-1].end:u.start] or u.start < items[-1][0].end:
            return None  # a treatment in an item of its own, or in the type's name
        else:
            items[-1].append(u)
    if len(items) < 2 or all(len(item) == 1 for item in items) or not all(
            _NEXT_LISTED.match(text, a[-1].end, b[0].start) for a, b in zip(items, items[1:])):
        return None
    last = items[-1]
    if len(last) > 1 and not _TREATMENT_BRACKET.fullmatch(text, last[0].end, last[1].start):
        return None  # "A, B or C after platinum": the treatment may be every item's
    return AnyOf(tuple(item[0].node if len(item) == 1 else All((item[0].node, *(
        Unparsed(text[d.start:d.end], reason="a treatment required of one of the listed "
                 "cancers", prov=d.node.prov) for d in item[1:])), prov=_span(
        prov, text, item[0].start, item[-1].end, "assemble.listed_type")) for item in items),
        prov=_span(prov, text, found[0].start, found[-1].end, "assemble.or"))


# the rest of a sentence that lets its subject in ("... squamous NSCLC are eligible.")
_ELIGIBLE_AFTER = re.compile(r"(?i)[^.;]{0,60}?\b(?:are|is|will\s+be|may\s+be)\s+(?:also\s+)?"
                             r"(?:eligible|allowed|permitted|included)\b")


def _type_partly_allowed(node: Node, ms: list[Mention], c: Criterion) -> Node:
    """An excluded cancer type that the same criterion lets in in part ("Squamous lung
    carcinoma. Patients with only peripheral squamous lesions are eligible."): which of its
    patients are ruled out cannot be told, so it is left for review."""
    cancers = sorted((m for m in ms if m.label == "cancer" and c.start <= m.start < c.end),
                     key=lambda m: m.start)
    text = c.text
    allowed = {m.data.get("code") for m in cancers[1:]
               if _ELIGIBLE_AFTER.match(text, m.end - c.start)}
    if not allowed or not _names_cancer(node) or isinstance(node, All):
        return node  # (a type ruled out with a qualifier of its own already names its part)

    def visit(n: Node, _negated: bool, _depth: int) -> Node:
        if isinstance(n, Diagnosis) and n.code in allowed:
            return Unparsed(n.prov.text if n.prov and n.prov.text else n.code,
                            reason="excluded, but the criterion lets some of its patients in",
                            prov=n.prov)
        return n

    return rewrite(node, visit)


# An exclusion of a group narrowed by a relative clause ("Patients with A who have B",
# "A patients whose disease ..."): those of the group for whom the clause holds are ruled
# out, not the whole group. When the clause reads nothing, it is left to review beside what
# the subject names: not(all(A, unread)), so a patient with A is not rejected for A alone.
# (Not "patients with A or those who ...": another group.)
_GROUP_CLAUSE = re.compile(
    r"(?i)\W{0,6}(?:(?:patients|subjects|participants|individuals|those|women|men|children)\s+"
    r"(?:with|having|diagnosed\s+with)\s+(?:(?!\bor\s+(?:those|patients|subjects|participants|"
    r"individuals)\b)[^.;:]){2,100}?|[^.;:]{2,60}?\s+(?:patients|subjects|"
    r"participants))\s*,?\s+(?:who|whose|in\s+whom|for\s+whom)\s+(?P<rest>[^.;]{3,})")


# ... or a cancer narrowed by words after "with" that read nothing ("lung cancer with central
# chest tumours", "leukaemia with CNS involvement"): those patients only
_TYPE_WITH = re.compile(r"(?i)\s*,?\s+(?:with|having)\s+(?!(?:or\s+without|the\s+exception|exception|"
                        r"no|any\s+other|other)\b)(?P<rest>[^.;]{3,})")


def _type_with_unread(found: list[Unit], text: str, c: Criterion) -> re.Match[str] | None:
    """The "with ..." clause after the one cancer type an exclusion names, when the clause
    reads nothing; else None."""
    if len(found) != 1 or not _names_cancer(found[0].node):
        return None
    return _TYPE_WITH.match(text, found[0].end, c.end)


# A stage group named in an exclusion ("known EGFR mutation and stage IV disease"): the
# exclusion holds for that stage only, which no profile states
_STAGE_WORDS = re.compile(r"(?i)\bstages?\s+(?:[0IV]{1,4}[A-Ca-c]?|[0-4][A-Ca-c]?)(?![\w-])"
                          r"(?:\s*(?:-|–|to|or|and)\s*(?:[0IV]{1,4}[A-Ca-c]?|[0-4][A-Ca-c]?)(?![\w-]))?")
_FOR_STAGE = re.compile(r"(?i)\b(?:for|in)\s+(?:the\s+)?(?:(?:advanced|metastatic|recurrent)\s+)?\W*\Z")
_EXCEPTION_BEFORE = re.compile(r"(?i)\b(?:except|other\s+than|excluding|unless|apart\s+from|"
                               r"with\s+the\s+exceptions?\s+of|but\s+not|allowed|permitted)\b")


def _stage_unread(node: Node, found: list[Unit], text: str, c: Criterion,
                  prov: Provenance) -> Node:
    """all(node, the stage) for an exclusion whose findings are said of one stage group,
    named outside every finding and not inside an exception; `node` otherwise."""
    if isinstance(node, Unparsed) or not found:
        return node
    for m in _STAGE_WORDS.finditer(text, c.start, c.end):
        if any(u.start <= m.start() < u.end for u in found) \
                or _EXCEPTION_BEFORE.search(text, c.start, m.start()) \
                or _FOR_STAGE.search(text, max(c.start, m.start() - 30), m.start()):
            continue  # ("chemotherapy for stage IV disease": the treatment's setting)
        stage = Unparsed(m.group(), reason="the stage the exclusion is limited to",
                         prov=_span(prov, text, m.start(), m.end(), "assemble.stage"))
        return All((*node.items, stage), prov=node.prov or prov) if isinstance(node, All) \
            else All((node, stage), prov=prov)
    return node


def _group_clause_unread(node: Node, found: list[Unit], text: str, c: Criterion,
                         prov: Provenance) -> Node:
    m = _GROUP_CLAUSE.match(text, c.start, c.end) or _type_with_unread(found, text, c)
    if m is None or any(u.end > m.start("rest") for u in found):
        return node
    a, b = _trimmed(text, m.start("rest"), c.end)
    rest = Unparsed(text[a:b], reason="who of the group the criterion means",
                    prov=_span(prov, text, a, b, "assemble.group_clause"))
    return All((*node.items, rest)) if isinstance(node, All) else All((node, rest))


# "<a cancer type> or <words that name a cancer the parser does not know>": a cancer noun
# within a few words after the "or" ("NSCLC or periampullary cancer"), or a short abbreviation
# ("DLBCL or iNHL"). Not another or earlier cancer ("or any other malignancy"): history.
_UNREAD_NOUNS = (r"(?i:cancers?|carcinomas?|adenocarcinomas?|tumou?rs?|neoplasms?|lymphomas?|"
                 r"leuka?emias?|sarcomas?|malignanc(?:y|ies)|myelomas?|blastomas?|gliomas?|"
                 r"melanomas?)\b(?!\s+in\s+situ)")
_OR_UNREAD_CANCER = re.compile(
    # ("RCC with clear-cell histology and/or a sarcomatoid component": after the histology
    # that narrows the type)
    r"(?:\s+(?i:with)\s+(?:[\w-]+\s+){0,3}?(?i:histology|features?|components?|differentiation))?"
    r"\s*,?\s*(?i:or|and/or)\s+(?P<alt>(?i:an?\s+)?(?!(?i:other|another|second|prior|previous|"
    rf"any|history|no|not)\b)(?:(?i:[a-z][\w'-]*)\s+){{0,3}}?{_UNREAD_NOUNS}|[a-z]?[A-Z]{{2,6}}s?"
    r"(?![\w-]))")
# "<types> or (any) other malignancy": any cancer, the root of the cancer types
_OR_OTHER_ANY = re.compile(
    r"\s*,?\s*(?i:or|and/or)\s+(?P<alt>(?i:any\s+)?(?i:other)\s+(?i:types?\s+of\s+)?"
    r"(?i:malignanc(?:y|ies)|cancers?|tumou?rs?|neoplasms?|solid\s+tumou?rs?))\b")
ANY_CANCER = "TISSUE"  # OncoTree's root (trialmatch.ontology.ROOT): any cancer
# ... and in an inclusion criterion, "<type> or other <cancers>" ("colorectal cancer or other
# adenocarcinomas"): more types the trial takes (elsewhere "or any other malignancy" is history)
_OR_OTHER_UNREAD = re.compile(
    r"\s*,?\s*(?i:or|and/or)\s+(?P<alt>(?i:other|similar|related)\s+(?:(?i:[a-z][\w'-]*)\s+){0,2}?"
    rf"{_UNREAD_NOUNS})")


def _unread_cancer_after_or(node: Node, found: list[Unit], text: str, c: Criterion,
                            ms: list[Mention]) -> Node:
    """A cancer type followed by "or" and a cancer the parser cannot name keeps that cancer
    as an `unparsed` alternative (any(type, unparsed)): a patient who has it is not rejected
    for the type the parser did read (manual review)."""
    types = [u for u in found if diagnosis_choice(u.node) is not None]
    node = _or_unread(node, types, text, c, _OR_UNREAD_CANCER, "assemble.unread_cancer", ms)
    if c.section != "inclusion":
        return node
    for u in types:  # "glioma or brain metastases": any solid tumour that spread there
        spread = _or_spread(text, u.end, c.end)
        if spread is not None:
            lo, hi = spread
            solid = Diagnosis(ANY_SOLID, prov=Provenance(c.section, lo, hi, text[lo:hi],
                                                         "assemble.or_spread"))
            return _with_alternative(node, solid, u.start, hi, text, c)
    for u in types:  # "A, B or other malignancy": any cancer at all
        m = _OR_OTHER_ANY.match(text, u.end, c.end)
        if m is not None:
            other: Node = Diagnosis(ANY_CANCER, prov=Provenance(
                c.section, m.start("alt"), m.end(), m.group("alt"), "assemble.or_other"))
            left_out = _types_excepted(text, m.end(), c, ms)  # "(excluding any leukaemia)"
            if left_out is not None:
                other = All((other, left_out), prov=other.prov)
            return _with_alternative(node, other, u.start, m.end(), text, c)
    return _or_unread(node, types, text, c, _OR_OTHER_UNREAD, "assemble.unread_cancer", ms)


# "... (except for leukaemias)", "..., other than a skin carcinoma": the cancer types a
# criterion on any cancer leaves out
_EXCEPTED = re.compile(r"\s*,?\s*\(?\s*(?i:other\s+than|except(?:\s+for)?|excluding|"
                       r"with\s+the\s+exception\s+of)\s(?P<span>[^;.()]{1,120})")
# an inclusion criterion on any cancer, by its noun alone ("Histologically confirmed advanced
# malignancies", "Cancer"); not "Any malignancy other than ...", an exclusion's words
_ANY_CANCER_OPENS = re.compile(
    r"(?i)[\W\d]{0,6}(?!any\b)(?:(?:histologically|cytologically|pathologically|and|or|/|"
    r"confirmed|documented|proven|diagnosis\s+of|advanced|metastatic|active|an?|locally|"
    r"unresectable|recurrent|refractory|relapsed)[\s,/]+){0,6}"
    r"(?:cancers?|malignanc(?:y|ies)|neoplasms?|tumou?rs?)\b")


# "or" and what may name metastases at a site (data/conditions.yaml `spread`)
_OR_BEFORE_SPREAD = re.compile(r"\s*,?\s*(?i:or|and/or)\s+(?:(?i:an?|with|known|active)\s+)?")
ANY_SOLID = "SOLID"


def _or_spread(text: str, pos: int, end: int) -> tuple[int, int] | None:
    """The span of "or brain metastases" ("or metastatic brain tumours", data/conditions.yaml
    `spread`) right at `pos`: metastases named by the site they reached are any solid
    tumour's, as the same words are in a record's conditions (a primary tumour of the site
    is a solid tumour too: the trial's words for it are read on their own); None when none
    follows."""
    m = _OR_BEFORE_SPREAD.match(text, pos, end)
    if m is None:
        return None
    for _tissue, terms in spread_terms():
        found = terms.match(text, m.end(), end)
        if found is not None:
            # (not "or liver metastases from colorectal cancer": the primary is named)
            return None if _SPREAD_FROM.match(text, found.end(), end) else (
                found.start(), found.end())
    return None


_SPREAD_FROM = re.compile(r"\s*(?:\([^()]{0,30}\)\s*)?(?i:from|of|originating|arising|"
                          r"secondary\s+to|due\s+to)\b")


def _types_excepted(text: str, pos: int, c: Criterion, ms: list[Mention]) -> Node | None:
    """The `not` of the cancer types an exception right at `pos` names (see `_EXCEPTED`),
    when it names only cancer types; else None."""
    m = _EXCEPTED.match(text, pos, c.end)
    if m is None:
        return None
    inside = [x for x in ms if m.start("span") <= x.start and x.end <= m.end("span")]
    types = [x for x in inside if x.label == "cancer" and x.data.get("code")]
    if not types or any(x.label not in ("cancer", "cue") for x in inside):
        return None
    items = tuple(Diagnosis(code, prov=Provenance(c.section, x.start, x.end, text[x.start:x.end],
                                                  "assemble.excepted"))
                  for x in types for code in umbrella_codes(text[x.start:x.end], x.data["code"])
                  or (x.data["code"],))
    prov = Provenance(c.section, m.start(), m.end(), m.group(0), "assemble.excepted")
    return Not(items[0] if len(items) == 1 else AnyOf(items, prov=prov), prov=prov)


def _any_cancer_except(node: Node | None, found: list[Unit], text: str, c: Criterion,
                       ms: list[Mention]) -> Node | None:
    """"Advanced malignancies (except for leukaemias)", "Cancer, other than a skin carcinoma":
    an inclusion criterion on any cancer but the types it leaves out, all(any cancer,
    not(types), what the rest of it reads); None when it does not open so, or reads
    something before the exception's end."""
    m = _ANY_CANCER_OPENS.match(text, c.start, c.end)
    left_out = _types_excepted(text, m.end(), c, ms) if m is not None else None
    until = left_out.prov.end if left_out is not None and left_out.prov is not None else None
    if m is None or left_out is None or until is None or any(u.start < until for u in found):
        return None
    any_cancer = Diagnosis(ANY_CANCER, prov=Provenance(c.section, c.start, m.end(),
                                                       text[c.start:m.end()], "assemble.excepted"))
    return All((any_cancer, left_out, *(() if node is None else (node,))), prov=Provenance(
        c.section, c.start, c.end, text[c.start:c.end], "assemble.excepted"))


# "All immunophenotypes and subtypes are eligible for participation, except ...": every kind of
# the type the trial requires, but those the exception names
_ALL_KINDS_ELIGIBLE = re.compile(
    r"(?i)\W{0,6}(?:all|any)\s+(?:[\w/-]+\s+){0,5}?(?:subtypes?|types?|groups?|histolog\w*|"
    r"variants?|forms?|kinds?|categories|immunophenotypes?)\s+(?:are|is|will\s+be)\s+"
    r"(?:eligible|allowed|permitted|accepted|included)(?:\s+(?:for|in)\s+(?:participation|"
    r"(?:this|the)\s+(?:study|trial)))?")


def _all_kinds_except(text: str, c: Criterion, ms: list[Mention]) -> Node | None:
    """"All subtypes are eligible except X": the `not` of the cancer types excepted (see
    `_types_excepted`); None when the criterion does not read so."""
    m = _ALL_KINDS_ELIGIBLE.match(text, c.start, c.end)
    return _types_excepted(text, m.end(), c, ms) if m is not None else None


def _or_unread(node: Node, found: list[Unit], text: str, c: Criterion, pattern: re.Pattern[str],
               source: str, ms: list[Mention] | None = None) -> Node:
    """`node` with the words `pattern` finds right after one of `found` ("or" and an
    alternative the parser cannot read, its group "alt") as an `unparsed` alternative of
    that finding; unchanged when none follows (or, with `ms`, when a mention other than a
    cue lies in those words)."""
    for u in found:
        m = pattern.match(text, u.end, c.end)
        if m is None or any(m.start() < x.end and x.start < m.end() and x.label != "cue"
                            for x in ms or ()):
            continue
        words = m.group("alt")
        other = Unparsed(words, reason="an alternative the parser cannot read", prov=Provenance(
            c.section, m.start("alt"), m.end(), words, source))
        return _with_alternative(node, other, u.start, m.end(), text, c)
    return node


# A clause-level "or" between alternatives of one criterion: "; or", ", OR", an "OR" line,
# or the "or" that closes an "either ..., or" (the comma marks the clause; an "either A or B"
# closed before it is not, as in "either A or B, as shown by X, Y, or Z").
_CLAUSE_OR = re.compile(r";\s*(?i:or)\b|,\s*OR\b|(?m:^\s*OR\s*$)|"
                        r"(?i:\beither\b(?:(?!\bor\b)[^;]){1,200}?,\s*or\b)")
# "... or untreated patients with X": a group of patients in another treatment state, an
# alternative of its own when one side of it reads nothing (both sides read are joined as the
# units say)
_POPULATION_OR = re.compile(r"(?i)\bor\s+(?:untreated|previously\s+(?:un)?treated|"
                            r"treatment[- ]na[iï]ve|newly\s+diagnosed)\s+(?:patients|subjects|"
                            r"participants|individuals)\s+(?:with|who|whose|having)\b")
# ... or after a semicolon, a second population named with its own cancer types ("patients
# with relapsed AML or MDS; elderly patients (>= 65) with untreated AML unfit for
# chemotherapy"): two groups the trial takes, alternatives when each side names a cancer
_POPULATION_SEMI = re.compile(r"(?i);\s*(?:(?:elderly|older|younger|adult|paediatric|pediatric|"
                              r"untreated|previously\s+(?:un)?treated|newly\s+diagnosed|"
                              r"treatment[- ]na[iï]ve)\s+)?(?:patients|subjects|participants|"
                              r"individuals)\b")
# An upper-case "OR" inside a sentence: between two treatment histories, it joins them.
_INLINE_OR = re.compile(r"(?<=[a-z0-9)%])\s+OR\s+(?=[a-z])")
# The same without its "OR"-line and "either" alternatives, for text holding neither word:
# it starts with a character class, so re skips to a ";" or "," instead of trying every
# alternative at every character.
_CLAUSE_OR_MARKS = re.compile(r";\s*(?i:or)\b|,\s*OR\b")
_CLAUSE_END = re.compile(r"[;]")


def _clause_or(text: str, start: int, end: int, low: str) -> re.Match[str] | None:
    """`_CLAUSE_OR.search(text, start, end)`; `low` is text[start:end].lower()."""
    rx = _CLAUSE_OR if "either" in low or "OR" in text[start:end] else _CLAUSE_OR_MARKS
    return rx.search(text, start, end)


# "either A, B or C": the items of a list of alternatives after "either", up to the last one.
_EITHER_LIST = re.compile(r"(?i)\beither\b[\s,:]*(?P<items>[^;.()]{1,200}?\bor\b[^;.,()]{1,60})")
_ITEM_CUT = re.compile(r"(?i)\s*,\s*(?:(?:and/or|or)\b)?\s*|\s+(?:and/or|or)\s+")


# "either primary tumour or metastatic tissue confirmation of X": where the test was done, no
# alternative to what it found
_SPECIMEN = re.compile(r"(?i)(?:(?:the|a|an)\s+)?(?:(?:primary|invasive|metastatic|archival|archived|fresh|"
                       r"recent|original|diagnostic|new|tumou?r)\s+){0,2}(?:tumou?r|tissue|sample|"
                       r"specimen|biopsy|lesion|site|block)s?")


def _either_list(node: Node, found: list[Unit], text: str, c: Criterion, low: str) -> Node:
    """"Refractory to either X, Y or Z" where some items are read and some are not: the
    unread items stay as an `unparsed` alternative (any(node, unparsed)), not dropped."""
    m = _EITHER_LIST.search(text, c.start, c.end) if "either" in low else None
    if m is None:
        return node
    lo, hi = m.span("items")
    cuts = [(a.start(), a.end()) for a in _ITEM_CUT.finditer(text, lo, hi)]
    bounds = [lo, *(x for cut in cuts for x in cut), hi]
    unread: list[tuple[int, int]] = []
    read = False
    for a, b in zip(bounds[::2], bounds[1::2], strict=False):
        item = text[a:b].strip()
        if not item:
            continue
        if any(a <= u.start < b or u.start < a < u.end for u in found):
            read = True
        elif re.search(r"[A-Za-z]{2}", item) and not _SPECIMEN.fullmatch(item):
            start = text.index(item, a)
            unread.append((start, start + len(item)))
    if not read or not unread:
        return node
    # the trial's own words from the first unread item to the last, at their offsets
    first, last = unread[0][0], unread[-1][1]
    words = text[first:last]
    other = Unparsed(words, reason="an alternative the parser cannot read", prov=Provenance(
        c.section, first, last, words, "assemble.unread_alternative"))
    return _with_alternative(node, other, lo, hi, text, c)


def _inside(node: Node, lo: int, hi: int) -> bool:
    p = node.prov
    return p is not None and p.start is not None and p.end is not None and \
        lo <= p.start and p.end <= hi


def _with_alternative(node: Node, other: Node, lo: int, hi: int, text: str,
                      c: Criterion) -> Node:
    """`other` as one more alternative of the part of `node` read from text[lo:hi]: the
    `any` (or the one finding) written there; the whole node when no part lies inside."""
    if isinstance(node, AnyOf) and _inside(node, lo, hi):
        return AnyOf((*node.items, other), prov=Provenance(c.section, lo, hi, text[lo:hi],
                                                          "assemble.or"))
    if isinstance(node, All):
        inner = [i for i, n in enumerate(node.items) if _inside(n, lo, hi)]
        if len(inner) == 1:
            k = inner[0]
            item = node.items[k]
            wider = _with_alternative(item, other, lo, hi, text, c) if isinstance(
                item, AnyOf) else AnyOf((item, other), prov=Provenance(
                    c.section, lo, hi, text[lo:hi], "assemble.or"))
            return All((*node.items[:k], wider, *node.items[k + 1:]), prov=node.prov)
    prov = Provenance(c.section, c.start, c.end, text[c.start:c.end], "assemble.or")
    return AnyOf((node, other), prov=prov)


# "<drug> or (prior) bilateral orchiectomy", "... or surgical castration": a procedure that
# does what the drug does, an alternative the profile does not record
_OR_PROCEDURE = re.compile(
    r"[^;.]{0,40}?\b(?i:or|and/or)\s+(?P<alt>(?:(?i:by|prior|previous|with|a|an|surgical|bilateral|"
    r"medical|radiation|radiation-induced)\s+){0,3}(?i:orchi\w{0,3}ectomy|orchidectomy|oophorectomy|"
    r"castration|ovarian\s+(?:ablation|suppression|irradiation)|adrenalectomy|hypophysectomy))\b")


def _unread_procedure_after_or(node: Node, found: list[Unit], text: str, c: Criterion) -> Node:
    """A required treatment followed by "or" and a procedure that stands for it keeps the
    procedure as an `unparsed` alternative: any(treatment, procedure), so a patient treated
    by surgery is not rejected for lacking the drug (manual review)."""
    treatments = [u for u in found if any(isinstance(n, PriorTherapy) for n in walk(u.node))]
    return _or_unread(node, treatments, text, c, _OR_PROCEDURE, "assemble.unread_procedure")


# "aged 60 or older, or unfit for intensive chemotherapy", "due to age (>= 65) or a serious
# illness", "node-negative with age < 35 years or a grade 3 tumour": another way in, after an
# age limit (not "or older", "or over", "or 21 in the US": the limit's own; not "or as local
# law defines": the same limit); the words must name nothing the parser reads (they may open
# with a letter of any script: "or Ⅲ grade")
_OR_AFTER_AGE = re.compile(
    r"\s*(?:years?(?:\s+old)?|yrs?\.?)?\s*\)?\s*,?\s*(?i:or|and/or)\s+(?P<alt>(?!(?i:older|younger|"
    r"over|under|above|below|more|less|greater|equal|elder|higher|lower|the\s+age|legal|local|"
    r"as\s+(?:defined|required|per)|age\s+of\s+majority)\b)(?![\d<>≤≥=])[^\W_][^;.]{4,120})")


def _unread_after_age(node: Node, found: list[Unit], text: str, c: Criterion) -> Node:
    """An age limit followed by "or" and another way in the profile cannot tell ("aged 60 or
    older, or unfit for intensive chemotherapy") keeps that way as an `unparsed` alternative:
    a younger patient who is unfit is not rejected for the age (manual review)."""
    ages = [u for u in found if isinstance(u.node, Age) or (
        isinstance(u.node, All) and all(isinstance(n, Age) for n in u.node.items))]
    for u in ages:
        m = _OR_AFTER_AGE.match(text, u.end, c.end)
        if m is None or any(m.start("alt") <= v.start < m.end() for v in found) \
                or len(_GAP_WORD.findall(m.group("alt"))) < 2:
            continue
        words = m.group("alt").strip()
        other = Unparsed(words, reason="an alternative the parser cannot read", prov=Provenance(
            c.section, m.start("alt"), m.start("alt") + len(words), words, "assemble.or_after_age"))
        return _with_alternative(node, other, u.start, m.end(), text, c)
    return node


def _listed_alternatives(node: Node, found: list[Unit], text: str, c: Criterion, low: str
                         ) -> Node:
    """The alternatives of an "either" list (`_either_list`), or the two populations around
    a semicolon (`_second_population`); `node` when there are none."""
    listed = _either_list(node, found, text, c, low)
    if listed is node and ";" in low and (
            second := _second_population(found, text, c, low)) is not None:
        return _history_sides(node, found, text, c, second, any_kind=True)
    return listed


def _second_population(found: list[Unit], text: str, c: Criterion, low: str
                       ) -> re.Match[str] | None:
    """The one semicolon of a criterion with no clause-level "or" that opens a second
    population (_POPULATION_SEMI) when both sides of it name a cancer type; None otherwise."""
    semi = list(_POPULATION_SEMI.finditer(text, c.start, c.end))
    if len(semi) != 1 or _clause_or(text, c.start, c.end, low) is not None:
        return None
    sides = ([u for u in found if u.start < semi[0].start()],
             [u for u in found if u.start >= semi[0].end()])
    return semi[0] if all(any(_names_cancer(u.node) for u in side) for side in sides) else None


def _unread_alternative(node: Node, found: list[Unit], text: str, c: Criterion) -> Node:
    """A criterion whose findings all lie on one side of a clause-level "or" (_CLAUSE_OR)
    and whose other side names nothing the parser reads ("progression on drug A; or a
    condition we cannot read") keeps that side as an `unparsed` alternative: any(node,
    unparsed), so the unread alternative is not dropped (a patient who may meet it is not
    rejected; it goes to manual review)."""
    low = text[c.start:c.end].lower()
    listed = _listed_alternatives(node, found, text, c, low)
    if listed is not node:
        return listed
    m = _clause_or(text, c.start, c.end, low)
    if m is None and "OR" in text[c.start:c.end]:
        inline = list(_INLINE_OR.finditer(text, c.start, c.end))
        if len(inline) == 1:
            return _history_sides(node, found, text, c, inline[0],
                                  any_kind=_limits_each_side(found, inline[0]))
    population = m is None and " or " in low
    if population:
        groups = list(_POPULATION_OR.finditer(text, c.start, c.end))
        m = groups[0] if len(groups) == 1 else None
    if m is None or _clause_or(text, m.end(), c.end, low):
        return node  # one clause-level "or" only
    cut_lo = m.start() if not m.group(0)[:6].lower().startswith("either") else m.end() - 2
    left_start = max(text.rfind(";", c.start, cut_lo) + 1, c.start)
    end = _CLAUSE_END.search(text, m.end(), c.end)
    right_end = end.start() if end else c.end
    left = any(left_start <= u.start < cut_lo for u in found)
    right = any(m.end() <= u.start < right_end for u in found)
    if left and right and not m.group(0).lower().startswith("either") and right_end == c.end \
            and not population:
        return _history_sides(node, found, text, c, m, any_kind=True)
    if left == right:
        return node
    lo, hi = (m.end(), right_end) if left else (left_start, cut_lo)
    if m.group(0).lower().startswith("either") and not left:
        lo = m.start() + len("either")  # the words after "either" up to ", or"
    words = text[lo:hi].strip(" \t\n,;:.")
    if len(_GAP_WORD.findall(words)) < 2 or any(lo <= u.start < hi for u in found):
        return node
    span = text.index(words, lo)
    other = Unparsed(words, reason="an alternative the parser cannot read", prov=Provenance(
        c.section, span, span + len(words), words, "assemble.unread_alternative"))
    prov = Provenance(c.section, c.start, c.end, text[c.start:c.end], "assemble.or")
    return AnyOf((node, other) if left else (other, node), prov=prov)


def _limits_each_side(found: list[Unit], m: re.Match[str]) -> bool:
    """Whether both sides of an "OR" hold an age or performance limit ("age 75 or older with
    ECOG 0-2 OR age 18 to 74 with ECOG 0-1"): each side is then one alternative."""
    def limits(side: list[Unit]) -> bool:
        return any(isinstance(n, (Age, Performance)) for u in side for n in walk(u.node))

    return limits([u for u in found if u.end <= m.start()]) and \
        limits([u for u in found if u.start >= m.end()])


def _history_sides(node: Node, found: list[Unit], text: str, c: Criterion,
                   m: re.Match[str], any_kind: bool = False) -> Node:
    """"Untreated stage IV disease OR residual disease after prior chemotherapy": when an
    "or" between clauses (`m`) has treatment histories on both sides and nothing else (or
    findings of `any_kind`, for a "; or" that plainly ends a clause: "relapsed AML; or
    MDS with excess blasts"), each side is one alternative; otherwise `node` as it was."""
    sides = ([u for u in found if u.start < m.start()], [u for u in found if u.start >= m.end()])
    if not (any_kind and all(sides)) and not all(_history(u.node) for u in found):
        return node  # (a side naming the cancer or a marker stays required)
    prov = Provenance(c.section, c.start, c.end, text[c.start:c.end], "assemble.or")
    if all(sides):
        return AnyOf(tuple(join_units(side, text, prov) for side in sides), prov=prov)
    lo, hi = (c.start, m.start()) if sides[1] else (m.end(), c.end)
    words = text[lo:hi].strip(" \t\n,;:.")
    named = {text[u.start:u.end].lower() for u in found}
    if len(_GAP_WORD.findall(words)) < 2 or any(n in words.lower() for n in named):
        return node  # (the other side names the same treatment: it is required either way)
    span = text.index(words, lo)  # a side the parser cannot read: an alternative for review
    other = Unparsed(words, reason="an alternative the parser cannot read", prov=Provenance(
        c.section, span, span + len(words), words, "assemble.unread_alternative"))
    return AnyOf((other, node) if sides[1] else (node, other), prov=prov)


# "Prior adjuvant chemotherapy allowed", "earlier neoadjuvant or adjuvant treatment is
# permitted", "patients given adjuvant tamoxifen are eligible"
_ADJUVANT_ALLOWED = re.compile(r"(?i)\b(?:neo-?)?adjuvant\b[^.;:]{0,80}?\b(?:allowed|permitted|"
                               r"acceptable|eligible)\b"
                               # ... or given for another purpose ("prior corticosteroids for
                               # the treatment of hypercalcaemia allowed")
                               r"|\bfor\s+(?:the\s+)?(?:treatment|management|control|prevention)"
                               r"\s+of\b[^.;:]{0,80}?\b(?:allowed|permitted|acceptable)\b")
_PERMITTING = ("allowed", "permitted", "acceptable", "eligible")  # (one is in every match)
# the setting's treatment named by no drug or class: any ("prior adjuvant therapy", "earlier
# neoadjuvant or adjuvant treatment")
_ADJUVANT_ANY = re.compile(r"(?i)\b(?:neo-?)?adjuvant\s+(?:or\s+(?:neo-?)?adjuvant\s+)?"
                           r"(?:systemic\s+)?(?:therapy|therapies|treatments?)\b")


def _setting_allowed(layout: Layout, nodes: dict[int, Node],
                     ms_of: dict[int, list[Mention]]) -> None:
    """A treatment the trial allows in the (neo)adjuvant setting ("Prior adjuvant
    chemotherapy allowed") beside a rule against it ("No prior chemotherapy"): the rule holds
    outside that setting only, which a profile does not record, so having had it is left for
    review; a rule against a wider class ("no prior systemic therapy") still rules out the
    rest of the class. The allowed treatment is what the permission names, else any."""
    allowed: list[tuple[tuple[str, ...] | None, str]] = []
    for i, c in enumerate(layout.criteria):
        drugs = [m for m in ms_of[i] if m.label == "drug"]
        if any(w in probe(c.text) for w in _PERMITTING) and _ADJUVANT_ALLOWED.search(c.text) \
                and all("permission" in m.mods for m in drugs) \
                and not any(isinstance(n, PriorTherapy) for n in walk(nodes[i])):
            allowed += [(c.cohorts, m.data["concept"]) for m in drugs if m.data.get("concept")] \
                or ([(c.cohorts, ANY_TREATMENT)] if _ADJUVANT_ANY.search(c.text) else [])
    for j, d in enumerate(layout.criteria):
        mine = tuple(dict.fromkeys(a for cohorts, a in allowed if cohorts is None
                                   or d.cohorts is None or set(cohorts) & set(d.cohorts)))
        if mine:
            nodes[j] = _outside_setting(nodes[j], mine, d.section == "exclusion")


def _by_polarity(node: Node, ruled_out: bool, leaf: Callable[[Node, bool], Node]) -> Node:
    """`node` with `leaf(x, ruled_out)` in place of each leaf x, `ruled_out` telling whether
    the tree rules x out (the start value flipped under each `not`; an exclusion starts
    ruled out); connectives the change leaves alone are kept as they are."""
    if isinstance(node, Not):
        item = _by_polarity(node.item, not ruled_out, leaf)
        return node if item is node.item else replace(node, item=item)
    if isinstance(node, (All, AnyOf)):
        items = tuple(_by_polarity(n, ruled_out, leaf) for n in node.items)
        return node if items == node.items else replace(node, items=items)
    return leaf(node, ruled_out)


def _outside_setting(node: Node, allowed: tuple[str, ...], ruled_out: bool) -> Node:
    """`node` with each treatment class it rules out (`ruled_out`: under an even number of
    `not`s in an exclusion, an odd one in an inclusion) read outside the allowed setting (see
    `_setting_allowed`)."""
    return _by_polarity(node, ruled_out, lambda x, out: _setting_leaf(x, allowed, out))


def _setting_leaf(node: Node, allowed: tuple[str, ...], ruled_out: bool) -> Node:
    if not (ruled_out and isinstance(node, PriorTherapy)):
        return node
    classes, broad, concepts = _drug_classes()
    if node.concept in classes and any(a in concepts(node.concept) and (
            a != ANY_TREATMENT or node.concept in broad) for a in allowed):
        # "no prior chemotherapy": a class the allowed setting falls in (a drug named on its
        # own, "no prior gemcitabine", is banned in every setting; so is a narrow class,
        # "no prior CDK4/6 inhibitor", beside a permission that names no treatment)
        return Unparsed(node.prov.text if node.prov and node.prov.text else node.concept,
                        reason="a prior treatment in one disease setting", prov=node.prov)
    wider = tuple(a for a in allowed if node.concept in concepts(a) and a not in node.excluding)
    return replace(node, excluding=(*node.excluding, *wider)) if wider else node


def _limit_for_a_cause(layout: Layout, nodes: dict[int, Node]) -> None:
    """A criterion that allows a looser performance limit for a cause ("ECOG 0-3 if
    secondary to neuropathy") beside a sibling criterion with the limit ("ECOG 0-2"): the
    limits are alternatives (the cause is for review), so the sibling reads the looser one."""
    for i, c in enumerate(layout.criteria):
        looser = nodes[i]
        if c.section != "inclusion" or not isinstance(looser, Performance) \
                or not IF_CAUSE.search(c.text):
            continue
        down = looser.op in ("<=", "<")  # (ECOG: lower is better; Karnofsky: higher)
        for j, d in enumerate(layout.criteria):
            other = nodes[j]
            if j != i and d.section == "inclusion" and d.parent == c.parent \
                    and d.cohorts == c.cohorts and isinstance(other, Performance) \
                    and (other.scale, other.op) == (looser.scale, looser.op) \
                    and (other.value < looser.value if down else other.value > looser.value):
                nodes[j] = replace(other, value=looser.value)


def _procedure_required(node: Node, ruled_out: bool) -> Node:
    """`node` with each radiotherapy or stem cell transplant it requires (`ruled_out` as in
    `_outside_setting`) left for review: a treatment history lists drugs and often leaves
    these procedures out though they were done, so their absence from it shows nothing. One
    it rules out stays (a listed course breaks the rule)."""
    return _by_polarity(node, ruled_out, _procedure_leaf)


def _procedure_leaf(node: Node, ruled_out: bool) -> Node:
    if ruled_out or not isinstance(node, PriorTherapy) or not is_procedure(node.concept):
        return node
    return Unparsed(node.prov.text if node.prov and node.prov.text else node.concept,
                    reason="a radiotherapy, transplant or orchiectomy required (a list of drugs does not "
                    "show that none was done)", prov=node.prov)


def _types_allowed(c: Criterion, text: str, ms: list[Mention], inherited: list[str],
                   heading: str) -> tuple[Node, ...]:
    """The cancer types a criterion only allows, requiring nothing ("Adenocarcinoma of the
    gastro-oesophageal junction is also eligible"); () when it requires anything else."""
    # ("people with X are eligible if they ...": what the condition asks is the new group's,
    # left for review with the criterion; the group is read up to it)
    condition = _ELIGIBLE_IF.search(text, c.start, c.end)
    end = c.end if condition is None else condition.start()
    ctx = Context(text, c.section, c.start, end, [m for m in ms if m.end <= end], inherited,
                  heading)
    found = _permission_over_lists(units(ctx), text)
    if not found or not all(u.permitted for u in found):
        return ()
    allowed = tuple(u.node for u in found)
    kinds = (x for n in allowed for x in (n.items if isinstance(n, AnyOf) else (n,)))
    return allowed if all(isinstance(x, Diagnosis) for x in kinds) else ()


# words that add to what the criteria take ("also eligible", "are included as well"), where a
# bare "allowed" often qualifies the required type ("CNS-positive leukaemia allowed")
_ADDED = re.compile(r"(?i)\b(?:also|as\s+well|too)\b|\b(?:are|is)\s+included\b")
# ... or, in a sub-item, a bare permission ("- X or Y" / "  - Z allowed"): its parent's
# types widened
_ALLOWED_WORD = re.compile(r"(?i)\b(?:allowed|permitted|acceptable|eligible|accepted)\b")
# (not "- unknown primary allowed" under a type: that type, its primary site unknown)
_UNKNOWN_PRIMARY = re.compile(r"(?i)\bunknown\s+primary|\bprimary\s+(?:site\s+)?unknown|\boccult\s+primary")
# the words between "patients with" and the cancer type that names their group
_GROUP_TYPE_BEFORE = re.compile(r"(?i)\b(?:patients|subjects|people|participants|those|persons)\s+with\s+"
                                r"(?:(?:a|an|the|known|relapsed|refractory|recurrent|advanced|metastatic|"
                                r"transformed|untreated|newly\s+diagnosed|previously\s+treated)\s+)*\Z")


def _group_named_whole(c: Criterion, text: str, ms: list[Mention]) -> bool:
    """Whether "patients with X are eligible if ..." names its group by a cancer type read
    whole (not "plasma cell leukaemia", of which only "leukaemia" is read)."""
    cancers = [m for m in ms if m.label == "cancer" and "permission" in m.mods]
    return bool(cancers) and _GROUP_TYPE_BEFORE.search(
        text, max(c.start, cancers[0].start - 80), cancers[0].start) is not None


# "... are eligible if they ...": a group let in on a condition of its own
_ELIGIBLE_IF = re.compile(r"(?i)\b(?:are|is|will\s+be)\s+(?:also\s+)?eligible\s+(?:if|provided|"
                          r"as\s+long\s+as|only\s+if)\b")


def _widen_earlier(layout: Layout, i: int, nodes: dict[int, Node],
                   allowed: tuple[Node, ...]) -> None:
    """A criterion that only allows more cancer types ("- Squamous cell or adenocarcinoma of
    the oesophagus" / "  - junctional adenocarcinoma allowed") widens the cancer type the
    criterion above it requires: its parent item, else the nearest earlier inclusion
    criterion of the same cohorts that requires one. Nothing when none does (the record's
    conditions then name the population)."""
    from trialmatch.ontology import default_ontology

    ontology = default_ontology()
    c = layout.criteria[i]
    order = [c.parent] if c.parent is not None else range(i - 1, -1, -1)
    for k in order:
        d = layout.criteria[k]
        if d.section != "inclusion" or d.cohorts != c.cohorts:
            continue
        # (a kind of a type already taken adds nothing: "GBM after radiotherapy is eligible")
        taken = required_codes(nodes[k])
        new = tuple(x for n in allowed for x in (n.items if isinstance(n, AnyOf) else (n,))
                    if isinstance(x, Diagnosis) and not any(
                        ontology.is_a_relation(t, x.code) == 2 for t in taken))
        wider = _widened(nodes[k], new) if new and taken else nodes[k]
        if wider is not nodes[k]:
            nodes[k] = wider
            return


def _widened(node: Node, allowed: tuple[Node, ...]) -> Node:
    """The criterion with the cancer types it also allows ("Mucosal melanomas are also
    included") as alternatives of its first required cancer type, and the treatments it
    also counts ("(an EGFR inhibitor counts as one line)") as alternatives of its first
    required treatment. What a criterion allows without requiring anything of that kind adds
    no constraint."""
    for kind in (Diagnosis, PriorTherapy):
        # (a name that covers several types is an `any` of them: each is allowed)
        extra = tuple(x for n in allowed for x in (
            n.items if isinstance(n, AnyOf) and all(isinstance(i, kind) for i in n.items)
            else (n,)) if isinstance(x, kind))
        if extra:
            node = _widen(node, kind, extra)
    return node


def _widen(node: Node, kind: type, extra: tuple[Node, ...]) -> Node:
    if isinstance(node, kind) or (isinstance(node, AnyOf) and node.items and all(
            _of_kind(n, kind) for n in node.items)):
        items = node.items if isinstance(node, AnyOf) else (node,)
        return AnyOf((*items, *extra), prov=node.prov)
    if isinstance(node, All):
        for i, item in enumerate(node.items):
            wider = _widen(item, kind, extra)
            if wider is not item:
                return All((*node.items[:i], wider, *node.items[i + 1:]), prov=node.prov)
    return node


def _of_kind(node: Node, kind: type) -> bool:
    """Whether the node is a leaf of that kind, or alternatives of such leaves (an umbrella
    name read as several types: "ALL" is B- or T-lymphoblastic leukaemia)."""
    return isinstance(node, kind) or (isinstance(node, AnyOf) and bool(node.items) and all(
        _of_kind(n, kind) for n in node.items))


def parent_cues(c: Criterion, layout: Layout, ms_of: dict[int, list[Mention]],
                cache: dict[int, list[str]] | None = None) -> list[str]:
    """Alteration cues of the list header above a short criterion ("Excluded genotypes
    (including co-occurring mutations):" over "- STK11")."""
    if c.parent is None or len(c.text) > 60:
        return []
    idx = c.parent
    if cache is not None and idx in cache:
        return cache[idx]
    vals = [m.data["value"] for m in ms_of.get(idx, []) if m.label == "cue"
            and m.data["role"] == "alteration" and m.data["value"] not in ("positive", "negative",
                                                                          "low")]
    if cache is not None:
        cache[idx] = vals[-1:]
    return vals[-1:]


# "No other prior chemotherapy", "Other anticancer treatment": a class besides the drugs the
# item before named
_OTHER_OPENS = re.compile(r"(?i)[\W\d]{0,6}(?:no\s+|any\s+)?other\b")


def _other_than_before(node: Node, c: Criterion, previous: Criterion | None,
                       before: list[Mention]) -> Node:
    """"At least 2 days since prior hydroxyurea" / "No other prior chemotherapy": the class
    the item rules out (or requires) spares the drugs of it that the item before (in the
    same section) named without ruling them out (`PriorTherapy(class, excluding=...)`)."""
    if previous is None or previous.section != c.section or not _OTHER_OPENS.match(c.text):
        return node
    inner = node.item if isinstance(node, Not) else node
    if not isinstance(inner, PriorTherapy) or inner.excluding:
        return node
    if any(m.label == "drug" and m.data.get("concept") == inner.concept
           and m.mods.isdisjoint({"negated", "excluded"}) for m in before):
        # "Prior radiotherapy to bone lesions allowed" / "No other prior radiotherapy": other
        # than the kind the item before allows, which the profile cannot tell apart
        return Unparsed(c.text, reason="a treatment other than ones the criteria allow",
                        prov=Provenance(c.section, c.start, c.end, c.text, "assemble.other"))
    if inner.concept not in _drug_classes()[0]:
        return node
    concepts = _drug_classes()[2]
    named = tuple(dict.fromkeys(
        m.data["concept"] for m in before if m.label == "drug" and "concept" in m.data
        and m.mods.isdisjoint({"negated", "excluded"}) and m.data["concept"] != inner.concept
        and inner.concept in concepts(m.data["concept"])))
    if not named:
        return node
    spared = PriorTherapy(inner.concept, named, prov=inner.prov)
    return replace(node, item=spared) if isinstance(node, Not) else spared


def criteria_nodes(layout: Layout, text: str, ms: list[Mention]) -> list[tuple[Criterion, Node]]:
    """(criterion, node) for every criterion; children of an "any of" header are joined."""
    if not layout.criteria:
        return []
    ms_of: dict[int, list[Mention]] = {i: [] for i in range(len(layout.criteria))}
    starts = [c.start for c in layout.criteria]
    ci = 0
    for m in ms:
        while ci + 1 < len(starts) and m.start >= starts[ci + 1]:
            ci += 1
        c = layout.criteria[ci]
        if c.start <= m.start and (m.end <= c.end or text[c.end:m.end].isspace()):
            ms_of[ci].append(m)
    nodes: dict[int, Node] = {}
    cache: dict[int, list[str]] = {}
    for i, c in enumerate(layout.criteria):
        heading = layout.criteria[c.parent].text if c.parent is not None else ""
        if i and not _AGE_HEADING.fullmatch(heading) and _AGE_HEADING.fullmatch(
                layout.criteria[i - 1].text) and not c.children:
            heading = layout.criteria[i - 1].text  # "Age" on its own line, then "18 and over"
        heading = heading or _flat_prior_heading(layout, i)
        cues = parent_cues(c, layout, ms_of, cache)
        if c.header and c.children and _TREATMENT_TOPIC.fullmatch(text, c.start, c.end) \
                and _topic_named_below(ms_of[i], [m for k in c.children for m in ms_of[k]]):
            nodes[i] = Unparsed(c.text, reason="a topic heading",
                                prov=Provenance(c.section, c.start, c.end, c.text, "assemble.topic"))
            continue
        nodes[i] = _counted(c, text, ms_of[i], cues, heading) or heading_age(
            c, text, heading) or criterion_node(c, text, ms_of[i], cues, heading)
        nodes[i] = _other_than_before(nodes[i], c, layout.criteria[i - 1] if i else None,
                                      ms_of[i - 1] if i else [])
        if c.parent is not None and _NOTE.match(c.text) and _notes_on(nodes[i], nodes[c.parent]):
            # "Note: the earlier X course should have included X at dose ...": how the
            # treatments its criterion names were given, no further requirement
            nodes[i] = Unparsed(c.text, reason="a note on the treatments of the criterion above",
                                prov=Provenance(c.section, c.start, c.end, c.text, "assemble.note"))
        elif c.section == "exclusion" and _NOTE.match(c.text) and _NOTE_LETS_IN.search(c.text):
            nodes[i] = Unparsed(c.text, reason="a note on the exclusion above", prov=Provenance(
                c.section, c.start, c.end, c.text, "assemble.note"))
        if isinstance(nodes[i], Unparsed) and c.section == "inclusion" and any(
                m.label == "cancer" and "permission" in m.mods for m in ms_of[i]) and (
                _ADDED.search(c.text) or c.parent is not None and _ALLOWED_WORD.search(c.text)
                and not _UNKNOWN_PRIMARY.search(c.text) or _ELIGIBLE_IF.search(c.text)
                and _group_named_whole(c, text, ms_of[i])):
            _widen_earlier(layout, i, nodes, _types_allowed(c, text, ms_of[i], cues, heading))
    _setting_allowed(layout, nodes, ms_of)
    _limit_for_a_cause(layout, nodes)
    for i, c in enumerate(layout.criteria):
        nodes[i] = _procedure_required(nodes[i], c.section == "exclusion")
    _inner_lists(layout, nodes)
    out: list[tuple[Criterion, Node]] = []
    absorbed: set[int] = set()
    for i, c in enumerate(layout.criteria):
        if i in absorbed or (c.label and c.children):
            continue  # (a part's label over its items: they are that part's criteria)
        kids = [k for k in c.children if k not in absorbed] if c.header else []
        if not kids:
            kids = _flat_items(layout, i, nodes) or _flat_exceptions(layout, i, ms_of)
        if not kids and c.children:
            # a criterion with sub-items, not written as a header ("must have higher-risk
            # MDS or AML" / "- RAEB-2" / "- AML"): the sub-items define it when they are
            # alternatives of one kind
            own = [k for k in c.children if k not in absorbed]
            if alternatives([nodes[k] for k in own]) and not _other_cohorts(layout, c, own):
                kids = own
        if kids and c.header and announces_exceptions(c.text):
            # "Other cancer, with the following exceptions:" / items: the items are not
            # criteria, and the header with its exceptions goes to manual review.
            # Items under an exception in another list style are criteria that the layout
            # nested there by mistake ("1. one earlier adjuvant regimen" / "- ECOG 0-1").
            taken = {d for d in _descendants(layout, kids)
                     if layout.criteria[d].style == layout.criteria[kids[0]].style}
            absorbed.update(taken)
            # what the exceptions allow cannot be told apart from what the header forbids
            out.append(_header_for_review(layout, c, taken, text, "exceptions listed under it",
                                          "segment.exceptions"))
        elif kids and c.header and (review := next(
                (r for r in _HEADERS_FOR_REVIEW if _announces(c.text, r[0])), None)):
            # "Although not formal exclusion criteria, the following may increase the risk:"
            # (cautions for the investigator, not rules), "An ejection fraction under 45% in
            # patients with:" / "- age 65 or over" (the items name whom the header's rule
            # binds): header and items for review, none decided
            taken = _descendants(layout, kids)
            absorbed.update(taken)
            out.append(_header_for_review(layout, c, taken, text, review[1], review[2]))
        elif kids and c.header and announces_count(c.text):
            # "two or more of the following:": a count of the items, which no node counts;
            # what the header itself names still holds
            absorbed.update(_descendants(layout, kids))
            end = max(layout.criteria[k].end for k in kids)
            lo = layout.criteria[kids[0]].start
            prov = Provenance(c.section, c.start, end, text[c.start:end], "segment.some_of")
            items = Unparsed(text[lo:end], reason="a number of the listed items must hold",
                             prov=Provenance(c.section, lo, end, text[lo:end], "segment.some_of"))
            out.append((c, _with_head(c, nodes[i], items, prov)))
        elif kids and (pairs := _conditional_items(layout, c, nodes[i], kids, nodes, text)
                       or _kid_alternatives(layout, c, nodes[i], kids, nodes, text)):
            absorbed.update(_descendants(layout, kids))
            out.extend(pairs)
        else:
            out.append((c, nodes[i]))
    return _trailing_or(_strata(out, text), text)


# list-header connectives whose header and items go to review whole: (connective, reason, source)
_HEADERS_FOR_REVIEW = (("cautions", "cautions the text says are not criteria", "segment.advisory"),
                       ("groups", "a rule for the groups listed under it", "segment.groups"))


def _header_for_review(layout: Layout, c: Criterion, taken: set[int], text: str, reason: str,
                       source: str) -> tuple[Criterion, Node]:
    """The header `c` with the items `taken` under it, whole, for manual review."""
    end = max(layout.criteria[k].end for k in taken)
    return c, Unparsed(text[c.start:end], reason=reason,
                       prov=Provenance(c.section, c.start, end, text[c.start:end], source))


# An item labelled with the group of patients it is for: "Patients without earlier therapy
# for metastatic disease: ...", "PARTICIPANTS WITH PRIOR LINES OF THERAPY: ..."
_STRATUM_LABEL = re.compile(
    r"\W{0,6}(?:(?i:for|in)\s+)?(?i:patients?|participants?|subjects?|individuals?|those|people|"
    r"women|men|children)\s+(?i:with|without|who|whose|that|having|not|previously|on|receiving|"
    r"treated|aged)\b[^:;.\n]{2,120}(?<!such as)(?<!including)(?<!following)(?<!e\.g)"
    r"(?<!\bof)(?<!below)(?<!defined as)(?<!as follows)[:：]\s*\S")


def _strata(pairs: list[tuple[Criterion, Node]], text: str) -> list[tuple[Criterion, Node]]:
    """Sibling inclusion items each labelled with the group of patients it is for, side by
    side ("Patients without earlier therapy: ..." / "Patients with earlier therapy: ..."),
    as one `any`: the groups a trial takes are alternatives, and a patient belongs to one
    of them, not to all."""
    labelled = [c.section == "inclusion" and _STRATUM_LABEL.match(c.text) is not None
                for c, _ in pairs]
    if sum(labelled) < 2:
        return pairs
    out: list[tuple[Criterion, Node]] = []
    run: list[tuple[Criterion, Node]] = []
    for (c, node), group in zip(pairs, labelled, strict=True):
        if group and run and (run[-1][0].parent, run[-1][0].depth, run[-1][0].cohorts) == (
                c.parent, c.depth, c.cohorts):
            run.append((c, node))
            continue
        _close_strata(out, run, text)
        run = [(c, node)] if group else []
        if not group:
            out.append((c, node))
    _close_strata(out, run, text)
    return out


def _close_strata(out: list[tuple[Criterion, Node]], run: list[tuple[Criterion, Node]],
                  text: str) -> None:
    """A run of labelled sibling items as one `any` at the end of `out` (one item as itself)."""
    if len(run) < 2:
        out.extend(run)
        return
    first, last = run[0][0], run[-1][0]
    out.append((first, AnyOf(tuple(n for _, n in run), prov=Provenance(
        first.section, first.start, last.end, text[first.start:last.end], "assemble.strata"))))


# An item that opens with a word and a grade, group or stage label: "Group B eye ...",
# "Stage IIIA ...", "Grade 2 ..."
_GRADED = re.compile(r"\s*(?P<word>[A-Za-z]+)\s+(?P<label>[A-Z]|[IVX]{1,4}[A-C]?|\d{1,2}[a-c]?)\b")


def _graded(texts: list[str]) -> bool:
    """Whether the items under a header are graded alternatives: each opens with the same
    word and a label, at least two labels differ ("Group A eye ..." / "Group D eye" /
    "Group E eye in a child under one"): a patient is in one grade, so they combine with any."""
    if len(texts) < 3:
        return False
    found = [_GRADED.match(t) for t in texts]
    if not all(found):
        return False
    words = {m.group("word").lower() for m in found if m}
    labels = {m.group("label") for m in found if m}
    return len(words) == 1 and len(labels) >= 2


# A criterion that ends with "or" (or a criterion that is only "or"): it and the next
# criterion are alternatives ("- stage IV lung cancer, OR" / "- relapsed lymphoma").
_ENDS_OR = re.compile(r"(?i)(?:^|[\s,;])(?:or|and/or)[\s,;:.]*\Z")
_ONLY_OR = re.compile(r"(?i)[\s(\[]*(?:or|and/or)[\s)\].:]*\Z")


def _ends_or(text: str) -> bool:
    """`_ENDS_OR.search(text)`, tried only near the end: a match's "or" ends where the
    trailing run of spaces and marks starts (a plain search enters it at every position)."""
    core = text
    while (cut := core.rstrip().rstrip(",;:.")) != core:
        core = cut
    return _ENDS_OR.search(text, max(0, len(core) - 7)) is not None


def _trailing_or(pairs: list[tuple[Criterion, Node]], text: str
                 ) -> list[tuple[Criterion, Node]]:
    """Join criteria linked by a trailing "or" into an `any` (see _ENDS_OR)."""
    if not any(_ends_or(c.text) for c, _ in pairs):
        return pairs
    out: list[tuple[Criterion, Node]] = []
    chain: list[Node] = []  # the items of the `any` the last criterion of `out` becomes
    tail: Criterion | None = None  # the last criterion joined to it
    open_or = False
    for c, node in pairs:
        alone = _ONLY_OR.fullmatch(c.text) is not None
        # (a sibling of the chain that ends with "or" again goes on with it, past one
        # item whose "or" the text left out: "A, or / B / C, or / D")
        resumed = bool(chain) and tail is not None and c.parent == tail.parent \
            and c.depth == tail.depth and _ends_or(c.text)
        if (open_or or resumed) and out and out[-1][0].section == c.section and \
                out[-1][0].cohorts == c.cohorts and not alone:
            if not chain:
                chain.append(out[-1][1])
            chain.append(node)
            tail = c
        elif not alone:
            _close_or(out, chain, tail, text)
            chain = []
            out.append((c, node))
        open_or = _ends_or(c.text)
    _close_or(out, chain, tail, text)
    return out


def _close_or(out: list[tuple[Criterion, Node]], chain: list[Node], tail: Criterion | None,
              text: str) -> None:
    """The last criterion of `out` as the `any` of a chain of criteria joined by "or" (built
    once at the chain's end: a long chain would copy its growing text at every link)."""
    if not chain or tail is None:
        return
    first = out[-1][0]
    prov = Provenance(tail.section, first.start, tail.end, text[first.start:tail.end],
                      "assemble.trailing_or")
    out[-1] = (first, AnyOf(tuple(chain), prov=prov))


def _announces(header: str, connective: str) -> bool:
    """Whether a rule of data/lists.yaml with this connective finds its words in `header`;
    a connective that binds the header's own criterion ("either", "if") only in the header's
    last sentence, the one that announces the list ("X, provided they have not had Y; NOTE:
    the following doses are counted:" binds nothing)."""
    if connective in ("either", "if") and (";" in header or "." in header):
        header = _LAST_SENTENCE.split(header)[-1]
    return any(h.connective == connective and rx.search(header) for h, rx in list_headers())


_LAST_SENTENCE = re.compile(r"[;.](?:\s+|$)(?=\S)")


def announces_alternatives(header: str) -> bool:
    """Whether a list header's words say its items are alternatives ("one of the following:",
    "of the following tumour types:", "eligible cancer types:"; data/lists.yaml)."""
    return not _ALL_OF_HEADER.search(header) and _announces(header, "any")


def announces_count(header: str) -> bool:
    """Whether a list header asks for a number of its items, more than one ("at least two of
    the following:"; data/lists.yaml, `connective: some`)."""
    return _announces(header, "some")


def _inline_count(c: Criterion, text: str) -> int | None:
    """Where the colon ends a count header written inline ("At least 2 of the following
    factors: A; B; C"), when items follow it on the same criterion; else None."""
    words = text[c.start:c.end]
    colon = words.find(":")
    if colon < 0 or not words[colon + 1:].strip() or not announces_count(words[:colon + 1]):
        return None
    return c.start + colon


def _counted(c: Criterion, text: str, ms: list[Mention], inherited: list[str],
             heading: str) -> Node | None:
    """"At least two of these risk factors: A; B; or C" on one line: a count of the items
    after the colon, which no node counts; what comes before it still holds. None for a
    criterion that is no such header."""
    colon = _inline_count(c, text)
    if colon is None:
        return None
    head = criterion_node(replace(c, end=colon, text=text[c.start:colon]), text,
                          [m for m in ms if m.end <= colon], inherited, heading)
    return _with_count(c, text, colon, head)


def _with_count(c: Criterion, text: str, colon: int, head: Node) -> Node:
    """The head of an inline count header with its items left for manual review."""
    items = Unparsed(text[colon + 1:c.end].strip(), reason="a number of the listed items must hold",
                     prov=Provenance(c.section, colon + 1, c.end, text[colon + 1:c.end],
                                     "segment.some_of"))
    if isinstance(head, Unparsed):
        return Unparsed(text[c.start:c.end], reason="a number of the listed items must hold",
                        prov=Provenance(c.section, c.start, c.end, text[c.start:c.end],
                                        "segment.some_of"))
    return All((head, items), prov=Provenance(c.section, c.start, c.end, text[c.start:c.end],
                                             "segment.some_of"))


def announces_exceptions(header: str) -> bool:
    """Whether a list header says its items are exceptions to it ("with the following
    exceptions:"; data/lists.yaml, `connective: except`)."""
    return _announces(header, "except")


_ALL_OF_HEADER = re.compile(r"(?i)\b(?:all|each|both)\s+(?:of\s+)?(?:the\s+)?(?:following|these|below)\b")


def _flat_items(layout: Layout, i: int, nodes: dict[int, Node]) -> list[int]:
    """The items of a header written at its own level ("- Disease of the following tumour
    types:" / "- melanoma" / "- glioma" / "- Measurable disease"): when the header announces
    alternatives (data/lists.yaml) and has no nested items, the run of following items of the
    same section, level and style whose findings are alternatives of one kind (see
    `alternatives`), at least two; else none. The run ends at the first item of another kind,
    another header, or another level."""
    c = layout.criteria[i]
    if not c.header or c.children or c.all_of or not (
            c.any_of or announces_alternatives(c.text)):
        return []
    run: list[int] = []
    for k in range(i + 1, len(layout.criteria)):
        if not _beside(c, layout.criteria[k]):
            break
        kind = _kind_of(nodes[k])
        if kind is None or (run and not alternatives([nodes[run[0]], nodes[k]])):
            break  # (one kind with the first item is one kind with all: linear in the run)
        run.append(k)
    if len(run) < 2 and c.any_of:
        # "At least one of the following:" then items of different kinds ("earlier response
        # to drug A" / "a mutation of gene B" / "Karnofsky 70 or more"): where the list ends
        # cannot be told, but a choice has two items at least; the two that follow
        pair = [k for k in (i + 1, i + 2) if k < len(layout.criteria)]
        if len(pair) == 2 and all(_beside(c, layout.criteria[k])
                                  and not isinstance(nodes[k], Unparsed) for k in pair):
            return pair
    return run if len(run) >= 2 else []


def _flat_prior_heading(layout: Layout, i: int) -> str:
    """The heading of treatment history written at the level of its items ("- Earlier
    treatment must include all of the following:" / "- fluoropyrimidine" / "- irinotecan"):
    for a short item (a name or two) of the flat run after such a header, the header's
    words; else ""."""
    if len(layout.criteria[i].text) > 80:
        return ""
    k = i - 1
    while k >= 0 and not layout.criteria[k].header \
            and _beside(layout.criteria[k], layout.criteria[i]):
        k -= 1  # back over the items of the run
    head = layout.criteria[k] if k >= 0 else None
    if head is None or not head.header or head.children:
        return ""
    return head.text if _beside(head, layout.criteria[i]) and prior_heading(head.text) else ""


def _beside(c: Criterion, d: Criterion) -> bool:
    """Whether `d` is an item written at the level of the header `c` (same section, cohorts,
    parent, list style and depth), and no header itself: one of its items in a flat list."""
    return not d.header and d.section == c.section and d.cohorts == c.cohorts and \
        d.parent == c.parent and d.style == c.style and d.depth == c.depth


def _flat_exceptions(layout: Layout, i: int, ms_of: dict[int, list[Mention]]) -> list[int]:
    """The exceptions of a header written at its own level ("- Another cancer, except:" /
    "- cervical carcinoma in situ" / "- basal cell skin cancer" / "- Known HIV infection"):
    when the header announces exceptions (data/lists.yaml) and has no nested items, the run
    of following items of the same section, level and style that name what the header names
    (a cancer, a drug), however they are read; else none."""
    c = layout.criteria[i]
    if not c.header or c.children or not announces_exceptions(c.text):
        return []
    def names(k: int) -> set[str]:
        found = {m.label for m in ms_of[k]} & {"cancer", "drug"}
        return found | {"cancer"} if _MALIGNANCY_WORD.search(layout.criteria[k].text) else found

    named = names(i)
    run: list[int] = []
    for k in range(i + 1, len(layout.criteria)):
        if not _beside(c, layout.criteria[k]) or not names(k) & named:
            break
        run.append(k)
    return run


# a word that names a malignancy however it is qualified ("carcinoma in situ", "other
# primary solid tumour"; not "disease", which names any illness)
_MALIGNANCY_WORD = re.compile(rf"(?i)\b(?:{_MALIGNANCY_NOUNS}|in\s+situ)\b")


def _kid_alternatives(layout: Layout, c: Criterion, head: Node, kids: list[int],
                      nodes: dict[int, Node], text: str) -> list[tuple[Criterion, Node]]:
    """The (criterion, node) pairs of a criterion whose items are alternatives: "one of:"
    (or items of one kind, or graded items under a header) is all(head, any(items)); "one
    of:" over items of several parts ("Phase 1: A" / "OR" / "Phase 1: B" / "Phase 2: C")
    gives each part its own items as alternatives. [] when the items are no alternatives."""
    announced = c.any_of or announces_alternatives(c.text)
    if _other_cohorts(layout, c, kids):
        return [(c, head), *_alternatives_by_part(layout, kids, nodes, text)] if announced else []
    if not (announced or not c.all_of and (
            alternatives([nodes[k] for k in kids])
            or c.header and _graded([layout.criteria[k].text for k in kids]))):
        return []
    end = max(layout.criteria[k].end for k in kids)
    prov = Provenance(c.section, c.start, end, text[c.start:end], "segment.any_of")
    kid_nodes = tuple(nodes[k] for k in kids)
    choice = AnyOf(kid_nodes, prov=prov)
    return [(c, choice if _spelled_out(head, kid_nodes) else _with_head(c, head, choice, prov))]


def _conditional_items(layout: Layout, c: Criterion, head: Node, kids: list[int],
                       nodes: dict[int, Node], text: str) -> list[tuple[Criterion, Node]]:
    """The (criterion, node) pair of a header whose items bind only the group it names ("If
    the tumour is X, the following must also apply:"); [] for any other criterion, and when
    the group cannot be read (a preamble, "Patients may be included if they meet all of the
    following criteria:", reads as the whole list's header)."""
    if not c.header or not _announces(c.text, "if") or _other_cohorts(layout, c, kids):
        return []
    end = max(layout.criteria[k].end for k in kids)
    prov = Provenance(c.section, c.start, end, text[c.start:end], "segment.if")
    if isinstance(head, Unparsed):
        if not _GROUP_NAMED.search(c.text):
            return []
        # "patients with <what the profile does not hold> are eligible provided they meet the
        # following:": who the list binds cannot be told
        return [(c, Unparsed(text[c.start:end], reason="conditions for a group the profile "
                             "cannot tell", prov=prov))]
    kid_nodes = tuple(nodes[k] for k in kids)
    items = AnyOf(kid_nodes, prov=prov) if c.any_of or announces_alternatives(c.text) \
        else All(kid_nodes, prov=prov)
    return [(c, _with_head(c, head, items, prov))]


# A header that names the group its list binds: "If ...,", "patients with X ...", "women over 60"
# (not "If the patient meets any of the following, ...": the list itself)
_GROUP_NAMED = re.compile(r"(?i)^\W*(?:if|when|in\s+case)\b(?![^,:]*\b(?:following|below|listed|"
                          r"these|criteria)\b)|\b(?:patients?|participants?|"
                          r"subjects?|women|men|those|individuals?|children)\s+(?:with|whose|"
                          r"who|over|under|aged|older|younger|having)\b")


def _with_head(c: Criterion, head: Node, items: Node, prov: Provenance) -> Node:
    """A list header's own criterion with its items: both ("ECOG 0-1 and one of:"), either
    when the header says so ("aged 70 or over, or one of the following:"), the items only
    for the group the header names ("if X, the following:"); the items alone when the
    header says nothing that can be read."""
    if _announces(c.text, "either"):
        return AnyOf((head, items), prov=prov)
    if _announces(c.text, "if") and not isinstance(head, Unparsed):
        return AnyOf((Not(head), items), prov=prov)
    if isinstance(head, Not) and head.stated is None and _NEGATED_QUALIFIED.search(c.text):
        # "No melanoma with any of the following features:": ruled out only together with
        # one of the features, not the finding alone; by hand when no feature can be read
        if all(isinstance(k, Unparsed) for k in items.children):
            return Unparsed(prov.text or c.text, reason="ruled out only with features that need "
                            "manual review", prov=prov)
        return Not(All((head.item, items), prov=prov), prov=head.prov)
    return items if isinstance(head, Unparsed) else All((head, items), prov=prov)


# A negated header whose list qualifies what it rules out: "No X with any of the following:",
# "without a Y that shows one of these:"
_NEGATED_QUALIFIED = re.compile(r"(?i)^\W*(?:no|without|not|absence\s+of)\b[^:;.]{1,80}?\b(?:with|"
                                r"that\s+(?:has|have|shows?)|which\s+(?:has|have|shows?)|"
                                r"showing|having)\s+(?:any|one|at\s+least\s+one)\s+of\b")


def _alternatives_by_part(layout: Layout, kids: list[int], nodes: dict[int, Node], text: str
                          ) -> list[tuple[Criterion, Node]]:
    """The items of an "any of" list grouped by the parts they belong to, each group one
    alternative node of its first item's criterion (so of its part)."""
    groups: dict[tuple[str, ...] | None, list[int]] = {}
    for k in kids:
        groups.setdefault(layout.criteria[k].cohorts, []).append(k)
    out = []
    for ks in groups.values():
        first, last = layout.criteria[ks[0]], layout.criteria[ks[-1]]
        node = nodes[ks[0]] if len(ks) == 1 else AnyOf(
            tuple(nodes[k] for k in ks), prov=Provenance(
                first.section, first.start, last.end, text[first.start:last.end],
                "segment.any_of"))
        out.append((first, node))
    return out


def _other_cohorts(layout: Layout, c: Criterion, kids: list[int]) -> bool:
    """Whether an item under `c` belongs to other cohorts than `c` ("Phase II:" / "Group A:
    ..."): such items are the cohorts' own criteria, not alternatives of `c`."""
    return any(layout.criteria[d].cohorts != c.cohorts for d in _descendants(layout, kids))


def _descendants(layout: Layout, kids: list[int]) -> set[int]:
    out: set[int] = set()
    todo = list(kids)
    while todo:
        k = todo.pop()
        if k not in out:
            out.add(k)
            todo.extend(layout.criteria[k].children)
    return out


def _marker(node: Node) -> bool:
    """A biomarker or receptor-status finding, or all / any of them ("ER-, PR- and HER2-")."""
    if isinstance(node, (All, AnyOf)):
        return bool(node.items) and all(_marker(n) for n in node.items)
    return isinstance(node, Measurement) or _biomarker(node)


def _receptors_positive(a: Node, b: Node) -> bool:
    """Whether two findings are the oestrogen and the progesterone receptor, both positive."""
    return isinstance(a, Measurement) and isinstance(b, Measurement) \
        and {a.marker, b.marker} == {"er", "pr"} and a.value == b.value == "positive"


def _kind_of(node: Node) -> tuple[str, str | None] | None:
    """(kind, gene) of a one-finding node, for "alternatives of one kind"; None otherwise."""
    if isinstance(node, AnyOf) and node.items:
        kinds = {_kind_of(n) for n in node.items}
        return kinds.pop() if len(kinds) == 1 else None
    if isinstance(node, All) and any(diagnosis_choice(n) for n in node.items) and all(
            diagnosis_choice(n) or _marker(n.item if isinstance(n, Not) else n)
            for n in node.items):
        # a cancer type with its markers ("triple-negative breast", "ALCL, ALK-negative"), or
        # named twice ("RAEB-T (RAEB in transformation)", "T-cell lymphoma/leukaemia")
        return "diagnosis", None
    if isinstance(node, (All, Not, Unparsed)):
        return None
    return node.kind, getattr(node, "gene", None)


def _spelled_out(head: Node, items: tuple[Node, ...]) -> bool:
    """Whether a header's cancer type is the name of the group its items list, in a
    classification other than ours ("PTCL, by the WHO classification:" / "angioimmunoblastic
    T-cell lymphoma" / ...): an item that is no subtype of the head's code means the head
    names the list, so the items alone are required."""
    if not isinstance(head, Diagnosis):
        return False
    from trialmatch.ontology import default_ontology

    ontology = default_ontology()
    codes = set().union(*(required_codes(n) for n in items))
    return bool(codes) and any(
        c != head.code and head.code not in ontology.cancer_ancestors(c) for c in codes)


def alternatives(nodes: list[Node]) -> bool:
    """Whether the items under a header are alternatives of one kind: cancer types, findings
    in one gene, or drugs. A patient has one cancer; a list of variants or drugs under a
    header that does not say "all of" names the ones that qualify."""
    found = [_kind_of(n) for n in nodes if not isinstance(n, Unparsed)]
    kinds = [k for k in found if k is not None]
    if len(kinds) < 2 or len(kinds) != len(found):
        return False
    first = kinds[0]
    if first[0] == "diagnosis":
        return all(k[0] == "diagnosis" for k in kinds)
    if first[0] in ("alteration", "fusion"):
        return all(k == first for k in kinds)
    return first[0] == "prior_therapy" and all(k[0] == "prior_therapy" for k in kinds)


def cohort_rules(layout: Layout, pairs: list[tuple[Criterion, Node]],
                 leading: tuple[Node, ...] = (), trailing: tuple[Node, ...] = ()
                 ) -> tuple[Cohort, ...]:
    """One `Cohort` per cohort heading (or "main"), each `all(incl..., not(excl)...)`;
    `leading` (structured fields) and `trailing` nodes go into every cohort."""
    ids = list(layout.cohorts) or ["main"]
    if layout.base and "main" not in ids:
        ids.insert(0, "main")
    cohorts = []
    for cid in ids:
        items: list[Node] = list(leading)
        mine = [(c, node) for c, node in pairs if c.cohorts is None or cid in c.cohorts]
        required = _required_drugs(node for c, node in mine if c.section == "inclusion")
        for c, node in mine:
            if c.section == "exclusion" and isinstance(node, Not) and node.stated is None:
                items.append(node.item)  # "Excluded: previously untreated disease": treated
            elif c.section == "exclusion" and (_double_negative(c, node, required)
                                                or _fit_score(node)):
                items.append(node)
            elif c.section == "exclusion":
                items.append(Not(_sparing_required(node, required),
                                 prov=Provenance(c.section, c.start, c.end, c.text,
                                                 "section.exclusion")))
            elif isinstance(node, Not):
                items.append(replace(node, item=_sparing_required(node.item, required)))
            else:
                items.append(node)
        items.extend(trailing)
        label = layout.cohorts.get(cid)
        cohorts.append(Cohort(cid, All(tuple(items)), label))
    return tuple(cohorts)


def _fit_score(node: Node) -> bool:
    """A performance limit the fittest patients meet ("ECOG 0-2", "Karnofsky 70 or more")
    listed under the exclusion heading: no trial rules out its fittest patients, so the item is
    a requirement under the wrong heading (records that list patient characteristics there)."""
    leaves = node.items if isinstance(node, (All, AnyOf)) else (node,)
    return bool(leaves) and all(
        isinstance(x, Performance) and (
            x.scale == "ecog" and (x.op == "<=" or x.op == "<" and x.value > 0)
            or x.scale == "karnofsky" and (x.op == ">=" or x.op == ">" and x.value < 100))
        for x in leaves)


def _required_drugs(nodes) -> frozenset[str]:
    """The drugs and classes the inclusion criteria require (reached through "all of" only)."""
    out: set[str] = set()
    todo = list(nodes)
    while todo:
        node = todo.pop()
        if isinstance(node, All):
            todo.extend(node.items)
        elif isinstance(node, PriorTherapy) and not node.excluding:
            out.add(node.concept)
    return frozenset(out)


def _sparing_required(node: Node, required: frozenset[str]) -> Node:
    """A treatment class ruled out while the inclusion criteria require a drug of it ("must
    have had platinum" ... excluded: "any prior chemotherapy other than that required"): the
    exclusion spares the required drugs, `PriorTherapy(class, excluding=required)`; a trial
    cannot require and exclude one treatment. A required kind of chemotherapy is a regimen with
    partner drugs ("platinum-based"), which no drug list tells from "other": manual review.
    Walks "any of"
    lists of treatments."""
    if not required:
        return node
    if isinstance(node, AnyOf):
        items = tuple(_sparing_required(n, required) for n in node.items)
        return node if items == node.items else replace(node, items=items)
    if not isinstance(node, PriorTherapy) or node.concept not in _drug_classes()[0]:
        return node
    concepts = _drug_classes()[2]
    spared = tuple(r for r in sorted(required)
                   if r != node.concept and node.concept in concepts(r))
    if not spared:
        return node
    if any(r in _drug_classes()[0] and r != "chemotherapy" and "chemotherapy" in concepts(r)
           for r in spared):
        # "a platinum-containing regimen" required, "any other chemotherapy" excluded: the
        # regimen's partner drugs are not named, so no drug list can tell them from "other"
        return Unparsed(node.prov.text if node.prov and node.prov.text else node.concept,
                        prov=node.prov,
                        reason="a treatment other than a required regimen, whose other drugs "
                               "are not named")
    return PriorTherapy(node.concept, tuple(node.excluding) + spared, prov=node.prov)


# An exclusion item that opens with a negation: "No prior cisplatin" listed under "Exclusion
# Criteria" usually repeats the section's own negation (read: cisplatin is excluded).
_OPENS_NEGATED = re.compile(r"(?i)[\W\d]{0,6}(?:no|never|without)\b")


def _double_negative(c: Criterion, node: Node, required: frozenset[str]) -> bool:
    """An exclusion "No prior X" whose X the inclusion criteria require ("platinum-resistant
    disease" ... excluded: "no prior cisplatin or carboplatin"): a trial cannot require and
    exclude one treatment, so the negation is the writer's own and the item excludes patients
    who had none of them: X is required."""
    if not required or not _OPENS_NEGATED.match(c.text):
        return False
    leaves = _drug_leaves(node)
    if not leaves:
        return False
    concepts = _drug_classes()[2]
    # (not the bare "some earlier treatment" of "relapsed or refractory": that is no one
    # treatment, and a trial may well require it and rule out a kind of it)
    named = required - {ANY_TREATMENT}
    return all(named & (concepts(x) | {x}) or any(x in concepts(r) for r in named)
               for x in leaves)


def _inner_lists(layout: Layout, nodes: dict[int, Node]) -> None:
    """An item of a list header that reads nothing itself but names a list of alternatives
    below it ("MDS meeting one of:" / "- by the FAB classification" / "  - RAEB" / "  - CMML")
    stands for those alternatives: the header takes the item's list, not its label (deepest
    items first, so a list inside a list is read before its own parent)."""
    for i in range(len(layout.criteria) - 1, -1, -1):
        c = layout.criteria[i]
        if not c.children or c.parent is None or not isinstance(nodes[i], Unparsed) or c.header:
            continue
        parent = layout.criteria[c.parent]
        if not parent.header or not (parent.any_of or announces_alternatives(parent.text)):
            continue
        own = [nodes[k] for k in c.children]
        if alternatives(own) and not any(isinstance(n, Unparsed) for n in own):
            nodes[i] = AnyOf(tuple(own), prov=nodes[i].prov)


# An item that opens as a note: "Note: ...", "NB: ..."
_NOTE = re.compile(r"\W{0,6}(?i:note|nb|n\.b\.)\s*[:\-–]")
# ... that, under an exclusion heading, lets patients in: "Note: those cured of an earlier
# cancer are eligible; if it was a breast cancer, it must have been ...": how the exclusion
# above reads, not one more thing ruled out
_NOTE_LETS_IN = re.compile(r"(?i)\b(?:(?:are|is|will\s+be|remain)\s+(?:also\s+|still\s+)?eligible|"
                           r"may\s+(?:also\s+)?be\s+(?:enrolled|included|eligible)|(?:are|is)\s+"
                           r"(?:allowed|permitted))\b")


def _prior_concepts(node: Node) -> set[str]:
    """The treatments a node names as prior therapies, wherever they are in it."""
    if isinstance(node, PriorTherapy):
        return {node.concept}
    return {x for k in node.children for x in _prior_concepts(k)} if node.children else set()


def _notes_on(note: Node, parent: Node) -> bool:
    """Whether a note's treatments are all named by the criterion it is written under."""
    named, above = _prior_concepts(note), _prior_concepts(parent)
    concepts = _drug_classes()[2]
    return bool(named) and all(x in above or concepts(x) & above for x in named)


def _drug_leaves(node: Node) -> list[str]:
    """The drugs of a node made of prior therapies under "any of"/"all of"; [] when it holds
    anything else."""
    if isinstance(node, PriorTherapy) and not node.excluding:
        return [node.concept]
    if isinstance(node, (All, AnyOf)) and node.items:
        parts = [_drug_leaves(item) for item in node.items]
        return [x for p in parts for x in p] if all(parts) else []
    return []
