"""The treatment state of the disease under study, written without a drug ("previously
treated", "relapsed or refractory", "treatment-naive", "no prior therapy"): a requirement on
the profile's drug list as a whole (data/treatment_state.yaml says which words; this module
what they mean).

A match becomes a "drug" mention of `anticancer_therapy` with its state in `data`, so the
context rules (data/context.yaml) reach it like any treatment word (a candidate for, planned,
a count, allowed); `state_node` then reads it: treated -> prior(anticancer_therapy), naive ->
not(prior(anticancer_therapy)), or nothing where the words do not bind the disease under
study or another reading already covers them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from trialmatch.nlp.firstchar import Scanner
from trialmatch.nlp.mentions import Mention
from trialmatch.rules import Node, Not, PriorTherapy, Unparsed

ANY_TREATMENT = "anticancer_therapy"
# procedures, not under ANY_TREATMENT ("systemic therapy" covers neither)
RADIOTHERAPY = "radiotherapy"
STEM_CELL_TRANSPLANT = "stem_cell_transplant"
ORCHIECTOMY = "orchiectomy"


@lru_cache(maxsize=8192)
def in_class(concept: str, drug_class: str) -> bool:
    """Whether a treatment concept is the drug class or falls under it (ontology)."""
    from trialmatch.ontology import default_ontology

    return drug_class in default_ontology().drug_concepts(concept)


def is_procedure(concept: str) -> bool:
    """Radiotherapy, a stem cell transplant (or a kind of them) or an orchiectomy: a
    treatment a list of drugs often leaves out."""
    return in_class(concept, RADIOTHERAPY) or in_class(concept, STEM_CELL_TRANSPLANT) \
        or in_class(concept, ORCHIECTOMY)


@dataclass(frozen=True)
class StateEntry:
    id: str
    state: str  # treated | naive
    attach: str  # disease | any
    exclusion: bool
    negation: bool
    alone: bool
    regex: re.Pattern[str]
    anchors: tuple[str, ...]
    scan: Scanner  # the same matches as `regex`, found faster (firstchar.py)


@lru_cache(maxsize=1)
def _data() -> tuple[tuple[StateEntry, ...], re.Pattern[str]]:
    """The entries of data/treatment_state.yaml (macros expanded, compiled) and its words of
    other diseases as one pattern."""
    from trialmatch.nlp.resources import DataFileError, _compile, _read

    raw: Any = _read("treatment_state.yaml") or {}
    macros = raw.get("macros") or {}
    out = []
    for item in raw.get("entries") or []:
        if not isinstance(item, dict) or item.get("state") not in ("treated", "naive") \
                or item.get("attach") not in ("disease", "any") or "regex" not in item \
                or not item.get("anchors"):
            raise DataFileError(f"treatment_state.yaml: bad entry {item!r}")
        regex = str(item["regex"])
        for name, value in macros.items():
            regex = regex.replace("{" + name + "}", str(value))
        out.append(StateEntry(str(item["id"]), item["state"], item["attach"],
                              bool(item.get("exclusion")), bool(item.get("negation")),
                              bool(item.get("alone")),
                              _compile(regex, "treatment_state.yaml", str(item["id"]),
                                       re.IGNORECASE),
                              tuple(str(a).lower() for a in item["anchors"]),
                              Scanner("(?i)" + regex)))
    words = [re.escape(str(w)) for w in raw.get("other_disease") or []]
    other = _compile(r"(?<![\w-])(?:" + "|".join(words or ["(?!)"]) + r")(?![\w-])",
                     "treatment_state.yaml", "other_disease", re.IGNORECASE)
    return tuple(out), other


def state_entries() -> tuple[StateEntry, ...]:
    return _data()[0]


def state_examples(ident: str) -> list[str]:
    """The examples of one entry of data/treatment_state.yaml (each must match it)."""
    from trialmatch.nlp.resources import _read

    raw: Any = _read("treatment_state.yaml") or {}
    return [str(x) for e in raw.get("entries") or [] if e.get("id") == ident
            for x in e.get("examples") or []]


_BEFORE, _AFTER = 40, 250  # how far a match may reach before and after its anchor word


def _windows(low: str, anchors: tuple[str, ...]) -> list[tuple[int, int]]:
    """The spans of `low` around the anchors' occurrences, merged (a match holds an anchor,
    so it lies in one of them)."""
    spans = []
    for word in anchors:
        spans += _word_windows(low, word)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _word_windows(low: str, word: str) -> list[tuple[int, int]]:
    """The spans around one anchor word's occurrences, merged: an occurrence that starts at
    most _BEFORE characters after the current span's end extends it, so the span jumps to
    the last such occurrence (`rfind`) instead of visiting each ("≥≥≥ 1 ≥≥≥ 1" repeated)."""
    out: list[tuple[int, int]] = []
    n, size = len(low), len(word)
    at = low.find(word)
    while at >= 0:
        lo, hi = max(0, at - _BEFORE), min(n, at + size + _AFTER)
        while True:  # the last occurrence whose span would touch [lo, hi]
            last = low.rfind(word, at + 1, hi + _BEFORE + size)
            if last < 0:
                break
            at, hi = last, min(n, last + size + _AFTER)
        out.append((lo, hi))
        at = low.find(word, at + 1)
    return out


def state_mentions(text: str, taken: list[Mention]) -> list[Mention]:
    """A mention per match of an entry that overlaps no mention already found (a drug, a
    class or a cancer name keeps its own reading; a cancer name that opens with the state,
    "relapsed or refractory multiple myeloma", keeps it and the state is read too)."""
    low = text.lower()
    hits = [(hit.start(), hit.end(), e) for e in state_entries()
            for a, b in _windows(low, e.anchors) for hit in e.scan.between(text, a, b)]
    if not hits:
        return []
    spans = [(m.start, m.end) for m in taken if m.label != "cue"]
    heads = {(m.start, m.end) for m in taken if m.label == "cancer"}
    out: list[Mention] = []
    for a, b, e in sorted(hits, key=lambda h: (h[0] - h[1], h[0])):  # the longest first
        if any(s < b and a < t and not (s == a and b < t and (s, t) in heads)
               for s, t in spans) or any(o.start < b and a < o.end for o in out):
            continue
        out.append(Mention("drug", a, b, f"state.{e.id}",
                           {"concept": ANY_TREATMENT, "state": e.state, "attach": e.attach,
                            "exclusion": e.exclusion, "negation": e.negation,
                            "alone": e.alone}))
    return out


# Words between the state and the cancer it qualifies ("previously untreated chronic ...",
# "relapsed or refractory CD20-positive ..."), and the setting words that limit the state to
# one disease setting ("previously untreated metastatic ...").
_SETTING = re.compile(r"(?i)\b(?:metastatic|advanced|recurrent|unresectable|inoperable|"
                      r"stage\s{0,2}(?:iv|4)|extensive[\s-]stage|disseminated)\b")
_ANY_STAGE = re.compile(r"(?i)[\s,]*(?:(?:newly\s+)?diagnosed\s+)?stage\s{0,2}(?:[iv]{1,3}|[1-4])[abc]?\b")
_BETWEEN = re.compile(r"(?i)[\s,]*(?:(?:and|or|and/or|newly|diagnosed|de\s+novo|symptomatic|"
                      r"histologically|cytologically|confirmed|documented|measurable|active|"
                      r"high[\s-]risk|low[\s-]risk|intermediate[\s-]risk|primary|locally|"
                      r"metastatic|advanced|recurrent|unresectable|inoperable|stage\s{0,2}"
                      r"[ivx1-4]+[abc]?|extensive[\s-]stage|limited[\s-]stage|disseminated|"
                      r"progressive|aggressive|indolent|[\w]+[\s-](?:positive|negative)|"
                      r"cd\d+[+\-]?|b[\s-]cell|t[\s-]cell|a|an|the|with|of|[,/()\-])(?![\w])[\s,]*){0,6}")
_DISEASE_WORD = re.compile(r"(?i)(?:disease|patients?|subjects?|participants?|individuals?)\b")
# "myeloma that is refractory", "lymphoma, not previously treated": the state at the end of
# its clause, said of the cancer named just before
_SAID_OF = re.compile(r"(?i)(?:\b(?:is|are|be|been|was|were|have|has|as|being|must)|,)\s{1,3}"
                      r"(?:\w+ly\s{1,3})?\Z")
# Nothing before the state but the patients it is said of ("Patients must be ...")
_PATIENTS_ONLY = re.compile(r"(?i)[\W\d]*(?:(?:all\s{1,3})?(?:patients|subjects|participants)\s{1,3}"
                            r"(?:must|should|need\s{1,3}to|have\s{1,3}to|will)\s{1,3}"
                            r"(?:be|have\s{1,3}been)\s{1,3})?")
_STATE_ENDS = re.compile(r"(?i)\s*(?:[;.]|\Z|\s(?:and|but)\s{1,3}(?:must\s{1,3})?(?:meet|have|has|be|are|is|"
                         r"with|require|need)\b)")
_CLAUSE_END = re.compile(r"\s*(?:[;.:,)]|\Z|\s(?:and|or|but)\s)")
_OTHER_DISEASE = re.compile(r"(?i)metastas[ie]s|lesions?\b")
_NEGATION_BEFORE = re.compile(r"(?i)\b(?:not|no|never|without)\s{1,3}(?:\w+\s{1,3}){0,2}\Z")
_ADJUVANT = re.compile(r"(?i)\b(?:neo-?)?adjuvant|perioperative\b")
# A treatment restricted to one disease setting ("... for inoperable or metastatic disease",
# "... in the metastatic setting"); the profile records drugs, not settings (findings.py
# reads it too)
SETTING_AFTER = re.compile(
    # (over a bracketed aside: "chemotherapy or other therapy (e.g. an antibody) for ...")
    # (not "... even if given in the adjuvant setting", "including in ...": every setting)
    r"(?i)(?:(?!\b(?:even|including|regardless)\b)[^;.()]|\([^()]{0,130}\)){0,60}?"
    r"\b(?:for|in(?:\s+(?:the|a))?|as(?:\s+(?:an?|the))?)\s+"
    r"(?:the\s+(?:treatment|management)\s+of\s+)?"
    r"(?:(?:their|his|her|this|the)\s+)?(?:(?:inoperable|unresectable|locally|advanced|primary|"
    r"recurrent|relapsed|metastatic|or|and|stage\s+iv|extensive[\s-]stage|(?:neo-?)?adjuvant)"
    r"[\s,/]+){0,6}?"
    r"(?:metastatic|advanced|recurrent|relapsed|inoperable|unresectable|stage\s+iv|"
    # "for (the treatment of) this recurrence / the current relapse"
    r"(?<=this\s)(?:recurrence|relapse|progression)|(?:current|present)\s+(?:recurrence|relapse)|"
    r"extensive[\s-](?:stage|disease)|(?:platinum|castration|castrate|hormone|endocrine)[\s-]+"
    # "... in the adjuvant setting", "given as neoadjuvant treatment": before surgery or after
    r"(?:resistant|refractory|sensitive|naive|na\u00efve)|(?:neo-?)?adjuvant(?=\s+(?:setting|therapy|"
    r"treatment|chemotherapy|regimen|course))|perioperative(?=\s+(?:setting|therapy|treatment))|"
    r"(?:platinum|castration|castrate|hormone|endocrine)[\s-]+"
    r"(?:resistant|refractory|sensitive|naive|na\u00efve)|"
    # the abbreviations of a setting: castration-resistant or -sensitive prostate cancer,
    # metastatic colorectal or breast cancer, extensive-stage small cell lung cancer
    r"(?-i:m?CRPC|m?[HC]SPC|mCRC|MBC|mBC|(?:ES|ED)-?SCLC))\b"
    # "... for stomach cancer in its advanced stage": the stage named after the disease
    r"|[^;.()]{0,60}?\bin\s+(?:its|their|the|an?)\s+(?:advanced|metastatic|recurrent|"
    r"inoperable|unresectable)\s+(?:stage|stages|setting|phase|form)\b"
    # "... after recurrence or metastasis", "following relapse": the treatment of a relapse
    r"|[^;.()]{0,60}?\b(?:after|following|since)\s+(?:the\s+)?(?:diagnosis\s+of\s+)?(?:recurrence|"
    r"relapse|metastas[ie]s|metastatic\s+disease|recurrent\s+disease)\b")
# "no prior treatment for hepatitis B", "naive to agents for ...", "no prior therapy that
# targets X": the treatment is qualified, maybe for another disease
_QUALIFIED = re.compile(r"(?i)\s{0,3}(?:for|of|with|in|to|that|which|targeting|directed|"
                        r"against|containing|including|aimed)\b")
_RELATIVE = re.compile(r"(?i)\s{0,3}(?:that|which|targeting|directed|against|containing|aimed)\b")
# "for treatment-naive patients:", "previously treated patients must ...": a group the rule
# is for, not a requirement
_FOR_BEFORE = re.compile(r"(?i)\bfor\s{1,3}(?:(?:all|the|those|[\w-]+)\s{1,3}){0,2}\Z")
# "for patients with relapsed disease: a prior diagnosis of ..., relapsed": a sentence for
# one group of the trial
_FOR_GROUP = re.compile(r"(?i)\bfor\s{1,3}(?:[\w-]+\s{1,3}){0,3}?(?:patients|subjects|participants|"
                        r"those|cohorts?|parts?|arms?|groups?)\b[^:;.]{0,80}:")
_GROUP_RULE = re.compile(r"(?i)(?:\s{1,3}[\w-]+){0,3}?\s{1,3}(?:patients|subjects|participants|"
                         r"individuals)\b[^;.]{0,60}?\b(?:must|should|may|will|need|needs|can|"
                         r"are\s+(?:required|eligible|allowed|included|permitted))\b")
# "metastatic or relapsed", "recurrent or refractory", "relapsed or progressive": one of
# several states, some of which need no earlier treatment
_ALTERNATIVE_BEFORE = re.compile(
    r"(?i)\b(?:metastatic|advanced|recurrent|recurring|progressive|progressing|persistent|"
    r"unresectable|inoperable|newly\s+diagnosed|untreated|de\s+novo|remission|high[\s-]risk|"
    r"primary|locally\s+advanced)\s{0,3}(?:,?\s{0,3}or|and\s{0,2}/\s{0,2}or|/|,)\s{0,3}\Z")
# ... but not one that says the same of untreated disease ("newly diagnosed, previously
# untreated AML")
_NAIVE_TOO = re.compile(r"(?i)(?:newly\s+diagnosed|untreated|de\s+novo)\b")
_ALTERNATIVE_AFTER = re.compile(
    r"(?i)\s{0,3}(?:,?\s{0,3}or|and\s{0,2}/\s{0,2}or|/|,)\s{0,3}(?:metastatic|advanced|recurrent|recurring|"
    r"progressive|progressing|persistent|unresectable|inoperable|newly\s+diagnosed|untreated|"
    r"de\s+novo|locally\s+advanced)\b")
# an alternative that needs no earlier treatment: "refractory to standard therapy or for which
# no standard therapy exists", "... or who refused it"
_NO_THERAPY_ALTERNATIVE = re.compile(
    r"(?i)\bor\b[^;]{0,80}?\b(?:no\s+(?:\w+\s+){0,3}(?:therap(?:y|ies)|treatments?|options?)|"
    r"not\s+(?:be\s+)?(?:a\s+)?(?:candidates?|eligible|amenable|suitable|able)|refused?|"
    r"declined?|ineligible|unfit|unsuitable|intolerant|does\s+not\s+exist|do\s+not\s+exist|"
    r"not\s+available|unavailable)\b")


# "treatment-naive or non-responders", "naive, or intolerant to ...": the state is one of
# several alternatives, not required
_OR_AFTER = re.compile(r"(?i)\s{0,3}(?:\([^()]{0,60}\)\s{0,3})?[,;]?\s{0,3}(?:or|and/or)\b")
# "no prior treatment except:" with the exceptions in the items below: not known here
_OPEN_EXCEPTION = re.compile(r"(?i)\s{0,3}(?:except|other\s+than|besides|apart\s+from)"
                             r"(?:\s+for)?\s{0,3}:?\s{0,3}\Z")
# "relapsing after radical prostatectomy": a relapse after local treatment needs no drug
_AFTER_LOCAL = re.compile(r"(?i)[^;.]{0,40}?\b(?:after|following|post)\s{1,3}(?:\w+\s{1,3}){0,2}"
                          r"(?:surgery|surgical|resection|\w*ectomy|radiotherapy|radiation|"
                          r"irradiation|local\s+(?:therapy|treatment))")
# "primary refractory disease is permitted": one group allowed, not a requirement
_PERMITTED_AFTER = re.compile(r"(?i)[^;.]{0,80}?\b(?:is|are)\s+(?:also\s+)?(?:permitted|allowed|"
                              r"eligible|acceptable)\b")
# "relapse is defined as progression after initial therapy": a definition of a word
_DEFINED = re.compile(r"(?i)\b(?:defined|definition|i\.\s?e\.|means)\b")
# "... Patients who have not received therapy are also eligible": another way in
_ALSO_ELIGIBLE = re.compile(r"(?i)\b(?:(?:are|is|be)\s+also\s+(?:be\s+)?(?:eligible|allowed|"
                            r"permitted|included)|may\s+also\s+(?:be\s+)?(?:enrolled|included|"
                            r"eligible))\b")


# A branch for untreated patients in the criterion or its sub-items ("Relapsed AML; - if
# untreated, aged over 60"): the treated state is one way in of two
_UNTREATED_BRANCH = re.compile(r"(?i)\b(?:if|for|in)\s+(?:the\s+|patients?\s+(?:who\s+are\s+|with\s+)?)?"
                               r"(?:previously\s+)?(?:untreated|newly[\s-]diagnosed|treatment[\s-]na[iï]ve|"
                               r"not\s+previously\s+treated)\b")
_PARAGRAPH_END = re.compile(r"\n[ \t]*\n")
_SUB_ITEMS_REACH = 300


def _untreated_branch(text: str, start: int, end: int) -> bool:
    """Whether an untreated branch follows in the criterion or the lines right after it (its
    sub-items), up to the paragraph's end, or, where blank lines part every item (as in
    registry text), up to the next line indented no deeper than the criterion's own."""
    stop = min(len(text), end + _SUB_ITEMS_REACH)
    blank = _PARAGRAPH_END.search(text, end, stop)
    if blank is not None:
        stop = _sub_items_end(text, start, blank.start(), stop)
    return _UNTREATED_BRANCH.search(text, start, stop) is not None


def _sub_items_end(text: str, start: int, end: int, stop: int) -> int:
    """Where the lines after `end` that are indented deeper than the line holding `start`
    (its sub-items, blank lines between them) end, at most `stop`; `end` if none follow."""
    line = text.rfind("\n", 0, start) + 1
    own = len(text[line:start]) - len(text[line:start].lstrip(" \t"))
    last = end
    for m in _LINE.finditer(text, end, stop):
        body = m.group(1)
        if body.strip():
            if len(body) - len(body.lstrip(" \t")) <= own:
                break
            last = m.end()
    return last


_LINE = re.compile(r"\n([^\n]*)")


_OR_OPENS = re.compile(r"\W{0,6}(?i:or)\b")  # "- or ET treatment naive": one more alternative
_EXCLUSION_HEADING = re.compile(r"(?i)\bexclusion\s+criteria\b")


@lru_cache(maxsize=256)
def _about_cancer(text: str) -> bool:
    """Whether the inclusion criteria are about cancer: the first word of a disease in them
    (before the exclusion heading, where "no history of malignancy" is common in any trial)
    is a cancer term of data/conditions.yaml `oncology`, not a word of another disease
    (`other_disease`). A treatment state read without a cancer named beside it is that of
    the cancer only in a cancer trial ("treatment-naive" in a hepatitis C trial is not)."""
    from trialmatch.nlp.resources import conditions

    head = _EXCLUSION_HEADING.search(text)
    end = head.start() if head else len(text)
    cancer = conditions()[0].search(text, 0, end)
    other = _other_disease().search(text, 0, cancer.start() if cancer else end)
    return cancer is not None and other is None


# A number of treatments beyond one ("at least two prior lines", "no more than 3 regimens"),
# looked for outside the mention's own words ("one or more prior lines" is a presence)
_COUNT = re.compile(r"(?i)\b(?:two|three|four|five|six|[2-9]|1[0-9]|multiple|multiply|heavily|"
                    r"more\s+than|no\s+more|not\s+more|up\s+to|at\s+most|maximum|fewer|"
                    r"(?:second|third|fourth|2nd|3rd|4th)[\s-]+line)\b")


def _counted(text: str, lo: int, hi: int, m: Mention) -> bool:
    return bool(_COUNT.search(text, lo, m.start) or _COUNT.search(text, m.end, hi))


def _clause(ctx: Any, m: Mention) -> tuple[int, int]:
    """The clause of the criterion the mention is in (bounded by ";" and sentence ends)."""
    lo = max(ctx.start, ctx.text.rfind(";", ctx.start, m.start) + 1,
             ctx.text.rfind(". ", ctx.start, m.start) + 1)
    stops = [i for i in (ctx.text.find(";", m.end, ctx.end), ctx.text.find(". ", m.end, ctx.end))
             if i >= 0]
    return lo, min(stops, default=ctx.end)


def _study_cancer(c: Mention, ctx: Any) -> bool:
    return c.label == "cancer" and "history" not in c.mods \
        and not _OTHER_DISEASE.search(ctx.text, c.start, c.end)


def _attached(m: Mention, ctx: Any, hi: int) -> tuple[bool, bool]:
    """Whether the words qualify the disease under study, and whether a setting word limits
    them (see _SETTING)."""
    gap = _BETWEEN.match(ctx.text, m.end, hi)
    at = gap.end() if gap else m.end
    cancer = next((c for c in ctx.ms if c.label == "cancer" and (
        m.end <= c.start <= at < c.end or c.start == m.start < c.end)), None)
    if cancer is not None:
        return _study_cancer(cancer, ctx), _SETTING.search(ctx.text, m.end, cancer.end) is not None
    if _DISEASE_WORD.match(ctx.text, at, hi):
        return True, _SETTING.search(ctx.text, m.end, at) is not None
    if _CLAUSE_END.match(ctx.text, m.end, hi) and _SAID_OF.search(
            ctx.text, max(ctx.start, m.start - 40), m.start):
        before = [c for c in ctx.ms if c.label == "cancer" and c.end <= m.start
                  and m.start - c.end <= 40]
        if before:
            return _study_cancer(before[-1], ctx), False
    if m.data["alone"] and _STATE_ENDS.match(ctx.text, m.end, hi) \
            and _PATIENTS_ONLY.fullmatch(ctx.text, ctx.start, m.start):
        # "Previously untreated.", "Patients must be previously untreated and meet ...": a
        # criterion of the state alone, said of the patients of a cancer trial
        return _about_cancer(ctx.text), False
    return False, False


def _one_item_of_many(m: Mention, ctx: Any, lo: int, hi: int) -> bool:
    """Whether the criterion lists other diseases in several ";" clauses besides the state's
    own (two or more): the state then qualifies one item of the list, not the criterion."""
    if ctx.text.count(";", ctx.start, ctx.end) < 2:
        return False
    cancers = [c for c in ctx.ms if c.label == "cancer"]
    own = {c.data.get("code") for c in cancers if lo <= c.start < hi}
    others = {ctx.text.count(";", ctx.start, c.start) for c in cancers
              if not lo <= c.start < hi and c.data.get("code") not in own}
    return len(others) >= 2


def state_node(m: Mention, ctx: Any) -> Node | None:
    """The leaf a treatment-state mention makes in its criterion, or None (see module doc)."""
    from trialmatch.nlp.findings import has_window

    state = m.data["state"]
    text = ctx.text
    if ctx.section == "exclusion" and not m.data["exclusion"]:
        return None
    lo, hi = _clause(ctx, m)
    if ("count" in m.mods and _counted(text, lo, hi, m)) or "current" in m.mods or (
            "negated" in m.mods and state == "treated"):
        return None  # a number of lines (manual review as before), ongoing use, "not refractory"
    # (the drugs after a planned one are the plan's: "untreated, scheduled to receive A plus
    # B (c, d) chemotherapy")
    plan = min((x.start for x in ctx.ms if x.label == "drug" and "prospective" in x.mods
                and m.end <= x.start < hi), default=hi)
    if any(x.label == "drug" and x is not m and (
            "state" not in x.data and "prospective" not in x.mods and lo <= x.start < plan
            or "state" in x.data and x.data["state"] != state and lo <= x.start < hi)
           for x in ctx.ms):
        # a drug named ("refractory to bortezomib", "no prior therapy except hormones"), or
        # the other state beside it ("treatment-naive or treatment-experienced", however the
        # words around it read); a drug only planned ("untreated, with an indication for
        # chemotherapy") is no history
        return None
    if _other_disease().search(text, max(lo, m.start - 40), min(hi, m.end + 40)):
        return None  # "HCV treatment-naive", "antiretroviral therapy-naive"
    if _FOR_BEFORE.search(text, max(lo, m.start - 30), m.start) or _FOR_GROUP.search(
            text, lo, m.start) or (
            m.start - lo <= 12 and _GROUP_RULE.match(text, m.end, hi)):
        return None  # a rule for the group the words name
    before = _ALTERNATIVE_BEFORE.search(text, max(lo, m.start - 40), m.start)
    if (before is not None and not (state == "naive" and _NAIVE_TOO.match(before.group(0)))) \
            or _ALTERNATIVE_AFTER.match(text, m.end, hi):
        return None  # "recurrent or refractory", "metastatic or relapsed"
    if state == "treated" and _NO_THERAPY_ALTERNATIVE.search(text, m.end, ctx.end):
        return None  # "... or for which no standard therapy exists"
    if _RELATIVE.match(text, m.end, hi):
        return None  # "no prior therapy that targets X": a kind of treatment
    if state == "treated" and m.data["attach"] == "disease" and (
            _AFTER_LOCAL.match(text, m.end, hi) or _PERMITTED_AFTER.match(text, m.end, hi)):
        return None  # relapse after surgery or radiotherapy; a group allowed
    if _DEFINED.search(text, lo, m.start) or _ALSO_ELIGIBLE.search(text, m.end, ctx.end):
        return None  # a definition; another way in ("untreated patients are also eligible")
    if state == "treated" and _untreated_branch(text, m.end, ctx.end):
        return None  # "relapsed AML" with a sub-item "if untreated, older than 60": two ways in
    if m.data["attach"] == "any" and (_OR_AFTER.match(text, m.end, hi) or _OPEN_EXCEPTION.match(
            text, m.end, hi) or _OR_OPENS.match(text, lo, m.start) or not _about_cancer(text)):
        return None  # one of several alternatives; exceptions not read; not a cancer trial
    if _one_item_of_many(m, ctx, lo, hi):
        return None  # "AML (relapsed or refractory); MDS; Fanconi anaemia; ...": one item's state
    setting = False
    if m.data["attach"] == "disease":
        attached, setting = _attached(m, ctx, hi)
        if not attached:
            return None
        # ("untreated stage IIIB X" ruled out: the untreated patients of one stage, which the
        # profile does not hold)
        setting = setting or (ctx.section == "exclusion"
                              and _ANY_STAGE.match(text, m.end, min(hi, m.end + 40)) is not None)
    if _NEGATION_BEFORE.search(text, max(lo, m.start - 30), m.start) and state == "naive":
        return None  # "not previously untreated": too rare to read
    prov = ctx.prov(m.start, m.end, m.source)
    if state == "naive" and (setting or _ADJUVANT.search(text, ctx.start, ctx.end) or (
            m.data["attach"] == "any" and _SETTING.search(text, lo, hi))
                             or SETTING_AFTER.match(text, m.end, hi)):
        return Unparsed(text[m.start:m.end], reason="a prior treatment in one disease "
                        "setting", prov=ctx.prov(m.start, m.end, "context.setting"))
    if m.data["attach"] == "any" and state == "naive" and _QUALIFIED.match(text, m.end, hi):
        return None  # "no prior treatment for hepatitis B": another disease may be meant
    if ctx.has_window and has_window(text, lo, hi):
        return None  # "progression within 6 months of the last treatment": a window
    node = PriorTherapy(ANY_TREATMENT, prov=prov)
    if state == "treated" or (ctx.section == "exclusion" and m.data["negation"]):
        return node  # ("No prior therapy" listed as an exclusion restates the section)
    return Not(node, prov=prov)


def _other_disease() -> re.Pattern[str]:
    return _data()[1]


def is_state(node: Node) -> bool:
    """Whether a leaf was read from a treatment state (`state_node`), negated or not."""
    leaf = node.item if isinstance(node, Not) else node
    return isinstance(leaf, PriorTherapy) and leaf.prov is not None \
        and (leaf.prov.source or "").startswith("state.")
