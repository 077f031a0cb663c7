"""The one output layer: data to stdout as table, json, jsonl or csv; messages to stderr.

The default format is a rich table on a terminal and JSON otherwise, so a pipe always gets
data a machine can read.

Nothing from a file reaches a terminal raw: text shown in tables and messages goes through
`safe` (rich markup escaped, control and bidirectional characters shown as `\\xNN`
escapes), JSON escapes the same characters as `\\uNNNN`, and a CSV cell that a spreadsheet
would run as a formula (starting with = + - @, tab or carriage return) is prefixed with '.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


def _err_console() -> Console:
    """The rich console on stderr (`err_console`), made and rich imported when first
    needed."""
    console = globals().get("err_console")
    if console is None:
        from rich.console import Console

        console = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)
        globals()["err_console"] = console
    return console


def __getattr__(name: str) -> Any:
    if name == "err_console":  # `output.err_console`, as the commands use it
        return _err_console()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# C0 controls but newline and tab, DEL, C1 controls, bidirectional overrides and isolates
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e"
                      "\u2066-\u2069]")
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def clean(text: str) -> str:
    """Control characters shown as visible escapes (`\\x1b`), so none acts on a terminal."""
    return CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                        else f"\\u{ord(m.group()):04x}", text)


# Console markup (rich): "[" and the backslashes before it. A "[" that opens a tag-like run
# ("[red]", "[/x]") is escaped by an odd number of backslashes (each pair shows one); any
# other "[" loses one backslash before it when shown; backslashes at the end would escape the
# markup of ours that follows.
_BRACKET = re.compile(r"(\\*)\[")
_TAG_AFTER = re.compile(r"[a-z#/@][^[]*?]")
_TRAILING = re.compile(r"\\+\Z")


def safe(text: object) -> str:
    """Text from data, ready for a rich markup string (emoji codes off): cleaned, and every
    "[" and backslash shown as written. (rich's own `escape` misses a backslash before a "["
    that opens no tag, and an even run of backslashes at the end.)"""
    plain = clean(str(text))

    def bracket(m: re.Match[str]) -> str:
        k = len(m.group(1))
        return "\\" * (2 * k + 1 if _TAG_AFTER.match(plain, m.end()) else k + 1) + "["

    return _TRAILING.sub(lambda m: m.group() * 2, _BRACKET.sub(bracket, plain))


def _json_text(text: str) -> str:
    """JSON with the characters a terminal would act on escaped (still the same JSON)."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class Format(StrEnum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


def resolve(fmt: Format | None) -> Format:
    if fmt is not None:
        return fmt
    return Format.table if sys.stdout.isatty() else Format.json


def out_console() -> Console:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False, emoji=False)


def json_text(obj: Any) -> str:
    return _json_text(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def write_json(obj: Any) -> None:
    sys.stdout.write(json_text(obj) + "\n")


def write_raw(text: str) -> None:
    sys.stdout.write(text)


def write_jsonl(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        sys.stdout.write(_json_text(json.dumps(row, ensure_ascii=False, default=str)) + "\n")


def neutral(text: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula ('=1+1' becomes "'=1+1")."""
    return "'" + text if text.startswith(_FORMULA) else text


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (bool, int, float)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return neutral("; ".join(_cell(v).removeprefix("'") for v in value))
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return neutral(str(value))


def write_csv(rows: list[dict[str, Any]], columns: list[str], header: bool = True) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    if header:
        writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])


def warn(message: str) -> None:
    _err_console().print(f"[yellow]warning:[/] {safe(message)}", markup=True,
                         highlight=False)


def info(message: str) -> None:
    """A note without colour: written as it is (cleaned), so printing it needs no rich."""
    sys.stderr.write(clean(message) + "\n")


def error(message: str) -> None:
    _err_console().print(f"[red]error:[/] {safe(message)}", markup=True, highlight=False)


class _NoBar:
    def __enter__(self):
        return lambda advance=1, total=None: None

    def __exit__(self, *exc: object) -> None:
        return None


class _Bar:
    """A rich progress bar on stderr; calling it advances it (and may set the total)."""

    def __init__(self, label: str, total: int | None) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.bar = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), console=_err_console(), transient=True)
        self.task = self.bar.add_task(label, total=total)

    def __enter__(self):
        self.bar.start()

        def advance(advance: int = 1, total: int | None = None) -> None:
            if total is not None:
                self.bar.update(self.task, total=total)
            self.bar.advance(self.task, advance)

        return advance

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()


def progress(label: str, total: int | None = None):
    """`with progress("parsing") as advance: ... advance()`: a bar on stderr when stderr is
    a terminal, nothing otherwise (a log file or a pipe gets no bar characters)."""
    return _Bar(label, total) if _err_console().is_terminal else _NoBar()
