"""The rule language: one immutable tree, many readers (text, JSON, English, evaluation).

Imports nothing heavy; usable from every layer.
"""

from trialmatch.rules.dsl import parse_text, to_text
from trialmatch.rules.nodes import (
    CONNECTIVES,
    LEAVES,
    NODE_TYPES,
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
    Provenance,
    Sex,
    Signature,
    Stage,
    Tri,
    Unparsed,
    leaves,
    walk,
)
from trialmatch.rules.serde import dump, load

__all__ = [
    "CONNECTIVES", "LEAVES", "NODE_TYPES", "Age", "All", "Alteration", "AnyOf", "Diagnosis", "Expression",
    "Fusion", "Measurement", "Node", "Not", "Performance", "Population", "PriorTherapy", "Provenance", "Sex", "Stage",
    "Signature", "Tri", "Unparsed", "dump", "leaves", "load", "parse_text", "to_text", "walk",
]
