"""A trial as the matcher sees it: metadata and one rule tree per cohort (arm).

A trial matches a patient through its best cohort. Trees of curated trials (YAML in
`criteria/`) and of parsed ClinicalTrials.gov records have the same shape:
`all(inclusion..., not(exclusion)...)` with provenance on every node.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from trialmatch.rules.nodes import Node, leaves
from trialmatch.rules.serde import dump, load, to_dict

RECRUITING_STATUSES = ("RECRUITING", "NOT_YET_RECRUITING", "ENROLLING_BY_INVITATION")
PHASES = ("EARLY_PHASE1", "PHASE1", "PHASE1_PHASE2", "PHASE2", "PHASE2_PHASE3", "PHASE3",
          "PHASE4", "NA")


@dataclass(frozen=True, slots=True)
class Cohort:
    id: str
    rule: Node
    label: str | None = None
    status: str | None = None  # an arm may be closed while the trial recruits

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "rule": to_dict(self.rule)}


@dataclass(frozen=True, slots=True)
class Trial:
    trial_id: str
    cohorts: tuple[Cohort, ...]
    title: str | None = None
    phase: str | None = None
    status: str | None = None
    conditions: tuple[str, ...] = ()
    source: str | None = None  # file the trial was read from
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "trial_id": self.trial_id, "title": self.title, "phase": self.phase,
            "status": self.status, "conditions": list(self.conditions), "source": self.source,
            "cohorts": [{"id": c.id, "label": c.label, "status": c.status,
                         "rule": dump(c.rule)} for c in self.cohorts],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Trial:
        cohorts = tuple(Cohort(c["id"], load(c["rule"]), c.get("label"), c.get("status"))
                        for c in d["cohorts"])
        return cls(d["trial_id"], cohorts, d.get("title"), d.get("phase"), d.get("status"),
                   tuple(d.get("conditions") or ()), d.get("source"))

    def manual_review(self, cohort: Cohort) -> int:
        return sum(1 for n in leaves(cohort.rule) if n.kind == "unparsed")
