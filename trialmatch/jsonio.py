"""Reading JSON that users hand us: strict, bounded, and line by line for JSON Lines.

`loads` is `json.loads` with three rules the standard library does not enforce: a key given
twice in one object is an error (last-wins would silently match a patient as someone else),
nesting deeper than `MAX_DEPTH` is an error (instead of a RecursionError deep inside a
reader), and the problem is named by line, column or JSON pointer, never by a value.
`iter_lines` reads a JSON Lines file as bytes, one line at a time, so one undecodable byte
costs that line only and every line keeps its true number.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

MAX_DEPTH = 64  # patient and trial documents are under 15 levels deep


class JSONProblem(ValueError):
    """Malformed, duplicated or too deeply nested JSON; `lineno` is 1-based when known."""

    def __init__(self, msg: str, lineno: int | None = None, colno: int | None = None) -> None:
        super().__init__(msg)
        self.msg, self.lineno, self.colno = msg, lineno, colno


class _Dups(dict):
    """An object in which some key appeared more than once (found after parsing)."""

    dup: str = ""


def _first_repeat(pairs: list[tuple[str, Any]]) -> str:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            return key
        seen.add(key)
    return ""


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _check(data: Any) -> None:
    """Raise for a duplicated key (by JSON pointer) or nesting past MAX_DEPTH; iterative."""
    stack: list[tuple[Any, str, int]] = [(data, "", 1)]
    while stack:
        node, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise JSONProblem(f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, dict):
            if isinstance(node, _Dups):
                raise JSONProblem(f"duplicate key at {where}/{_escape(node.dup)}")
            stack.extend((v, f"{where}/{_escape(str(k))}", depth + 1)
                         for k, v in node.items() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            stack.extend((v, f"{where}/{i}", depth + 1)
                         for i, v in enumerate(node) if isinstance(v, (dict, list)))


def loads(text: str) -> Any:
    """Parse one JSON document under the rules above; raises `JSONProblem`."""
    if text.startswith("\ufeff"):
        text = text[1:]
    found: list[bool] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(items)
        if len(out) != len(items):
            out = _Dups(out)
            out.dup = _first_repeat(items)
            found.append(True)
        return out

    try:
        data = json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        raise JSONProblem(exc.msg, exc.lineno, exc.colno) from None
    except RecursionError:
        raise JSONProblem(f"nested more than {MAX_DEPTH} levels deep") from None
    except ValueError:  # an integer of more than 4,300 digits
        raise JSONProblem("a number too long to read") from None
    if found or text.count("{") + text.count("[") > MAX_DEPTH:
        _check(data)
    return data


def iter_lines(path: Path) -> Iterator[tuple[int, str | None, str | None]]:
    """(line number, text, None) for each non-blank line of a file, or (line number, None,
    problem) for a line that is not UTF-8. A byte-order mark on the first line is dropped.
    Raises OSError when the file cannot be opened."""
    with Path(path).open("rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                yield lineno, None, "not UTF-8 text"
                continue
            if line.strip():
                yield lineno, line, None
