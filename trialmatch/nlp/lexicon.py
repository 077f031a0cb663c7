"""Lexicons the parser looks words up in: genes, cancer types and drugs.

Built once per ontology from its lexicons (`gene_lexicon`, `cancer_lexicon`, `drug_lexicon`)
plus the trial-text spellings of data/genes.yaml. Gene forms are keyed without spaces and
hyphens, upper-cased ("HER-2/neu" -> "HER2/NEU"), and a match must look like a gene in the
text: the exact form, or one with two capitals or a digit ("KRas", "Her2"), so that "Met" or
"all" never read as genes. Cancer and drug names are matched case-insensitively on words,
except abbreviations: a name known only in capitals ("ALL", "CUP", "NET", "AIs", OncoTree
codes) matches only as written, so "all patients" is not acute lymphoblastic leukaemia.
Organ-level names ("Lung", "Tissue", "Other") are not diagnoses and are left out.

Every table also keeps the character prefixes of its keys, so a scan stops extending a
candidate name as soon as no entry can start that way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from trialmatch.nlp.resources import gene_data

_SQUEEZE = re.compile(r"[\s\-–]+")
_WORDS = re.compile(r"[^\W_]+", re.UNICODE)


def gene_key(surface: str) -> str:
    # (an alphanumeric surface has no space or hyphen to squeeze: no regex)
    return surface.upper() if surface.isalnum() else _SQUEEZE.sub("", surface).upper()


_CODE_NAME = re.compile(r"([a-z]{1,5}) ?(\d{3,8})")


def code_name_forms(key: str) -> list[str]:
    """Other ways a sponsor's code name is written ("AZD1775", "AZD-1775", "SU11248",
    "SU011248"): with and without the space or hyphen, with a leading zero dropped or
    added; [] for a key that is no code name."""
    m = _CODE_NAME.fullmatch(key)
    if m is None:
        return []
    prefix, digits = m.groups()
    numbers = {digits, digits.lstrip("0") or digits, "0" + digits}
    return [f for n in sorted(numbers) for f in (prefix + n, f"{prefix} {n}") if f != key]


def word_key(surface: str) -> str:
    return " ".join(w.lower() for w in _WORDS.findall(surface))


_NAME_HYPHEN = re.compile(r"[a-z]{3}-[a-z]{3}")


def gene_case_ok(surface: str, form: str) -> bool:
    """Whether `surface` is written like a gene name (see the module docstring)."""
    if _SQUEEZE.sub("", surface) == _SQUEEZE.sub("", form):
        return True
    if form.lower() == form and (" " in form.strip() or _NAME_HYPHEN.search(form)):
        return True  # a lower-case name ("estrogen receptor", "beta-catenin"): any case
    squeezed = _SQUEEZE.sub("", surface)
    if squeezed[:1].islower() and not form[:1].islower():  # "eGFR" is a kidney test
        return False
    return sum(c.isupper() for c in squeezed) >= 2 or any(c.isdigit() for c in squeezed)


@dataclass(slots=True)
class GeneEntry:
    form: str
    genes: tuple[str, ...]
    source: str


@dataclass(slots=True)
class Lexicon:
    genes: dict[str, list[GeneEntry]] = field(default_factory=dict)
    gene_first: set[str] = field(default_factory=set)
    ambiguous: set[str] = field(default_factory=set)
    ignore: set[str] = field(default_factory=set)  # exact forms, spaces and hyphens removed
    cancers: dict[str, str] = field(default_factory=dict)
    cancer_first: set[str] = field(default_factory=set)
    drugs: dict[str, str] = field(default_factory=dict)
    drug_first: set[str] = field(default_factory=set)
    name_first: set[str] = field(default_factory=set)  # cancer_first | drug_first
    symbols: set[str] = field(default_factory=set)
    gene_prefixes: set[str] = field(default_factory=set)
    cancer_prefixes: set[str] = field(default_factory=set)
    drug_prefixes: set[str] = field(default_factory=set)
    exact: dict[str, set[tuple[str, ...]]] = field(default_factory=dict)  # key -> spellings
    subtypes: dict[tuple[str, str], str] = field(default_factory=dict)  # (code, word) -> code
    parents: dict[str, str] = field(default_factory=dict)  # cancer code -> parent code
    cancer_codes: set[str] = field(default_factory=set)  # every code of the ontology's names
    # the last words of the targets drug classes are named by ("vegfr" of "VEGFR inhibitor",
    # "1r" of "anti-IGF-1R antibody"): entities._target_agents looks up no other word
    target_ends: frozenset[str] = frozenset()
    _cache: dict[str, GeneEntry | None] = field(default_factory=dict, repr=False)
    fuzzy_buckets: dict | None = field(default=None, repr=False)  # fuzzy.py
    fuzzy_cache: dict = field(default_factory=dict, repr=False)

    def add_gene(self, form: str, genes: tuple[str, ...], source: str) -> None:
        key = gene_key(form)
        if not key or _SQUEEZE.sub("", form) in self.ignore:
            return
        self.genes.setdefault(key, []).append(GeneEntry(form, genes, source))
        first = _WORDS.findall(form)
        if first:
            self.gene_first.add(first[0].upper())
        self.gene_prefixes.update(key[:i] for i in range(1, len(key) + 1))

    def lookup_gene(self, surface: str) -> GeneEntry | None:
        """The entry `surface` names, if it is written like a gene (cached: trial text says
        the same few genes again and again)."""
        cache = self._cache
        if surface in cache:
            return cache[surface]
        found = None
        for e in self.genes.get(gene_key(surface)) or ():
            if gene_case_ok(surface, e.form):
                found = e
                break
        if len(cache) >= 50_000:
            cache.clear()
        cache[surface] = found
        return found


# "Ph+ ALL", "ALK- ALCL": words are compared without punctuation, so a name whose meaning
# rests on a sign would also match its opposite; such names are left to the biomarker rules.
_SIGNED = re.compile(r"[+±]|[^\W_]-(?![^\W_])")
_FORM_OK = re.compile(r"[A-Za-z][A-Za-z0-9.\-/*:]{1,20}\Z")
# a pathway's name of a few words ("PI3K pathway", "Hippo signaling"): the family of its genes
# (other names of several words, "BRCA1 or BRCA2", "mismatch repair", are read by the
# biomarker rules)
_FAMILY_FORM_OK = re.compile(r"(?i)[^\W\d_][\w.\-/*:]*(?: [\w.\-/*:]+){0,3} "
                             r"(?:pathway|signal(?:l)?ing)(?: genes)?\Z")
# a gene name of capitals and a final number ("FLT3", "NTRK1"), also written "FLT-3"
_NUMBERED_NAME = re.compile(r"([A-Z]{3,})(\d{1,2})")


def build_lexicon(ontology) -> Lexicon:
    """The parser's lexicon for one ontology (see the module docstring)."""
    data = gene_data()
    lex = Lexicon(ambiguous={gene_key(a) for a in data.ambiguous},
                  ignore={_SQUEEZE.sub("", i) for i in data.ignore} - set(data.ambiguous))
    families = getattr(ontology, "family_rows", {})
    for form, symbol in ontology.gene_lexicon().items():
        if _FORM_OK.match(form) and len(form) >= 2 or (
                symbol in families and _FAMILY_FORM_OK.match(form)):
            lex.add_gene(form, (symbol,), "ontology.gene")
            if (spaced := _NUMBERED_NAME.fullmatch(form)) is not None:
                # "FLT-3", "NTRK-1": the number set off by a hyphen
                lex.add_gene(f"{spaced.group(1)}-{spaced.group(2)}", (symbol,),
                             "ontology.gene")
        lex.symbols.add(symbol)
    for alias in data.aliases:
        for form in alias.forms:
            genes = tuple(alias.genes) or (_expression_symbol(form, ontology),)
            if alias.genes:
                lex.genes.pop(gene_key(form), None)
            lex.ignore.discard(_SQUEEZE.sub("", form))
            lex.add_gene(form, genes, f"genes.{alias.id}")
            if form.endswith(" receptor"):  # "estrogen and progesterone receptors"
                lex.add_gene(form + "s", genes, f"genes.{alias.id}")
    for form in data.ambiguous:  # an ambiguous form may also be an alias (ER, PR, HR)
        key = gene_key(form)
        if key in lex.genes:
            lex.ambiguous.add(key)
    organs = _organ_names(ontology)
    written = _written_codes(ontology)
    for name, code in ontology.cancer_lexicon().items():
        key = word_key(name)
        if key == word_key(code) and (key not in written or gene_key(name) in lex.genes
                                      or ontology.gene_symbol(name) is not None):
            # a bare code is text only where the ontology lists it among the type's own
            # names ("NSCLC", "AML"), not an internal id ("SCT" is stem cell transplant in
            # eligibility text, "WT" wild-type), nor a gene's name ("BRCA", "ABL")
            continue
        if key and len(key) >= 3 and key not in organs and not _SIGNED.search(name):
            lex.cancers.setdefault(key, code)
            lex.cancer_first.update(_first_tokens(key))
            for variant in _written_variants(key):  # (a name of its own wins: setdefault)
                lex.cancers.setdefault(variant, code)
    for key, code in _synonyms_named_like_codes(ontology):
        # "PTCL" listed among the names of the mature T-cell lymphomas, while OncoTree's own
        # PTCL is only the NOS type: the name the text uses wins over the internal code
        if key not in lex.cancers and gene_key(key) not in lex.genes:
            lex.cancers[key] = code
            lex.cancer_first.update(_first_tokens(key))
    for name, concept in ontology.drug_lexicon().items():
        key = word_key(name)
        if key and len(key) >= 3 and not _SIGNED.search(name):
            keys = [key]
            if key.startswith("anti ") and len(key) > 8:
                keys.append("anti" + key[5:])  # "anti-vascular ..." also written "antivascular ..."
            if key.endswith(" inhibitor"):
                # a class named by what it does: "VEGFR inhibition", "PD-1 blockade" (only
                # classes end in "inhibitor"; drugs have names)
                stem = key[:-len("inhibitor")]
                keys += [stem + "inhibition", stem + "blockade",
                         # "a c-MET signaling inhibitor", "an mTOR pathway inhibitor"
                         stem + "signaling inhibitor", stem + "signalling inhibitor",
                         stem + "pathway inhibitor"]
            if " tyrosine kinase inhibitor" in key:
                # "EGFR TK inhibitor": the kinase written short
                keys.append(key.replace(" tyrosine kinase inhibitor", " tk inhibitor"))
            keys += code_name_forms(key)
            for k in keys:
                lex.drugs.setdefault(k, concept)
                lex.drug_first.update(_first_tokens(k))
    spelled = [(form, alias.genes[0]) for alias in data.aliases if len(alias.genes) == 1
               for form in alias.forms]
    for k, concept in _class_names_by_gene_alias(lex.drugs, ontology, spelled):
        lex.drugs.setdefault(k, concept)
        lex.drug_first.update(_first_tokens(k))
    lex.name_first = lex.cancer_first | lex.drug_first
    lex.cancer_prefixes = _prefixes(lex.cancers)
    lex.drug_prefixes = _prefixes(lex.drugs)
    lex.target_ends = _target_ends(lex.drugs)
    lex.exact = _abbreviations(ontology)
    lex.subtypes = _subtypes(ontology)
    rows = getattr(ontology, "cancers", None)
    if isinstance(rows, dict):
        lex.parents = {str(c): p for c, r in rows.items() if (p := _parent(r))}
    lex.cancer_codes = set(ontology.cancer_lexicon().values()) | set(lex.parents)
    return lex


# "<organ> cancer" is also written "<organ> malignancy" (lexicon keys, lower case)
_MALIGNANCY = {" cancer": (" malignancy", " malignancies"), " cancers": (" malignancies",)}
# the head nouns a name of three words or more is also written with in the plural ("mantle
# cell lymphomas", "alveolar soft part sarcomas"); not the organ-wide heads (cancer,
# carcinoma, tumour): lists of organs share them ("lung, cervix and neuroendocrine
# tumours"), and a plural name would draw each organ into the last one's type
_PLURAL_HEAD = re.compile(r" (?:lymphoma|sarcoma|leuka?emia|melanoma|glioma|[a-z]*blastoma|"
                          r"myeloma|mesothelioma)$")


def _written_variants(key: str) -> list[str]:
    """Other ways a cancer name is written: "head and neck squamous carcinoma" (the cell
    word left out), "oral cavity malignancy" and "prostate malignancies" (the other generic
    noun), "non-Hodgkin's lymphoma" (a person's name possessive)."""
    out = []
    if " squamous cell carcinoma" in f" {key}":
        out.append(key.replace("squamous cell carcinoma", "squamous carcinoma"))
    for head, names in _MALIGNANCY.items():
        if key.endswith(head) and key != head.strip():
            out += [key[:-len(head)] + other for other in names]
    if _PLURAL_HEAD.search(key) and key.count(" ") >= 2:
        out.append(key + "s")
    for m in _EPONYM.finditer(key):  # "B-cell non-Hodgkin's lymphoma": the name possessive
        out += [key[:m.end()] + " s" + key[m.end():], key[:m.end()] + "s" + key[m.end():]]
    return out


# names of people that cancer names carry, written possessive too ("Ewing's sarcoma")
_EPONYM = re.compile(r"\b(?:hodgkin|burkitt|ewing|kaposi|waldenstrom|waldenström|merkel|paget|"
                     r"hurthle|hürthle|sezary|sézary|castleman|bowen|askin)(?= )")
_GENERIC = frozenset({"carcinoma", "carcinomas", "cancer", "cancers", "tumor", "tumors", "tumour",
                      "tumours", "neoplasm", "neoplasms", "cell", "cells", "of", "the", "and",
                      "or", "nos", "other", "type", "with", "disease"})


def _synonyms_named_like_codes(ontology) -> list[tuple[str, str]]:
    """(key, code) of the synonyms of a type that are written like another type's code, which
    the ontology's name index gives to the code."""
    rows = getattr(ontology, "cancers", None)
    if not isinstance(rows, dict):
        return []
    codes = {word_key(str(c)) for c in rows}
    out = []
    for code, row in rows.items():
        try:
            synonyms = row["synonyms"] or ()
        except (KeyError, TypeError):
            continue
        out += [(word_key(s), str(code)) for s in synonyms
                if word_key(s) in codes and word_key(s) != word_key(str(code))]
    return out


def _written_codes(ontology) -> set[str]:
    """Keys of cancer codes that the ontology also lists as a synonym of their own type."""
    rows = getattr(ontology, "cancers", None)
    if not isinstance(rows, dict):
        return {word_key(c) for c in set(ontology.cancer_lexicon().values())}
    out = set()
    for code, row in rows.items():
        try:
            synonyms = row["synonyms"] or ()
        except (KeyError, TypeError):
            continue
        if word_key(str(code)) in {word_key(s) for s in synonyms}:
            out.add(word_key(str(code)))
    return out


def _parent(row) -> str | None:
    try:
        parent = row["parent"]
    except (KeyError, TypeError, IndexError):
        return None
    return str(parent) if parent else None


def _subtypes(ontology) -> dict[tuple[str, str], str]:
    """(code, word) -> the subtype one word names below a cancer type ("squamous" below
    NSCLC is LUSC, "clear" below RCC is CCRCC), read from the ontology's own names: a word
    of a child's (or grandchild's) name that the parent's name lacks, naming one subtype
    only at the nearest level. Subtypes named by a negation ("Non-Clear Cell ...") are
    left out: "non-clear cell" reads as the parent without the named subtype."""
    children = getattr(ontology, "cancer_children", None)
    name = getattr(ontology, "cancer_name", None)
    codes = getattr(ontology, "cancers", None)
    if children is None or name is None or not isinstance(codes, dict):
        return {}
    out: dict[tuple[str, str], str] = {}
    for code in codes:
        own = set(_WORDS.findall(name(code).lower())) | _GENERIC
        for level in ([c for c in children(code)],
                      [g for c in children(code) for g in children(c)]):
            seen: dict[str, set[str]] = {}
            for sub in level:
                words = set(_WORDS.findall(name(sub).lower()))
                if "non" in words:
                    continue
                for w in words - own:
                    if len(w) >= 4:
                        seen.setdefault(w, set()).add(sub)
            for w, subs in seen.items():
                if len(subs) == 1 and (code, w) not in out:
                    out[(code, w)] = subs.pop()
    return out


_LEADING_NUMBER = re.compile(r"\d+(?=[a-z])")


def _first_tokens(key: str) -> tuple[str, ...]:
    """The first word of a name, and the number the tokenizer splits off its start ("3rd
    generation EGFR TKI" is read from the token "3"), both ways the name may be looked up."""
    first = key.split()[0]
    lead = _LEADING_NUMBER.match(first)
    return (first, lead.group()) if lead else (first,)


_LETTERS_DIGITS = re.compile(r"([a-z])(\d)")


def _class_names_by_gene_alias(drugs: dict[str, str], ontology,
                               spelled: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """A drug class named by its target gene under another of the gene's names: "ErbB-2
    targeted agents" and "HER-2 directed therapy" as "HER2-targeted agent(s)" is, "PDCD1
    inhibitor" as "PD-1 inhibitor", "epidermal growth factor receptor inhibitors" as "EGFR
    inhibitors" (the ontology's names of the gene and those `spelled` out in data/genes.yaml,
    each at least three letters, also with the digits set apart: "erbb 2")."""
    classes = set(getattr(ontology, "drug_classes", {}) or {})
    forms: dict[str, set[str]] = {}
    for form, symbol in [*ontology.gene_lexicon().items(), *spelled]:
        key = word_key(form)
        for k in {key, _LETTERS_DIGITS.sub(r"\1 \2", key)}:
            if len(k.replace(" ", "")) >= 3:
                forms.setdefault(symbol, set()).add(k)
    symbol_of = {k: s for s, ks in forms.items() for k in ks}
    out: list[tuple[str, str]] = []
    for key, concept in drugs.items():
        if concept not in classes:
            continue
        words = key.split()
        for n in (3, 2, 1):
            symbol = symbol_of.get(" ".join(words[:n])) if len(words) > n else None
            if symbol is not None:
                rest = " ".join(words[n:])
                out += [(f"{alias} {rest}", concept) for alias in sorted(forms[symbol])]
                break
    return out


def _target_ends(drugs: dict[str, str]) -> frozenset[str]:
    words = set()
    for key in drugs:
        for tail in (" inhibitor", " targeted therapy", " antibody"):
            if key.endswith(tail) and len(key) > len(tail):
                words.add(key[:-len(tail)].split()[-1])
        if key.startswith("anti "):
            words.add(key.split()[-1])
    return frozenset(words)


def _prefixes(keys) -> set[str]:
    return {k[:i] for k in keys for i in range(1, len(k) + 1)}


def is_abbreviation(form: str) -> bool:
    """One word (hyphens and slashes allowed) written mostly in capitals: "ALL", "NETs"."""
    if any(c.isspace() for c in form):
        return False
    upper = sum(c.isupper() for c in form)
    return upper >= 2 and upper > sum(c.islower() for c in form)


def word_tuple(surface: str) -> tuple[str, ...]:
    return tuple(_WORDS.findall(surface))


def _organ_names(ontology) -> set[str]:
    """Names of organ-level nodes ("Lung", "Breast", "Other", "Tissue"): an organ is not a
    diagnosis ("in tumour tissue", "lung metastases"); their synonyms ("lung cancer") are."""
    rows = getattr(ontology, "cancers", None)
    if not isinstance(rows, dict):
        return set()
    names: set[str] = set()
    synonyms: set[str] = set()
    for code, row in rows.items():
        try:
            name, tissue, syns = str(row["name"]), row["tissue"], row["synonyms"]
        except (KeyError, TypeError):
            continue
        synonyms.update(word_key(x) for x in syns or ())
        if tissue == code or not row["parent"]:
            names.update(word_key(x) for x in name.split("/"))
            names.add(word_key(name))
    return names - synonyms


def _abbreviations(ontology) -> dict[str, set[tuple[str, ...]]]:
    """Keys of cancer and drug names that are only ever abbreviations, with their spellings.

    The ontology's lexicons are lower-cased; its rows (when it has them) keep the case."""
    forms: list[str] = []
    for row_key, cols in (("cancers", ("code", "name", "synonyms")),
                          ("drugs", ("name", "brands", "synonyms")),
                          ("drug_classes", ("id", "name", "synonyms"))):
        rows = getattr(ontology, row_key, None)
        if not isinstance(rows, dict):
            continue
        for ident, row in rows.items():
            forms.append(str(ident))
            for col in cols:
                try:
                    value = row[col]
                except (KeyError, TypeError):
                    continue
                forms.extend([value] if isinstance(value, str) else list(value or ()))
    exact: dict[str, set[tuple[str, ...]]] = {}
    plain: set[str] = set()
    for form in forms:
        key = word_key(form)
        if is_abbreviation(form):
            exact.setdefault(key, set()).add(word_tuple(form))
        else:
            plain.add(key)
    return {k: v for k, v in exact.items() if k not in plain}


def _expression_symbol(form: str, ontology) -> str:
    data = gene_data()
    if form in data.expression_symbols:
        return data.expression_symbols[form]
    return ontology.gene_symbol(form) or re.sub(r"[^A-Za-z0-9\-]", "", form).upper()
