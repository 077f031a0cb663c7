"""The canonical one-line text form of a rule tree, and its parser.

    all(diagnosis(NSCLC), any(alteration(EGFR, mutation, variant=exon19del),
        alteration(EGFR, mutation, variant=L858R)), not(prior(egfr_tki)), age >= 18)

`to_text` writes the canonical form (function style for connectives, so every tree, even an
empty `all()`, prints unambiguously); `parse_text` reads it back to an equal tree, and also
accepts the infix sugar curators like to write: `a and b`, `a or b`, `not a`, parentheses.
Provenance is not part of the text form.
"""

from __future__ import annotations

import json
import re
from typing import Any

from trialmatch.errors import RuleError
from trialmatch.rules.nodes import (
    OPS,
    Age,
    All,
    Alteration,
    AnyOf,
    Diagnosis,
    Expression,
    Fusion,
    Measurement,
    Node,
    Not,
    Performance,
    Population,
    PriorTherapy,
    Sex,
    Signature,
    Stage,
    Unparsed,
)
from trialmatch.rules.stages import stage_name

_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<op>>=|<=|!=|=|>|<)|(?P<punct>[(),])'
    r'|(?P<word>[A-Za-z0-9_.*+\-/:@\']+))'
)
_BARE = re.compile(r"[A-Za-z0-9_.*+\-/:@']+\Z")
_KEYWORDS = {"and", "or", "not"}
_COMPARISONS = {"age", "sex", "ecog", "karnofsky", "tmb", "pdl1_tps", "pdl1_cps", "her2_ihc",
                "her2", "er", "pr", "stage"}


# ----------------------------------------------------------------------------- writing

def _value(v: object) -> str:
    if isinstance(v, bool):
        return json.dumps(str(v))
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    s = str(v)
    if _BARE.match(s) and s.lower() not in _KEYWORDS and not _is_number(s):
        return s
    return json.dumps(s, ensure_ascii=False)


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def _call(name: str, *args: str, **kwargs: object) -> str:
    parts = list(args) + [f"{k}={_value(v)}" for k, v in kwargs.items() if v is not None]
    return f"{name}({', '.join(parts)})"


def _tags(evidence: tuple[str, ...]) -> str | None:
    return "|".join(evidence) if evidence else None


def to_text(node: Node) -> str:
    """The canonical one-line text of `node`."""
    match node:
        case All(items=items):
            return _call("all", *(to_text(c) for c in items))
        case AnyOf(items=items):
            return _call("any", *(to_text(c) for c in items))
        case Not(item=item):
            return _call("not", to_text(item), stated=node.stated)
        case Alteration():
            return _call("alteration", _value(node.gene), _value(node.alteration),
                         variant=node.variant, exon=node.exon, origin=node.origin,
                         evidence=_tags(node.evidence))
        case Fusion():
            return _call("fusion", _value(node.gene), partner=node.partner,
                         evidence=_tags(node.evidence))
        case Signature():
            return _call("signature", _value(node.name), evidence=_tags(node.evidence))
        case Measurement():
            return f"{node.marker} {node.op} {_value(node.value)}"
        case Expression():
            return _call("expression", _value(node.gene), _value(node.level), assay=node.assay,
                         evidence=_tags(node.evidence))
        case Diagnosis():
            return _call("diagnosis", _value(node.code))
        case Age():
            return f"age {node.op} {_value(node.value)}"
        case Sex():
            return f"sex = {node.value}"
        case Performance():
            return f"{node.scale} {node.op} {_value(node.value)}"
        case Stage():
            return f"stage {node.op} {node.value}"
        case PriorTherapy():
            return _call("prior", _value(node.concept),
                         excluding="|".join(node.excluding) if node.excluding else None)
        case Population():
            return _call("population", _value(node.scope), json.dumps(node.condition,
                                                                      ensure_ascii=False))
        case Unparsed():
            return _call("unparsed", json.dumps(node.text, ensure_ascii=False),
                         reason=node.reason)
    raise RuleError(f"no text form for node kind {node.kind!r}")


# ----------------------------------------------------------------------------- reading

class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, str, int]] = []
        pos = 0
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                if text[pos:].strip() == "":
                    break
                raise self.error(f"unexpected character {text[pos]!r}", pos)
            kind = m.lastgroup or ""
            self.tokens.append((kind, m.group(kind), m.start(kind)))
            pos = m.end()
        self.i = 0

    def error(self, message: str, pos: int | None = None) -> RuleError:
        if pos is None:
            pos = self.tokens[self.i][2] if self.i < len(self.tokens) else len(self.text)
        return RuleError(f"{message} at column {pos + 1} of rule: {self.text}")

    def peek(self, offset: int = 0) -> tuple[str, str, int] | None:
        j = self.i + offset
        return self.tokens[j] if j < len(self.tokens) else None

    def next_is(self, value: str) -> bool:
        """The next token is exactly `value` (False at the end of the rule)."""
        tok = self.peek()
        return tok is not None and tok[1] == value

    def take(self, kind: str | None = None, value: str | None = None) -> tuple[str, str, int]:
        tok = self.peek()
        if tok is None:
            raise self.error(f"expected {value or kind or 'more'}, found end of rule")
        if (kind and tok[0] != kind) or (value is not None and tok[1] != value):
            raise self.error(f"expected {value or kind}, found {tok[1]!r}", tok[2])
        self.i += 1
        return tok

    def at(self, value: str) -> bool:
        tok = self.peek()
        return tok is not None and tok[0] != "str" and tok[1].lower() == value

    # expr := term ('or' term)* ; term := factor ('and' factor)* ; factor := 'not' factor | primary
    def expr(self) -> Node:
        items = [self.term()]
        while self.at("or"):
            self.i += 1
            items.append(self.term())
        return items[0] if len(items) == 1 else AnyOf(tuple(items))

    def term(self) -> Node:
        items = [self.factor()]
        while self.at("and"):
            self.i += 1
            items.append(self.factor())
        return items[0] if len(items) == 1 else All(tuple(items))

    def factor(self) -> Node:
        if self.at("not"):
            nxt = self.peek(1)
            if nxt and nxt[1] == "(":
                return self.call()  # not(rule) or not(rule, stated=negative)
            self.i += 1
            return Not(self.factor())
        return self.primary()

    def primary(self) -> Node:
        tok = self.peek()
        if tok is None:
            raise self.error("expected a rule, found end of rule")
        if tok[1] == "(":
            self.i += 1
            node = self.expr()
            self.take("punct", ")")
            return node
        if tok[0] != "word":
            raise self.error(f"expected a rule, found {tok[1]!r}", tok[2])
        name = tok[1].lower()
        nxt = self.peek(1)
        if nxt and nxt[0] == "op" and name in _COMPARISONS:
            return self.comparison()
        if nxt and nxt[1] == "(":
            return self.call()
        raise self.error(f"unknown rule {tok[1]!r}", tok[2])

    def scalar(self) -> str | float:
        kind, val, pos = self.take()
        if kind == "str":
            return json.loads(val)
        if kind != "word":
            raise self.error(f"expected a value, found {val!r}", pos)
        return float(val) if _is_number(val) else val

    def number(self, name: str, value: str | float) -> float:
        """`value`, the token just read, when it is a number."""
        if isinstance(value, str):
            raise self.error(f"{name} needs a number", self.tokens[self.i - 1][2])
        return value

    def comparison(self) -> Node:
        name = self.take("word")[1].lower()
        op = self.take("op")[1]
        if op not in OPS:
            raise self.error(f"unknown comparison {op!r}")
        value = self.scalar()
        if name == "age":
            return Age(op, self.number(name, value))
        if name == "sex":
            if op != "=":
                raise self.error("sex takes =")
            return Sex(str(value).lower())
        if name in ("ecog", "karnofsky"):
            return Performance(name, op, self.number(name, value))
        if name == "stage":
            group = stage_name(str(int(value)) if isinstance(value, float) else value)
            if group is None:
                raise self.error("stage needs a stage group such as IIIB or IV")
            return Stage(op, group)
        return Measurement(name, op, value)

    def call(self) -> Node:
        name = self.take("word")[1].lower()
        self.take("punct", "(")
        if name in ("all", "any", "not"):
            items: list[Node] = []
            stated = None
            while not self.next_is(")"):
                tok, nxt = self.peek(), self.peek(1)
                if name == "not" and tok and tok[1].lower() == "stated" and nxt and nxt[1] == "=":
                    self.i += 2
                    stated = str(self.scalar())
                    if self.next_is(","):
                        self.i += 1
                    continue
                items.append(self.expr())
                if self.next_is(","):
                    self.i += 1
                elif not self.next_is(")"):
                    raise self.error("expected ',' or ')'")
            self.take("punct", ")")
            if name == "not":
                if len(items) != 1:
                    raise self.error("expected ) after the one rule of not()")
                return Not(items[0], stated=stated)
            return All(tuple(items)) if name == "all" else AnyOf(tuple(items))
        args, kwargs = self.arguments()
        return _build_leaf(self, name, args, kwargs)

    def arguments(self) -> tuple[list[str | float], dict[str, str | float]]:
        args: list[str | float] = []
        kwargs: dict[str, str | float] = {}
        while not self.next_is(")"):
            tok, nxt = self.peek(), self.peek(1)
            if tok and tok[0] == "word" and nxt and nxt[1] == "=":
                self.i += 2
                kwargs[tok[1].lower()] = self.scalar()
            else:
                if kwargs:
                    raise self.error("positional argument after keyword argument")
                args.append(self.scalar())
            if self.next_is(","):
                self.i += 1
            elif not self.next_is(")"):
                raise self.error("expected ',' or ')'")
        self.take("punct", ")")
        return args, kwargs


def _text(value: str | float) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


_LEAF_SIGNATURES = {
    "alteration": (("gene", "alteration"), ("variant", "exon", "origin", "evidence")),
    "fusion": (("gene",), ("partner", "evidence")),
    "signature": (("name",), ("evidence",)),
    "diagnosis": (("code",), ()),
    "expression": (("gene", "level"), ("assay", "evidence")),
    "prior": (("concept",), ("excluding",)),
    "population": (("scope", "condition"), ()),
    "unparsed": (("text",), ("reason",)),
}


def _build_leaf(p: _Parser, name: str, args: list, kwargs: dict) -> Node:
    if name not in _LEAF_SIGNATURES:
        raise p.error(f"unknown rule {name!r}")
    positional, optional = _LEAF_SIGNATURES[name]
    if name == "alteration" and len(args) == 1:
        args = [*args, "mutation"]
    if len(args) != len(positional):
        raise p.error(f"{name}() takes {len(positional)} positional argument(s): "
                      f"{', '.join(positional)}")
    unknown = set(kwargs) - set(optional)
    if unknown:
        raise p.error(f"{name}() has no argument {sorted(unknown)[0]!r}")
    values = {k: _text(v) for k, v in zip(positional, args)}
    extra: dict[str, Any] = {k: (_text(v) if k != "exon" else v) for k, v in kwargs.items()}
    if name == "alteration":
        exon = extra.get("exon")
        if exon is not None:
            if not (isinstance(exon, float) and exon.is_integer()):
                raise p.error("exon must be a whole number")
            extra["exon"] = int(exon)
        return Alteration(values["gene"], values["alteration"], **extra)
    if name == "fusion":
        return Fusion(values["gene"], **extra)
    if name == "signature":
        return Signature(values["name"], **extra)
    if name == "diagnosis":
        return Diagnosis(values["code"])
    if name == "expression":
        return Expression(values["gene"], values["level"], **extra)
    if name == "prior":
        return PriorTherapy(values["concept"], **extra)
    if name == "population":
        return Population(values["scope"], values["condition"])
    return Unparsed(values["text"], **extra)


def parse_text(text: str) -> Node:
    """Parse the canonical text form (or its infix sugar) into a rule tree."""
    if not isinstance(text, str) or not text.strip():
        raise RuleError("empty rule")
    p = _Parser(text)
    node = p.expr()
    rest = p.peek()
    if rest is not None:
        raise p.error(f"unexpected {rest[1]!r} after the rule")
    return node
