"""Entity rules: find genes, variants, exon events, fusions, signatures, measurements, cancer
types (exact, then close spellings: fuzzy.py), drugs, performance status, age and cue words
in eligibility text.

Regular expressions come from data/patterns.yaml (scanned with firstchar.py: a text without
a pattern's needle words is skipped; the mechanism and shared-head patterns of this module are
scanned the same way, "<target>-blocking agents" only just before its verbs, and sign cues
only next to a "+" or "-"); cue phrases from data/cues.yaml, matched on the bare
words (`cue_phrases`, `Tokens.bare`, `tokens.phrase_hits`); gene, cancer and drug names
from the lexicon (lexicon.py), by our own token scans (their case rules, separators and
spelling checks are read over the text between tokens, which the matchers do not see). The
result is a list of non-overlapping `Mention`s in text order. What each pattern's groups mean
is decided here, per pattern `kind`.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from functools import lru_cache

from spacy.tokens import Doc

from trialmatch.nlp.firstchar import Scanner, probe, widest
from trialmatch.nlp.fuzzy import HEAD_WORDS, fuzzy_cancer_mentions, norm_word
from trialmatch.nlp.lexicon import Lexicon, gene_key, word_key, word_tuple
from trialmatch.nlp.mentions import Mention, norm_op, resolve, span_length
from trialmatch.nlp.resources import cues, gene_data, patterns, sites
from trialmatch.nlp.short_names import short_name_mentions
from trialmatch.nlp.tokens import WORD_RE, Tokens, doc_text, doc_tokens, phrase_hits
from trialmatch.nlp.treatment_state import state_mentions
from trialmatch.rules.variants import THREE_TO_ONE

_GLUED = re.compile(r"(?P<origin>[gst])?(?P<gene>[A-Za-z][A-Za-z0-9]*?)"
                    # (a position of two digits or more: "ARA2" is no gene with a codon)
                    r"(?:(?P<variant>[A-Z][1-9]\d{1,3}[A-Z]?)|(?P<mut>m|mut|MUT|mt))\Z")
_GENE_SEP = frozenset({"-", "–", "/", ".", "*", ":"})
_MAX_GENE_TOKENS = 9
_MAX_NAME_TOKENS = 8
_MAX_CUE_SURFACE = 100  # context rules rely on cue mentions being short (context._CUE_LEN)


# ----------------------------------------------------------------------------- patterns

# A line break with the whitespace around it, or a run of two or more whitespace characters:
# the matches of r"[ \t]*\n\s*|\s{2,}" (whole whitespace runs of two or more characters, or
# a lone "\n"), written to start with a character set so that re skips other text quickly.
_WRAPS = re.compile(r"\s(?:\s+|(?<=\n))")


def squeeze(text: str) -> tuple[str, list[int], list[int]]:
    """The text with each line break or run of whitespace as one space (the patterns are
    written for words one space apart; a criterion wraps wherever its line ends), and how
    to map its offsets back: from flat offset `starts[j]` on, add `shifts[j]` (`unsqueeze`).
    A run that ends one item (a blank line, or a line break before a bullet or an item
    number) becomes "¶", which no pattern reads across ("ECOG 0 or 1" / "- 18 years of age"
    is no age range "1 - 18 years")."""
    parts: list[str] = []
    starts: list[int] = []
    shifts: list[int] = []
    pos = flat = 0
    for m in _WRAPS.finditer(text):
        start, end = m.span()
        run = text[start:end]
        parts.append(text[pos:start])
        parts.append("\u00b6" if "\n" in run and (run.count("\n") > 1 or _ITEM_OPENS.match(text, end))
                     else " ")
        flat += start - pos + 1
        starts.append(flat)
        shifts.append(end - flat)
        pos = end
    parts.append(text[pos:])
    return "".join(parts), starts, shifts


# A bullet or an item number at a line's start: a new item
_ITEM_OPENS = re.compile(r"[-•*·▪‣◦–]\s|\(?\d{1,2}[.)]\s|\(?[a-z][.)]\s")


def unsqueeze(i: int, starts: list[int], shifts: list[int]) -> int:
    """The offset in the original text of flat offset `i` (see `squeeze`)."""
    j = bisect_right(starts, i) - 1
    return i + shifts[j] if j >= 0 else i


def pattern_mentions(text: str) -> list[Mention]:
    """Regex mentions (data/patterns.yaml), matched on the text with wrapped lines joined."""
    flat, starts, shifts = squeeze(text) if _WRAPS.search(text) else (text, [], [])
    probed = probe(flat)  # one look-up text for every pattern's needles (firstchar.py)
    out: list[Mention] = []
    for pat, rx in patterns():
        for m in rx.finditer(flat, probed):
            if m.end() == m.start():
                continue
            mention = read_pattern(pat.kind, pat.value, m, pat.id)
            if mention is not None:
                if starts:
                    mention.start = unsqueeze(m.start(), starts, shifts)
                    mention.end = unsqueeze(m.end() - 1, starts, shifts) + 1
                out.extend(_named_gene(mention))
    _compounds(out, text)
    return out


def _named_gene(mention: Mention) -> list[Mention]:
    """An event that names its gene ("METex14", "MET ex14 skipping") is the gene's mention
    (MET is also an English word, so the gene lexicon leaves it alone) and the event's."""
    gene = mention.data.get("gene") if mention.label == "exon" else None
    if gene is None:
        return [mention]
    cut = mention.start + len(gene)
    named = Mention("gene", mention.start, cut, mention.source,
                    {"genes": (gene,), "form": gene, "ambiguous": False})
    mention.start = cut
    return [named, mention]


def _compounds(found: list[Mention], text: str) -> None:
    """"G719A+L861Q": protein changes joined by "+" are one compound finding (both in one
    tumour); each is marked, so the phrase that takes them requires them together."""
    variants = sorted((m for m in found if m.label == "variant"), key=lambda m: m.start)
    for a, b in zip(variants, variants[1:]):
        if text[a.end:b.start].strip() == "+":
            a.data["compound"] = b.data["compound"] = True


def _g(m: re.Match[str], name: str) -> str | None:
    try:
        return m.group(name)
    except IndexError:
        return None


def _any(m: re.Match[str], *names: str) -> str:
    """The first of these groups that matched non-empty (the pattern makes one match)."""
    for name in names:
        value = _g(m, name)
        if value:
            return value
    raise ValueError(f"none of the groups {', '.join(names)} matched")


def read_pattern(kind: str, value: str | None, m: re.Match[str], source: str) -> Mention | None:
    """A mention from one regex match; `kind` says how to read its groups."""
    reader = _READERS.get(kind)
    if reader is None:
        return None
    data = reader(m, value)
    if data is None:
        return None
    label = {"variant_range": "variant", "exon_event": "exon", "exon_short": "exon",
             "exon_named": "exon", "exon_only": "exon", "age_range": "age"}.get(kind, kind)
    return Mention(label, m.start(), m.end(), source, data)


def _aa(code: str) -> str:
    return THREE_TO_ONE.get(code.capitalize(), code) if len(code) == 3 else code


def _variant(m: re.Match[str], _value: str | None) -> dict | None:
    ref, pos, alt = _aa(m.group("ref")), m.group("pos"), m.group("alt")
    alt = {"Ter": "*"}.get(alt, _aa(alt) if len(alt) == 3 and alt not in ("del", "dup", "ins")
                           else alt)
    xs = _g(m, "xs")
    if alt == "X" and xs:  # "G12X (X = C/D/V)": the residues X stands for
        return {"variants": [f"{ref}{pos}{x}" for x in re.findall(r"\b[A-Z]\b", xs)]}
    variants = [f"{ref}{pos}{alt}"]
    for extra in re.findall(r"[A-Z]", _g(m, "more") or ""):
        variants.append(f"{ref}{pos}{extra}")
    return {"variants": variants}


def _variant_range(m: re.Match[str], _value: str | None) -> dict:
    return {"variants": [f"{m.group('ref')}{m.group('pos')}_{m.group('ref2')}{m.group('pos2')}"
                         f"{m.group('alt')}"]}


def _codon(m: re.Match[str], _value: str | None) -> dict:
    ref = _g(m, "ref")
    positions = [m.group("pos"), *re.findall(r"\d{1,4}", _g(m, "more") or "")]
    return {"codon": True, "ref": ref, "positions": positions}


_EVENTS = {"del": "del", "ins": "ins", "skip": "skip", "dup": "ins", "deletion": "del",
           "insertion": "ins"}


def _exon_event(m: re.Match[str], _value: str | None) -> dict:
    exon = int(m.group("exon"))
    word = (_g(m, "event") or _g(m, "generic") or "").lower()
    if word.startswith(("internal", "itd")):
        return {"variants": ["ITD"], "exon": exon}
    for prefix, ev in (("del", "del"), ("ins", "ins"), ("skip", "skip"), ("dup", "ins")):
        if word.startswith(prefix):
            return {"variants": [f"exon{exon}{ev}"], "exon": exon}
    return {"variants": [], "exon": exon}


def _exon_short(m: re.Match[str], _value: str | None) -> dict:
    exon = int(_any(m, "exon", "exon2", "exon3", "exon4"))
    ev = _any(m, "event", "event2", "event3", "event4").lower()
    return {"variants": [f"exon{exon}{_EVENTS[ev]}"], "exon": exon}


def _exon_named(m: re.Match[str], _value: str | None) -> dict:
    return {"variants": ["exon14skip"], "exon": 14, "gene": "MET"}


def _exon_only(m: re.Match[str], _value: str | None) -> dict:
    exon = int(m.group("exon"))
    more = _g(m, "more")
    if not more:
        return {"variants": [], "exon": exon}
    numbers = [int(n) for n in re.findall(r"\d+", more)]
    if re.search(r"(?i)-|–|\bto\b|\bthrough\b", more):  # "exons 18-21": a range
        last = numbers[-1]
        extra = list(range(exon + 1, last + 1)) if exon < last <= exon + 10 else []
    else:
        extra = [n for n in numbers if n != exon]
    return {"variants": [], "exon": exon, "more_exons": list(dict.fromkeys(extra))}


def _event(_m: re.Match[str], value: str | None) -> dict | None:
    return {"variants": [value]} if value == "ITD" else None


def _signature(m: re.Match[str], value: str | None) -> dict:
    """A signature; "1p/19q intact" and "non-codeleted" state its absence (group neg*)."""
    negative = any(_g(m, g) for g in ("neg", "neg2", "neg3"))
    return {"name": value, "status": "negative" if negative else "positive"}


def _tmb(m: re.Match[str], _value: str | None) -> dict:
    return {"marker": "tmb", "op": norm_op(m.group("op")), "value": float(m.group("value"))}


def _measure(m: re.Match[str], value: str | None) -> dict:
    number = _g(m, "value") or _g(m, "value2")  # (value2: a bound written after the number)
    return {"marker": value, "op": norm_op(_g(m, "op")), "value": float(number or 0)}


def _her2_ihc(m: re.Match[str], _value: str | None) -> dict:
    values = [int(m.group("value")), *(int(x) for x in re.findall(r"[0-3]", _g(m, "more") or ""))]
    if re.search(r"\bto\b|-", _g(m, "more") or ""):  # "2+ to 3+": the scores between
        values = list(range(min(values), max(values) + 1))
    return {"values": values, "greater": bool(_g(m, "greater")),
            "before_gene": bool(re.search(r"(?i)(?:of|for)\s*(?:the\s*)?$", m.group()))}


def _philadelphia(m: re.Match[str], _value: str | None) -> dict:
    status = (_g(m, "status") or _g(m, "status2") or _g(m, "status3") or "positive").lower()
    return {"status": "negative" if status in ("negative", "-") else "positive"}


def _rearrangement(m: re.Match[str], _value: str | None) -> dict | None:
    """"t(15;17)", "inv(16)(p13.1q22)": the fusion of genes.yaml `rearrangements`; an
    unlisted rearrangement is no finding. "del(17p)", "11q deletion": the loss of the gene
    of genes.yaml `arm_losses` (`loss` set), an unlisted arm no finding."""
    arm = _g(m, "arm") or _g(m, "arm2") or _g(m, "arm3") or _g(m, "arm4")
    if arm is not None:
        gene = gene_data().arm_losses.get(arm.lower())
        status = (_g(m, "status") or "positive").lower()
        return None if gene is None else {"gene": gene, "loss": True, "status": status}
    parts = [p for p in (_g(m, "a"), _g(m, "b")) if p]
    name = f"{m.group('what').lower()}({';'.join(parts)})"
    genes = gene_data().rearrangements.get(name)
    if genes is None:
        return None
    status = (_g(m, "status") or "positive").lower()
    return {"partner": genes[0], "gene": genes[1], "status": status}


def _triple_negative(_m: re.Match[str], _value: str | None) -> dict:
    return {}


# Ages written in words (patterns.yaml `age.words`)
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80}
_TEENS = {"twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
          "seventeen": 17, "eighteen": 18, "nineteen": 19}
_UNITS = {"one": 1, "five": 5}


def _word_number(text: str) -> float:
    """"eighteen" -> 18, "twenty-one" -> 21, "sixty five" -> 65."""
    head, *rest = re.split(r"[- ]", text.lower())
    return float(_TEENS.get(head) or _TENS[head] + sum(_UNITS[w] for w in rest))


def _age(m: re.Match[str], _value: str | None) -> dict | None:
    word = _g(m, "word") or _g(m, "word2")
    if word is not None:
        low = _word_number(word)
        if _g(m, "high"):  # "nineteen years of age to 70 years of age"
            return {"bounds": [(">=", low), ("<=", float(m.group("high")))]}
        op = "<=" if _g(m, "upto") else norm_op(_g(m, "op"), default=">=")
        return {"bounds": [(op, low)]}
    value = _g(m, "value") or _g(m, "value2")
    if value is None:
        return None
    label = ">=" if _g(m, "minlabel") else "<=" if _g(m, "maxlabel") else ""  # "Maximum age: 70"
    # ("> 18 years of age or older": the bound itself included)
    op = ">=" if _g(m, "after") or _g(m, "plus") or _g(m, "orolder") else "<=" if _g(
        m, "upto") else norm_op(
        _g(m, "op") or _g(m, "op2"), default=label)
    if not op:
        return None
    if _g(m, "months"):  # "age > 12 months": in years
        return {"bounds": [(op, round(float(value) / 12, 4))]}
    return {"bounds": [(op, float(value))]}


def _age_range(m: re.Match[str], _value: str | None) -> dict:
    """"between 18 and 65 years", "aged 6 months to 21 years" (months in years), "birth to
    70 years of age" (only the upper bound)."""
    low_text = _any(m, "low", "low2", "low3", "low4", "low5", "low6", "low7")
    high = float(_any(m, "high", "high2", "high3", "high4", "high5", "high6", "high7"))
    upper = "<" if _g(m, "strict") else "<="  # "6 to <18 years", "18 to under 65"
    lower = ">="
    if (op := _g(m, "lowop") or _g(m, "lowop2")) is not None:  # "aged > 30 and < 71"
        lower = norm_op(op)
    if (op := _g(m, "highop") or _g(m, "highop2")) is not None:  # ("aged 30 and < 71")
        upper = norm_op(op)
    if low_text.lower() == "birth":
        return {"bounds": [(upper, high)]}
    low = float(low_text)
    if any((_g(m, u) or "").lower().startswith("month")
           for u in ("unit1", "unit2", "unit3", "unit5")):
        low = round(low / 12, 4)
    return {"bounds": [(lower, low), (upper, high)]}


# A comparator written before the scale's name ("performance status > ECOG 2"): it binds the
# number after the name
_OP_BEFORE_SCALE = re.compile(r"(?i)(?P<op>>=|<=|=>|=<|[≥≤><]|(?:greater|more|higher|worse|less|"
                              r"lower|better)\s+than)\s{0,2}\Z")


_SPACED_HIGH = re.compile(r"[ \t]{1,2}([1-4])(?![\d,%/\w]|\.\d)")


_GRADE_WORDS = {"zero": 0.0, "one": 1.0, "two": 2.0, "three": 3.0, "four": 4.0}


def _ecog(m: re.Match[str], value: str | None) -> dict:
    if value is not None:  # the scale's own words for one grade: that grade or better
        return {"op": "<=", "value": float(value)}
    if _g(m, "value2") is not None:  # "two or less"
        return {"op": "<=", "value": _GRADE_WORDS[m.group("value2").lower()]}
    if _g(m, "value") is not None and m.group("value").isalpha():  # "less than or equal to one"
        return {"op": norm_op(m.group("op"), "<="), "value": _GRADE_WORDS[m.group("value").lower()]}
    single = _g(m, "single")
    if single is not None and _g(m, "after") is None:
        apart = _SPACED_HIGH.match(m.string, m.end())
        if apart is not None and float(apart.group(1)) > float(single):
            # "performance status 0 2": a range whose dash was lost
            return {"op": "<=", "value": float(apart.group(1))}
    before = _OP_BEFORE_SCALE.search(m.string, max(0, m.start() - 16), m.start())
    if before is not None and _g(m, "single") is not None and _g(m, "after") is None:
        word = before.group("op").lower()
        op = ">" if word.startswith("worse") else "<" if word.startswith("better") else norm_op(word)
        return {"op": op, "value": float(m.group("single"))}
    if _g(m, "bvalue") is not None:  # "better than or equal to 1": 1 and lower
        return {"op": "<=", "value": float(m.group("bvalue"))}
    if _g(m, "value") is not None:
        return {"op": norm_op(m.group("op"), "<="), "value": float(m.group("value"))}
    high = _any(m, "high", "last", "slashed", "single")
    if _g(m, "after") is not None:  # "2 or more": this score and worse
        return {"op": ">=", "value": float(high)}
    first = _g(m, "low") or (_g(m, "list") or "")[:1]
    if first and float(first) >= 2 and float(high) > float(first):
        # "3 or 4", "2-4": the worse grades, from the first one named (one bound only:
        # "2 or 3" leaves 4 open)
        return {"op": ">=", "value": float(first)}
    if single is not None and not first and _g(m, "slashed") is None:
        # one grade and no range ("ECOG 2"): a limit in the inclusion criteria, the grade
        # ruled out in the exclusion criteria (findings._performance)
        return {"op": "<=", "value": float(high), "single": True}
    return {"op": "<=", "value": float(high)}


def _karnofsky(m: re.Match[str], _value: str | None) -> dict | None:
    value = float(m.group("value"))
    if value > 100 or value < 10:
        return None
    upper = _g(m, "upper")
    if upper is not None and float(upper) > value and _g(m, "op") is None:
        # "Karnofsky 20-60%": a range that stops short of 100 is bounded on both sides
        return {"op": ">=", "value": value, "upper": float(upper)}
    return {"op": norm_op(_g(m, "op"), ">="), "value": value}


def _not_variant(_m: re.Match[str], _value: str | None) -> dict:
    return {}


def _sex(_m: re.Match[str], value: str | None) -> dict:
    return {"sex": value}


_READERS = {"variant": _variant, "variant_range": _variant_range, "codon": _codon,
            "exon_event": _exon_event, "exon_short": _exon_short, "exon_named": _exon_named,
            "exon_only": _exon_only, "event": _event, "signature": _signature, "tmb": _tmb,
            "measure": _measure, "her2_ihc": _her2_ihc, "philadelphia": _philadelphia,
            "rearrangement": _rearrangement, "triple_negative": _triple_negative, "age": _age, "age_range": _age_range,
            "ecog": _ecog, "karnofsky": _karnofsky, "not_variant": _not_variant,
            "sex": _sex}


# ----------------------------------------------------------------------------- cues

_CUE_WORD = re.compile(WORD_RE + r"|[^\s\-–]")  # words as the tokenizer splits them
# ("+/-" and "-/+" mean "with or without": no sign)
_SIGN = re.compile(r"(?<=[A-Za-z0-9)])(?P<plus>\s?\(?\+\)?)(?![A-Za-z0-9+\-])(?!/\s?[\-−–])"
                   r"|(?<=[A-Za-z0-9)])(?P<minus>\(?-\)?)(?![A-Za-z0-9+\-])(?!/\s?\+)"
                   # ("FLT3- TKD": a hyphen before a broken line, no sign)
                   r"(?!\s{1,20}(?:ITD|TKD)\b)")


_SIGN_CHAR = re.compile(r"[+\-]")
_SIGN_AFTER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789)")


def sign_matches(text: str):
    """The matches of `_SIGN.finditer(text)`, found faster: a match holds its "+" or "-" at
    most two characters after its start, so only those starts are tried (the plain scan
    enters the pattern's lookbehind at every character)."""
    end = 0
    tried = -1
    for hit in _SIGN_CHAR.finditer(text):
        p = hit.start()
        for s in range(max(p - 2, end, tried + 1), p + 1):
            tried = s
            if s == 0 or text[s - 1] not in _SIGN_AFTER:
                continue  # both branches look behind for one of these ("- - -": none)
            m = _SIGN.match(text, s)
            if m is not None:
                yield m
                end = m.end()
                break


# a suspended hyphen: more items and then a hyphenated word that is not a sign; or, after
# "or", a status word ("ER- or PR-positive": either receptor positive; not "ER- and
# HER2-positive", where the first hyphen may be a sign)
_CHAIN_BEFORE = re.compile(r"[A-Za-z0-9]{2,}-[A-Za-z0-9]{2,}\Z")
_SUSPENDED = re.compile(r"\s{0,2}(?:(?:,|(?i:and|or|and/or)\b)[^.;:\n]{0,80}?[A-Za-z0-9]-"
                        r"(?!(?i:neg|pos|negative|positive)\b)[a-z]{3,}|(?i:or|and/or)\s{1,2}"
                        # ("oestrogen receptor- or progesterone receptor-positive")
                        r"(?:[A-Za-z0-9]{2,15}\s{1,2}){0,2}[A-Za-z0-9]{2,12}-(?i:negative|positive)\b|(?:,|(?i:and|or|and/or)\b)"
                        r"\s{1,2}[A-Za-z0-9]{2,12}\s(?i:inhibiting|targeting|targeted|directed|"
                        r"blocking)\b)")


@lru_cache(maxsize=1)
def cue_index() -> dict[str, list[tuple[tuple[str, ...], str, str, str | None]]]:
    """First word -> [(words, id, role, value)], longest first, for every cue phrase."""
    index: dict[str, list[tuple[tuple[str, ...], str, str, str | None]]] = {}
    for cue in cues()[0]:
        for phrase in cue.phrases:
            words = tuple(w.lower() for w in _CUE_WORD.findall(phrase))
            if words and phrase not in ("+", "-"):
                index.setdefault(words[0], []).append((words, cue.id, cue.role, cue.value))
    for entries in index.values():
        entries.sort(key=lambda e: -len(e[0]))
    return index


@lru_cache(maxsize=1)
def cue_phrases() -> dict[str, list[tuple[str, ...]]]:
    """First word -> the words of its cue phrases, in the order of `cue_index` (for
    `phrase_hits`)."""
    return {first: [entry[0] for entry in entries] for first, entries in cue_index().items()}


def cue_mentions(toks: Tokens, text: str) -> list[Mention]:
    """Cue words (data/cues.yaml) matched on tokens, hyphens and spaces alike (the bare
    words, `Tokens.bare`)."""
    keep, low = toks.bare()
    index = cue_index()
    out = []
    for k, rank, n in phrase_hits(low, cue_phrases()):
        _words, ident, role, value = index[low[k]][rank]
        start, end = toks.starts[keep[k]], toks.end(keep[n - 1])
        if end - start > _MAX_CUE_SURFACE:
            continue  # the words, but far apart
        out.append(Mention("cue", start, end, f"cue.{ident}", {"role": role, "value": value}))
    for m in sign_matches(text):
        if m.group("minus") and (_SUSPENDED.match(text, m.end())
                                 or _CHAIN_BEFORE.search(text, max(0, m.start() - 24), m.start())):
            continue  # "EGFR-, ALK- or ROS1-altered": the hyphen waits for "altered"; "PI3K-AKT-
            # mTOR pathway": a chain of a pathway's names
        value = "positive" if m.group("plus") else "negative"
        out.append(Mention("cue", m.start(), m.end(), f"cue.alt.{value}",
                           {"role": "alteration", "value": value}))
    return out


# ----------------------------------------------------------------------------- lexicons

def gene_mentions(toks: Tokens, text: str, lex: Lexicon) -> list[Mention]:
    """Genes by symbol, alias or protein name, longest first; glued forms ("KRasG12C")."""
    out: list[Mention] = []
    words, starts = toks.words, toks.starts
    first = lex.gene_first
    seen: dict[str, bool] = {}  # texts repeat their words: test each word once
    candidates = []
    for i, w in enumerate(words):
        hit = seen.get(w)
        if hit is None:
            hit = seen[w] = (u := w.upper()) in first or u[1:] in first \
                or len(w) >= 3 and not w.islower()  # a gene name, or a glued form
        if hit:
            candidates.append(i)
    after = 0  # tokens before this index are inside a gene already found
    for i in candidates:
        if i < after:
            continue
        word = words[i]
        found = None
        if word[:1].isalnum() and _first_ok(word, lex):
            found = _longest_gene(toks, i, text, lex)
            if found and word[:1] in "gs" and word[1:2].isupper() and \
                    lex.lookup_gene(word) is None:
                found = None  # "gBRCA1/2": the origin prefix is read below
        if found is None and word[:1] in "gs" and word[1:2].isupper():
            shifted = _longest_gene(toks, i, text, lex, shift=1)
            if shifted:
                j, entry = shifted
                gene = _gene(entry, starts[i] + 1, toks.end(j), lex)
                gene.data["origin"] = "germline" if word[0] == "g" else "somatic"
                out.append(gene)
                after = j + 1
                continue
        if found:
            j, entry = found
            gene = _gene(entry, starts[i], toks.end(j), lex)
            j = _slash_suffixes(gene, toks, j, text, lex)
            gene = _prefer_members(gene, toks, i, j, text, lex)
            _numbered_range(gene, text, lex)
            out.append(gene)
            after = j + 1
            continue
        if len(word) >= 3 and word[:1].isalpha() and not word.islower():
            out.extend(_glued(word, starts[i], lex))  # a glued gene has a capital somewhere
        after = i + 1
    return out


def _slash_suffixes(gene: Mention, toks: Tokens, j: int, text: str, lex: Lexicon) -> int:
    """"RAD51C/D", "ARID1A/B", "NTRK1/2/3": sibling genes written as a suffix after "/"."""
    base = gene.data["form"]
    words = toks.words
    while j + 2 < len(words) and words[j + 1] == "/" \
            and text[toks.end(j):toks.starts[j + 2]] == "/":
        suffix = words[j + 2]
        if not (1 <= len(suffix) <= 2 and suffix.isalnum()) or len(suffix) >= len(base):
            break
        entry = lex.lookup_gene(base[:-len(suffix)] + suffix)
        if entry is None or entry.genes == gene.data["genes"]:
            break
        gene.data["genes"] = tuple(dict.fromkeys(gene.data["genes"] + entry.genes))
        gene.end = toks.end(j + 2)
        j += 2
    return j


_RANGE = re.compile(r"([A-Za-z][A-Za-z0-9]*?[A-Za-z])\s?(\d)\s?[-–]\s?(\d)")


def _numbered_range(gene: Mention, text: str, lex: Lexicon) -> None:
    """"FGFR1-3", "FGFR 1–4": a numbered series names its members when every one is a gene."""
    m = _RANGE.fullmatch(text, gene.start, gene.end)
    if m is None:
        return
    low, high = int(m.group(2)), int(m.group(3))
    if not 0 < high - low <= 5:
        return
    members = []
    for k in range(low, high + 1):
        entry = lex.lookup_gene(f"{m.group(1)}{k}")
        if entry is None or len(entry.genes) != 1:
            return
        members.append(entry.genes[0])
    gene.data["genes"] = tuple(dict.fromkeys(members))


def _prefer_members(gene: Mention, toks: Tokens, i: int, j: int, text: str,
                    lex: Lexicon) -> Mention:
    """A group name written as a slash list ("RAD51C/D") names its members: read it as the
    first gene and its suffixes when they spell two or more genes over the same words."""
    words = toks.words
    if "/" not in words[i:j + 1] or len(gene.data["genes"]) != 1:
        return gene
    slash = words.index("/", i, j + 1)
    shorter = _longest_gene(toks, i, text, lex, limit=slash)
    if shorter is None:
        return gene
    k, entry = shorter
    alt = _gene(entry, toks.starts[i], toks.end(k), lex)
    if _slash_suffixes(alt, toks, k, text, lex) == j and len(alt.data["genes"]) >= 2:
        alt.data["origin"] = gene.data.get("origin")
        return alt
    return gene


def _first_ok(word: str, lex: Lexicon) -> bool:
    up = word.upper()
    return up in lex.gene_first or up[1:] in lex.gene_first


def _longest_gene(toks: Tokens, i: int, text: str, lex: Lexicon, shift: int = 0,
                  limit: int | None = None):
    words, starts = toks.words, toks.starts
    best = None
    end_limit = min(len(words) if limit is None else limit, i + _MAX_GENE_TOKENS)
    key = ""
    for j in range(i, end_limit):
        word = words[j]
        if j > i:
            prev = words[j - 1]
            between = text[starts[j - 1] + len(prev):starts[j]]
            if between not in ("", " ") and _WRAP.fullmatch(between):
                between = " "  # a name wrapped onto the next line
            if between not in ("", " ") or (not word[:1].isalnum() and word not in _GENE_SEP):
                break
            if between == " " and prev in _GENE_SEP:
                break  # "Ph- B-ALL" is not one name
        key += gene_key(word[shift:] if j == i else word)
        if key and key not in lex.gene_prefixes:
            break
        if not word[-1:].isalnum():
            continue
        entry = lex.lookup_gene(text[starts[i] + shift:starts[j] + len(word)])
        if entry:
            best = (j, entry)
    return best


def _gene(entry, start: int, end: int, lex: Lexicon) -> Mention:
    key = gene_key(entry.form)
    return Mention("gene", start, end, entry.source,
                   {"genes": entry.genes, "form": entry.form, "ambiguous": key in lex.ambiguous})


def _glued(word: str, idx: int, lex: Lexicon) -> list[Mention]:
    """"KRasG12C", "RASQ61", "KRASm", "gBRCA1": a gene glued to a variant, "m" or an origin."""
    if len(word) < 3 or not word[:1].isalpha():
        return []
    m = _GLUED.match(word)
    origin = None
    entry = None
    if m:
        entry = lex.lookup_gene(m.group("gene"))
        origin = {"g": "germline", "s": "somatic"}.get(m.group("origin") or "")
        if entry is None and m.group("origin"):
            entry = lex.lookup_gene((m.group("origin") or "") + m.group("gene"))
            origin = None
    if entry is None and word[0] in "gs" and len(word) > 3:  # gBRCA, sBRCA
        entry = lex.lookup_gene(word[1:])
        if entry is None or not word[1:2].isupper():
            return []
        gene = _gene(entry, idx, idx + len(word), lex)
        gene.data["origin"] = "germline" if word[0] == "g" else "somatic"
        return [gene]
    if entry is None or m is None or gene_key(m.group("gene")) in lex.ambiguous:
        return []
    g_start = idx + (1 if m.group("origin") and origin else 0)
    g_end = idx + m.end("gene")
    gene = _gene(entry, g_start, g_end, lex)
    if origin:
        gene.data["origin"] = origin
    out = [gene]
    if m.group("variant"):
        v = m.group("variant")
        data = {"variants": [v]} if v[-1].isalpha() and len(v) > 3 else \
            {"codon": True, "ref": v[0], "positions": [v[1:]]}
        if v[-1].isalpha() and len(v) > 3:
            out.append(Mention("variant", g_end, idx + len(word), "variant.glued", data))
        else:
            out.append(Mention("codon", g_end, idx + len(word), "variant.glued", data))
    else:
        out.append(Mention("cue", g_end, idx + len(word), "cue.alt.mutation",
                           {"role": "alteration", "value": "mutation"}))
    return out


# Drug concepts that, written right after a drug's or class's name, are its head noun.
_GENERIC_HEADS = frozenset({"monoclonal_antibody"})


def _singular(key: str) -> str | None:
    """The singular of a plural drug key ("antibodies" -> "antibody", "inhibitors" ->
    "inhibitor"), None for a key that does not end like a plural."""
    if key.endswith("ies"):
        return key[:-3] + "y"
    return key[:-1] if key.endswith("s") else None


def name_mentions(toks: Tokens, text: str, lex: Lexicon) -> list[Mention]:
    """Cancer types and drugs by their names (case-insensitive, on words; abbreviations only
    as written, see lexicon.py)."""
    out: list[Mention] = []
    lower = toks.lower
    keep = [i for i, w in enumerate(toks.words) if w[:1].isalnum()]
    words = [toks.words[i] for i in keep]
    low = [lower[i] for i in keep]
    starts = [toks.starts[i] for i in keep]
    n = len(words)
    tables = ((lex.cancers, lex.cancer_first, lex.cancer_prefixes, "cancer", "code"),
              (lex.drugs, lex.drug_first, lex.drug_prefixes, "drug", "concept"))
    firsts = lex.name_first or lex.cancer_first | lex.drug_first  # (built once: a big union)
    drug_end = 0  # where the last drug name found ends: a name inside it is not another
    for i in [i for i, w in enumerate(low)
              if w in firsts or (w[-1:] == "s" and _singular(w) in lex.drug_first)]:
        for table, first, prefixes, label, key_name in tables:
            if low[i] not in first and (label != "drug" or _singular(low[i]) not in first):
                continue
            best = None
            key = ""
            depth = 0  # brackets opened inside the name and not closed yet
            prev = i  # the name's last word so far (a gloss's words are not the name's)
            for j in range(i, min(n, i + _MAX_NAME_TOKENS)):
                if j > i:
                    between = text[starts[prev] + len(words[prev]):starts[j]]
                    if label == "cancer" and "(" in between:
                        if _GLOSS_OPEN.fullmatch(between):
                            continue  # a word of a plain gloss inside the name: "renal
                        if _GLOSS.fullmatch(between):  # (kidney) cancer"
                            between = " "
                    prev = j
                    if _broken(between):
                        # a bracket inside a drug's name goes on only while the lexicon has
                        # a name written so, and only a bracket opened in the name closes
                        # ("anti-programmed death (PD)-1"); cancer names stop at brackets,
                        # which the list readers take apart ("gastric or junction (GEJ)")
                        if label != "drug" or not _BRACKET_GAP.fullmatch(between):
                            break
                        depth += between.count("(") - between.count(")")
                        if depth < 0 or depth > 1:
                            break
                    key += "" if not between else " "
                key += low[j] if low[j].isalnum() else word_key(words[j])
                one = _singular(key) if label == "drug" else None
                if key not in prefixes and (one is None or one not in prefixes):
                    break
                found_key = key if key in table else one if one in table else None
                if found_key and depth == 0 and _spelled_ok(lex, found_key,
                                             text[starts[i]:starts[j] + len(words[j])]):
                    best = (j, table[found_key])
            if best:
                j, value = best
                if label == "drug" and starts[i] < drug_end:
                    continue  # "PD-1 antibody therapy": not "antibody therapy" as well
                if label == "drug":
                    last, drug_end = drug_end, starts[j] + len(words[j])
                    if value in _GENERIC_HEADS and out and out[-1].label == "drug" \
                            and out[-1].end == last and text[last:starts[i]].isspace():
                        out[-1].end = drug_end  # "anti-PD-L1 therapeutic antibodies": the
                        continue  # class, with the generic name it heads
                out.append(Mention(label, starts[i], starts[j] + len(words[j]),
                                   f"ontology.{label}", {key_name: value}))
    return out


# Drug classes written by mechanism rather than by name: "... polymerase (PARP) inhibitor"
# (a long name with its abbreviation in brackets before the head noun), "any drug that
# specifically inhibits Bruton's tyrosine kinase (BTK)", "agents targeting MEK".
_MECH_HEADS = r"inhibitors?|antibod(?:y|ies)|antagonists?|blockers?|agents?|drugs?|therap(?:y|ies)"
_ABBREVIATED = re.compile(r"\((?P<abbr>[A-Za-z][A-Za-z0-9αβγδ/\-]{1,12})\)[\s\-]{0,20}"
                          r"(?P<verb>(?i:targeting|targeted|directed|inhibiting|blocking)\s+)?"
                          rf"(?:(?i:monoclonal|humanized|humanised|fully\s+human)\s+)?(?P<head>{_MECH_HEADS})\b")
# A comma inside a list of targets ("agents targeting PI3K, AKT or mTOR"): one before a
# gene-like name in capitals (not a clause: "therapy targeting EGFR, given ...")
_LISTED_TARGET = r",(?=\s*(?:(?:and/or|or|and)\s+)?(?-i:[a-z]?[A-Z][A-Za-z0-9\-]{0,10})\b)"
_BY_ACTION = re.compile(
    r"(?i)\b(?:drugs?|agents?|therap(?:y|ies)|compounds?|medications?|treatments?|molecules?|"
    r"inhibitors?)\s+(?:that|which)\s+(?:\w+ly\s+(?:and\s+)?){0,2}(?:(?:affects?|inhibits?|"
    r"targets?|blocks?)\s+(?:or|and|and/or)\s+)?(?:inhibits?|targets?|blocks?|antagoni[sz]es?|"
    r"affects?)\s+"
    r"(?:the\s+)?(?P<target>(?:(?!\n\s*(?:\n|[-•*·]|\d+[.)]))(?:[^,.;:()]|" + _LISTED_TARGET + r"|\([A-Za-z0-9/\- ]{1,12}\))){2,60})"
    r"|\b(?:drugs?|agents?|therap(?:y|ies)|compounds?|treatments?|inhibitors?|antibod(?:y|ies)|"
    r"TKIs?|medications?)\s+(?:\([A-Za-z][A-Za-z0-9\-]{0,10}\)\s+)?(?:(?:for\s+the\s+purpose\s+of|"
    r"intended\s+for|aimed\s+at)\s+)?(?:specifically\s+)?(?:targeting|inhibiting|blocking|"
    r"affecting|directed\s+(?:against|at|to)|aimed\s+at|against)\s+"
    r"(?:the\s+)?(?P<target2>(?:(?!\n\s*(?:\n|[-•*·]|\d+[.)]))(?:[^,.;:()]|" + _LISTED_TARGET + r"|\([A-Za-z0-9/\- ]{1,12}\))){2,60})")
_HYPHEN_TARGET = (r"[A-Za-z][A-Za-z0-9]{0,8}(?:-[A-Za-z0-9]{1,4})?(?:/[A-Za-z][A-Za-z0-9]{0,8}"
                  r"(?:-[A-Za-z0-9]{1,4})?)?")
_HYPHEN_VERBS = r"[-\s](?i:blocking|targeting|targeted|directed|inhibiting)"
_HYPHEN_ACTION = re.compile(
    rf"(?<![\w-])(?P<target>{_HYPHEN_TARGET}){_HYPHEN_VERBS}\s+"
    r"(?i:monoclonal\s+)?(?i:antibod(?:y|ies)|agents?|therap(?:y|ies)|drugs?)\b")
# Where a match of _HYPHEN_ACTION has its verb (it starts at most _TARGET_WIDTH before it)
_HYPHEN_VERB = re.compile(rf"{_HYPHEN_VERBS}(?=\s)")
_VERB_WORDS = ("blocking", "targeting", "targeted", "directed", "inhibiting")
_TARGET_WIDTH = widest(_HYPHEN_TARGET) or 0
# "EGFR- or ALK-directed therapy": a target before a suspended hyphen takes the same head
_SUSPENDED_TARGET = re.compile(r"(?<![\w-])(?P<target>[A-Za-z][A-Za-z0-9]{0,8})-\s{0,2}(?:,|or|and|"
                               r"and/or)\s{1,2}\Z")
_INNER_ABBR = re.compile(r"\(([A-Za-z][A-Za-z0-9/\-]{1,12})\)")
_KEY_WORDS = re.compile(WORD_RE)


def _name_key(surface: str) -> str:
    """The lexicon key of a name: its words, lower-cased, joined as name_mentions joins them."""
    key, last = "", None
    for m in _KEY_WORDS.finditer(surface):
        word = m.group()
        if not word[:1].isalnum():
            continue
        if last is not None:
            key += " " if m.start() > last else ""
        key += word.lower() if word.isalnum() else word_key(word)
        last = m.end()
    return key


def _drug_class(lex: Lexicon, *names: str):
    for name in names:
        key = _name_key(name)
        for k in (key, _singular(key)):
            if k and k in lex.drugs:
                return lex.drugs[k]
    return None


# The same matches as the patterns' own finditer, found faster (firstchar.py).
_SCANS = {"by_action": Scanner(_BY_ACTION.pattern)}


def _by_verb(surface: str, target: str) -> tuple[str, str]:
    """Class names to try for "<target> <verb> drug": "targeted"/"directed" first as a
    targeted therapy, "inhibiting"/"blocking" first as an inhibitor."""
    inhibitor, targeted = f"{target} inhibitor", f"{target}-targeted therapy"
    if re.search(r"(?i)[-\s](?:target|direct)", surface):
        return targeted, inhibitor
    return inhibitor, targeted


def hyphen_actions(text: str) -> Iterator[re.Match[str]]:
    """The matches of `_HYPHEN_ACTION.finditer(text)`, found faster: only the starts at most
    _TARGET_WIDTH characters before a verb (`_HYPHEN_VERB`) are tried, in text order."""
    end = tried = 0
    for at in _verb_places(text):
        start = max(at - _TARGET_WIDTH, tried, end)
        while start < at:
            m = _HYPHEN_ACTION.match(text, start)
            if m is None:
                start += 1
            else:
                yield m
                end = start = m.end()
        tried = max(tried, at)


def _verb_places(text: str) -> list[int]:
    """The starts of the matches of `_HYPHEN_VERB` in `text`: its verbs looked up in the
    probed text (as re's IGNORECASE reads them, firstchar.probe) and each place confirmed,
    faster than the pattern's own scan (it enters the alternation at every space)."""
    low = probe(text)
    if len(low) != len(text):
        return [m.start() for m in _HYPHEN_VERB.finditer(text)]
    places = []
    for word in _VERB_WORDS:
        at = low.find(word, 1)
        while at >= 0:
            if _HYPHEN_VERB.match(text, at - 1):
                places.append(at - 1)
            at = low.find(word, at + 1)
    return sorted(places)


# "CD38 antibodies", "PD-L1 monoclonal antibody": an antibody named by its target alone,
# which the lexicon knows as "anti-<target>" or "<target>-directed therapy".
_TARGET_ANTIBODY = re.compile(rf"(?<![\w-])(?P<target>{_HYPHEN_TARGET})\s+(?i:monoclonal\s+)?"
                              r"(?i:antibod(?:y|ies))\b(?:\s+(?i:therap(?:y|ies)|treatments?)\b)?")


def _target_antibodies(text: str, lex: Lexicon) -> list[Mention]:
    """Antibodies named by their target (see _TARGET_ANTIBODY), tried only before the places
    where the text says "antibod"."""
    out: list[Mention] = []
    low = text.lower()
    at = low.find("antibod")
    while at >= 0:
        start = max(0, at - _TARGET_WIDTH - len("monoclonal") - 4)
        for m in _TARGET_ANTIBODY.finditer(text, start, min(len(text), at + 24)):
            if m.end() <= at:
                continue
            target = m.group("target")
            value = _drug_class(lex, f"anti-{target} antibody", f"anti-{target}",
                                f"{target}-directed therapy", f"{target} inhibitor")
            if value is not None:
                out.append(Mention("drug", m.start(), m.end(), "mechanism.target_antibody",
                                   {"concept": value}))
            break
        at = low.find("antibod", at + 7)
    return out


# "a selective inhibitor of PI3K, AKT and/or mTOR": inhibitors named by their targets after
# "inhibitor(s) of", each target one class (their coordination says how they combine)
_INHIBITOR_OF = re.compile(
    rf"(?i)(?<![\w-])inhibitors?\s+of\s+(?:the\s+)?(?P<targets>{_HYPHEN_TARGET}(?:\s*,\s*"
    rf"(?:and/or\s+|or\s+|and\s+)?{_HYPHEN_TARGET}|\s+(?:and/or|or|and)\s+{_HYPHEN_TARGET}){{0,5}})")
_TARGET_WORD = re.compile(_HYPHEN_TARGET)
_CONNECTIVES = frozenset({"and", "or", "and/or"})
# "VEGFR agents", "an anti-IGF-1R class compound", "vascular endothelial growth factor
# receptor drugs": a class named by its target (up to six words) and a generic head noun
_TARGET_AGENT_HEAD = re.compile(r"(?i)(?<=\s)(?:class\s+(?:agents?|drugs?|compounds?)|agents?|drugs?)\b")
_WORDS_BEFORE = re.compile(r"(?:(?<![\w-])[A-Za-z][\w-]*\s+){1,6}\Z")


def _inhibitors_of(text: str, lex: Lexicon) -> list[Mention]:
    out: list[Mention] = []
    for m in _INHIBITOR_OF.finditer(text):
        found = []
        for t in _TARGET_WORD.finditer(text, m.start("targets"), m.end("targets")):
            if t.group().lower() in _CONNECTIVES:
                continue
            value = _drug_class(lex, f"{t.group()} inhibitor")
            if value is None:
                break
            found.append((t.start(), t.end(), value))
        else:
            out += [Mention("drug", a, b, "mechanism.inhibitor_of", {"concept": value})
                    for a, b, value in found]
    return out


def _target_agents(text: str, lex: Lexicon) -> list[Mention]:
    out: list[Mention] = []
    ends = lex.target_ends  # (the lookups below are the slow part: most words end no target)
    for head in _TARGET_AGENT_HEAD.finditer(text):
        before = _WORDS_BEFORE.search(text, max(0, head.start() - 80), head.start())
        if before is None or not (last := _name_key(before.group().split()[-1])) \
                or last.split()[-1] not in ends:
            continue
        words = text[before.start():head.start()].split()
        for k in range(len(words), 0, -1):  # the longest target the lexicon knows
            target = " ".join(words[-k:])
            anti = target.lower().startswith("anti-") and len(target) > 5
            names = ((f"{target}", f"{target} antibody", f"{target[5:]} inhibitor") if anti
                     else (f"{target} inhibitor", f"{target}-targeted therapy"))
            value = _drug_class(lex, *names)
            if value is not None:
                start = text.rfind(words[-k], 0, head.start())
                out.append(Mention("drug", start, head.end(), "mechanism.target_agent",
                                   {"concept": value}))
                out += _coordinated_targets(text, start, lex)
                break
    return out


# A target coordinated before the one a class noun follows ("anti-PD-1, PD-L1 or CTLA-4
# agents"): the noun is each one's
_TARGET_BEFORE = re.compile(rf"(?<![\w-])(?P<target>{_HYPHEN_TARGET})\s*,?\s*(?:and/or|or|and|,)\s*\Z")


def _coordinated_targets(text: str, start: int, lex: Lexicon) -> list[Mention]:
    out: list[Mention] = []
    for _ in range(4):
        t = _TARGET_BEFORE.search(text, max(0, start - 40), start)
        value = None if t is None else _drug_class(lex, f"{t.group('target')} inhibitor",
                                                   f"{t.group('target')}-targeted therapy")
        if t is None or value is None:
            break
        out.append(Mention("drug", t.start("target"), t.end("target"),
                           "mechanism.target_coordinated", {"concept": value}))
        start = t.start("target")
    return out


# "anti-PD-1 or PD-L1 therapy", "anti-EGFR, HER2 or VEGF antibodies": the targets that follow
# an "anti-<target>" name in a coordination take its "anti-" (each a class the lexicon knows
# as "anti-<target>"); a target goes on a list only where the list goes on or ends (a head
# noun, punctuation): not "anti-EGFR or KRAS mutation"
_ANTI_NEXT = re.compile(rf"\s*(?:,\s*(?:and/or\s+|or\s+|and\s+)?|/|\s(?:and/or|or|and)\s+)"
                        rf"(?P<target>{_HYPHEN_TARGET})(?=\s*(?:[,;.:)/]|\Z|(?:and/or|or|and|nor)\s"
                        r"|(?i:therap|treatment|antibod|agent|drug|inhibitor|mab|blockade|"
                        r"directed|based|containing|targeted)))")


def anti_conjuncts(text: str, found: list[Mention], lex: Lexicon) -> list[Mention]:
    out: list[Mention] = []
    starts = {m.start for m in found if m.label == "drug"}
    for m in found:
        if m.label != "drug" or not text.startswith("nti-", m.start + 1) \
                or text[m.start] not in "aA":
            continue
        end = m.end
        while (t := _ANTI_NEXT.match(text, end)) is not None and t.start("target") not in starts:
            target = t.group("target")
            value = None if target.lower().startswith("anti") else _drug_class(
                lex, f"anti-{target}", f"anti-{target} antibody")
            if value is None:
                break
            out.append(Mention("drug", t.start("target"), t.end("target"),
                               "mechanism.anti_conjunct", {"concept": value}))
            end = t.end("target")
    return out


# "monoclonal antibodies or small-molecule inhibitors targeting EGFR": a generic class
# coordinated before a class named by what it acts on shares the target (the antibodies
# meant are the anti-EGFR ones)
_SHARED_TARGET_GAP = re.compile(r"\s*,?\s*(?:or|and|and/or|/)\s+(?:[A-Za-z][\w-]*\s+){0,3}\Z")
_GENERIC_CLASSES = {"monoclonal_antibody": ("anti-{} antibody", "{} antibody"),
                    "tki": ("{} tyrosine kinase inhibitor", "{} TKI"),
                    "kinase_inhibitor": ("{} kinase inhibitor", "{} inhibitor"),
                    "targeted_therapy": ("{}-targeted therapy", "{} inhibitor")}


def shared_targets(text: str, found: list[Mention], lex: Lexicon) -> None:
    """Narrow the generic class before a class by action to that class's target (in place)."""
    drugs = [d for d in found if d.label == "drug"]
    for m in found:
        if m.source != "mechanism.by_action":
            continue
        by = _BY_ACTION.match(text, m.start)
        target = by and (by.group("target") or by.group("target2"))
        if not target:
            continue
        target = _TARGET_WORDS.sub("", target.strip())
        for d in drugs:
            names = _GENERIC_CLASSES.get(d.data.get("concept", ""))
            if d.end <= m.start and names and _SHARED_TARGET_GAP.fullmatch(text, d.end, m.start):
                d.data = {**d.data, "concept": _drug_class(lex, *(n.format(target) for n in names))
                          or m.data["concept"]}


def _named_by_targets(text: str, lex: Lexicon) -> list[Mention]:
    """Classes named by their targets: "inhibitors of A or B", "A agents" (the words each
    reading needs are looked for first)."""
    out = _inhibitors_of(text, lex) if "nhibitor" in text else []
    if "gent" in text or "rug" in text or "ompound" in text:
        out += _target_agents(text, lex)
    return out


def mechanism_mentions(text: str, lex: Lexicon) -> list[Mention]:
    """Drug classes named by mechanism (see _ABBREVIATED and _BY_ACTION)."""
    out: list[Mention] = []
    for m in _ABBREVIATED.finditer(text):
        head, abbr = m.group("head"), m.group("abbr")
        if m.group("verb"):  # "(mTOR) targeting agents": a class by its target
            value = _drug_class(lex, *_by_verb(m.group(), abbr))
        else:
            value = _drug_class(lex, f"{abbr} {head}",
                                f"{abbr} inhibitor" if head.startswith("antag") else "")
        if value is not None:
            out.append(Mention("drug", m.start(), m.end(), "mechanism.abbreviated",
                               {"concept": value}))
    for m in hyphen_actions(text):
        target = m.group("target")
        surface = re.sub(r"(?i)antibodies\b", "antibody", m.group())
        names = [surface, f"anti-{target} antibody", f"{target} antibody"] \
            if "antibod" in surface.lower() else [surface]
        value = _drug_class(lex, *names, *_by_verb(surface, target))
        if value is not None:
            out.append(Mention("drug", m.start(), m.end(), "mechanism.hyphen",
                               {"concept": value}))
            before = _SUSPENDED_TARGET.search(text, max(0, m.start() - 24), m.start())
            other = before and _drug_class(lex, surface.replace(target, before.group("target"), 1),
                                           *_by_verb(surface, before.group("target")))
            if before and other is not None:
                out.append(Mention("drug", before.start(), before.end("target") + 1,
                                   "mechanism.hyphen", {"concept": other}))
    out += _target_antibodies(text, lex) + _named_by_targets(text, lex)
    if "target" in text or "inhibit" in text or "block" in text or "antagoni" in text \
            or "affect" in text or "direct" in text or "aimed" in text or "against" in text:
        for m in _SCANS["by_action"].finditer(text):
            target = m.group("target") or m.group("target2")
            # every target a slash names ("the HGF/c-Met pathway"), its words longest first
            targets = [*_INNER_ABBR.findall(target)]
            for part in target.split("/"):
                words = part.split()
                targets += (" ".join(words[:k]) for k in range(min(len(words), 5), 0, -1))
            # ("agents targeting IGFRs": an abbreviation in the plural names the same target)
            targets += [t[:-1] for t in targets if _PLURAL_ABBREVIATION.fullmatch(t)]
            # "therapy targeting EGFR" names every EGFR-targeted drug (antibodies too);
            # "drugs that inhibit EGFR", the inhibitors
            aims = _AIMS.search(text, m.start(), m.start(m.lastgroup or 0)) is not None
            names = [n for t in targets for n in (
                (f"{t}-targeted therapy", f"{t} inhibitor") if aims else (f"{t} inhibitor",))]
            if _KINASE_BEFORE.search(text, max(0, m.start() - 20), m.start()):
                # "a tyrosine kinase inhibitor that targets VEGF receptors": the kinase
                # inhibitors of the target (singular: "VEGF receptor tyrosine kinase inhibitor")
                names = [f"{t.removesuffix('s')} tyrosine kinase inhibitor" for t in targets] + names
            either = _either_target(lex, text, m, aims)
            value = _drug_class(lex, *names)
            if either:  # "therapy targeting EGFR or HER2": a class for each target
                out += either
            elif value is not None:  # the target may run to the line's end: no trailing space
                end = m.start() + len(m.group().rstrip())
                out.append(Mention("drug", m.start(), end, "mechanism.by_action",
                                   {"concept": value}))
    return out


# the verbs that aim a class at its target (every drug aimed at it, antibodies too), as
# against those that say it inhibits the target (the inhibitors)
_AIMS = re.compile(r"(?i)targ|direct|aimed|against")
_KINASE_BEFORE = re.compile(r"(?i)\bkinase\s+\Z")
_PLURAL_ABBREVIATION = re.compile(r"[A-Z][A-Z0-9-]{1,8}s")
_TARGET_OR = re.compile(r"\s*(?:,\s*(?:and/or\s+|or\s+|and\s+)?|\s(?:and/or|or|and)\s)\s*")


# what a target of a list is written with besides its name: "the PI3K signalling pathway",
# "mTOR pathways"
_TARGET_WORDS = re.compile(r"(?i)\A(?:the\s+)|\s+(?:signal(?:l)?ing\s+)?(?:pathways?|axis)\Z")


def _target_class(lex: Lexicon, t: str, aims: bool) -> str | None:
    """The class of drugs aimed at one target of a list ("PI3K signalling pathway", "VEGF/VEGF
    receptor": the first of a slash's names that names a class)."""
    t = _TARGET_WORDS.sub("", t)
    for name in (t, *t.split("/")):
        name = name.strip()
        value = _drug_class(lex, *((f"{name}-targeted therapy", f"{name} inhibitor") if aims
                                   else (f"{name} inhibitor",)))
        if value is not None:
            return value
    return None


def _either_target(lex: Lexicon, text: str, m: re.Match[str], aims: bool) -> list[Mention]:
    """"therapy targeting EGFR or HER2", "drugs that inhibit MEK, BRAF or ERK": one class
    mention for each target of a coordinated list, when each names a class ([] otherwise:
    the whole target is read as one)."""
    group = "target" if m.group("target") else "target2"
    lo, target = m.start(group), m.group(group).rstrip()
    cuts = list(_TARGET_OR.finditer(target))
    if not cuts:
        return []
    # (a later target's mention takes its separator too: "or HER2" outruns the gene's name)
    spans = [(a, b, w) for a, b, w in zip([0, *(c.end() for c in cuts)],
                                          [*(c.start() for c in cuts), len(target)],
                                          [0, *(c.start() for c in cuts)])]
    found = []
    for a, b, w in spans:
        value = _target_class(lex, target[a:b].strip(), aims)
        if value is None:
            return []
        found.append((lo + w, lo + b, value))
    return [Mention("drug", m.start() if k == 0 else a, b, "mechanism.by_action",
                    {"concept": value}) for k, (a, b, value) in enumerate(found)]


# Head nouns that a list of names may share: "ovarian, fallopian tube or peritoneal cancer",
# "PI3K, mTOR or AKT inhibitors".
_HEADS = {
    "cancer": frozenset({"cancer", "cancers", "carcinoma", "carcinomas", "tumor", "tumors",
                         "tumour", "tumours", "neoplasm", "neoplasms", "malignancy",
                         "malignancies", "adenocarcinoma",
                         "adenocarcinomas", "lymphoma", "lymphomas", "sarcoma", "sarcomas",
                         "melanoma", "melanomas", "leukemia", "leukemias", "leukaemia",
                         "leukaemias"}),
    "drug": frozenset({"inhibitor", "inhibitors", "antibody", "antibodies", "tki", "tkis",
                       "agent", "agents", "therapy", "therapies", "antagonist", "antagonists",
                       "blocker", "blockers", "transplant", "transplants", "transplantation",
                       "transplantations"}),
}
_KEYS = {"cancer": "code", "drug": "concept"}
# A shared head a conjunct is named with when the lexicon lacks it with the head itself:
# "pancreatic, ovarian or colorectal adenocarcinoma": an ovarian adenocarcinoma is an
# ovarian carcinoma, an ovarian cancer.
_BROADER_HEADS = {"adenocarcinoma": ("carcinoma", "cancer"), "adenocarcinomas": ("carcinomas", "cancers"),
                  "carcinoma": ("cancer",), "carcinomas": ("cancers",),
                  # "lung, breast, ovary ... and bladder tumours": each organ's cancer
                  "tumor": ("cancer",), "tumors": ("cancers", "cancer"), "tumour": ("cancer",),
                  "tumours": ("cancers", "cancer")}
_UNKNOWN_LAST = re.compile(r"(?:,|\bor|\band)\s+(?P<last>[A-Za-z0-9][\w\-]{1,15}\s+"
                           r"(?:inhibitors?|antagonists?|blockers?)|(?i:investigational|experimental)\s+"
                           # ("systemic or investigational therapy": any drug under study, not a
                           # class; not "hormonal or radiation therapy", whose other kind is no drug)
                           r"(?:therap(?:y|ies)|agents?))\b")
_SCANS["unknown_last"] = Scanner(_UNKNOWN_LAST.pattern)
# "A, B or C cancer": the words of one conjunct, then its separator, at the end of the text.
_CONJUNCT = re.compile(r"(?P<words>[A-Za-z0-9][\w'\-/]*(?:[ \t\n]+(?:[A-Za-z0-9][\w'\-/]*|&)){0,3})"
                       # (its abbreviation after it: "head & neck (H&N) or oesophageal cancer")
                       r"(?P<abbr>\s{0,20}\([A-Za-z0-9&/\-]{1,10}\))?"
                       r"(?P<sep>\s*,\s*(?:(?i:and/or|or|and)\s+)?|\s+(?i:and/or|or|and|nor)\s+|"
                       r"\s*/\s*)\Z")


# What a separator of _CONJUNCT ends with, before any whitespace (every one has such a part;
# in lower case: "lung OR colorectal cancer").
_SEP_ENDS = (",", "/", "or", "and", "nor")
# Words of extent or treatment state before the last name of an elliptic list, which the name
# does not hold: "ovary, breast, colon or metastatic hormone-refractory prostate cancer"
_STATE_OR_EXTENT = (r"(?:refractory|resistant|sensitive|naive|naïve|pre-?treated|relapsed|"
                    r"recurrent|metastatic|advanced|unresectable|inoperable)")
_LEAD_MODIFIER = re.compile(
    r"(?i)(?<![\w-])(?:(?:(?:hormone|castration|castrate|platinum|endocrine|chemotherapy|treatment)"
    # (or that it arose there: "ovarian, fallopian tube or primary peritoneal tumours")
    rf"[\s-]+)?{_STATE_OR_EXTENT}|primary)[\s-]+\Z")
# a one-word site before the last name of a list ("..., glottic or supraglottic laryngeal cancer")
_SUBSITE = re.compile(r"(?<![\w-])(?P<word>[A-Za-z]+)\s+\Z")
# ... unless coordinated with another such word: "metastatic or relapsed breast cancer"
_MODIFIER_PAIR = re.compile(rf"(?i)(?<![\w-]){_STATE_OR_EXTENT}\s*(?:,|/|or|and|and/or)\s*\Z")

_LAST_WORDS = re.compile(r"[A-Za-z]+")
_WORD = re.compile(r"\S+")


# A histology named after the cancer type: "RCC with a clear-cell component", "renal cell
# carcinoma of predominantly clear cell histology", "ovarian cancer, serous subtype".
# the nouns that say the word before them is a histology ("clear cell component")
_HISTOLOGY_NOUNS = (r"component|histology|histologic(?:al)?\s+(?:sub)?type|sub-?type|features?|"
                    r"morphology|differentiation|origin")  # ("RCC of clear cell origin")
_HISTOLOGY_AFTER = re.compile(
    r"(?i)\s*+\)?\s*+(?:\([^()]{0,20}\)\s*+)?,?\s*+(?:(?:with|of|having|containing|showing)\s+"
    r"(?:an?\s+)?)?(?:predominant(?:ly)?\s+|mainly\s+|mostly\s+)?(?:\([^()]{0,12}\)\s*)?"
    r"(?P<word>[a-z]{4,20})(?:[- ]cells?)?\s+"
    rf"(?:{_HISTOLOGY_NOUNS}|type)\b")


# ... or named after a histology noun: "NSCLC with histology of adenocarcinoma", "a tumour of
# the histologic type of clear cell carcinoma"
_HISTOLOGY_OF = re.compile(
    r"(?i)\s*,?\s*(?:with|of|having|showing)\s+(?:an?\s+|the\s+)?(?:histology|histologic(?:al)?\s+"
    r"(?:sub)?type|morphology)\s+(?:of|showing)\s+(?:an?\s+)?(?:predominant(?:ly)?\s+)?"
    r"(?P<word>[a-z]{4,20})(?:[- ]cells?)?\b")


# A histology a cancer named before lacks: "RCC without any clear (conventional) cell
# component", "ovarian cancer with no serous histology", "NSCLC of non-squamous histology",
# "NSCLC other than predominantly squamous cell histology": the type without that subtype.
_HISTOLOGY_WITHOUT = re.compile(
    r"(?i)\s*+\)?\s*+,?\s*+(?:(?:without|lacking|with\s+no|other\s+than)\s+(?:an?\s+|any\s+)?"
    r"(?:predominant(?:ly)?\s+|mainly\s+)?|(?:of|with|having)\s+(?:an?\s+)?non[- ]?)(?P<word>[a-z]{4,20})"
    r"(?:\s*\([^()]{0,20}\))?(?:[- ]cells?)?(?:\s*\([^()]{0,20}\))?\s+"
    rf"(?:{_HISTOLOGY_NOUNS})\b")


# Subtypes excepted right after a cancer name: "NSCLC, excluding squamous histology", "NSCLC
# (other than squamous cell carcinoma)", "ovarian cancer of any histology except mucinous or
# clear cell".
_EXCEPT_AFTER = re.compile(
    r"(?i)\s*+[,(]?\s*+(?:of\s+any\s+(?:histolog\w*|sub-?types?|types?)\s*+,?\s*+)?"
    r"(?:excluding|except(?:\s+for)?|other\s+than|but\s+not|apart\s+from|"
    r"with\s+the\s+exception\s+of)\s+(?:the\s+|those\s+of\s+|any\s+)?"
    r"(?P<words>[a-z][a-z\-]*(?:(?:\s*,\s*|\s+|\s*/\s*)[a-z][a-z\-]*){0,7}?)\s*"
    r"(?=[).;:]|[ \t]*(?:\r?\n|\Z)|\s+(?:histolog\w*|sub-?types?|types?|carcinomas?|cancers?|tumou?rs?|"
    r"features|components?|disease|NSCLC)\b)")
_EXCEPT_SPLIT = re.compile(r"(?i)\s*(?:,|/|\band/or\b|\bor\b|\band\b|\bnor\b)\s*")


def _excepted_subtypes(text: str, m: Mention, lex: Lexicon) -> tuple[str, ...]:
    """The subtypes of `m`'s cancer type excepted right after it (`_EXCEPT_AFTER`), when
    every excepted word names one (data: the ontology's subtype words); else ()."""
    found = _EXCEPT_AFTER.match(text, m.end, min(len(text), m.end + 160))
    if found is None:
        return ()
    code = m.data["code"]
    out = []
    for term in _EXCEPT_SPLIT.split(found.group("words")):
        words = [w for w in term.lower().replace("-", " ").split() if w not in ("cell", "cells")]
        if not words:
            continue
        sub = lex.subtypes.get((code, words[0]))
        if sub is None or len(words) > 2:
            return ()
        out.append(sub)
    return tuple(dict.fromkeys(out))


# A bare head noun after an eponym in the possessive ("Kaposi's sarcoma", "Castleman's
# disease"): a type of its own, not the whole class the noun names.
_GENERIC_HEAD = re.compile(r"(?i)(?:sarcomas?|carcinomas?|lymphomas?|leuka?emias?|tumou?rs?|"
                           r"cancers?|neoplasms?|diseases?|syndromes?|neoplasias?)")
_POSSESSIVE_BEFORE = re.compile(r"[A-Z][a-zà-ÿ]+(?:'s|’s|s')\s{1,2}\Z")
# ... or without the possessive, capitalised after another word ("excluding Kaposi sarcoma",
# "Active Kaposi sarcoma"): a proper name before the head, when no cancer name of the
# ontology starts with that word
_EPONYM_BEFORE = re.compile(r"(?<![\w-])[A-Za-z]+,?[ \t]+(?P<name>[A-Z][a-zà-ÿ]{3,})(?:\s{1,2}|\s*\n\s*)\Z")
# (an adjective in title case is no proper name: "or Transformed Lymphoma")
_ADJECTIVE_ENDINGS = ("ed", "ing", "al", "ic", "ive", "ous", "ary", "ant", "ent", "ar", "ile",
                      "oid", "ible", "able")
# capitalised words that are no proper names ("with Other Cancers" in title case)
_NOT_EPONYMS = frozenset({"other", "any", "prior", "previous", "active", "known", "second",
                          "new", "concurrent", "current", "untreated", "treated", "confirmed",
                          "documented", "locally", "histologically", "cytologically", "all",
                          "adult", "adults", "pediatric", "paediatric", "childhood", "juvenile",
                          "grade", "stage", "type", "cell", "cells", "site", "primary", "high",
                          "low", "some", "most", "many", "such", "these", "those", "this", "that"})
_LINEAGE_HEAD = re.compile(r"(?i)[BT][- ]?cell\s+(?:lymphomas?|malignanc(?:y|ies)|neoplasms?|neoplasias?)")
_KIND_BEFORE = re.compile(r"(?i)(?:\b(?:(?:highly|very)\s+)?(?:aggressive|indolent|rare|uncommon|unusual)|"
                          r"[A-Za-z'’]{3,}-like)\s{1,2}\Z")


_BRACKET_NOT = re.compile(r"(?i)[(\[]\s*not\s+\Z")
# Words of extent or stage: "non-" before one of them qualifies the stage, not the cancer type.
_STAGE_WORDS = frozenset({"metastatic", "resectable", "operable", "advanced", "localized",
                          "localised", "recurrent", "relapsed", "refractory", "progressive",
                          "measurable"})


def _eponym_before(text: str, start: int, lex: Lexicon) -> bool:
    """A proper name no cancer name of the ontology starts with stands right before `start`
    ("excluding Kaposi sarcoma", not "with Ewing sarcoma" nor "with Metastatic Sarcoma")."""
    found = _EPONYM_BEFORE.search(text, max(0, start - 40), start)
    if found is None:
        return False
    word = found.group("name").lower()
    return word not in lex.cancer_first and word not in _NOT_EPONYMS and word not in _STAGE_WORDS \
        and not word.endswith(_ADJECTIVE_ENDINGS)


def _ancestors(code: str, lex: Lexicon) -> tuple[str, ...]:
    """The types above `code` in the ontology, nearest first."""
    out: list[str] = []
    while (code := lex.parents.get(code, "")) and code not in out and len(out) < 20:
        out.append(code)
    return tuple(out)


# Words naming a histology or lineage (not a site such as "cutaneous", not a stage): only
# these narrow a cancer name when coordinated ("serous or endometrioid ovarian cancer").
_HISTOLOGY_WORDS = frozenset({
    "serous", "endometrioid", "mucinous", "clear", "papillary", "squamous", "adenosquamous",
    "chromophobe", "lobular", "ductal", "medullary", "epithelial", "sarcomatoid", "anaplastic",
    "follicular", "myeloid", "myelogenous", "lymphoid", "lymphoblastic", "lymphocytic",
    "undifferentiated", "neuroendocrine", "signet", "tubular", "micropapillary", "transitional",
    "urothelial", "basaloid", "spindle", "unclassifiable", "unclassified"})
# the nouns that say the histology word before them is one ("adenocarcinoma subtype NSCLC")
_HISTOLOGY_NAMED = frozenset({"subtype", "histology", "histologic", "type"})
_SITE_AFTER = re.compile(r"(?i)\s+of\s")  # "... or adenosquamous carcinoma of the cervix": sites
# a histology word coordinated with a word before it, right before a cancer name
_COORDINATED = re.compile(r"(?i)(?:,|\bor|\band|/)\s+[a-z][a-z\-]{3,}\s+\Z")


# "non-squamous or squamous", "squamous and non-squamous": a histology and its complement
# before a cancer name (the name's first word is the other of the two)
_BOTH_HISTOLOGIES = re.compile(r"(?i)\b(?P<non>non[\s-]?)?(?P<word>[a-z]{4,})\s*(?:or|and|and/or|/)\s*\Z")
_FIRST_WORD = re.compile(r"(?i)(?P<non>non[\s-]?)?(?P<word>[a-z]{4,})\b")
# Words of origin that name a subtype ("secondary AML", "radiation-induced osteosarcoma");
# after the ordinary origin and "or" ("de novo or secondary AML") they name both, the type
# itself ("secondary or therapy-related AML" names two subtypes: see elliptic_names).
_ORIGIN = (r"(?:de\s+novo|primary|secondary|sporadic|hereditary|familial|therapy[\s-]related|"
           r"treatment[\s-]related|radiation[\s-](?:induced|associated|related)|t-)")
_OTHER_ORIGIN = re.compile(r"(?i)\b(?:de\s+novo|primary|sporadic)\s*,?\s*(?:or|and|and/or|/)\s*\Z")
_OWN_ORIGIN = re.compile(rf"(?i){_ORIGIN}")
_PHRASE_BREAK = re.compile(r"[.;:()\[\]•]|\n\s*\n|\n\s*[-*]\s")
_BOTH_GRADES = re.compile(r"(?i)\b(benign|malignant)\s*,?\s*(?:or|and|and/or|/)\s*\Z")
_OWN_GRADE = re.compile(r"(?i)(benign|malignant)\s+")


def _ancestor(code: str, above: str, lex: Lexicon) -> bool:
    seen = set()
    while code in lex.parents and code not in seen:
        seen.add(code)
        code = lex.parents[code]
        if code == above:
            return True
    return False


def _type_within(text: str, m: Mention, lex: Lexicon) -> str | None:
    """The code of a cancer named by the last words of `m`'s own name ("non-M3 AML", where
    "M3 AML" is one name: AML) when it lies above m's type, else None."""
    words = text[m.start:m.end].split()
    for k in range(1, len(words)):
        above = lex.cancers.get(_name_key(" ".join(words[k:])))
        if above is not None and _ancestor(m.data["code"], above, lex):
            return above
    return None


def _type_after(text: str, m: Mention, mentions: list[Mention], lex: Lexicon) -> str | None:
    """The code of a cancer named right after `m` ("non-APL AML": AML) when it lies above
    m's type, else None."""
    after = next((x for x in mentions if x.label == "cancer" and x.start >= m.end
                  and not text[m.end:x.start].strip(" -")), None)
    if after is None or not _ancestor(m.data["code"], after.data["code"], lex):
        return None
    return after.data["code"]


# words after "not" that are no qualifier of the cancer named next ("must not have APL",
# "should not be a candidate")
_NOT_A_QUALIFIER = frozenset({"have", "has", "had", "be", "been", "being", "with", "include",
                              "includes", "including", "show", "shows", "harbor", "harbour",
                              "carry", "present", "previously", "currently", "any", "a", "an",
                              "the", "known", "suffer", "suffering", "from"})


def qualify_cancers(text: str, mentions: list[Mention], lex: Lexicon) -> None:
    """"non-" and a histology word before (or at the start of) a cancer name exclude the
    subtype the ontology names with that word: "non-squamous NSCLC" is NSCLC and not LUSC,
    "non-epithelial ovarian cancer" the ovarian types but the epithelial ones. "non-" before
    a word the ontology does not know leaves the type too vague to read (`data["vague"]`).
    A bare adjective is not read as a subtype: "precursor" or "malignant" name too many."""
    for m in mentions:
        if m.label != "cancer":
            continue
        both = _BOTH_HISTOLOGIES.search(text, max(0, m.start - 30), m.start)
        own_first = _FIRST_WORD.match(text, m.start, m.end)
        if both is not None and own_first is not None and m.data["code"] in lex.parents \
                and both.group("word").lower() == own_first.group("word").lower() \
                and bool(both.group("non")) != bool(own_first.group("non")) \
                and both.group("word").lower() in _HISTOLOGY_WORDS:
            # "non-squamous or squamous NSCLC": a histology word and its complement, the type
            # they share (not two types: "seminoma or non-seminoma", "Hodgkin and non-Hodgkin")
            m.start = both.start()
            m.data.pop("without", None)
            if not own_first.group("non"):  # (a name of the complement is the type itself)
                m.data["code"] = lex.parents[m.data["code"]]
            continue
        other_origin = _OTHER_ORIGIN.search(text, max(0, m.start - 30), m.start)
        if other_origin is not None and _OWN_ORIGIN.match(text, m.start, m.end) \
                and m.data["code"] in lex.parents:
            # "de novo or secondary AML", "primary or radiation-induced osteosarcoma": both
            # origins, so the type they share
            m.start = other_origin.start()
            m.data["code"] = lex.parents[m.data["code"]]
            continue
        grades = _BOTH_GRADES.search(text, max(0, m.start - 24), m.start)
        own_grade = grades and _OWN_GRADE.match(text, m.start, m.end)
        bare = own_grade and lex.cancers.get(word_key(text[own_grade.end():m.end]))
        if grades and own_grade and bare and own_grade.group(1).lower() != grades.group(1).lower():
            # "benign or malignant meningioma": both grades, the tumour without either
            m.start = grades.start()
            m.data["code"] = bare
            continue
        if _GENERIC_HEAD.fullmatch(text, m.start, m.end) \
                and (_POSSESSIVE_BEFORE.search(text, max(0, m.start - 30), m.start)
                     or _eponym_before(text, m.start, lex)):
            m.data["vague"] = True  # "Kaposi's sarcoma": a named type the ontology lacks
            continue
        if (_GENERIC_HEAD.fullmatch(text, m.start, m.end) or _LINEAGE_HEAD.fullmatch(text, m.start, m.end)) \
                and _KIND_BEFORE.search(text, max(0, m.start - 40), m.start):
            # "highly aggressive B-cell malignancy", "Burkitt-like lymphoma": a kind of the
            # type that no code names, narrower than the type
            m.data["vague"] = True
            continue
        code = m.data["code"]
        excepted = _excepted_subtypes(text, m, lex)
        if excepted:  # "NSCLC, excluding squamous histology"
            m.data["without"] = excepted if len(excepted) > 1 else excepted[0]
            continue
        lacking = _HISTOLOGY_WITHOUT.match(text, m.end, m.end + 100)
        if lacking is not None and (code, lacking.group("word").lower()) in lex.subtypes:
            m.data["without"] = lex.subtypes[(code, lacking.group("word").lower())]
            continue
        after = _HISTOLOGY_OF.match(text, m.end, m.end + 80) \
            or _HISTOLOGY_AFTER.match(text, m.end, m.end + 80)
        if after is not None and (code, after.group("word").lower()) in lex.subtypes:
            # "RCC with a clear-cell component", "of predominantly clear cell histology"
            m.data["code"] = lex.subtypes[(code, after.group("word").lower())]
            continue
        own = [w.lower() for w in _LAST_WORDS.findall(text[m.start:m.end])]
        if own and own[0] in _STAGE_WORDS:
            continue  # "non-metastatic breast cancer": a stage, not a kind of the cancer
        if own and own[0].startswith("non"):  # "non-squamous NSCLC" named as one term
            word = own[0][3:] if len(own[0]) > 3 else (own[1] if len(own) > 1 else "")
            if (code, word) in lex.subtypes:
                m.data["without"] = lex.subtypes[(code, word)]
                continue
        gap = text[max(0, m.start - 40):m.start]
        if gap[-1:].isalnum():
            continue  # glued to a word before it
        # the words of the name's own phrase: not across a bracket, a stop or a new item
        phrase = _PHRASE_BREAK.split(gap)[-1]
        words = [w.lower() for w in _LAST_WORDS.findall(phrase)[-3:]]
        if code == "BRAIN" and words[-1:] in (["metastatic"], ["secondary"]) \
                and not (len(words) == 3 and words[0] == "primary"):
            m.data["vague"] = True  # "metastatic CNS tumours": metastases in the brain, not
            continue  # #          a brain tumour ("primary or metastatic ...": both)
        if words[-1:] in (["non"], ["not"]) and code in lex.parents \
                and not _BRACKET_NOT.search(gap):  # ("(not prostate cancer)": an exception)
            # "non-epithelial ovarian cancer": the parent type without the named subtype, or
            # the type named right after it when that is above it ("non-APL AML")
            m.data["code"] = _type_after(text, m, mentions, lex) or _type_within(text, m, lex) \
                or lex.parents[code]
            m.data["without"] = code
            continue
        if words and words[-1].endswith(("oma", "omas")) and phrase.rstrip().endswith(","):
            continue  # "No non-adenocarcinoma, islet cell carcinoma, ...": an item of a list
        if words and words[-1] == "cell":
            words.pop()  # "squamous cell NSCLC"
        if not words:
            continue
        if len(words) >= 2 and words[-1] in _HISTOLOGY_NAMED and (
                words[-2] in _HISTOLOGY_WORDS or words[-2] == "adenocarcinoma") \
                and (code, words[-2]) in lex.subtypes:
            # "adenocarcinoma subtype NSCLC", "squamous histology NSCLC": the histology word
            # with the noun that says it is one
            key = lex.subtypes[(code, words[-2])]
            if len(words) >= 3 and words[-3] in ("non", "not"):
                m.data["without"] = key
            else:
                m.data["code"] = key
            continue
        sub = lex.subtypes.get((code, words[-1])) if words[-1] in _HISTOLOGY_WORDS else None
        if sub is not None and _COORDINATED.search(gap) and not _SITE_AFTER.match(text, m.end) \
                and " of " not in text[m.start:m.end]:
            # "serous or endometrioid epithelial ovarian cancer": the last of coordinated
            # histology words names the subtype (and lends the type to the words before it)
            m.data["narrowed_from"] = (m.start, code)  # undone unless a conjunct is read
            m.start = gap.rfind(_LAST_WORDS.findall(gap)[-1]) + max(0, m.start - 40)
            m.data["code"] = sub
            continue
        # ("must not have AML": a verb the "not" negates, no kind of the type)
        word = words[-1]
        neg = len(words) > 1 and words[-2] in ("non", "not") and word not in _NOT_A_QUALIFIER
        if word.startswith("non") and len(word) > 5:
            word, neg = word[3:], True  # "nonsquamous"
        if word in _STAGE_WORDS:
            continue  # "non-metastatic", "non-resectable": the extent of the disease
        if word in ("non", "not"):
            continue
        if not neg:  # a bare adjective ("advanced", "precursor") is not read as a subtype,
            _histology_before(m, gap, word, lex)  # a histology word right before may be
            continue
        sub = lex.subtypes.get((code, word))
        if sub is not None:
            m.data["without"] = sub
        else:
            m.data["vague"] = True
    _qualify_abbreviations(text, [m for m in mentions if m.label == "cancer"])
    for m in mentions:
        if m.label == "cancer":
            m.data["above"] = _ancestors(m.data["code"], lex)


def _histology_before(m: Mention, gap: str, word: str, lex: Lexicon) -> None:
    """"squamous non-small cell lung carcinoma": a histology word right before a cancer name
    names the subtype the ontology has for it (the mention widened over the word)."""
    key = (m.data["code"], word)
    if word in _HISTOLOGY_WORDS and key in lex.subtypes \
            and re.search(rf"(?i)\b{word}\s+\Z", gap):
        m.data["code"] = lex.subtypes[key]
        m.start = gap.rfind(_LAST_WORDS.findall(gap)[-1]) + max(0, m.start - 40)


# A cancer's abbreviation in brackets right after its name: "(NSCLC)", "(SCCHN)"
_ABBREVIATION_AFTER_NAME = re.compile(r"\s*\(\s*[A-Za-z][A-Za-z0-9-]{1,10}\s*\)")


def _qualify_abbreviations(text: str, cancers: list[Mention]) -> None:
    """"nonsquamous non-small cell lung cancer (NSCLC)": the abbreviation names the type as
    its name was qualified (without the subtype), not a second, wider alternative."""
    ends: dict[int, list[Mention]] = {}
    for name in cancers:
        if "without" in name.data:
            ends.setdefault(name.end, []).append(name)
    for end, names in ends.items():
        m = _ABBREVIATION_AFTER_NAME.match(text, end)
        if m is None:
            continue
        for abbr in cancers:
            if end <= abbr.start and abbr.end <= m.end() and "without" not in abbr.data:
                same = [n for n in names if n.data["code"] == abbr.data["code"]]
                if same:
                    abbr.data["without"] = same[0].data["without"]


# "estrogen and/or progesterone receptor": a word, a conjunction, then a gene's name whose
# last word both share
_ELLIPTIC_GENE = re.compile(r"(?i)\b([a-z]{4,})\s*(?:,|/|\band/or\b|\bor\b|\band\b)\s*\Z")
_SHARED_HEADS = ("receptor", "receptors")


def elliptic_genes(text: str, genes: list[Mention], lex: Lexicon) -> list[Mention]:
    """Genes named by a word that shares the last word of the next gene's name: "estrogen
    and/or progesterone receptor" names both receptors."""
    out = []
    for g in genes:
        form = text[g.start:g.end]
        head = form.rsplit(None, 1)[-1].lower() if " " in form else ""
        if head not in _SHARED_HEADS:
            continue
        m = _ELLIPTIC_GENE.search(text, max(0, g.start - 30), g.start)
        if m is None:
            continue
        entry = lex.lookup_gene(f"{m.group(1).lower()} {head}")
        if entry is not None and entry.genes != g.data["genes"]:
            out.append(_gene(entry, m.start(1), m.end(1), lex))
    return out


def _keep_read_coordinations(mentions: list[Mention], lex: Lexicon) -> None:
    """Undo a histology word's narrowing (qualify_cancers) where the word it is coordinated
    with was not read as another kind of the same type: "squamous cell carcinoma,
    adenocarcinoma, or adenosquamous carcinoma of the cervix" must not become the
    adenosquamous type alone."""
    cancers = [m for m in mentions if m.label == "cancer"]
    for m in cancers:
        undo = m.data.pop("narrowed_from", None)
        if undo is None:
            continue
        broad = undo[1]
        if not any(m.start - 40 <= e.end <= m.start and e is not m
                   # not `broad in (code, *ancestors)`: mypyc cannot compile that starred tuple
                   and (broad == e.data["code"] or broad in _ancestors(e.data["code"], lex))
                   for e in cancers):
            m.start, m.data["code"] = undo
            m.data["above"] = _ancestors(broad, lex)


def _qualified_conjuncts(text: str, shared: list[Mention], lex: Lexicon) -> list[Mention]:
    """The cancer conjuncts of a shared head that a coordinated histology word before them
    narrows (see qualify_cancers), each now starting at that word."""
    cancers = [e for e in shared if e.label == "cancer"]
    starts = [e.start for e in cancers]
    qualify_cancers(text, cancers, lex)
    return [e for e, start in zip(cancers, starts, strict=True) if e.start != start]


def _site_forms(words: list[str], label: str, adjective: bool = False) -> tuple[str, ...]:
    """The conjunct's words, and for a cancer conjunct that is a body site's noun ("oral
    cavity, oropharynx or laryngeal cancer") the forms a cancer name puts before its head for
    that site (data/sites.yaml: "oropharyngeal"); with `adjective`, only those forms of a
    conjunct that is a site's adjective ("glottic and supraglottic laryngeal cancers")."""
    own = " ".join(words)
    if label != "cancer":
        return () if adjective else (own,)
    if adjective:
        return _site_adjectives().get(word_key(own), ())
    return (own, *_site_table()[1].get(word_key(own), ()))


@lru_cache(maxsize=1)
def _site_adjectives() -> dict[str, tuple[str, ...]]:
    """{site adjective key: the site's other forms} of data/sites.yaml."""
    forms: dict[str, tuple[str, ...]] = {}
    for site in sites():
        for adjective in site.adjectives:
            forms.setdefault(word_key(adjective), tuple(dict.fromkeys(
                [*site.adjectives, *site.nouns])))
    return forms


# One upper-case word that names a drug target ("DAC", "PARP1"): a conjunct of a class list
_TARGET_ACRONYM = re.compile(r"[A-Z][A-Z0-9-]{1,7}")


# words that say how far a cancer has spread, not which cancer it is
_EXTENT_ONLY = re.compile(r"(?i)(?:(?:locally|locoregionally|loco-regionally|regionally|"
                          r"widely|newly|previously|histologically|cytologically|confirmed|"
                          r"and|or|stage\s+[IV]{1,4}[ABC]?)\s+)*(?:advanced|metastatic|"
                          r"recurrent|relapsed|refractory|unresectable|inoperable|progressive|"
                          r"diagnosed|untreated|treated|disseminated|persistent)")


def elliptic_names(text: str, mentions: list[Mention], lex: Lexicon,
                   only: list[Mention] | None = None) -> list[Mention]:
    """Cancer types or drug classes that share the head noun of the next name: "ovarian,
    fallopian tube or peritoneal cancer" names three cancers, "small cell or non-small cell
    lung cancer" two, "BRAF or MEK inhibitors" two classes. Each conjunct before a name
    ending in such a head is looked up with the last one to three words of that name; the
    reading stops at the first conjunct that is not a known name."""
    out: list[Mention] = []
    taken = [(m.start, m.end) for m in mentions]
    tables = {"cancer": lex.cancers, "drug": lex.drugs}
    # a last name the lexicon does not know still lends its head ("BRAF, MEK or HSP90
    # inhibitor therapy": the BRAF and MEK inhibitors are read)
    low = text.lower()
    unknown = [Mention("drug", h.start("last"), h.end(), "elliptic.head", {})
               for h in (_SCANS["unknown_last"].finditer(text) if "inhibitor" in low or "antagonist"
                         in low or "blocker" in low or "nvestigational" in low or "xperimental" in low
                         else ())
               if not any(a < h.end() and h.start() < b for a, b in taken)]
    for m in only if only is not None else [*mentions, *unknown]:
        surface = text[m.start:m.end].split()
        if only is not None and surface and m.label == "cancer" \
                and surface[-1].lower() not in _HEADS["cancer"]:
            surface.append("cancer")  # a conjunct of a shared head: "... ovarian, ... cancer"
        if m.label not in _HEADS or not surface or surface[-1].lower() not in _HEADS[m.label]:
            continue
        table = tables[m.label]
        tails = [" ".join(surface[-n:]) for n in range(1, min(3, len(surface)) + 1)]
        tails += _BROADER_HEADS.get(surface[-1].lower(), ()) if m.label == "cancer" else ()
        if m.label == "cancer" and surface[-1].lower().endswith("s") \
                and surface[-1].lower()[:-1] in _HEADS["cancer"]:
            tails.append(surface[-1][:-1])  # "... or laryngeal cancers": each a cancer
        end = m.start
        while (lead := _LEAD_MODIFIER.search(text, max(0, end - 40), end)) is not None \
                and lead.start() < end \
                and not _MODIFIER_PAIR.search(text, max(0, lead.start() - 40), lead.start()):
            # "breast, colon or hormone-refractory prostate cancer" (not "metastatic or
            # relapsed breast cancer": two states of one cancer)
            end = lead.start()
        if m.label == "cancer" and (sub := _SUBSITE.search(text, max(0, end - 40), end)) \
                and word_key(sub.group("word")) in _site_adjectives() \
                and text[max(0, sub.start() - 60):sub.start()].rstrip().lower().endswith(_SEP_ENDS):
            # "..., glottic and supraglottic laryngeal cancers": a part of the last name's
            # site before it (now in the name), the list going on before that
            end = m.start = sub.start()
        for _ in range(12):
            if not text[max(0, end - 60):end].rstrip().lower().endswith(_SEP_ENDS):
                break  # no separator ends there: the search below would find nothing
            found = _CONJUNCT.search(text, max(0, end - 60), end)
            if not found or found.group("abbr") and m.label != "cancer":
                break  # (a drug class's bracket may be another class: "mitogen kinase (MEK)")
            words = found.group("words").split()
            # the k-th word's own offset (a word may repeat: "BRAF or combined BRAF")
            offsets = [found.start("words") + w.start()
                       for w in _WORD.finditer(found.group("words"))]
            stop = found.end("words")
            # (the longest name whose words no other mention holds: "platinum-resistant
            # ovarian, ... cancer" is ovarian cancer, "platinum" being the drug)
            hit = next(((k, table[key]) for adjective in (False, True)
                        for k in range(len(words)) for tail in tails
                        if not any(a < stop and offsets[k] < b for a, b in taken)
                        # (not a stage: "locally advanced, or metastatic squamous NSCLC")
                        and not (m.label == "cancer" and _EXTENT_ONLY.fullmatch(
                            " ".join(words[k:])))
                        for lead in _site_forms(words[k:], m.label, adjective)
                        if (key := word_key(" ".join([lead, tail]))) in table),
                       None)
            if hit is None:
                if m.label == "drug" and _TARGET_ACRONYM.fullmatch(found.group("words")):
                    end = found.start()  # "HDAC, DAC, HSP90 inhibitors": a target we do not
                    continue  #           know is passed over, the list goes on before it
                break
            k, value = hit
            start = offsets[k]
            out.append(Mention(m.label, start, stop, f"ontology.{m.label}.elliptic",
                               {_KEYS[m.label]: value}))
            end = found.start()
    return out


# A part of a site named before it: "the lower third of the oesophagus", "the distal stomach"
_SITE_PART = (r"(?:(?:(?:lower|upper|middle|mid|distal|proximal)\s+(?:third|portion|part|half|"
              r"segment)\s+of\s+(?:the\s+)?)|(?:distal|proximal|lower|upper)\s+)??")


@lru_cache(maxsize=1)
def _site_table() -> tuple[re.Pattern[str], dict[str, tuple[str, ...]]]:
    """("of (the) <site noun>" right after a word, {site noun key: the words a cancer name
    puts before its histology for that site, adjectives first}) of data/sites.yaml."""
    forms: dict[str, tuple[str, ...]] = {}
    for site in sites():
        names = tuple(dict.fromkeys([*site.adjectives, *site.nouns]))
        for noun in site.nouns:
            forms[word_key(noun)] = names
    nouns = sorted({n for site in sites() for n in site.nouns}, key=len, reverse=True)
    alternatives = "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in nouns)
    return (re.compile(r"(?i)\s+of\s+(?:the\s+)?" + _SITE_PART
                       + r"(?:(?:exocrine|endocrine)\s+)?(?P<site>" + alternatives + r")(?![\w-])"),
            forms)


@lru_cache(maxsize=1)
def _next_site() -> re.Pattern[str]:
    """A further site of a list after the first: ", <site>", " or the <site>", ", and/or <site>"."""
    nouns = sorted({n for site in sites() for n in site.nouns}, key=len, reverse=True)
    alternatives = "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in nouns)
    return re.compile(r"(?i)(?:\s*,\s*(?:(?:and/or|or|and)\s+)?|\s+(?:and/or|or|and)\s+)"
                      r"(?:the\s+)?" + _SITE_PART + r"(?P<site>" + alternatives + r")(?![\w-])")


_LIST_JOINT = re.compile(r"(?i)\s*,?\s*(?:and/or|or|and)\b")
# The list of sites goes on with words that name no known site: ", oropharynx, tonsil or
# larynx" where "tonsil" is not in data/sites.yaml. Short items (one to three words) joined by
# commas and ending in "or"/"and" before the end of the phrase.
# (an unknown primary is no site: "... of the oropharynx or unknown primary" reads both)
_MORE_ITEMS = re.compile(r"(?i)\s*,\s*(?:(?:and/or|or|and)\s+)?(?:the\s+)?(?!(?:an?\s+)?(?:unknown|occult)\s+primary)[a-z][\w\-]*"
                         r"(?:\s+[a-z][\w\-]*){0,2}\s*(?:,|\s(?:and/or|or|and)\s)|"
                         r"\s*,?\s+(?:and/or|or)\s+(?:the\s+)?(?!(?:an?\s+)?(?:unknown|occult)\s+primary)[a-z][\w\-]*(?:\s+[a-z][\w\-]*){0,1}"
                         r"\s*(?:[.;:)]|\Z)")


def _site_code(lex: Lexicon, histology: list[str], site: str, generic: bool = True) -> str | None:
    """The cancer type "<histology> of the <site>" names, looked up as "<site adjective or
    noun> <histology>" (as written, then singular and in American spelling), or None; with
    `generic`, a carcinoma of a site that has no name with the histology is its cancer."""
    forms = _site_table()[1].get(word_key(site))
    if not forms:
        return None
    written = " ".join(histology)
    plain = " ".join(norm_word(w) for w in histology)
    for form in forms:
        for hist in (written, plain):
            code = lex.cancers.get(word_key(f"{form} {hist}"))
            if code is not None:
                return code
    if generic and norm_word(histology[-1]) in _CARCINOMA_HEADS:  # "carcinoma of the GEJ"
        for form in forms:
            for head in ("cancer", "carcinoma"):
                code = lex.cancers.get(word_key(f"{form} {head}"))
                if code is not None:
                    return code
    return None


# Histologies that a site's plain "cancer" or "carcinoma" covers, for a site that has no name
# with the histology as written ("carcinoma of the gastroesophageal junction")
_CARCINOMA_HEADS = frozenset({"carcinoma", "adenocarcinoma", "cancer", "tumor", "neoplasm",
                              "malignancy"})


_MAX_HISTOLOGY_WORDS = 3  # words before the head: "germ cell tumour", "squamous cell carcinoma"
_NOT_HISTOLOGY = frozenset({"no", "not", "without", "any", "other", "a", "an", "the", "prior",
                            "previous", "history", "known", "active", "confirmed", "documented"})


def site_names(toks: Tokens, text: str, lex: Lexicon, covered: list[tuple[int, int]]
               ) -> list[Mention]:
    """Cancer types written as "<histology> of (the) <site>" that the lexicon does not hold
    in that order: "carcinoma of the oesophagus", "cancer of the prostate", "tumours of the
    central nervous system" (data/sites.yaml). The histology is the head word and up to three
    words before it, longest first; nothing is read when no such name is known."""
    lower = toks.lower
    heads = [i for i, w in enumerate(lower) if w in HEAD_WORDS]
    if not heads or "of" not in lower:
        return []
    after_head, _ = _site_table()
    words, starts = toks.words, toks.starts
    out: list[Mention] = []
    for i in heads:
        start_i, end_i = starts[i], starts[i] + len(words[i])
        site = after_head.match(text, end_i)
        if site is None:
            continue
        holder = next(((a, b) for a, b in covered if a <= start_i and end_i < b), None)
        if holder is not None and holder[1] != site.end():
            continue  # a longer name holds the head ("adenocarcinoma of the pancreas ...")
        before: list[int] = []
        j = i - 1
        while j >= 0 and len(before) < _MAX_HISTOLOGY_WORDS and words[j].isalpha():
            gap = text[starts[j] + len(words[j]):starts[j + 1]]
            if gap.strip(" \t-") or lower[j] in ("or", "and", "nor") or lower[j] in _NOT_HISTOLOGY:
                break  # (a conjunction ends the histology: "A, B or C carcinoma of ...";
                #        so does a negation or a determiner: "no neuroendocrine tumour of ...")
            before.insert(0, j)
            j -= 1
        more = [site]  # "of the oral cavity, oropharynx or larynx": every site of the list
        while (nxt := _next_site().match(text, more[-1].end())) is not None:
            more.append(nxt)
        # (a list closed by its "or"/"and" item is over: ", T2 or T3" after "..., or
        # hypopharynx" is no further site)
        closed = len(more) > 1 and _LIST_JOINT.match(text, more[-2].end(), more[-1].start("site"))
        if not closed and _MORE_ITEMS.match(text, more[-1].end()):
            continue  # the list names sites we do not know: read none of it
        for k in range(len(before) + 1):
            first = before[k] if k < len(before) else i
            if first and words[first - 1] == "-" and starts[first - 1] + 1 == starts[first]:
                continue  # not half of a hyphenated word ("non-small cell carcinoma")
            histology = [lower[t] for t in [*before[k:], i]]
            # under a name of the lexicon, only a name of its own (see below)
            codes = [_site_code(lex, histology, m.group("site"), holder is None) for m in more]
            if all(code is not None for code in codes):
                if holder is None or starts[first] < holder[0]:
                    # (else a name of the lexicon reads the first site, unless its words
                    # before the head name more: "adenosquamous carcinoma of the cervix")
                    out.append(Mention("cancer", starts[first], site.end(),
                                       "ontology.cancer.site", {"code": codes[0]}))
                out.extend(Mention("cancer", m.start("site"), m.end(), "ontology.cancer.site",
                                   {"code": code}) for m, code in zip(more[1:], codes[1:]))
                break
    return out


# "<histology> of the <site>" and what follows it: "or the <site>" naming a second site.
_OF_SITE = re.compile(r"(?i)(?P<head>.+?)\s+of\s+(?:the\s+)?\S")
_SECOND_SITE = re.compile(r"(?i)\s*,?\s*(?:and/or|or)\s+(?:the\s+)?(?P<words>[A-Za-z][\w'\-]*"
                          r"(?:[ \t]+[A-Za-z][\w'\-]*){0,2})")


def second_sites(text: str, mentions: list[Mention], lex: Lexicon) -> list[Mention]:
    """Cancer types that share the histology of the name before them: "adenocarcinoma of the
    pancreas or ampulla", "carcinoma of the ovary or fallopian tube" name two types. After a
    cancer name "<histology> of (the) <site>", the site after "or" is looked up as
    "<histology> of the <site>", "<histology> of <site>" or "<site> <histology>" (its first
    three, two, then one words); nothing is read when no such name is known."""
    out: list[Mention] = []
    for m in mentions:
        if m.label != "cancer":
            continue
        head = _OF_SITE.match(text, m.start, m.end)
        nxt = _SECOND_SITE.match(text, m.end, m.end + 60) if head else None
        if head is None or nxt is None:
            continue
        histology = " ".join(head.group("head").split())
        words = nxt.group("words").split()
        for k in range(len(words), 0, -1):
            site = " ".join(words[:k])
            code = next((lex.cancers[key] for key in (
                word_key(f"{histology} of the {site}"), word_key(f"{histology} of {site}"),
                word_key(f"{site} {histology}")) if key in lex.cancers), None)
            if code is None:
                code = _site_code(lex, histology.split(), site)
            if code is not None:
                start = text.index(words[0], nxt.start("words"))
                stop = text.index(words[k - 1], start) + len(words[k - 1])
                out.append(Mention("cancer", start, stop, "ontology.cancer.second_site",
                                   {"code": code}))
                break
    return out


# The histology of a conjunct before "<histology> of the <site>": "adenocarcinoma or squamous
# cell carcinoma of the lung", "papillary, follicular or medullary carcinoma of the thyroid".
_FIRST_HISTOLOGY = re.compile(r"(?i)(?<![\w-])(?P<words>[a-z][\w\-]*(?:[ \t]+[a-z][\w\-]*){0,2})"
                              # (its abbreviation may follow it: "adenocarcinoma (AC) or ...")
                              r"(?:\s*\([A-Za-z]{1,6}\))?"
                              r"(?:\s*,\s*(?:(?:and/or|or|and)\s+)?|\s+(?:and/or|or|and)\s+)\Z")


def first_histologies(text: str, mentions: list[Mention], lex: Lexicon) -> list[Mention]:
    """Cancer types that share the site of the name after them: in "adenocarcinoma or
    squamous cell carcinoma of the oesophagus" the first histology is of the oesophagus too.
    Before a cancer name "<histology> of (the) <site>", each conjunct (up to three words,
    longest first) is looked up with that site as second_sites does; the list is read back
    while every conjunct names a type, and nothing is read for a conjunct that names none."""
    out: list[Mention] = []
    for m in mentions:
        if m.label != "cancer":
            continue
        head = _OF_SITE.match(text, m.start, m.end)
        if head is None:
            continue
        site = text[head.end() - 1:m.end]
        noun = head.group("head").split()[-1]  # "papillary or medullary carcinoma of ..."
        end = m.start
        while (conj := _FIRST_HISTOLOGY.search(text, max(0, end - 50), end)) is not None:
            words = conj.group("words").split()
            found = None
            for histology in (h for k in range(len(words), 0, -1)
                              for h in (words[-k:], [*words[-k:], noun])):
                code = lex.cancers.get(word_key(f"{' '.join(histology)} of the {site}")) \
                    or _site_code(lex, histology, site, generic=False)
                if code is not None:
                    start = text.index(histology[0], conj.start("words"))
                    found = Mention("cancer", start, conj.end("words"),
                                    "ontology.cancer.first_histology", {"code": code})
                    break
            if found is None:
                break
            out.append(found)
            end = found.start
    return out


# "Pancreatic carcinoma histologically determined to be adenocarcinoma or adenosquamous
# carcinoma", "lung cancer confirmed as squamous cell carcinoma": the histologies the site's
# cancer is said to be name the types meant
_CONFIRMED_AS = re.compile(
    r"(?i)\s*,?\s*(?:(?:which|that)\s+(?:is|must\s+be|should\s+be)\s+)?(?:(?:histologically|"
    r"cytologically|pathologically)\s+(?:(?:and/or|or|and)\s+(?:histologically|cytologically)\s+)?)?"
    r"(?:confirmed|determined|proven|documented|diagnosed|verified)\s+(?:as|to\s+be)\s+(?:an?\s+)?")
_HISTOLOGY_ITEM = re.compile(r"(?i)[a-z][\w-]*(?:\s+[a-z][\w-]*){0,3}")
_HISTOLOGY_SEP = re.compile(r"(?i)\s*,\s*(?:(?:and/or|or)\s+)?(?:an?\s+)?|\s+(?:and/or|or)\s+(?:an?\s+)?")
_SITE_HEADS = frozenset({"cancer", "carcinoma", "tumor", "tumour", "neoplasm", "malignancy"})


def confirmed_histologies(text: str, mentions: list[Mention], lex: Lexicon
                          ) -> list[tuple[Mention, list[Mention]]]:
    """(the site's cancer, the cancer types of its histologies) for each cancer named by a
    site and a generic head and then said to be confirmed as a list of histologies, each
    looked up as "<site words> <histology>" (longest first); nothing when one is unknown."""
    out: list[tuple[Mention, list[Mention]]] = []
    for m in mentions:
        words = text[m.start:m.end].split()
        if m.label != "cancer" or len(words) < 2 or norm_word(words[-1]) not in _SITE_HEADS:
            continue
        said = _CONFIRMED_AS.match(text, m.end, m.end + 120)
        if said is None:
            continue
        site, at, found = " ".join(words[:-1]), said.end(), []
        while (h := _histology_at(text, at, lex, site, words[-2])) is not None:
            found.append(h)
            sep = _HISTOLOGY_SEP.match(text, h.end)
            if sep is None:
                break
            at = sep.end()
        # (a list read to its end, or up to a separator after which nothing is written)
        if found and (h is not None or _HISTOLOGY_ITEM.match(text, at, at + 60) is None):
            out.append((m, found))
    return out


def _histology_at(text: str, at: int, lex: Lexicon, site: str, noun: str | None = None,
                  source: str = "ontology.cancer.confirmed_as") -> Mention | None:
    """The cancer type a histology written at `at` (up to four words, longest first) names at
    a site: "<site words> <histology>" in the lexicon, or with `noun`, the site's noun, as
    `_site_code` reads it; None when nothing there names one."""
    item = _HISTOLOGY_ITEM.match(text, at, at + 60)
    if item is None:
        return None
    hist = item.group().split()
    for k in range(len(hist), 0, -1):
        code = lex.cancers.get(word_key(f"{site} {' '.join(hist[:k])}")) or (
            _site_code(lex, hist[:k], noun, generic=False) if noun else None)
        if code is not None:
            stop = text.index(hist[k - 1], item.start()) + len(hist[k - 1])
            return Mention("cancer", item.start(), stop, source, {"code": code})
    return None


# "lung adenocarcinoma or squamous cell carcinoma", "cervical squamous cell carcinoma or
# adenocarcinoma": a histology coordinated after a cancer named by its site and histology is
# of that site too
_CONJUNCT_SEP = re.compile(r"(?i)\s*,?\s*(?:and/or|or|and)\s+(?:an?\s+)?|\s*,\s*")


def site_conjuncts(text: str, mentions: list[Mention], lex: Lexicon) -> list[Mention]:
    """Cancer types named by a histology after "or" (or ", ", "and/or") that follows a cancer
    name whose first one or two words are its site: each is looked up as "<those words>
    <histology>" (up to four words, longest first); the list is read on while each names a
    type."""
    out: list[Mention] = []
    # (a histology the lexicon reads on its own keeps that reading: "skin cancer or melanoma")
    named = {m.start for m in mentions if m.label == "cancer"}
    for m in mentions:
        words = text[m.start:m.end].split()
        if m.label != "cancer" or len(words) < 2:
            continue
        for k in (1, 2):
            site, end, found = " ".join(words[:k]), m.end, []
            if k >= len(words):
                break
            while (sep := _CONJUNCT_SEP.match(text, end)) is not None \
                    and sep.end() not in named and (h := _histology_at(
                        text, sep.end(), lex, site, source="ontology.cancer.site_conjunct")):
                found.append(h)
                end = h.end
            if found:
                out += found
                break
    return out


def _spelled_ok(lex: Lexicon, key: str, surface: str) -> bool:
    spellings = lex.exact.get(key)
    return spellings is None or word_tuple(surface) in spellings


_WRAP = re.compile(r"[ \t]*\r?\n[ \t]*")  # one line break inside a name (wrapped text)


# A gloss in brackets between the words of a cancer's name: "renal (kidney) cancer",
# "hepatocellular (liver) carcinoma", "gastro-oesophageal junction (GEJ) adenocarcinoma".
# _GLOSS_OPEN: the gap before a word inside such a bracket, _GLOSS: the whole gloss between
# two words of the name.
_GLOSS_OPEN = re.compile(r" ?\((?: ?[A-Za-z][\w\-/&]*){0,2} ?")
_GLOSS = re.compile(r" ?\((?: ?[A-Za-z][\w\-/&]*){1,3}\) ")
_BREAKS = frozenset(",;.()[]:\n")
_BRACKET_GAP = re.compile(r"[ \-]?[()][ \-]?")


def _broken(between: str) -> bool:
    if between == " " or not between:  # the usual gaps, without a regex call
        return False
    if _WRAP.fullmatch(between):
        return False
    return len(between) > 3 or not _BREAKS.isdisjoint(between)


# ----------------------------------------------------------------------------- all

def find_mentions(doc: Doc, lex: Lexicon) -> list[Mention]:
    """Every mention in the document, non-overlapping, in text order."""
    return text_mentions(doc_text(doc), doc_tokens(doc), lex)


_VIRUS_AFTER = re.compile(r"(?i)[\s-]{0,2}virus(?:es)?\b")
# A capitalised cancer word in the name of a body ("the International Myeloma Working Group",
# "European-Leukemia-Net", "Cancer and Leukemia Group B"): whose criteria, not a diagnosis
# (a bare "Group" after a further word or before a letter only: "Lymphoma Group: ..." may head
# a cohort)
_BODY_AFTER = re.compile(r"(?:[ \t-]*(?:&|and|[A-Z][A-Za-z]+)){1,3}?[ \t-]*Group\b"
                         r"|[ \t-]*Group\s+[A-Z]\b|(?:[ \t-]*(?:&|and|[A-Z][A-Za-z]+)){0,3}?[ \t-]*(?:Net(?:work)?|"
                         r"(?:Working|Study|Cooperative|Research)\s+Group|Society|Foundation|"
                         r"Association|Consortium|Alliance|Institute|Coalition|Committee)\b")


def _in_body_name(text: str, m: Mention) -> bool:
    return m.label == "cancer" and text[m.start].isupper() and \
        _BODY_AFTER.match(text, m.end, m.end + 60) is not None


def text_mentions(text: str, toks: Tokens, lex: Lexicon) -> list[Mention]:
    """Every mention in `text` (whose tokens are `toks`), non-overlapping, in text order."""
    genes = gene_mentions(toks, text, lex)
    found = pattern_mentions(text) + genes + elliptic_genes(text, genes, lex)
    names = name_mentions(toks, text, lex)
    names += site_names(toks, text, lex, [(m.start, m.end) for m in names
                                          if m.label == "cancer"])
    fuzzy = fuzzy_cancer_mentions(toks, text, lex, [(m.start, m.end) for m in names])
    # "human T-cell leukaemia virus", "a sarcoma virus": the virus, not the cancer
    names, fuzzy = ([m for m in ms if not (m.label == "cancer" and _VIRUS_AFTER.match(text, m.end))
                     and not _in_body_name(text, m)] for ms in (names, fuzzy))
    found += names + fuzzy
    found += short_name_mentions(text, names, lex.cancer_codes, lex.parents)  # "relapsed MM"
    qualify_cancers(text, names, lex)
    # (a name read fuzzily, "pancreatic cancers", lends its head to the conjuncts before it)
    shared = elliptic_names(text, [*names, *fuzzy], lex)
    narrowed = _qualified_conjuncts(text, shared, lex)
    if narrowed:  # "serous or endometrioid epithelial ovarian, ... cancer": on to "serous"
        shared += elliptic_names(text, [*names, *shared], lex, narrowed)
    _keep_read_coordinations([*names, *shared], lex)
    if shared:  # "mTOR or AKT inhibitors": "mTOR" names a drug class here, not the gene
        spans = [(e.start, e.end) for e in shared if e.label == "drug"]
        found = [m for m in found if not (m.label == "gene" and any(
            a <= m.start and m.end <= b for a, b in spans))]
    found += shared
    found += second_sites(text, names, lex)
    found += first_histologies(text, names, lex)
    found += site_conjuncts(text, names, lex)
    confirmed = confirmed_histologies(text, names, lex)
    if confirmed:  # "pancreatic carcinoma confirmed as adenocarcinoma": the histologies only
        found = [m for m in found if not any(m is site for site, _ in confirmed)]
        found += [x for _, xs in confirmed for x in xs]
    found += cue_mentions(toks, text)
    # (a class by its target and head, "VEGFR agents", only where no name was read: not over
    # "anti-PD-1/PD-L1 agents")
    mechanisms = []
    for m in mechanism_mentions(text, lex):
        over = [d.end for d in found if d.label == "drug" and d.start < m.end and m.start < d.end]
        if m.source != "mechanism.target_agent" or not over:
            mechanisms.append(m)
        elif max(over) < m.end:  # "anti-PD-1 or PD-L1 agents": the target after the name
            cut = max(over)
            for a in _target_agents(text[cut:m.end], lex):
                a.start, a.end = a.start + cut, a.end + cut
                mechanisms.append(a)
    targets = [(m.start, m.end) for m in mechanisms
               if m.source in ("mechanism.inhibitor_of", "mechanism.target_coordinated")]
    if targets:  # "inhibitors of AKT or mTOR", "PD-L1 or CTLA-4 agents": the targets name
        # drug classes, not genes
        found = [m for m in found if not (m.label == "gene" and any(
            a <= m.start and m.end <= b for a, b in targets))]
    found = _with_shared_targets(text, found + mechanisms, mechanisms, lex)
    found += therapy_for_cancer(text, names) + bare_prior_therapy(text)
    found += code_mentions(text, found, lex)
    found = [m for m in found if not (m.label == "gene"
                                      and _squeeze(text[m.start:m.end]) in lex.ignore)]
    found = with_diagnoses(found, text)
    states = state_mentions(text, found)  # after every other reading, which it never overrides
    return sorted(found + states, key=lambda m: (m.start, -m.end)) if states else found


def _with_shared_targets(text: str, found: list[Mention], mechanisms: list[Mention],
                         lex: Lexicon) -> list[Mention]:
    """`found` with the targets a coordination shares: a generic class before a class by
    action narrowed to its target (`shared_targets`), and the targets after an "anti-" name
    read as classes (`anti_conjuncts`: "anti-PD-1 or PD-L1 therapy", where "PD-L1" is then no
    gene finding)."""
    if any(m.source == "mechanism.by_action" for m in mechanisms):
        shared_targets(text, found, lex)
    found = [m for m in found if not _unread_kind(text, m, mechanisms)]
    anti = anti_conjuncts(text, found, lex) if "nti-" in text else []
    if not anti:
        return found
    return [m for m in found if not (m.label == "gene" and any(
        a.start <= m.start and m.end <= a.end for a in anti))] + anti


# A generic class of which the text names one kind the lexicon does not know: "antibodies
# directed against the X receptor" (no class for X), "murine monoclonal antibodies". Read as
# the whole class it would rule out every antibody; unread, the item is left for review.
_AIMED_AFTER = re.compile(
    r"(?i)\s*\)?\s*(?:\([^()]{1,12}\)\s*)?(?:(?:treatments?|therap(?:y|ies))\s+)?(?:(?:that|which)\s+"
    r"(?:is|are)\s+)?(?:specifically\s+)?(?:directed\s+(?:against|at|to)|targeting|targeted\s+"
    r"(?:against|at|to)|aimed\s+at|against)\s")
_ANTIBODY_KIND_BEFORE = re.compile(r"(?i)(?<![\w-])(?:(?:murine|mouse|chimeric|radio-?label(?:l)?ed)\s+|"
                                   r"(?:experimental|investigational)\s+(?:[\w-]+\s+){0,5})\Z")


def _unread_kind(text: str, m: Mention, mechanisms: list[Mention]) -> bool:
    """Whether `m` is a generic class (an antibody, a kinase inhibitor...) whose kind the
    text names in words no class was read from."""
    if m.label != "drug" or m.data.get("concept") not in _GENERIC_CLASSES:
        return False
    if _ANTIBODY_KIND_BEFORE.search(text, max(0, m.start - 80), m.start):
        return True
    aimed = _AIMED_AFTER.match(text, m.end)
    return aimed is not None and not any(
        k is not m and k.start < aimed.end() + 2 and m.start < k.end for k in mechanisms)


# "therapy for CLL", "treatment of the myeloma": a bare "therapy" or "treatment" whose object
# is a cancer names any anticancer treatment of it ("No prior therapy for CLL" is an untreated
# population). Only an earlier treatment without a kind (see _PRIOR_WORD_BEFORE: not
# "radiation therapy for", "biologic therapy for") of this cancer (only stage words may come
# between: not "treatment for another malignancy").
_THERAPY_FOR = re.compile(
    r"(?i)(?<![\w-])(?P<head>therap(?:y|ies)|treatments?)\s{1,3}(?:for|of)\s{1,3}(?:(?:the|their|"
    r"this|any|current|present|advanced|metastatic|recurrent|relapsed|refractory|locally|"
    r"unresectable|and|or)"
    r"[\s,]{1,3}){0,4}\Z")
# the word before it says the treatment is an earlier one ("no prior therapy for", "one line
# of treatment for"), not of one kind ("biologic therapy for", "the treatment of" after a drug,
# "first-line treatment of": the drug named before it)
_PRIOR_WORD_BEFORE = re.compile(
    r"(?i)(?<![\w-])(?:prior|previous|previously|earlier|no|any|received|had|of)\s{1,3}"
    r"(?:(?:drug|medical|pharmacologic(?:al)?)\s{1,3})?\Z")  # ("prior drug therapy for X")
# "no other prior treatment for X": other than those the criteria allow elsewhere, unknown here
_OTHER_BEFORE = re.compile(r"(?i)(?<![\w-])other\s{1,3}(?:[a-z]+\s{1,3}){0,2}\Z")


def therapy_for_cancer(text: str, names: list[Mention]) -> list[Mention]:
    """Mentions of any anticancer treatment written as "therapy for <cancer>" (see
    _THERAPY_FOR); a drug or class named before the word is the mention instead."""
    out = []
    for c in names:
        if c.label != "cancer":
            continue
        m = _THERAPY_FOR.search(text, max(0, c.start - 80), c.start)
        if m is None or not _PRIOR_WORD_BEFORE.search(text, max(0, m.start() - 14), m.start()) \
                or _OTHER_BEFORE.search(text, max(0, m.start() - 30), m.start()):
            continue
        out.append(Mention("drug", m.start("head"), m.end("head"), "therapy_for_cancer",
                           {"concept": "anticancer_therapy"}))
    return out


# "prior therapy" with no kind, class or drug and no object but the cancer under study,
# negated: "no prior therapy for this disease", "have not received prior therapy." (any
# anticancer treatment; not "prior therapy with X", "prior therapy for hepatitis", "toxicity
# of prior therapy", "prior therapy:" over a list)
_BARE_PRIOR_THERAPY = re.compile(
    r"(?i)(?:\bno\s+|\bnot\s+(?:have\s+|has\s+|been\s+)?(?:received|had|been\s+"
    r"given)\s+(?:any\s+)?|\bnever\s+(?:received|had)\s+(?:any\s+)?)"
    r"(?:prior|previous|earlier)\s+(?P<head>therap(?:y|ies)|treatments?)"
    # (at the criterion's end: a full stop, the text's end, or a line break before the
    # next item)
    r"(?=\s{0,3}(?:[.;]|\Z)|[ \t]*\r?\n\s*(?:[-•*·▪‣◦–]\s|\d{1,2}[.)]\s|\n)"
    r"|\s+(?:for|of)\s+(?:this|their|his|her|the)\s+"
    r"(?:(?:current|present|same|underlying)\s+)?(?:cancer|disease|malignancy|tumou?r|"
    r"neoplasm)\b)")


# An investigational drug named only by its code ("ABT-751", "SB939") that the ontology does
# not know: a concept of its own, the code in lower case as written (as a patient's unknown
# drug is kept), read as treatment history only where it is ruled out (findings._drug). Not
# a registry, disease or test number ("NCT...", "CA-125", "CD137"), nor a protocol's number.
_DRUG_CODE = re.compile(r"(?<![\w\-/.*])(?P<prefix>[A-Z]{2,5})-?\d{3,7}[A-Z]?(?![\w\-/*])")
_NO_DRUG_PREFIX = frozenset({"NCT", "ISRCTN", "ICD", "CD", "IL", "HLA", "CA", "CEA", "CYP", "UGT", "EORTC",
                             "RTOG", "COG", "GOG", "SWOG", "ECOG", "JCOG", "CALGB", "NSABP", "ISO", "WHO",
                             "FIGO", "AJCC", "MDS"})
_DIGIT = re.compile(r"\d")
# ("the ZS-002 or ZS-003 studies": studies, not drugs)
_PROTOCOL_AFTER = re.compile(r"(?i)(?:\s*(?:,|or|and|and/or)\s*[A-Z]{2,5}-?\d{3,7}[A-Z]?)*\s+(?:studies|study|"
                             r"trials?|protocols?|cohorts?)\b")
_PROTOCOL_BEFORE = re.compile(r"(?i)\b(?:protocols?|study|studies|trials?|numbers?|no\.|version|"
                              r"IRB|group|RTOG|COG|GOG|SWOG|ECOG|JCOG|CALGB|NSABP|EORTC|NRG|"
                              r"ACOSOG|NCCTG|NCIC|enrolled\s+(?:on|in|onto))\s*#?\s*:?\s*\Z")


def code_mentions(text: str, found: list[Mention], lex: Lexicon) -> list[Mention]:
    """Drugs named by an unknown code (see _DRUG_CODE), where no other mention is."""
    if not _DIGIT.search(text):
        return []
    taken = [(m.start, m.end) for m in found]
    out = []
    for m in _DRUG_CODE.finditer(text):
        a, b = m.span()
        if m.group("prefix") in _NO_DRUG_PREFIX or any(x < b and a < y for x, y in taken) or gene_key(m.group()) in lex.genes \
                or _PROTOCOL_BEFORE.search(text, max(0, a - 24), a) or _PROTOCOL_AFTER.match(text, b):
            continue
        out.append(Mention("drug", a, b, "drug.code", {"concept": m.group().lower(), "code": True}))
    return out


def bare_prior_therapy(text: str) -> list[Mention]:
    """Mentions of any anticancer treatment written as a bare "prior therapy" (see
    _BARE_PRIOR_THERAPY)."""
    if "rior" not in text and "revious" not in text and "arlier" not in text:
        return []
    return [Mention("drug", m.start("head"), m.end("head"), "bare_prior_therapy",
                    {"concept": "anticancer_therapy"}) for m in _BARE_PRIOR_THERAPY.finditer(text)
            # (not said in a relative clause of something else: "an option with which the
            # patient has not received prior treatment")
            if not _RELATIVE_BEFORE.search(text, max(0, m.start() - 60), m.start())]


_RELATIVE_BEFORE = re.compile(r"(?i)\b(?:which|whom|whose)\b[^.;:]*\Z")


def with_diagnoses(found: list[Mention], text: str = "") -> list[Mention]:
    """Resolve overlaps, but let a cancer name keep the biomarkers written inside it: "Ph+
    ALL", "ALK-positive anaplastic large cell lymphoma", "NPM1-mutated AML" are a diagnosis
    and a finding. A cancer name that only partly overlaps another mention competes with it
    as in `resolve`."""
    other = resolve([m for m in found if m.label != "cancer"], text)
    genes = [(m.start, m.end) for m in other if m.label == "gene"]
    cancers = resolve([m for m in found if m.label == "cancer" and not any(
        a <= m.start and m.end <= b and b - a > m.end - m.start for a, b in genes)], text)
    # ("anaplastic lymphoma kinase" names the gene ALK, not a lymphoma)
    if not cancers:
        return other
    starts = [m.start for m in other]
    dropped: set[int] = set()
    kept = []
    for c in cancers:
        lo = bisect_left(starts, c.start)
        if lo > 0 and other[lo - 1].end > c.start:
            lo -= 1
        hi = lo
        while hi < len(other) and other[hi].start < c.end:
            hi += 1
        crossing = [m for m in other[lo:hi] if m.start < c.start or m.end > c.end]
        if all(_beats(c, m, text) for m in crossing):
            kept.append(c)
            dropped.update(id(m) for m in crossing)
    merged = [m for m in other if id(m) not in dropped] + kept
    return sorted(merged, key=lambda m: (m.start, -m.end))


def _beats(a: Mention, b: Mention, text: str) -> bool:
    return (span_length(text, a.start, a.end), a.priority, -a.start) > (
        span_length(text, b.start, b.end), b.priority, -b.start)


def _squeeze(surface: str) -> str:
    """The surface without whitespace and hyphens (most gene names have none: no regex)."""
    return surface if surface.isalnum() else _SPACES_HYPHENS.sub("", surface)


_SPACES_HYPHENS = re.compile(r"[\s\-–]+")
