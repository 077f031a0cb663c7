"""Section headings of eligibility text: inclusion, exclusion, and cohort / arm / part.

A line is a heading when, with its bullet and trailing ":" removed, it matches a pattern of
data/sections.yaml in full (a pattern is tried only on a line holding one of its needle words,
firstchar.py, so most criterion lines are never matched against it). Headings carry what the criteria below them belong to: a section
("inclusion" / "exclusion") and, for cohort headings, the cohorts they name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from trialmatch.nlp import resources
from trialmatch.nlp.firstchar import needles, probe
from trialmatch.nlp.resources import headings

BULLET = re.compile(
    r"[ \t]*(?P<bullet>(?:[-*•●○◦▪■·‣⁃–]|o(?=\s))[ \t]*|\d{1,2}[.)](?!\d)[ \t]*|\(\d{1,2}\)[ \t]*"
    r"|[a-zA-Z][.)](?=\s)[ \t]*|\([a-zA-Z]\)[ \t]*|[ivxIVX]{1,4}[.)](?=\s)[ \t]*"
    r"|\([ivxIVX]{1,4}\)[ \t]*|\d{1,2}\.\d{1,2}\.?(?=\s)[ \t]*)?")
# Letters that may open a bullet ("o", "a)", "iv."): a line whose first word opens with another
# ASCII letter, not followed by "." or ")", has no bullet (see `bullet_of`).
_BULLET_LETTERS = frozenset("ivxIVXo")


def bullet_of(line: str, pos: int = 0) -> tuple[int, str]:
    """`BULLET.match(line, pos)` as (its end, its bullet or ""), without the regex for the
    most common line: one that opens with a word. Every bullet of BULLET opens with a
    mark, a digit, a bracket, "o", a roman numeral, or a letter followed by "." or ")"."""
    i, n = pos, len(line)
    while i < n and line[i] in " \t":
        i += 1
    c = line[i:i + 1]
    if c.isascii() and c.isalpha() and c not in _BULLET_LETTERS \
            and line[i + 1:i + 2] not in (".", ")"):
        return i, ""
    m = BULLET.match(line, pos)
    assert m is not None  # its bullet is optional: BULLET matches every line
    return m.end(), m.group("bullet") or ""


_TRAIL = re.compile(r"[\s:*\-–.]+$")
_TRAIL_MARKS = ":*-–."


def _untrail(text: str) -> str:
    """`_TRAIL.sub("", text)` for a stripped line (no regex: two `rstrip`s per round)."""
    while True:
        cut = text.rstrip(_TRAIL_MARKS).rstrip()
        if cut == text:
            return text
        text = cut


_ID = r"(?:[A-Z][A-Z0-9.+\-]{0,9}|\d{1,2}(?:\.\d{1,2})?[A-Za-z]?|[IVX]{1,4}[ab]?)(?![A-Za-z0-9])"
_KIND = r"(?i:cohort|arm|part|group|stratum|module|sub-?study|step|phase)"
_INLINE = re.compile(rf"\(?\s*(?:(?i:for)\s+(?:(?i:the)\s+)?)?"
                     # ("Expansion cohort B: ...": the part's stage before its kind word)
                     r"(?:(?i:(?:dose[- ])?(?:expansion|escalation|extension)|randomi[sz]ed)\s+(?=(?i:cohort|arm|group)))?"
                     rf"(?:{_KIND}\s*{_ID}\s+(?={_KIND}))?(?P<label>{_KIND}(?i:s)?\s*(?:[A-Z][A-Z0-9.+\-]{{0,9}}"
                     r"|[IVX]{1,4}[ab]|\d{1,2}(?:\.\d{1,2})?[A-Za-z]?)(?:\s*(?:and|&|,|or|/)\s*(?:[A-Z][A-Z0-9.]{0,5}"
                     r"|\d{1,2}[A-Za-z]?))*)\s*(?i:only)?\s*\)?"
                     # ("Cohort C (thyroid cancer): ...": what the part holds, in brackets)
                     r"(?:\s*\([^()\n:]{1,40}\))?\s*[:：]\s*(?=\S)")


# what opens a part's own rules: "for", "in", and "To be enrolled in", "To enter", "For entry
# into" (what the part's entrants need)
_ENTRY = (r"(?:to\s+be\s+(?:enrolled|included|eligible|randomi[sz]ed|registered)\s+(?:in|into|on|"
          r"to|for)|to\s+(?:enter|join|participate\s+in)|for\s+(?:enrollment|enrolment|entry|"
          r"inclusion|participation|registration)\s+(?:in|into|on|to)|for|in)")
# "For Part A, patients must ...", "For Phase 2 Part 2 - X": a part after "for", "in" or
# an entry phrase,
# closed by a comma or a dash
_FOR_PART = re.compile(rf"\s*(?i:{_ENTRY})\s+(?:(?i:the)\s+)?(?:{_KIND}\s*{_ID}\s+(?={_KIND}))?"
                       rf"(?P<label>{_KIND}\s*{_ID})\s*(?i:only)?\s*(?:,\s*(?=\S)|\s[-–]\s+(?=\S)|\Z)")


@dataclass(frozen=True, slots=True)
class Heading:
    kind: str  # inclusion, exclusion, cohort, other
    label: str
    cohorts: tuple[tuple[str, str], ...] = ()  # (id, label)
    source: str = ""
    rest: int | None = None  # offset in the line where inline content starts
    additive: bool = False  # its cohort adds to the criteria no heading scopes


_FIRST = re.compile(rf"(?P<kind>{_KIND})(?i:s)?\s*(?P<id>{_ID})")
PART_LABEL = _FIRST  # a part of the study named with its id ("Part 2", "cohort B")
_NEXT = re.compile(rf"\s*(?:(?i:and)|&|,|(?i:or)|/)\s*(?:(?P<kind>{_KIND})\s*)?(?P<id>{_ID})")


def cohort_ids(label: str) -> tuple[tuple[str, str], ...]:
    """Stable ids for the cohorts a heading names: "Part A.1 and Part B" -> part-a.1, part-b."""
    m = _FIRST.search(label)
    if not m:
        return ()
    kind = m.group("kind").lower()
    found = [(f"{kind}-{m.group('id').lower().rstrip('.')}", label)]
    pos = m.end()
    while len(found) < 6 and (n := _NEXT.match(label, pos)):
        kind = (n.group("kind") or kind).lower()
        ident = f"{kind}-{n.group('id').lower().rstrip('.')}"
        if ident not in [f[0] for f in found]:
            found.append((ident, label))
        pos = n.end()
    return tuple(found)


# A part of the study named by what it does, not by an id: "Dose expansion part:", "MTD
# expansion cohort", "Dose Escalation (Part 1)", "Phase II portion". Its id is its name
# ("dose-expansion", "phase-ii": as a "(Phase II only)" tag names it) or the id it gives.
_PORTION_NAME = (r"(?:dose[- ])?(?:expan\w*|escalat\w*|confirmat\w*|finding|randomi[sz]\w*|extension|run-in|"
                 r"safety[- ]lead[- ]in|single[- ]arm|combination|monotherapy)")
_PORTION_WORDS = r"(?:\s+(?:cohorts?|portion|part|phase|period|arms?|stage|trial|study))"
_PHASE_PORTION = r"phase\s+(?:[IV]{1,3}|[1-4])[ab]?(?=\s+(?:portion|component|part|trial|study)\b)"
_PORTION_HEADING = re.compile(
    rf"(?i)\(?\s*(?:the\s+)?(?:(?:MTD|RP2D|phase\s+(?:[IV]{{1,3}}|[1-4])[ab]?)\s+)?"
    rf"(?P<name>{_PORTION_NAME}|{_PHASE_PORTION})(?:{_PORTION_WORDS}+|(?=\s*\(\s*{_KIND}\s*{_ID}))"
    r"(?:\s+of\s+the\s+(?:study|trial)|\s+for\s+(?:both|all|each)\s+\w+)?\s*\)?"
    rf"(?:\s*(?:\(\s*{_KIND}\s*{_ID}\s*\)|\([^()]{{0,40}}\)|only|patients|participants|subjects))?")
# ... and the criterion that opens by naming it: "For the dose expansion portion of the study,
# ...", "In the randomised phase: ...", "In the phase II portion, ...", "Expansion cohort: ..."
_FREE_NAME = r"(?!(?:same|other|whole|entire|overall)\b)(?:[\w/+-]+,?\s+){1,5}?"
_FREE_KIND = r"(?:cohort|arm|group|stratum|sub-?study|module)s?\b"  # (the end of a free name)
_NAMED_PORTION = re.compile(
    r"(?i)\s*(?:(?:[a-h]|\d{1,2})[.)]\s+)?"  # "A. For the dose escalation phase: ..."
    rf"(?:{_ENTRY}\s+(?:the\s+|all\s+)?(?:patients\s+(?:in|enrolled\s+in)\s+the\s+)?"
    r"(?:(?:cohort|MTD|RP2D)\s+)?"
    rf"(?P<name>{_PORTION_NAME}|{_PHASE_PORTION}){_PORTION_WORDS}+"
    r"(?:\s+of\s+the\s+(?:study|trial))?(?:\s+only)?\s*[,:]"
    rf"|(?:(?:MTD|RP2D|[A-Za-z]+)\s+)?(?P<label>{_PORTION_NAME}|{_PHASE_PORTION}){_PORTION_WORDS}+"
    r"(?:\s+of\s+the\s+(?:study|trial))?"
    rf"(?:\s*\(\s*(?P<given>{_KIND}\s*{_ID})\s*\))?\s*(?:only\s*)?(?:[:：]|\s[-–]\s))"
    # "SCLC cohort: ...", "TNBC arm only: ...": a part named by the abbreviation of its cancer
    r"|(?-i:(?P<disease>[A-Z][A-Z0-9]{1,7}(?:-[A-Z0-9]{1,5})?))\s+(?:cohort|arm|group)\s*"
    r"(?:only\s*)?[:：]"
    # "Dose expansion: ...", "Dose escalation only: ...": the part by its usual two words
    r"|(?P<dose>dose[- ](?:expansion|escalation))\s*(?:only\s*)?[:：]"
    # "Patients in the biomarker expansion cohort must have ...": the subject names the part
    r"|(?:patients|subjects|participants)\s+(?:in|enrolled\s+in|entering|enrolling\s+in|"
    r"treated\s+in)\s+the\s+(?:(?!(?:MTD|RP2D|dose)\b)(?P<qual>[A-Za-z0-9]+)\s+)?"
    rf"(?:(?:MTD|RP2D)\s+)?(?P<subject>{_PORTION_NAME}|{_PHASE_PORTION}){_PORTION_WORDS}+"
    r"(?:\s+of\s+the\s+(?:study|trial))?(?=\s+(?:must|should|shall|will|are|need|may)\b)")
# "To be enrolled in the TNBC expansion cohort, participants must have:", "For the melanoma
# arm:", "Patients enrolled in the lung cancer cohort must have ...": a part named by a few
# words of its own before its kind word (not "the same group", "this study")
_FREE_PORTION = re.compile(
    rf"(?i)\s*(?:{_ENTRY}\s+the\s+(?P<free>{_FREE_NAME}{_FREE_KIND})\s*(?:,|[:：]|"
    r"(?=\s+(?:patients|participants|subjects)\b))"
    r"|(?:patients|subjects|participants)\s+(?:in|enrolled\s+in|entering|enrolling\s+in|"
    rf"treated\s+in|assigned\s+to)\s+the\s+(?P<subject>{_FREE_NAME}{_FREE_KIND})"
    r"(?=\s+(?:must|should|shall|will|need|may)\b))")


def portion_id(name: str) -> str:
    return re.sub(r"\W+", "-", name.strip().lower())


def named_portion(text: str) -> tuple[tuple[tuple[str, str], ...], int] | None:
    """The part of the study a criterion opens by naming, without an id (see above), and
    where its own words start."""
    m = _NAMED_PORTION.match(text)
    if m is None:
        return None
    label = m.group(0).strip(" ,:：-–")
    if m.group("given"):  # "Dose escalation portion (Part 1):": the id it gives
        return tuple((ident, label) for ident, _ in cohort_ids(m.group("given"))), m.end()
    name = m.group("name") or m.group("label") or m.group("dose") or (
        f'{m.group("disease")} cohort' if m.group("disease")
        else f'{m.group("qual") or ""} {m.group("subject")}')
    return ((portion_id(name), label),), m.end()


def free_portion(text: str) -> tuple[tuple[tuple[str, str], ...], int] | None:
    """The part of the study a criterion opens by naming in words of its own ("For the
    melanoma arm: ..."; see above), and where its own words start."""
    m = _FREE_PORTION.match(text)
    if m is None:
        return None
    label = m.group(0).strip(" ,:：-–")
    free = m.group("free") or m.group("subject")
    return tuple((portion_id(n), label) for n in _each_named(free) or [free]), m.end()


# "the lung, breast and bladder expansion cohorts": one-word names before a last name and a
# plural kind word, each a part of its own ("lung expansion cohort", ...)
_SEVERAL_NAMED = re.compile(r"(?i)((?:[\w+-]+\s*(?:,\s*|\s+and\s+|\s+or\s+|\s*/\s*)){1,5})"
                            r"(?:and\s+|or\s+)?([\w+-]+)((?:\s+[\w+-]+)?)\s+(cohort|arm|group|stratum)s\Z")


def _each_named(free: str) -> list[str]:
    m = _SEVERAL_NAMED.match(free.strip())
    if m is None:
        return []
    firsts = [w for w in re.split(r"(?i)\s*(?:,|/|\band\b|\bor\b)\s*", m.group(1)) if w]
    return [f"{w}{m.group(3)} {m.group(4)}" for w in [*firsts, m.group(2)]]


# "X. This is a requirement only for entry into the expansion phase.", "(required for the
# MTD expansion cohort only)": a sentence or bracket that gives the whole criterion to a part
_ONLY_FOR_PORTION = re.compile(
    r"(?i)(?:\b(?:this|which|these|it)\s+(?:is|are|applies|apply)\s+(?:an?\s+)?"
    r"(?:(?:requirements?|criterion|required|mandatory)\s+)?only\s+(?:for|to|in)|"
    r"\(\s*(?:required|mandatory)\s+(?:for|in))\s+(?:entry\s+(?:in)?to\s+|"
    r"enrol(?:l?ment)?\s+in(?:to)?\s+|patients\s+in\s+)?(?:the\s+)?(?:(?:MTD|RP2D)\s+)?"
    rf"(?P<name>{_PORTION_NAME}|{_PHASE_PORTION}){_PORTION_WORDS}+(?:\s+only)?\s*\)?[.;]?\s*$")


def portion_only(text: str) -> tuple[tuple[str, str], ...] | None:
    """The part a criterion's last sentence gives it to ("... This is required only for the
    dose expansion phase.", "... (Extension and B2 cohorts only)"), if any."""
    tail = probe(text[-160:])
    if "only" not in tail and "required" not in tail and "mandatory" not in tail:
        return None  # (the words both readings below need, looked for first)
    m = _ONLY_FOR_PORTION.search(text, max(0, len(text) - 160))
    if m is not None:
        return ((portion_id(m.group("name")), m.group("name")),)
    m = _NAMED_COHORTS_ONLY.search(text, max(0, len(text) - 100))
    if m is None:
        return None
    names = _NAME_JOIN.split(m.group("names"))
    return tuple((portion_id(f"{n} cohort"), f"{n} cohort") for n in names if n.strip())


# "(Main and ME2 cohorts only)": cohorts named, not numbered, at the end of a criterion
_NAME = r"[A-Z][A-Za-z0-9\-]{0,11}(?:\s[A-Z][A-Za-z0-9\-]{0,11})?"
_NAMED_COHORTS_ONLY = re.compile(
    rf"\(\s*(?i:the\s+)?(?P<names>{_NAME}(?:\s*(?:,|(?i:and|or)|&)\s*{_NAME}){{0,3}})\s+"
    r"(?i:cohorts?|arms?|groups?)\s+(?i:only)\s*\)[.;]?\s*$")
_NAME_JOIN = re.compile(r"\s*(?:,|\band\b|\bor\b|&)\s*")


# "For patients in the dose finding phase, the following additional inclusion criteria must
# be fulfilled": the criteria of that group of patients
_FOR_GROUP_HEADING = re.compile(
    r"(?i)\s*for\s+(?P<group>[^,:;.]{2,80}?)\s*,?\s+the\s+following\s+(?:additional\s+|further\s+|"
    r"extra\s+|specific\s+)?(?:(?P<kind>inclusion|exclusion|eligibility)\s+)?criteri(?:a|on)\s*"
    r"(?:(?:must|should|shall|will)(?:\s+also)?(?:\s+be)?(?:\s+(?:fulfilled|met|satisfied|apply))?|"
    r"apply|applies|are\s+required|are|is)?")


def _portion_heading(core: str) -> Heading | None:
    g = _FOR_GROUP_HEADING.fullmatch(core)
    if g is not None:
        kind = "exclusion" if (g.group("kind") or "").lower() == "exclusion" else "inclusion"
        group = g.group("group")
        return Heading(kind, core, cohort_ids(group) or ((portion_id(group), group),),
                       "cohort.group")
    m = _PORTION_HEADING.fullmatch(core) or _SUBSTUDY_HEADING.fullmatch(core)
    if m is None:
        return None
    return Heading("cohort", core, cohort_ids(core) or ((portion_id(m.group("name")), core),),
                   "cohort.portion")


# A sub-study named in capitals on a line of its own: "MOLECULAR BIOLOGY TRIAL", "PK
# SUBSTUDY" (the criteria below it are its own)
_SUBSTUDY_HEADING = re.compile(r"(?P<name>[A-Z][A-Z0-9\-]{1,20}(?: [A-Z0-9][A-Z0-9\-]{0,20}){0,3}) "
                               r"(?:TRIAL|STUDY|SUBSTUDY|SUB-STUDY)")


_INLINE_START = re.compile(r"(?i)(?:key\s+|main\s+)?(?:inclusion|exclusion)\s+criteria\s*[:：]\s*")


@lru_cache(maxsize=1)
def _headings() -> list[tuple[resources.Heading, re.Pattern[str], tuple[str, ...] | None]]:
    """The heading patterns with their needles (firstchar.py: words one of which every match
    holds), so that a line holding none of a pattern's words is not matched against it."""
    return [(h, rx, needles(rx.pattern)) for h, rx in headings()]


@lru_cache(maxsize=1)
def _any_needle() -> re.Pattern[str] | None:
    """One pattern finding any heading pattern's needle word: a line without one is no
    heading of the patterns (most lines; None when a pattern has no needles)."""
    words = [w for _h, _rx, ws in _headings() for w in ws or ()]
    if any(ws is None for _h, _rx, ws in _headings()) or not words:
        return None
    return re.compile("|".join(re.escape(w) for w in sorted(set(words))))


@lru_cache(maxsize=8192)
def classify(line: str) -> Heading | None:
    """The heading a line is, or None for an ordinary line (cached: texts repeat their
    headings and many of their lines; a `Heading` is immutable)."""
    body = line[bullet_of(line)[0]:]
    if len(body) > 400:  # no heading is this long; keeps the regexes below on short text
        return None
    core = _untrail(body.strip())
    if not core or len(core) > 120:
        return None
    low = probe(core)
    hint = _any_needle()
    if hint is None or hint.search(low):
        for h, rx, words in _headings():
            if (words is None or any(w in low for w in words)) and rx.fullmatch(core):
                return _heading(h.kind, core, h.id)
    if (portion := _portion_heading(core)) is not None:
        return portion
    mm = _INLINE_START.match(body)
    if mm is None:
        return None
    for h, rx, _words in _headings():  # "Inclusion Criteria: patients aged 18 or more ..."
        if h.kind in ("inclusion", "exclusion") and \
                rx.fullmatch(_TRAIL.sub("", mm.group(0).strip())):
            kind = "inclusion" if "incl" in mm.group(0).lower() else "exclusion"
            start = len(line) - len(body) + mm.end()
            return Heading(kind, mm.group(0).strip(), (), h.id + ".inline", start)
    return None


# Cohorts named before their kind (in one or two words), as a section heading's tail does:
# "Exclusion criteria (Drug-X cohorts)", "Inclusion criteria - Nivolumab arm", "Exclusion
# criteria for the Dose Escalation part".
_NAMED_BEFORE = re.compile(rf"\s*(?:the\s+)?(?!(?i:all|both|each|every|any|other|these|those|the)\b)"
                          rf"(?P<id>[A-Z][\w.+\-]{{1,30}}(?:\s[A-Za-z][\w.+\-]{{1,14}})?)\s+"
                          rf"(?P<kind>{_KIND})s?\s*\)?\s*\Z")


def _named_cohorts(tail: str) -> tuple[tuple[str, str], ...]:
    m = _NAMED_BEFORE.match(tail)
    if m is None:
        return ()
    ident = "-".join(m.group("id").lower().split())
    return ((f"{m.group('kind').lower()}-{ident}", tail.strip(" ()")),)


# "Inclusion criteria for the participants with asthma", "... for the extension period": a
# population or period of the trial named without a cohort word, a cohort all the same; not
# the whole trial ("for all participants", "for this study"),
# a time ("for randomisation", "at visit 2"), nor cohorts the words above did not read
_POPULATION = re.compile(r"(?i)\A[\w\s/-]*?\bcriteria\s+for\s+(?:the\s+)?(?!(?:all|both|each|every|any|"
                         r"this|these|study|trial|entry|enrol\w*|registration|randomi[sz]\w*|"
                         r"screening|participation|inclusion|eligibility|treatment|admission|"
                         r"two|three|four|several|multiple)\b)(?![^:]*\b(?:cohorts?|arms?|parts?|"
                         r"groups?\s+[A-Z0-9]|phases?|steps?|visits?|day)\b)"
                         r"(?P<name>[A-Za-z][\w/-]*(?:\s[\w/-]+){0,5})\s*\Z")


_PERIOD = re.compile(r"(?i)\b(?:period|extension|cross-?over|maintenance|follow-?up|continuation|"
                     r"re-?treatment|optional|sub-?study|re-?registration|re-?randomi[sz]ation)\b")


def _population(label: str) -> tuple[tuple[str, str], ...]:
    m = _POPULATION.match(label)
    if m is None:
        return ()
    name = m.group("name")
    return (("-".join(re.findall(r"[a-z0-9]+", name.lower())[:5]), name),)


# "criteria specific to/for <part>": that part's criteria, added to those of all
SPECIFIC_TO = re.compile(r"(?i)\bspecific\s+(?:to|for)\b")
_ONLY_END = re.compile(r"(?i)\bonly\s*\Z")
_FURTHER_FOR = re.compile(r"(?i)\s*(?:additional|further|extra|specific)\s+(?:(?:inclusion|"
                          r"exclusion|eligibility)\s+)?(?:requirements|criteria)\s+(?:for|in)\s+"
                          # (a part named by the drugs it gives: "drug A + drug B")
                          r"(?:the\s+)?(?P<name>[^:+]{1,30}\+[^:]{1,30}?)\s*:?\s*\Z")


def _heading(kind: str, label: str, source: str) -> Heading:
    if kind == "cohort" and source == "cohort.later":  # "Step 2 re-registration:"
        return Heading(kind, label, cohort_ids(label) or ((portion_id(label), label),),
                       source, additive=True)
    if kind == "cohort":
        # ("For cohort 7 only:": the other cohorts go without the criteria under it)
        return Heading(kind, label, cohort_ids(label), source,
                       additive=source == "cohort.for" and _ONLY_END.search(label) is not None)
    if kind in ("inclusion", "exclusion"):
        tail = re.split(r"\s[-–(:]\s?|\s(?:(?i:for|in)|(?i:specific)\s+(?i:to|for))\s", label,
                        maxsplit=1)
        cohorts = (cohort_ids(tail[1]) or _named_cohorts(tail[1])) if len(tail) > 1 else ()
        if cohorts and SPECIFIC_TO.search(label):
            # "Exclusion criteria specific to the drug-X cohorts": the criteria of some
            # cohorts, added to those of all; the other cohorts need none of them
            return Heading(kind, label, cohorts, source, additive=True)
        further = _FURTHER_FOR.match(label)
        if not cohorts and further is not None:
            # "Additional inclusion requirements for drug A + drug B": the criteria of the
            # arm that gives those drugs, added to those of all; the other arms need none
            name = further.group("name").strip()
            return Heading(kind, label, ((portion_id(name), name),), source, additive=True)
        if not cohorts and (population := _population(label)):
            # a period of the trial adds to the criteria no heading scopes; a population
            # (participants with asthma, caregivers) is a cohort like any other
            return Heading(kind, label, population, source,
                           additive=_PERIOD.search(population[0][1]) is not None)
        return Heading(kind, label, cohorts, source)
    return Heading(kind, label, (), source)


# A part named after its criterion ("Measurable disease (Phase 2 only)") or before a verb
# ("Phase 2 requires one of: ..."): the criterion is that part's.
_PART = rf"(?P<label>{_KIND}\s*{_ID})"
_PART_BRACKET = rf"\(\s*(?:(?i:for)\s+(?:(?i:the)\s+)?)?{_PART}\s*"  # "(for part 2", "(Arm A"
_PART_ONLY = re.compile(rf"{_PART_BRACKET}(?i:only)?\s*\)\s*[.;]?\s*$")
# ... and one that closes a sentence with more after it: "(part 2 only). Up to 20 ..."
_PART_ONLY_MID = re.compile(rf"{_PART_BRACKET}(?i:only)\s*\)\s*[.;]\s+(?=[A-Z])")
_PART_NAMED = re.compile(rf"(?<![\w-]){_PART}")
_PART_VERB = re.compile(rf"\s*{_PART}\s+(?i:requires?|only\s+(?:includes?|enrolls?|takes?)|"
                        r"(?:will\s+)?(?:includes?|enrolls?))\s+")


# "(Phase 1) Patients with any solid tumour ...": the part in brackets opens the criterion
_PART_OPEN = re.compile(rf"\s*\(\s*{_PART}\s*(?i:only)?\s*\)\s+(?=\S)")
# "Drug X monotherapy (Group A): ...", "Dose escalation (Arm 2): ...": a short name of the
# part (a few words, no clause of its own), its id in brackets, then a colon
_NAMED_PART = re.compile(rf"\s*[^\W_][\w+/\- ]{{0,48}}?\s\(\s*{_PART}\s*\)\s*[:：]\s*(?=\S)")


def inline_cohort(text: str) -> tuple[tuple[tuple[str, str], ...], int] | None:
    """A criterion that starts "Cohort A: ...", "Phase 2 Cohort A: ..." (the inner part),
    "(Arm A only): ..." or "(Phase 1) ...", ends "(Phase 2 only)", or opens "Phase 2
    requires ...": its cohorts and where its own words start."""
    m = _INLINE.match(text) or _FOR_PART.match(text) or _PART_VERB.match(text) \
        or _PART_OPEN.match(text) or _NAMED_PART.match(text)
    if not m:
        tail = len(text) - len(text[-60:])
        m = _PART_ONLY.search(text[-60:])
        if m is None:
            # "A and B (part 2 only). Up to 20 of those given C may also enrol in part 2.":
            # the bracket closes the rule, the sentences after it only add to that part
            mid = _PART_ONLY_MID.search(text)
            if mid is not None and all(cohort_ids(x.group("label")) == cohort_ids(mid.group("label"))
                                       for x in _PART_NAMED.finditer(text, mid.end())):
                ids = cohort_ids(mid.group("label"))
                return (ids, 0) if ids else None
        if m is not None and "only" not in m.group(0).lower() \
                and _FIRST.search(text, 0, tail + m.start()):
            return None  # "A (cohort 1) or B (cohort 2)": each part its own words
        ids = cohort_ids(m.group("label")) if m else ()
        return (ids, 0) if ids else None
    ids = cohort_ids(m.group("label"))
    return (ids, m.end()) if ids else None
