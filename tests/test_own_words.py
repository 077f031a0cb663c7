"""Our data files and test texts are in our own words, not copied from the development sets.

The development sets (`../shared/data/parser-dev`, and the trials of
`../shared/data/realtrials-dev` in the shared corpus) measure the parser; a sentence copied
from them into a vocabulary example or a golden test would make the measure flatter than the
parser is. Every string of the project's YAML data and test files and of our own real-trial
annotations may share at most RUN - 1 consecutive words with any development text (a run of
RUN words is longer than the standard phrases every trial uses, such as "Eastern Cooperative
Oncology Group performance status of 0").
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
RUN = 10
WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def _record_texts(study: dict) -> Iterator[str]:
    section = study.get("protocolSection", study)
    yield section.get("eligibilityModule", {}).get("eligibilityCriteria", "") or ""
    yield section.get("descriptionModule", {}).get("briefSummary", "") or ""


def _development_texts() -> list[str]:
    gold = SHARED / "parser-dev" / "trials.json"
    ids_file = SHARED / "realtrials-dev" / "trials.txt"
    corpus = SHARED / "ctgov" / "trials_2000_2020.ndjson"
    if not (gold.exists() and ids_file.exists() and corpus.exists()):
        pytest.skip("shared data not available: the development sets are needed for this check")
    texts = [t for s in json.loads(gold.read_text(encoding="utf-8"))["studies"]
             for t in _record_texts(s)]
    ids = set(ids_file.read_text(encoding="utf-8").split())
    with corpus.open(encoding="utf-8") as lines:
        for line in lines:
            if any(i in line for i in ids):
                study = json.loads(line)
                nct = study.get("protocolSection", {}).get("identificationModule", {}).get("nctId")
                if nct in ids:
                    texts.extend(_record_texts(study))
    return texts


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _our_files() -> list[Path]:
    files = [*ROOT.glob("trialmatch/**/*.yaml"), *ROOT.glob("tests/**/*.yaml"),
             *ROOT.glob("criteria/**/*.yaml"), *ROOT.glob("tests/realtrials/*.json")]
    return sorted(set(files))


def _runs(texts: list[str]) -> set[tuple[str, ...]]:
    runs: set[tuple[str, ...]] = set()
    for text in texts:
        w = _words(text)
        runs.update(tuple(w[i:i + RUN]) for i in range(len(w) - RUN + 1))
    return runs


def copied_strings(files: list[Path], runs: set[tuple[str, ...]]) -> list[str]:
    """'file: string' for every string of the files holding a run of RUN words of `runs`."""
    copied = []
    for path in files:
        loader = json.loads if path.suffix == ".json" else yaml.safe_load
        for text in _strings(loader(path.read_text(encoding="utf-8"))):
            w = _words(text)
            if any(tuple(w[i:i + RUN]) in runs for i in range(len(w) - RUN + 1)):
                copied.append(f"{path.name}: {text[:100]!r}")
    return copied


@pytest.fixture(scope="module")
def development_runs() -> set[tuple[str, ...]]:
    runs = _runs(_development_texts())
    assert len(runs) > 10_000  # the development texts were found and read
    return runs


def test_no_long_verbatim_run_from_a_development_trial(development_runs) -> None:
    copied = copied_strings(_our_files(), development_runs)
    assert not copied, "copied from a development trial:\n" + "\n".join(copied)


def test_the_check_catches_a_pasted_sentence(development_runs, tmp_path: Path) -> None:
    """Not vacuous: twelve consecutive words of a development text in an example are caught,
    and a reworded example is not."""
    text = next(t for t in _development_texts() if len(_words(t)) > 40)
    pasted = " ".join(_words(text)[5:17])
    data = tmp_path / "vocabulary.yaml"
    data.write_text(yaml.safe_dump({"cue": {"examples": [pasted, "a sentence of our own"]}}),
                    encoding="utf-8")
    assert copied_strings([data], development_runs) == [f"vocabulary.yaml: {pasted!r}"]
