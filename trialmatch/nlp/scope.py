"""ConText scopes: which mentions a context cue reaches, counted in tokens.

The cue rules are data (data/context.yaml): each with a category, a direction, a maximum
scope in tokens, the mention labels it applies to, and its phrases. This module only finds
the cues and their scopes, as ConText does (Chapman et al.; medspaCy):

* cue phrases are matched on the words of the text (case-insensitive; a hyphen or a line
  break between words is the same as a space: `tokens.phrase_hits` on the bare words of
  `Tokens.bare`);
  overlapping cues keep the longest, so a
  `pseudo` phrase ("not allowed") silences the shorter cue inside it ("allowed");
* a scope runs from the cue forward or backward, at most `max_scope` tokens, and stops at
  ";", at the end of a sentence, at a `terminate` cue (unless the rule goes `through_clauses`)
  and at the edge of its criterion;
* every mention whose first token lies in a scope, and whose label the rule applies to,
  gets the rule's category in `Mention.mods`; an `adjacent` rule reaches only the mention
  that ends right before its cue.

What a category does to a finding is code (findings.py), not data.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import lru_cache

from trialmatch.nlp.mentions import Mention
from trialmatch.nlp.resources import ContextRule, context_rules
from trialmatch.nlp.tokens import Tokens, phrase_hits
from trialmatch.nlp.treatment_state import in_class

_TO_COLON = 6  # the words between a cue and the colon that opens its list ("as one or more of")
_WORD = re.compile(r"\d+(?:\.\d+)*|[^\W\d_]+(?:\d+[^\W\d_]*)*|[^\W_]+|[^\s\-–]", re.UNICODE)


def cue_words(phrase: str) -> tuple[str, ...]:
    """The lower-case words of a cue phrase, as the text's tokens will show them."""
    return tuple(w.lower() for w in _WORD.findall(phrase))


@lru_cache(maxsize=1)
def _index() -> dict[str, list[tuple[tuple[str, ...], ContextRule]]]:
    """First word -> [(words, rule)], longest first."""
    index: dict[str, list[tuple[tuple[str, ...], ContextRule]]] = {}
    for rule in context_rules():
        for phrase in rule.phrases:
            words = cue_words(phrase)
            if words:
                index.setdefault(words[0], []).append((words, rule))
    for entries in index.values():
        entries.sort(key=lambda e: -len(e[0]))
    return index


@lru_cache(maxsize=1)
def _target_labels() -> frozenset[str]:
    return frozenset(label for rule in context_rules() for label in rule.applies_to)


@dataclass(slots=True, frozen=True)
class Cue:
    """A matched cue: words lo..hi (exclusive) of the kept-token list, and its rule."""

    lo: int
    hi: int
    rule: ContextRule


@lru_cache(maxsize=1)
def _phrases() -> dict[str, list[tuple[str, ...]]]:
    """First word -> the words of its cue phrases, in the order of `_index`."""
    return {first: [words for words, _rule in entries] for first, entries in _index().items()}


def matched_cues(low: list[str]) -> list[Cue]:
    """Every cue phrase in the bare words `low`, overlaps kept: by first word, then as the
    phrases of that word are ranked (longest first)."""
    index = _index()
    return [Cue(k, n, index[low[k]][rank][1]) for k, rank, n in phrase_hits(low, _phrases())]


def find_cues(low: list[str], found: list[tuple[int, int, int]] | None = None) -> list[Cue]:
    """Every cue in a word list; of overlapping cues the longest (then the first) wins.
    `found`: the phrase hits of `low` when the caller has them."""
    if found is None:
        found = phrase_hits(low, _phrases())  # (lo, rank, hi), as `matched_cues` has them
    width = len(low) + 1  # longest first, then by first word: one integer key
    taken = [False] * width
    ends: dict[int, int] = {}  # the cues kept: first word -> end (they never overlap)
    kept: list[tuple[int, int, int]] = []
    for lo, rank, hi in sorted(found, key=lambda h: (h[0] - h[2]) * width + h[0]):
        if ends.get(lo, -1) == hi:  # the same words in several rules: each applies
            kept.append((lo, rank, hi))
            continue
        free = True
        for i in range(lo, hi):
            if taken[i]:
                free = False
                break
        if not free:
            continue
        for i in range(lo, hi):
            taken[i] = True
        ends[lo] = hi
        kept.append((lo, rank, hi))
    kept.sort(key=lambda h: h[0])
    index = _index()
    return [Cue(lo, hi, index[low[lo]][rank][1]) for lo, rank, hi in kept]


_KARYOTYPE = frozenset({"t", "inv", "der", "ins", "dup", "del", "i"})


def _barriers(words: list[str]) -> list[int]:
    """Token indices that end every scope: ";", and "." at the end of a sentence (after a
    word of two letters or more, or after a closing bracket: not after an initial)."""
    out = []
    n = len(words)
    for i, w in enumerate(words):
        if w == ";" and i >= 3 and words[i - 2] == "(" and words[i - 3].lower() in _KARYOTYPE:
            continue  # "t(8;21)": the chromosomes of a translocation, no clause break
        if w in (";", "；", "。") or w == "." and i > 0 and (
                len(words[i - 1]) > 1 or words[i - 1] in (")", "]")) and (
                i + 1 == n or not words[i + 1][:1].islower()) and not (
                # a version number ("CTCAE v4.03"): a point between digits ends nothing
                i + 1 < n and words[i - 1][-1:].isdigit() and words[i + 1][:1].isdigit()):
            out.append(i)
    return out


# Categories whose cue in brackets qualifies the head before them ("chemotherapy (except
# adjuvant)", "an ALK inhibitor (other than crizotinib)"): their scope may leave the brackets.
_QUALIFY_HEAD = frozenset({"exception", "carved"})
# Categories whose forward scope, run out inside a bracket of examples, covers the bracket
# ("no prior X (e.g. a, ..., z)", "allergy to X (e.g. a, b, c)"); a qualifier or a count
# stays where its words reach
_THROUGH_EXAMPLES = frozenset({"negated", "prospective", "setting", "history", "permission"})


def bracket_pairs(words: list[str]) -> dict[int, int]:
    """{open token index: its close token index} of the balanced brackets of `words`."""
    pairs: dict[int, int] = {}
    stack: list[int] = []
    for i, w in enumerate(words):
        if w in ("(", "[", "（"):
            stack.append(i)
        elif w in (")", "]", "）") and stack:
            pairs[stack.pop()] = i
    return pairs


def _enclosing(words: list[str], wanted: list[int]) -> dict[int, tuple[int, int]]:
    """For each wanted token index inside balanced brackets: the innermost (open, close).

    Matched pairs nest or are disjoint, so one sweep in text order finds each: the pairs
    opened before a wanted index that are still open there form a stack, the innermost on
    top (the tests compare it with trying every pair for every index)."""
    pairs = bracket_pairs(words)
    if not pairs:
        return {}
    spans = sorted(pairs.items())
    out = {}
    open_: list[tuple[int, int]] = []  # pairs opened before k and not closed before it
    j = 0
    for k in sorted(set(wanted)):
        while j < len(spans) and spans[j][0] < k:
            while open_ and open_[-1][1] < spans[j][0]:
                open_.pop()  # closed before this pair opens: disjoint
            open_.append(spans[j])
            j += 1
        while open_ and open_[-1][1] <= k:
            open_.pop()
        if open_:
            out[k] = open_[-1]
    return out


def _may_mark(rule: ContextRule, present: set[str]) -> bool:
    """Whether a cue of `rule` may mark a mention of one of these labels."""
    return rule.direction not in ("terminate", "pseudo") and not present.isdisjoint(rule.applies_to)


def apply_context(toks: Tokens, mentions: list[Mention], bounds: list[int]) -> None:
    """Mark each mention in reach of a cue with the cue's category (`Mention.mods`).

    `bounds` are the character offsets where criteria start: no scope crosses one."""
    if not any(m.label in _target_labels() for m in mentions):
        return
    keep, low = toks.bare()
    if not keep:
        return
    labels = _target_labels()
    targets = sorted((m for m in mentions if m.label in labels), key=lambda m: m.start)
    if not targets:
        return
    present = {m.label for m in targets}
    hits = phrase_hits(low, _phrases())
    index = _index()
    if not any(_may_mark(index[low[k]][rank][1], present) for k, rank, _hi in hits):
        return  # no cue can mark a mention of the text (below, `active` would be empty)
    words = [toks.words[i] for i in keep]
    starts = [toks.starts[i] for i in keep]
    cues = find_cues(low, hits)
    # the cues that may mark a mention: a rule that applies to no label of the text marks
    # nothing ("≥" counts lines of therapy: it reaches drugs only)
    active = [c for c in cues if _may_mark(c.rule, present)]
    if not active:
        return
    bound_set = {bisect_left(starts, b) for b in bounds}
    bound_toks = sorted(bound_set)
    hard = sorted(set(_barriers(words)) | set(bound_toks))  # what ends every scope
    stops = sorted(set(hard) | {c.lo for c in cues if c.rule.direction == "terminate"})
    t_tok = [bisect_right(starts, m.start) - 1 for m in targets]
    brackets = _enclosing(words, [c.lo for c in active])
    pairs = bracket_pairs(low)
    marked: dict[int, dict[str, int]] = {}  # id(mention) -> category -> the cue's token
    ends: dict[int, list[Mention]] = {}  # the token after each mention -> the mentions
    if any(c.rule.adjacent for c in active):
        for m in targets:
            ends.setdefault(bisect_left(starts, m.end), []).append(m)
    for cue in active:
        rule = cue.rule
        if rule.adjacent:
            if cue.lo in bound_set:  # the cue opens the next criterion
                continue
            for m in _adjacent(cue.lo, low, pairs, ends):
                if _reaches(rule, m):
                    m.mods.add(rule.category)
            continue
        spans = []
        if rule.direction in ("forward", "both"):
            hi = _forward_limit(cue, low, hard if rule.through_clauses else stops, pairs,
                                brackets.get(cue.lo), bound_toks)
            spans.append((_examples_start(low, cue.hi, hi) if rule.examples_only else cue.hi, hi))
        if rule.direction in ("backward", "both"):
            back = hard if rule.through_clauses and rule.direction == "backward" else stops
            j = bisect_right(back, cue.lo) - 1
            floor = back[j] + (1 if back[j] < cue.lo and low[back[j]] in (";", ".", "；", "。")
                               else 0) if j >= 0 else 0
            # a criterion start is itself in scope; a barrier token is not
            floor = max(cue.lo - rule.max_scope, floor)
            if rule.terminators:
                floor = _backward_terminator(low, cue.lo, floor, rule.terminators)
            spans.append((floor, cue.lo))
        box = brackets.get(cue.lo) if rule.category not in _QUALIFY_HEAD else None
        if box is not None:  # a cue inside brackets reaches nothing outside them
            spans = [(max(lo, box[0] + 1), min(hi, box[1])) for lo, hi in spans]
        cue_start, cue_end = starts[cue.lo], starts[cue.hi - 1] + len(words[cue.hi - 1])
        for lo, hi in spans:
            if lo >= hi:
                continue
            a, b = bisect_left(t_tok, lo), bisect_left(t_tok, hi)
            for m in targets[a:b]:
                if _reaches(rule, m) and (m.end <= cue_start or m.start >= cue_end):
                    m.mods.add(rule.category)
                    if rule.category in ("negated", "permission"):
                        marked.setdefault(id(m), {})[rule.category] = cue.lo
    _denied_permissions(targets, marked, low, stops, starts)


def _reaches(rule: ContextRule, m: Mention) -> bool:
    """Whether the rule applies to a mention of this kind (and, for a rule of one drug
    class, of this class)."""
    return m.label in rule.applies_to and (rule.drug_class is None or in_class(
        str(m.data.get("concept", "")), rule.drug_class))


def _denied_permissions(targets: list[Mention], marked: dict[int, dict[str, int]],
                        low: list[str], stops: list[int], starts: list[int]) -> None:
    """"No prior X is allowed": a negation opening the clause and a permission closing it
    deny the permission (X is ruled out), unlike "patients with no prior X are allowed"
    (a group allowed in: no constraint)."""
    for m in targets:
        cues = marked.get(id(m), {})
        if len(cues) < 2 or cues["permission"] < bisect_left(starts, m.end):
            continue
        neg = cues["negated"]
        if starts[neg] > m.start:  # ("X-naive patients are allowed": a group let in)
            continue
        if _condition_of_permission(low, neg):
            # "earlier adjuvant X-based chemotherapy not containing Y is acceptable": the
            # treatment allowed is one without Y, so Y is ruled out
            m.mods.discard("permission")
            continue
        j = bisect_right(stops, neg) - 1
        opening = stops[j] if j >= 0 else -1
        if (neg == opening or all(not w.isalnum() for w in low[opening + 1:neg])) \
                and _BRACKETS.isdisjoint(low[neg:cues["permission"]]):
            # (not "no X (Y allowed if ...)": the bracket's permission is its own)
            m.mods.discard("permission")


_REGIMEN_WORDS = frozenset({"regimen", "regimens", "therapy", "therapies", "chemotherapy",
                            "treatment", "treatments", "combination", "combinations"})


def _condition_of_permission(low: list[str], neg: int) -> bool:
    """Whether the negation at token `neg` says what an allowed treatment must not hold: "a
    regimen not containing", "chemotherapy not including", "therapy without"."""
    word = low[neg]
    after = low[neg + 1] if neg + 1 < len(low) else ""
    before = low[neg - 1] if neg > 0 else ""
    return before in _REGIMEN_WORDS and (
        word == "without" or word == "not" and after in ("containing", "including", "contain",
                                                          "include", "comprising"))


_EXAMPLES = (("including",), ("such", "as"), ("for", "example"))


def _examples_start(low: list[str], lo: int, hi: int) -> int:
    """The token after the first ", including" / ", such as" / ", for example" in lo..hi
    (`hi`, an empty scope, when there is none)."""
    for k in range(lo, hi - 1):
        if low[k] == ",":
            for words in _EXAMPLES:
                if tuple(low[k + 1:k + 1 + len(words)]) == words:
                    return k + 1 + len(words)
    return hi


# a name and its abbreviation in brackets right after it: "(HER2)", "(HER2/neu)", "(EGFR-TKI)"
_ABBREVIATION_GAP = re.compile(r"\s*\(\s*")
_ABBREVIATION_TAIL = re.compile(r"[^()\s]{0,8}\)")


def share_abbreviation_mods(text: str, mentions: list[Mention]) -> None:
    """A name and its abbreviation in the brackets after it are one concept: each takes the
    context of the other ("human epidermal growth factor receptor 2 (HER2) status (positive
    or negative)": the permission reached the abbreviation only)."""
    targets = sorted((m for m in mentions if m.label in _target_labels() and m.label != "cancer"),
                     key=lambda m: m.start)  # a cancer's context is read in assemble.py
    for name, abbr in zip(targets, targets[1:]):
        if (abbr.label == name.label and (abbr.mods or name.mods) and abbr.mods != name.mods
                and _ABBREVIATION_GAP.fullmatch(text, name.end, abbr.start)
                and _ABBREVIATION_TAIL.match(text, abbr.end)):
            name.mods |= abbr.mods
            abbr.mods |= name.mods


def _adjacent(lo: int, low: list[str], pairs: dict[int, int],
              ends: dict[int, list[Mention]]) -> list[Mention]:
    """The mentions that end right before token `lo`; after a closing bracket ("primary
    myelofibrosis (PMF)-directed therapy"), the name and its abbreviation in the brackets."""
    at = [lo]
    if lo > 0 and low[lo - 1] in (")", "]"):
        opener = next((k for k, v in pairs.items() if v == lo - 1), None)
        at += [lo - 1] + ([opener] if opener is not None else [])
    return [m for k in at for m in ends.get(k, ())]


def _forward_limit(cue: Cue, low: list[str], ends_at: list[int], pairs: dict[int, int],
                   box: tuple[int, int] | None, bound_toks: list[int]) -> int:
    """Where the forward scope of `cue` ends (a token index): its rule's maximum scope, cut
    at the next stop and the rule's terminators, carried through a lettered or colon list,
    over coordinators, to the end of a bracket of examples it entered, or of the bracket
    that opens with an exception."""
    rule = cue.rule
    if rule.category == "permission" and cue.hi < len(low) and low[cue.hi] == "no":
        return cue.hi  # "patients may have had no earlier X": none is allowed, no permission
    j = bisect_right(ends_at, cue.hi - 1)
    limit = min(ends_at[j] if j < len(ends_at) else len(low), cue.hi + rule.max_scope)
    if rule.category == "exception" and _enumerator_at(low, cue.hi):
        # "except a) X; b) Y": the lettered list is the exception, ";" and all
        limit = _listed_end(low, ends_at, j, cue.hi + _ENUMERATED_SCOPE, enumerated=True)
    elif rule.through_clauses and any(low[k] in (":", "：") for k in range(
            cue.hi - 1, min(cue.hi + _TO_COLON, limit))):  # (the cue's own colon too)
        # "except in these cases: A; B; C", "postmenopausal, defined as one of: A; B":
        # the list the colon opens (right after the cue, or a few words on), ";" and
        # all, to the sentence's or the criterion's end
        limit = _listed_end(low, ends_at, j, cue.hi + rule.max_scope)
    if rule.terminators:
        limit = _forward_terminator(low, cue.hi, limit, rule.terminators)
    if rule.category == "exception":
        # "radiotherapy other than the standard course or previous treatment with X": an "or"
        # that opens a new item of the criterion ends what the exception leaves out
        limit = next((k for k in range(cue.hi + 1, limit - 1) if low[k] == "or"
                      and low[k + 1] in _NEW_ITEM), limit)
    if rule.coordinated:
        limit = _coordinated_end(low, cue.hi, limit, ends_at, rule)
    if (limit == cue.hi + rule.max_scope and limit < len(low)
            and rule.category in _THROUGH_EXAMPLES):
        # a scope that runs out inside a bracket it entered ("no prior X (e.g. a, b,
        # ..., z)", "allergy to X (e.g. a, b, c)") covers the bracket to its end, up to
        # the next stop
        limit = _through_bracket(pairs, cue.hi, limit, ends_at, rule.max_scope,
                                 at_limit=rule.category == "prospective")
    if rule.category == "exception" and box is not None and box[0] + 1 == cue.lo:
        # "(except patients who have had X)": a bracket that opens with the exception
        # is the exception to its end, through a relative clause; not past a criterion
        edge = bisect_right(bound_toks, cue.hi)
        limit = min(box[1], bound_toks[edge] if edge < len(bound_toks) else box[1])
    return limit


# the first word of an item coordinated with the whole criterion so far
_NEW_ITEM = frozenset(("previous", "prior", "earlier", "history", "known", "concurrent",
                       "current", "active"))
_OPENERS = {")": "(", "]": "["}
_BRACKETS = frozenset(_OPENERS) | frozenset(_OPENERS.values())
_ENUM_LABEL = re.compile(r"[a-h1-9]|i{1,3}|iv|vi{0,3}")
_ENUMERATED_SCOPE = 90  # tokens: a lettered exception list is long


def _enumerator_at(low: list[str], k: int) -> bool:
    """Whether a list label starts at token k: "a )", "( a )", "1 )", "ii )"."""
    if k < len(low) and low[k] == "(":
        k += 1
    return k + 1 < len(low) and low[k + 1] == ")" and _ENUM_LABEL.fullmatch(low[k]) is not None


def _listed_end(low: list[str], stops: list[int], j: int, cap: int,
                enumerated: bool = False) -> int:
    """The end of a list: the first stop that is not a ";" between its items (a sentence
    end, a criterion start), at most `cap`. A list opened by a colon runs through every ";";
    an `enumerated` one ("a) X; b) Y") only through a ";" before its next label."""
    cap = min(len(low), cap)
    while j < len(stops) and stops[j] < cap:
        k = stops[j]
        if low[k] != ";" or (enumerated and not _enumerator_at(low, k + 1)):
            return k
        j += 1
    return cap


def _backward_terminator(low: list[str], start: int, floor: int,
                         terminators: list[str]) -> int:
    """Where a backward scope ends: after the nearest terminator token outside brackets the
    scope walks through ("anti-EGFR therapy (e.g., cetuximab) for ..." passes the comma in
    the brackets)."""
    depth = 0
    for k in range(start - 1, floor - 1, -1):
        word = low[k]
        if word in (")", "]") and word not in terminators:
            depth += 1
        elif word in ("(", "[") and depth:
            depth -= 1
        elif word in terminators and not depth:
            return k + 1
    return floor


def _through_bracket(pairs: dict[int, int], start: int, limit: int, stops: list[int],
                     scope: int, at_limit: bool = False) -> int:
    """`limit` moved to the close of the outermost bracket opened in start..limit and still
    open at limit, if any; never past the next stop nor three scopes from the start."""
    # (`at_limit`: also one that opens right where the scope runs out, "scheduled to receive
    # A plus CHOP (a, b, c, d)": the planned regimen's drugs)
    closes = [pairs[k] for k in range(start, limit + at_limit) if k in pairs and pairs[k] >= limit]
    if not closes:
        return limit
    # (and the regimen's own head noun after the bracket: "... (a, b, c) chemotherapy")
    end = closes[0] + 3 if at_limit else closes[0]
    j = bisect_left(stops, limit)
    stop = stops[j] if j < len(stops) else end + 1
    return max(limit, min(end, stop, start + 3 * scope))


_COORDINATORS = frozenset(("or", "nor"))


def _coordinated_end(low: list[str], start: int, limit: int, stops: list[int],
                     rule: ContextRule) -> int:
    """A forward scope carried over the coordinators in it or right after it ("no A or B",
    "no A, or B"): each carries it `rule.coordinated` tokens past the coordinator, up to the
    next stop and terminator; a few coordinations at most."""
    for _ in range(3):
        at = limit
        if at + 1 < len(low) and low[at] == "," and low[at + 1] in rule.coordinators:
            at += 1
        coordinator = next((k for k in range(min(at, len(low) - 1), start - 1, -1)
                            if low[k] in rule.coordinators), None)
        if coordinator is None:
            # "no A, B, or C": the ", or" of the list the scope's first comma opens
            comma = next((k for k in range(start, min(at + 1, len(low))) if low[k] == ","), None)
            coordinator = None if comma is None else _serial_coordinator(low, comma, stops, rule)
            if coordinator is None or coordinator == comma:
                return limit
        j = bisect_right(stops, coordinator)
        end = min(stops[j] if j < len(stops) else len(low), coordinator + 1 + rule.coordinated)
        if rule.terminators:
            end = _forward_terminator(low, coordinator + 1, end, rule.terminators)
        if end <= limit:
            return limit
        limit = end
    return limit


def _serial_coordinator(low: list[str], at: int, stops: list[int], rule: ContextRule) -> int:
    """For a scope that reaches the comma after the first item of "A, B, or C": the "or" of
    the list's last item (a few items on, before the next stop and terminator), else `at`."""
    j = bisect_right(stops, at)
    end = min(stops[j] if j < len(stops) else len(low), at + _SERIAL_REACH)
    for k in range(at + 2, end - 1):
        if low[k] in rule.coordinators:
            return k
        if low[k] != "," and low[k] in rule.terminators:
            break  # ("no A, therapy for B or C": no list of A's kind)
    return at


_SERIAL_REACH = 12  # tokens from the first comma of a list to its ", or"


def _forward_terminator(low: list[str], start: int, limit: int,
                        terminators: list[str]) -> int:
    """Where a forward scope ends: the first terminator token, except a closing bracket
    whose opening bracket came after the cue ("excluding ALK (anaplastic lymphoma kinase)
    positive lymphomas" reaches the lymphomas; "(except G13D) or NRAS" stops at the ")")."""
    depth = {opener: 0 for opener in _OPENERS.values()}
    for k in range(start, limit):
        word = low[k]
        if word in depth:
            depth[word] += 1
        elif word in terminators:
            if word == ")" and _enumerator_at(low, k - 1) and (
                    k - 2 < start or low[k - 2] in (";", ",", "(")):
                continue  # "a)" labels an item of a list, it closes no bracket
            opener = _OPENERS.get(word)
            if opener is not None and depth[opener] > 0:
                depth[opener] -= 1
                continue
            if word == "," and _list_goes_on(low, k):
                continue  # "no A, B, or C": a comma of the list the cue negates
            return k
    return limit


def _list_goes_on(low: list[str], k: int) -> bool:
    """Whether the comma at `k` is one of a list that ends in "or"/"nor" a few words on."""
    for word in low[k + 1:k + 6]:
        if word in _COORDINATORS:
            return True
        if word in (";", ".", "(", ")"):
            return False
    return False
