"""The normalised facts about a patient that rule leaves are evaluated against.

Produced from a validated patient profile by `trialmatch.patients`; read by the reference
evaluator here and loaded into DuckDB by the matcher, so both see the same derived values
(age on the match date, HER2 status from IHC and ISH, ECOG from Karnofsky and back).
Numbers are closed intervals: an exact value is (v, v); ECOG 1 is Karnofsky (70, 80).
"""

from __future__ import annotations

from dataclasses import dataclass, field

NUMBER_FIELDS = ("age", "ecog", "karnofsky", "tmb", "pdl1_tps", "pdl1_cps", "her2_ihc", "stage")
STATUS_FIELDS = ("her2", "er", "pr", "msi", "mmr")
FLAG_FIELDS = ("hrd", "loh", "codel_1p19q")


def expression_field(gene: str) -> str:
    """The `statuses` key of an expression marker ("expression:MS4A1")."""
    return f"expression:{gene}"


@dataclass(frozen=True, slots=True)
class Finding:
    """One reported alteration, normalised (HGNC symbol, one-letter protein change)."""

    gene: str
    type: str  # mutation, amplification, deletion, fusion, wildtype
    protein: str | None = None
    codon: str | None = None
    event: str | None = None
    exon: int | None = None
    origin: str | None = None
    partner: str | None = None


@dataclass(frozen=True, slots=True)
class PatientFacts:
    id: str
    sex: str | None = None
    oncotree: str | None = None
    numbers: dict[str, tuple[float, float]] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)
    flags: dict[str, bool] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()
    tested_genes: frozenset[str] | None = None
    prior_therapies: tuple[str, ...] | None = None

    def tested(self, gene: str) -> bool:
        """Absence of a finding means wild-type only if the gene was tested (or no panel)."""
        if self.tested_genes is None:
            return True
        return gene in self.tested_genes or any(
            f.gene == gene or f.partner == gene for f in self.findings)
