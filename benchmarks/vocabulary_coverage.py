"""Vocabulary coverage on real registry text: how many drug-like words and cancer-type phrases
of the corpus eligibility texts the ontology (and so the parser) reads.

    python benchmarks/vocabulary_coverage.py            # figures on stdout, unknown words on stderr
    python benchmarks/vocabulary_coverage.py --top 60   # more unknown words
    python benchmarks/vocabulary_coverage.py --limit 500  # first 500 trials only (quicker)

Reads the eligibility texts of ../shared/data/ctgov/trials_2000_2020.ndjson (4,868 trials).

* Drugs: every word that looks like a drug name by its INN stem (-mab, -tinib, -ciclib, -parib,
  -lisib, -platin, -taxel, -rubicin, -tecan, -zomib, -lidomide, -citabine, -trexed, ...; see
  `STEMS`) is counted, and an occurrence is known when `ontology.drug_concept(word)` (or the
  word without a plural "s") names a drug or a class. The corpus holds non-cancer trials
  too (their anti-inflammatory antibodies and antibiotics are not oncology vocabulary), so the
  figure is also given for the trials in which the parser reads a cancer type, and the unknown
  words are listed from those trials only.
* Cancer types: every phrase ending in a cancer head word (carcinoma, cancer, lymphoma,
  leukemia, sarcoma, tumour, melanoma, myeloma, glioma, ...) with a specific word before it
  is counted, and an occurrence is known when the parser (`trialmatch.nlp.analyse`, the mentions
  that `parse_doc(text)._.tm_mentions` holds) reads a cancer mention covering the head word.
  Phrases that are generic ("solid tumour", "prior cancer", "other malignancy") are counted
  separately as generic and left out of the percentage.

Prints the coverage percentages on stdout and the most frequent unknown words to stderr, for
the engineer: nothing is written to any file (the corpus text stays out of the repository).
Skips with a message when ../shared is absent.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "data" / "ctgov" / "trials_2000_2020.ndjson"

# INN stems of antineoplastic (and a few supportive) drug names; longer stems first.
STEMS = ("mab", "tinib", "ciclib", "parib", "lisib", "rafenib", "metinib", "fenib", "nib",
         "platin", "taxel", "rubicin", "mustine", "tecan", "zomib", "lidomide", "citabine",
         "trexed", "relix", "lutamide", "degib", "sertib", "rasib", "stat", "cept", "mycin",
         "tepa", "bulin", "vedotin", "deruxtecan", "govitecan", "mertansine", "tansine",
         "leukin", "dronate", "rozole", "trozole", "fene", "toclax", "ximab", "zumab",
         "mumab", "tuzumab", "leucel", "relin", "rafib", "tabine", "mide", "nostat")
_DRUG_WORD = re.compile(r"(?<![\w-])([A-Za-z][a-z]{2,}(?:" + "|".join(
    sorted(STEMS, key=len, reverse=True)) + r"))s?(?![\w-])")
# words that end like a stem but are not drug names
NOT_DRUGS = frozenset({
    "peptide", "peptides", "nucleotide", "nucleotides", "polypeptide", "oligonucleotide",
    "tide", "stat", "thermostat", "cept", "concept", "accept", "except", "precept",
    "intercept", "percept", "nib", "sequestat", "hemostat", "haemostat", "rheostat",
    "dipeptide", "oligopeptide", "neuropeptide", "glycopeptide", "lipopeptide",
    "statistic", "postat", "mab", "fene", "pesticide", "insecticide", "bisphosphonate",
})

HEADS = ("carcinoma", "carcinomas", "cancer", "cancers", "lymphoma", "lymphomas", "leukemia",
         "leukemias", "leukaemia", "leukaemias", "sarcoma", "sarcomas", "tumor", "tumors",
         "tumour", "tumours", "melanoma", "melanomas", "myeloma", "glioma", "gliomas",
         "blastoma", "blastomas", "mesothelioma", "neoplasm", "neoplasms", "adenocarcinoma",
         "adenocarcinomas", "malignancy", "malignancies", "disease")
_HEAD_SUFFIX = ("oma", "omas")
# words that make the phrase generic rather than a cancer type
GENERIC = frozenset({
    "solid", "other", "prior", "previous", "any", "invasive", "advanced", "metastatic",
    "recurrent", "refractory", "relapsed", "active", "primary", "secondary", "second",
    "concurrent", "current", "history", "known", "malignant", "benign", "untreated",
    "treated", "measurable", "evaluable", "localized", "localised", "locally", "stage",
    "unresectable", "resectable", "inoperable", "operable", "progressive", "stable",
    "residual", "minimal", "early", "late", "high", "low", "grade", "risk", "new",
    "newly", "diagnosed", "confirmed", "documented", "histologically", "cytologically",
    "pathologically", "biopsy", "proven", "the", "a", "an", "of", "or", "and", "with", "no",
    "their", "his", "her", "this", "that", "for", "in", "to", "is", "are", "be", "has", "have",
    "had", "must", "not", "as", "on", "by", "from", "at", "which", "who", "patients", "patient",
    "cancer", "carcinoma", "tumor", "tumour", "disease", "malignancy", "neoplasm", "i", "ii",
    "iii", "iv", "type", "types", "human", "non", "same", "underlying", "original", "index",
    "target", "bulky", "gross", "visible", "detectable", "clinically", "significant",
    "serious", "severe", "uncontrolled", "systemic", "concomitant", "coexisting",
    "synchronous", "metachronous", "distant", "multiple", "single", "small", "large",
    "skin", "cutaneous", "basal", "squamous", "situ", "treatable",
    "curable", "cured", "resected", "excised", "completely", "adequately", "successfully",
    "disseminated", "widespread", "extensive", "limited", "bone", "brain", "liver",
    "lung", "cns", "leptomeningeal", "symptomatic", "asymptomatic", "untreatable",
    "suspected", "possible", "terminal", "end", "aggressive", "indolent", "persistent",
    "de", "novo", "transformed", "naive", "nave", "hormone", "sensitive", "resistant",
    "castration", "castrate", "platinum", "chemotherapy", "radiation", "induced",
    "associated", "related", "therapy", "infectious", "autoimmune", "cardiovascular",
    "cardiac", "heart", "kidney", "renal", "hepatic", "pulmonary", "lymphoproliferative",
    "myeloproliferative", "hematologic", "hematological", "haematological", "neurologic",
    "psychiatric", "inflammatory", "bowel", "vascular", "graft", "host", "versus", "vs",
    "evidence", "free", "without", "nonmeasurable", "positive",
    "negative", "her2", "hr", "er", "pr", "egfr", "alk", "kras", "braf", "mutant",
    "mutated", "wild", "wt", "expressing", "amplified", "overexpressing", "cd20", "cd30",
    "cell", "cells", "based", "unknown", "origin", "occult", "well", "poorly",
    "moderately", "differentiated", "undifferentiated", "bilateral", "contralateral",
    "ipsilateral", "local", "regional", "regionally", "nodal", "node", "stages", "mixed",
    "pure", "predominant", "predominantly", "all", "some", "these", "those",
    "another", "archival", "archived", "available", "national", "comprehensive", "selected",
    "evidenced", "excluding", "including", "than", "one", "two", "developing", "fixed",
    "reducing", "diagnostic", "embedded", "total", "representative", "multifocal",
    "intracranial", "intraparenchymal", "biologic", "fresh", "frozen", "paraffin", "such",
    "accessible", "adequate", "sufficient", "previously", "currently", "concurrently",
    "nonmelanoma", "non-melanoma", "prostatic", "specific", "superficial", "noninvasive",
    "histology", "histologic", "histological", "following", "study", "under",
})
_PHRASE = re.compile(r"((?:[A-Za-z][\w'/-]*\s+){1,3})(" + "|".join(HEADS) + r")\b", re.I)


def texts(path: Path, limit: int | None):
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f):
            if limit is not None and n >= limit:
                return
            study = json.loads(line)
            text = (study.get("protocolSection", {}).get("eligibilityModule", {})
                    .get("eligibilityCriteria") or "")
            if text.strip():
                yield text


def drug_words(text: str):
    for m in _DRUG_WORD.finditer(text):
        word = m.group(0)
        low = word.lower()
        if low in NOT_DRUGS or low.rstrip("s") in NOT_DRUGS:
            continue
        if low.endswith("stat") and low.endswith(("thermostat", "hemostat")):
            continue
        yield m.start(), m.end(), word


def drug_known(ont, word: str) -> bool:
    if ont.drug_concept(word) is not None:
        return True
    return word.lower().endswith("s") and ont.drug_concept(word[:-1]) is not None


def cancer_phrases(text: str):
    """(start of head, end of head, specific phrase) for each phrase ending in a cancer head
    word whose last specific word (the one before the head) is not generic."""
    for m in _PHRASE.finditer(text):
        words = m.group(1).split()
        head = m.group(2).lower()
        before = words[-1].lower().strip("'-/")
        if before in GENERIC or not before.isalpha() or len(before) < 3:
            continue
        if head == "disease" and not before.endswith(("kin", "kins")):
            continue  # only "Hodgkin's disease" style diseases
        if head in ("malignancy", "malignancies"):
            continue
        if re.match(r"\s+(kinase|cells?|markers?|antigens?|tissue|samples?|specimens?|"
                    r"blocks?|biops|lesions?|size|burden|response|center|centre|institute)",
                    text[m.end():m.end() + 12], re.I):
            continue  # "anaplastic lymphoma kinase", "tumor tissue", "cancer centre"
        yield m.start(2), m.end(2), f"{before} {head}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--top", type=int, default=40, help="unknown words to list on stderr")
    ap.add_argument("--limit", type=int, default=None, help="first N trials only")
    args = ap.parse_args()
    if not CORPUS.exists():
        print(f"skipped: {CORPUS} not found (the shared data sits beside the repo)")
        return 0
    sys.path.insert(0, str(ROOT))
    from trialmatch.nlp.pipeline import analyse
    from trialmatch.ontology import default_ontology

    ont = default_ontology()
    cpu = time.process_time()
    n_trials = n_oncology = 0
    drug_total = drug_hit = onc_total = onc_hit = 0
    drug_unknown: Counter[str] = Counter()
    drug_types: set[str] = set()
    drug_types_known: set[str] = set()
    can_total = can_hit = 0
    can_unknown: Counter[str] = Counter()
    for text in texts(CORPUS, args.limit):
        n_trials += 1
        _layout, mentions = analyse(text)
        spans = [(m.start, m.end) for m in mentions if m.label == "cancer"]
        oncology = bool(spans)
        n_oncology += oncology
        for _s, _e, word in drug_words(text):
            low = word.lower()
            known = drug_known(ont, word)
            drug_total += 1
            drug_hit += known
            onc_total += oncology
            onc_hit += known and oncology
            drug_types.add(low)
            if known:
                drug_types_known.add(low)
            elif oncology:
                drug_unknown[low] += 1
        phrases = list(cancer_phrases(text))
        for s, e, phrase in phrases:
            can_total += 1
            if any(a <= s and e <= b for a, b in spans):
                can_hit += 1
            else:
                can_unknown[phrase.lower()] += 1
    cpu = time.process_time() - cpu

    def pct(a: int, b: int) -> str:
        return f"{100.0 * a / b:.1f} %" if b else "n/a"

    print(f"trials with eligibility text: {n_trials}, of which {n_oncology} name a cancer type")
    print(f"drug-like words (INN stems): {drug_hit}/{drug_total} occurrences known "
          f"({pct(drug_hit, drug_total)}); {len(drug_types_known)}/{len(drug_types)} distinct "
          f"words ({pct(len(drug_types_known), len(drug_types))})")
    print(f"  in trials that name a cancer type: {onc_hit}/{onc_total} occurrences known "
          f"({pct(onc_hit, onc_total)})")
    print(f"cancer-type phrases: {can_hit}/{can_total} occurrences read as a cancer type "
          f"({pct(can_hit, can_total)}); {len(can_unknown)} distinct unread phrases")
    print(f"cpu: {cpu:.1f} s")
    print(f"\n{args.top} most frequent unknown drug-like words (trials naming a cancer):",
          file=sys.stderr)
    for word, n in drug_unknown.most_common(args.top):
        print(f"  {n:5d}  {word}", file=sys.stderr)
    print(f"\n{args.top} most frequent unread cancer-type phrases:", file=sys.stderr)
    for phrase, n in can_unknown.most_common(args.top):
        print(f"  {n:5d}  {phrase}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
