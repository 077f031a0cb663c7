"""From the mentions of one criterion to rule-tree leaves, each with its provenance.

Biomarker groups (phrases.py) become alteration, fusion, measurement or signature leaves by
the cue they carry and the gene's own meaning of "positive" (data/genes.yaml `status`);
clinical mentions (age, ECOG, Karnofsky, cancer types, prior therapy) become their leaves.
A `Unit` is one finding with its span; assemble.py joins the units of a criterion.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, replace
from functools import lru_cache

from trialmatch.nlp.context import left_cue, negation, origin_near
from trialmatch.nlp.firstchar import probe
from trialmatch.nlp.mentions import ByStart, Mention
from trialmatch.nlp.phrases import (
    EXAMPLE_OPENERS,
    Group,
    Phrase,
    attach_orphans,
    build_groups,
    build_phrases,
    implied_phrases,
    list_intro,
)
from trialmatch.nlp.resources import context_rules, gene_data, umbrella_codes
from trialmatch.nlp.treatment_state import ANY_TREATMENT, SETTING_AFTER, state_node
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
    PriorTherapy,
    Provenance,
    Sex,
    Signature,
    Unparsed,
    walk,
)

_PRIOR = re.compile(r"(?i)\b(?:prior(?!\s+to\b)|previous(?:ly)?|earlier(?!\s+than\b)|had|received|receiving|receipt\s+of|"
                    r"undergone|underwent|"
                    r"history\s+of\s+(?:(?:the\s+)?use\s+of|treatment\s+with)|treated\s+with|treatment\s+"
                    r"with|therapy\s+with|progress(?:ed|ion|ive\s+disease)\s+(?:on|after|following|during)|"
                    r"refractory\s+to|resistant\s+to|resistance\s+to|failed|failure\s+of|failure\s+"
                    r"on|exposure\s+to|exposed\s+to|pre-?treated|naive|naïve|intolerant\s+to|"
                    r"intolerance\s+to|(?:relapsed?|relapsing|recurr(?:ed|ence)|progressing)\s+"
                    r"(?:on|after|following|during)|while\s+(?:on|taking|receiving)|"
                    # "recurrence within 6 months of the last dose of X", "progression during
                    # or within 3 months after X": the disease came back after X
                    r"(?:relapsed?|relapsing|recurr(?:ed|ence)|progress(?:ed|ion|ing))\s+"
                    r"(?:(?:during|on|while\s+on)\s+or\s+)?within\s+[^.;]{0,40}?\b(?:of|after|from|"
                    r"following)\b|"
                    # "relapsed myeloma after X", "recurrent glioblastoma following X": the
                    # disease named between the state and "after"
                    r"(?:relapsed|recurrent|refractory|progressive|progressing)\s+(?:[\w/-]+\s+){1,4}?"
                    r"(?:after|following)|"
                    r"(?:responded|response|responding)\s+(?:\([^()]{0,20}\)\s+)?to|"
                    r"(?:resistant|refractory|intolerant|resistance|intolerance)\s+(?:or|and/or)\s+"
                    r"(?:resistant|refractory|intolerant|resistance|intolerance)\s+to|"
                    r"(?:regimens?|chemotherap(?:y|ies)|lines?\s+of\s+(?:therapy|treatment))\s+"
                    r"(?:(?:must|may|should|did|has|have|had)\s+){0,2}(?:not\s+)?"
                    r"(?:have\s+)?(?:contained|included)|"
                    # "must have had X", "should have had at least one X"
                    r"(?:must|should|to|will)\s+have\s+had|"
                    # "treatment history may not include X"
                    r"(?:treatment|therapy|therapeutic)\s+history|"
                    # "have used X before", "has ever taken X", "never take the treatment of X"
                    r"(?:has|have|had|never)\s+(?:ever\s+|already\s+)?(?:been\s+)?(?:used|taken|took|"
                    r"take))\b")
# "after completing four cycles of X", "following completion of first-line X", "must have
# completed X": the treatment named a few words on was given
_COMPLETED = re.compile(r"(?i)\b(?:(?:after|following)\s+(?:the\s+)?(?:completion\s+of|completing)|"
                        r"(?:must\s+have|has|have|having)\s+completed)\b"
                        r"(?:\s+(?!(?:and|or|but|is|are|not|no|with|without|taking|while)\b)[\w-]+|\s*[(),]){0,6}\s*\Z")
# (a wait written in hours or in words counts too: "48 hours prior", "three weeks before",
# not "the last three months of therapy"; "... should elapse between the last dose and entry";
# "less than three days from prior X"; "retinoids (4 weeks)" in a list of medications with the
# time each must be stopped before entry)
_SPAN = r"(?:\d+|one|two|three|four|five|six|eight)\s*(?:days?|weeks?|months?)"
_BEFORE_ENTRY = (r"(?:before|prior\s+to)\s+(?:the\s+)?(?:study|enrol\w*|entry|registration|"
                 r"randomi[sz]\w*|inclusion|first\s+dose|day\s+1|start|screening|baseline)")
_NUMBER_OF_UNITS = (r"\b(?:\d+|(?<!the\s)(?<!last\s)(?:two|three|four|five|six|seven|eight|ten|"
                    r"twelve))\s*(?:days?|weeks?|months?|half[- ]lives|hours?|hrs?)"
                    r"\s*(?:\([^()]{0,24}\)\s*)?,?\s")  # ("3 weeks, and X 2 weeks, prior to")
_WINDOW = re.compile(r"(?i)\bwithin\b(?!\s+(?:an?|the|this|that|its|their|his|her)\s+(?:\w+\s+){0,2}?"
                     r"(?:fields?|port|area|region|volume|site|lesion|organ|tumou?r|range|limits?|"
                     r"normal)\b)|\bsince\b|\bwash-?out\b|\belapsed?\b|" + _NUMBER_OF_UNITS +
                     r"(?:prior|before)|"
                     # "4 weeks of study entry" (not "at least 12 weeks of prior X": how
                     # long X was given)
                     r"(?<!least\s)(?<!minimum\sof\s)" + _NUMBER_OF_UNITS + r"of"
                     r"|≤\s*\d+\s*(?:days?|weeks?)|<\s*\d+\s*(?:days?|weeks?)|washout"
                     r"|\b(?:\d+|one|two|three|four|five|six|seven|eight|ten|twelve|fourteen)\s*"
                     r"(?:days?|weeks?|months?)\s*(?:\([^()]{0,24}\)\s*)?\sfrom\s+(?:the\s+)?"
                     r"(?:prior|previous|last)\b"
                     # "at least 2 weeks from vincristine, 6 weeks from nitrosoureas", "at least
                     # 3 weeks is required from: (a) chemotherapy ...": the wait after each
                     r"|\bat\s+least\s+(?:\d+|one|two|three|four|five|six|eight|twelve)\s*"
                     r"(?:days?|weeks?|months?)\s+"
                     # ("at least 3 weeks or 5 half-lives (for systemic agents), whichever is
                     # shorter, from ...": the other measure of the same wait)
                     r"(?:or\s+(?:\d+|five)\s*half[- ]lives\s+)?(?:\([^()]{0,40}\)\s*)?"
                     r"(?:,?\s*whichever\s+is\s+(?:shorter|longer|greater|less|later|earlier)"
                     r"\s*,?\s*)?(?:(?:is|are|must\s+be|must\s+have)\s+)?"
                     r"(?:(?:required|needed|elapsed|passed)\s+)?(?:from|since|after)\b"
                     r"|\(\s*\d+\s*(?:days?|weeks?|months?)\s*\)\s*(?:;|$)"
                     # "the following minimum duration from prior X", "the required interval
                     # since X": a wait after the treatment, its length given later
                     r"|\b(?:minimum|minimal|required|shortest)\s+(?:durations?|intervals?|times?|"
                     r"periods?|washouts?)\s+(?:\w+\s+){0,2}?(?:from|since|after)\b"
                     # "if the last dose was given >= 4 weeks ago", "completed a minimum of 4
                     # weeks previously"
                     r"|\b(?:\d+|one|two|three|four|five|six|eight|twelve)\s*(?:days?|weeks?|months?)\s+"
                     r"(?:ago|previously|earlier|beforehand)\b"
                     # "in the previous seven days", "over the last 3 months", "in the past 5
                     # years"
                     r"|\b(?:previous|last|past|preceding)\s+(?:\d+|two|three|four|five|six|seven|"
                     r"eight|ten|twelve|fourteen)\s+(?:days?|weeks?|months?|years?)\b"
                     # "(6 weeks for nitrosoureas; 1 week for X)": the washout of each drug
                     r"|\b(?:\d+|one|two|three|four|five|six|eight)\s*(?:days?|weeks?|months?)\s+"
                     r"for\s+(?:prior\s+|previous\s+)?(?=[A-Za-z])"
                     # "has not received X for more than 4 weeks", "no prior X for at least 4
                     # weeks before enrolment" (a wash-out; not "X given for at least 12 weeks
                     # before progression": how long X was given)
                     # "a minimum 4 week interval between completion of X and registration",
                     # "an interval of 28 days from X": the wait after the treatment
                     r"|\b(?:\d+|one|two|three|four|five|six|eight|twelve)[\s-]*(?:days?|weeks?|"
                     r"months?)\s+(?:intervals?|gaps?|washouts?)\s+(?:between|from|since|after)\b"
                     r"|\b(?:intervals?|gaps?)\s+of\s+(?:at\s+least\s+)?(?:\d+|one|two|three|four|"
                     r"five|six|eight|twelve)\s*(?:days?|weeks?|months?)\s+(?:between|from|since|after)\b"
                     rf"|\bfor\s+(?:more|longer|greater|fewer|less)\s+than\s+{_SPAN}\b"
                     rf"|\bfor\s+at\s+least\s+{_SPAN}\s+{_BEFORE_ENTRY}\b")
_ABBREVIATION_AFTER = re.compile(r"\s*[(\[][^()\[\]]{1,15}[)\]]|[)\]]")


def _past_abbreviation(text: str, at: int) -> int:
    """`at`, or the end of the bracketed abbreviation right after it ("kinase-3 [FLT-3]"), or
    of the bracket it closes ("nucleophosmin 1 [NPM1]")."""
    m = _ABBREVIATION_AFTER.match(text, at)
    return m.end() if m else at


_NEGATIVE_FOR = re.compile(r"(?i)\bnegative\s+for\s+(?:the\s+)?\Z")
# a result word right before the marker and its own kind ("negative ALK rearrangement",
# "negative cyclin D1 staining"), at the start of its clause (not "ER negative PR ...")
_STATUS_BEFORE = re.compile(r"(?i)(?:\A\W*|[(,;:/]|\b(?:a|an|with|and|or|by|of|have|has|show|"
                            r"shows|showing|must\s+be|is|are|be))\s*(?P<word>negative|positive|low)"
                            r"(?:\s+(?:tumou?r|tissue))?\s+\Z")
_NOT_A_FINDING = re.compile(r"(?i)[\s\-/]*(?:genes?\s+)?(?:test|testing|tested|status|assay|"
                            r"analysis|screening|counsell?ing|results?|report)\b")
_NOT_LIMITED = re.compile(r"(?i)\bnot\s+limited\s+to\b")
# A state of the disease named by the drug it followed ("X-naive", "X-pretreated",
# "X-refractory", "platinum-resistant", "platinum-sensitive", "X-exposed"): each says whether
# X was given. Not the class of a mutation ("TKI-sensitive mutation", "TKI-resistant variant").
_STATE_AFTER = re.compile(r"(?i)\s*-?\s*(?:na[iï]ve|pre-?treated|refractory|resistant|sensitive|"
                          r"exposed|unresponsive|non-?responsive|intolerant|failed|failing)"
                          r"(?![\w-])(?!\s+(?:mutations?|alterations?|variants?|"
                          r"substitutions?|deletions?|insertions?)\b)")
_RESPONSE = re.compile(r"(?i)refractory|resistant|sensitive|responsive|intolerant|fail")
# ... or a response named before the drug, in its clause ("have not responded to radiation or
# chemotherapy", "refractory to X", "disease progression while receiving X", "relapse within
# 6 months of X")
_RESPONSE_BEFORE = re.compile(r"(?i)\b(?:(?:respon\w*|refractory|resistant|resistance|sensitive|"
                              r"sensitivity)\s+(?:\([^()]{0,20}\)\s+)?(?:to|on)|fail(?:ed|ing|ure\s+"
                              r"(?:of|on|to))|(?:progress\w*|"
                              r"relaps\w*|recurr\w*)(?:\s+of\s+(?:the\s+)?disease)?"
                              # ("progressed or was refractory while receiving X")
                              r"(?:\s+(?:or|and/or)\s+(?:(?:was|were|became|become|is|are|has\s+been|"
                              r"have\s+been)\s+)?(?:refractory|resistant|intolerant))?(?:\s+(?:has|have|had)\s+"
                              r"(?:occurred|developed|been\s+documented))?\s+(?:while\s+"
                              r"(?:on|receiving|taking|being\s+treated\s+with)|during|on|after|"
                              r"following|within\s+[^;.]{1,30}?\b(?:of|after|following|from)))\b"
                              r"[^;.]{0,60}\Z")
# ... or after it ("had X in an earlier trial and best response was progressive disease",
# "X stopped for intolerance"): which of those who had X are ruled out
_RESPONSE_AFTER = re.compile(r"(?i)[^;.()]{0,80}?\b(?:best\s+response|response\s+(?:was|of)|"
                             r"progressed\s+(?:on|during|while)|progressive\s+disease|"
                             r"(?:stopped|discontinued)\s+(?:due\s+to|because\s+of|for)|"
                             r"serious\s+(?:adverse\s+)?(?:events?|reactions?))\b")
# The end of a sentence: a history word in the sentence before does not reach a drug of the
# next one ("Patients receiving antiepileptics can be included. Drug X is not metabolised
# by ..."); not after an initial or a number ("Fig. 2", "1. Prior X").
SENTENCE_BREAK = re.compile(r"(?<=[a-z)\]]{2})\.\s+(?=[A-Z])")
# (not "no longer responding to X": X was given)
_NO_PRIOR = re.compile(r"(?i)\b(?:no(?!\s+longer\s+(?:respon|sensitiv|controlled|benefit|tolerat))"
                       # ("no increase in steroid dose": the dose kept, no history negated)
                       r"(?!\s+(?:dose\s+)?(?:increases?|changes?|escalations?)\b)|"
                       r"not(?!\s+(?:respon|benefit|controlled))|never|without|naive|naïve)\b")
_DEFINITION = re.compile(r"(?i)\(\s*(?:defined|as defined|i\.e\.|as determined|determined)")
# a word of time between the "no" and the treatment: "no relapse after X" (X was given)
_WORD_OF_TIME = re.compile(r"(?i)\b(?:after|following|once|since)\b")


def _no_before(before: str) -> bool:
    """Whether `before` (the words before a treatment) ends in a "no" that reaches it."""
    nos = list(_NO_PRIOR.finditer(before))
    return bool(nos) and not _WORD_OF_TIME.search(before, nos[-1].end())

# "given for at least 12 weeks prior to progression": how long a treatment lasted, not a
# window since the last dose
_DURATION_BEFORE = re.compile(r"(?i)\bfor\s+(?:at\s+least|a\s+minimum\s+of|more\s+than|over|"
                              r"≥|>=?)?\s*$")
# "must have stopped X for at least 4 weeks before entry": the time off a treatment is a
# washout window, not how long the treatment lasted
_STOPPED = re.compile(r"(?i)\b(?:discontinu\w*|stopp?(?:ed|ing)?|(?<!-)off(?!-)|ceased?|withdrawn|"
                      r"interrupted)\b")


# "at least 2 weeks out from the last dose of X", "more than 4 weeks since previous X": a
# wait since the last treatment; not "relapse more than 6 months after the last platinum",
# the interval of a relapse (a relapse word before it), nor a wait that only makes an
# exception ("unless at least 4 weeks from ...")
_WAIT_SINCE = re.compile(r"(?i)\b(?:at\s+least|more\s+than|minimum\s+(?:interval\s+)?of|over|>=?|≥)\s*"
                         r"(?:\d+|two|three|four|five|six|eight|ten|twelve)\s*(?:days?|weeks?|months?|"
                         r"hours?|hrs?)\s+(?:out\s+)?(?:is\s+required\s+|are\s+required\s+)?"
                         r"(?:from|since|after)\s*:?\s*(?:the\s+|any\s+|all\s+)?(?:a\)\s*)?(?:last|"
                         r"previous|prior|completion|end|discontinuation|cessation|stopping)\b")
_RELAPSE_BEFORE = re.compile(r"(?i)progress|recur|relaps|respon|refractor|failure|free\s+interval|\bunless\b")


_PROGRESSED = re.compile(r"(?i)\b(?:relaps|recurr|progress|disease-free|refractory|resistan)")
_AFTER_LAST = re.compile(r"(?i)[^.;]{0,16}?(?:\b(?:of|after|from|following)\s+)?(?:the\s+)?"
                         r"\b(?:last|final|completion|completing|end|ending|stopping|discontinu)")
_FROM_LAST = re.compile(r"(?i)\sfrom\s+(?:the\s+)?(?:prior|previous|last)$")


def _dates_a_relapse(text: str, m: re.Match[str], start: int, end: int) -> bool:
    """Whether a time found by `_WINDOW` says when the disease came back after a treatment,
    so that the treatment was given ("relapse more than 6 months from the last dose of X",
    "relapsed within 3 months of the last X"), rather than a wait before entry."""
    if _FROM_LAST.search(m.group(0)):
        return _PROGRESSED.search(text, max(start, m.start() - 80),
                                  min(end, m.end() + 60)) is not None
    lo = max(start, m.start() - 25)
    return bool(_PROGRESSED.search(text, lo, m.start()) and not _NO_WORD.search(
        text, lo, m.start()) and (_AFTER_LAST.match(text, m.end(), min(end, m.end() + 40))
                                  or _after_treatment(text, m, end)))


# What a relapse is dated from when it is no treatment: "within 6 months of study entry",
# "of surgery", "of diagnosis"
_NOT_A_TREATMENT = re.compile(r"(?i)\s*(?:the\s+)?(?:study|entry|enrol|registration|randomi|"
                              r"screening|consent|start|first\s+dose|day\b|inclusion|diagnosis|"
                              r"surgery|resection|radio|radiation|transplant)")
_OF_AFTER = re.compile(r"(?i)[^.;]{0,16}?\b(?:of|after|following)\s+")
_ENDS_OF_AFTER = re.compile(r"(?i)\b(?:of|after|following)\s*\Z")


def _after_treatment(text: str, m: re.Match[str], end: int) -> bool:
    """"progressed within 12 months of adjuvant X", "relapse within 6 months after X": the
    time dates the relapse from a treatment named next (not from entry, surgery or
    diagnosis)."""
    at = m.end()
    if not _ENDS_OF_AFTER.search(m.group(0)):
        follows = _OF_AFTER.match(text, at, min(end, at + 40))
        if follows is None:
            return False
        at = follows.end()
    return at < end and not _NOT_A_TREATMENT.match(text, at, end)


def has_window(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] sets a time window ("within 4 weeks", "28 days before")."""
    for m in _WINDOW.finditer(text, start, end):
        found = m.group(0)
        if (found[0].isalnum() or found[0] == "(") \
                and _DURATION_BEFORE.search(text, max(start, m.start() - 25), m.start()) \
                and not _STOPPED.search(text, max(start, m.start() - 120), m.start()):
            continue  # "given for at least 12 weeks prior to progression": a duration
        if _dates_a_relapse(text, m, start, end):
            continue
        return True
    for m in _WAIT_SINCE.finditer(text, start, end):
        if not _RELAPSE_BEFORE.search(text, max(start, m.start() - 80), m.start()):
            return True
    return False


# "(except X with a 30-day washout)": a window inside a bracketed exception binds the
# exception only, not the treatment ruled out before it
_EXCEPTION_BRACKET = re.compile(r"(?i)\(\s*(?:except|other\s+than|excluding|with\s+the\s+"
                                r"exceptions?\s+of|unless)\b[^()]{0,200}\)")


# ... and so does a window inside a bracket that defines a later item of a list ("X, Y,
# investigational therapy (a drug given within the last 30 days)"): that item's, not the
# treatment's (a bracket that is a window, "X, Y or Z (within 4 weeks)", binds them all)
_BRACKET = re.compile(r"\((?!\s*(?:within|in\s+the\s+(?:last|past)|at\s+least|less\s+than|"
                      r"during|[<≤\d]))[^()]{0,300}\)", re.IGNORECASE)
# (a later item: a list separator, then a treatment named by its noun right before the bracket)
_LATER_ITEM = re.compile(r"(?i)(?:,|\b(?:or|and)\b)[^,;()]{0,60}?\b(?:therapy|therapies|agents?|"
                         r"drugs?|treatments?|regimens?|inhibitors?|blockers?|antibody|antibodies|"
                         r"®)\s*\Z|(?:,|\b(?:or|and)\b)\s*[A-Z][\w-]*®?\s*\Z")


def _window_outside_exceptions(text: str, start: int, end: int, after: int) -> bool:
    """`has_window` on text[start:end] without the brackets that open after `after` (the
    end of the treatment ruled out) on an exception or after a later list item."""
    lo = start
    for m in _BRACKET.finditer(text, after, end):
        if not (_EXCEPTION_BRACKET.match(text, m.start()) or _LATER_ITEM.search(
                text, after, m.start()) is not None and has_window(text, m.start(), m.end())):
            continue
        if has_window(text, lo, m.start()):
            return True
        lo = m.end()
    return has_window(text, lo, end)


@dataclass(slots=True)
class Unit:
    node: Node
    start: int
    end: int
    permitted: bool = False  # a cancer type or treatment the text allows besides the required


class Context:
    """What one criterion's finders share: text, section, mentions, provenance maker."""

    def __init__(self, text: str, section: str, start: int, end: int, ms: list[Mention],
                 inherited: list[str] | None = None, heading: str = "") -> None:
        self.text, self.section, self.start, self.end = text, section, start, end
        self.heading = heading  # the list heading the criterion sits under, if any
        self.ms = ms
        cancers = [(m.start, m.end) for m in ms if m.label == "cancer"]
        # "cell" in "B-cell lymphoma" is part of the name, not a cell count
        self.cues = ByStart([m for m in ms if m.label == "cue" and not (
            m.data["role"] == "nonbio" and any(a <= m.start and m.end <= b for a, b in cancers))])
        self.inherited = inherited or []
        self.skip = _definition_spans(text, start, end)
        self.skip_starts = [a for a, _ in self.skip]
        self._window: bool | None = None

    @property
    def has_window(self) -> bool:
        """Whether the criterion speaks of a time window ("within 4 weeks of ...")."""
        if self._window is None:
            self._window = has_window(self.text, self.start, self.end)
        return self._window

    def skipped(self, m: Mention) -> bool:
        """Whether a mention lies in a parenthetical definition (see _definition_spans)."""
        if not self.skip:
            return False
        i = bisect_right(self.skip_starts, m.start) - 1
        return i >= 0 and m.start < self.skip[i][1]

    def prov(self, start: int, end: int, source: str) -> Provenance:
        return Provenance(self.section, start, end, self.text[start:end], source)


def _definition_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Parenthetical definitions "(defined as IHC 3+ or ISH+)": read as part of the status;
    and references to other documents ("(refer to the appendices: response criteria for
    neuroblastoma ...)"), which name no criterion. Merged, in order: nested or repeated
    openings make one span."""
    spans: list[tuple[int, int]] = []
    found = sorted([*_DEFINITION.finditer(text, start, end), *_REFERENCE.finditer(text, start, end)],
                   key=lambda m: m.start())
    for m in found:
        if spans and m.start() < spans[-1][1]:
            continue
        close = text.find(")" if m.group().startswith("(") else "]", m.end(), end)
        spans.append((m.start(), close + 1 if close != -1 else end))
    return spans


_REFERENCE = re.compile(r"(?i)[(\[]\s*(?:please\s+)?(?:refer\s+to|see|cf\.?)\s+(?:the\s+)?"
                        r"(?:appendi(?:x|ces)|sections?|tables?|protocol|figures?)\b")


# A sentence whose subject is a group of patients with a cancer ("Patients with A must ...",
# "For patients with A, the disease must ...", "A patients should ...", "Subjects with A are
# eligible if ..."): a rule for that group only (the trial states its cancers elsewhere), not
# a requirement of A for every patient. Its findings are left out; a criterion of nothing
# else is manual review.
_CANCER_GROUP = re.compile(
    r"(?i)\W{0,6}(?:note\s*:\W{0,4})?(?:(?P<lead>for|in)\s+(?:the\s+case\s+of\s+)?)?(?:all\s+|any\s+)?"
    r"(?:(?:patients|subjects|participants|those|individuals)\s+(?:with|who\s+have|having)\s+"
    # (a line break and its indent count as one space)
    r"(?P<group>(?:[^.;:\s]|\([^().:]{1,20}\)|\s+(?!\s)){1,100}?)|(?P<named>[^.;:]{1,60}?)\s+(?:patients|subjects|"
    # (and the part they are in: "ovarian cancer participants in the phase 1 portion must")
    r"participants)(?:\s+(?:in|of|enrolled\s+in|entering)\s+(?:the\s+)?(?:phase|part|cohort|arm|"
    r"stage|portion|dose)[^.;:,]{0,60}?(?=\s+(?:must|should|need|are\s+required)\b))?)"
    # (not the modal of a relative clause: "who have had two regimens which must include X")
    r"(?:\s*(?P<comma>[,:])|(?<!\bwhich)(?<!\bthat)(?<!\bwho)\s+(?:must|should|needs?\s+to|requires?|ha(?:ve|s)\s+to|"
    r"will\s+(?:need|require)|"
    # ("may receive hydroxyurea until ...": what the group may be given, no requirement)
    r"(?:can|may)\s+(?:still\s+)?(?:receive|continue|take|use|remain|undergo|start|be\s+"
    r"(?:treated|given|maintained|on))|"
    r"(?:are|is)\s+required|(?:can|may|will)\s+only|(?:are|is|will\s+be)\s+(?:also\s+|only\s+)?"
    r"(?:eligible|candidates|included|enrolled|allowed))\b)")
# ... or a sentence that opens with the cancer it is for and a comma ("For breast and ovarian
# cancer, one earlier chemotherapy"), as the sentence before it does for another cancer, or
# with the condition it holds under ("If untreated AML, older than 60"; "If the participant
# has prostate cancer, ...")
_CANCER_LABEL = re.compile(r"(?i)\W{0,6}(?P<lead>for|in|if|when)\s+(?:the\s+case\s+of\s+)?"
                           r"(?:(?:a|the)\s+(?:patient|participant|subject)\s+(?:has|had|is)\s+)?"
                           r"(?P<group>)(?P<named>[^.;:,]{1,60}?)\s*(?P<comma>,)")
# ... or a cancer said to be eligible only on a condition ("relapsed myeloma; plasma cell
# leukaemia would be eligible only after bortezomib"): a rule for that cancer
_ELIGIBLE_ONLY = re.compile(r"(?i)\W{0,6}(?P<named>[^.:]{1,140}?)\s+(?:is|are|would\s+be|will\s+be|"
                            r"may\s+be|can\s+be)\s+(?:also\s+)?eligible\s+only\s+(?:after|if|when|"
                            r"following|provided|once|in\s+case)\b")
# ... but not a sentence that only lets the group in ("Patients with CMML are also
# eligible."): one more cancer type the criterion takes, no rule of its own
_ELIGIBLE_TOO = re.compile(r"(?i)[^.;:]*?\s(?:are|is|will\s+be)\s+(?:also\s+)?(?:eligible|candidates|"
                           r"included)(?:\s+(?:for|in|on|into|to)\s+(?:this|the)\s+(?:study|"
                           r"trial|protocol))?(?:\s+as\s+well|\s+too)?\s*[.;]?\s*\Z")
# words that make the subject no group: a diagnosis statement ("patients with histologically
# confirmed A must ..."), or a group the trial rules out
_NOT_A_GROUP = re.compile(r"(?i)\b(?:confirmed|proven|documented|diagnos\w*|histolog\w*|"
                          r"cytolog\w*|not|no|ineligible|excluded)\b")
# The modal verbs of a rule for a group ("Patients with X must ...")
_MODAL = r"must|should|need\s+to|needs\s+to|ha(?:ve|s)\s+to"
# ... and the subject that lists cancers before its verb ("Patients with mantle cell
# lymphoma, CLL, or SLL must ..."), tried first: the commas are the list's
_CANCER_GROUP_LIST = re.compile(
    r"(?i)\W{0,6}(?:(?P<lead>for|in)\s+(?:the\s+case\s+of\s+)?)?(?:all\s+|any\s+)?"
    r"(?:patients|subjects|participants|those|individuals)\s+(?:with|who\s+have|having)\s+"
    r"(?P<group>[^.;:]{1,140}?,[^.;:]{1,60}?)\s+(?:must|should|needs?\s+to|requires?|"
    r"ha(?:ve|s)\s+to|(?:are|is)\s+required)\b(?P<comma>(?!))?(?P<named>(?!))?")
# ... or one whose subject a relative clause of history or state narrows ("Patients who are
# HLA-DR15 positive must ...", "Participants who received docetaxel must ...", "Patients who
# had neoadjuvant therapy and now have metastases must ..."): a rule for those patients
# ("Patients receiving / currently on / taking X must ...": those on X; "Patients whose
# tumours are X-positive must ...": those with that result)
_HISTORY_GROUP = re.compile(
    r"(?i)\W{0,6}(?:all\s+)?(?:patients|subjects|participants|those|individuals)\s+"
    # ("Subjects enrolling to cohort B of part 2 who have received X must ...")
    r"(?:(?:enrolling|enrolled|entering|participating)\s+(?:to|in|into|on)\s+[^.;:]{1,80}?\s+)?(?:who\s+"
    r"(?:(?:have|has|had)\s+(?:not\s+|never\s+)?(?:previously\s+)?(?:received|been|undergone|"
    r"progressed|had)|(?:did|do|does)\s+not\s+(?:have|receive|undergo)|received|"
    r"were|are|was|is|underwent)|(?:currently\s+|already\s+)?(?:receiving|taking|using|on|"
    r"treated\s+with)|whose\s+(?:tumou?rs?|disease|cancers?|lesions?)\s+(?:is|are|was|were|has|"
    rf"have|had|harbou?rs?|carry|carries|express|expresses))\b(?P<group>[^.;:]{{1,160}}?),?\s+"
    rf"(?:{_MODAL}|(?:are|is)\s+required\s+to)\b")
# ... or a treatment required of a group named after it ("including a taxane for patients
# with breast cancer"): the treatment is that group's, the cancer no diagnosis of everyone
_FOR_GROUP_AFTER = re.compile(r"(?i)\bfor\s+(?:all\s+)?(?:patients|subjects|participants|"
                              r"those|individuals|men|women)\s+(?:with|who\s+have|having)\s+")
_CLAUSE_START = re.compile(r";\s*|\.\s+(?=[A-Z(]|\d{1,2}\)\s)")
_GROUP_WORDS = frozenset({"cancer", "cue", "drug"})  # what a group's subject may name
# what the subject of a group's treatment rule may name: cancers and their markers ("patients
# with APL with t(15;17) must have had arsenic trioxide")
_GROUP_MARKERS = frozenset({"cancer", "cue", "gene", "measure", "rearrangement", "philadelphia",
                            "variant", "signature", "her2_ihc", "triple_negative"})
_MARKER_WORDS = frozenset({"gene", "measure", "signature"})


def _marker_history_rule(ctx: Context, inside: list[str], b: int, hi: int) -> bool:
    """Whether a subject naming a cancer with its marker is followed by an obligation about
    treatment ("Patients with ER-positive breast cancer must have received endocrine
    therapy"): a rule for the patients with that marker, not a marker every patient needs."""
    if not ("cancer" in inside and not _MARKER_WORDS.isdisjoint(inside)
            and set(inside) <= _GROUP_WORDS | _MARKER_WORDS
            and _SUBJECT_MODAL.match(ctx.text, b, min(hi, b + 40)) is not None
            and any(m.label == "drug" and b <= m.start < hi for m in ctx.ms)):
        return False
    # a subgroup of the trial's population only when another criterion names the cancer
    # too; else the sentence states the population itself ("Patients with EGFR-mutant NSCLC
    # must have progressed on osimertinib")
    names = {ctx.text[m.start:m.end].lower() for m in ctx.ms if m.label == "cancer" and m.end <= b}
    rest = (ctx.text[:ctx.start] + " " + ctx.text[ctx.end:]).lower()
    return any(re.search(rf"(?<!\w){re.escape(n)}(?!\w)", rest) for n in names)


def _clauses(ctx: Context) -> list[tuple[int, int]]:
    """The criterion's sentences and ";" clauses, as (start, end) spans."""
    starts = [ctx.start] + [c.end() for c in _CLAUSE_START.finditer(ctx.text, ctx.start, ctx.end)
                            if not _in_brackets(ctx.text, ctx.start, c.start())]
    return list(zip(starts, [*starts[1:], ctx.end], strict=True))


def _in_brackets(text: str, start: int, at: int) -> bool:
    """Whether `at` lies inside a bracket opened after `start` ("t(15;17)", "[A; B]")."""
    words = text[start:at]
    return words.count("(") + words.count("[") > words.count(")") + words.count("]")


_SUBJECT_MODAL = re.compile(rf"(?i)\s*(?:{_MODAL})\b")


_ANNOUNCES_LIST = re.compile(r"(?i)\b(?:following|these|below)\b[^:;.]{0,30}:")


def _history_group(ctx: Context, lo: int, hi: int, cancers: bool) -> tuple[int, int] | None:
    """The span of a clause that is a rule for a group with a history or state (see
    _HISTORY_GROUP) or for the group a treatment is required of; None for other clauses. A
    group that "must meet the following: a) ...; b) ..." binds the rest of the criterion."""
    h = _HISTORY_GROUP.match(ctx.text, lo, hi)
    if h is not None and not _NOT_A_GROUP.search(h.group("group")):
        return (lo, ctx.end) if _ANNOUNCES_LIST.search(ctx.text, h.end(), hi) else (lo, hi)
    return (lo, hi) if cancers and _treatment_for_group(ctx, lo, hi) else None


def _group_rules(ctx: Context, groups: list[tuple[int, int, int, int]] | None = None
                 ) -> list[tuple[int, int]]:
    """The spans of the sentences of the criterion that are rules for a group of patients
    with a cancer (see _CANCER_GROUP) or a history or state (_HISTORY_GROUP); inclusion
    criteria only. `groups` gets (sentence start, group name start, name end, sentence end)
    of the rules whose subject names cancers only ("Patients with X must ...")."""
    if ctx.section != "inclusion":
        return []
    spans = []
    cancers = any(m.label == "cancer" for m in ctx.ms)
    for lo, hi in _clauses(ctx):
        history = _history_group(ctx, lo, hi, cancers)
        if history is not None:
            spans.append(history)
            continue
        if not cancers:
            continue
        only = _ELIGIBLE_ONLY.match(ctx.text, lo, hi)
        if only is not None and any(m.label == "cancer" and only.start("named") <= m.start
                                    and m.end <= only.end("named") for m in ctx.ms):
            spans.append((lo, hi))
            continue
        g = _CANCER_GROUP_LIST.match(ctx.text, lo, hi) or _CANCER_GROUP.match(
            ctx.text, lo, ctx.end) or _CANCER_LABEL.match(ctx.text, lo, hi)
        name = "group" if g is not None and g.group("group") else "named"
        # ("<cancer> patients: ..." is a label of that group; "Patients with <cancer>: ..."
        # and "<cancer> patients, ..." may name every patient)
        if g is None or (g.group("comma") and not g.group("lead") and (
                g.group("comma") == "," or g.group("group"))) \
                or _NOT_A_GROUP.search(g.group(name)) or _eligible_too(ctx, g, hi):
            continue
        a, b = g.span(name)
        inside = [m.label for m in ctx.ms if a <= m.start and m.end <= b
                  and not (m.label == "gene" and "test" in m.mods)]
        # a subject naming a cancer and no marker: "patients with Ph+ ALL are eligible
        # if ..." keeps its marker read; a subject naming a condition and nothing the
        # parser reads ("Patients with brain involvement must have stable disease") is a
        # group the sentence binds, whatever it then names
        marked = name == "group" and bool(set(inside) - {"cue"}) \
            and all(label in _GROUP_MARKERS for label in inside)
        if groups is not None and marked:
            groups.append((lo, a, b, hi))
        said = [m.label for m in ctx.ms if b <= m.start and m.end <= hi]
        if ("cancer" in inside and all(label in _GROUP_WORDS for label in inside)) or (
                # a group by its cancer's markers, and what it must have had
                marked and said and all(label == "drug" for label in said)) or (
                not inside and name == "group" and not g.group("comma")
                and _SUBJECT_MODAL.match(ctx.text, b, min(hi, b + 40))) or (
                _marker_history_rule(ctx, inside, b, hi) and name == "group"
                and not g.group("comma")):
            spans.append((lo, hi))
    if groups:  # (only the rules read as such)
        groups[:] = [g for g in groups if (g[0], g[3]) in spans]
    return spans


def _eligible_too(ctx: Context, g: re.Match[str], hi: int) -> bool:
    """Whether a sentence only lets a group in, one more cancer type of the criterion
    ("Patients with CMML are also eligible."): its cancers are each allowed (their
    `permission.widening` cue reached them)."""
    if not _ELIGIBLE_TOO.match(ctx.text, g.start(), hi):
        return False
    cancers = [m for m in ctx.ms if m.label == "cancer" and g.start() <= m.start < hi]
    return bool(cancers) and all("permission" in m.mods for m in cancers)


def _treatment_for_group(ctx: Context, lo: int, hi: int) -> bool:
    """Whether the clause requires a treatment of a group it names after it ("a
    fluoropyrimidine for patients with colorectal cancer")."""
    for f in _FOR_GROUP_AFTER.finditer(ctx.text, lo, hi):
        if any(m.label == "cancer" and f.end() <= m.start < f.end() + 40 for m in ctx.ms) and \
                any(m.label == "drug" and lo <= m.start < f.start() for m in ctx.ms):
            return True
    return False


# A criterion opening with a topic label ("Prior anthracycline exposure: patients must have
# had less than ... of anthracycline"): a treatment or cancer the label names and the
# sentence after it names again is the sentence's topic, read there only.
_LABEL = re.compile(r"\W{0,6}(?:[^\W\d][\w/()-]*\s+){0,5}[^\W\d][\w/()-]*\s*:\s*(?=\S)")
# A list of treatments before a colon that the sentence after it names as "these drugs"
# ("Earlier A, B or C: those given one of these drugs alone are eligible; ..."): the
# sentence's topic, read there only
_TOPIC = re.compile(r"\W{0,6}[^:;.\n]{1,120}?:\s*(?=\S)")
_BACK_REFERENCE = re.compile(r"(?i)\b(?:these|those|the\s+(?:above|listed|three|two))\s+"
                             r"(?:drugs|agents|treatments|therapies|medications|regimens)\b")


def _concept(m: Mention) -> tuple[str, str] | None:
    key = m.data.get("concept") if m.label == "drug" else (
        m.data.get("code") if m.label == "cancer" else None)
    return (m.label, key) if key else None


# A note on words rather than patients ("NOTE: the classification of these tumours was
# revised; this protocol uses the former terminology"): from the note on, no criterion.
_TERMS_NOTE = re.compile(r"(?i)\bnote\s*:\s*(?=[^:]{0,300}?\b(?:classification|terminology|"
                         r"nomenclature|wording|renamed|formerly\s+(?:called|known)|grading\s+system|"
                         r"staging\s+system)\b)")


# A number of patients of a kind the study plans to enrol ("at least 10 patients with the
# T315I mutation will be enrolled in cohort 1"): an accrual target, not a criterion.
_ACCRUAL_NOUNS = ("patient", "subject", "participant", "case")  # (one is in every match)
_ACCRUAL = re.compile(
    r"(?i)\b(?:(?:at\s+least|up\s+to|approximately|about|around|a\s+(?:minimum|maximum)\s+of|"
    r"no\s+more\s+than|a\s+total\s+of)\s+)?\d{1,4}\s+(?:[\w+/-]+\s+){0,3}?(?:patients|subjects|"
    r"participants|cases)\b[^.;]{0,200}?\b(?:will|may|can|could)\s+be\s+(?:enrolled|accrued|included|recruited|"
    r"treated|randomi[sz]ed|entered)\b[^.;]*"
    # "(16 patients: 8 KRAS wild-type and 8 KRAS mutant)": the make-up of a cohort's accrual
    r"|\(\s*\d{1,4}\s+(?:patients|subjects|participants)\b(?:[^()]|\([^()]{0,30}\)){0,200}?"
    r"(?:\)|(?=\.\s))")


# A sentence whose subject is the patients with a marker status, however far its verb
# ("HER2-positive patients, defined as IHC 3+ or ISH amplified, must have had trastuzumab"):
# a rule for that subgroup only, neither the status nor the rest required of every patient
# (when the verb follows the status at once, data/context.yaml `conditional.subgroup`).
# The status words that make a marker name a group of patients (both patterns below)
_GROUP_STATUS = r"positive|negative|mutated|mutant|amplified|wild[\s-]?type|rearranged"
_MARKER_GROUP = re.compile(
    r"(?i)\W{0,6}(?:(?:for|in)\s+)?(?:[\w()/+]+[\s-]+){0,8}?(?:" + _GROUP_STATUS + r"|"
    r"deficient|high)[\s-]+(?:patients|subjects|participants|"
    r"tumou?rs|disease|cases)\b\s*,(?:[^.;]|\.(?=\d)){0,200}?\b(?:must|should|need\s+to|"
    r"are\s+required\s+to|will\s+need\s+to)\b(?:[^.;]|\.(?=\d))*")


# ... or the subject "patients who have a <marker>-<status> tumour" and a modal right after
# it ("patients who have a known KRAS wild-type tumour should have had cetuximab"): the rule is
# for those patients
_MARKER_SUBJECT = re.compile(
    r"(?i)\b(?:patients|subjects|participants|those)\s+(?:(?:who|that)\s+(?:have|has|are)|with)\s+"
    r"(?:an?\s+)?(?:known\s+)?(?:[\w()/+-]+\s+){0,20}?(?:" + _GROUP_STATUS + r"|wt|mt)"
    r"(?:\s+(?:tumou?rs?|disease|cancers?))?\s+"
    r"(?:must|should|need\s+to|are\s+required\s+to|will)\b[^.;]*")


# A sentence labelled with a group of the patients ("For mantle cell: CD5+, cyclin D1+",
# "For women: ..."): a rule for that group only. Labels of the trial's parts (part, phase,
# cohort, arm) make cohorts elsewhere (sections.py).
_GROUP_LABEL_SENTENCE = re.compile(
    r"(?i)\W{0,6}for\s+(?!(?:all|both|each|every|any|inclusion|eligibility|entry|enrol\w*|"
    r"(?:this|the)\s+(?:study|trial))\b)"
    r"(?![^:：.;]{0,60}?\b(?:phase|part|cohort|arm|portion|stage|step|segment|study|sub-?study)"
    r"s?\b[^:：.;]{0,30}[:：])"
    r"(?:[\w()/+'-]+\s+){0,5}?[\w()/+'-]+\s*[:：](?=\s)")


# A list heading naming the group its items are for by a cancer or a marker ("Prostate cancer
# patients:", "HER2-positive subjects:"); not the whole trial ("All patients:")
_GROUP_NAMED_HEADING = re.compile(
    r"(?i)\W{0,6}(?!(?:all|both|each|every|any|eligible|the|these|such|other|criteria)\b)"
    r"(?=[^:：]*?(?:cancer|carcinoma|tumou?r|lymphoma|leuka?emia|myeloma|sarcoma|melanoma|glioma|"
    r"blastoma|mesothelioma|\bNSCLC|\bSCLC|CRPC|\bAML|\bCLL|\bMDS|positive|negative|mutant|"
    r"mutated|amplified)\w*\s+(?:patients|subjects|participants))"
    r"(?:[\w()/+'-]+\s+){1,4}?(?:patients|subjects|participants)\s*[:：]")


def _labelled_groups(ctx: Context) -> list[tuple[int, int]]:
    """The spans of the sentences of the criterion that open with a group label."""
    heading = ctx.heading.rstrip()
    if heading.endswith((":", "：")):
        last = ([0] + [c.end() for c in _CLAUSE_START.finditer(heading)])[-1]
        label = _GROUP_LABEL_SENTENCE.match(heading + " ", last)
        if label is not None and label.end() == len(heading) \
                or _GROUP_NAMED_HEADING.fullmatch(heading, last):
            return [(ctx.start, ctx.end)]  # an item of a list under "... For women:"
    return [(lo, hi) for lo, hi in _clauses(ctx)
            if _GROUP_LABEL_SENTENCE.match(ctx.text, lo, ctx.end)]


def units(ctx: Context) -> list[Unit]:
    """Every finding of one criterion, in text order."""
    ms = [m for m in ctx.ms if not ctx.skipped(m)]
    label = _LABEL.match(ctx.text, ctx.start, ctx.end)
    if label is not None:
        body = {_concept(m) for m in ms if m.start >= label.end()} - {None}
        ms = [m for m in ms if m.start >= label.end() or _concept(m) not in body]
    topic = _TOPIC.match(ctx.text, ctx.start, ctx.end)
    if topic is not None and _BACK_REFERENCE.search(ctx.text, topic.end(), ctx.end):
        ms = [m for m in ms if m.start >= topic.end() or m.label != "drug"]
    low = probe(ctx.text[ctx.start:ctx.end])
    groups: list[tuple[int, int, int, int]] = []
    rules = _group_rules(ctx, groups) + ([m.span() for m in _ACCRUAL.finditer(ctx.text, ctx.start, ctx.end)]
                                         if any(w in low for w in _ACCRUAL_NOUNS) else [])
    note = _TERMS_NOTE.search(ctx.text, ctx.start, ctx.end)
    if note is not None:
        rules.append((note.start(), ctx.end))
    rules += _labelled_groups(ctx)
    marker_group = _MARKER_GROUP.match(ctx.text, ctx.start, ctx.end) \
        if ctx.section == "inclusion" else None
    if marker_group is not None:
        rules.append(marker_group.span())
    if ctx.section == "inclusion":
        rules += [m.span() for m in _MARKER_SUBJECT.finditer(ctx.text, ctx.start, ctx.end)]
    if rules:
        implied = [u for span in groups if (u := _group_implication(ms, span, ctx)) is not None]
        ms = [m for m in ms if not any(a <= m.start < b for a, b in rules)]
    out = _units_of(ms, ctx, ctx.end) + (implied if rules else [])
    return _scored_status(sorted(out, key=lambda u: u.start), ctx)


def _units_of(ms: list[Mention], ctx: Context, limit: int) -> list[Unit]:
    """The units of some mentions of the criterion: their phrases' and their own."""
    out: list[Unit] = []
    phrases, orphans = build_phrases(ms, ctx.text)
    attach_orphans(phrases, orphans, ctx.text)
    if not phrases and orphans:
        phrases = implied_phrases(orphans)
        attach_orphans(phrases, orphans, ctx.text)  # "T315I or T315A": the gene T315I names
    for g in build_groups(phrases, ctx.cues, ctx.text, limit):
        unit = group_unit(g, ctx)
        if unit is not None:
            out.append(unit)
    for m in ms:
        unit = (_only_allowed(m, ctx) if "permission" in m.mods else None) or mention_unit(m, ctx)
        if unit is not None:
            out.append(unit)
    return out


def _group_implication(ms: list[Mention], span: tuple[int, int, int, int],
                       ctx: Context) -> Unit | None:
    """The rule of a sentence for the patients of some cancer types about their treatment
    ("Patients with KRAS wild-type colorectal cancer must have received cetuximab or
    panitumumab"): any(not(the group), the rule), so the other patients need nothing of it;
    None when the group or the rule is not read whole (the sentence is left for review)."""
    lo, a, b, hi = span
    # (read whole here: the "conditional" mark that keeps the group's words from being
    # everyone's requirement is what this reading resolves)
    named = [_unconditional(m) for m in ms if a <= m.start and m.end <= b]
    said = [_unconditional(m) for m in ms if b <= m.start and m.end <= hi]
    if not named or not said or any(m.label != "drug" for m in said) \
            or any(m.label == "cancer" and m.mods for m in named):
        return None
    group = [u.node for u in _units_of(named, ctx, b) if not u.permitted]
    # (what the group must have, read as a clause of its own: not again as the group's rule)
    own = Context(ctx.text, ctx.section, b, ctx.end, ctx.ms, ctx.inherited, ctx.heading)
    rule = sorted((u for u in _units_of(said, own, hi) if not u.permitted), key=lambda u: u.start)
    if not group or not rule or not all(_treatment_only(u.node) for u in rule) \
            or not all(isinstance(n, (Diagnosis, Alteration, Fusion, Signature, Measurement,
                                      Expression))
                       for x in group for n in walk(x) if not isinstance(n, (All, AnyOf, Not))):
        return None
    prov = ctx.prov(lo, hi, "findings.group_rule")
    whom = group[0] if len(group) == 1 else All(tuple(group), prov=prov)
    then = rule[0].node if len(rule) == 1 else _coordinated(rule, ctx, prov)
    if then is None:
        return None
    return Unit(AnyOf((Not(whom, prov=prov), then), prov=prov), lo, hi)


# between two treatments of a group's rule: "A or B", "A and/or B", "A/B"; "A and B", "A
# plus B"; a comma alone takes the list's last word ("A, B or C")
_GAP_KIND = (("or", re.compile(r"(?i)\s*,?\s*(?:(?:and\s*/\s*)?or|/)\s*")),
             ("and", re.compile(r"(?i)\s*,?\s*(?:and|plus|as\s+well\s+as)\s*")),
             ("comma", re.compile(r"\s*,\s*")))


def _coordinated(rule: list[Unit], ctx: Context, prov: Provenance) -> Node | None:
    """The treatments of a group's rule, combined as the words between them say (any for
    "or", all for "and"); None for a mix or other words between them (not read)."""
    kinds = set()
    for u, v in zip(rule, rule[1:]):
        gap = ctx.text[u.end:v.start]
        kind = next((k for k, rx in _GAP_KIND if rx.fullmatch(gap)), None)
        if kind is None:
            return None
        kinds.add(kind)
    kinds.discard("comma")
    if len(kinds) > 1:
        return None
    nodes = tuple(u.node for u in rule)
    return AnyOf(nodes, prov=prov) if kinds == {"or"} else All(nodes, prov=prov)


def _unconditional(m: Mention) -> Mention:
    return replace(m, mods=m.mods - {"conditional"}) if "conditional" in m.mods else m


def _treatment_only(node: Node) -> bool:
    return all(isinstance(n, (PriorTherapy, All, AnyOf, Not)) for n in walk(node))


# "2+ to 3+ overexpression of HER2": the staining scores say what the overexpression is
_SCORE_OF = re.compile(r"(?i)\s*(?:\(?\s*(?:by\s+)?IHC\s*\)?\s*)?(?:over-?expression|expression|staining)\s+"
                       r"(?:of\s+)?(?:the\s+)?\Z")


def _scored_status(out: list[Unit], ctx: Context) -> list[Unit]:
    """The units without a HER2 status that the IHC scores written right before it define
    ("2+ to 3+ overexpression of HER2" asks for those scores, not for HER2 positivity)."""
    drop = set()
    for k, u in enumerate(out):
        if not (isinstance(u.node, Measurement) and u.node.marker == "her2" and k):
            continue
        before = out[k - 1]
        scores = before.node.items if isinstance(before.node, AnyOf) else (before.node,)
        if all(isinstance(n, Measurement) and n.marker == "her2_ihc" for n in scores) \
                and before.end <= u.start and _SCORE_OF.search(ctx.text, before.end, u.start):
            drop.add(k)
    return [u for k, u in enumerate(out) if k not in drop] if drop else out


# ----------------------------------------------------------------------------- groups

_STATUS = ("positive", "negative", "low", "expression", "overexpression")


def group_kind(g: Group, ctx: Context) -> tuple[str | None, str]:
    """The kind of finding a group names and where that was read ("own", "left", ...)."""
    own = g.phrases[-1].cue
    if own and own[0].startswith("__"):
        return None, "context"
    if own:
        return combine([*own, *_status_before(g, ctx, own)]), "own"
    values, origin = left_cue(g, ctx.cues, ctx.text, ctx.start)
    g.origin = origin
    if values:
        return combine(values), "left"
    if _NEGATIVE_FOR.search(ctx.text, max(ctx.start, g.start - 20), g.start) and not any(
            p.variants or p.exon is not None for p in g.phrases):
        return "negative", "negative-for"  # "negative for HER2": the marker's status
    if any(p.variants or p.excepted or p.ihc or p.measure for p in g.phrases):
        return "mutation", "variant"
    if all(p.partner for p in g.phrases):
        return "fusion", "pair"  # "BCR-ABL1", "PML::RARA": a gene pair names its fusion
    if (origin or any(p.origin for p in g.phrases)) and not _NOT_A_FINDING.match(
            ctx.text, g.end, min(ctx.end, g.end + 40)):
        return "mutation", "origin"  # "gBRCA1/2", "germline BRCA": an inherited variant
    if ctx.inherited:
        return combine(ctx.inherited), "inherited"
    therapy = any(c.data["role"] == "therapy" and c.start < g.start
                  for c in ctx.cues.between(g.start - 150, g.start))
    if not therapy and (len(g.phrases) >= 3
                        or list_intro(ctx.text[max(ctx.start, g.start - 60):g.start])) \
            and not _NOT_A_FINDING.match(ctx.text, _past_abbreviation(ctx.text, g.end),
                                         ctx.end):
        return "any", "list"  # "HRR genes: ATM, BARD1, BRIP1, ..." (not "such as X status")
    return None, "none"


def _status_before(g: Group, ctx: Context, own: list[str]) -> list[str]:
    """The result word right before a marker whose own cue names the finding ("negative ALK
    rearrangement"), as a cue value; else nothing."""
    if own[0] in ("positive", "negative", "low"):
        return []
    lo = max(ctx.start, g.start - 40)
    # (at the start of the criterion the window is cut there, so that its start counts)
    before = _STATUS_BEFORE.search(ctx.text[lo:g.start]) if lo == ctx.start \
        else _STATUS_BEFORE.search(ctx.text, lo, g.start)
    return [before.group("word").lower()] if before is not None else []


def combine(values: list[str]) -> str:
    """One kind from a cue chain: "mutation negative" is wild-type, "fusion positive" fusion."""
    first = values[0]
    if first in ("positive", "negative", "low") or len(values) == 1:
        return first
    second = values[1]
    if second == "negative" and first in ("mutation", "any"):
        return "wildtype"
    if second == "negative":
        return "negative"
    if first in ("expression", "overexpression") and second in ("positive", "low"):
        return second
    return first


_NO_CONSTRAINT = frozenset({"exception", "permission", "conditional"})
_NOT_REQUIRED = {  # context categories (data/context.yaml) under which a mention is no criterion
    "gene": _NO_CONSTRAINT | {"test", "setting", "benign"},
    "signature": _NO_CONSTRAINT | {"test"},
    "rearrangement": _NO_CONSTRAINT | {"test"},
    "measure": _NO_CONSTRAINT | {"test"},
    "cancer": _NO_CONSTRAINT | {"history", "setting"},
    "drug": _NO_CONSTRAINT | {"prospective", "alternative"},
    "age": frozenset({"conditional"}),
    "sex": frozenset({"conditional", "setting"}),
}


def inert(m: Mention) -> bool:
    """Whether context makes the mention add no constraint (an exception, a permission,
    a test, another disease than the one under study, a drug not given before)."""
    mods = m.mods - {"test"} if "stated" in m.mods else m.mods  # "positive X ... result"
    if "excluded" in mods:  # "X may have been given (all other Y are excluded)": Y is excluded
        mods = mods - {"permission"}
    return bool(mods) and not mods.isdisjoint(_NOT_REQUIRED.get(m.label, _NO_CONSTRAINT))


# "tested for KRAS mutation, which must be confirmed to be wild type": the result a test
# must give, stated after it in the same clause with no gene of its own
_RESULT_AFTER_TEST = re.compile(
    r"(?i)[^;.]{0,80}?\b(?:to\s+(?:be|carry|have|show|harbou?r)|is|are|be|was|were)\s+"
    r"(?:an?\s+|the\s+)?(?P<word>wild[\s-]*types?|negative|non-?mutated|not\s+mutated)\b")


def _result_after_test(g: Group, ctx: Context) -> str | None:
    """"wildtype" or "negative" when the group's genes are only tested and the clause then
    states that the result must be wild-type or negative."""
    if not all(p.gene.mods == {"test"} for p in g.phrases):
        return None
    m = _RESULT_AFTER_TEST.match(ctx.text, g.end, ctx.end)
    if m is None or any(x.label == "gene" and g.end <= x.start < m.end() for x in ctx.ms):
        return None
    return "wildtype" if m.group("word").lower().startswith("wild") else "negative"


# "... as well as anti-EGFR therapy for RAS wild-type patients": the genes name the group a
# rule is for (with the status and a population noun after them), not a requirement
_FOR_BEFORE = re.compile(r"(?i)\bfor\s+(?:the\s+|those\s+)?(?:[\w-]+\s+){0,5}\(?\Z")
_GROUP_AFTER = re.compile(r"(?i)[\s)\]-]*(?:(?:wild[\s-]?type|mutant|mutated|positive|negative|"
                          r"amplified|rearranged|altered|fusion|expressing)[\s-]+)?"
                          r"(?:patients|subjects|participants|cases)\b")


def _names_group(g: Group, ctx: Context) -> bool:
    return bool(_FOR_BEFORE.search(ctx.text, max(ctx.start, g.start - 60), g.start)
                and _GROUP_AFTER.match(ctx.text, g.end, ctx.end))


# A word of loss right before a gene whose expression is read ("loss of PTEN expression",
# "tumours lacking MTAP expression"): the protein is not expressed
_LOSS_BEFORE = re.compile(r"(?i)\b(?:loss|lack|lacks|lacking|lost|absence|absent|deficient|"
                          r"deficiency)\b(?:\s+of)?(?:\s+(?:the|any))?\s*$")


# Between a gene's positive status and the words that define it: "HER2-positive breast
# cancer, defined as IHC 3+ or ...", "HER2 positive disease: IHC 3+ or ...", "HER2
# overexpressing cancer, defined as ..."
_STATUS_DEFINED = re.compile(r"(?i)\A[\s-]*(?:positive|positivity|\+|over-?express\w*)[^;.]{0,120}?(?:\bdefined\s+(?:as|by)|"
                             r"\bas\s+defined\s+by|\bi\.e\.|:|\((?=\s*(?:IHC|FISH|ISH|[0-3]\s?\+|"
                             r"immunohisto|overexpress)))[^;.]{0,140}\Z")


def _defines_status(g: Group, ctx: Context) -> bool:
    """Whether the group restates, as part of a definition, the positive status of the same
    gene named just before it: the status is read there, the definition adds nothing."""
    words = {ctx.text[p.gene.start:p.gene.end].lower() for p in g.phrases}
    return any(x.label == "gene" and x.end < g.start and g.start - x.end <= 260
               and ctx.text[x.start:x.end].lower() in words
               and _STATUS_DEFINED.match(ctx.text[x.end:g.start]) for x in ctx.ms)


# Tissue typing between a patient and a donor or a cell line ("HLA-matched sibling donor",
# "mismatched at HLA-DR with the stimulator cells"): the HLA genes name the typing
_TISSUE_MATCH = re.compile(r"(?i)\b(?:mis)?match(?:ed|es|ing)?\b|\btyp(?:ed|ing)\b|\bdonors?\b|"
                           r"\bhaplo|\bidentical\b|\bstimulator|\bsibling|\bunrelated\b|\bcord\s+blood")


def group_unit(g: Group, ctx: Context) -> Unit | None:
    carved = all(p.gene.mods == {"exception"} for p in g.phrases) and _excepted_from_cancer(
        g.start, ctx)
    if not carved and any(inert(p.gene) for p in g.phrases):  # a group shares its context
        stated = _result_after_test(g, ctx)
        if stated is None:
            return None
        leaves = [n for p in g.phrases if (n := phrase_node(p, stated, None, ctx)) is not None]
        if not leaves:
            return None
        result = leaves[0] if len(leaves) == 1 else All(
            tuple(leaves), prov=ctx.prov(g.start, g.end, "assemble.and"))
        return Unit(result, g.start, g.end)
    if _DRUG_TARGET.search(ctx.text, max(ctx.start, g.start - 60), g.start):
        return None  # "TKIs that can inhibit EGFR with T790M": what a drug acts on
    genes = [gene for p in g.phrases for gene in p.gene.data.get("genes", ())]
    if genes and all(gene.startswith("HLA-") for gene in genes) \
            and _TISSUE_MATCH.search(ctx.text, ctx.start, ctx.end):
        return None  # "mismatched with the donor at HLA-A, -B or -C": tissue typing, no marker
    if _defines_status(g, ctx):
        return None  # "HER2-positive, defined as IHC 3+ or HER2 amplification": the status
    if _names_group(g, ctx):
        return None
    kind, how = group_kind(g, ctx)
    if kind is None:
        return None
    if kind == "expression" and _LOSS_BEFORE.search(ctx.text, max(ctx.start, g.start - 30),
                                                    g.start):
        kind = "expression_loss"  # "loss of PTEN expression", "lacks MTAP expression"
    if any(p.gene.data.get("ambiguous") for p in g.phrases) and not (
            how == "own" and kind in _STATUS):
        g.phrases = [p for p in g.phrases if not p.gene.data.get("ambiguous")]
        if not g.phrases:
            return None
    if _nonbio(g, ctx):
        return None
    origin = origin_near(g, ctx.cues, ctx.text) or g.origin
    alternatives = g.phrases[-1].alt_kinds if how == "own" else g.left_kinds if how == "left" \
        else []
    kinds = list(dict.fromkeys([kind, *alternatives]))  # "mutation or amplification of KIT"
    leaves = []
    read: set[tuple] = set()  # phrases already read: the same words give the same leaf
    for p in g.phrases:
        for k in kinds:
            key = _reading(p, k, origin or p.origin)
            if key is not None:
                if key in read:
                    continue  # an equal node (or none): it would not be added
                read.add(key)
            node = phrase_node(p, k, origin or p.origin, ctx)
            if node is not None and node not in leaves:
                leaves.append(node)
    if not leaves:
        return None
    if len(leaves) == 1:
        node = leaves[0]
    elif len(kinds) > 1:
        node = AnyOf(tuple(leaves), prov=ctx.prov(g.start, g.end, "assemble.or"))
    elif kind in ("wildtype", "negative") or (g.conj == "and" and kind == "positive"):
        node = All(tuple(leaves), prov=ctx.prov(g.start, g.end, "assemble.and"))
    else:
        node = AnyOf(tuple(leaves), prov=ctx.prov(g.start, g.end, "assemble.or"))
    negated, excepted = negation(g.start, g.end, ctx.cues, ctx.text, ctx.start, ctx.end,
                                 ctx.section, ctx.ms)
    if kind == "expression_loss":
        negated = False  # (the word of loss is the reading itself, no further negation)
    if carved:  # "AML, excluding core-binding factor [inv(16), t(8;21)]": cases left out
        excepted, negated = False, True
    if how == "negative-for":  # the status words, not a negation of the finding
        negated = bool(_NO_PRIOR.search(ctx.text, max(ctx.start, g.start - 40),
                                        max(ctx.start, g.start - 20)))
    node = _context(node, negated, excepted, ctx, g.start, g.end)
    start = g.left_start if g.left_start is not None and len(kinds) > 1 else g.start
    return Unit(node, start, g.end) if node is not None else None


def _reading(p: Phrase, kind: str, origin: str | None) -> tuple | None:
    """Everything of a phrase that `phrase_node` reads besides offsets and provenance: two
    phrases with the same reading give equal nodes ("EGFR, EGFR or EGFR" reads EGFR once).
    None when the node also depends on the text after the phrase or on a measure."""
    if p.measure is not None or p.ihc or kind == "positive":
        return None
    return (kind, origin, p.genes, p.partner, tuple(p.variants), p.exon, tuple(p.more_exons),
            tuple(p.excepted), p.compound, p.examples)


def _excepted_from_cancer(start: int, ctx: Context, subtype: bool = False,
                          reached: bool = False) -> bool:
    """Whether the exception cue before a finding follows a cancer type right away ("AML,
    excluding ..."): what it names is left out of the cancer type the criterion requires
    (in an inclusion criterion; "any KRAS change except G13D" stays a carve-out), or, for a
    `subtype` of that type, the one it rules out ("a blood cancer other than myeloma").
    A finding the cue's scope `reached` may lie further on, past other exceptions ("AML,
    excluding APL or favourable cytogenetics [inv(16), t(8;21)]")."""
    if ctx.section == "exclusion" and not subtype:
        return False
    for c in ctx.cues.between(max(ctx.start, start - (240 if reached else 70)), start):
        if c.data["role"] != "exception" or not (
                reached or _EXCEPT_GAP.fullmatch(ctx.text, c.end, start)):
            continue
        if subtype and reached and ctx.section == "inclusion" and _EXCLUDING_WORD.fullmatch(
                ctx.text, c.start, c.end):  # ("AML, unfit for X, excluding subjects with APL")
            return True
        return any(m.label == "cancer" and m.end <= c.start and
                   _CANCER_THEN_EXCEPT.fullmatch(ctx.text, m.end, c.start) for m in ctx.ms)
    # "an advanced solid tumour (not prostate cancer)": a bracket that opens with the exception
    return any(m.label == "cancer" and m.end <= start and (bracket := BRACKET_EXCEPT.match(
        ctx.text, m.end, start)) is not None and _EXCEPT_GAP.fullmatch(ctx.text, bracket.end(), start)
        for m in ctx.ms)


# the exception words that leave a kind out of a type however far they follow it (not
# "unless": "... unless the patient has inflammatory breast cancer, in which case ...")
_EXCLUDING_WORD = re.compile(r"(?i)excluding|except(?:\s+for)?|excepting|other\s+than|"
                             r"with\s+the\s+exception\s+of|but\s+not")
# (across a wrapped line, and past the kinds of the type the exception picks from: "AML of
# any FAB class other than M3", "sarcoma, any histologic subtype except ...", "AML (by WHO
# criteria), with a FAB classification other than M3", and past a bracketed definition of
# the type)
_CANCER_THEN_EXCEPT = re.compile(r"(?i)[,;(]{0,2}\s*[,;(]{0,2}\s*(?:\([^()]{0,160}\)[\s,;]{0,4})?"
                                 r"(?:(?:(?:of|with)\s+(?:(?:any|all|every|a|an|the)\s+)?|"
                                 r"(?:any|all|every)\s+)(?:[a-z-]+\s+){0,4}?(?:types?|subtypes?|"
                                 r"classifications?|class|histolog(?:y|ies)|grades?)[\s,;(]{0,3})?")
BRACKET_EXCEPT = re.compile(r"(?i)\s{0,2}[(\[]\s*(?:not|excluding|excluded|except(?:\s+for)?|"
                             r"other\s+than|but\s+not)\b")
_EXCEPT_GAP = re.compile(r"(?i)[\s:,(\[]*(?:[a-z0-9\-]+\s+){0,3}[\s:,(\[]*")


def _subtype_of_named(m: Mention, ctx: Context) -> bool:
    """Whether a cancer type is a subtype of a type named before it in the criterion."""
    above = m.data.get("above", ())
    return any(o.label == "cancer" and o.end <= m.start and "exception" not in o.mods
               and o.data["code"] in above for o in ctx.ms)


def _nonbio(g: Group, ctx: Context) -> bool:
    """Whether the group's genes name no tumour finding: a word after it says so ("CD4
    count"), or every gene is an inherited drug-metabolism trait (data/genes.yaml `traits`:
    "known DPD deficiency"), tested as enzyme activity or genotype, never on a tumour panel."""
    if all(gene in _traits() for p in g.phrases for gene in p.genes):
        return True
    last = g.phrases[-1]
    after = ctx.cues.between(last.end, (last.cue_end or last.end) + 12)
    return any(c.data["role"] == "nonbio" for c in after)


@lru_cache(maxsize=1)
def _traits() -> frozenset[str]:
    return frozenset(gene_data().traits)


def _context(node: Node, negated: bool, excepted: bool, ctx: Context, start: int,
             end: int) -> Node | None:
    """The finding under its context: an exception is no criterion ("other than X" neither
    requires nor excludes X), a negation a `not`."""
    if excepted:
        return None
    if negated:
        return Not(node, prov=ctx.prov(start, end, "context.negation"))
    return node


def phrase_node(p: Phrase, kind: str, origin: str | None, ctx: Context) -> Node | None:
    """The node for one gene phrase read with one kind of finding."""
    prov = ctx.prov(p.start, p.cue_end or p.end, p.gene.source)
    if p.measure is not None:
        return Measurement(p.measure.data["marker"], p.measure.data["op"], p.measure.data["value"],
                           prov=ctx.prov(p.start, p.end, p.measure.source))
    if p.ihc:
        return _ihc_node(p, ctx)
    own_change = bool(p.variants) or p.exon is not None  # "EGFR exon 19 deletion, ALK fusion"
    if p.partner and p.variants and kind not in ("negative", "wildtype"):
        # "BCR-ABL1 T315I": the fusion and a change in its kinase part
        fused = _one([Fusion(g, p.partner, prov=prov) for g in p.genes], ctx, p)
        changed = _one([Alteration(g, "mutation", v, None, origin, prov=prov)
                        for g in p.genes for v in p.variants], ctx, p)
        if fused is not None and changed is not None:
            return All((fused, changed), prov=prov)
    if p.partner or (kind == "fusion" and not own_change):
        nodes: list[Node] = [Fusion(g, p.partner, prov=prov) for g in p.genes]
        return _stated_absent(_one(nodes, ctx, p), kind, prov)
    if p.variants or (p.exon is not None and kind in ("mutation", "any", "fusion")):
        nodes = [Alteration(g, "mutation", v, p.exon if v is None or not v.startswith("exon")
                            else _event_exon(v), origin, prov=prov)
                 for g in p.genes for v in (p.variants or (None,))]
        if p.more_exons and not p.variants:  # "KIT exon 11 or exon 9 mutation"
            nodes += [Alteration(g, "mutation", None, e, origin, prov=prov)
                      for g in p.genes for e in p.more_exons]
        if p.examples and kind in ("mutation", "any"):
            # "an EGFR mutation (e.g. L858R)": the gene's finding, the variants named in it
            # (a "sensitising EGFR mutation (e.g. ...)" stays the sensitising group)
            sensitizing = _SENSITIZING_BEFORE.search(ctx.text, max(ctx.start, p.start - 30),
                                                     p.start) is not None
            nodes = [n for g in p.genes
                     if (n := gene_node(g, kind, origin, prov, sensitizing)) is not None] + nodes
        return _stated_absent(_carve_out(_one(nodes, ctx, p), p, ctx, prov), kind, prov)
    end = p.cue_end or p.end
    if kind == "positive" and _PROTEIN_OR_COPY_TEST.match(ctx.text, end, min(ctx.end, end + 240)):
        # "MET positive (IHC 3+, or IHC 2+ and gene copy number >= 5 by FISH)": positive by a
        # protein or copy-number test, not a mutation: any alteration of the gene, or the
        # protein expressed
        data = gene_data()
        nodes = [AnyOf((Alteration(g, "any", prov=prov), Expression(g, "positive", prov=prov)),
                       prov=prov) for g in p.genes
                 if g not in data.status and not data.is_expression_marker(g)]
        if nodes:
            return _one(nodes, ctx, p)
    # ("a sensitising EGFR mutation": the word before the gene names the group too)
    before = _SENSITIZING_BEFORE.search(ctx.text, max(ctx.start, p.start - 30), p.start)
    nodes = [n for g in p.genes
             if (n := gene_node(g, kind, origin, prov, before is not None)) is not None]
    if len(nodes) > 1 and kind in ("wildtype", "negative"):
        # "IDH wild-type", "ER/PR negative": every gene of the phrase is stated absent
        return All(tuple(nodes), prov=prov)
    node = _one(nodes, ctx, p)
    if node is None or kind not in ("mutation", "any"):
        return node
    return _carve_out(node, p, ctx, prov)


# A protein or copy-number test right after "GENE positive": a definition in brackets, or
# "by / on / per / using" the test ("MET-positive by immunohistochemistry").
_PROTEIN_OR_COPY_TEST = re.compile(r"(?i)\s*(?:[(\[][^()\[\]]{0,200}?|(?:by|on|per|using|with)\s+"
                                   r"(?:an?\s+|the\s+)?)\b(?:IHC|immunohistochem\w*|"
                                   r"FISH|ISH|copy\s+numbers?|overexpress\w*)")


def _stated_absent(node: Node | None, kind: str, prov: Provenance) -> Node | None:
    """"BRAF V600 wild-type", "EML4-ALK negative": the finding, stated absent. A `not` that
    keeps the trial's word (`stated`), so the biomarker list shows it with the polarity of
    the criterion."""
    if node is None or kind not in ("wildtype", "negative"):
        return node
    return Not(node, stated=kind, prov=prov)


def _carve_out(node: Node | None, p: Phrase, ctx: Context, prov: Provenance) -> Node | None:
    """"NRAS mutation (except G12A/C)": the finding, and not the excepted variants."""
    if node is None or not p.excepted:
        return node
    cut: list[Node] = [Alteration(g, "mutation", v, prov=prov) for g in p.genes
                       for v in p.excepted]
    excluded = _one(cut, ctx, p)
    if excluded is None:  # no gene to carve out of (never: `node` has one)
        return node
    return All((node, Not(excluded, stated="except",
                          prov=ctx.prov(p.start, p.end, "context.exception"))), prov=prov)


def _event_exon(v: str) -> int | None:
    m = re.match(r"exon(\d+)", v)
    return int(m.group(1)) if m else None


def _one(nodes: list[Node], ctx: Context, p: Phrase) -> Node | None:
    if not nodes:
        return None
    if len(nodes) > 1 and p.compound:
        return All(tuple(nodes), prov=ctx.prov(p.start, p.cue_end or p.end, "assemble.compound"))
    return nodes[0] if len(nodes) == 1 else AnyOf(tuple(nodes), prov=ctx.prov(
        p.start, p.cue_end or p.end, "assemble.or"))


# "HER2 3+ by IHC or amplified by FISH", "... or a positive ratio (> 2.0) by in situ
# hybridisation": the gene's amplification, the other way to be HER2-positive
_ISH_OR = re.compile(
    r"(?i)\s*(?:\([^()]{0,30}\)\s*)?,?\s*(?:and/)?or\s+(?:an?\s+|the\s+)?(?:(?:positive|amplified)"
    r"(?:\s+(?:score|ratio|result|test))?\s*(?:\([^()]{0,20}\)\s*)?(?:by|on|with)\s+|"
    r"(?:gene\s+)?amplification\s+(?:by|on|with)\s+|(?=(?:FISH|CISH|SISH|ISH)[- ]?(?:positive|"
    r"amplified|\+))|"
    # ("... or in situ hybridisation (ISH) +": the test written out, then its result)
    r"(?=(?:(?:fluorescen(?:t|ce)|chromogenic|silver)\s*)?in[- ]situ\s+hybridi[sz]ation\s*"
    r"(?:\([A-Z]{2,5}\)\s*)?[- ]?(?:positive|amplified|\+)))(?:FISH|CISH|SISH|ISH|"
    r"(?:fluorescen(?:t|ce)|chromogenic|silver)?\s*in[- ]situ\s+hybridi[sz]ation)")


def _ihc_node(p: Phrase, ctx: Context) -> Node:
    prov = ctx.prov(p.start, p.end, "meas.her2_ihc")
    values = sorted(set(p.ihc))
    nodes: list[Node] = [Measurement("her2_ihc", ">=", values[0], prov=prov)] if p.ihc_greater \
        else [Measurement("her2_ihc", "=", v, prov=prov) for v in values]
    ish = _ISH_OR.match(ctx.text, p.end, ctx.end)
    if ish is not None and "ERBB2" in p.genes:
        nodes.append(Alteration("ERBB2", "amplification", prov=ctx.prov(
            p.start, ish.end(), "meas.her2_ihc")))
    return nodes[0] if len(nodes) == 1 else AnyOf(tuple(nodes), prov=prov)


def gene_node(gene: str, kind: str, origin: str | None, prov: Provenance,
              sensitizing: bool = False) -> Node | None:
    """One gene read with one kind, through its status meanings in data/genes.yaml
    (`sensitizing`: the words before the gene call the mutation sensitising)."""
    data = gene_data()
    status = data.status.get(gene, {})
    if kind == "expression_loss":
        return Expression(gene, "negative", prov=prov)
    if kind == "overexpression":
        kind = "positive" if "positive" in status else "expression"
    if kind in status:
        rule = status[kind]
        if rule.get("fusion"):
            node = Fusion(gene, prov=prov)
            if kind == "positive" and rule.get("mutation"):
                # ("RET-positive": a rearrangement in lung cancer, an activating mutation in
                # medullary thyroid cancer; either is the gene's positive status)
                return AnyOf((node, Alteration(gene, "mutation", origin=origin, prov=prov)),
                             prov=prov)
            return Not(node, stated="negative", prov=prov) if kind == "negative" else node
        return Measurement(rule["measurement"], rule["op"], rule["value"], prov=prov)
    if kind in ("expression", "low") or (kind in ("positive", "negative")
                                        and data.is_expression_marker(gene)):
        level = {"expression": "positive"}.get(kind, kind)
        return Expression(gene, level, prov=prov)
    if kind == "positive":
        kind = "mutation"
    if kind == "negative":
        kind = "wildtype"
    if kind == "fusion":
        return Fusion(gene, prov=prov)
    if kind == "mutation" and (sensitizing or prov.text and _SENSITIZING.search(prov.text)) \
            and (gene, "sensitizing") in _ontology().groups:
        # "EGFR-sensitising mutation": the TKI-sensitising variants (the ontology's group), not
        # every mutation of the gene (an exon 20 insertion is none of them)
        return Alteration(gene, "mutation", "sensitizing", origin=origin, prov=prov)
    if kind in ("mutation", "any", "amplification", "deletion", "wildtype"):
        return Alteration(gene, kind, origin=origin if kind in ("mutation", "any", "deletion")
                          else None, prov=prov)
    return None


_SENSITIZING = re.compile(r"(?i)\bsensiti[sz]ing\b")
# (not "activating EGFR mutation", which takes the exon 20 insertions too)
_SENSITIZING_BEFORE = re.compile(r"(?i)\b(?:TKI-)?sensiti[sz]ing\s+(?:\w+\s+)?\Z")


# ----------------------------------------------------------------------------- others

_STANDALONE_BIOMARKERS = frozenset({"signature", "measure", "tmb", "philadelphia", "rearrangement",
                                    "triple_negative"})


# "melanoma or other solid tumours", "colorectal cancer or another gastrointestinal cancer",
# "multiple myeloma (MM) or other plasma cell disorders", "RCC or other advanced refractory
# histologically or cytologically confirmed solid tumours" (a few words of state between)
_OR_OTHER_BEFORE = re.compile(r"(?i)[\s,]*(?:\([^()]{0,30}\)[\s,]*)?(?:or|and/or)\s+(?:any\s+|an\s+)?(?:other|another)\s+"
                              r"(?:[\w-]+\s+){0,6}\Z")


_OTHER_ITEM = re.compile(r"(?i)\W{0,6}(?:any\s+)?other\s+(?:[\w-]+\s+){0,3}")


def _or_other_type(m: Mention, ctx: Context) -> bool:
    """Whether an inclusion criterion names a cancer type "or other" types ("colorectal
    cancer or other gastrointestinal cancers"): the other types are one more way in, not a
    cancer of the patient's past (which "other" says in an exclusion)."""
    if ctx.section != "inclusion" or m.mods != {"history"}:
        return False
    if ctx.heading.rstrip().endswith((":", "：")) and _OTHER_ITEM.fullmatch(ctx.text, ctx.start,
                                                                          m.start):
        # "- Other relapsed lymphoproliferative diseases" under "one of the following
        # cancers:": the list's last way in, after the types its items named
        return True
    return any(x.label == "cancer" and not x.mods and x.end <= m.start
               and _OR_OTHER_BEFORE.fullmatch(ctx.text, x.end, m.start) for x in ctx.ms)


# "Patients with a (documented) history of PTCL or CTCL ...", "History of completely resected
# colon adenocarcinoma": an inclusion criterion that opens with the history names the
# patient's disease, unless a word makes it another cancer or the criterion only allows it
_HISTORY_OPENS = re.compile(
    r"(?i)\W{0,6}(?:(?:patients|subjects|participants|women|men)\s+(?:with|who\s+have)\s+)?"
    r"(?:an?\s+)?(?:(?:documented|confirmed|histologically|cytologically|pathologically|"
    r"biopsy[- ]proven|proven|prior)\s+)*history\s+of\s+(?:(?!(?:other|another|second|"
    r"secondary|prior|previous|additional|concurrent|new|any)\b)[\w/()-]+\s+){0,4}\Z")
_ONLY_ALLOWED = re.compile(r"(?i)\b(?:allowed|permitted|acceptable|eligible|may|can)\b")


# "AML in complete remission", "ALL in remission or relapse" opening an inclusion criterion:
# the disease under study in one of its states, not a cancer of the past
_REMISSION_AFTER = re.compile(r"(?i)(?:\s*\([^()]{1,15}\))?\s+in\s+(?:(?:a|first|second|third|1st|2nd|3rd|complete|"
                              r"partial|morphologic|hematologic|haematologic|continued)\s+)*"
                              r"(?:remission|CR)\b")
_DISEASE_OPENS = re.compile(r"(?i)\W{0,6}(?:(?!(?:other|another|second|prior|previous|history|"
                            r"any|no|not|without)\b)[\w/()-]+\s+){0,5}\Z")


def _history_is_diagnosis(m: Mention, ctx: Context) -> bool:
    """Whether an inclusion criterion's "history of <cancer>" names the disease under study
    ("Patients with a history of PTCL or CTCL, relapsed after ..."), not an earlier cancer;
    so does a cancer in remission that opens it ("AML in first complete remission")."""
    return ctx.section == "inclusion" and m.mods == {"history"} and m.label == "cancer" and (
        _HISTORY_OPENS.match(ctx.text, ctx.start, m.start) is not None
        or _REMISSION_AFTER.match(ctx.text, m.end, ctx.end) is not None
        and _DISEASE_OPENS.match(ctx.text, ctx.start, m.start) is not None) and \
        not _ONLY_ALLOWED.search(ctx.text, ctx.start, ctx.end)


# A criterion that opens by naming what it allows ("Allowed prior treatments for localised
# disease: ...", "Other permitted earlier therapy: ..."): its treatments add no constraint
_ALLOWED_LABEL = re.compile(r"(?i)\W{0,6}(?:other\s+)?(?:allowed|permitted|acceptable|allowable)\s+"
                            r"(?:prior|previous|earlier)\s+(?:treatments?|therap(?:y|ies))\b")


def _maker(m: Mention, ctx: Context):
    """The function that makes a mention's leaf; None for a treatment an "Allowed prior
    treatments: a) up to 3 years of X; b) any Y" criterion only permits."""
    if m.label == "drug" and ctx.section == "inclusion" \
            and _ALLOWED_LABEL.match(ctx.text, ctx.start, ctx.end):
        return None
    return _MAKERS.get(m.label)


# "only pretreatment with X and/or Y is allowed", "X is the only prior therapy permitted": a
# permission that names the only treatments a patient may have had, so any other one rules
# the patient out (the drugs named are those of group "named")
_ONLY_TREATMENTS_ALLOWED = re.compile(
    r"(?i)\bonly\s+(?:(?:prior|previous|earlier)\s+)?(?:pre-?treatments?|treatments?|therap(?:y|ies)|"
    r"(?:prior|previous|earlier)\s+(?=\w))\s*(?:with\s+)?(?P<named>[^.;:]{3,80}?)\s+(?:is|are)\s+"
    r"(?:allowed|permitted|acceptable)\b"
    r"|(?P<named2>[^.;:]{3,80}?)\s+(?:is|are)\s+the\s+only\s+(?:(?:prior|previous|earlier)\s+)?"
    r"(?:treatments?|therap(?:y|ies)|agents?|drugs?)\s+(?:(?:that\s+is|that\s+are|to\s+be)\s+)?"
    r"(?:allowed|permitted|acceptable)\b")


def _only_allowed(m: Mention, ctx: Context) -> Unit | None:
    """The rule of a permission that names the only treatments allowed
    (_ONLY_TREATMENTS_ALLOWED), read at the first drug it names: no other anticancer
    treatment (the other drugs it names are used up); None for any other mention."""
    if m.label != "drug" or "permission" not in m.mods or m.used:
        return None
    floor = max(ctx.start, m.start - 120)
    if "only" not in probe(ctx.text[floor:min(ctx.end, m.end + 120)]):
        return None  # (the word both readings need, looked for first)
    for found in _ONLY_TREATMENTS_ALLOWED.finditer(ctx.text, floor, min(ctx.end, m.end + 120)):
        a, b = found.span("named") if found.group("named") else found.span("named2")
        if not a <= m.start < b:
            continue
        drugs = [x for x in ctx.ms if x.label == "drug" and a <= x.start and x.end <= b
                 and "state" not in x.data]
        if not drugs or drugs[0] is not m:
            return None
        for x in drugs:
            x.used = True
        node: Node = PriorTherapy("anticancer_therapy",
                                  tuple(dict.fromkeys(x.data["concept"] for x in drugs)),
                                  prov=ctx.prov(found.start(), found.end(), "context.only_allowed"))
        if ctx.section != "exclusion":
            node = Not(node, prov=node.prov)
        return Unit(node, m.start, drugs[-1].end)
    return None


def mention_unit(m: Mention, ctx: Context) -> Unit | None:
    """Leaves that stand alone: signatures, measurements, Ph, TNBC, ECOG, age, drugs, cancers."""
    maker = _maker(m, ctx)
    # "... are also included" (a cancer type), "(X counts as one regimen)" (a treatment): one
    # more way to meet the criterion's requirement, not a requirement of its own
    permitted = (m.label == "cancer" and m.mods == {"permission"}) or (
        m.label == "drug" and m.mods == {"alternative"})
    subtype = m.label == "cancer" and _subtype_of_named(m, ctx)
    carved = (m.label in _STANDALONE_BIOMARKERS or subtype) and m.mods == {"exception"} \
        and _excepted_from_cancer(m.start, ctx, subtype, reached=subtype and ctx.section == "inclusion")
    if maker is None or m.used or (inert(m) and not permitted and not carved
                                   and not _or_other_type(m, ctx)
                                   and not _history_is_diagnosis(m, ctx)):
        return None
    node = maker(m, ctx)
    if node is None:
        return None
    if permitted:
        return Unit(node, m.start, m.end, permitted=True)
    if carved and m.label == "cancer":  # "AML (except APL)": the subtype is left out
        return Unit(Not(node, prov=node.prov), m.start, m.end)
    if m.label in _STANDALONE_BIOMARKERS:
        negated, excepted = negation(m.start, m.end, ctx.cues, ctx.text, ctx.start, ctx.end,
                                     ctx.section, ctx.ms)
        if carved or (excepted and _excepted_from_cancer(m.start, ctx)):
            negated, excepted = True, False  # "AML, excluding t(8;21)": left out of the type
        node = _context(node, negated, excepted, ctx, m.start, m.end)
        if node is None:
            return None
    return Unit(node, m.start, m.end)


def _signature(m: Mention, ctx: Context) -> Node:
    prov = ctx.prov(m.start, m.end, m.source)
    node = Signature(m.data["name"], prov=prov)
    if m.data.get("status") == "negative":
        return Not(node, stated="negative", prov=prov)
    return node


def _measure(m: Mention, ctx: Context) -> Node:
    return Measurement(m.data["marker"], m.data["op"], m.data["value"],
                       prov=ctx.prov(m.start, m.end, m.source))


def _philadelphia(m: Mention, ctx: Context) -> Node | None:
    if ctx.section == "exclusion" and _PHASE_AFTER.match(ctx.text, m.end, ctx.end):
        return None  # "Ph+ blast crisis" ruled out: one phase of the disease, not the marker
    prov = ctx.prov(m.start, m.end, m.source)
    node = Fusion("ABL1", "BCR", prov=prov)
    if m.data["status"] == "negative":
        return Not(node, stated="negative", prov=prov)
    return node


def _rearrangement(m: Mention, ctx: Context) -> Node:
    prov = ctx.prov(m.start, m.end, m.source)
    node: Node = Alteration(m.data["gene"], "deletion", prov=prov) if m.data.get("loss") \
        else Fusion(m.data["gene"], m.data["partner"], prov=prov)
    if m.data["status"] == "negative":
        return Not(node, stated="negative", prov=prov)
    return node


def _triple_negative(m: Mention, ctx: Context) -> Node | None:
    if _HISTORY.search(ctx.text[max(ctx.start, m.start - 60):m.start]):
        return None
    prov = ctx.prov(m.start, m.end, m.source)
    return All((Measurement("er", "=", "negative", prov=prov),
                Measurement("pr", "=", "negative", prov=prov),
                Measurement("her2", "=", "negative", prov=prov)), prov=prov)


# A lower bound written as such ("≥ 2", "at least 2"), not a range of grades ("2 or 3")
_LOWER_BOUND_WORDS = re.compile(r"(?i)[≥>]|\bat\s+least\b|\bor\s+(?:more|greater|higher|above)\b|"
                                r"\b(?:greater|more|higher)\s+than\b")


def _performance(m: Mention, ctx: Context) -> Node | None:
    if ctx.section == "exclusion" and _grades_a_condition(m, ctx):
        return None  # "unstable angina or lung disease (Zubrod 3 or more)": the condition's
        #              grade, not a performance limit of its own
    if ctx.section == "exclusion" and m.data.get("single") and m.data["value"] >= 2:
        # "ECOG 2" among the exclusions: that grade (and the worse ones) ruled out
        return Performance(m.label, ">=", m.data["value"], prov=ctx.prov(m.start, m.end, m.source))
    prov = ctx.prov(m.start, m.end, m.source)
    if m.data.get("upper") is not None:  # "Karnofsky 20-60%": both bounds
        return All((Performance(m.label, ">=", m.data["value"], prov=prov),
                    Performance(m.label, "<=", m.data["upper"], prov=prov)), prov=prov)
    value = _loosest_part_limit(m, ctx) if ctx.section == "inclusion" else None
    if value is not None:
        prov = ctx.prov(m.start, ctx.end, "findings.part_limits")
        # (the loosest limit is inclusive: "> 60%" was read as 70 or more)
        return Performance(m.label, "<=" if m.label == "ecog" else ">=", value, prov=prov)
    if m.label == "ecog" and m.data["op"] == ">=" and m.data["value"] <= 2 \
            and ctx.section == "inclusion" and m.mods.isdisjoint(("negated", "excluded")) \
            and _LOWER_BOUND_WORDS.search(ctx.text, m.start, m.end):
        # "ECOG >= 2", "performance status of at least 2" required, with no upper bound: in
        # registry text the sign written the wrong way round (read literally, every fit patient
        # the trial wants is turned away), so read as the upper limit it means
        return Performance(m.label, "<=", m.data["value"],
                           prov=ctx.prov(m.start, m.end, "findings.reversed_sign"))
    return Performance(m.label, m.data["op"], m.data["value"], prov=prov)


# Further limits of the same score for other parts of the study, written after the first
# ("ECOG <= 1 (phase Ib), <= 2 (phase II)", "ECOG 0-1 for phase 1 and 0-2 for phase 2",
# "Karnofsky >= 70% (>= 60% in the expansion cohort)")
_PARTS = r"(?:phases?|parts?|cohorts?|arms?|strat(?:um|a)|escalation|expansion|portions?|groups?)"
_PART_WORD = re.compile(rf"(?i)\b{_PARTS}\b")
# (the limits are read within the score's own sentence or clause)
_CLAUSE_END = re.compile(r"[.;]\s|[.;]\Z")
# ... each further limit followed by the part it is for ("≤ 2 (phase II)", "0-2 for phase 2",
# "≥ 60% in the expansion cohort", "≤ 2 for patients in the blast phase")
_FOR_PART_AFTER = re.compile(r"(?i)\s*[(,]?\s*(?:(?:for|in|during|of)\s+)?(?:the\s+)?(?:patients\s+"
                             rf"(?:in|of|on|with)\s+(?:the\s+)?)?(?:[\w+/-]+\s+){{0,3}}?{_PARTS}\b")
# ... or a further limit the criterion allows for a cause ("≤ 2 (3 if due to bone pain)",
# "≥ 60% (> 50% if caused by bone disease)"): the cause is for review, the limit the loosest
IF_CAUSE = re.compile(r"(?i)\s*(?:%\s*)?(?:is\s+|are\s+|will\s+be\s+)?(?:also\s+)?(?:allowed\s+|"
                      r"accepted\s+|permitted\s+|eligible\s+)?(?:if|when|provided(?:\s+that)?)\b"
                      r"[^.;()]{0,60}?\b(?:due\s+to|secondary\s+to|caused\s+by|related\s+to|"
                      r"attributable\s+to|because\s+of|(?:the\s+)?result\s+of)\b")
_STRICT_MORE = re.compile(r">(?!=|\s?or\s?=|/=)")  # (not "> or =", ">/=": at least)
# ... or the age group it is for ("≥ 70% for patients under 60")
_FOR_AGE_GROUP = re.compile(r"(?i)\s*%?\s*[(,]?\s*(?:for|in)\s+(?:patients|subjects|participants|those)\s+"
                            r"(?:aged?\s+)?(?:[<>≤≥=]|under|over|older|younger|below|above|\d)")
# the further limits themselves: "≤ 2", "< 3", "0-2"; "≥ 60%", "60% or more"
_MORE_ECOG = re.compile(r"(?:≤|<=|=<|<(?!=)|\bof|\b(?:ECOG|PS|WHO|Zubrod))\s*([0-4])\b|"
                        r"\b0\s*(?:-|–|to|or)\s*([0-4])\b")
_MORE_KARNOFSKY = re.compile(r"(?:≥|>=|=>|>\s?or\s?=|>/=|>)\s*(\d{2,3})\s*%?|\b(\d{2,3})\s*%?\s+or\s+(?:more|higher|"
                             r"greater|above)\b")


def _loosest_part_limit(m: Mention, ctx: Context) -> float | None:
    """The loosest of several limits of one score that a criterion gives to the parts of
    the study it names (each part has its own; a patient meets the trial through the part
    with the loosest), or None when the criterion gives one limit or names no part."""
    if any(x.label == m.label and x.start > m.start
           and not IF_CAUSE.match(ctx.text, x.end, ctx.end) for x in ctx.ms):
        return None  # (each limit named with its scale: alternatives read as such; not a
        #              further limit allowed for a cause, "a status of 3 if due to X")
    rest = ctx.text[m.end:min(ctx.end, m.end + 120)]
    stop = _CLAUSE_END.search(rest)  # (within the score's own sentence, or the next one when
    #                                   it allows a further limit for a cause: "ECOG 0-1.
    #                                   ECOG 2 allowed if due to bone disease")
    if stop is not None:
        after = _CLAUSE_END.search(rest, stop.end())
        nxt = rest[stop.end():after.start() if after else len(rest)]
        rest = rest[:stop.start()] + " " + nxt if IF_CAUSE.search(nxt) else rest[:stop.start()]
    if not (_PART_WORD.search(ctx.text, max(ctx.start, m.start - 40), m.end + len(rest))
            or IF_CAUSE.search(rest) or _FOR_AGE_GROUP.search(rest)):
        return None

    def named(x: re.Match[str]) -> bool:  # (a limit followed by its part, its age group or a cause)
        return bool(_FOR_PART_AFTER.match(rest, x.end()) or IF_CAUSE.match(rest, x.end())
                    or _FOR_AGE_GROUP.match(rest, x.end()))

    if m.label == "ecog" and m.data["op"] == "<=":
        more = [float(a) - 1 if a and x.group()[:1] == "<" and x.group()[1:2] != "=" else float(a or b)
                for x in _MORE_ECOG.finditer(rest) for a, b in [x.groups()] if named(x)]
        looser = [v for v in more if v > m.data["value"]]
        return max(looser) if looser else None
    if m.label == "karnofsky" and m.data["op"] in (">=", ">"):
        # (a strict limit is the next step of the scale: "> 50%" is 60 or more)
        more = [float(a or b) + (10 if _STRICT_MORE.match(x.group()) else 0)
                for x in _MORE_KARNOFSKY.finditer(rest) for a, b in [x.groups()] if named(x)]
        looser = [v for v in more if 10 <= v < m.data["value"]]
        return min(looser) if looser else None
    return None


def _grades_a_condition(m: Mention, ctx: Context) -> bool:
    """Whether a performance score stands in brackets after the words of another condition
    (a score in brackets right after the words "performance status" is the score itself)."""
    opened = ctx.text.rfind("(", ctx.start, m.start)
    if opened < 0 or ctx.text.find(")", opened, m.start) >= 0:
        return False
    before = ctx.text[ctx.start:opened]
    return len(_WORDS_OF.findall(before)) >= 2 and not _PS_WORDS.search(before[-40:])


_WORDS_OF = re.compile(r"[A-Za-z]{3,}")
_PS_WORDS = re.compile(r"(?i)performance|status|\bPS\b|ECOG|WHO|Zubrod|Karnofsky|Lansky|KPS")


_LAB = re.compile(r"(?i)mg/dl|µmol/l|umol/l|ml/min|g/dl|×\s?10|x\s?10\^?9|\bULN\b|/mm3|/µl|"
                  r"\bcreatinine\b|\bbilirubin\b|\bplatelets?\b|\bneutrophil|\bhemoglobin\b")
_DURATION = re.compile(r"(?i)\b(?:for|within|since|last|past|previous|after|before|from|over|"
                       r"during|of|duration|lasting|length|interval|expectancy|survival|"
                       r"remission|follow[- ]?up)\s*(?:the\s+)?(?:(?:of|is|was|to|lasted|(?:must|should)\s+"
                       r"(?:have\s+)?been|has\s+been|have\s+been)\s+)?$")


# What follows a number of years that dates an event rather than the patient: "<= 2 years
# prior to randomisation", "3 years ago", "< 5 years from diagnosis", "2 years after surgery".
_TIME_AFTER = re.compile(r"(?i)\s*(?:\)\s*)?(?:prior|before|ago|after|since|from|following|"
                         r"preceding|earlier|previously|post\b|of\s+(?:the\s+)?(?:start|"
                         r"diagnosis|randomi[sz]ation|enrol|registration|treatment|study|surgery|"
                         r"completion|screening|first|last|initial))")


# What follows a number of years that makes it a span of something else: "free of",
# "disease-free", "postmenopausal", "of formal education", "out of the country", "in remission"
_SPAN_AFTER = re.compile(r"(?i)\s*(?:\)\s*)?(?:(?:disease|relapse|recurrence|progression|cancer|"
                         r"tumou?r|event)[- ]?free\b|free\b|post-?\s?menopaus|menopaus|"
                         r"of\s+(?!age\b)[a-z]|out\s+of\b|in\s+(?:remission|duration)\b|"
                         r"without\b|duration\b|amenorrh)")
# ... or that a word before it in its clause names as a duration ("duration of diabetes > 1
# year and < 15 years")
_SPAN_BEFORE = re.compile(r"(?i)\b(?:duration|lasting|for\s+at\s+least|for\s+more\s+than)\b[^.;:]*$")
# The people an age describes, right before it ("children >= 2 years", "patients aged")
_PERSON_BEFORE = re.compile(r"(?i)\b(?:patients?|subjects?|participants?|children|child|adults?|"
                            r"males?|females?|men|women|persons?|people|individuals?|boys?|girls?|"
                            r"infants?|adolescents?|volunteers?|aged?|ages|between|from)\b"
                            r"[^.;:]{0,14}$")


def _span_of_time(m: Mention, ctx: Context) -> bool:
    """Whether a bare number of years (no "age", no "old") measures a span of something else:
    the words after or before it say what ("free of another cancer", "postmenopausal",
    "duration of diabetes"); and a number of a few years is an age only when it follows the
    people it describes ("children >= 2 years") or opens the criterion."""
    if _SPAN_AFTER.match(ctx.text, m.end, min(len(ctx.text), m.end + 40)) \
            or _SPAN_BEFORE.search(ctx.text, max(ctx.start, m.start - 80), m.start):
        return True
    return all(v < 12 for _op, v in m.data["bounds"]) \
        and not _PERSON_BEFORE.search(ctx.text, max(ctx.start, m.start - 40), m.start) \
        and bool(ctx.text[ctx.start:m.start].strip(" \t\n-•*.:)(0123456789"))


_BRACKET_BEFORE = re.compile(r"\s*\(\s*\Z")


def _strata_of_performance(m: Mention, ctx: Context) -> bool:
    """Whether an age in brackets right after a performance limit says which age the limit is
    for: "ECOG 0-2 (under 70 years)"."""
    opening = _BRACKET_BEFORE.search(ctx.text, max(ctx.start, m.start - 4), m.start)
    return opening is not None and any(
        x.label in ("ecog", "karnofsky") and 0 <= opening.start() - x.end <= 2 for x in ctx.ms)


def _age(m: Mention, ctx: Context) -> Node | None:
    if _OTHER_PERSON.search(ctx.text, max(ctx.start, m.start - 60), m.start) \
            or _DONOR_HEADING.search(ctx.heading) \
            or _CONTACT_RULE.search(ctx.text, ctx.start, ctx.end) \
            or _strata_of_performance(m, ctx) \
            or _REPRODUCTIVE_DEFINED.search(ctx.text, max(ctx.start, m.start - 120), m.start):
        return None  # "a legal guardian older than 18", "donor aged 70 or less", "once 3
        #              patients (age 12 or older) have been treated": someone else's age;
        #              "ECOG 0-2 (70 years or younger) OR ECOG 0 (71-75 years)": which limit
        #              holds at which age, left for review (the limits read as alternatives)
    if "excluded" in m.mods or ctx.section != "inclusion" and not _whole_exclusion(m, ctx):
        return None  # "patients under 65 who decline a transplant are not eligible": a rule
        #              for one group, left for review; an exclusion is read only when the age
        #              is all it says ("Under 18 years old", "Participants aged < 18 years")
    surface = ctx.text[m.start:m.end].lower()
    if _LAB.search(ctx.text, ctx.start, ctx.end) and not (
            _AGE_LABEL.match(surface) and not _LAB.search(ctx.text, m.end, min(ctx.end, m.end + 40))):
        # "creatinine <= 1.2 mg/dL (13 to 15 years of age)": strata of a lab limit; but a
        # labelled "Age: 18 to 65" in a run-on paragraph of such labels is the age
        return None
    if "age" not in surface and "old" not in surface and _DURATION.search(
            ctx.text[max(ctx.start, m.start - 36):m.start]):
        return None  # "amenorrhoea for < 2 years", "a disease duration >= 3 years": a
        #              duration, not the patient's age
    if "age" not in surface and "old" not in surface and _TIME_AFTER.match(
            ctx.text, m.end, min(len(ctx.text), m.end + 40)):
        return None  # "a biopsy taken <= 2 years before entry": a time window, not an age
    if "age" not in surface and "old" not in surface and _span_of_time(m, ctx):
        return None  # "< 5 years free of another cancer", "at least 2 years postmenopausal"
    if _STRATUM_VALUE.match(ctx.text, m.end, ctx.end):
        return None  # "1 to < 2 years: 0.6 mg/dL": the row label of a table of limits by age
    if _AT_DIAGNOSIS.match(ctx.text, m.end, min(len(ctx.text), m.end + 80)):
        return None  # "under 21 years of age when first diagnosed": the age at diagnosis,
        #              which the profile does not hold (its age is today's)
    if _NOT_ENROLLED.search(ctx.text, max(ctx.start, m.start - 60), m.start):
        return None  # "the sites do not enrol subjects below the age of 18": the limit negated
    label = _GROUP_LABEL.match(ctx.text, ctx.start, m.start)
    if label and label.end() <= m.start:
        return None  # "Healthy volunteers: aged 18-45": the age of one group of the trial
    if _MODAL_AFTER.match(ctx.text, m.end, min(len(ctx.text), m.end + 30)):
        return None  # "patients older than 75 should enter only if fit": the age names a group
        #              a further rule binds, not an age limit of the trial ("aged 18-75 may
        #              participate" is one)
    if "age" not in surface and "old" not in surface and ctx.heading.rstrip().endswith(
            (":", "：")) and not _AGE_WORD.search(ctx.heading) \
            and not _YEARS_OF_AGE.match(ctx.text, m.end, min(len(ctx.text), m.end + 24)):
        return None  # "Life expectancy:" over "At least 5 years": the heading's measure
    prov = ctx.prov(m.start, m.end, m.source)
    nodes = [Age(op, value, prov=prov) for op, value in m.data["bounds"]]
    return nodes[0] if len(nodes) == 1 else All(tuple(nodes), prov=prov)


# After an age: the time it was reached, the diagnosis ("< 21 years at initial diagnosis",
# "30 years or younger when originally diagnosed with ALL")
_AT_DIAGNOSIS = re.compile(r"(?i)\s*(?:years?|yrs?)?\.?\s*(?:of\s+age|old)?\s*(?:or\s+(?:younger|"
                           r"older|less|more|under|over)\s*)?,?\s*(?:at\s+(?:the\s+)?(?:time\s+of\s+)?"
                           r"(?:(?:initial|original|first|primary)\s+)?diagnos\w*|when\s+(?:(?:first|"
                           r"originally|initially)\s+)?diagnosed)")


# "... 18 years of age", "... 18 years old" after a bound the mention ends before
_YEARS_OF_AGE = re.compile(r"(?i)\s*(?:years?|yrs?)\.?\s+(?:of\s+age|old)\b")


# A reproductive status that an age helps define ("postmenopausal, defined as age >= 60 or
# ...", "not of childbearing potential, i.e. aged 55 or more without menses"): the age of a
# definition, not a limit of the trial
_REPRODUCTIVE_DEFINED = re.compile(r"(?i)\b(?:menopaus\w*|post-?\s?menopaus\w*|child-?\s?bearing|"
                                   r"reproductive\s+potential|fertile)\b[^.;]{0,60}\b(?:"
                                   r"defined\s+(?:as|by)|considered|means|i\.\s?e\.)[^.;]{0,60}\Z")


# People other than the patient, both in an age's clause and in a heading over exclusions
_OTHER_PEOPLE = r"partners?|relatives?|donors?|siblings?|parents?|spouses?|contacts?|household"
# Someone other than the patient, right before an age in its clause ("household contact with
# children under 5": the children's age; "a family history of sudden death under 40": the
# age at which a relative died)
_OTHER_PERSON = re.compile(rf"(?i)(?:\b(?:{_OTHER_PEOPLE}|guardians?|caregivers?|care\s+givers?|"
                           r"representatives?|mothers?|fathers?|households|family\s+history|"
                           r"deaths?|died)\b|"
                           r"\b\d+\s+(?:patients|subjects|"
                           r"participants)\s*\()[^.;:()]{0,30}\Z")
# A rule about the people the patient lives with or meets ("avoid close household contact
# with: pregnant women; children under 5 years"): their ages are not the patient's
_CONTACT_RULE = re.compile(r"(?i)\b(?:household|close|physical)\s+contacts?\b|\bcontacts?\s+with\b")
_DONOR_HEADING = re.compile(r"(?i)\A(?!.*\b(?:patients?|recipients?|subjects?)\b).*\bdonors?\b", re.S)


_MODAL_AFTER = re.compile(r"(?i)\s*(?:of\s+age\s+|old\s+)?(?:should|may|might|can|could|must|will|need)\b"
                          r"(?!\s+(?:participate|take\s+part|be\s+(?:included|enrolled|eligible))\b)")


_NOT_ENROLLED = re.compile(r"(?i)\b(?:not|no)\s(?:be\s)?(?:to\s)?(?:enrol|include|recruit|accept|admit|"
                           r"allow|eligible)\w{0,4}\b[^.;]{0,30}$")


# A criterion labelled with a group of the trial ("Healthy participants:", "Part B patients:";
# not "Target group:", often the whole trial)
_GROUP_LABEL = re.compile(r"(?i)\W{0,4}(?:for\s+)?[a-z][\w-]{0,30}(?:\s[\w-]{1,30}){0,4}?\s(?:participants|"
                          r"patients|subjects|cohorts?|arms?|parts?)(?:\s\w{1,3})?\s{0,2}[:：]")


# An exclusion that is only an age: a subject word before it, and after it at most "old",
# a short parenthesis or "at screening"; anything more ("who decline ...", "with ...",
# "relative with sudden death under 40") may make it a rule for a group or of someone else.
_WHOLE_BEFORE = re.compile(r"(?i)[\W_]*(?:\d{1,2}[.)]\s*)?(?:(?:any\s+)?(?:patients?|participants?|subjects?|"
                           r"individuals?|persons?|people|children|adults)"
                           r"(?:\s+(?:who\s+are|are|aged?))?\s*)?")
_WHOLE_AFTER = re.compile(r"(?i)\s*(?:old|of\s+age)?\s*(?:\([^()]{0,80}\))?\s*(?:at\s+(?:the\s+time\s+of\s+)?"
                          r"(?:screening|enrol\w*|consent|registration|randomi[sz]ation|(?:study\s+)?entry)"
                          r"\s*)?[\W_]*")


# a heading over the exclusion that speaks of other people ("... their close contacts:")
_OTHERS = re.compile(rf"(?i)\b(?:{_OTHER_PEOPLE}|family|care-?givers?|offspring)\b")


def _whole_exclusion(m: Mention, ctx: Context) -> bool:
    """Whether an exclusion criterion says nothing but the age ("Under 18 years old"), or
    ages joined by "or" ("Age > 75 years, or age < 15 years")."""
    if ctx.section != "exclusion" or _OTHERS.search(ctx.heading):
        return False
    ages = sorted((x for x in ctx.ms if x.label == "age"), key=lambda x: x.start)
    if len(ages) < 2 or m not in ages:
        ages = [m]
    elif not all(_AGES_OR.fullmatch(ctx.text, a.end, b.start) for a, b in zip(ages, ages[1:])):
        return False
    return bool(_WHOLE_BEFORE.fullmatch(ctx.text, ctx.start, ages[0].start)
                and _WHOLE_AFTER.fullmatch(ctx.text, ages[-1].end, ctx.end))


_AGES_OR = re.compile(r"(?i)\s*(?:old|of\s+age)?\s*,?\s*or\s+")


_AGE_WORD = re.compile(r"(?i)\bage[sd]?\b")
_AGE_LABEL = re.compile(r"ages?\s*[:：]")  # (on the lower-cased surface)
_HISTORY = re.compile(r"(?i)\b(?:history|prior|previous|other|another|second|secondary|"
                      r"concurrent|synchronous|metachronous|except|besides|excluding|in situ)\b")


_ENGLISH_CODES = frozenset({"all", "cat", "set", "met", "can", "aid", "arm", "art", "bed", "cap",
                            "man", "mid", "pan", "per", "was", "its"})
_CODE_FOLLOWERS = frozenset({"in", "or", "and", "with", "who", "that", "after", "following", "at",
                             "cells", "blasts", "patients", "subjects", "type", "subtype"})


# "Patients with A or B are eligible at first relapse": the cancers name the group the
# condition after them binds (the trial lists its cancers elsewhere), no requirement of every
# patient. Not a list item naming an allowed type ("A, B are eligible after first therapy").
_GROUP_ELIGIBLE = re.compile(r"(?i)\W{0,4}(?:(?:for\s+example|for\s+instance|e\.g\.)\W{1,3})?"
                             r"(?:patients|subjects|participants|those)\s+with\s+"
                             r"[^.;:]{1,240}?\s(?:are|is)\s+(?:also\s+)?eligible(?:\s*,)?\s+(?:at|after|"
                             r"following|once|in|from|if|provided|only|when|even)\b")


# Between a drug and the cancer it was given for: "(therapy) for (the treatment of) (their)
# (metastatic) ..."
_DRUG_FOR = re.compile(r"(?i)(?:\s*\([^()]{0,40}\))?(?:\s+(?:therapy|treatment|regimens?|"
                       r"chemotherapy|agents?))?\s+(?:for|in)\s+(?:the\s+(?:treatment|management)"
                       r"\s+of\s+)?(?:[\w-]+\s+){0,3}")


# The joint of two items of a list of cancers ("breast, lung or colon cancer, melanoma, or
# kidney cancer")
_TYPE_LIST_JOINT = re.compile(r"(?i)\s*(?:,\s*(?:(?:and/or|or|and)\s+)?|\s+(?:and/or|or|and)\s+)")


def _given_for(m: Mention, ctx: Context) -> Mention | None:
    """The first cancer of the list `m` belongs to when a treatment was given for it: right
    after the drug ("taxane for mCRPC"), the list starting there ("chemotherapy for breast or
    lung cancer, melanoma, or kidney cancer"); None otherwise."""
    cancers = sorted((x for x in ctx.ms if x.label == "cancer" and x.end <= m.start),
                     key=lambda x: x.start)
    cur = m
    while True:
        if any(x.label == "drug" and x.end <= cur.start
               and _DRUG_FOR.fullmatch(ctx.text, x.end, cur.start) for x in ctx.ms):
            return cur
        prev = next((x for x in reversed(cancers) if x.end <= cur.start), None)
        if prev is None or not _TYPE_LIST_JOINT.fullmatch(ctx.text, prev.end, cur.start):
            return None
        cur = prev


# Later in the cancer's own clause, words that let its patients in: under an exclusion
# heading, a carve-out of the exclusion ("... BCC or cSCC are eligible", "may be exempt"; not
# another group's: "untreated X will be excluded, but recurrent X will be eligible")
_ELIGIBLE_AFTER = re.compile(r"(?i)(?:(?!\b(?:excluded|ineligible|but)\b)[^;.]){0,120}?(?<!who\s)\b(?:(?:are|is)\s+(?:also\s+|still\s+)?"
                             r"(?:eligible|exempt)|(?:will|would)\s+(?:also\s+|still\s+)?be\s+(?:eligible|exempt)|"
                             r"may\s+(?:also\s+)?(?:be\s+(?:eligible|exempt)|"
                             r"participate|enrol{1,2}|enter)|can\s+(?:participate|enrol{1,2}|enter))"
                             r"\b(?!\s+(?:for|to)\b)")


# A phase of the disease right after or before a cancer ("CML in myeloid blast crisis",
# "chronic-phase CML", "myelofibrosis in blast phase"): no profile field holds it
_PHASES = (r"(?:(?:myeloid|lymphoid)\s+)?(?:blast(?:ic)?[\s-]+(?:crisis|phase|transformation)|"
           r"chronic[\s-]+phase|accelerated[\s-]+phase)")
# A cancer type an exclusion narrows to the patients fit for another treatment ("DLBCL in
# patients who are eligible for a curative transplant", "NSCLC amenable to resection"): who
# is excluded turns on a judgement the profile does not hold
_CANDIDATE_AFTER = re.compile(
    r"(?i)[^;.\n]{0,80}?\b(?:(?:who|that|which)\s+(?:is|are|would\s+be)\s+(?:\w+\s+){0,3}?"
    r"(?:eligible|candidates?|suitable|fit|appropriate|amenable|willing)\b|"
    r"(?:amenable|eligible|candidates?|suitable|fit)\s+(?:to|for)\s+(?:\w+[\s-]+){0,3}?"
    r"(?:curative|transplant\w*|surgery|surgical|resection|intensive|definitive|"
    r"stem[\s-]cell)\b)")
_PHASE_AFTER = re.compile(rf"(?i)\s*[(,]?\s*(?:in\s+(?:the\s+)?)?{_PHASES}")
_PHASE_BEFORE = re.compile(rf"(?i)\b{_PHASES}(?:\s+(?:of|in)(?:\s+(?:the|a))?)?\s*\Z")
# "CTCL with skin as the only organ involved", "... limited to the skin", "bone-only disease":
# one extent of the disease, not the disease
_EXTENT_AFTER = re.compile(
    r"(?i)\)?\s*(?:\([^()]{0,40}\)\s*)?,?\s*(?:(?:limited|confined|restricted)\s+to\b|with\s+"
    r"(?:[\w-]+\s+){1,3}as\s+the\s+(?:only|sole)\b|with\s+(?:[\w-]+\s+){0,2}[\w]+[\s-]only\s+"
    r"(?:disease|involvement|metastas[ie]s)\b)")
_PHASE_IN = re.compile(rf"(?i){_PHASES}")
# ... and a state of it or the group it arose in ("AML in first complete remission", "ALL in
# CR1", "HIV-associated primary CNS lymphoma"): ruled out, those patients only
_DISEASE_STATE_AFTER = re.compile(
    r"(?i)\s*[(,]?\s*in\s+(?:(?:a|the|their|its)\s+)?(?:(?:first|second|third|1st|2nd|3rd)\s+)?"
    r"(?:(?:complete|partial|morphologic(?:al)?|haematologic(?:al)?|hematologic(?:al)?|molecular|"
    r"cytogenetic)\s+)?(?:remission|response)\b|\s*[(,]?\s*in\s+CR[1-3]?\b")
_DISEASE_GROUP_BEFORE = re.compile(r"(?i)\b(?:HIV|AIDS)[\s-]*(?:associated|related|positive)\s+(?:[a-z-]+\s+){0,2}\Z")
# ("smouldering myeloma", read as the myeloma: the stage before the disease)
_EARLY_STAGE_NAME = re.compile(r"(?i)\s*(?:smou?ldering|asymptomatic)\b")
_SYMPTOMATIC_BEFORE = re.compile(r"(?i)\b(?:symptomatic|clinically\s+symptomatic)\s+(?:(?:and|or)\s+)?"
                                 r"(?:[a-z-]+\s+){0,2}\Z")


_SLASHED_AFTER = re.compile(r"/(?P<code>[A-Z0-9][A-Za-z0-9-]{1,7})\b")
_SLASHED_BEFORE = re.compile(r"\b(?P<code>[A-Z0-9][A-Za-z0-9-]{1,7})/\Z")


def _slashed_code(m: Mention, ctx: Context) -> bool:
    """A short code joined by a slash to another code that names no cancer ("FTC/TDF",
    "3TC/ABC"): a list of drug or other codes ("CLL/SLL" names two cancers)."""
    after = _SLASHED_AFTER.match(ctx.text, m.end, ctx.end)
    before = _SLASHED_BEFORE.search(ctx.text, max(ctx.start, m.start - 10), m.start)
    spans = [g.span("code") for g in (after, before) if g is not None]
    return bool(spans) and not any(
        x.label == "cancer" and x.start <= a and b <= x.end for a, b in spans for x in ctx.ms)


def _clause_start(ctx: Context, at: int) -> int:
    """The start of the ";"-clause holding `at`, taking in the clauses before it that it
    only gives examples to ("... since any anticancer treatment; including X or Y")."""
    lo = max(ctx.start, ctx.text.rfind(";", ctx.start, at) + 1)
    while lo > ctx.start and _EXAMPLES_OPEN.match(ctx.text, lo, at):
        lo = max(ctx.start, ctx.text.rfind(";", ctx.start, lo - 1) + 1)
    return lo


_EXAMPLES_OPEN = re.compile(rf"(?i)\s*{EXAMPLE_OPENERS}")
_MINOR_WORDS = frozenset({"of", "the", "and", "for", "de", "&"})
_DISEASE_WORD = re.compile(r"(?i)omas?\b|cancer|tumou?r|leuka?emi|neoplas|malignan|disease|"
                           r"syndrome")


def _spelled_before(m: Mention, ctx: Context, surface: str) -> bool:
    """Whether a code in brackets spells the initials of the words right before it, and
    those words name no cancer ("Southern California (USC)"; not "acute myeloid leukaemia
    (AML)", which names the type itself)."""
    if ctx.text[max(ctx.start, m.start - 2):m.start].strip() != "(":
        return False
    open_at = ctx.text.rfind("(", ctx.start, m.start)
    words = [w for w in re.findall(r"[A-Za-z][\w'-]*", ctx.text[max(ctx.start, open_at - 80):open_at])
             if w.lower() not in _MINOR_WORDS]
    named = next((words[-k:] for k in range(1, min(len(surface), len(words)) + 1)
                  if prefixes_spell(words[-k:], surface.lower())), None)
    return named is not None and not _DISEASE_WORD.search(" ".join(named)) and not any(
        x.label == "cancer" and x is not m and open_at - 80 <= x.start and x.end <= open_at
        for x in ctx.ms)


def prefixes_spell(words: list[str], letters: str) -> bool:
    """Whether `letters` split into one non-empty prefix of each word, in order ("Southern
    California" -> "sc", "immunomodulatory therapy" -> "imt"), the first letter of each."""
    if not words:
        return not letters
    head, rest = words[0].lower(), words[1:]
    return any(head.startswith(letters[:n]) and prefixes_spell(rest, letters[n:])
               for n in range(1, min(len(head), len(letters) - len(rest)) + 1))


# a device or a procedure named by a code ("PTC drain", "CVC line", "CAT scan")
_DEVICE_AFTER = re.compile(r"(?i)\s{1,2}(?:tubes?|drains?|drainage|stents?|catheters?|lines?|"
                           r"ports?|scans?|procedures?|placement)\b")


_UNKNOWN_PRIMARY = re.compile(r"(?i)(?:an?\s+)?(?:unknown|occult)\s+primary(?:\s+(?:site|tumou?r))?")


# A comparison and a number right after a cancer type: the type labels a limit
_THRESHOLD_AFTER = re.compile(r"[ \t]{0,2}(?:\n[ \t]*)?(?:≥|≤|>=|<=|>|<)\s{0,2}\d")  # (a line may wrap)


def _code_of_something_else(m: Mention, ctx: Context) -> bool:
    """Whether a cancer code written in capitals names something else where it stands."""
    surface = ctx.text[m.start:m.end]
    if not surface.isupper():
        return False
    if surface.lower() in _ENGLISH_CODES:
        nxt = re.match(r"\s*([A-Za-z]+)", ctx.text[m.end:min(ctx.end, m.end + 30)])
        if nxt and nxt.group(1).islower() and nxt.group(1) not in _CODE_FOLLOWERS:
            return True  # "ALL target lesions": the word, not the leukaemia
    if ctx.text[m.end:m.end + 2].lstrip("^")[:1] == "+":
        return True  # "CD8+ TET+ cells", "TET^+": a marker of cells, not a cancer code
    if _spelled_before(m, ctx, surface):
        return True  # "University of Southern California (USC)": the initials of a name
    if re.match(r"-\d", ctx.text[m.end:m.end + 2]):
        return True  # "study MCC-14674": a protocol number, not a cancer code
    if _ABBREVIATES_WORD.search(ctx.text, max(ctx.start, m.start - 40), m.start) \
            and ctx.text[m.end:m.end + 1] == ")" and not any(
                x.label in ("cancer", "drug") and 0 <= m.start - x.end <= 3 for x in ctx.ms):
        return True  # "emtricitabine (FTC)": the abbreviation of the word before, not read
    return len(surface) <= 4 and _short_code_of_something_else(m, ctx)


# what only a drug follows: "resistance to", "allergy to" (a list of up to four names between)
_AGENT_BEFORE = re.compile(r"(?i)\b(?:resistan(?:ce|t)|hypersensitivity|allerg(?:y|ic)|intoleran(?:ce|t))"
                           r"\s+to\s+(?:[\w-]+,?\s+(?:(?:or|and)\s+)?){0,4}\Z")
# a word right before a bracket that names no disease (no "-oma", "leukaemia", "cancer",
# "syndrome"...): the code in the bracket abbreviates it ("emtricitabine (FTC)")
_ABBREVIATES_WORD = re.compile(r"(?<![\w-])(?![a-z]*(?:omas?|emias?|aemias?|cancers?|tumou?rs?|"
                               r"neoplasms?|neoplasia|diseases?|syndromes?|disorders?|"
                               r"malignanc(?:y|ies)|leukemic|leukaemic|cytosis|plasia)\s?\()"
                               r"[a-z]{5,}\s?\(\Z")


def _short_code_of_something_else(m: Mention, ctx: Context) -> bool:
    """The same for a code of at most four letters, by the words around it."""
    if _DEVICE_AFTER.match(ctx.text, m.end, ctx.end):
        return True  # "a PTC tube", "CAT scan": a procedure or a device, not a cancer code
    if _slashed_code(m, ctx):
        return True  # "FTC/TDF": one of drug codes joined by slashes, not a cancer code
    if _AGENT_BEFORE.search(ctx.text, max(ctx.start, m.start - 80), m.start):
        return True  # "resistance to FTC, tenofovir or ABC": the codes of drugs
    # "gemcitabine HCL": the salt of the drug before it (hydrochloride)
    return any(x.label == "drug" and "state" not in x.data and 0 <= m.start - x.end <= 2
               for x in ctx.ms)


def _cancer(m: Mention, ctx: Context) -> Node | None:
    group = _GROUP_ELIGIBLE.match(ctx.text, ctx.start, ctx.end)
    if group is not None and m.end <= group.end():
        return None
    stop = ctx.text.rfind(". ", ctx.start, m.start)  # the same in a later sentence
    if stop > ctx.start and (later := _GROUP_ELIGIBLE.match(ctx.text, stop + 1, ctx.end)) \
            and m.end <= later.end():
        return None
    if _code_of_something_else(m, ctx):
        return None
    surface = ctx.text[m.start:m.end]
    if m.data.get("vague"):
        return None  # "non-<something> lung cancer": narrower than the type, but unknown
    if _THRESHOLD_AFTER.match(ctx.text, m.end, ctx.end):
        return None  # "WBC count (B-ALL ≥30; T-ALL ≥100)": which limit holds, no diagnosis
    anchor = _given_for(m, ctx)
    if anchor is not None and (ctx.section == "exclusion" or not m.mods.isdisjoint(
            ("negated", "excluded")) or anchor is not m and not anchor.mods.isdisjoint(
            ("negated", "excluded", "setting"))):
        # "any taxane for mCRPC" ruled out: the disease the drug was for (and the rest of
        # its list, which the negation may not reach: "no chemotherapy for A, B or C, or D")
        return None
    if ctx.section == "exclusion" and _ELIGIBLE_AFTER.match(ctx.text, m.end, ctx.end):
        return None  # "...; patients with a treated skin BCC are eligible": a carve-out
    if ctx.section == "inclusion" and _cancer_subgroup(m, ctx):
        # "(patients with FL must have had X)": whom a rule is for; "... or evaluable by
        # CA-125 (ovarian cancer)": whom a way of measuring is for
        return None
    if (ctx.section == "exclusion" or "negated" in m.mods) \
            and _CANDIDATE_AFTER.match(ctx.text, m.end, ctx.end):
        return None  # "DLBCL ... eligible for a curative transplant" ruled out: a judgement
    if (ctx.section == "exclusion" or "negated" in m.mods) and (
            _PHASE_AFTER.match(ctx.text, m.end, ctx.end) or _PHASE_IN.search(surface)
            or _PHASE_BEFORE.search(ctx.text, max(ctx.start, m.start - 30), m.start)):
        return None  # "CML in blast crisis" ruled out: one phase of the disease, not all of it
    if (ctx.section == "exclusion" or "negated" in m.mods) and (
            _DISEASE_STATE_AFTER.match(ctx.text, m.end, ctx.end)
            or _DISEASE_GROUP_BEFORE.search(ctx.text, max(ctx.start, m.start - 40), m.start)
            or _EARLY_STAGE_NAME.match(surface)
            or _EARLY_STAGE_NAME.search(ctx.text, max(ctx.start, m.start - 14), m.start)):
        return None  # "AML in first remission" ruled out: a state of the disease, for review
    if (ctx.section == "exclusion" or "negated" in m.mods) \
            and _EXTENT_AFTER.match(ctx.text, m.end, ctx.end):
        return None  # "CTCL limited to the skin" ruled out: one extent of it, manual review
    if (ctx.section == "exclusion" or "negated" in m.mods) \
            and _SYMPTOMATIC_BEFORE.search(ctx.text, max(ctx.start, m.start - 30), m.start):
        return None  # "symptomatic CNS malignancy" ruled out: those with symptoms, for review
    prov = ctx.prov(m.start, m.end, m.source)
    node: Node
    if "without" in m.data:
        without = m.data["without"]  # one subtype code, or a tuple of them
        codes = (without,) if isinstance(without, str) else tuple(without)
        node = All((Diagnosis(m.data["code"], prov=prov),
                    *(Not(Diagnosis(c, prov=prov), prov=prov) for c in codes)), prov=prov)
    elif covered := umbrella_codes(surface, m.data["code"]):
        # "neuroendocrine tumours": the types of every branch the name covers
        node = AnyOf(tuple(Diagnosis(c, prov=prov) for c in covered), prov=prov)
    elif m.data["code"] == "CUP" and _UNKNOWN_PRIMARY.fullmatch(surface) and any(
            o.label == "cancer" and "HEAD_NECK" in o.data.get("above", ()) for o in ctx.ms):
        # "squamous carcinoma of the oropharynx or unknown primary": beside a head-and-neck
        # cancer, an unknown primary is also the neck-node carcinoma OncoTree files there
        node = AnyOf((Diagnosis("CUP", prov=prov), Diagnosis("HNSCUP", prov=prov)), prov=prov)
    else:
        node = Diagnosis(m.data["code"], prov=prov)
    if "excluded" in m.mods and ctx.section != "exclusion":
        code = m.data["code"]
        if any(o is not m and o.label == "cancer" and "excluded" not in o.mods and (
                o.data["code"] == code or code in o.data.get("above", ())) for o in ctx.ms):
            # "RCC with a clear-cell part (unclassified RCC is excluded)": the words narrow
            # the required type in a way the ontology cannot say; the required type stands
            return None
        return Not(node, prov=prov)  # "those with a mucinous histology are excluded"
    return node


# Drug classes so broad that a target named before them makes a narrower class ("VEGF
# receptor targeted therapy", "HER2-directed agents").
_GENERIC_CLASSES = frozenset({"targeted_therapy", "immunotherapy", "biologic_therapy",
                              "monoclonal_antibody", "tki", "kinase_inhibitor"})


# A word glued by a hyphen before a generic class ("Aurora A-targeted agents", "CD33-directed
# therapy"): the class of that target only, which the lexicon may not name
_QUALIFIER_GLUED = re.compile(r"[A-Za-z0-9]-\Z")
_TARGET_GAP = re.compile(r"(?i)[\s\-–/()]*(?:receptors?|pathway)?[\s\-–/()]*")


def _target_before(m: Mention, ctx: Context) -> bool:
    """Whether a gene or target is named right before the drug mention."""
    return any(g.label == "gene" and 0 <= m.start - g.end <= 14
               and _TARGET_GAP.fullmatch(ctx.text, g.end, m.start) for g in ctx.ms)


# An exclusion written as a requirement ("Patients must not have received X", "No prior X",
# "Subjects cannot have had X", "Treatment history may not include X",
# "Previous therapy should not have included X"):
# the section already negates it, the words restate that.
# (after the group it is said of: "For part B patients, no prior X", "Part B: no prior X")
_MUST_NOT = re.compile(r"\W*(?i:for\s+[^,:;()]{1,60}?[,:]\s*|(?:part|phase|cohort|arm|group|stage)\s+"
                       r"[\w.-]{1,6}(?:\s+only)?\s*[:：]\s*)?(?:(?i:the\s+)?(?i:(?:(?:patients?|subjects?|participants?)"
                       r"(?:'s|s'|')?\s+)?(?:treatment|therapy|therapeutic)\s+history|"
                       r"patients?|subjects?|participants?|(?:previous|prior|earlier)"
                       r"\s+(?:therap(?:y|ies)|treatments?|regimens?))?\s*"
                       r"(?:(?i:must|should|shall|may|can)\s+(?:not|never)|(?i:cannot))\b|(?i:no)\s+(?i:prior|previous|earlier)\b)")


def _negated_drug(m: Mention, ctx: Context) -> bool:
    """Whether a drug named with exceptions is ruled out by its own words: negated (not in
    an exclusion that restates itself as a requirement, "Must not have had X except Y"), or
    excluded outside the exclusion section."""
    if ctx.section == "exclusion":
        return "negated" in m.mods and not _must_not(m, ctx)
    return not m.mods.isdisjoint({"negated", "excluded"})


def _must_not(m: Mention, ctx: Context) -> bool:
    """Whether an exclusion that names a drug restates itself as a requirement, from its
    start or from the drug's sentence ("Chemotherapy within 4 weeks. Patients must never have
    had X.")."""
    start = ctx.start
    for end in _SENTENCE_END.finditer(ctx.text, ctx.start, m.start):
        start = end.end()
    return _MUST_NOT.match(ctx.text, ctx.start, ctx.end) is not None or (
        start > ctx.start and _MUST_NOT.match(ctx.text, start, ctx.end) is not None)


_OTHER_BEFORE = re.compile(r"(?i)\bother\s+\Z")
# An exception after a treatment that names only what the profile does not record as a drug
# ("prior treatment for the glioma other than surgical resection"): the treatment, whole.
_NON_DRUG_EXCEPTION = re.compile(
    r"(?i)[^()]{0,40}?[(,]?\s*(?:other\s+than|except(?:\s+for)?|excluding|with\s+the\s+"
    r"exception\s+of|apart\s+from|besides)\s+(?:(?:the|a|an|prior|previous|initial|diagnostic|"
    r"surgical|palliative|local|definitive|core[- ]needle|needle|excisional|incisional|and|or|,|/)"
    r"\s*)*(?:surgery|surgical\s+resection|"
    r"resection|biopsy|radiotherapy|radiation(?:\s+therapy)?|irradiation|debulking)\b"
    r"[\s,/]*(?:(?:and|or)\s+(?:surgery|resection|biopsy|radiotherapy|radiation(?:\s+therapy)?)"
    r"\s*)?[).;]?\s*\Z")


# Words that make a medication taken for another condition (an anticoagulant, an azole, an
# enzyme inducer: no anticancer drug) treatment history: "currently receiving warfarin" or
# "treatment with strong CYP3A4 inhibitors (e.g. ketoconazole)" is concurrent use, which the
# profile does not record; "no prior ketoconazole" (the word close before the drug) or
# "apixaban-naive" is history ("received" is not enough: "must not have received warfarin in
# the last week").
# A word of treatment history: with it, a cue of current use ("current or prior X") leaves
# the drug history (data/context.yaml `current`).
_HISTORY_WORD = re.compile(r"(?i)\b(?:prior(?!\s+to\b)|previous(?:ly)?|earlier|past|history|had|"
                           r"received|ever|formerly|pre-?treated|na[iï]ve|progress(?:ed|ion)|"
                           r"relapsed|refractory|resistant|failed|failure)\b")
# ... but not a verb whose object is the concurrent treatment itself ("had concurrent
# treatment with X", "received concomitant X"): that is current use still
_HISTORY_OF_CURRENT = re.compile(r"(?i)\b(?:had|received)\s+(?:any\s+)?(?:concurrent|concomitant|"
                                 r"simultaneous)\b")
@lru_cache(maxsize=1)
def _current_words() -> re.Pattern[str]:
    """The cue words of current use (data/context.yaml `current`), to find where a cue starts."""
    phrases = sorted((p for r in context_rules() if r.id == "current" for p in r.phrases),
                     key=len, reverse=True)
    return re.compile(r"(?i)\b(?:" + "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in phrases)
                      + r")\b")


def _near_current(before: str) -> str:
    """The words of a drug's clause from a little before its current-use cue on: a word of
    history there makes the cue history ("current or prior X"); one said of something else
    earlier in the clause does not ("patients with previously treated brain metastases must
    no longer be receiving steroids")."""
    cues = list(_current_words().finditer(before))
    if not cues:
        return before
    k = len(cues) - 1
    while k and cues[k].start() - cues[k - 1].end() <= 15:
        k -= 1  # ("currently receiving", "ongoing or concurrent"): one cue
    return before[max(0, cues[k].start() - 20):]


# "receiving X in the past": the words after the drug make the current-use cue history
_PAST_AFTER = re.compile(r"(?i)\s*(?:\([^()]{0,40}\)\s*)?(?:in\s+the\s+past|previously)\b")
_INLINE_BULLET = re.compile(r"\s-\s+(?=[A-Z][a-z])")


def _window_lead(ctx: Context, at: int) -> bool:
    """Whether the criterion opens with a time window before a colon that heads a list
    ("Use of these drugs within 14 days of day 1: X; Y; Z", "Wash-out before entry as
    follows; X 4 weeks; Y 6 weeks"): the window binds every item."""
    opener = _LIST_OPENER.search(ctx.text, ctx.start, at)
    return opener is not None and ";" not in ctx.text[ctx.start:opener.start()] \
        and has_window(ctx.text, ctx.start, opener.start())


_LIST_OPENER = re.compile(r"(?i):|\bas\s+follows\b")


# A criterion about treatment received in a time window, the window closing a list of
# treatments ("Treatment with other investigational drugs; chemotherapy or hormone therapy;
# participation in another study within the past 4 weeks"): the window binds every item
_RECEIPT_LEAD = re.compile(r"(?i)\W{0,6}(?:(?:concurrent|concomitant|recent|any)\s+)?(?:treatment|therapy|"
                           r"use|receipt|administration)\s+(?:with|of)\b")


def _window_tail(ctx: Context, at: int) -> bool:
    """Whether the criterion opens with the receipt of treatment and its last sentence sets a
    time window that the list before it leads up to."""
    if not _RECEIPT_LEAD.match(ctx.text, ctx.start, at):
        return False
    stop = _SENTENCE_END.search(ctx.text, at, ctx.end)
    end = stop.start() + 1 if stop else ctx.end
    return has_window(ctx.text, at, end)


# The end of a sentence inside a criterion: a full stop before a capital or a bracket.
_SENTENCE_END = re.compile(r"\.\s+(?=[A-Z(\[])")
_TIME_UNIT = re.compile(r"(?i)\b(?:days?|weeks?|months?|years?|half-?lives)\b")


# An upper bound of a count ("no more than two", "up to 3", "0 or 1"): zero may be allowed;
# or a rule of counting ("X counts as one line"), no requirement.
_AT_MOST = re.compile(r"(?i)\b(?:most|up\s+to|maximum|max|fewer|less|none|zero|0|"
                      r"limited|exceed\w*|maximal|considered|counted|counts?|any\s+number)\b|"
                      r"[≤<]|=<")
# ... unless what is bounded is a failure, which took one course at least: "must have
# failed no more than one prior course of X"
_FAILED_BOUND = re.compile(r"(?i)\b(?:failed|progressed\s+(?:on|after)|relapsed\s+after|"
                           r"refractory\s+to)\s+(?:(?:no|not)\s+more\s+than|at\s+most|up\s+to)\b")
# ... nor a count of what is planned or ongoing, nor of one drug among alternatives
_OR_WORD = re.compile(r"(?i)\b(?:or|and/or)\b")
_NOT_YET = re.compile(r"(?i)\b(?:scheduled|planned|appropriate|receiving|candidates?|eligible|"
                      r"either|stratum|cohort|arm|group|e\.?g|examples?|such\s+as|na[iï]ve|"
                      r"counted|for\s+patients|may|allowed|permitted|these\s+patients|"
                      r"(?:patients|subjects|participants|those)\s+(?:who\s+are|with)|"
                      r"duration|since|interval|wash-?out|last\s+(?:dose|therapy|treatment)|"
                      r"off\s+(?:previous|prior|earlier))\b")
_NO_WORD = re.compile(r"(?i)\b(?:not?|never|neither|nor|excluded|ineligible|without)\b")


# "at least four cycles of X (or Y)": a least amount of a treatment, so the treatment itself
# (a count or a dose of it)
# "at least 4 cycles of X" said of the patient: X was given ... (not "must receive", "be
# anticipated to complete at least 2 cycles of X": a plan; nor a term's definition,
# "refractory is defined as ... after at least two courses of X")
_AT_LEAST_COURSES = re.compile(r"(?i)\b(?:at\s+least|a\s+minimum\s+of|minimum(?:\s+of)?|>=?|≥)\s*"
                               r"(?:\d+|one|two|three|four|five|six|eight)\s+(?:complete\s+)?"
                               r"(?:cycles?|courses?)\s+of\s+(?:[\w-]+\s+){0,2}\Z")
_TO_BE_GIVEN = re.compile(r"(?i)\b(?:receive|complete|undergo|get|be\s+given|be\s+treated|"
                          r"will|plann?\w*|anticipat\w*|expect\w*|able|defined)\b")
_AT_LEAST_DOSE = re.compile(r"(?i)\b(?:at\s+least|a\s+minimum\s+of|minimum(?:\s+of)?|>=?|≥)\s*"
                            r"(?:\d+|one|two|three|four|five|six|eight)\s+(?:cycles?|courses?|"
                            r"doses?|infusions?|weeks?|months?)\s+of\s+(?:[\w-]+\s+(?:or|and/or)\s+)?"
                            r"(?:[\w-]+\s+){0,2}\Z")


_AT_LEAST_ONE_LINE = re.compile(
    r"(?i)\b(?:at\s+least\s+(?:one|1)|one\s+or\s+more|1\s+or\s+more|[≥>]=?\s*1|a\s+minimum\s+of\s+"
    r"(?:one|1))\s+(?:\(1\)\s+)?(?:prior\s+|previous\s+|earlier\s+)?(?:lines?|regimens?|courses?)\b"
    r"[^.;]{0,80}?\b(?:includ(?:ed|ing|es?)|contain(?:ed|ing|s)?|with)\b[^.;]{0,40}\Z")


def _count_needs_drug(m: Mention, ctx: Context) -> bool:
    """Whether a counted treatment is needed at least once: "failed first- and second-line
    X", "at least two earlier lines of X" in a requirement; not with an upper bound, a rule
    of counting, a plan, a subgroup or a washout near it, nor for one of alternatives."""
    if ctx.section != "inclusion" or not m.mods.isdisjoint(
            _NO_CONSTRAINT | {"negated", "excluded", "prospective"}):
        return False
    text, hi = ctx.text, min(ctx.end, m.end + 80)
    if _AT_LEAST_DOSE.search(text, max(ctx.start, m.start - 80), m.start) \
            or _AT_LEAST_ONE_LINE.search(text, max(ctx.start, m.start - 120), m.start):
        # "at least 4 cycles of A or B (and fewer than 10)", "at least one earlier line that
        # included A or B": A or B was given
        return True
    bounded = _NO_WORD.search(text, ctx.start, hi) or _AT_MOST.search(
        text, max(ctx.start, m.start - 80), hi)
    if bounded and not _FAILED_BOUND.search(text, max(ctx.start, m.start - 80), m.start) \
            or _NOT_YET.search(text, max(ctx.start, m.start - 200), hi) \
            or _OR_WORD.search(text, m.end, min(ctx.end, m.end + 60)):
        return False
    return not any(x is not m and x.label == "drug" and abs(x.start - m.start) < 60
                   and _OR_WORD.search(text, min(x.end, m.end), max(x.start, m.start))
                   for x in ctx.ms)


def _ruling_sentence(text: str, lo: int, hi: int, m: Mention) -> tuple[int, int]:
    """The span a time window must lie in to bind a negated or required drug: its own
    sentence when that sentence names a history with no time of its own ("... at least 4 weeks before entry.
    No previous oxaliplatin"), else lo..hi unchanged."""
    a, b = lo, hi
    for end in _SENTENCE_END.finditer(text, lo, hi):
        if end.end() <= m.start:
            a = end.end()
        elif end.start() >= m.end:
            b = end.start()
            break
    if (a, b) == (lo, hi) or not _HISTORY_WORD.search(text, a, m.start) \
            or _TIME_UNIT.search(text, a, b):
        return lo, hi
    return a, b


_MED_HISTORY = re.compile(r"(?i)\b(?:prior(?!\s+to\b)|previous(?:ly)?|earlier|history\s+of|exposure\s+"
                          r"to|exposed\s+to)\b")
# a list of medications that interact with the study drug ("CYP3A4 inhibitors such as
# ketoconazole", "P-gp inducers", "drugs that prolong the QT interval"): concurrent use
_INTERACTING = re.compile(r"(?i)\bCYP\s?\d|\bcytochrome\b|\bP-?gp\b|P-glycoprotein|\binducers?\b|"
                          r"\bQTc?\b|\binteract")


# A criterion that opens by naming the group it is for ("For crizotinib-naive patients:",
# "For patients after progression on an ALK inhibitor:"): a treatment named there says whom
# the rule after it binds, it is no requirement of every patient.
_FOR_SUBGROUP = re.compile(r"(?i)\W{0,4}for\s+(?:all\s+)?(?:(?:[\w/]+[\s\-]{1,2}){1,5}?(?:patients|"
                           r"subjects|participants)\b|(?:patients|subjects|participants)\s[^:\n]{0,90}:)")


# "Patients receiving X must be on a stable dose", "Subjects previously treated with X
# should ...": the drug names the group the sentence binds (its subject, before the
# sentence's modal), so the rule is for that group only, not a requirement of X
_TREATED_GROUP = re.compile(
    r"(?i)\W{0,6}(?:note\s*:\s*)?(?:all\s|any\s)?(?:(?:male|female|adult|paediatric|pediatric)\s{1,3})?"
    r"(?:patients?|subjects?|participants?|those|women|men)\s{1,3}"
    r"(?:(?:[\w-]+\s{1,3}){0,10}?(?:who|that)\s{1,3})?(?:(?:have|has|had|are|is|were|was)\s{1,3})?"
    r"(?:(?:been|previously|prior|currently|already|ever)\s{1,3}){0,3}"
    # ("Patients who failed first hormone therapy with X must ...": the group X was given to)
    r"(?:treated|receiving|received|taking|on|given|exposed|pre-?treated|failed|progressed)\b")
_GROUP_MODAL = re.compile(r"(?i)\b(?:must|should|need|needs|may|shall|have\s+to|has\s+to|"
                          r"are\s+required|is\s+required|do\s+not\s+have\s+to|"
                          r"does\s+not\s+have\s+to)\b")


# "... (participants with FL or MZL must have failed an anti-CD20 antibody)": a rule, past
# the start of its criterion, for the patients with some of the cancers the trial takes
# A tumour marker by which some cancers may show their disease ("measurable, or evaluable by
# a tumour marker (ovarian and prostate cancer)", "CA-125 progression in ovarian cancer"): the
# cancers after it are whom that way of measuring is for, not types the trial requires
_MARKER_FOR = re.compile(
    r"(?i)\b(?:tumou?r\s+(?:bio)?markers?|(?:bio)?markers?|CA[- ]?125|PSA|CEA|AFP|paraprotein|"
    r"M[- ]protein)\b[^;.:()]{0,50}?(?:\(\s*(?:for\s+|in\s+|only\s+)?|\b(?:in|for)\s+)"
    r"(?:(?:patients|subjects|participants|those)\s+with\s+)?(?:[\w-]+\s+){0,2}?\Z")
_CANCER_GROUP_RULE = re.compile(
    r"(?i)(?:[(;]|\.\s)\s*(?:all\s+)?(?:patients|participants|subjects|those)\s+with\s+"
    r"(?P<who>[^.;:()]{2,60}?)\s+(?:must|should|need\s+to|are\s+required\s+to|will\s+need\s+to)"
    r"\b[^.;()]*")


# A cancer alone in the bracket that closes a criterion on a treatment or a wait ("... since
# the last chemotherapy (for solid tumours)."): the group the criterion is for
_GROUP_BRACKET_BEFORE = re.compile(r"(?i)\(\s*(?:(?:for|in)\s+)?(?:(?:patients|subjects|those)\s+with\s+)?"
                                   r"(?:(?:advanced|metastatic)\s+)?\Z")
_GROUP_BRACKET_AFTER = re.compile(r"(?i)\s*(?:only|patients|subjects)?\s*\)\s*[.;]?\s*\Z")


def _cancer_subgroup(m: Mention, ctx: Context) -> bool:
    """Whether the mention is named in a rule for the patients with some cancers, written
    inside a criterion after its first words (see _CANCER_GROUP_RULE): a drug in what the
    rule asks, a cancer in whom it asks it of; or a cancer a tumour marker is for
    (_MARKER_FOR)."""
    if m.label == "cancer" and _MARKER_FOR.search(ctx.text, max(ctx.start, m.start - 80), m.start):
        return True
    if m.label == "cancer" and _GROUP_BRACKET_BEFORE.search(ctx.text, max(ctx.start, m.start - 30), m.start) \
            and _GROUP_BRACKET_AFTER.match(ctx.text, m.end, ctx.end) and not any(
                x.label == "cancer" and x is not m for x in ctx.ms) and (
                ctx.has_window or any(x.label == "drug" and x.end <= m.start for x in ctx.ms)):
        return True  # "21 days since earlier chemotherapy (solid tumours)": whom the wait is for
    for rule in _CANCER_GROUP_RULE.finditer(ctx.text, ctx.start, ctx.end):
        who = rule.start("who"), rule.end("who")
        if not any(x.label == "cancer" and who[0] <= x.start and x.end <= who[1]
                   for x in ctx.ms):
            continue
        if m.label == "cancer" and who[0] <= m.start and m.end <= who[1]:
            return True
        if m.label == "drug" and who[1] <= m.start and m.end <= rule.end():
            return True
    return False


def _treated_group(m: Mention, ctx: Context) -> bool:
    """Whether the drug is named in a rule for a treated group (see _TREATED_GROUP): in the
    subject of its sentence ("Patients receiving X") with a modal after it, again after the
    modal ("Patients receiving X must show progression after stopping X"; not another drug
    there: "Patients who received two regimens, which must include Y"), or in an item
    under such a rule."""
    if _TREATED_GROUP.match(ctx.heading) and _GROUP_MODAL.search(ctx.heading):
        return True
    lo = max(ctx.start, ctx.text.rfind(";", ctx.start, m.start) + 1,
             ctx.text.rfind(". ", ctx.start, m.start) + 1)
    if m.start - lo > 160:
        return False
    subject = _TREATED_GROUP.match(ctx.text, lo, m.start)
    if subject is None:
        return False
    modal = _GROUP_MODAL.search(ctx.text, lo, m.start)
    if modal is not None:
        return subject.end() <= modal.start() and any(
            x.label == "drug" and lo <= x.start and x.end <= modal.start()
            and x.data["concept"] == m.data["concept"] for x in ctx.ms)
    hi = min(ctx.end, m.end + 160)
    stop = [i for i in (ctx.text.find(";", m.end, hi), ctx.text.find(". ", m.end, hi)) if i >= 0]
    return _GROUP_MODAL.search(ctx.text, m.end, min(stop, default=hi)) is not None


_CONCOMITANT = "other_condition_drug"


def _ontology():  # -> Ontology (untyped, as at the call sites before)
    """The embedded ontology, imported when a finder first needs it (not when the parser
    module loads), for the drug-class look-ups below."""
    from trialmatch.ontology import default_ontology

    return default_ontology()


@lru_cache(maxsize=1)
def _other_medication() -> frozenset[str]:
    """Drugs and classes of medications for other conditions (class other_condition_drug
    of the ontology; see _MED_HISTORY)."""
    ont = _ontology()
    return frozenset(c for c in (*ont.drugs, *ont.drug_classes)
                     if _CONCOMITANT in ont.drug_concepts(c))


@lru_cache(maxsize=1)
def _class_ids() -> frozenset[str]:
    return frozenset(_ontology().drug_classes)


# A clause of a treatment list that begins with another verb or subject is no longer an item
# of the list ("Prior X; patients who ...", "Prior X; known HIV").
_NEW_CLAUSE = re.compile(r"(?i)\s*[-*•]|.*\b(?:patients?|subjects?|participants?|known|history|"
                         r"active|current|concurrent|concomitant|ongoing|use\s+of|must|should|"
                         r"has|have|had|is|are|will|within)\b", re.S)


def _listed_after_prior(m: Mention, ctx: Context) -> bool:
    """"Prior therapy with A; any B or C; D": a criterion that opens with a treatment history
    and lists its items with ";" carries that history to every item."""
    first = ctx.text.find(";", ctx.start, m.start)
    if first < 0 or not _PRIOR.search(ctx.text, ctx.start, first):
        return False
    if SENTENCE_BREAK.search(ctx.text, ctx.start, m.start):
        return False  # the list is one sentence: "X can be used. Y is ...; however, Y ..."
    own = ctx.text.rfind(";", ctx.start, m.start) + 1
    return not _NEW_CLAUSE.match(ctx.text, own, m.start)


# Between a cancer type and a drug it came after: "metastatic CRPC after abiraterone or ",
# "HCC following sorafenib", "(stage IV) after an anthracycline"
_DISEASE_THEN_AFTER = re.compile(r"(?i)\s*(?:\([^()]{0,40}\)\s*)?,?\s*(?:after|following)\s+"
                                 r"(?:(?:an?|the|prior|previous)\s+)?(?:[\w/-]+\s*(?:,|or|and|"
                                 r"and/or|,\s*and|,\s*or)\s+(?:(?:an?|the)\s+)?){0,4}\Z")


def _after_disease(m: Mention, ctx: Context) -> bool:
    """"metastatic CRPC after abiraterone or enzalutamide": the cancer came after the drug,
    so the drug was given (not "post-X", which also times other things: "post-chemotherapy
    neuropathy", "6 weeks post X")."""
    return any(x.label == "cancer" and x.end <= m.start
               and _DISEASE_THEN_AFTER.fullmatch(ctx.text, x.end, m.start) for x in ctx.ms)


# "History of gemcitabine (treatment)": the treatment history, right before the drug.
_HISTORY_OF = re.compile(r"(?i)\bhistory\s+of\s+(?:(?:an?|any|the)\s+)?\Z")
# ... where the drug is the treatment itself, not the cause of an event ("history of
# heparin-induced thrombocytopenia")
_TREATMENT_END = re.compile(r"(?i)(?:\s+(?:treatment|therapy|use|exposure|administration|"
                            r"regimens?|chemotherapy))?\s*(?:[,.;:()]|\bfor\b|\Z)")


# A word for any anticancer treatment that only carries the drug named after it: "systemic
# treatment with a VEGF inhibitor", "a chemotherapy regimen containing X" are about the drug.
_CARRIES = re.compile(r"(?i)\s*(?:(?:regimens?|treatments?|therapy|therapies|combinations?)\s+)?"
                      r"(?:with(?!\s+or\b)|using|containing|comprising|based\s+on|"
                      r"consisting\s+of|made\s+up\s+of)\s+"
                      r"(?:an?\s+|the\s+|any\s+)?")
# ... and the broad kinds of treatment that do the same ("chemotherapy with 5-FU or
# irinotecan" is about 5-FU and irinotecan)
_CARRIER_CLASSES = frozenset({ANY_TREATMENT, "chemotherapy", "immunotherapy",
                              "targeted_therapy", "endocrine_therapy"})


# "docetaxel-based chemotherapy", "cisplatin-containing regimen": the class after a named drug
# and "-based" only says what kind of treatment the drug is given in.
_BASED = re.compile(r"(?i)[\s\-–]*(?:based|containing|including|combination)[\s\-–]+\Z")


# "anthracycline chemotherapy", "cisplatin chemotherapy": a narrower class or a drug of the
# class written right before it is the one treatment named, the class only its kind.
_JOINED = re.compile(r"[\s\-–]*\Z")


def _qualified_class(m: Mention, ctx: Context) -> bool:
    lo = max(ctx.start, m.start - 20)
    based = _BASED.search(ctx.text, lo, m.start)
    if based is not None and any(x.label == "drug" and x.end == based.start() for x in ctx.ms):
        return True
    concept = m.data["concept"]
    if concept not in _class_ids():
        return False
    kinds = _ontology().drug_concepts
    joined = _JOINED.search(ctx.text, lo, m.start)
    return joined is not None and any(
        x.label == "drug" and x.end == joined.start() and x.data["concept"] != concept
        and concept in kinds(x.data["concept"]) for x in ctx.ms)


# "sirolimus analogues", "platinum derivatives": the drug and those like it, its class
_ANALOGUES = re.compile(r"(?i)[\s\-–]*(?:analog(?:ue)?s?|derivatives?|congeners?|"
                        r"-?like\s+(?:agents?|drugs?|compounds?))\b")


_INDUCTION_BEFORE = re.compile(r"(?i)\b(?:induction|re-?induction)[\s-]+\Z")


def _analogues(m: Mention, ctx: Context) -> str:
    """The concept a drug mention names: the drug, or its class when the text speaks of the
    drug's analogues (a drug of one class only; a class stays itself)."""
    concept: str = m.data["concept"]
    if concept == "chemotherapy" and ctx.section == "inclusion" \
            and m.mods.isdisjoint({"negated", "excluded"}) \
            and _INDUCTION_BEFORE.search(ctx.text, max(ctx.start, m.start - 20), m.start):
        # "induction chemotherapy" required: whatever systemic regimen induced the remission
        # (in myeloma bortezomib, lenalidomide and dexamethasone; not a ruled-out one)
        return ANY_TREATMENT
    if not _ANALOGUES.match(ctx.text, m.end, ctx.end):
        return concept
    row = _ontology().drugs.get(concept)
    classes = list(row["classes"]) if row is not None else []
    return classes[0] if len(classes) == 1 else concept


def _carrier(m: Mention, ctx: Context) -> bool:
    if _qualified_class(m, ctx):
        return True
    if m.data.get("concept") not in _CARRIER_CLASSES:
        return False
    after = _CARRIES.match(ctx.text, m.end, ctx.end)
    return after is not None and any(x.label == "drug" and 0 <= x.start - after.end() <= 40
                                     for x in ctx.ms)


# "any other ALK inhibitor in addition to crizotinib": the drugs after the class that it
# adds to, which the "other" class does not count
_IN_ADDITION_TO = re.compile(r"(?i)\s*(?:\([^()]{0,40}\)\s*)?(?:in\s+addition\s+to|besides|beyond)"
                             r"\s+(?:(?:the|prior|previous|earlier)\s+)?(?:[\w-]+(?:\s*,\s*|\s+(?:or|and)\s+))*\Z")


def _in_addition_to(cls: Mention, m: Mention, ctx: Context) -> bool:
    """Whether drug `m` is named after "other <cls> in addition to"."""
    return cls.end <= m.start and m.start - cls.end < 80 \
        and _OTHER_BEFORE.search(ctx.text, max(ctx.start, cls.start - 20), cls.start) is not None \
        and _IN_ADDITION_TO.fullmatch(ctx.text, cls.end, m.start) is not None


# A number glued to an abbreviation by a hyphen makes a code name ("CPI-613", "AI-10")
_CODE_NAME_AFTER = re.compile(r"-?\d")


# A drug named as the time something else happens ("avoid aspirin while receiving X",
# "no live vaccines during treatment with X"): the study treatment, no history; unless the
# disease's course is the subject ("progression while receiving X": a response to X)
_WHILE_ON = re.compile(r"(?i)\b(?:while\s+(?:receiving|on|taking|being\s+treated\s+with)|during\s+"
                       r"(?:the\s+)?(?:treatment|therapy|administration)\s+(?:with|of))\s+(?:the\s+)?$")
_COURSE_WORD = re.compile(r"(?i)\b(?:progress\w*|relaps\w*|recurr\w*|respon\w*|refractory|"
                          r"resistan\w*|fail\w*|intoleran\w*|toxicit\w*|stable|worsen\w*)")


# After a drug, words that say what it does (the reason for a rule about the study drug), not
# that a patient had it: "X has been shown to ...", "X is known to ...", "X may cause ..."
_SAID_OF_DRUG = re.compile(
    r"(?i)\s*(?:\([^()]{1,30}\)\s*)?(?:has|have)\s+been\s+(?:shown|reported|found|associated)"
    r"|\s*(?:\([^()]{1,30}\)\s*)?(?:is|are)\s+(?:known|expected|likely|thought)\s+to\b"
    r"|\s*(?:\([^()]{1,30}\)\s*)?(?:may|can|could|might)\s+(?:cause|harm|be\s+harmful|"
    r"terminate|affect|interfere)\b")


# Before a drug, words of its pharmacology: "the activity or PK of X", "levels of X", "interact
# with X" (a rule about other medications and the study drug, not a treatment history)
_DRUG_ACTED_ON = re.compile(
    r"(?i)\b(?:activity|PK|pharmacokinetics?|metabolism|levels?|concentrations?|exposure|"
    r"absorption|clearance|effects?)\s+(?:(?:or|and|/)\s+[\w-]+\s+)?of\s+(?:the\s+)?\Z"
    r"|\binteract(?:s|ing)?\s+with\s+(?:the\s+)?\Z")


# Supportive medications that regimens of anticancer drugs also hold (the prednisone of
# R-CHOP, the dexamethasone of myeloma regimens): ruled out with no word of the past, a rule
# on what the patient takes now, not on the treatment history
_SUPPORTIVE = frozenset({"corticosteroid"})


# Before a drug, the start of the study's treatment with it ("stable for 4 weeks before the
# first treatment with X", "prior to starting therapy with X"): a point in time, no history
_FIRST_STUDY_DOSE = re.compile(
    r"(?i)\b(?:the\s+)?(?:first|initial|start\s+of|initiation\s+of|starting|beginning)\s+"
    r"(?:the\s+)?(?:study\s+)?(?:treatment|dose|dosing|administration|therapy|course|cycle)\s+"
    r"(?:with|of)\s+(?:the\s+)?(?:study\s+drug\s+)?\Z"
    # ("no growth factors for 14 days prior to X": the drug that sets the time is to come)
    r"|\b\d+\s+(?:days?|weeks?|hours?)\s+(?:prior\s+to|before)\s+(?:starting\s+)?\Z")


def _drug(m: Mention, ctx: Context) -> Node | None:
    if "state" in m.data:
        return state_node(m, ctx)  # "previously treated", "treatment-naive": no drug named
    if _CODE_NAME_AFTER.match(ctx.text, m.end) and ctx.text[m.start:m.end].isupper():
        return None  # "CPI-613": the code name of another drug, not the abbreviated class
    if any(x.label == "drug" and x.data["concept"] in _class_ids() and _in_addition_to(x, m, ctx)
           for x in ctx.ms):
        return None  # the drug an "other" class adds to (see _in_addition_to)
    if _carrier(m, ctx) or _example_of_setting(m, ctx):
        return None  # (or "no treatment for metastatic disease, including X": an example)
    if _SAID_OF_DRUG.match(ctx.text, m.end, ctx.end):
        return None  # "X has been shown to harm a fetus": what the drug does, no history
    if _DRUG_ACTED_ON.search(ctx.text, max(ctx.start, m.start - 60), m.start):
        return None  # "medications that affect the metabolism of X": an interaction rule
    if _FIRST_STUDY_DOSE.search(ctx.text, max(ctx.start, m.start - 60), m.start):
        return None  # "4 weeks before the first treatment with X": the study's own start
    floor = max(ctx.start, m.start - 160)
    clause_start = max(floor, ctx.text.rfind(";", floor, m.start) + 1,
                       *(s.end() for s in SENTENCE_BREAK.finditer(ctx.text, floor, m.start + 1)))
    before = ctx.text[clause_start:m.start]
    after = ctx.text[m.end:min(ctx.end, m.end + 25)]
    if _WHILE_ON.search(before) and not _COURSE_WORD.search(before):
        return None  # "avoid NSAIDs while receiving X": the time of the study treatment
    response = _STATE_AFTER.match(after)
    if not (_PRIOR.search(before) or _COMPLETED.search(before[-80:])
            or (_AT_LEAST_COURSES.search(before[-80:]) and not _TO_BE_GIVEN.search(before))
            or (
            _HISTORY_OF.search(before) and _TREATMENT_END.match(
            ctx.text, m.end, ctx.end)) or response is not None
            or _listed_after_prior(m, ctx) or _after_disease(m, ctx)
            or (ctx.end - ctx.start <= 160 and prior_heading(ctx.heading))):
        return None
    ruled_out = ctx.section == "exclusion" or not m.mods.isdisjoint({"negated", "excluded"})
    if m.data.get("code") and not ruled_out:
        return None  # a drug known only by its code, required: the profile may name it otherwise
    if ruled_out and ((response is not None and _RESPONSE.search(response.group()))
                      or _RESPONSE_BEFORE.search(before)
                      or _RESPONSE_AFTER.match(ctx.text, m.end, ctx.end)):
        # "platinum-refractory disease", "metastases that have not responded to X" ruled
        # out: how the disease answered X, not whether X was given (a patient who had X and
        # responded is welcome)
        end = m.end + (response.end() if response is not None else 0)
        return Unparsed(ctx.text[m.start:end], reason="a response to an earlier treatment",
                        prov=ctx.prov(m.start, end, "context.response"))
    if ruled_out and m.data["concept"] in _SUPPORTIVE and "current" not in m.mods \
            and not _HISTORY_WORD.search(before) and not has_window(ctx.text, clause_start, m.start):
        # "Treatment with oral corticosteroids" ruled out: the medication a patient is on
        # (the prednisone of an earlier chemotherapy regimen does not exclude): the whole
        # criterion goes to manual review
        return None
    sub = _FOR_SUBGROUP.match(ctx.text, ctx.start, ctx.end)
    if sub is not None and m.end <= sub.end():
        return None  # "For crizotinib-naive patients:": the drug names a subgroup
    if ctx.section == "inclusion" and _treated_group(m, ctx):
        return None  # "Patients receiving X must ...": a rule for the treated group only
    if ctx.section == "inclusion" and _TREATED_GROUP_AFTER.match(ctx.text, m.end, ctx.end):
        # "cetuximab or panitumumab for patients with RAS wild-type tumours": required of
        # that group only
        return Unparsed(ctx.text[m.start:m.end], reason="a rule for the patients of one group",
                        prov=ctx.prov(m.start, m.end, "context.subgroup"))
    if ctx.section == "inclusion" and _cancer_subgroup(m, ctx):
        return Unparsed(ctx.text[m.start:m.end], reason="a rule for the patients with one "
                        "of the cancers", prov=ctx.prov(m.start, m.end, "context.subgroup"))
    if m.data["concept"] in _other_medication() and (
            _INTERACTING.search(ctx.text, ctx.start, ctx.end)
            or not (_MED_HISTORY.search(before[-50:]) or re.match(r"(?i)\s*-?\s*na[iï]ve", after))):
        return None
    lo = _clause_start(ctx, m.start)
    if _REPRODUCTION.search(ctx.text, max(ctx.start, m.start - 300), min(ctx.end, m.end + 40)):
        # "contraception ... until 4 months after the last dose of X": the study drug, in a
        # rule about pregnancy, is no treatment history
        return None
    if _PURPOSE_BEFORE.search(ctx.text, max(ctx.start, m.start - 60), m.start):
        return None  # "(growth factors not permitted for) allowing treatment with X": a purpose
    if _STUDY_DOSE.search(ctx.text, max(ctx.start, m.start - 40), m.start):
        # "... until 6 months after the last rituximab dose", "after discontinuation of X":
        # the dosing of the study's drug, no treatment history
        return None
    if ctx.has_window:
        # a time window ("within 4 weeks") binds the clause it is in, not the other clauses
        # of a criterion listing treatments with ";"; nor does it bind a sentence of its own
        # that rules a treatment out ("... 4 weeks before entry. No earlier oxaliplatin")
        hi = ctx.text.find(";", m.end, ctx.end)
        hi = ctx.end if hi < 0 else hi
        for bullet in _INLINE_BULLET.finditer(ctx.text, lo, m.start):
            lo = bullet.end()  # "... 4 weeks from the last trial - Previous X": a new item
        if "negated" in m.mods:
            lo, hi = _ruling_sentence(ctx.text, lo, hi, m)
        elif ctx.section == "inclusion" and m.mods.isdisjoint({"excluded", "permission"}):
            # a required history too: "Prior X. Stop X 6 weeks before entry." (not when its
            # sentence says no: "Prior X ... is not allowed. Adjuvant X ... 6 months ago")
            a, b = _ruling_sentence(ctx.text, lo, hi, m)
            if not _NO_WORD.search(ctx.text, a, b):
                lo, hi = a, b
        if _window_outside_exceptions(ctx.text, lo, hi, m.end) or _window_lead(ctx, m.start) \
                or _window_tail(ctx, m.start):
            return None
    if "current" in m.mods and not _HISTORY_WORD.search(_HISTORY_OF_CURRENT.sub(" ", _near_current(before))) \
            and not _PAST_AFTER.match(ctx.text, m.end, ctx.end) and (
            ctx.section == "exclusion" or not m.mods.isdisjoint({"negated", "excluded"})
            or _no_before(_NOT_LIMITED.sub(" ", before[-60:])[-40:])):  # ("no longer receiving")
        # "current use of corticosteroids" ruled out: ongoing medication, not treatment
        # history; a course on the profile may be over, so the item needs manual review
        return Unparsed(ctx.text[m.start:m.end], reason="current use of a medication",
                        prov=ctx.prov(m.start, m.end, "context.current"))
    if _OTHER_BEFORE.search(ctx.text, max(ctx.start, m.start - 20), m.start) \
            and m.data["concept"] in _class_ids():
        # "crizotinib is allowed (all other ALK inhibitors are excluded)": the class without
        # the drugs allowed before it
        named = tuple(dict.fromkeys(
            x.data["concept"] for x in ctx.ms if x.label == "drug" and (
                x.end <= m.start and m.start - x.end < 160
                and not x.mods.isdisjoint({"permission", "exception"})
                or _in_addition_to(m, x, ctx))
            and x.data["concept"] not in _class_ids()))
        if named:
            node = PriorTherapy(m.data["concept"], named, prov=ctx.prov(m.start, m.end, m.source))
            negated = _negated_drug(m, ctx)
            return Not(node, prov=node.prov) if negated else node
    spared = [x.data["concept"] for x in ctx.ms if x.label == "drug" and x.start > m.end
              and "exception" in x.mods and x.start - m.end < 120]
    if "carved" in m.mods and spared and m.mods.isdisjoint({"prospective", "count"}) \
            and m.data["concept"] not in spared \
            and not SETTING_AFTER.match(ctx.text, m.end, min(ctx.end, m.end + 120)):
        # (not "X (except adjuvant X ...)": the exception is a setting of X itself)
        # "an ALK inhibitor other than crizotinib": the class, the named drugs not counting
        # (nor those the criterion allows elsewhere)
        node = _sparing(PriorTherapy(m.data["concept"], tuple(spared),
                                     prov=ctx.prov(m.start, m.end, m.source)), m, ctx)
        negated = _negated_drug(m, ctx)
        return Not(node, prov=node.prov) if negated else node
    carved = "carved" in m.mods and not (not spared and _NON_DRUG_EXCEPTION.match(
        ctx.text, m.end, min(ctx.end, m.end + 160)))  # "(other than surgery)": no drug spared
    if carved or (m.data["concept"] in _GENERIC_CLASSES and (
            _target_before(m, ctx) or _QUALIFIER_GLUED.search(ctx.text, max(0, m.start - 4),
                                                              m.start))) \
            or _QUALIFIED_AFTER.match(ctx.text, m.end, ctx.end):
        return Unparsed(ctx.text[m.start:m.end], reason="a qualified treatment (with "
                        "exceptions, or one generation or kind of a class)",
                        prov=ctx.prov(m.start, m.end, "context.carved"))
    if "dose" in m.mods:
        return Unparsed(ctx.text[m.start:m.end], reason="how much or how long a treatment was given",
                        prov=ctx.prov(m.start, m.end, "context.dose"))
    if "site" in m.mods:
        # (negated as the treatment would be: "no A, pelvic radiotherapy or B" rules out A
        # and B whatever the review finds)
        site = Unparsed(ctx.text[m.start:m.end], reason="a treatment qualified by its site, "
                        "lesion, timing or effects", prov=ctx.prov(m.start, m.end, "context.site"))
        return Not(site, prov=site.prov) if _negated_drug(m, ctx) else site
    if "count" in m.mods:
        count = Unparsed(ctx.text[m.start:m.end], reason="a number of prior treatments",
                         prov=ctx.prov(m.start, m.end, "context.count"))
        if _count_needs_drug(m, ctx):
            return All((PriorTherapy(m.data["concept"], prov=count.prov), count),
                       prov=count.prov)
        return count
    if (SETTING_AFTER.match(ctx.text, m.end, min(ctx.end, m.end + 200))
            or _SETTING_BEFORE.search(ctx.text, max(ctx.start, m.start - 40), m.start)
            or _SETTING_OPEN.match(ctx.text, m.start, m.end)
            or _setting_waiver(m, ctx)) and (
            ctx.section == "exclusion" or not m.mods.isdisjoint({"negated", "excluded"})
            or _NO_PRIOR.search(before[-40:])):
        # "no prior chemotherapy for metastatic disease", "no prior chemotherapy (adjuvant
        # chemotherapy allowed)": the profile holds no treatment setting, so an earlier
        # (adjuvant) course neither meets nor breaks it
        return Unparsed(ctx.text[m.start:m.end], reason="a prior treatment in one disease "
                        "setting", prov=ctx.prov(m.start, m.end, "context.setting"))
    if ctx.section == "inclusion" and m.mods.isdisjoint({"negated", "excluded"}) \
            and _UNTREATED_ALTERNATIVE.match(ctx.text, m.end, ctx.end):
        # "prior sunitinib, or be unable to receive it": a patient never given the drug may
        # qualify by the other branch, which the profile cannot tell
        return Unparsed(ctx.text[m.start:m.end], reason="a treatment or a reason it was not "
                        "given", prov=ctx.prov(m.start, m.end, "context.untreated"))
    node = PriorTherapy(_analogues(m, ctx), prov=ctx.prov(m.start, m.end, m.source))
    if ctx.section == "exclusion" and (spared_types := _unless_for(m, ctx)):
        # "prior X (unless for treatment of A or B)": X rules out the patients of other cancers
        prov = ctx.prov(m.start, m.end, "context.unless_for")
        return All((node, Not(AnyOf(tuple(Diagnosis(c, prov=prov) for c in spared_types),
                                    prov=prov) if len(spared_types) > 1
                              else Diagnosis(spared_types[0], prov=prov), prov=prov)), prov=prov)
    if ctx.section == "exclusion" and _must_not(m, ctx):
        return _sparing(node, m, ctx)  # "Patient must not have had X" listed as an exclusion
    if "excluded" in m.mods and ctx.section != "exclusion":
        return Not(_sparing(node, m, ctx), prov=ctx.prov(m.start, m.end, "context.negation"))
    if "negated" in m.mods or _no_before(_NOT_LIMITED.sub(" ", before[-60:])[-40:]) or re.match(
            r"(?i)\s*-?\s*na[iï]ve", after):
        if ctx.section == "exclusion":
            return Not(node, prov=ctx.prov(m.start, m.end, "context.negation"))
        return Not(_sparing(node, m, ctx), prov=ctx.prov(m.start, m.end, "context.negation"))
    return _sparing(node, m, ctx) if ctx.section == "exclusion" else node


# Between a treatment limited to a setting and the examples of it ("... for metastatic disease,
# including X, Y")
_BRACKET_EXAMPLE = re.compile(r"(?i)\s*\((?:\s*(?:e\.\s?g\.|eg|such\s+as|including|for\s+example|"
                              r"i\.\s?e\.)[\s,:]*)?[^()]*\Z")
_EXAMPLE_CUE = re.compile(r"(?i)[^;.]{0,20}?\b(?:including|such\s+as|e\.\s?g\.|for\s+example)[^;]*\Z")


def _example_of_setting(m: Mention, ctx: Context) -> bool:
    """Whether a drug is named as an example of an earlier treatment of the clause that is
    limited to one disease setting ("no treatment for metastatic disease, including
    chemotherapy or an anti-VEGF antibody"): the example is in that setting too, for manual
    review with it, not a treatment ruled out in every setting."""
    for x in ctx.ms:
        if x.label != "drug" or x.end > m.start or m.start - x.end > 160:
            continue
        setting = SETTING_AFTER.match(ctx.text, x.end, min(ctx.end, x.end + 200))
        if setting is not None and (
                setting.end() <= m.start and _EXAMPLE_CUE.match(ctx.text, setting.end(), m.start)
                # "systemic therapy (e.g. X, Y) for metastatic disease"
                or m.start < setting.end() and _BRACKET_EXAMPLE.match(ctx.text, x.end, m.start)):
            return True
    return False


# "no prior adjuvant chemotherapy", "no (neo)adjuvant systemic therapy": the setting written
# before the treatment
_SETTING_WORD = r"(?:\(neo\)-?|\bneo-?|\b)(?:adjuvant|perioperative|palliative)\b"
_SETTING_BEFORE = re.compile(rf"(?i){_SETTING_WORD}\s{{1,3}}"
                             r"(?:(?:systemic|cytotoxic|combination)\s{1,3})?\Z")
_SETTING_OPEN = re.compile(rf"(?i){_SETTING_WORD}")  # (the word opens the treatment's name)
# "(adjuvant therapy is permitted)", "; neoadjuvant or adjuvant treatment is allowed": a
# permission of the treatment given around surgery, in words that name no drug
# (or in another setting a list of treatments cannot tell apart: "palliative radiotherapy
# is allowed", "intra-operative radiotherapy will be permitted")
_ADJUVANT_ALLOWED = re.compile(
    r"(?i)[\s\S]{0,100}?\b(?:(?:neo-?)?adjuvant|intra-?operative|peri-?operative|palliative)\b"
    r"(?:(?!\bnot\b|\bno\b)[^.;]){0,80}?\b(?:is|are)?\s*"
    r"(?:allowed|permitted|acceptable|eligible)\b")


def _setting_waiver(m: Mention, ctx: Context) -> bool:
    """Whether a ruled-out treatment is then allowed in the adjuvant or neoadjuvant setting
    ("no prior chemotherapy (adjuvant chemotherapy allowed)", "prior systemic therapy;
    adjuvant treatment is permitted"): what stays ruled out is treatment in other settings,
    which a list of drugs cannot tell apart. A waiver that names a treatment counts when it
    is the ruled-out one, a kind of it or a class of it."""
    waiver = _ADJUVANT_ALLOWED.match(ctx.text, m.end, min(ctx.end, m.end + 200))
    if waiver is None:
        return False
    concepts = _ontology().drug_concepts
    mine = concepts(m.data["concept"])
    named = [x.data["concept"] for x in ctx.ms if x.label == "drug"
             and m.end < x.start < waiver.end() and "permission" in x.mods]
    return not named or any(m.data["concept"] in concepts(x) or x in mine for x in named)


# A required treatment's alternative that needs no treatment, later in its clause: "..., or
# be unable to receive it", "or who declined it", "or ineligible for it" (not "intolerant",
# which says the drug was given)
_UNTREATED_ALTERNATIVE = re.compile(
    r"(?i)[^;.]{0,160}?(?:\bor|;(?:\s*or\b)?)\s+(?:(?:be|are|is|was|were|have\s+been|has\s+been|who\s+(?:are|is|"
    r"were|was|have|has)|(?:patients?|subjects?)\s+who\s+(?:are|were|have|has))\s+)?(?:considered\s+)?"
    r"(?:unable\s+to|ineligible|unfit|unsuitable|not\s+(?:a\s+)?(?:candidates?|eligible|suitable|fit|"
    r"able)|refused?|declined?|contraindicat\w*|(?:have|has)\s+(?:a\s+)?contraindications?"
    # (the same in nouns: "or lack of candidacy for standard therapy", "or refusal of it")
    r"|(?:(?:a\s+)?lack|absence)\s+of\s+(?:candidacy|eligibility|suitability)|ineligibility|"
    r"unsuitability|unfitness|refusal|inability\s+to)\b"
    # "X unless contraindicated", "unless the patient was not a candidate for them": a
    # patient never given X may qualify
    r"|[^;.]{0,160}?\bunless\b[^;.]{0,80}?\b(?:contraindicat\w*|medically\s+inappropriate|"
    r"not\s+(?:an?\s+)?(?:candidates?|eligible|suitable|appropriate|indicated|fit)|ineligible|unfit|"
    r"unsuitable|refused?|declined?)\b"
    # "... or for which no standard therapy exists", "or whose disease has no approved
    # treatment", "or when standard therapy is not available"
    r"|[^;.]{0,80}?\bor\s+(?:(?:for|in)\s+(?:which|whom)|where|when|if|whom|who(?:se)?|there|"
    r"(?:patients?|subjects?)\s+(?:for\s+whom|who|with|whose)|have|has|with)\b[^;.]{0,40}?\b(?:no\s+(?:[\w-]+\s+){0,4}(?:therap(?:y|ies)|"
    r"treatments?|options?|care|regimens?)\b|(?:therap(?:y|ies)|treatments?|options?|care)\s+"
    r"(?:(?:is|are)\s+not\s+(?:available|indicated|appropriate)|(?:does|do)\s+not\s+exist))")


# "(unless for treatment of", "except when given for", "unless used for the treatment of"
_UNLESS_FOR = re.compile(r"(?i)\s*[(,]?\s*(?:unless|except)\s+(?:(?:when|if)\s+)?(?:(?:it\s+was\s+|they\s+were\s+)?"
                         r"(?:given|used|administered|received)\s+)?(?:for|in)\s+(?:the\s+)?"
                         r"(?:treatment\s+of\s+)?")


# "allowing treatment with X", "to permit dosing of X": what something is done for, no history
_PURPOSE_BEFORE = re.compile(r"(?i)\b(?:allow(?:ing|s)?|permit(?:ting|s)?|enabl(?:e|es|ing))\s+(?:the\s+)?"
                             r"(?:treatment|therapy|dosing|administration|continuation|re-?treatment)\s+"
                             r"(?:with|of|by)\s+(?:the\s+)?\Z")


# the group a required treatment is for, right after it ("... or panitumumab for patients
# with RAS wild-type tumours", "..., only in subjects who ...")
_TREATED_GROUP_AFTER = re.compile(r"(?i)(?:,?[ \t\n]{1,20}[\w-]{1,30}\b){0,4}?,?[ \t\n]{1,20}(?:only[ \t\n]{1,3})?"
                                  r"(?:for|in)[ \t\n]{1,3}(?:the[ \t\n]{1,3})?(?:patients|subjects|participants|those)"
                                  r"[ \t\n]{1,3}(?:with|who|whose)\b")


def _unless_for(m: Mention, ctx: Context) -> tuple[str, ...]:
    """The cancer types right after a drug's "unless for treatment of" (_UNLESS_FOR): the
    patients of those cancers may have had the drug; () when the words do not follow."""
    found = _UNLESS_FOR.match(ctx.text, m.end, ctx.end)
    if found is None:
        return ()
    codes: list[str] = []
    pos = found.end()
    for x in sorted((x for x in ctx.ms if x.label == "cancer" and x.start >= pos), key=lambda x: x.start):
        if not _LIST_GAP.fullmatch(ctx.text, pos, x.start):
            break
        codes.append(x.data["code"])
        pos = x.end
    return tuple(dict.fromkeys(codes))


_LIST_GAP = re.compile(r"(?i)\s*(?:,\s*)?(?:(?:or|and|and/or)\s+)?")


def _sparing(node: PriorTherapy, m: Mention, ctx: Context) -> PriorTherapy:
    """A drug class the criterion rules out, without the drugs or narrower classes of it
    that the criterion allows, after the class or before it ("earlier MEK inhibitors; earlier
    binimetinib is allowed", "... Patients given binimetinib are eligible", "bevacizumab is
    allowed, but no other anti-VEGF drug", "hydroxyurea is allowed. No prior chemotherapy"):
    a trial cannot allow and rule out one drug, so those are carved out of the class
    (`excluding`, besides the exceptions it already holds), and a patient who had only them
    is not ruled out."""
    if m.data["concept"] not in _class_ids():
        return node
    concepts = _ontology().drug_concepts
    spared = tuple(dict.fromkeys(
        x.data["concept"] for x in ctx.ms if x.label == "drug"
        and (x.start > m.end or x.end < m.start) and "permission" in x.mods
        and x.data["concept"] != m.data["concept"]
        and m.data["concept"] in concepts(x.data["concept"])))
    if not spared:
        return node
    return PriorTherapy(node.concept, tuple(dict.fromkeys(node.excluding + spared)),
                        prov=node.prov)


# A list heading that announces earlier treatments ("Any of the following prior therapies:",
# "Previous treatment with:"): its short items name treatment history without a word of their
# own ("- Pemetrexed"); so does one that ends "... any of the following:" after a treatment
# word ("Prior therapy with any of the following:"). Not a heading of concurrent treatment
# ("Prior/concurrent therapy:"), nor a time ("Prior to enrolment, all of the following:").
_PRIOR_HEADING = re.compile(r"(?i)(?!.*\b(?:concurrent|concomitant|current|ongoing|within|since|"
                            r"allowed|permitted)\b)(?:[^:\n]{0,60}\b(?:prior|previous|earlier)\b"
                            r"(?!\s+to\b)[^:\n]{0,40}\b(?:therap(?:y|ies)|treatments?|agents?|drugs?|"
                            r"regimens?|with|(?:therap\w*|treatments?|interventions?|exposures?)\b"
                            r"[^:\n]{0,30}\bfollowing)"
                            # ("Has received any of the following medications in the past:")
                            r"|[^:\n]{0,30}\b(?:received|been\s+treated\s+with|been\s+given)\s+any\s+of\s+"
                            r"the\s+following\b[^:\n]{0,50}?\b(?:in\s+the\s+past|previously|before|ever)"
                            r"|[^:\n]{0,30}\b(?:ever|previously)\s+(?:received|been\s+treated\s+with)\s+any\s+of\s+"
                            r"the\s+following\b[^:\n]{0,50}?)\s*[:：]\s*", re.S)


def prior_heading(text: str) -> bool:
    """Whether a list heading (its last sentence) announces earlier treatments (see
    _PRIOR_HEADING)."""
    last = SENTENCE_BREAK.split(text.strip())[-1]
    return _PRIOR_HEADING.fullmatch(" ".join(last.split())) is not None


# A relative clause on what a drug acts on: the gene after it is the drug's target, not a
# finding of the patient, and the drug class is narrowed to the drugs that do so.
_ACTS_ON = (r"(?:that|which)\s+(?:can\s+|could\s+|may\s+|will\s+|also\s+)?(?:\w+ly\s+)?"
            r"(?:inhibits?|targets?|blocks?|binds?(?:\s+to)?|acts?\s+(?:on|against))\s+")
_DRUG_TARGET = re.compile(r"(?i)\b" + _ACTS_ON + r"(?:the\s+)?(?:[\w-]+\s+){0,2}\Z")
_QUALIFIED_AFTER = re.compile(r"(?i)\s*(?:\([^()]{0,120}\)\s*)?,?\s*(?:" + _ACTS_ON +
                              r"|(?:specifically\s+)?(?:targeting|directed\s+(?:at|against|to)|"
                              r"aimed\s+at)\s)")


_BOTH_SEXES = re.compile(r"(?i)\b(?:men|man|males?)\b.{0,40}\b(?:women|woman|females?)\b|"
                         r"\b(?:women|woman|females?)\b.{0,40}\b(?:men|man|males?)\b|\bboth\s+(?:sexes|genders)\b"
                         r"|\b(?:either|any)\s+(?:sex|gender)\b", re.DOTALL)
_BOTH_SEXES_ITEM = re.compile(r"(?im)^\W*(?:(?:adult|all)\s+)?(?:men|males?)\s+(?:or|and|and/or)\s+"
                              r"(?:women|females?)\b|^\W*(?:(?:adult|all)\s+)?(?:women|females?)"
                              r"\s+(?:or|and|and/or)\s+(?:men|males?)\b")


def _both_sexes_named(text: str) -> bool:
    """Whether a criterion opens by taking both sexes ("Male or female patients aged ..."):
    then "Women ..." elsewhere names a group of the patients, not the population's sex."""
    low = probe(text)
    return ("men" in low or "male" in low) and _BOTH_SEXES_ITEM.search(text) is not None


# a drug named by its dosing in the study: "after the last dose of X", "after the last X dose",
# "following discontinuation of X"
_STUDY_DOSE = re.compile(r"(?i)\b(?:after|following|since|until)\s+(?:the\s+)?(?:(?:last|final)\s+"
                         r"(?:dose|infusion|administration)\s+of|discontinuation\s+of|"
                         r"(?:last|final))\s+(?:the\s+)?(?:study\s+)?\Z")
# Words that make a mention of women or men a rule about pregnancy or contraception.
_REPRODUCTION = re.compile(r"(?i)pregnan|child-?\s?bearing|contracep|reproductive|breast-?\s?feed|"
                           r"lactat|nursing|steril|birth\s+control|infant|partner|fertil|condom|"
                           r"\bsemen\b|\bsperm|\bova\b|\bdonat|bear\s+(?:a\s+)?child|"
                           r"father(?:ing)?\s+(?:a\s+)?child|sexually\s+active|\bWOCBP\b")
# The sex names the patients: it opens the criterion ("Women aged 18 or older",
# "Patients must be male"), or is followed by what describes patients ("women with ...").
_OPENS = re.compile(r"(?i)\W*(?:(?:only|all|patients?|subjects?|participants?|must|be|are|is|"
                    r"adult|adults|ambulatory|eligible|:|(?:gender|sex)\s*[:：])\s*)*\Z")
_DESCRIBES = re.compile(r"(?i)\s*(?:patients?\s+|subjects?\s+|participants?\s+)?(?:with\b|aged?\b|"
                        r"who\s+have\s+(?:a\s+)?(?:histolog|cytolog|confirmed|diagnos|"
                        r"metasta|advanced|recurrent)|diagnosed\b|≥|>|\d|over\b|older\b|"
                        r"\(?\s*(?:≥|>=))")


_AGE_NEXT = re.compile(r"(?i)\s*(?:patients?|subjects?|participants?)?\s*[,;(]?\s*(?:aged?\b|"
                       r"\d{1,2}\s*(?:years|yrs|-|to\b))")
_RULE_FOR = re.compile(r"(?i)\s*(?:patients?|subjects?|participants?)?\s*(?:must|should|shall|"
                       r"need|needs|have\s+to|has\s+to|are\s+required|is\s+required|will)\b")


def _sex(m: Mention, ctx: Context) -> Node | None:
    """"Postmenopausal women with ...", "Male patients aged 18 or older": the population's
    sex, in an inclusion criterion that names one sex as the patients; not a rule about
    pregnancy or contraception, not "men and women"; in the exclusion criteria, an item that
    is the sex alone ("Male patients.")."""
    if ctx.section == "exclusion":
        lone = _OPENS.fullmatch(ctx.text, ctx.start, m.start) and _SEX_ALONE.fullmatch(
            ctx.text, m.end, ctx.end) and _SEX_WORD.fullmatch(ctx.text, m.start, m.end)
        return Sex(m.data["sex"], prov=ctx.prov(m.start, m.end, m.source)) if lone else None
    if _BOTH_SEXES.search(ctx.text, ctx.start, ctx.end) or _both_sexes_named(ctx.text):
        return None  # (a criterion elsewhere takes "male or female patients")
    rest = ctx.text[ctx.start:m.start] + " " + ctx.text[m.end:ctx.end]
    if _REPRODUCTION.search(ctx.heading):
        return None  # an item under "Women of childbearing potential are those ...:"
    if _REPRODUCTION.search(rest) and not (_OPENS.fullmatch(ctx.text, ctx.start, m.start)
                                           and _AGE_NEXT.match(ctx.text, m.end, ctx.end)):
        # (unless the criterion opens with the sex and its age: "Female patients, aged 18
        # or older, post-menopausal or using contraception" is the population's sex)
        return None
    if ctx.text[ctx.start:ctx.end].rstrip().endswith((":", "：")) or _RULE_FOR.match(
            ctx.text, m.end, ctx.end):
        return None  # "Female patients must meet one of the following:": a rule for them
    if _STRATUM_VALUE.match(ctx.text, m.end, ctx.end) or _FORMULA_FOR.match(ctx.text, m.end,
                                                                            ctx.end):
        return None  # "Men = (140 - age) x weight / ...", "women: 1.4 mg/dL": one row of a
        #              formula or a table, not the sex of the trial's patients
    if not (_OPENS.fullmatch(ctx.text, ctx.start, m.start)
            or _DESCRIBES.match(ctx.text, m.end, ctx.end)):
        return None
    return Sex(m.data["sex"], prov=ctx.prov(m.start, m.end, m.source))


# The sex alone, without a menopausal status ("premenopausal women" are not all women)
_SEX_WORD = re.compile(r"(?i)(?:fe)?males?|wom[ae]n|men|man")
# After the sex, when it is the whole criterion: "Male patients.", "Men"
_SEX_ALONE = re.compile(r"(?i)\s*(?:patients?|subjects?|participants?|individuals?|persons?)?"
                        r"\s*[.;]?\s*")
# After a label of a formula or a table row: "=" or ":" and a number or a bracket.
_STRATUM_VALUE = re.compile(r"\s*(?:\([^()]{0,20}\)\s*)?[=:：]\s*[(\d<>≤≥]")
# After the sex, the name of what a formula computes for it: "Female CrCl = (140 - age) x ..."
_FORMULA_FOR = re.compile(r"\s*(?!(?i:and|or|patients?|subjects?)\b)[A-Za-z][\w\-]{0,15}\s*"
                          r"(?:\([^()]{0,20}\)\s*)?=\s*[(\d]")


_MAKERS = {"signature": _signature, "measure": _measure, "tmb": _measure,
           "philadelphia": _philadelphia,
           "rearrangement": _rearrangement, "triple_negative": _triple_negative,
           "ecog": _performance, "karnofsky": _performance, "age": _age, "cancer": _cancer,
           "drug": _drug, "sex": _sex}
