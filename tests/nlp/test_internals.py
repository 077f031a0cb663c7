"""The parser's machinery: tokenizer offsets, overlap resolution, fast regex scanning, cue lookup."""

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st
from spacy.vocab import Vocab

from trialmatch.nlp.firstchar import Scanner, first_chars, needles, probe
from trialmatch.nlp.mentions import ByStart, Mention, resolve
from trialmatch.nlp.pipeline import analyse, pipeline
from trialmatch.nlp.resources import _read, expand_macros, patterns
from trialmatch.nlp.tokens import doc_offsets, doc_text, doc_tokens, text_tokens

TEXTISH = st.text(alphabet=st.sampled_from(list("aEgfrKRS12 9.\t\n-–/()≥<=%+:;,_é\u00a0\u2028"
                                                "\u200bİſK")), max_size=80)


@settings(max_examples=150, deadline=None)
@given(TEXTISH)
def test_tokenizer_keeps_the_text_and_its_offsets(ont, text):
    doc = pipeline(ont).make_doc(text)
    assert doc.text == text and doc_text(doc) == text
    assert doc_offsets(doc) == [t.idx for t in doc]
    toks = doc_tokens(doc)
    assert all(text[s:s + len(w)] == w and not w.isspace()
               for w, s in zip(toks.words, toks.starts, strict=True))
    assert "".join(toks.words) == "".join(text.split())
    light = text_tokens(text)  # the tokens parsing reads, without the Doc
    assert (light.words, light.starts) == (toks.words, toks.starts)
    for prev, tok in zip(doc, doc[1:]):  # one space after a token belongs to that token
        if tok.text.isspace() and tok.text[0] == " ":
            assert prev.whitespace_ == " " or prev.text.isspace()


def _naive_resolve(ms):
    ordered = sorted(ms, key=lambda m: (-(m.end - m.start), -m.priority, m.start))
    kept = []
    for m in ordered:
        if not any(m.start < k.end and k.start < m.end for k in kept):
            kept.append(m)
    return sorted((m for m in kept if m.label != "not_variant"), key=lambda m: m.start)


SPANS = st.lists(st.tuples(st.integers(0, 60), st.integers(1, 12),
                           st.sampled_from(["gene", "variant", "cue", "not_variant", "drug"])),
                 max_size=40)


@settings(max_examples=200, deadline=None)
@given(SPANS)
def test_resolve_keeps_the_longest_non_overlapping_mentions(spans):
    ms = [Mention(label, s, s + n, "t") for s, n, label in spans]
    assert [id(m) for m in resolve(ms)] == [id(m) for m in _naive_resolve(ms)]


@settings(max_examples=100, deadline=None)
@given(SPANS, st.integers(-5, 70), st.integers(0, 30))
def test_by_start_between(spans, lo, width):
    ms = [Mention(label, s, s + n, "t") for s, n, label in spans]
    idx = ByStart(ms)
    got = idx.between(lo, lo + width)
    assert sorted(map(id, got)) == sorted(id(m) for m in ms if lo <= m.start <= lo + width)


def _plain_patterns():
    raw = _read("patterns.yaml")
    macros = {k: str(v).strip() for k, v in raw["macros"].items()}
    return {p["id"]: re.compile(expand_macros(p["regex"], macros)) for p in raw["patterns"]}


PLAIN = _plain_patterns()
SAMPLES = [ex.text for p, _ in patterns() for ex in p.examples]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(SAMPLES + [" ", "\n", "x", "İ", "ſ", "K", "(", "≥"]),
                max_size=12).map("".join))
def test_scanners_find_what_finditer_finds(text):
    for p, scanner in patterns():
        plain = PLAIN[p.id]
        assert [m.span() for m in scanner.finditer(text)] == \
            [m.span() for m in plain.finditer(text)], p.id


def test_first_chars():
    assert first_chars(r"(?<![A-Z])(?i:ab|c)\d?x") == "ACac"
    assert first_chars(r"(?:p\.)?[AB]") == "ABp"
    assert first_chars(r"(?i:kiss)") == "Kk\u212a"
    assert first_chars(r"(?i:s)") == "Ss\u017f"
    assert first_chars(r"(?i:[0-3])|≥") == "0-3≥"
    assert first_chars(r"a?") is None  # may match empty
    assert first_chars(r"[^a]b") is None  # negated class
    assert first_chars(r".x") is None
    assert first_chars(r"(?i:é)") is None  # cased non-ASCII under IGNORECASE


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("kKsSiI\u212a\u017f\u0130\u0131ab ")), max_size=12))
def test_scanner_folds_like_re(text):
    for regex in (r"(?i:kiss)", r"(?i:is)", r"(?<![a-z])(?i:s\w)"):
        assert [m.span() for m in Scanner(regex).finditer(text)] == \
            [m.span() for m in re.finditer(regex, text)]


def test_scanners_on_dev_text(shared):
    from trialmatch.ingest import read_records

    records, _ = read_records(shared / "parser-dev" / "trials.json")
    text = "\n".join(r.eligibility for r in records)
    for p, scanner in patterns():
        assert [m.span() for m in scanner.finditer(text)] == \
            [m.span() for m in PLAIN[p.id].finditer(text)], p.id


def test_needles_are_words_every_match_holds():
    assert needles(r"(?i:(?P<v>\d{1,2})\s{0,2}(?:years?|yrs?))") == ("year", "yr")
    assert needles(r"(?i:ecog|performance\sstatus)") == ("ecog", "performance")
    assert needles(r"\d+(?:mg)?") is None  # nothing required
    assert needles(r"(?i:ab|x)") is None  # one branch has no word of two letters
    assert probe("\u0130TD \u017fKIP") == "itd skip"


def test_a_branch_takes_the_needle_every_alternative_holds():
    from trialmatch.nlp.firstchar import _best, _branch_options

    # "minimum age|maximum age|aged": "age" alone, not also "min" and "max"
    assert _best(_branch_options([[{"min"}, {"age"}], [{"max"}, {"age"}], [{"age"}]])) == {"age"}
    # only a part of the joined set is taken: {"ld", "age"} might be found in more places
    assert _best(_branch_options([[{"year", "yr"}, {"ld", "age"}], [{"aged"}]])) == \
        {"year", "yr", "aged"}
    assert _branch_options([[{"ab"}], []]) == []  # an alternative without needles
    # a long list of needles costs a look-up each: one short needle every match holds wins
    assert needles(r"p\.(?:ala|arg|asn|asp|cys|gln|glu|gly|his|ile)\d") == ("p.",)
    assert needles(r"p\.(?:ala|arg|asn)\d") == ("p.ala", "p.arg", "p.asn")  # few: kept


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["year", "yr", "YEARS", "1", "18", " ", "  ", ">", "≥", "over",
                                 "\u017f", "ye", "ar", "or older", "x"]),
                max_size=16).map("".join))
def test_needle_windows_find_what_finditer_finds(text):
    regex = (r"(?i:(?:>|≥|over)\s{0,2}(?P<v>\d{1,2})\s{0,2}(?:years?|yrs?)|"
             r"(?P<w>\d{1,2})\s?(?:years?|yrs?)\sor\solder)")
    scanner = Scanner(regex)
    assert scanner.width is not None  # the window path is the one under test
    assert [m.span() for m in scanner.finditer(text)] == \
        [m.span() for m in re.finditer(regex, text)]


def test_pair_gates_and_marks_are_read_off_the_top_level():
    from trialmatch.nlp.firstchar import marks, pair_gate

    assert pair_gate(r"(?<![A-Z])(?:p\.)?(?P<ref>[AVG])(?P<pos>\d{2,4})") == "[AGV](?=[\\d])"
    assert pair_gate(r"(?i:x)(?:\d|y)") == "[Xx](?=[\\dy])"  # folded inside (?i:) only
    assert pair_gate(r"[AV]\d?") is None  # the second item may be empty
    assert pair_gate(r"(?:AB|C)\d") is None  # the first item is not one character
    assert pair_gate(r"(?:[AV])?\d\d") == "[\\d](?=[\\d])"  # an optional item holds no pair
    assert marks(r"t\s?\((?P<a>\d)\)") == ("(",)
    assert marks(r"t(?:\(|\[)\d") is None  # a mark in a branch is not in every match
    assert Scanner(r"(?<![A-Za-z0-9])(?P<ref>[AVG])(?P<pos>\d{2,4})(?![A-Za-z0-9])").gate \
        is not None


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["V600", "G12", "A", "V", "1", "60", "0E", "E", "p.", "(",
                                 ")", " ", "x", "X", "/", "T790M", "del", "\n"]),
                max_size=16).map("".join), st.integers(0, 300), st.integers(0, 300))
@example("p.(V600E) G12/V", 0, 300)
def test_pair_gate_windows_find_what_finditer_finds(text, before, after):
    """A pattern without needle words is scanned only around the pairs of characters every
    match holds ("V6" of "V600E"): the matches of finditer."""
    regex = (r"(?<![A-Za-z0-9.])(?:p\.\s?)?\(?(?P<ref>[AGTVE])(?P<pos>\d{2,4})"
             r"(?P<alt>[AGTVE]|del)?\)?(?P<more>(?:\s?/\s?[AGTVE](?![A-Za-z0-9])){0,3})"
             r"(?![A-Za-z0-9])")
    scanner = Scanner(regex)
    assert scanner.gate is not None and scanner.width is not None  # the path under test
    padded = "z " * before + text + " q" * after  # long enough for the window path
    for t in (text, padded):
        assert [m.span() for m in scanner.finditer(t)] == \
            [m.span() for m in re.finditer(regex, t)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["t(", "t (", "inv(", "9", ";", "22", ")", "(", " ", "x",
                                 "q34", "(q11)", "positive", "\n"]),
                max_size=14).map("".join), st.integers(0, 300))
def test_mark_windows_find_what_finditer_finds(text, before):
    regex = (r"(?<![A-Za-z0-9])(?P<what>t|inv)\s?\(\s?(?P<a>\d{1,2})\s?(?:;\s?(?P<b>\d{1,2})"
             r"\s?)?\)(?:\s?\(\s?[pq][0-9.]{1,8}\s?\))?(?:[- ]?(?P<s>(?i:positive)))?"
             r"(?![A-Za-z0-9])")
    scanner = Scanner(regex)
    assert scanner.needles == ("(",) and scanner.width is not None  # the path under test
    padded = "z " * before + text
    for t in (text, padded):
        assert [m.span() for m in scanner.finditer(t)] == \
            [m.span() for m in re.finditer(regex, t)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["year", "yrs", "18", "5", " ", "  ", "\n", ">", "≥", "x",
                                 "a", "-", "old", "days", "ye", "ar"]),
                max_size=16).map("".join), st.integers(0, 400), st.integers(0, 400))
def test_needle_windows_with_lookarounds_find_what_finditer_finds(text, before, after):
    """Windows around needles with lookbehinds, lookaheads and word boundaries: a window
    scan reads text before its start (lookbehind) and past its end (`reach`)."""
    regex = (r"(?<![A-Za-z0-9])(?i:(?:>|≥)\s{0,2}(?P<v>\d{1,2})\s{0,2}(?:years?|yrs?)"
             r"(?!\s{0,2}(?:old|days))|\b(?P<w>\d{1,2})\s?yrs?\b(?=\s{0,3}-))")
    scanner = Scanner(regex)
    assert scanner.width is not None and scanner.reach > 0
    padded = "z " * before + text + " q" * after  # long enough for the window path
    for t in (text, padded):
        assert [m.span() for m in scanner.finditer(t)] == \
            [m.span() for m in re.finditer(regex, t)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["at least one ", "prior ", "therapy", "≥1 ", "≥ ", "x", " ",
                                 "-", "Prior ", "lines", "line", " of", "one or more ",
                                 " dose"]),
                max_size=14).map("".join), st.integers(0, 120), st.integers(0, 120))
@example("≥1 lines", 0, 7)  # the window ends inside a longer match
@example("x at least one therapy dose", 2, 40)
def test_scanner_between_finds_what_finditer_finds_in_a_window(text, pos, endpos):
    """`between` scans [pos, endpos) as finditer does: lookbehinds read before pos, the text
    ends at endpos for lookaheads and for the match itself."""
    regex = (r"(?i)(?<![\w-])(?:at\s{1,3}least\s{1,3}one|one\s{1,3}or\s{1,3}more|≥\s{0,2}1)"
             r"\s{0,3}(?:prior\s{1,3})?(?:therapy|lines?(?!\s{1,3}of))(?![\w-])(?!\s{1,3}dose)")
    scanner = Scanner(regex)
    assert scanner.stage is not None  # the first-character path is the one under test
    assert [m.span() for m in scanner.between(text, pos, endpos)] == \
        [m.span() for m in re.compile(regex).finditer(text, pos, endpos)]


def test_window_bounds():
    from trialmatch.nlp.firstchar import window

    assert window(r"ab\d{1,3}") == (5, 1)
    assert window(r"(?<!x)ab(?=cd|e)") == (2, 4)  # the lookarounds' widths, plus one
    assert window(r"ab(?=c+)") is None  # an unbounded lookahead
    assert window(r"(a)b\1") is None  # a back-reference
    assert window(r"a{1,300}") is None  # longer than a window


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(" \t\n\r\x0b\xa0\u2028:*-–.ab")), max_size=12))
def test_heading_trail_is_cut_as_the_regex_cuts_it(text):
    from trialmatch.nlp.sections import _TRAIL, _untrail

    assert _untrail(text.strip()) == _TRAIL.sub("", text.strip())


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["or", "OR", "and/or", "and", " ", "\n", ",", ";", ":", ".", "x",
                                 "\xa0", "(", "lor"]), max_size=10).map("".join))
def test_trailing_or_is_found_as_the_regex_finds_it(text):
    from trialmatch.nlp.assemble import _ENDS_OR, _ends_or

    assert _ends_or(text) == (_ENDS_OR.search(text) is not None)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aZé东京²½Ⅳ_-. 1٣\n\t(")), max_size=16))
def test_token_branches_in_any_order_split_alike(text):
    """WORD_RE tries letters before digits and ideographs: the same tokens as the order it
    was written in (the three branches start with disjoint characters)."""
    from trialmatch.nlp.tokens import _CJK, TOKEN_RE

    written = (rf"[{_CJK}]|\d+(?:\.\d+)*|[^\W\d_{_CJK}]+(?:\d+[^\W\d_{_CJK}]*)*|"
               rf"[^\W_{_CJK}]+|\S")
    assert re.findall(TOKEN_RE, text) == re.findall(written, text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aZé东京²½Ⅳ_-. 1٣\n\t(\u00a0\u3000")), max_size=20))
@example("HER2-low 3.5.1 x東2a² _1")
def test_text_tokens_split_as_the_token_pattern_splits(text):
    """text_tokens splits with a pattern that starts with a character set (fast skipping of
    whitespace): the same pieces as splitting on TOKEN_RE itself."""
    from trialmatch.nlp.tokens import _SPLIT, TOKEN_RE

    assert _SPLIT.split(text) == re.split(f"({TOKEN_RE})", text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([";", ":", ".", " ", "\t", "-", "–", "•", "\n", "a"]),
                max_size=14).map("".join), st.integers(0, 14))
def test_inline_bullets_are_counted_as_the_lookbehind_counts_them(text, end):
    from trialmatch.nlp.segment import _INLINE_BULLET, _INLINE_BULLETS

    assert len(_INLINE_BULLETS.findall(text, 0, end)) == len(_INLINE_BULLET.findall(text, 0, end))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a", "z", "B", ")", "-", " ", "\t", "\n", "1"]),
                max_size=16).map("".join), st.integers(0, 16))
@example("week- No X- Yes)- \tZ", 20)
def test_glued_bullets_are_counted_as_the_lookbehind_counts_them(text, end):
    from trialmatch.nlp.segment import _GLUED_BULLET, _GLUED_BULLETS

    assert len(_GLUED_BULLETS.findall(text, 0, end)) == len(_GLUED_BULLET.findall(text, 0, end))


def _scan_cues(low, index):
    """The cue look-up as the plainest scan (the reference for `tokens.phrase_hits`, and
    for the PhraseMatchers before it): every phrase at every word, in word order, longest
    phrase first."""
    return [(k, k + len(words), entry) for k in range(len(low))
            for words, *entry in index.get(low[k], ()) if tuple(low[k:k + len(words)]) == words]


CUE_TEXTS = ["No prior EGFR-TKI therapy; non-\nsmall cell lung cancer is not allowed unless "
             "treated, except   for adjuvant therapy.",
             "Patients without known KRAS mutation (other than G12C) or ALK-negative disease "
             "are eligible regardless of PD-L1 status.",
             "history of   other\nmalignancy \u2013 excluding non-melanoma skin cancer"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(CUE_TEXTS + ["no", "not", "except", " - ", "\n", " ", "(",
                                             "other than", "positive", "prior", "≥", " 1 ",
                                             "allowed", "lines of"]),
                max_size=10).map("".join))
def test_cue_phrase_hits_find_what_a_scan_finds(text):
    from trialmatch.nlp.entities import cue_index, cue_mentions
    from trialmatch.nlp.scope import _index, find_cues, matched_cues
    from trialmatch.nlp.tokens import Tokenizer

    toks = Tokenizer(Vocab())(text)._.tm_tokens
    keep, low = toks.bare()
    assert low == [toks.lower[i] for i in keep] and "-" not in low
    expected = [(toks.starts[keep[k]], toks.end(keep[n - 1]), f"cue.{ident}")
                for k, n, (ident, _role, _value) in _scan_cues(low, cue_index())]
    expected = [e for e in expected if e[1] - e[0] <= 100]
    got = [(m.start, m.end, m.source) for m in cue_mentions(toks, text)]
    assert got[:len(expected)] == expected  # then the "+" / "-" signs (a regex)
    assert all(m.source.startswith("cue.alt.") for m in cue_mentions(toks, text)[len(expected):])
    rules = [(k, n, rule.id) for k, n, (rule,) in _scan_cues(low, _index())]
    assert [(c.lo, c.hi, c.rule.id) for c in matched_cues(low)] == rules
    assert find_cues(low) == _longest_cues(matched_cues(low))


def _longest_cues(found):
    """Overlapping cues resolved as `scope.find_cues` documents it (its first version, on
    `Cue` objects): the longest, then the first wins; one span read by several rules keeps
    them all; in word order."""
    taken, kept, spans = set(), [], set()
    for c in sorted(found, key=lambda c: (c.lo - c.hi, c.lo)):
        if (c.lo, c.hi) in spans:
            kept.append(c)
        elif not taken & set(range(c.lo, c.hi)):
            taken |= set(range(c.lo, c.hi))
            spans.add((c.lo, c.hi))
            kept.append(c)
    return sorted(kept, key=lambda c: c.lo)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(" \t\n\r,;.()[]:-/a")), max_size=6))
def test_name_gaps_break_as_before(between):
    from trialmatch.nlp.entities import _WRAP, _broken

    reference = not _WRAP.fullmatch(between) and (
        len(between) > 3 or any(c in between for c in ",;.()[]:\n"))
    assert _broken(between) == reference


@given(st.lists(st.sampled_from(["a", "1", ")", "(", "+", "-", " ", "\n", "K", "(+)", "-)"]),
                max_size=16).map("".join))
def test_sign_matches_are_the_plain_scan(text):
    from trialmatch.nlp.entities import _SIGN, sign_matches

    assert [m.span() for m in sign_matches(text)] == [m.span() for m in _SIGN.finditer(text)]


@given(st.lists(st.sampled_from([" ", "\t", "\n", "\r", "a", "\xa0", "\u2028", "x y"]),
                max_size=14).map("".join))
def test_squeeze_joins_what_the_plain_pattern_joins(text):
    import re

    from trialmatch.nlp.entities import _WRAPS, squeeze, unsqueeze

    plain = re.compile(r"[ \t]*\n\s*|\s{2,}")
    assert [m.span() for m in _WRAPS.finditer(text)] == [m.span() for m in plain.finditer(text)]
    flat, starts, shifts = squeeze(text)
    # (a run that ends an item is "¶", any other one space)
    assert flat.replace("\u00b6", " ") == plain.sub(" ", text)
    assert all(ch in " \u00b6" or text[unsqueeze(i, starts, shifts)] == ch
               for i, ch in enumerate(flat))


def test_squeeze_keeps_items_apart():
    """A blank line or a line break before a bullet ends an item: no pattern reads across it
    ("... of 0 or 1" / "- 18 years of age" is no age range "1 - 18 years")."""
    from trialmatch.nlp.entities import squeeze

    assert squeeze("of 0 or 1\n\n   -  18 years")[0] == "of 0 or 1\u00b6- 18 years"
    assert squeeze("of 0 or 1\n   - 18 years")[0] == "of 0 or 1\u00b6- 18 years"
    assert squeeze("of 0 or 1\n   2. Age 18")[0] == "of 0 or 1\u00b62. Age 18"
    assert squeeze("stage III\n   disease")[0] == "stage III disease"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["Drugs", " that ", "which ", "specifically ", "inhibits ",
                                 "targeting ", "the ", "MEK", "PD-1", "-blocking ", "-targeted ",
                                 "monoclonal ", "antibodies", "agents", ", or ", "and ", "ALK ",
                                 "inhibitors", "blocker", " ", "\n", "x", ".", "İ", "K",
                                 "EGFR/HER2-x1 ", "/", "ABCDEFGHI", "directed ", " inhibiting"]),
                max_size=12).map("".join))
@example("EGFR-directed-targeting agents, HER2-x1 directed agents")
@example("MEK-bloc\u212aing agents, ALK-\u0131nhibiting drugs, RET-\u0130NHIBITING drugs")
@example("PD-1 blocking monoclonal antibodies; CTLA4-blocking targeted agents")
def test_entity_scanners_find_what_finditer_finds(text):
    from trialmatch.nlp.entities import (
        _BY_ACTION,
        _HYPHEN_ACTION,
        _HYPHEN_VERB,
        _SCANS,
        _UNKNOWN_LAST,
        _verb_places,
        hyphen_actions,
    )

    for key, plain in (("by_action", _BY_ACTION), ("unknown_last", _UNKNOWN_LAST)):
        assert [m.span() for m in _SCANS[key].finditer(text)] == \
            [m.span() for m in plain.finditer(text)]
    assert [m.span() for m in hyphen_actions(text)] == \
        [m.span() for m in _HYPHEN_ACTION.finditer(text)]
    assert _verb_places(text) == [m.start() for m in _HYPHEN_VERB.finditer(text)]
    glob = Scanner(r"(?i)\b(?:drugs?|agents?)\s+that")  # a global flag leads the pattern
    assert glob.stage is not None
    assert [m.span() for m in glob.finditer(text)] == \
        [m.span() for m in re.finditer(r"(?i)\b(?:drugs?|agents?)\s+that", text)]


@given(st.lists(st.sampled_from(["ovarian", "lung", " ", "\n", ",", "/", "or", "and", "nor",
                                 "and/or", "x", "-", "'s", "for", "OR"]),
                max_size=12).map("".join))
def test_elliptic_prefilter_keeps_every_conjunct(text):
    from trialmatch.nlp.entities import _CONJUNCT, _SEP_ENDS

    if _CONJUNCT.search(text, max(0, len(text) - 60)) is not None:
        assert text[-60:].rstrip().lower().endswith(_SEP_ENDS)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([
    "Inclusion Criteria:\n", "Exclusion Criteria:\n", "\n", "\n- ", "\n1. ", " ", ", ", "; ",
    "(", ")", "or", "and", "no", "not", "except", "prior", "allowed", "EGFR", "exon 19",
    "deletion", "KRAS G12C", "BRAF V600E", "HER2-positive", "non-small cell lung cancer",
    "melanoma", "osimertinib", "PD-1 inhibitor", "age >= 18 years", "ECOG 0-1", "Cohort A:",
    "one of the following:", "wild-type", "MSI-H", "ALK-\nrearranged"]), max_size=30))
def test_analyse_gives_what_the_pipeline_gives(ont, words):
    """Parsing reads the layout and mentions from `analyse`, which skips the pipeline's Doc:
    it must give exactly what the pipeline's components put on the Doc."""
    text = "".join(words)
    doc = pipeline(ont)(text)
    layout, mentions = analyse(text, ont)
    assert layout == doc._.tm_layout
    assert mentions == doc._.tm_mentions


def test_phrase_hits_keep_overlapping_and_nested_phrases():
    from trialmatch.nlp.tokens import phrase_hits

    phrases = {"or": [("or", "or"), ("or",)], "no": [("no", "prior", "therapy")]}
    low = ["or", "or", "or", "x", "no", "prior"]
    assert phrase_hits(low, phrases) == [(0, 0, 2), (0, 1, 1), (1, 0, 3), (1, 1, 2),
                                         (2, 1, 3)]  # "no prior" is cut short by the end
    assert phrase_hits(low + ["therapy"], phrases)[-1] == (4, 0, 7)


_READ_KINDS = ["mutation", "any", "wildtype", "negative", "fusion", "amplification",
               "deletion", "expression", "low", "overexpression"]


@settings(max_examples=150, deadline=None)
@given(kind=st.sampled_from(_READ_KINDS), origin=st.sampled_from([None, "germline"]),
       genes=st.sampled_from([("EGFR",), ("KRAS", "NRAS"), ("ERBB2",), ("ALK",), ("ESR1",)]),
       partner=st.sampled_from([None, "EML4"]),
       variants=st.sampled_from([[], ["L858R"], ["exon19del"], ["G12C", "G12D"]]),
       exon=st.sampled_from([None, 19]), more=st.sampled_from([[], [21]]),
       excepted=st.sampled_from([[], ["G12A"]]), compound=st.booleans(),
       examples=st.booleans(), at=st.integers(0, 60), width=st.integers(1, 30),
       cue_end=st.sampled_from([None, 5]))
def test_phrases_with_one_reading_give_equal_nodes(kind, origin, genes, partner, variants, exon,
                                                   more, excepted, compound, examples, at,
                                                   width, cue_end):
    """`findings._reading` holds all that `phrase_node` reads of a phrase but its place: a
    group reads a repeated phrase once ("EGFR, EGFR or EGFR mutation")."""
    from trialmatch.nlp.findings import Context, _reading, phrase_node
    from trialmatch.nlp.phrases import Phrase

    ctx = Context("x" * 200, "inclusion", 0, 200, [])

    def phrase(start: int, end: int, cue_end: int | None, source: str) -> Phrase:
        gene = Mention("gene", start, end, source, {"genes": genes, "form": genes[0]})
        return Phrase(gene, genes, start, end, partner=partner, variants=list(variants),
                      exon=exon, more_exons=list(more), excepted=list(excepted),
                      compound=compound, examples=examples, cue_end=cue_end)

    first = phrase(0, 4, None, "gene.a")
    again = phrase(at, at + width, None if cue_end is None else at + width + cue_end, "gene.b")
    assert _reading(first, kind, origin) == _reading(again, kind, origin) is not None
    assert phrase_node(first, kind, origin, ctx) == phrase_node(again, kind, origin, ctx)


def test_a_repeated_gene_in_a_group_gives_one_leaf_from_its_first_mention(ont):
    from trialmatch.nlp import parse_eligibility
    from trialmatch.rules.nodes import Alteration, walk

    text = "Inclusion Criteria:\n- BRAF, BRAF or BRAF mutation"
    once = parse_eligibility("Inclusion Criteria:\n- BRAF mutation", ontology=ont)
    rule = parse_eligibility(text, ontology=ont).cohorts[0].rule
    found = [n for n in walk(rule) if isinstance(n, Alteration)]
    assert rule == once.cohorts[0].rule and len(found) == 1
    assert found[0].prov is not None and found[0].prov.start == text.index("BRAF")


def _trailing_or_reference(pairs, text):
    """`assemble._trailing_or` as first written: the `any` rebuilt at every link."""
    from trialmatch.nlp.assemble import _ONLY_OR, _ends_or
    from trialmatch.rules.nodes import AnyOf, Provenance

    if not any(_ends_or(c.text) for c, _ in pairs):
        return pairs
    out, joined, open_or, tail = [], set(), False, None
    for c, node in pairs:
        alone = _ONLY_OR.fullmatch(c.text) is not None
        # (past one item of the chain whose "or" was left out, a sibling ending in "or")
        resumed = tail is not None and c.parent == tail.parent and c.depth == tail.depth \
            and _ends_or(c.text)
        if (open_or or resumed) and out and out[-1][0].section == c.section and \
                out[-1][0].cohorts == c.cohorts and not alone:
            first, prev = out[-1]
            items = prev.items if isinstance(prev, AnyOf) and id(prev) in joined else (prev,)
            prov = Provenance(c.section, first.start, c.end, text[first.start:c.end],
                              "assemble.trailing_or")
            choice = AnyOf((*items, node), prov=prov)
            joined.add(id(choice))
            out[-1] = (first, choice)
            tail = c
        elif not alone:
            out.append((c, node))
            tail = None
        open_or = _ends_or(c.text)
    return out


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["ALK fusion", "ALK fusion, or", "ROS1 fusion or",
                                           "OR", "(or)", "ECOG 0-1 and/or"]),
                          st.sampled_from(["inclusion", "exclusion"]),
                          st.booleans()), max_size=9))
def test_trailing_or_chains_as_before(items):
    """A chain of criteria ending in "or" is one `any`, built once at the chain's end."""
    from trialmatch.nlp.assemble import _trailing_or
    from trialmatch.nlp.segment import Criterion
    from trialmatch.rules.nodes import AnyOf, Fusion

    text, pairs = "", []
    for i, (words, section, nested) in enumerate(items):
        start = len(text)
        text += words + "\n"
        c = Criterion(section, start, start + len(words), words)
        leaf = Fusion(f"G{i}")
        pairs.append((c, AnyOf((leaf, Fusion("ALK"))) if nested else leaf))
    got, expected = _trailing_or(pairs, text), _trailing_or_reference(pairs, text)
    assert [(c, node, node.prov) for c, node in got] == \
        [(c, node, node.prov) for c, node in expected]


def _enclosing_by_scan(words: list[str], wanted: list[int]) -> dict[int, tuple[int, int]]:
    """`scope._enclosing` as every pair tried for every index."""
    from trialmatch.nlp.scope import bracket_pairs

    pairs = bracket_pairs(words)
    out = {}
    for k in wanted:
        inner = None
        for a, b in sorted(pairs.items()):
            if a < k < b and (inner is None or a > inner[0]):
                inner = (a, b)
        if inner is not None:
            out[k] = inner
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["(", ")", "[", "]", "（", "）", "a", ";"]), max_size=30),
       st.lists(st.integers(0, 32), max_size=8))
@example(["(", "a", "(", "a", ")", "a", ")", "(", "a", ")"], [1, 3, 4, 5, 8, 2, 0])
def test_enclosing_brackets_found_in_one_sweep_as_by_trying_every_pair(words, wanted):
    from trialmatch.nlp.scope import _enclosing

    assert _enclosing(words, wanted) == _enclosing_by_scan(words, wanted)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["a", "P", "o", "i", "V", "x", "é", "1", "٣", ".", ")", "(", " ",
                                 "\t", "-", "•", "\n", "Pa", "iv", "b)", "c."]),
                max_size=8).map("".join), st.integers(0, 4))
@example("  Patients aged", 0)
@example("Inclusion Criteria:- first", 19)
def test_bullet_of_is_the_bullet_pattern(line, pos):
    """`bullet_of` skips the regex for a line that opens with a plain word: the same end and
    bullet as BULLET.match."""
    from trialmatch.nlp.sections import BULLET, bullet_of

    m = BULLET.match(line, pos)
    assert m is not None
    assert bullet_of(line, pos) == (m.end(), m.group("bullet") or "")


def test_a_part_heading_takes_the_sections_under_it_but_not_a_wrapped_part_name():
    from trialmatch.nlp.segment import segment
    wrapped = ("Inclusion Criteria:\n\n- Melanoma\n\n- Eligible per the screening criteria for "
               "tuberculosis -\n  Part 2\n\nExclusion Criteria:\n\n- Earlier ipilimumab\n")
    assert [c.cohorts for c in segment(wrapped).criteria] == [None, None, None]
    apart = wrapped.replace("-\n  Part 2", "-\n\nPart 2")
    assert [c.cohorts for c in segment(apart).criteria] == [None, None, ("part-2",)]
