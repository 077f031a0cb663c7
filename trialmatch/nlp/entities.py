"""Entity rules: find genes, variants, exon events, fusions, signatures, measurements, cancer
types, drugs, performance status, age and cue words in eligibility text.

Regular expressions come from data/patterns.yaml and data/cues.yaml; gene, cancer and drug
names from the lexicon (lexicon.py). The result is a list of non-overlapping `Mention`s in
text order. What each pattern's groups mean is decided here, per pattern `kind`.
"""

from __future__ import annotations

import re
from functools import lru_cache

from spacy.tokens import Doc

from trialmatch.nlp.lexicon import Lexicon, gene_key, word_key
from trialmatch.nlp.mentions import Mention, norm_op, resolve
from trialmatch.nlp.resources import cues, patterns
from trialmatch.rules.variants import THREE_TO_ONE

_GLUED = re.compile(r"(?P<origin>[gst])?(?P<gene>[A-Za-z][A-Za-z0-9]*?)"
                    r"(?:(?P<variant>[A-Z]\d{1,4}[A-Z]?)|(?P<mut>m|mut|MUT|mt))\Z")
_GENE_SEP = frozenset({"-", "–", "/", ".", "*", ":"})
_MAX_GENE_TOKENS = 9
_MAX_NAME_TOKENS = 8


class Tok:
    """A token's text and offset, copied once from the Doc (cheaper than spaCy Token views)."""

    __slots__ = ("text", "idx", "lower_", "is_space")

    def __init__(self, text: str, idx: int) -> None:
        self.text, self.idx, self.lower_ = text, idx, text.lower()
        self.is_space = text.isspace()

    def __len__(self) -> int:
        return len(self.text)


def doc_tokens(doc: Doc) -> list[Tok]:
    return [Tok(t.text, t.idx) for t in doc]


# ----------------------------------------------------------------------------- patterns

def pattern_mentions(text: str) -> list[Mention]:
    out: list[Mention] = []
    for pat, rx in patterns():
        for m in rx.finditer(text):
            if m.end() == m.start():
                continue
            mention = read_pattern(pat.kind, pat.value, m, pat.id)
            if mention is not None:
                out.append(mention)
    return out


def _g(m: re.Match[str], name: str) -> str | None:
    try:
        return m.group(name)
    except IndexError:
        return None


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


_EVENTS = {"del": "del", "ins": "ins", "skip": "skip", "dup": "ins"}


def _exon_event(m: re.Match[str], _value: str | None) -> dict:
    exon = int(m.group("exon"))
    word = m.group("event").lower()
    if word.startswith(("internal", "itd")):
        return {"variants": ["ITD"], "exon": exon}
    for prefix, ev in (("del", "del"), ("ins", "ins"), ("skip", "skip"), ("dup", "ins")):
        if word.startswith(prefix):
            return {"variants": [f"exon{exon}{ev}"], "exon": exon}
    return {"variants": [], "exon": exon}


def _exon_short(m: re.Match[str], _value: str | None) -> dict:
    exon = int(_g(m, "exon") or _g(m, "exon2") or _g(m, "exon3"))
    ev = (_g(m, "event") or _g(m, "event2") or _g(m, "event3")).lower()
    return {"variants": [f"exon{exon}{_EVENTS[ev]}"], "exon": exon}


def _exon_named(m: re.Match[str], _value: str | None) -> dict:
    return {"variants": ["exon14skip"], "exon": 14, "gene": "MET"}


def _exon_only(m: re.Match[str], _value: str | None) -> dict:
    return {"variants": [], "exon": int(m.group("exon"))}


def _event(_m: re.Match[str], value: str | None) -> dict | None:
    return {"variants": [value]} if value == "ITD" else None


def _signature(_m: re.Match[str], value: str | None) -> dict:
    return {"name": value}


def _tmb(m: re.Match[str], _value: str | None) -> dict:
    return {"marker": "tmb", "op": norm_op(m.group("op")), "value": float(m.group("value"))}


def _measure(m: re.Match[str], value: str | None) -> dict:
    return {"marker": value, "op": norm_op(_g(m, "op")), "value": float(m.group("value"))}


def _her2_ihc(m: re.Match[str], _value: str | None) -> dict:
    values = [int(m.group("value")), *(int(x) for x in re.findall(r"[0-3]", _g(m, "more") or ""))]
    return {"values": values, "greater": bool(_g(m, "greater"))}


def _philadelphia(m: re.Match[str], _value: str | None) -> dict:
    status = (_g(m, "status") or _g(m, "status2") or _g(m, "status3") or "positive").lower()
    return {"status": "negative" if status in ("negative", "-") else "positive"}


def _triple_negative(_m: re.Match[str], _value: str | None) -> dict:
    return {}


def _age(m: re.Match[str], _value: str | None) -> dict | None:
    value = _g(m, "value") or _g(m, "value2")
    if value is None:
        return None
    op = ">=" if _g(m, "after") else norm_op(_g(m, "op"), default="")
    if not op:
        return None
    return {"bounds": [(op, float(value))]}


def _age_range(m: re.Match[str], _value: str | None) -> dict:
    low = float(_g(m, "low") or _g(m, "low2"))
    if (_g(m, "unit1") or "").lower().startswith("month"):
        low = round(low / 12, 4)
    high = float(_g(m, "high") or _g(m, "high2"))
    return {"bounds": [(">=", low), ("<=", high)]}


def _ecog(m: re.Match[str], _value: str | None) -> dict:
    if _g(m, "value") is not None:
        return {"op": norm_op(m.group("op"), "<="), "value": float(m.group("value"))}
    high = _g(m, "high") or _g(m, "last") or _g(m, "single")
    return {"op": "<=", "value": float(high)}


def _karnofsky(m: re.Match[str], _value: str | None) -> dict | None:
    value = float(m.group("value"))
    if value > 100 or value < 10:
        return None
    return {"op": norm_op(_g(m, "op"), ">="), "value": value}


def _not_variant(_m: re.Match[str], _value: str | None) -> dict:
    return {}


_READERS = {"variant": _variant, "variant_range": _variant_range, "codon": _codon,
            "exon_event": _exon_event, "exon_short": _exon_short, "exon_named": _exon_named,
            "exon_only": _exon_only, "event": _event, "signature": _signature, "tmb": _tmb,
            "measure": _measure, "her2_ihc": _her2_ihc, "philadelphia": _philadelphia,
            "triple_negative": _triple_negative, "age": _age, "age_range": _age_range,
            "ecog": _ecog, "karnofsky": _karnofsky, "not_variant": _not_variant}


# ----------------------------------------------------------------------------- cues

_CUE_WORD = re.compile(r"\d+(?:\.\d+)*|[^\W\d_]+(?:\d+[^\W\d_]*)*|[^\W_]+|[^\s\-–]", re.UNICODE)
_SIGN = re.compile(r"(?<=[A-Za-z0-9)])(?P<plus>\s?\(?\+\)?)(?![A-Za-z0-9+\-])"
                   r"|(?<=[A-Za-z0-9)])(?P<minus>\(?-\)?)(?![A-Za-z0-9+\-])")


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


def cue_mentions(all_toks: list[Tok], text: str) -> list[Mention]:
    """Cue words (data/cues.yaml) matched on tokens, hyphens and spaces alike."""
    index = cue_index()
    toks = [t for t in all_toks if not t.is_space and t.text not in ("-", "–")]
    low = [t.lower_ for t in toks]
    out = []
    for i, word in enumerate(low):
        for words, ident, role, value in index.get(word, ()):
            n = len(words)
            if tuple(low[i:i + n]) == words:
                end = toks[i + n - 1].idx + len(toks[i + n - 1])
                out.append(Mention("cue", toks[i].idx, end, f"cue.{ident}",
                                   {"role": role, "value": value}))
    for m in _SIGN.finditer(text):
        value = "positive" if m.group("plus") else "negative"
        out.append(Mention("cue", m.start(), m.end(), f"cue.alt.{value}",
                           {"role": "alteration", "value": value}))
    return out


# ----------------------------------------------------------------------------- lexicons

def gene_mentions(all_toks: list[Tok], text: str, lex: Lexicon) -> list[Mention]:
    """Genes by symbol, alias or protein name, longest first; glued forms ("KRasG12C")."""
    out: list[Mention] = []
    tokens = [t for t in all_toks if not t.is_space]
    n = len(tokens)
    i = 0
    while i < n:
        tok = tokens[i]
        found = None
        if tok.text[:1].isalnum() and _first_ok(tok.text, lex):
            found = _longest_gene(tokens, i, text, lex)
            if found and tok.text[:1] in "gs" and tok.text[1:2].isupper() and \
                    lex.lookup_gene(tok.text) is None:
                found = None  # "gBRCA1/2": the origin prefix is read below
        if found is None and tok.text[:1] in "gs" and tok.text[1:2].isupper():
            shifted = _longest_gene(tokens, i, text, lex, shift=1)
            if shifted:
                j, entry = shifted
                gene = _gene(entry, tok.idx + 1, tokens[j].idx + len(tokens[j]), lex)
                gene.data["origin"] = "germline" if tok.text[0] == "g" else "somatic"
                out.append(gene)
                i = j + 1
                continue
        if found:
            j, entry = found
            start, end = tok.idx, tokens[j].idx + len(tokens[j])
            gene = _gene(entry, start, end, lex)
            j = _slash_suffixes(gene, tokens, j, text, lex)
            out.append(gene)
            i = j + 1
            continue
        out.extend(_glued(tok, lex))
        i += 1
    return out


def _slash_suffixes(gene: Mention, tokens, j: int, text: str, lex: Lexicon) -> int:
    """"RAD51C/D", "ARID1A/B", "NTRK1/2/3": sibling genes written as a suffix after "/"."""
    base = gene.data["form"]
    while j + 2 < len(tokens) and tokens[j + 1].text == "/" \
            and text[tokens[j].idx + len(tokens[j]):tokens[j + 2].idx] == "/":
        suffix = tokens[j + 2].text
        if not (1 <= len(suffix) <= 2 and suffix.isalnum()) or len(suffix) >= len(base):
            break
        entry = lex.lookup_gene(base[:-len(suffix)] + suffix)
        if entry is None or entry.genes == gene.data["genes"]:
            break
        gene.data["genes"] = tuple(dict.fromkeys(gene.data["genes"] + entry.genes))
        gene.end = tokens[j + 2].idx + len(tokens[j + 2])
        j += 2
    return j


def _first_ok(word: str, lex: Lexicon) -> bool:
    up = word.upper()
    return up in lex.gene_first or up[1:] in lex.gene_first


def _longest_gene(tokens, i: int, text: str, lex: Lexicon, shift: int = 0):
    best = None
    end_limit = min(len(tokens), i + _MAX_GENE_TOKENS)
    for j in range(i, end_limit):
        if j > i:
            between = text[tokens[j - 1].idx + len(tokens[j - 1]):tokens[j].idx]
            if between not in ("", " ") or (not tokens[j].text[:1].isalnum()
                                              and tokens[j].text not in _GENE_SEP):
                break
            if between == " " and tokens[j - 1].text in _GENE_SEP:
                break  # "Ph- B-ALL" is not one name
        if not tokens[j].text[-1:].isalnum():
            continue
        surface = text[tokens[i].idx + shift:tokens[j].idx + len(tokens[j])]
        entry = lex.lookup_gene(surface)
        if entry:
            best = (j, entry)
    return best


def _gene(entry, start: int, end: int, lex: Lexicon) -> Mention:
    key = gene_key(entry.form)
    return Mention("gene", start, end, entry.source,
                   {"genes": entry.genes, "form": entry.form, "ambiguous": key in lex.ambiguous})


def _glued(tok, lex: Lexicon) -> list[Mention]:
    """"KRasG12C", "RASQ61", "KRASm", "gBRCA1": a gene glued to a variant, "m" or an origin."""
    word = tok.text
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
        gene = _gene(entry, tok.idx, tok.idx + len(word), lex)
        gene.data["origin"] = "germline" if word[0] == "g" else "somatic"
        return [gene]
    if entry is None or gene_key(m.group("gene")) in lex.ambiguous:
        return []
    g_start = tok.idx + (1 if m.group("origin") and origin else 0)
    g_end = tok.idx + m.end("gene")
    gene = _gene(entry, g_start, g_end, lex)
    if origin:
        gene.data["origin"] = origin
    out = [gene]
    if m.group("variant"):
        v = m.group("variant")
        data = {"variants": [v]} if v[-1].isalpha() and len(v) > 3 else \
            {"codon": True, "ref": v[0], "positions": [v[1:]]}
        if v[-1].isalpha() and len(v) > 3:
            out.append(Mention("variant", g_end, tok.idx + len(word), "variant.glued", data))
        else:
            out.append(Mention("codon", g_end, tok.idx + len(word), "variant.glued", data))
    else:
        out.append(Mention("cue", g_end, tok.idx + len(word), "cue.alt.mutation",
                           {"role": "alteration", "value": "mutation"}))
    return out


def name_mentions(all_toks: list[Tok], text: str, lex: Lexicon) -> list[Mention]:
    """Cancer types and drugs by their names (case-insensitive, on words)."""
    out: list[Mention] = []
    words = [t for t in all_toks if t.text[:1].isalnum()]
    n = len(words)
    for i, tok in enumerate(words):
        low = tok.lower_
        for table, first, label, key_name in ((lex.cancers, lex.cancer_first, "cancer", "code"),
                                              (lex.drugs, lex.drug_first, "drug", "concept")):
            if low not in first:
                continue
            best = None
            for j in range(i, min(n, i + _MAX_NAME_TOKENS)):
                if j > i and _broken(text, words[j - 1], words[j]):
                    break
                key = word_key(text[tok.idx:words[j].idx + len(words[j])])
                if key in table:
                    best = (j, table[key])
            if best:
                j, value = best
                out.append(Mention(label, tok.idx, words[j].idx + len(words[j]),
                                   f"ontology.{label}", {key_name: value}))
    return out


def _broken(text: str, a, b) -> bool:
    between = text[a.idx + len(a):b.idx]
    return len(between) > 3 or any(c in between for c in ",;.()[]:\n")


# ----------------------------------------------------------------------------- all

def find_mentions(doc: Doc, lex: Lexicon) -> list[Mention]:
    """Every mention in the document, non-overlapping, in text order."""
    text = doc.text
    toks = doc_tokens(doc)
    found = pattern_mentions(text) + gene_mentions(toks, text, lex)
    found += name_mentions(toks, text, lex) + cue_mentions(toks, text)
    found = [m for m in found if not (m.label == "gene"
                                      and _squeeze(text[m.start:m.end]) in lex.ignore)]
    return resolve(found)


def _squeeze(surface: str) -> str:
    return re.sub(r"[\s\-–]+", "", surface)
