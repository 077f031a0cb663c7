"""From a validated profile to `PatientFacts`: names resolved, values derived.

Genes by alias (HER2 -> ERBB2), protein changes to one-letter HGVS, drugs by brand to
generic names, age on the match date, HER2 status from IHC/ISH/amplification, ECOG and
Karnofsky each derived from the other, and the alterations a cancer type carries by definition
(`ontologies/cancer_defining.tsv`: a CML has the BCR-ABL1 fusion) added to the findings. Unknown genes, codes and drugs are kept as given
with a warning. Protein changes are read as real cohort files write them (splice sites,
`p.M1?`, `c.` changes: a mutation of the gene without a protein position); one that still
cannot be read keeps the alteration at gene level with a warning, never rejecting the
patient (`rules.variants.read_patient_protein`).
"""

from __future__ import annotations

from datetime import date

from trialmatch.ontology import Ontology
from trialmatch.patients.model import PatientIn
from trialmatch.patients.treatments import treatment_concepts
from trialmatch.rules.facts import Finding, PatientFacts, expression_field
from trialmatch.rules.stages import FIELD as STAGE_FIELD
from trialmatch.rules.stages import stage_interval, stage_name
from trialmatch.rules.variants import codon_of, event_of, position_of, read_patient_protein

MAX_SUGGESTIONS = 5  # closest-name lookups per patient (each costs milliseconds)
SUGGESTION_CACHE = 10_000  # distinct (text, kind) suggestions kept per Normalizer
MAX_LISTED = 3  # unknown names of one list warned one by one; the rest are counted
_ECOG_TO_KPS = {0: (90.0, 100.0), 1: (70.0, 80.0), 2: (50.0, 60.0), 3: (30.0, 40.0),
                4: (10.0, 20.0), 5: (0.0, 0.0)}


def ecog_from_karnofsky(kps: int) -> int:
    for ecog, (lo, _hi) in _ECOG_TO_KPS.items():
        if kps >= lo:
            return ecog
    return 5


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


class Normalizer:
    """Turns profiles into facts; collects warnings and errors by JSON pointer."""

    def __init__(self, ontology: Ontology, today: date | None = None) -> None:
        self.ont = ontology
        self.today = today or date.today()
        self._budget = MAX_SUGGESTIONS
        # (text, kind) -> the suggestion: a cohort repeats its unknown symbols (a fuzzy
        # search over the ontology's names costs ~1 ms each)
        self._suggested: dict[tuple[str, str], str] = {}

    def _closest(self, text: str, kind: str) -> str:
        """"; closest known: ..." (the nearest names of the ontology), or ""."""
        from trialmatch.ontology.terms import closest

        if self._budget <= 0:
            return ""
        self._budget -= 1
        got = self._suggested.get((text, kind))
        if got is None:
            names = closest(self.ont, text, (kind,), limit=3)
            got = f"; closest known: {', '.join(names)}" if names else ""
            if len(self._suggested) >= SUGGESTION_CACHE:
                self._suggested.clear()
            self._suggested[(text, kind)] = got
        return got

    def gene(self, text: str, where: str, warnings: list[str]) -> str:
        symbol = self.ont.gene_symbol(text)
        if symbol is None:
            warnings.append(f"{where}: unknown gene symbol, kept as given"
                            f"{self._closest(text, 'gene')}")
            return text.strip().upper()
        return symbol

    def facts(self, p: PatientIn, prefix: str = "") -> tuple[PatientFacts | None, list[str],
                                                             list[str]]:
        """(facts, warnings, errors); facts is None when there are errors."""
        warnings: list[str] = []
        errors: list[str] = []
        self._budget = MAX_SUGGESTIONS
        findings = [self.finding(i, a, prefix, warnings, errors)
                    for i, a in enumerate(p.alterations or ())]
        numbers: dict[str, tuple[float, float]] = {}
        if p.age is not None:
            numbers["age"] = (float(int(p.age)), float(int(p.age)))
        elif p.birth_date is not None:
            if p.birth_date > self.today:
                errors.append(f"{prefix}/birth_date: lies in the future")
            a = float(age_on(p.birth_date, self.today))
            numbers["age"] = (a, a)
        if p.ecog is not None:
            numbers["ecog"] = (float(p.ecog), float(p.ecog))
            numbers["karnofsky"] = _ECOG_TO_KPS[p.ecog]
        if p.karnofsky is not None:
            numbers["karnofsky"] = (float(p.karnofsky), float(p.karnofsky))
            if p.ecog is None:
                e = float(ecog_from_karnofsky(p.karnofsky))
                numbers["ecog"] = (e, e)
        b = p.biomarkers
        for name in ("tmb", "pdl1_tps", "pdl1_cps", "her2_ihc"):
            value = getattr(b, name)
            if value is not None:
                numbers[name] = (float(value), float(value))
        statuses: dict[str, str] = {k: v for k, v in (("er", b.er), ("pr", b.pr), ("msi", b.msi),
                                      ("mmr", b.mmr)) if v is not None}
        tested = None
        if p.tested_genes is not None:
            tested = frozenset(self._each(p.tested_genes, f"{prefix}/tested_genes", self.gene,
                                          "gene symbols", warnings))
        elif p.alterations is None:
            # no genomic result at all, as a missing `prior_therapies` is no treatment history:
            # an empty panel, so every gene criterion is unknown rather than "not altered"
            tested = frozenset()
        her2 = self.her2_status(p, findings, tested)
        if her2:
            statuses["her2"] = her2
        for marker, level in (b.expression or {}).items():
            pointer = marker.replace("~", "~0").replace("/", "~1")
            gene = self.gene(marker, f"{prefix}/biomarkers/expression/{pointer}", warnings)
            statuses[expression_field(gene)] = level
        flags = {k: v for k, v in (("hrd", b.hrd), ("loh", b.loh),
                                   ("codel_1p19q", b.codel_1p19q)) if v is not None}
        if p.diagnosis and p.diagnosis.stage:
            group = stage_name(p.diagnosis.stage)
            if group is None:
                warnings.append(f"{prefix}/diagnosis/stage: not a stage group (0, I-IV with an "
                                "optional letter A-D); left out")
            else:
                numbers[STAGE_FIELD] = stage_interval(group)
        oncotree = None
        if p.diagnosis and p.diagnosis.oncotree:
            oncotree = self.cancer(p.diagnosis.oncotree, prefix, warnings)
        priors = None
        if p.prior_therapies is not None:
            priors = self.ont.with_combinations(tuple(dict.fromkeys(
                drug for entry in self._each(p.prior_therapies, f"{prefix}/prior_therapies",
                                             self.drugs, "drugs", warnings)
                for drug in entry)))
        if errors:
            return None, warnings, errors
        found = [f for f in findings if f is not None]
        return PatientFacts(
            id=p.id, sex=p.sex, oncotree=oncotree, numbers=numbers, statuses=statuses,
            flags=flags, findings=tuple(found + self.defining(oncotree, found)),
            tested_genes=tested, prior_therapies=priors), warnings, errors

    def defining(self, code: str | None, found: list[Finding]) -> list[Finding]:
        """The alterations the patient's cancer type carries by definition
        (`cancer_defining.tsv`: a CML has the BCR-ABL1 fusion), for the type and the types
        above it, unless the profile already reports an alteration of that kind in the gene
        or its partner."""
        if code is None:
            return []
        out: list[Finding] = []
        for c in self.ont.cancer_ancestors(code):  # (the code itself included)
            for gene, kind, partner in self.ont.defining.get(c, ()):
                genes = {gene, partner} - {None}
                if any(f.type == kind and ({f.gene, f.partner} & genes) for f in found + out):
                    continue
                out.append(Finding(gene=gene, type=kind, partner=partner))
        return out

    @staticmethod
    def _each(names: list[str], where: str, resolve, what: str,
              warnings: list[str]) -> list[str]:
        """Resolve a list of names; past MAX_LISTED unknown ones, one line counts the rest."""
        found: list[str] = []
        out = [resolve(name, f"{where}/{i}", found) for i, name in enumerate(names)]
        warnings.extend(found[:MAX_LISTED])
        if len(found) > MAX_LISTED:
            warnings.append(f"{where}: {len(found) - MAX_LISTED} more unknown {what}, kept "
                            "as given")
        return out

    def finding(self, i: int, a, prefix: str, warnings: list[str],
                errors: list[str]) -> Finding | None:
        where = f"{prefix}/alterations/{i}"
        gene = self.gene(a.gene, f"{where}/gene", warnings)
        partner = self.gene(a.partner, f"{where}/partner", warnings) if a.partner else None
        protein, readable = read_patient_protein(a.protein)
        if not readable:
            warnings.append(f"{where}/protein: not a protein change (expected HGVS such as "
                            "p.L858R, p.Leu858Arg, p.E746_A750del, or ITD, exon19del); "
                            "kept at gene level, variant unknown")
        exon = a.exon
        if exon is None and a.type == "mutation":
            # the exon a change's position lies in, when the profile does not say
            exon = self.ont.exon_at(gene, position_of(protein))
        event = event_of(protein, exon) if a.type == "mutation" else None
        codon = codon_of(protein) if protein and protein != event else None
        return Finding(gene=gene, type=a.type, protein=protein, codon=codon, event=event,
                       exon=exon, origin=a.origin, partner=partner)

    def cancer(self, code: str, prefix: str, warnings: list[str]) -> str:
        if code in self.ont.cancers:
            return code
        resolved = self.ont.cancer_code(code)
        if resolved is None:
            warnings.append(f"{prefix}/diagnosis/oncotree: unknown OncoTree code, kept as given"
                            f"{self._closest(code, 'cancer')}")
            return code
        if code.upper() in self.ont.successors:
            warnings.append(f"{prefix}/diagnosis/oncotree: revoked OncoTree code, "
                            f"read as its successor {resolved}")
        return resolved

    def drugs(self, text: str, where: str, warnings: list[str]) -> tuple[str, ...]:
        """The drugs one entry of a treatment history names (several for "carboplatin/
        pemetrexed"); an entry, or a part of one, that names no drug the ontology knows is
        kept as given."""
        known, unknown = treatment_concepts(self.ont, text)
        if not known:
            warnings.append(f"{where}: unknown drug, kept as given{self._closest(text, 'drug')}")
        elif unknown:
            warnings.append(f"{where}: {len(unknown)} part(s) of this entry name no known drug, "
                            "kept as given")
        return (*known, *unknown)

    @staticmethod
    def her2_status(p: PatientIn, findings: list[Finding | None],
                    tested: frozenset[str] | None) -> str | None:
        """The HER2 status the record gives, or its IHC score and ISH result imply (IHC 2+
        is equivocal: amplified is positive; not amplified by ISH, or ERBB2 on a panel that
        found no amplification of it, is HER2-low); None when they do not tell."""
        b = p.biomarkers
        if b.her2:
            return b.her2
        amplified = b.her2_ish == "amplified" or any(
            f is not None and f.gene == "ERBB2" and f.type == "amplification" for f in findings)
        if b.her2_ihc == 3 or (b.her2_ihc == 2 and amplified):
            return "positive"
        if b.her2_ihc == 2 and (b.her2_ish == "not amplified" or (
                b.her2_ish is None and tested is not None and "ERBB2" in tested)):
            return "low"
        if b.her2_ihc == 1:
            return "low"
        if b.her2_ihc == 0:
            return "zero"
        if b.her2_ihc == 2:
            return None  # equivocal without ISH: unknown
        return "positive" if amplified else None
