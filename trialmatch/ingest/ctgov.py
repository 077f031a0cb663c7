"""Readers for ClinicalTrials.gov records: API v2 JSON (one study, a list, a `{"studies": [...]}`
page, NDJSON), legacy XML (`clinical_study`) and plain eligibility text.

`read_records(path)` never raises for bad content: it returns the good records and one
problem line per rejected record ("file:line: ..." or "file: NCT...: ..."), so a caller can
load what is good and exit 3 for a partial batch. Only an unreadable file raises `InputError`.
`detect_format` decides what a file is; a file it does not recognise is refused unless the
caller says it is eligibility text (`fmt="text"`). Trial ids must be NCT ids (NCT + 8 digits).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from trialmatch.errors import InputError
from trialmatch.ingest.record import Record, parse_age, phase_code, sex_code, status_code
from trialmatch.ingest.sites import read_sites
from trialmatch.jsonio import JSONProblem, loads

_NCT = re.compile(r"NCT\d{8}")
_NCT_ID = re.compile(r"NCT\d{8}\Z")
TEXT_SUFFIXES = (".txt", ".text")
UNRECOGNISED = ("not a recognised trial file (expected ClinicalTrials.gov JSON, NDJSON or "
                "XML, or eligibility text in a .txt file); if it is eligibility text, pass "
                "--format text")


def detect_format(text: str, name: str) -> str | None:
    """What a trial file holds: "ndjson", "json", "xml" or "text"; None when unrecognised.

    Judged by suffix and first character only, so new kinds (CTML YAML, ...) can be told
    apart here before anything is read as eligibility text."""
    head = text.lstrip()[:1]
    suffix = Path(name).suffix.lower()
    if suffix in (".ndjson", ".jsonl"):
        return "ndjson"
    if head in ("{", "[") and suffix not in (".yml", ".yaml"):
        return "json"
    if head == "<":
        return "xml"
    if suffix in TEXT_SUFFIXES:
        return "text"
    return None


def read_records(path: str | Path, fmt: str | None = None) -> tuple[list[Record], list[str]]:
    """All trial records in one file, and a problem line for each record that was rejected.
    `fmt`: None to detect what the file is (refusing what is not recognised), "text" to
    read it as eligibility text, "auto" to detect and read the unrecognised as text."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read file: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text, bad = _decode_lines(raw)
        if len(bad) * 2 > text.count("\n") + 1:
            return [], [f"{path}: not a trial record (not UTF-8 text)"]
        records, problems = read_text_records(text, str(path), fmt)
        return records, [f"{path}:{n}: not UTF-8 text; this line was skipped" for n in bad] \
            + problems
    return read_text_records(text, str(path), fmt)


def _decode_lines(raw: bytes) -> tuple[str, list[int]]:
    """The text with each line that is not UTF-8 left blank (line numbers kept), and the
    numbers of those lines: one bad byte costs its record, not the file."""
    lines, bad = [], []
    for n, line in enumerate(raw.removeprefix(b"\xef\xbb\xbf").split(b"\n"), 1):
        try:
            lines.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            lines.append("")
            bad.append(n)
    return "\n".join(lines), bad


def read_text_records(text: str, name: str, fmt: str | None = None
                      ) -> tuple[list[Record], list[str]]:
    """Like `read_records`, for content already in memory; `name` labels the problems."""
    kind = "text" if fmt == "text" else detect_format(text, name)
    if kind is None and fmt == "auto":
        kind = "text"
    if kind == "ndjson":
        return _read_ndjson(text, name)
    if kind == "json":
        return _read_json(text, name)
    if kind == "xml":
        return _read_xml(text, name)
    suffix = Path(name).suffix.lower()
    if kind is None and suffix in (".json", ".xml"):
        return [], [f"{name}: not a trial record (expected {suffix[1:].upper()})"]
    if kind is None:
        return [], [f"{name}: {UNRECOGNISED}"]
    return _read_plain(text, name)


# ----------------------------------------------------------------------------- JSON

def _read_json(text: str, name: str) -> tuple[list[Record], list[str]]:
    try:
        data = loads(text)
    except JSONProblem as exc:
        if exc.msg == "Extra data":  # several JSON documents: one per line
            return _read_ndjson(text, name)
        if exc.lineno is None:
            return [], [f"{name}: broken JSON: {exc.msg}"]
        return [], [f"{name}:{exc.lineno}: broken JSON: {exc.msg} (column {exc.colno})"]
    records: list[Record] = []
    problems: list[str] = []
    for i, study in _studies(data):
        where = f"{name}: study {i + 1}" if i is not None else name
        _collect(study, where, name, records, problems)
    if not records and not problems:
        problems.append(f"{name}: not a trial record (no studies found)")
    return records, problems


def _studies(data: Any) -> Iterator[tuple[int | None, Any]]:
    if isinstance(data, dict) and isinstance(data.get("studies"), list):
        yield from enumerate(data["studies"])
    elif isinstance(data, list):
        yield from enumerate(data)
    else:
        yield None, data


def _read_ndjson(text: str, name: str) -> tuple[list[Record], list[str]]:
    records: list[Record] = []
    problems: list[str] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{name}:{lineno}"
        try:
            study = loads(line)
        except JSONProblem as exc:
            column = f" (column {exc.colno})" if exc.colno else ""
            problems.append(f"{where}: broken JSON: {exc.msg}{column}")
            continue
        _collect(study, where, where, records, problems)
    if not records and not problems:
        problems.append(f"{name}: not a trial record (empty file)")
    return records, problems


def bad_trial_id(nct: str) -> str | None:
    """Why `nct` is not a trial id we store (None when it is one); never echoes it."""
    if _NCT_ID.match(nct):
        return None
    return "not a valid NCT id (expected NCT and 8 digits, e.g. NCT01234567)"


def _collect(study: Any, where: str, source: str, records: list[Record],
             problems: list[str]) -> None:
    record, problem = study_record(study, source)
    if problem:
        problems.append(f"{where}: {problem}")
    elif record is not None:
        records.append(record)


def _get(d: Any, *keys: str) -> Any:
    for k in keys:
        if not isinstance(d, dict):
            return None
        d = d.get(k)
    return d


def study_record(study: Any, source: str | None = None) -> tuple[Record | None, str | None]:
    """One API v2 study as a Record, or the reason it is not usable."""
    proto = _get(study, "protocolSection")
    if not isinstance(proto, dict):
        return None, "not a trial record (no protocolSection)"
    nct = _get(proto, "identificationModule", "nctId")
    if not isinstance(nct, str) or not nct.strip():
        return None, "not a trial record (no identificationModule.nctId)"
    if (bad := bad_trial_id(nct.strip())) is not None:
        return None, f"identificationModule.nctId: {bad}"
    elig = _get(proto, "eligibilityModule") or {}
    text = elig.get("eligibilityCriteria") if isinstance(elig, dict) else None
    if not isinstance(text, str) or not text.strip():
        return None, f"{nct}: no eligibility text"
    conditions = _get(proto, "conditionsModule", "conditions") or []
    ident = proto.get("identificationModule") or {}
    return Record(
        nct_id=nct.strip(), eligibility=text,
        title=ident.get("briefTitle") or ident.get("officialTitle"),
        phase=phase_code(_get(proto, "designModule", "phases")),
        status=status_code(_get(proto, "statusModule", "overallStatus")),
        conditions=tuple(str(c) for c in conditions if isinstance(c, str)),
        min_age=parse_age(elig.get("minimumAge")), max_age=parse_age(elig.get("maximumAge")),
        min_age_text=elig.get("minimumAge"), max_age_text=elig.get("maximumAge"),
        sex=sex_code(elig.get("sex")),
        summary=_get(proto, "descriptionModule", "briefSummary"),
        source=source, sites=read_sites(proto),
    ), None


# ----------------------------------------------------------------------------- XML

def _read_xml(text: str, name: str) -> tuple[list[Record], list[str]]:
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        line, col = getattr(exc, "position", (None, None))
        return [], [f"{name}:{line}: broken XML: {str(exc).split(':')[0]} (column {col})"]
    studies = [root] if root.tag == "clinical_study" else list(root.iter("clinical_study"))
    if not studies:
        return [], [f"{name}: not a trial record (root element <{root.tag}>)"]
    records: list[Record] = []
    problems: list[str] = []
    for i, study in enumerate(studies):
        record, problem = xml_record(study, name)
        if problem:
            where = name if len(studies) == 1 else f"{name}: study {i + 1}"
            problems.append(f"{where}: {problem}")
        elif record is not None:
            records.append(record)
    return records, problems


def _xml_text(el: ET.Element | None, path: str) -> str | None:
    found = el.find(path) if el is not None else None
    if found is None:
        return None
    text = "".join(found.itertext())
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    return text if text.strip() else None


def xml_record(study: ET.Element, source: str | None = None) -> tuple[Record | None, str | None]:
    """One legacy `clinical_study` element as a Record, or the reason it is not usable."""
    nct = _xml_text(study, "id_info/nct_id")
    if not nct:
        return None, "not a trial record (no id_info/nct_id)"
    nct = nct.strip()
    if (bad := bad_trial_id(nct)) is not None:
        return None, f"id_info/nct_id: {bad}"
    text = _xml_text(study, "eligibility/criteria/textblock")
    if not text:
        return None, f"{nct}: no eligibility text"
    min_text = _xml_text(study, "eligibility/minimum_age")
    max_text = _xml_text(study, "eligibility/maximum_age")
    return Record(
        nct_id=nct, eligibility=text,
        title=(_xml_text(study, "brief_title") or _xml_text(study, "official_title") or "").strip()
        or None,
        phase=phase_code(_xml_text(study, "phase")),
        status=status_code(_xml_text(study, "overall_status")),
        conditions=tuple(c.text.strip() for c in study.findall("condition") if c.text),
        min_age=parse_age(min_text), max_age=parse_age(max_text),
        min_age_text=min_text, max_age_text=max_text,
        sex=sex_code(_xml_text(study, "eligibility/gender")),
        summary=_xml_text(study, "brief_summary/textblock"),
        source=source,
    ), None


# ----------------------------------------------------------------------------- text

def _read_plain(text: str, name: str) -> tuple[list[Record], list[str]]:
    if not text.strip():
        return [], [f"{name}: no eligibility text (empty file)"]
    if "\x00" in text:
        return [], [f"{name}: not a trial record (binary content)"]
    m = _NCT.search(Path(name).name) or _NCT.search(text[:2000])
    trial_id = m.group(0) if m else Path(name).stem or "text"
    return [Record(nct_id=trial_id, eligibility=text, source=name)], []


def text_record(text: str, trial_id: str = "text") -> Record:
    """A record for eligibility text given directly (`trialmatch parse --text`)."""
    return Record(nct_id=trial_id, eligibility=text, source=None)
