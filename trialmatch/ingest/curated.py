"""Curated trials: hand-written YAML files (one trial per file) read into `Trial` objects.

Curators write each criterion twice: the trial's own words (`text`) and what it means in the
rule language (`rule`, the canonical text form of `trialmatch.rules.dsl`). The format is
documented in docs/criteria-format.md. Every problem is reported as `<file>:<line>: <problem>`,
all problems of a file at once, in one `InputError`; a curated file is never half-loaded.
"""

from __future__ import annotations

import difflib
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from trialmatch.errors import InputError, RuleError
from trialmatch.resources import curated_files as list_curated
from trialmatch.rules.dsl import parse_text, to_text
from trialmatch.rules.nodes import All, AnyOf, Node, Not, Provenance, Unparsed, with_prov
from trialmatch.rules.trial import PHASES, Cohort, Trial

STATUSES = ("RECRUITING", "NOT_YET_RECRUITING", "ACTIVE_NOT_RECRUITING", "COMPLETED",
            "SUSPENDED", "TERMINATED", "WITHDRAWN", "ENROLLING_BY_INVITATION")
TRIAL_FIELDS = ("id", "title", "phase", "status", "conditions", "inclusion", "exclusion",
                "cohorts")
COHORT_FIELDS = ("id", "label", "status", "inclusion", "exclusion")
ITEM_FIELDS = ("text", "rule")
DEFAULT_COHORT = "main"


# ----------------------------------------------------------------------------- YAML with lines

class _Map(dict):
    """A YAML mapping that remembers the (1-based) line of itself, its keys and values."""

    line: int = 1
    key_lines: dict[Any, int]
    value_lines: dict[Any, int]


class _Seq(list):
    """A YAML sequence that remembers the line of itself and of each item."""

    line: int = 1
    item_lines: list[int]


class _Loader(yaml.SafeLoader):
    """SafeLoader whose mappings and sequences carry line numbers; duplicate keys are noted."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[int, str, int]] = []  # (line, key, first line)


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> _Map:
    loader.flatten_mapping(node)
    out = _Map()
    out.line, out.key_lines, out.value_lines = node.start_mark.line + 1, {}, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            key = str(key)
        line = key_node.start_mark.line + 1
        if key in out:
            loader.duplicates.append((line, str(key), out.key_lines[key]))
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = line
        out.value_lines[key] = value_node.start_mark.line + 1
    return out


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> _Seq:
    out = _Seq(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.item_lines = [child.start_mark.line + 1 for child in node.value]
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_seq)


# ----------------------------------------------------------------------------- reading a file

def display_path(path: Path) -> str:
    """How provenance names a curated file: from its `criteria/` folder on, else as given.

    The same in a source checkout and in an installed wheel (`trialmatch/_data/criteria/`).
    """
    parts = path.parts
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] == "criteria":
            return "/".join(parts[i:])
    return path.as_posix()


def kind_of(value: object) -> str:
    """How an error message names the kind of a value (never the value itself)."""
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    return "text" if isinstance(value, str) else type(value).__name__


def _choices(value: str, allowed: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(value.upper(), allowed, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{hint}; expected one of {', '.join(allowed)}"


class _FileReader:
    """Turns one parsed YAML document into a `Trial`, collecting problems with line numbers."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = str(path)
        self.source = display_path(path)
        self._problems: list[tuple[int, str]] = []

    @property
    def problems(self) -> list[str]:
        """Every problem found so far, in file order."""
        return [f"{self.name}:{line}: {message}"
                for line, message in sorted(self._problems, key=lambda p: p[0])]

    def problem(self, line: int, message: str) -> None:
        self._problems.append((line, message))

    # -- small typed getters: each returns None (after noting a problem) when the value is bad
    def check_fields(self, m: _Map, allowed: tuple[str, ...], what: str) -> None:
        for key in m:
            if key in allowed:
                continue
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            self.problem(m.key_lines[key], f"unknown field {str(key)!r} in {what}{hint}; "
                                           f"expected {', '.join(allowed)}")

    def string(self, m: _Map, key: str, what: str, required: bool = False,
               allow_int: bool = False) -> str | None:
        if key not in m:
            if required:
                self.problem(m.line, f"{what} has no {key!r} (required)")
            return None
        value = m[key]
        if allow_int and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            self.problem(m.value_lines[key], f"{what} field {key!r} must be text, "
                                             f"found {kind_of(value)}")
            return None
        if not value.strip():
            self.problem(m.value_lines[key], f"{what} field {key!r} is empty")
            return None
        return value.strip()

    def choice(self, m: _Map, key: str, allowed: tuple[str, ...], what: str) -> str | None:
        value = self.string(m, key, what)
        if value is not None and value not in allowed:
            self.problem(m.value_lines[key], f"unknown {key} {value!r} in {what}"
                                             f"{_choices(value, allowed)}")
            return None
        return value

    def sequence(self, m: _Map, key: str, what: str) -> _Seq | None:
        value = m.get(key)
        if value is None:
            return None
        if not isinstance(value, _Seq):  # the loader builds every YAML sequence as a _Seq
            self.problem(m.value_lines[key], f"{what} field {key!r} must be a list, "
                                             f"found {kind_of(value)}")
            return None
        return value

    # -- the document
    def trial(self, doc: object) -> Trial | None:
        if not isinstance(doc, _Map):
            line = getattr(doc, "line", 1)
            self.problem(line, f"a curated trial file holds one mapping of trial fields, "
                               f"found {kind_of(doc)}")
            return None
        self.check_fields(doc, TRIAL_FIELDS, "trial")
        trial_id = self.string(doc, "id", "trial", required=True)
        if trial_id is not None and len(trial_id.split()) != 1:
            self.problem(doc.value_lines["id"], f"trial id {trial_id!r} contains spaces")
        title = self.string(doc, "title", "trial", required=True)
        phase = self.choice(doc, "phase", PHASES, "trial")
        status = self.choice(doc, "status", STATUSES, "trial")
        conditions = self.conditions(doc)
        inclusion = self.items(doc, "inclusion", "trial")
        exclusion = self.items(doc, "exclusion", "trial")
        cohorts = self.cohorts(doc, inclusion, exclusion)
        if self.problems or trial_id is None:
            return None
        return Trial(trial_id, tuple(cohorts), title, phase, status, conditions,
                     source=self.source, extra={"path": self.name,
                                                   "line": doc.value_lines["id"]})

    def conditions(self, doc: _Map) -> tuple[str, ...]:
        if "conditions" not in doc or doc["conditions"] is None:
            return ()
        value = doc["conditions"]
        if isinstance(value, str):
            return (value.strip(),)
        if not isinstance(value, _Seq):
            self.problem(doc.value_lines["conditions"],
                         f"trial field 'conditions' must be a list, found {kind_of(value)}")
            return ()
        out = []
        for line, item in zip(value.item_lines, value, strict=True):
            if isinstance(item, str) and item.strip():
                out.append(item.strip())
            else:
                self.problem(line, f"each condition must be text, found {kind_of(item)}")
        return tuple(out)

    def items(self, m: _Map, section: str, what: str) -> list[Node]:
        """The criteria of one inclusion/exclusion list, each a tree with provenance."""
        seq = self.sequence(m, section, what)
        if seq is None:
            return []
        nodes = []
        for line, item in zip(seq.item_lines, seq, strict=True):
            node = self.item(item, line, section)
            if node is not None:
                nodes.append(node)
        return nodes

    def item(self, item: object, line: int, section: str) -> Node | None:
        if not isinstance(item, _Map):
            self.problem(line, f"each {section} criterion is a mapping with 'text' and/or "
                               f"'rule', found {kind_of(item)}")
            return None
        what = f"{section} criterion"
        self.check_fields(item, ITEM_FIELDS, what)
        text = self.string(item, "text", what)
        rule_text = self.string(item, "rule", what)
        if "text" not in item and "rule" not in item:
            self.problem(item.line, f"{what} needs 'text', 'rule' or both")
            return None
        node: Node | None = None
        if rule_text is not None:
            try:
                node = parse_text(rule_text)
            except (RuleError, ValueError, TypeError) as exc:
                self.problem(item.value_lines["rule"], f"rule does not parse: {exc}")
                return None
        elif text is not None:
            node = Unparsed(text)
        if node is None:
            return None
        if text is None:
            text = to_text(node)
        prov = Provenance(section=section, text=text, source=f"{self.source}:{item.line}")
        node = _stamp(node, prov)
        return Not(node, prov=prov) if section == "exclusion" else node

    def cohorts(self, doc: _Map, inclusion: list[Node], exclusion: list[Node]) -> list[Cohort]:
        if "cohorts" not in doc:
            prov = Provenance(section="cohort", source=f"{self.source}:{doc.line}")
            return [Cohort(DEFAULT_COHORT, All((*inclusion, *exclusion), prov=prov))]
        if doc["cohorts"] is None:
            self.problem(doc.value_lines["cohorts"], "trial field 'cohorts' is empty; "
                                                     "leave it out for a single cohort")
            return []
        seq = self.sequence(doc, "cohorts", "trial")
        if seq is None:
            return []
        if not seq:
            self.problem(seq.line, "trial field 'cohorts' is an empty list; "
                                   "leave it out for a single cohort")
            return []
        out: list[Cohort] = []
        seen: dict[str, int] = {}
        for line, c in zip(seq.item_lines, seq, strict=True):
            if not isinstance(c, _Map):
                self.problem(line, f"each cohort is a mapping, found {kind_of(c)}")
                continue
            self.check_fields(c, COHORT_FIELDS, "cohort")
            cid = self.string(c, "id", "cohort", required=True, allow_int=True)
            label = self.string(c, "label", "cohort")
            status = self.choice(c, "status", STATUSES, "cohort")
            own_in = self.items(c, "inclusion", "cohort")
            own_ex = self.items(c, "exclusion", "cohort")
            if cid is None:
                continue
            if cid in seen:
                self.problem(c.value_lines["id"],
                             f"duplicate cohort id {cid!r} (first at line {seen[cid]})")
                continue
            seen[cid] = c.value_lines["id"]
            prov = Provenance(section="cohort", text=label, source=f"{self.source}:{c.line}")
            rule = All((*inclusion, *own_in, *exclusion, *own_ex), prov=prov)
            out.append(Cohort(cid, rule, label, status))
        return out


def _stamp(node: Node, prov: Provenance) -> Node:
    """`node` and all its descendants carrying `prov` (the criterion's words and line)."""
    if isinstance(node, (All, AnyOf)):
        return replace(node, items=tuple(_stamp(c, prov) for c in node.items), prov=prov)
    if isinstance(node, Not):
        return replace(node, item=_stamp(node.item, prov), prov=prov)
    return with_prov(node, prov)


def _read(path: Path) -> tuple[Trial | None, list[str]]:
    """The trial in `path`, or None and the problems found."""
    reader = _FileReader(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [f"{path}: cannot read ({exc.strerror or exc})"]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        return None, [f"{path}:{line}: not UTF-8 text"]
    if text.startswith("\ufeff"):
        text = text[1:]
    loader = _Loader(text)
    try:
        doc = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        what = "; ".join(p for p in (exc.context, exc.problem) if p)
        return None, [f"{path}:{line}: invalid YAML: {what or 'syntax error'}"]
    except yaml.YAMLError as exc:
        return None, [f"{path}:1: invalid YAML: {exc}"]
    finally:
        loader.dispose()
    for line, key, first in loader.duplicates:
        reader.problem(line, f"duplicate field {key!r} (first at line {first})")
    if doc is None:
        reader.problem(1, "empty file: expected a curated trial (id, title, criteria)")
        return None, reader.problems
    trial = reader.trial(doc)
    return (None if reader.problems else trial), reader.problems


def _fail(where: Path, problems: list[str]) -> InputError:
    n = len(problems)
    return InputError(f"{where}: invalid curated trial file{'s' if where.is_dir() else ''} "
                      f"({n} problem{'s' if n != 1 else ''})", problems)


def load_curated_file(path: str | Path) -> Trial:
    """Read one curated trial file; raise `InputError` listing every problem in it."""
    path = Path(path)
    trial, problems = _read(path)
    if problems or trial is None:
        raise _fail(path, problems or [f"{path}:1: no trial found"])
    return trial


def curated_files(folder: str | Path) -> list[Path]:
    """The curated trial files of a folder (*.yaml, *.yml), sorted by name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder of curated trials")
    return list_curated(folder)


def load_curated_dir(folder: str | Path) -> list[Trial]:
    """Read every curated trial of a folder; one `InputError` lists all problems of all files.

    Trial ids must be unique across the folder.
    """
    folder = Path(folder)
    trials: list[Trial] = []
    problems: list[str] = []
    first: dict[str, Trial] = {}
    for path in curated_files(folder):
        trial, found = _read(path)
        problems.extend(found)
        if trial is None:
            continue
        if trial.trial_id in first:
            other = first[trial.trial_id]
            problems.append(f"{path}:{trial.extra.get('line', 1)}: duplicate trial id "
                            f"{trial.trial_id!r} (also in {other.extra.get('path')})")
            continue
        first[trial.trial_id] = trial
        trials.append(trial)
    if problems:
        raise _fail(folder, problems)
    return trials
