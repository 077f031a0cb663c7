"""JSON (de)serialisation of rule trees, with a schema version and provenance.

    {"kind": "all", "children": [{"kind": "alteration", "gene": "EGFR", ...,
      "provenance": {"section": "inclusion", "start": 812, "end": 822, "text": "EGFR L858R"}}]}

`dump` adds `schema_version` at the root only; `load` accepts a tree with or without it.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from trialmatch.errors import RuleError
from trialmatch.rules.nodes import NODE_TYPES, All, AnyOf, Node, Not, Provenance

SCHEMA_VERSION = 1


_PROV_FIELDS = tuple(f.name for f in fields(Provenance))


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    """The dataclass field names of a node class, in order (`fields` builds them anew on
    every call)."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))
    return names


def _prov_dict(prov: Provenance | None) -> dict[str, Any] | None:
    if prov is None:
        return None
    return {k: v for k in _PROV_FIELDS if (v := getattr(prov, k)) is not None}


def to_dict(node: Node) -> dict[str, Any]:
    """The JSON-ready dict of one node and its subtree (no schema version)."""
    out: dict[str, Any] = {"kind": node.kind}
    if isinstance(node, (All, AnyOf, Not)):
        out["children"] = [to_dict(c) for c in node.children]
        if isinstance(node, Not) and node.stated is not None:
            out["stated"] = node.stated
    else:
        for name in _field_names(node.__class__):
            if name == "evidence":
                evidence = getattr(node, name)
                if evidence:  # omitted when empty, so trees without it read as before
                    out["evidence"] = list(evidence)
            elif name != "prov":
                out[name] = getattr(node, name)
    prov = _prov_dict(node.prov)
    if prov:
        out["provenance"] = prov
    return out


def dump(node: Node) -> dict[str, Any]:
    """The versioned JSON document of a tree."""
    return {"schema_version": SCHEMA_VERSION, **to_dict(node)}


def load(data: Any, pointer: str = "") -> Node:
    """Rebuild a tree from `dump`/`to_dict` output; errors name the JSON pointer."""
    if not isinstance(data, dict):
        raise RuleError(f"{pointer or '/'}: a rule node must be an object")
    version = data.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise RuleError(f"{pointer or '/'}: unsupported rule schema_version {version!r}")
    kind = data.get("kind")
    cls = NODE_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise RuleError(f"{pointer or '/'}: unknown rule kind {kind!r}")
    prov_data = data.get("provenance")
    prov = None
    if prov_data is not None:
        if not isinstance(prov_data, dict):
            raise RuleError(f"{pointer}/provenance: must be an object")
        allowed = {f.name for f in fields(Provenance)}
        prov = Provenance(**{k: v for k, v in prov_data.items() if k in allowed})
    if cls in (All, AnyOf, Not):
        children = data.get("children")
        if not isinstance(children, list):
            raise RuleError(f"{pointer}/children: must be a list")
        items = tuple(load(c, f"{pointer}/children/{i}") for i, c in enumerate(children))
        if cls is Not:
            if len(items) != 1:
                raise RuleError(f"{pointer}/children: 'not' takes exactly one child")
            stated = data.get("stated")
            if stated is not None and not isinstance(stated, str):
                raise RuleError(f"{pointer}/stated: must be a string")
            return Not(items[0], stated=stated, prov=prov)
        return All(items, prov=prov) if cls is All else AnyOf(items, prov=prov)
    names = {f.name for f in fields(cls)} - {"prov"}
    unknown = set(data) - names - {"kind", "provenance", "schema_version"}
    if unknown:
        raise RuleError(f"{pointer}/{sorted(unknown)[0]}: unknown field for {kind}")
    try:
        return cls(**{k: v for k, v in data.items() if k in names}, prov=prov)
    except TypeError as exc:
        raise RuleError(f"{pointer or '/'}: {exc}") from None
