"""Census of cancer trials whose record names no cancer type the parser knows.

    python benchmarks/dx_census.py              # counts and the 40 most frequent phrases
    python benchmarks/dx_census.py --top 80     # a longer list
    python benchmarks/dx_census.py --limit 500  # the first 500 records only (quicker)

Every trial has a target population: a record's conditions (and title) become the cancer-type
requirement of a cohort whose criteria name none. Over the records of the shared corpus
(loaded as `parse_diff.py` loads them), counts the oncology records (data/conditions.yaml
`oncology` terms in a condition or the title) whose conditions give no cancer type, and those
whose conditions and title together give none; then, for the latter, the most frequent

* condition strings (lower-cased, spaces squeezed), by records;
* phrases: an oncology term with up to three words before it ("uveal melanoma", "cancer of
  the oral cavity" as "cancer of the oral"), by records;
* capitalised abbreviations (2-6 capitals, a digit allowed) of the conditions and title, by
  records: short names the lexicon may lack.

The vocabulary gaps are read off these lists; nothing is written to a file (the corpus text
stays out of the repository). Skips with a message when ../shared is absent.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from parse_diff import corpus  # noqa: E402

_ABBR = re.compile(r"(?<![\w-])[A-Z][A-Z0-9]{1,5}s?(?![\w-])")
_WORD = r"[A-Za-z][\w'/-]*"


def _phrases(source: str, oncology: re.Pattern[str]) -> set[str]:
    """Each oncology term of `source` with up to three words before it, or, when the term
    comes first, "of" and up to two words after it ("cancer of the lip")."""
    out = set()
    for m in oncology.finditer(source):
        end = m.end()
        while end < len(source) and (source[end].isalnum() or source[end] in "-'"):
            end += 1  # the whole word of a prefix term ("malignan*")
        before = re.search(rf"(?:{_WORD}\s+){{0,3}}\Z", source[:m.start()])
        head = before.group() if before else ""
        after = re.match(rf"\s+(?:of|in)\s+(?:the\s+)?{_WORD}(?:\s+{_WORD})?", source[end:]) \
            if not head.strip() else None
        phrase = head + source[m.start():end] + (after.group() if after else "")
        out.add(" ".join(phrase.lower().split()))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None, help="first N records only")
    ap.add_argument("--top", type=int, default=40, help="entries of each list shown")
    args = ap.parse_args()
    loaded = corpus(args.limit)
    if loaded is None:
        return 0
    records, ont = loaded
    from trialmatch.nlp.parse import _cancer_codes, condition_leaf
    from trialmatch.nlp.resources import conditions

    oncology, _groups = conditions()
    cpu = time.process_time()
    n_onc = no_cond = no_both = 0
    cond_counts: Counter[str] = Counter()
    phrase_counts: Counter[str] = Counter()
    abbr_counts: Counter[str] = Counter()
    for r in records:
        sources = [c for c in r.conditions if c and c.strip()] + ([r.title] if r.title else [])
        if not any(oncology.search(s[:1000]) for s in sources):
            continue
        n_onc += 1
        leaf = condition_leaf(tuple(r.conditions), ont)
        if leaf is not None:
            continue
        no_cond += 1
        if r.title and _cancer_codes(r.title[:500], ont):
            continue
        no_both += 1
        cond_counts.update({" ".join(c.lower().split()) for c in r.conditions if c.strip()})
        phrase_counts.update({p for s in sources for p in _phrases(s, oncology)})
        abbr_counts.update({a for s in sources for a in _ABBR.findall(s)})
    cpu = time.process_time() - cpu
    print(f"{len(records)} records, {n_onc} oncology records ({cpu:.0f} CPU s)")
    print(f"oncology records whose conditions give no cancer type: {no_cond}; "
          f"whose conditions and title give none: {no_both}")
    for title, counts in (("condition strings", cond_counts), ("phrases", phrase_counts),
                          ("capitalised abbreviations", abbr_counts)):
        print(f"--- top {args.top} {title} (records)")
        for text, k in counts.most_common(args.top):
            print(f"{k:5d}  {text[:120]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
