"""Criterion segmentation: eligibility text to a flat list of criteria with their structure.

Each criterion knows its section, the cohorts it applies to (None: all), its character span,
and its parent (a criterion ending in ":" whose list it belongs to). Bulleted and numbered
items start criteria; unbulleted lines continue the previous criterion unless it had ended
(".", ";", ":") or a blank line came between; headings switch section or cohort.

A criterion is at most MAX_CRITERION characters: a longer one (a wall of unbulleted text) is
cut at sentence, clause or word boundaries into several, so that no text is lost and the work
per criterion stays bounded. At most MAX_COHORTS cohorts are made; a later cohort heading
then scopes nothing (its criteria apply to every cohort).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from trialmatch.nlp.firstchar import probe
from trialmatch.nlp.phrases import EXAMPLE_OPENERS
from trialmatch.nlp.sections import (
    PART_LABEL,
    SPECIFIC_TO,
    Heading,
    bullet_of,
    classify,
    free_portion,
    inline_cohort,
    named_portion,
    portion_id,
    portion_only,
)

MAX_CRITERION = 2000
MAX_COHORTS = 64
_CUTS = ("\n", ". ", "; ", ", ", " ")
_ANY_OF = re.compile(r"(?i)\b(?:one|any|either|at\s+least\s+one|1)\s+(?:or\s+more\s+)?of\s+(?:the\s+)?"
                     r"(?:following|these|those|below)|\b(?:one|any)\s+of\s*:|\beither\b|"
                     r"\bsuch\s+as\s*:|\bincluding\s*:|\be\.\s?g\.\s*:|\bat\s+least\s+one\b")
_ALL_OF = re.compile(r"(?i)\b(?:all|each|both)\s+(?:of\s+)?(?:the\s+)?(?:following|these|below)\b")


@dataclass(slots=True)
class Criterion:
    """One criterion: its words are text[start:end] of the eligibility text."""

    section: str
    start: int
    end: int
    text: str
    cohorts: tuple[str, ...] | None = None
    parent: int | None = None
    depth: int = 0
    style: str = ""
    header: bool = False  # ends with ":" and introduces a list
    any_of: bool = False  # "... one of the following:"
    all_of: bool = False  # "... all of the following:"
    label: bool = False  # only the name of the part of the study its sub-items are for
    named: bool = False  # its own words name the part of the study it is for
    children: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Layout:
    """The segmented text: criteria, and the cohorts in order of first mention (id -> label)."""

    criteria: list[Criterion]
    cohorts: dict[str, str]
    # cohorts named only by "Additional ... criteria for <cohort>" headings add to a base
    # population that is a cohort of its own (the criteria that apply to everyone)
    base: bool = False


# (also a clause after a semicolon that opens with "for" or "in": "...; for Phase 2, X")
_NEXT_SENTENCE = re.compile(r"[.;]\s+(?=[A-Z(])|;\s+(?=(?i:for|in)\s)")
_ONLY = re.compile(r"(?i)\bonly\b")
# a part's label that opens a sentence as a label: "Phase 2 only ...", "Phase 2: ..."
_LABELLED = re.compile(r"(?i)\bonly\b|[:：]")
# An inclusion item written as an exclusion: "Patients with X who have not had Y are
# ineligible (...)": a population, then (at the end of its first sentence) the words that
# rule it out. It reads as an item of the exclusion criteria.
_RULED_OUT_ITEM = re.compile(
    r"(?i)\W*(?:patients|subjects|participants|those|individuals|persons|women|men|people)\s+"
    r"(?:with|who|whose|having|that|diagnosed)\b(?:[^.;:()]|\([^()]{0,40}\)){1,240}?"
    r"\b(?:(?:are|is|will\s+be|shall\s+be)"
    r"\s+(?:ineligible|excluded|not\s+eligible)|will\s+not\s+be\s+(?:eligible|enrolled|included)|"
    r"(?:may|can)\s*not\s+(?:participate|be\s+enrolled|be\s+included))"
    r"(?:\s+(?:for|from)\s+(?:this|the)\s+(?:study|trial|protocol))?\s*(?:[.;(]|\Z)")
_FOR = re.compile(r"(?i)\s*(?:for|in)\b")
# the wrapped end of a heading ("fulfilled:", "must be met:")
_HEADING_TAIL = re.compile(r"(?i)[ \t]*(?:(?:must|should|shall|will|also|be)\s+){0,3}"
                           r"(?:fulfilled|met|satisfied|apply|applies|required)[ \t]*[:：]?[ \t]*"
                           # "Exclusion Criteria (patients meeting any of these are" /
                           # "ineligible for the study):": the bracket the heading left open
                           r"|[ \t]*[^\s\-•*()][^()]{0,120}\)[ \t]*[:：]?[ \t]*")


def _style(bullet: str) -> str:
    b = bullet.strip()
    if not b:
        return ""
    if b[0].isdigit():
        return "num" + ("." if "." in b else ")")
    if b.startswith("("):
        return "paren-" + ("num" if b[1].isdigit() else "alpha")
    if re.fullmatch(r"[ivxIVX]{1,4}[.)]", b):
        return "roman"
    if b[0].isalpha() and len(b) == 2:
        return "alpha" + ("-upper" if b[0].isupper() else "")
    return "sym" + b[0]


_INLINE_HEADING = re.compile(r"(?i)(?<=\w[.;])[ \t]+(?=(?:key\s+|main\s+)?(?:exclusion|inclusion)\s+"
                             r"criteria\s*[:：])"
                             # a capitalised heading also after a word without a stop
                             # ("... at screening Exclusion Criteria:- ...")
                             r"|(?<=[\w)])[ \t]+(?=(?-i:(?:Key\s+|Main\s+)?(?:Exclusion|Inclusion|"
                             r"EXCLUSION|INCLUSION)\s+(?:Criteria|CRITERIA))\s*[:：])"
                             # or one that ends the line without a colon ("... after the last
                             # dose Exclusion Criteria", the items on the next lines)
                             r"|(?<=[\w)])[ \t]+(?=(?-i:(?:Key\s+|Main\s+)?(?:Exclusion|"
                             r"EXCLUSION)\s+(?:Criteria|CRITERIA))[ \t]*$)")


# A bullet inside a line after ";", ":" or "." ("...years; - Measurable disease; - ..."):
# criteria pasted as one paragraph. Split there only when the text does it at least twice.
_INLINE_BULLET = re.compile(r"(?<=[;:.])[ \t]+(?=[-–•](?:[ \t]|$))")
# The same places, counted faster: the mark before each is matched rather than looked behind
# for (re skips to a ";", ":" or "." instead of trying the lookbehind at every character).
_INLINE_BULLETS = re.compile(r"[;:.][ \t]+(?=[-–•](?:[ \t]|$))")
# A dash glued to the word before it and followed by a capitalised word ("... in the last
# 4 weeks- No prior X- Measurable disease"): a bullet of run-together criteria too, when the
# text does it at least twice. Not a suspended hyphen ("ER- or PR-positive": lower case).
_GLUED_BULLET = re.compile(r"(?<=[a-z)])(?=-[ \t]+[A-Z])")
# The same places, counted faster: the letter before each is matched (a zero-width pattern
# that starts with a lookbehind is entered at every character of the text).
_GLUED_BULLETS = re.compile(r"[a-z)](?=-[ \t]+[A-Z])")


# The labels of the run-on paragraphs of older registry records ("PATIENT CHARACTERISTICS:
# Age: 18 and over Performance status: ECOG 0-2 Hepatic: ..."; "PRIOR CONCURRENT THERAPY:
# Biologic therapy: Not specified Chemotherapy: No prior chemotherapy Endocrine therapy: ..."):
# each label, capitalised after other words on its line, opens an entry of its own. Split
# there only when the text does it at least twice.
_RUN_ON_LABELS = (r"(?:Biologic(?:al)? therapy|Immunotherapy|Chemotherapy|Endocrine therapy|"
                  r"Hormonal therapy|Radiotherapy|Radiation therapy|Surgery|Other|Age|Sex|"
                  r"Menopausal status|Performance status|Life expectancy|Hematopoietic|"
                  r"Haematopoietic|Hepatic|Renal|Cardiovascular|Pulmonary|Neurologic)[ \t]*:")
_RUN_ON_LABEL = re.compile(r"(?<=[\w).,%:])[ \t]+(?=" + _RUN_ON_LABELS + r")")
_RUN_ON_LABEL_START = re.compile(_RUN_ON_LABELS)
_BEFORE_RUN_ON_LABEL = re.compile(r"[\w).,%:][ \t]+\Z")


def _run_on(text: str) -> bool:
    """Whether the text runs labelled entries together (_RUN_ON_LABEL at least twice); the
    labels found first (their words lead the pattern: fast), then the words before each."""
    if ":" not in text:
        return False
    found = 0
    for m in _RUN_ON_LABEL_START.finditer(text, 0, 20000):
        if _BEFORE_RUN_ON_LABEL.search(text, max(0, m.start() - 40), m.start()):
            found += 1
            if found == 2:
                return True
    return False


def _after_criterion(line: str, at: int) -> bool:
    """Whether the words before an inline heading are a criterion's end, not the heading's
    own first words ("Key Inclusion Criteria:", "Main Exclusion Criteria:"): a stop before
    it, or at least three words."""
    before = line[:at].rstrip()
    return before.endswith((".", ";")) or len(before.split()) >= 3


def layout_lines(text: str, run_on: bool | None = None) -> Iterator[tuple[int, str]]:
    """(offset, line) of every line; a line with an inline "Exclusion Criteria:" heading
    after other words (pasted text) is two lines, split before the heading, and so is a line
    with inline bullets (_INLINE_BULLET) in text that runs its criteria together, and one
    with the labels of a run-on paragraph (_RUN_ON_LABEL; `run_on`: whether the text has
    them, when already known)."""
    inline = _INLINE_BULLET if len(_INLINE_BULLETS.findall(text, 0, 20000)) >= 2 else None
    glued = _GLUED_BULLET if "- " in text and len(
        _GLUED_BULLETS.findall(text, 0, 20000)) >= 2 else None
    heading = _INLINE_HEADING if "criteria" in probe(text) else None  # its needle word
    run_on_label = _RUN_ON_LABEL if (_run_on(text) if run_on is None else run_on) else None
    pos = 0
    for raw in text.splitlines(keepends=True):
        line = raw.rstrip("\r\n")
        if heading is None and inline is None and glued is None and run_on_label is None:
            yield pos, line
            pos += len(raw)
            continue
        cuts = sorted(([(m.start(), m.end()) for m in heading.finditer(line)
                        if _after_criterion(line, m.start())]
                       if heading and "criteria" in probe(line) else [])
                      + ([(m.start(), m.end()) for m in inline.finditer(line)] if inline else [])
                      + ([(m.start(), m.end()) for m in glued.finditer(line)] if glued else [])
                      + ([(m.start(), m.end()) for m in run_on_label.finditer(line)]
                         if run_on_label else []))
        at = 0
        for start, end in cuts:
            if start >= at:
                yield pos + at, line[at:start]
                at = end
        yield pos + at, line[at:]
        pos += len(raw)


class _Builder:
    def __init__(self) -> None:
        self.criteria: list[Criterion] = []
        self.cohorts: dict[str, str] = {}
        self.section = "inclusion"
        self.scope: tuple[str, ...] | None = None
        self.stack: list[tuple[str, int, int]] = []  # (style, indent, criterion index)
        self.open = False  # the last criterion may take continuation lines
        self.blank = True
        self.last_line = ""  # the last line of the last criterion (for continuations)
        self.run_on = False  # the text runs labelled entries together (_RUN_ON_LABEL)
        self.additions = False  # a heading added criteria for some cohorts
        # the cohorts of headings "... criteria specific for part 1": two or more such
        # parts are the trial's parts, with no population of the shared criteria alone
        self.specific: set[str] = set()
        self.plain = False  # a cohort was named otherwise
        self.headed = False  # a cohort heading of its own line opened a cohort
        self.only = False  # a criterion was said to be one part's only ("(part 2 only)")
        self.labelled = False  # a criterion opened with a part's label ("Cohort A: ...")
        self.portions: set[str] = set()  # parts named by what they do ("Expansion part:")
        # parts named only inside a criterion ("X. In the expansion cohort, Y"): the
        # criteria outside them are everyone's, a cohort of its own
        self.asides: set[str] = set()
        # parts named by a heading or an inclusion criterion ("For the lung cohort: ...");
        # parts named by exclusions only ("For the A and B cohorts, no earlier X") leave the
        # other patients a cohort of their own
        self.entered: set[str] = set()
        # a part whose list items name parts of it ("Part 2:" / "1. Arm A: ..." / "2. Arm B:
        # ..."): part -> its sub-parts, which take its criteria and its place
        self.subparts: dict[tuple[str, ...], list[str]] = {}
        self.tail = False  # the last line was a heading that may wrap onto this one
        # a part whose heading stands over its own section headings ("Cohort A:" /
        # "Inclusion Criteria:" / ... / "Exclusion Criteria:"): those sections are its
        self.outer: tuple[str, ...] | None = None
        self.fresh = False  # a part's heading with no criterion after it yet
        # a part's heading that is itself a sub-item ("- Bilirubin < 3 mg/dL" / "  - Cohort
        # 2" / "    - Bilirubin 1.5-3 mg/dL"): (its indent, the scope around it), the scope
        # coming back with the first line set no further in than the heading
        self.nested: tuple[int, tuple[str, ...] | None] | None = None
        # a part's heading written as a list item at the list's own level: (its indent, the
        # scope around it, whether an item was set further in under it yet)
        self.listed: tuple[int, tuple[str, ...] | None, bool] | None = None

    def heading(self, h: Heading) -> None:
        if h.kind in ("inclusion", "exclusion"):
            self.section = h.kind
            if self.fresh and not h.cohorts:
                self.outer = self.scope
            self.scope = self._remember(h.cohorts) if h.cohorts else self.outer
            if h.source == "cohort.group":  # "For group X, the following criteria:"
                self.portions.update(ident for ident, _label in h.cohorts)
                self.entered.update(ident for ident, _label in h.cohorts)
            elif h.cohorts and (h.additive or re.match(r"(?i)\s*(?:additional|further|extra)\b",
                                                        h.label)):
                self.additions = True
                if SPECIFIC_TO.search(h.label):
                    self.specific.update(ident for ident, _label in h.cohorts)
            elif h.cohorts:
                self.plain = True
        elif h.kind == "cohort":
            self.additions = self.additions or self._later_step(h)
            self.scope = self._remember(h.cohorts)
            self.headed = self.headed or bool(h.cohorts)
            self.outer = None
            if h.source == "cohort.portion":
                self.portions.update(ident for ident, _label in h.cohorts)
                self.entered.update(ident for ident, _label in h.cohorts)
        else:
            self.scope = self.outer = None
        self.nested = self.listed = None
        # (a part's name on a line of its own, apart from the criterion above: not the last
        # words of a wrapped criterion, "... screening criteria -" / "Part 2")
        self.fresh = h.kind == "cohort" and self.scope is not None and (self.blank or not self.criteria)
        self.stack.clear()
        self.open = False

    def _later_step(self, h: Heading) -> bool:
        """Whether a later registration's heading ("Step 2 re-registration:") adds its
        criteria to those no heading scopes, which came before it."""
        return h.additive and any(c.cohorts is None and c.section == "inclusion"
                                  for c in self.criteria)

    def leave_nested(self, indent: int) -> None:
        """A line set no further in than a nested part's heading ends that part's scope."""
        if self.nested is not None and indent <= self.nested[0]:
            self.scope, self.nested = self.nested[1], None

    def leave_listed(self, indent: int) -> None:
        """An item set no further in than a part's heading written as a list item ("- Phase
        1 portion:") ends that part's scope once the items under it were set further in (its
        own sub-list)."""
        if self.listed is not None:
            at, before, deeper = self.listed
            if indent > at:
                self.listed = (at, before, True)
            elif deeper:
                self.scope, self.listed = before, None
            else:
                self.listed = None  # a flat list under the heading: its items are the part's

    def title(self, h: Heading) -> None:
        """A part's label with its name on a line of its own, right over a section heading
        ("Cohort B: soft tissue sarcoma" / "Inclusion Criteria:"): the part's heading, not a
        criterion (what it names, often the study treatment, is no requirement)."""
        if h.kind not in ("inclusion", "exclusion") or h.cohorts or not self.criteria:
            return
        c = self.criteria[-1]
        if not (c.named and c.cohorts and not c.style and c.parent is None and not c.children
                and len(c.text) <= 80 and "\n" not in c.text.strip()):
            return
        self.criteria.pop()
        self.stack = [s for s in self.stack if s[2] < len(self.criteria)]
        self.scope, self.outer, self.fresh = c.cohorts, None, True

    def _remember(self, cohorts: tuple[tuple[str, str], ...]) -> tuple[str, ...] | None:
        kept = []
        for ident, label in cohorts:
            if ident in self.cohorts or len(self.cohorts) < MAX_COHORTS:
                self.cohorts.setdefault(ident, label)
                kept.append(ident)
        return tuple(kept) or None

    def item(self, start: int, end: int, text: str, style: str, indent: int) -> None:
        last = len(self.criteria) - 1
        # "- No other cancer, except:" over a paragraph with no bullet, set further left: the
        # header's one child all the same (it has no other), not a criterion of its own
        lone = (not style and last >= 0 and self.criteria[last].header
                and not self.criteria[last].children and bool(self.stack)
                and self.stack[-1][2] == last and indent < self.stack[-1][1])
        parent = last if lone else self._parent(style, indent)
        # the items under a part's label ("For the expansion part:", "Phase 1 portion: the
        # following types:") are that part's
        up = None if parent is None else self.criteria[parent]
        scope = up.cohorts if up is not None and (up.label or up.named and up.header) else self.scope
        self.fresh = False
        c = Criterion(self.section, start, end, text, scope, parent,
                      0 if parent is None else self.criteria[parent].depth + 1, style)
        inline = inline_cohort(text)
        # (a part named by one alternative of a list, "one of: - A / - for the naive cohort:
        # B", stays an alternative: as a cohort of its own, the list would hold without it)
        named = None if inline or self.scope is not None or (up is not None and up.any_of) \
            else self._named(text)
        if inline:
            ids, at = inline
            c.cohorts = self._remember(ids) or self.scope
            if scope and up is not None and c.cohorts and c.cohorts != scope \
                    and not set(scope) & set(c.cohorts):
                self.subparts.setdefault(scope, []).extend(c.cohorts)
            c.named = at > 0
            if not at or re.search(r"(?i)\bonly\b", text[:at]):  # (a part named after)
                self.only = True
            else:
                self.labelled = True
        elif named:  # "For the expansion cohort, patients must ...": that cohort only
            c.cohorts = self._remember(named[0])
            self.portions.update(ident for ident, _label in named[0])
            if self.section == "inclusion":
                self.entered.update(ident for ident, _label in named[0])
            c.named = True
            c.label = named[1] >= len(text.rstrip())
        self.criteria.append(c)
        if parent is not None:
            self.criteria[parent].children.append(len(self.criteria) - 1)
        if not lone:  # (the header stays the list's top: the next bullet is its sibling)
            self.stack.append((style, indent, len(self.criteria) - 1))
        self.open = True
        self.last_line = text

    def _named(self, text: str) -> tuple[tuple[tuple[str, str], ...], int] | None:
        """The part a criterion opens by naming: by what it does ("For the expansion cohort,
        ..."), or in words of its own ("For the melanoma arm: ...") by an inclusion criterion
        or by an exclusion that names parts named before; an exclusion alone names no
        population ("For the A and B cohorts, no earlier X": manual review)."""
        named = named_portion(text)
        if named is not None:
            return named
        free = free_portion(text)
        if free is not None and (self.section == "inclusion"
                                 or all(i in self.cohorts for i, _ in free[0])):
            return free
        return None

    def _parent(self, style: str, indent: int) -> int | None:
        closed = None  # the indent of the deepest item just closed
        while self.stack:
            top_style, top_indent, idx = self.stack[-1]
            if (top_style == style and top_indent == indent) or indent < top_indent:
                if top_style == style and indent < top_indent:
                    closed = top_indent if closed is None else closed
                elif top_style == style:
                    closed = None  # a sibling at this indent: the list goes on under its header
                self.stack.pop()
                continue
            if closed is not None and top_style == style and self.criteria[idx].header:
                # "- Header, any of:" / "     - a" / "   - next": an item of the header's
                # style that falls back left of the header's items closes its list, even
                # when indented a little more than the header (first lines lose indent)
                self.stack.pop()
                continue
            if self.criteria[idx].header or indent > top_indent or top_style != style:
                return idx if self.criteria[idx].header or indent > top_indent else None
            self.stack.pop()
        return None

    def extend(self, end: int, line: str) -> None:
        self.criteria[-1].end = end
        self.last_line = line

    def finish(self, text: str) -> None:
        """Close the last criterion: its words, header flags, and the cut of an overlong one."""
        c = self.criteria[-1]
        if c.end - c.start > MAX_CRITERION:
            self._cut(text)
            c = self.criteria[-1]
        c.text = text[c.start:c.end]
        if (c.named or self.scope is None) and self._split_part(text):
            # "Part A only: X. Part B only: Y", "X. In the expansion cohort, Y"
            self.finish(text)
            return
        words = c.text.rstrip()
        given = portion_only(words) if self.scope is None and not c.named else None
        if given is not None:  # "... This is required only for the expansion phase."
            c.cohorts = self._remember(given) or c.cohorts
            self.asides.update(ident for ident, _label in given)
            c.named = True
        if "\n" in words and not c.named and c.cohorts == self.scope:
            # a part named at the end of an item of several lines ("... NOTE: ... (cohort 2)")
            tagged = inline_cohort(words)
            if tagged is not None and tagged[1] == 0 and len(PART_LABEL.findall(words)) == 1:
                c.cohorts = self._remember(tagged[0]) or c.cohorts
                self.only = True
        if c.section == "inclusion" and (c.parent is None or not self.criteria[c.parent].any_of) \
                and _RULED_OUT_ITEM.match(words):
            c.section = "exclusion"
        c.header = words.endswith((":", "："))
        c.any_of = c.header and bool(_ANY_OF.search(words)) and not _ALL_OF.search(words)
        c.all_of = c.header and bool(_ALL_OF.search(words))

    def _split_part(self, text: str) -> bool:
        """Cut the last criterion where a sentence opens with a part's name: a label ("only"
        after an id, or a colon) when the criterion opened with a part ("Phase 1 only: no
        prior X. Phase 2: no prior X or Y"), or a part named by what it does ("X. In the expansion cohort, Y"):
        the rest is a criterion of that part. Whether it was cut."""
        c = self.criteria[-1]
        for m in _NEXT_SENTENCE.finditer(c.text):
            rest = c.text[m.end():]
            tagged = inline_cohort(rest)
            if tagged is None or not tagged[1] or not (
                    c.named and _LABELLED.search(rest, 0, tagged[1]) or _FOR.match(rest)):
                tagged = named_portion(rest) if self.scope is None else None
                if tagged is None:
                    continue
            ids = self._remember(tagged[0])
            if ids is None or ids == c.cohorts:
                continue
            if not c.named:  # "X. In the expansion cohort, Y": X stays everyone's
                self.asides.update(ids)
            start, end = c.start + m.end(), c.end
            c.end = c.start + m.start() + 1
            c.text = text[c.start:c.end]
            self._continue_with([Criterion(c.section, start, end, text[start:end], ids, c.parent,
                                           c.depth, c.style, named=True,
                                           label=tagged[1] >= len(rest.rstrip()))])
            return True
        return False

    def _continue_with(self, pieces: list[Criterion]) -> None:
        """Add the pieces cut from the last criterion after it, as its siblings; the last
        piece takes its place at the top of the open list."""
        idx = len(self.criteria) - 1
        for piece in pieces:
            self.criteria.append(piece)
            if piece.parent is not None:
                self.criteria[piece.parent].children.append(len(self.criteria) - 1)
        if self.stack and self.stack[-1][2] == idx:
            style, indent, _ = self.stack.pop()
            self.stack.append((style, indent, len(self.criteria) - 1))

    def _cut(self, text: str) -> None:
        """Replace the overlong last criterion by pieces of at most MAX_CRITERION characters."""
        c = self.criteria[-1]
        pieces = _pieces(text, c.start, c.end)
        c.start, c.end = pieces[0]
        c.text = text[c.start:c.end]
        self._continue_with([Criterion(c.section, start, end, text[start:end], c.cohorts,
                                       c.parent, c.depth, c.style) for start, end in pieces[1:]])


def _pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """start..end cut into spans of at most MAX_CRITERION characters, at the best boundary
    in the second half of each window (line, sentence, clause, word; else a hard cut)."""
    out: list[tuple[int, int]] = []
    pos = start
    while end - pos > MAX_CRITERION:
        limit = pos + MAX_CRITERION
        cut = -1
        for sep in _CUTS:
            at = text.rfind(sep, pos + MAX_CRITERION // 2, limit)
            if at != -1:
                cut = at + len(sep.rstrip()) if sep.strip() else at
                break
        if cut <= pos:
            cut = limit
        piece_end = cut
        while piece_end > pos and text[piece_end - 1].isspace():
            piece_end -= 1
        if piece_end > pos:
            out.append((pos, piece_end))
        pos = cut
        while pos < end and text[pos].isspace():
            pos += 1
    if pos < end:
        out.append((pos, end))
    return out or [(start, end)]


_INCLUSION_TWICE = re.compile(r"(?is)\binclusion\s+criteria\b.*?\binclusion\s+criteria\b")
_TITLE_END = re.compile(r"[.;,:：]\s*\Z")


def _titles(lines: list[tuple[int, str]]) -> dict[int, Heading]:
    """A population's name on a line of its own over each of two or more plain "Inclusion
    Criteria" headings ("METASTATIC DISEASE" / "Inclusion Criteria" / ... / "Exclusion
    Criteria" / ... / "LOCALISED DISEASE" / "Inclusion Criteria" / ...): the text is one
    set of criteria per population, each a cohort under that name (offset -> its heading)."""
    titled: dict[int, Heading] = {}
    plain = named = 0
    for i, (_pos, line) in enumerate(lines):
        h = classify(line) if line.strip() else None
        if h is None or h.kind != "inclusion" or h.cohorts or h.rest is not None:
            continue
        plain += 1
        j = i - 1
        while j >= 0 and not lines[j][1].strip():
            j -= 1
        if j < 0:
            continue
        pos, title = lines[j]
        name = title.strip()
        after_gap = j == 0 or not lines[j - 1][1].strip()
        if (bullet_of(title)[1] or not 3 <= len(name) <= 80 or _TITLE_END.search(name)
                or classify(title) is not None or not (after_gap or name.isupper())):
            continue
        named += 1
        if inline_cohort(name) is None and named_portion(name) is None:  # ("Cohort A: ...": one)
            titled[pos] = Heading("cohort", name, ((portion_id(name), name),), "cohort.title")
    return titled if named >= 2 and named == plain else {}


def segment(text: str) -> Layout:
    """Split eligibility text into criteria (see the module docstring for the rules)."""
    b = _Builder()
    b.run_on = _run_on(text)
    lines = list(layout_lines(text, b.run_on))
    # (a text that names inclusion criteria twice: the word counted first, the phrase checked)
    titles = _titles(lines) if probe(text).count("inclusion") >= 2 \
        and _INCLUSION_TWICE.search(text) else {}
    for pos, line in lines:
        if not line.strip():
            if b.criteria and b.open and not b.blank and _bracket_left_open(b, text):
                continue  # "... radiation (to" / blank line / "25% of the marrow)": one item
            b.blank = True
            if b.criteria and b.open:
                b.finish(text)
            continue
        if b.tail and _HEADING_TAIL.fullmatch(line):
            b.tail = False  # "... criteria must be" / "fulfilled:": the heading's last word
            continue
        b.tail = False
        h = titles.get(pos) or classify(line)
        if h is not None and h.rest is None and (h.kind != b.section or h.source == "cohort.portion") \
                and _wrapped_word(b, line, h.source in ("cohort.portion", "cohort.for")):
            h = None
        if h is not None and h.rest is None:
            if b.criteria:
                b.finish(text)
                b.title(h)
            nested = _nested_heading(b, line, h)
            around = b.listed[1] if b.listed is not None else b.scope  # (the next part's)
            b.heading(h)
            b.nested = nested
            b.listed = (len(line) - len(line.lstrip()), around, False) \
                if nested is None and h.kind == "cohort" and bullet_of(line)[1] else None
            b.blank = False
            b.tail = h.source == "cohort.group" and not line.rstrip().endswith((":", "：")) \
                or line.count("(") > line.count(")")
            continue
        if h is not None:  # "Inclusion Criteria: first criterion on the same line"
            if b.criteria:
                b.finish(text)
                b.title(h)
            b.heading(h)
            lead, bullet = bullet_of(line, h.rest or 0)  # "Exclusion Criteria:- first item"
        else:
            lead, bullet = bullet_of(line)
        body_start, body_end = pos + lead, pos + len(line.rstrip())
        if body_start >= body_end:
            continue
        body = text[body_start:body_end]
        indent = _aligned_indent(b, line, bullet)
        b.leave_nested(indent)
        if _continues(b, bullet, body):
            b.extend(body_end, body)
        else:
            if b.criteria:
                b.finish(text)
            b.leave_listed(indent)
            b.item(body_start, body_end, body, _style(bullet), indent)
        b.blank = False
    if b.criteria:
        b.finish(text)
    # one part named only by its own criteria ("... (part 2 only)"): the other parts are
    # the criteria no part names, a cohort of their own
    # ; so are they when the text names one part only, by what it does ("Dose expansion
    # cohort:", "For the randomised phase, ...")
    lone_part = len(b.cohorts) == 1 and (not b.headed and b.only and not b.labelled
                                         or set(b.cohorts) == b.portions) \
        or bool(b.cohorts) and set(b.cohorts) <= b.portions and not b.entered & set(b.cohorts)
    _subdivide(b)
    aside = bool(b.cohorts) and set(b.cohorts) <= b.asides
    return Layout(b.criteria, b.cohorts,
                  base=(b.additions or lone_part or aside) and not b.plain
                  and not (len(b.specific) >= 2 and b.specific == set(b.cohorts)))


def _subdivide(b: _Builder) -> None:
    """A part divided into sub-parts by its list items ("Part 2:" / "Arm A: ..." / "Arm B:
    ..."): its criteria are each sub-part's, and it is no cohort of its own."""
    for whole, parts in b.subparts.items():
        for c in b.criteria:
            if c.cohorts and set(whole) & set(c.cohorts):
                c.cohorts = tuple(dict.fromkeys(
                    [x for x in c.cohorts if x not in whole] + parts))
        kept = {x for c in b.criteria if c.cohorts for x in c.cohorts}
        for ident in whole:
            if ident not in kept:
                b.cohorts.pop(ident, None)


def _nested_heading(b: _Builder, line: str, h: Heading) -> tuple[int, tuple[str, ...] | None] | None:
    """A part's heading written as a sub-item of an open item: (its indent, the scope to come
    back to), else None."""
    if h.kind != "cohort":
        return None
    bullet = bullet_of(line)[1]
    indent = len(line) - len(line.lstrip())
    if not bullet:
        return None
    if b.nested is not None and b.nested[0] == indent:  # the next part of the same list
        return b.nested
    if not b.stack or b.stack[0][1] >= indent:
        return None
    return indent, b.scope


def _aligned_indent(b: _Builder, line: str, bullet: str) -> int:
    """The indent of a line; a number of two digits or more right-aligned with the open items
    of its list ("   9." over "  10.", as the registry lays lists out) counts at their indent,
    so item 10 stays in the list of item 9."""
    indent = len(line) - len(line.lstrip())
    digits = len(bullet.strip()) - 1
    if digits >= 2 and bullet.strip()[:digits].isdigit():
        style = _style(bullet)
        aligned = indent + digits - 1
        if any(s == style and at == aligned for s, at, _ in b.stack):
            return aligned
    return indent


def _bracket_left_open(b: _Builder, text: str) -> bool:
    """Whether the open criterion stops inside a bracket it opened, mid-sentence: a blank line
    there is a break in the pasted text, not the end of the criterion."""
    c = b.criteria[-1]
    if c.end - c.start > 600 or b.last_line.rstrip().endswith((".", ";", ":", "：", "。")):
        return False
    words = text[c.start:c.end]
    return words.count("(") > words.count(")")


def _wrapped_word(b: _Builder, line: str, any_case: bool = False) -> bool:
    """A lower-case heading word without a colon right under an unfinished criterion line
    ("... requiring treatment at the time of" over "inclusion" in the exclusion criteria):
    the criterion's last word, wrapped, not a heading that switches the section. A part named
    by what it does ("... apply to subjects on the" over "Expansion Cohort (from 2013)") or
    after "for" ("... measurable disease" over "for Part B") is wrapped words in any case."""
    core = line.strip()
    return ((any_case or core.islower()) and not core.endswith((":", "：")) and bool(b.criteria)
            and b.open and not b.blank
            and not b.last_line.rstrip().endswith((".", ":", ";", "：", "。")))


_EXAMPLES_COLON = re.compile(rf"(?i)\b{EXAMPLE_OPENERS}\s*[:：]\Z")


def _continues(b: _Builder, bullet: str, body: str) -> bool:
    """Whether an unbulleted line wraps the previous criterion rather than starting one."""
    if bullet or not b.criteria or not b.open or b.blank:
        return False
    if _RUN_ON_LABEL_START.match(body) and b.run_on:
        return False  # "... Chemotherapy: ...": the next entry of a run-on paragraph
    prev = b.last_line.rstrip()
    if prev.endswith((":", "：")):
        # "... any systemic therapy such as:" / "chemotherapy, hormones or vaccines given
        # ...": examples the sentence goes on with, wrapped, not a list of its own
        return body[:1].islower() and _EXAMPLES_COLON.search(prev) is not None
    return not (prev.endswith((".", ";")) and body[:1].isupper())
