"""The population a trial studies, read across its criteria and its record.

Every trial has a target population. A record whose conditions or title name cancer (or
whose criteria require a cancer type) studies cancer patients; one whose conditions name a
common non-cancer condition (data/conditions.yaml: cardiovascular, metabolic, infectious,
psychiatric, healthy volunteers...) studies that condition, and a cancer patient does not
belong to it; one that names neither is a population trialmatch does not recognise, and a
patient can be at most "possible" for it.

A cohort cannot exclude the very cancer it requires: "therapy for metastatic NSCLC" in the
exclusion list of an NSCLC trial is about treatment history, and "carcinoma of the lung"
read out of "small cell carcinoma of the lung" is broader than what the trial excludes.
When an excluded cancer type is the required one or above it in the ontology, the reading
is wrong, and the excluded diagnosis is kept for manual review instead.
"""

from __future__ import annotations

import re
from dataclasses import replace

from trialmatch.nlp.resources import conditions, umbrella_sets
from trialmatch.rules.nodes import (
    BIOMARKERS,
    All,
    AnyOf,
    Diagnosis,
    Measurement,
    Node,
    Not,
    Population,
    Provenance,
    Unparsed,
    walk,
)
from trialmatch.rules.rewrite import rewrite

CONTRADICTS = "excludes the cancer type the trial requires"
_EXCLUSION_HEADING = re.compile(r"(?i)\b(?:key\s+|main\s+)?exclusion\s+criteria\b")


def required_codes(node: Node, negated: bool = False) -> set[str]:
    """The cancer types a tree requires (diagnosis leaves not under a `not`)."""
    return {code for choice in required_choices(node, negated) for code in choice}


def _choices(found: list[Diagnosis]) -> list[tuple[str, ...]]:
    """The types of a diagnosis or an `any` of them, as choices: the types one umbrella name
    covers together (the widest name: "melanoma", not also "mucosal melanoma"), the others
    one by one."""
    codes = {leaf.code for leaf in found}
    within = [cover for cover in umbrella_sets() if set(cover) <= codes]
    named = [cover for cover in within if not any(set(cover) < set(other) for other in within)]
    inside = {code for cover in named for code in cover}
    return named + [(code,) for code in sorted(codes - inside)]


def required_choices(node: Node, negated: bool = False) -> list[tuple[str, ...]]:
    """The cancer types a tree requires, as choices a patient meets with one type: a diagnosis
    not under a `not`, or the types of one umbrella name together ("melanoma": the skin's,
    the eye's, the mucosal ones; data/umbrellas.yaml); the types of a list one by one."""
    if isinstance(node, Diagnosis):
        return [] if negated else [(node.code,)]
    if isinstance(node, Not):
        return required_choices(node.item, not negated)
    if not negated and isinstance(node, AnyOf) and (found := diagnosis_choice(node)):
        return _choices(found)
    children = node.children
    if negated and isinstance(node, All) and any(isinstance(c, Diagnosis) for c in children):
        # "no non-melanoma skin cancer", all(skin, not(melanoma)) ruled out: the subtype the
        # type is taken without is no requirement
        children = tuple(c for c in children
                         if not (isinstance(c, Not) and diagnosis_choice(c.item) is not None))
    return [choice for child in children for choice in required_choices(child, negated)]


def _relation(ontology, trial_code: str, patient_code: str) -> int:
    """The ontology's is-a relation (2: same or below, 1: above, 0: unrelated); an ontology
    without a cancer hierarchy (a lexicon-only stub) knows only equality."""
    relation = getattr(ontology, "is_a_relation", None)
    if relation is None:
        return 2 if trial_code == patient_code else 0
    return relation(trial_code, patient_code)


def _unrelated(ontology, a: str, b: str) -> bool:
    """Neither type is the other's kind (nor the same): a patient has one or the other."""
    return _relation(ontology, a, b) == 0 and _relation(ontology, b, a) == 0


def without_contradictions(rule: Node, ontology) -> Node:
    """`rule` with every excluded cancer type that covers a required one made manual (all
    of a required choice: "melanoma" over its skin, eye and mucosal types stays required
    when the trial rules out the eye's)."""
    required = required_choices(rule)
    if not required:
        return rule

    def covers(excluded: list[Diagnosis], spared: list[str]) -> bool:
        return any(all(any(_relation(ontology, leaf.code, code) == 2 for leaf in excluded)
                       and not any(_relation(ontology, kept, code) == 2 for kept in spared)
                       for code in choice) for choice in required)

    marked = _with_marker(rule) | _conditions(rule)
    spared = _spared(rule)

    def visit(node: Node, negated: bool, _depth: int) -> Node:
        # (a diagnosis, or an `any` of them: "no melanoma" in a trial of melanoma rules out
        # every type the name covers; not one named with a marker, "BCR-ABL1-positive
        # leukaemia", which rules out that group only; nor one whose exception spares the
        # required type, "blood cancers other than lymphoma" in a trial open to lymphoma)
        if negated and id(node) not in marked and (found := diagnosis_choice(node)) is not None \
                and covers(found, spared.get(id(node), [])):
            return Unparsed(node.prov.text if node.prov and node.prov.text else found[0].code,
                            reason=CONTRADICTS, prov=node.prov)
        if negated and isinstance(node, AnyOf):
            return _with_name_siblings(node)
        return node

    return rewrite(rule, visit)


def _span_of(node: Node) -> tuple[int | None, int | None] | None:
    return None if node.prov is None or node.prov.start is None else (node.prov.start,
                                                                      node.prov.end)


def _with_name_siblings(node: AnyOf) -> Node:
    """An `any` in which a type was made manual (see `without_contradictions`) without the
    other types read from the same words: "lymphoma" read as any(NHL, HL, PTLD) in a trial of
    a non-Hodgkin lymphoma is one name the trial cannot exclude, not HL and PTLD left."""
    spans = {_span_of(c) for c in node.items
             if isinstance(c, Unparsed) and c.reason == CONTRADICTS} - {None}
    if not spans:
        return node
    items = tuple(c for c in node.items
                  if not (isinstance(c, Diagnosis) and _span_of(c) in spans))
    if len(items) == len(node.items):
        return node
    return items[0] if len(items) == 1 else replace(node, items=items)


def _spared(rule: Node) -> dict[int, list[str]]:
    """The ids of the diagnoses (and their `any`s) that an `all` takes without other types
    ("X other than Y": all(X, not(Y))), each with the codes it is taken without."""
    out: dict[int, list[str]] = {}
    for node in walk(rule):
        if isinstance(node, All):
            # (the subtypes may be one name read as several types: "other than lymphoma")
            kept = [d.code for c in node.items if isinstance(c, Not)
                    for d in diagnosis_choice(c.item) or ()]
            for c in node.items if kept else ():
                if diagnosis_choice(c) is not None:
                    out[id(c)] = kept
    return out


def _conditions(rule: Node) -> set[int]:
    """The ids of the nodes under the `not` of a rule for one group ("patients with MCL must
    have had rituximab": any(not(MCL), rituximab)): the group the rule binds, not a cancer
    the trial rules out."""
    out: set[int] = set()
    for node in walk(rule):
        if isinstance(node, AnyOf) and any(not isinstance(c, Not) for c in node.items):
            for c in node.items:
                if isinstance(c, Not) and not isinstance(c.item, Unparsed):
                    out.update(id(x) for x in walk(c.item))
    return out


def _with_marker(rule: Node) -> set[int]:
    """The ids of the diagnoses (and their `any`s) that an `all` joins to a biomarker or a
    receptor status: a group of the cancer, named by its marker."""
    out: set[int] = set()
    for node in walk(rule):
        if isinstance(node, All) and any(isinstance(c, (*BIOMARKERS, Measurement))
                                         for c in node.items):
            for c in node.items:
                if diagnosis_choice(c) is not None:
                    out.update({id(c), *(id(x) for x in c.children)})
    return out


def population_leaf(conds: tuple[str, ...], title: str | None, requires_cancer: bool,
                    text: str = "") -> Population | None:
    """The `population` leaf of a record that is not (known to be) a cancer trial, or None.

    A record that names conditions, none of them cancer, and whose inclusion criteria never
    speak of cancer either (no tumour, malignancy, chemotherapy...; an exclusion such as "a
    history of malignancy" says nothing of the population) studies those conditions; one that names none, or whose text speaks of cancer without a type the
    parser knows, is a population trialmatch does not recognise."""
    if requires_cancer:
        return None
    oncology, groups = conditions()
    sources = [c for c in conds if c and c.strip()] + ([title] if title else [])
    sources += [f"{c.split(',')[1]} {c.split(',')[0]}" for c in conds if c.count(",") == 1]
    if any(oncology.search(s[:1000]) for s in sources):
        return None
    for source in sources:
        for _group, rx in groups:
            if rx.search(source[:1000]):
                name = " ".join(source.split())[:200]
                return Population("non_oncology", name, prov=Provenance(
                    "structured", None, None, source, "conditions.non_oncology"))
    named = "; ".join(" ".join(c.split()) for c in conds)[:200] or (title or "")[:200] \
        or "no condition given"
    inclusion = _EXCLUSION_HEADING.split(text or "", maxsplit=1)[0]
    if any(c.strip() for c in conds) and not oncology.search(inclusion):
        return Population("non_oncology", named, prov=Provenance(
            "structured", None, None, named, "conditions.non_oncology"))
    return Population("unrecognised", named, prov=Provenance(
        "structured", None, None, named, "conditions.unrecognised"))


def diagnosis_choice(node: Node) -> list[Diagnosis] | None:
    """A diagnosis, or the diagnoses of an `any` of them; None for anything else."""
    if isinstance(node, Diagnosis):
        return [node]
    if isinstance(node, AnyOf) and node.items and all(isinstance(c, Diagnosis)
                                                      for c in node.items):
        return [c for c in node.items if isinstance(c, Diagnosis)]
    return None


def _narrowed_choice(node: Node, ontology) -> list[Diagnosis] | None:
    """`diagnosis_choice`, and for a broad type narrowed to a list of its kinds ("a
    gastrointestinal cancer, limited to A, B, C": all(broad, any(A, B, C))) the kinds, which
    say it all."""
    found = diagnosis_choice(node)
    if found is not None or not isinstance(node, All) or len(node.items) != 2:
        return found
    broad, narrow = (diagnosis_choice(c) for c in node.items)
    if broad and narrow and all(any(_relation(ontology, b.code, n.code) == 2 for b in broad)
                                for n in narrow):
        return narrow
    return None


def _each_once(leaves: list[Diagnosis]) -> tuple[Diagnosis, ...]:
    """The types, each once, in the order first written."""
    seen: dict[str, Diagnosis] = {}
    for leaf in leaves:
        seen.setdefault(leaf.code, leaf)
    return tuple(Diagnosis(leaf.code, prov=leaf.prov) for leaf in seen.values())


def one_cancer(node: Node, ontology) -> Node:
    """A patient has one cancer: cancer types required side by side that are not one
    another's kind ("ovarian, fallopian tube, peritoneal" read item by item) are
    alternatives, not a conjunction no patient could meet. Types on one is-a chain (NSCLC
    and lung adenocarcinoma) stay a conjunction: they narrow each other."""

    def visit(node: Node, _negated: bool, _depth: int) -> Node:
        if not isinstance(node, All):
            return node
        items = list(node.items)
        dx = [(i, found) for i, c in enumerate(items)
              if (found := _narrowed_choice(c, ontology)) is not None]
        # two items side by side name unrelated types; the alternatives inside one item do
        # not count ("one of the blood cancers below: A, B" is all(blood cancer, any(A, B))),
        # nor the types one umbrella name covers ("pancreatic cancer" beside "adenocarcinoma
        # of the pancreas", which it includes, narrows it)
        choices = [_choices(found) for _, found in dx]
        unrelated = any(all(_unrelated(ontology, a, b) for a in one for b in other)
                        for k, mine in enumerate(choices) for theirs in choices[k + 1:]
                        for one in mine for other in theirs)
        if len(dx) < 2 or not unrelated:
            return node
        merged = AnyOf(_each_once([leaf for _, found in dx for leaf in found]),
                       prov=items[dx[0][0]].prov)
        first = dx[0][0]
        drop = {i for i, _ in dx}
        kept = [merged if i == first else c for i, c in enumerate(items)
                if i not in drop or i == first]
        return replace(node, items=tuple(kept))

    # (criteria that cannot hold together first, while each is still whole: merging the bare
    # types first would join a criterion's type with an umbrella type and hide the conflict)
    return rewrite(_alternative_items(_restated_first(node, ontology), ontology), visit)


def _restated_first(rule: Node, ontology) -> Node:
    """A criterion that names again the first of the cancer types an earlier criterion
    listed as alternatives ("ovarian or primary peritoneal cancer", then "... (platinum
    sensitive ovarian cancer)"), or a type above it ("epithelial ovarian, tubal or peritoneal
    cancer", then "... for recurrent ovarian cancer"): the main type stands for the whole
    population there, it does not narrow it; the restated type is dropped from the later
    criterion."""
    if not isinstance(rule, All):
        return rule
    items = list(rule.items)
    first = next((i for i, c in enumerate(items)
                  if (found := _listed_types(c)) is not None and len(found) > 1), None)
    if first is None:
        return rule
    listed = _listed_types(items[first]) or []
    main = listed[0].code
    changed = False

    def restates(k: Node) -> bool:
        return isinstance(k, Diagnosis) and _relation(ontology, k.code, main) == 2

    for i in range(first + 1, len(items)):
        c = items[i]
        if isinstance(c, Diagnosis) and c.code == main and diagnosis_choice(items[first]) is None:
            # (a criterion of the type alone, "CD20 expression on the X cells", after a list
            # with more in its criterion: it names the population the list gave; beside a bare
            # list, `one_cancer` joins them)
            items[i] = _as_listed(listed, c)
            changed = True
        elif isinstance(c, All) and len(c.items) > 1 and any(restates(k) for k in c.items):
            rest = tuple(k for k in c.items if not restates(k))
            items[i] = rest[0] if len(rest) == 1 else replace(c, items=rest) if rest \
                else _as_listed(listed, c)
            changed = True
    return replace(rule, items=tuple(items)) if changed else rule


def _as_listed(listed: list[Diagnosis], at: Node) -> Node:
    """The listed types again, as the words of the criterion `at` (which restated them)."""
    return AnyOf(tuple(Diagnosis(d.code, prov=at.prov) for d in listed), prov=at.prov)


def _listed_types(node: Node) -> list[Diagnosis] | None:
    """`diagnosis_choice`, also of the one part of an `all` that chooses among types
    ("one of A, B or C, with one of these features: ...")."""
    found = diagnosis_choice(node)
    if found is not None or not isinstance(node, All):
        return found
    choices = [f for c in node.items if (f := diagnosis_choice(c)) is not None]
    return choices[0] if len(choices) == 1 else None


def _item_cancers(node: Node) -> list[str] | None:
    """The cancer types an item requires of its own: a diagnosis, an `any` of them, an `all`
    with such parts among other criteria ("Ph+ ALL, relapsed"), or an `any` of such
    parts ("HER2-negative breast cancer, or soft tissue sarcoma after one line"; an
    alternative that names no type, "triple-negative", adds none); else None."""
    found = diagnosis_choice(node)
    if found is not None:
        return [leaf.code for leaf in found]
    if isinstance(node, All):
        # (several parts with types: a patient meeting the item has a type related to each,
        # so the types of all parts together tell whether two items can hold at once)
        codes = [code for c in node.items for code in (_item_cancers(c) or ())]
        return codes or None
    if isinstance(node, AnyOf):
        parts = [_item_cancers(c) for c in node.items]
        codes = [code for part in parts if part for code in part]
        return codes or None
    return None


def _alternative_items(rule: Node, ontology) -> Node:
    """Sibling criteria that each require a cancer type, the types of any two of them
    unrelated in the ontology ("diagnosed with A, relapsed" and "diagnosed with B, resistant
    to X"), are alternatives: no patient has both. Each whole criterion becomes one
    alternative, its other requirements with it; the other criteria stay required."""
    if not isinstance(rule, All):
        return rule
    items = list(rule.items)
    found = [(i, codes) for i, c in enumerate(items) if (codes := _item_cancers(c)) is not None]
    if len(found) < 2 or all(diagnosis_choice(items[i]) is not None for i, _ in found):
        return rule
    # the criteria that cannot hold with some other one: each names types unrelated to all
    # of that other's; one related to every other ("relapsed leukaemia" over "AML, ..." and
    # "ALL, ...") narrows them all and stays required
    apart = [(i, codes) for i, codes in found if any(
        j != i and all(_unrelated(ontology, a, b) for a in codes for b in other)
        for j, other in found)]
    if len(apart) < 2:
        return rule
    first = apart[0][0]
    merged = AnyOf(tuple(items[i] for i, _ in apart), prov=items[first].prov)
    drop = {i for i, _ in apart}
    return replace(rule, items=tuple(merged if i == first else c for i, c in enumerate(items)
                                     if i not in drop or i == first))
