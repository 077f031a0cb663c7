"""A cBioPortal study folder as patient records, one per tumour sample.

Files are recognised by their header, not their name, so both the study format
(`data_clinical_sample.txt`, `data_mutations_extended.txt`, `data_CNA.txt`, `data_sv.txt`)
and tables saved from the cBioPortal web API (`hugoGeneSymbol`, `sampleId`,
`proteinChange`, ...) are read:

* clinical sample / patient files: ONCOTREE_CODE, SEX, AGE, TMB and MSI columns;
* MAF mutations -> `mutation` with the HGVS protein change (HGVSp_Short) and exon when
  given; silent, intronic and UTR variants are left out;
* CNA as a GISTIC matrix (genes x samples) or in long format -> `deletion` (-2) and
  `amplification` (2);
* structural variants and fusion tables -> `fusion` with its partner (an intragenic
  rearrangement is a `mutation` of that gene without a protein change);
* gene panels (`data_gene_panel_*.txt` with the sample's GENE_PANEL) give `tested_genes`;
  without them a CNA matrix does (the genes profiled for that sample); else none.

A study's files are organised by data type, not by sample, so the alterations are gathered
per sample first: as compact tuples of interned strings (about 100 bytes per alteration),
then yielded sample by sample. Normal (germline reference) samples are skipped.
"""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from trialmatch.patients.read import RawRecord
from trialmatch.rules.variants import read_patient_protein

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

GENE_COLS = ("Hugo_Symbol", "hugoGeneSymbol", "hugo_symbol", "Gene", "gene")
SAMPLE_COLS = ("Tumor_Sample_Barcode", "sampleId", "Sample_Id", "SAMPLE_ID", "sample_id",
               "Samples", "Sample")
PROTEIN_COLS = ("HGVSp_Short", "proteinChange", "Protein_Change", "HGVSp", "AAChange")
CLASS_COLS = ("Variant_Classification", "mutationType")
CNA_COLS = ("alteration", "CNA", "Alteration", "cna", "value", "Value")
FUSION_COLS = ("Fusion", "fusion", "Event_Info", "eventInfo")
SITE1 = ("Site1_Hugo_Symbol", "site1HugoSymbol")
SITE2 = ("Site2_Hugo_Symbol", "site2HugoSymbol")
EXON_COLS = ("Exon_Number", "EXON", "exon", "Exon")
STATUS_COLS = ("Mutation_Status", "mutationStatus")
MATRIX_SKIP = {"Hugo_Symbol", "Entrez_Gene_Id", "Cytoband", "Locus ID", "Gene Symbol"}
SKIP_CLASSES = {"silent", "intron", "3'utr", "5'utr", "3'flank", "5'flank", "igr", "rna",
                "lincrna", "targeted_region", "de_novo_start_outofframe"}
SKIP_STATUS = {"uncalled", "wildtype", "none"}
AMP = {"2", "2.0", "amp", "amplification", "amplified", "high_level_amplification"}
DEL = {"-2", "-2.0", "deepdel", "homdel", "deletion", "deep_deletion",
       "homozygous_deletion", "homozygous deletion", "deep deletion"}
AGE_COLS = ("AGE", "AGE_CURRENT", "CURRENT_AGE", "AGE_AT_SEQ_REPORTED_YEARS",
            "AGE_AT_SEQUENCING", "AGE_AT_DIAGNOSIS")
TMB_COLS = ("TMB_NONSYNONYMOUS", "TMB", "CVR_TMB_SCORE", "TMB_SCORE")
MSI_TYPES = {"stable": "MSS", "mss": "MSS", "instable": "MSI-H", "msi-h": "MSI-H",
             "msi-high": "MSI-H", "msi-l": "MSI-L", "msi-low": "MSI-L", "msih": "MSI-H"}
NA = {"", "na", "nan", "n/a", "unknown", "not applicable", "not available", "[not available]"}


def _pick(cols: list[str], names: tuple[str, ...]) -> str | None:
    return next((c for c in names if c in cols), None)


@dataclass
class Table:
    """One tab-separated file: its header and where the data lines start."""

    path: Path
    columns: list[str]
    kind: str

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        with self.path.open(encoding="utf-8", errors="replace", newline="") as fh:
            lines = ((i, ln) for i, ln in enumerate(fh, 1) if not ln.startswith("#"))
            header_seen = False
            for lineno, line in lines:
                if not header_seen:
                    header_seen = True
                    continue
                if not line.strip():
                    continue
                cells = next(csv.reader([line.rstrip("\r\n")], delimiter="\t",
                                        quoting=csv.QUOTE_NONE))
                yield lineno, dict(zip(self.columns, (c.strip() for c in cells)))


def _header(path: Path) -> list[str] | None:
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("#") or not line.strip():
                    continue
                if "\t" not in line:
                    return None
                return [c.strip() for c in line.rstrip("\r\n").split("\t")]
    except OSError:
        return None
    return None


def classify(path: Path) -> Table | None:
    """What kind of study file this is, from its header (None: not one we read)."""
    if path.suffix.lower() not in (".txt", ".tsv", ".maf", ".tab") or path.name.startswith(
            "meta_"):
        return None
    cols = _header(path)
    if not cols:
        return None
    gene, sample = _pick(cols, GENE_COLS), _pick(cols, SAMPLE_COLS)
    if _pick(cols, SITE1) and _pick(cols, SITE2):
        kind = "sv"
    elif gene and sample and (_pick(cols, PROTEIN_COLS) or _pick(cols, CLASS_COLS)):
        kind = "mutations"
    elif gene and sample and _pick(cols, FUSION_COLS):
        kind = "fusions"
    elif gene and sample and _pick(cols, CNA_COLS):
        kind = "cna_long"
    elif cols[0] in ("Hugo_Symbol", "Entrez_Gene_Id") and not sample:
        kind = "cna_matrix"
    elif "SAMPLE_ID" in cols and not gene:
        kind = "panel_matrix" if {"mutations", "cna"} & set(cols) else "clinical_sample"
    elif "PATIENT_ID" in cols and not gene:
        kind = "clinical_patient"
    else:
        return None
    return Table(path, cols, kind)


def read_panel(path: Path) -> tuple[str, list[str]] | None:
    """A gene panel definition: `stable_id: X` and `gene_list: A<tab>B...`."""
    if not path.name.startswith("data_gene_panel") or "matrix" in path.name:
        return None
    stable, genes = None, None
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "stable_id":
            stable = value.strip()
        elif key.strip() == "gene_list":
            genes = [g.strip() for g in re.split(r"[\t ,]+", value) if g.strip()]
    return (stable, genes) if stable and genes else None


def is_study(folder: Path) -> bool:
    return any(classify(p) is not None for p in folder.iterdir() if p.is_file())


@dataclass
class Study:
    """Everything gathered per sample, in the order samples were first seen."""

    folder: Path
    samples: dict[str, dict[str, str]] = field(default_factory=dict)  # clinical, by sample
    patients: dict[str, dict[str, str]] = field(default_factory=dict)  # clinical, by patient
    alterations: dict[str, list[tuple]] = field(default_factory=dict)
    panels: dict[str, frozenset[str]] = field(default_factory=dict)  # panel id -> genes
    sample_panel: dict[str, str] = field(default_factory=dict)
    matrix_genes: frozenset[str] | None = None
    matrix_missing: dict[str, frozenset[str]] = field(default_factory=dict)
    order: dict[str, None] = field(default_factory=dict)
    _intern: dict[str, str] = field(default_factory=dict)

    def s(self, value: str | None) -> str | None:
        if value is None:
            return None
        return self._intern.setdefault(value, value)

    def add(self, sample: str, alt: tuple) -> None:
        sample = self.s(sample)  # type: ignore[assignment]
        self.order.setdefault(sample, None)
        self.alterations.setdefault(sample, []).append(tuple(self.s(x) if isinstance(x, str)
                                                             else x for x in alt))


def _na(value: str | None) -> bool:
    return value is None or value.strip().lower() in NA


def _exon(value: str | None) -> int | None:
    if _na(value):
        return None
    m = re.match(r"\s*(\d+)", str(value))
    if not m:
        return None
    n = int(m.group(1))
    return n if 1 <= n <= 200 else None


def _protein(value: str | None) -> str | None:
    """The one-letter change; None for a change without a protein position (X206_splice,
    p.?, c. changes); text that is no notation is passed on as written, for the patient
    normaliser to keep at gene level with a warning naming its JSON pointer (as `find`)."""
    if _na(value):
        return None
    protein, readable = read_patient_protein(value)
    return protein if readable else str(value).strip()


def read_mutations(t: Table, study: Study) -> None:
    gene_c, sample_c = _pick(t.columns, GENE_COLS), _pick(t.columns, SAMPLE_COLS)
    prot_cols = [c for c in PROTEIN_COLS if c in t.columns]
    class_c, exon_c = _pick(t.columns, CLASS_COLS), _pick(t.columns, EXON_COLS)
    status_c = _pick(t.columns, STATUS_COLS)
    for _, row in t.rows():
        gene, sample = row.get(gene_c or ""), row.get(sample_c or "")
        if _na(gene) or _na(sample) or gene == "Unknown":
            continue
        if class_c and (row.get(class_c) or "").lower() in SKIP_CLASSES:
            continue
        status = (row.get(status_c) or "").lower() if status_c else ""
        if status in SKIP_STATUS:
            continue
        origin = status if status in ("somatic", "germline") else None
        protein = next((p for p in (_protein(row.get(c)) for c in prot_cols) if p), None)
        study.add(sample, ("mutation", gene, protein, _exon(row.get(exon_c)) if exon_c else None,
                           origin, None))


def _cna_kind(value: str | None) -> str | None:
    v = (value or "").strip().lower()
    return "amplification" if v in AMP else "deletion" if v in DEL else None


def read_cna_long(t: Table, study: Study) -> None:
    gene_c, sample_c = _pick(t.columns, GENE_COLS), _pick(t.columns, SAMPLE_COLS)
    value_c = _pick(t.columns, CNA_COLS)
    for _, row in t.rows():
        kind = _cna_kind(row.get(value_c or ""))
        gene, sample = row.get(gene_c or ""), row.get(sample_c or "")
        if kind and not _na(gene) and not _na(sample):
            study.add(sample, (kind, gene, None, None, None, None))


def read_cna_matrix(t: Table, study: Study) -> None:
    samples = [c for c in t.columns if c not in MATRIX_SKIP]
    genes: set[str] = set()
    missing: dict[str, set[str]] = {}
    for _, row in t.rows():
        gene = row.get("Hugo_Symbol")
        if _na(gene):
            continue
        genes.add(gene)  # type: ignore[arg-type]
        for s in samples:
            value = row.get(s)
            if _na(value):
                missing.setdefault(s, set()).add(gene)  # type: ignore[arg-type]
                continue
            kind = _cna_kind(value)
            if kind:
                study.add(s, (kind, gene, None, None, None, None))
    for s in samples:
        study.order.setdefault(study.s(s), None)  # type: ignore[arg-type]
    study.matrix_genes = frozenset(genes)
    study.matrix_missing = {s: frozenset(g) for s, g in missing.items()}


def _split_fusion(text: str) -> tuple[str, str | None] | None:
    """'EML4-ALK fusion' -> (EML4, ALK); 'RB1-intragenic' -> (RB1, None)."""
    name = re.split(r"\s+(fusion|rearrangement|translocation)\b", text.strip(), flags=re.I)[0]
    name = name.split(" - ")[0].strip()
    parts = [p for p in re.split(r"[-:/]", name) if p]
    if not parts:
        return None
    if len(parts) >= 2 and parts[1].lower() == "intragenic":
        return parts[0], None
    return (parts[0], parts[1]) if len(parts) >= 2 else (parts[0], None)


def _fusion(study: Study, sample: str, a: str | None, b: str | None) -> None:
    a = None if _na(a) else a
    b = None if _na(b) else b
    if a and b and a != b:
        study.add(sample, ("fusion", a, None, None, None, b))
    elif a or b:  # one gene rearranged within itself: an alteration of unknown effect
        study.add(sample, ("mutation", a or b, None, None, None, None))


def read_sv(t: Table, study: Study) -> None:
    s1, s2 = _pick(t.columns, SITE1), _pick(t.columns, SITE2)
    sample_c = _pick(t.columns, SAMPLE_COLS)
    for _, row in t.rows():
        sample = row.get(sample_c or "")
        if not _na(sample):
            _fusion(study, sample, row.get(s1 or ""), row.get(s2 or ""))  # type: ignore[arg-type]


def read_fusions(t: Table, study: Study) -> None:
    gene_c, sample_c = _pick(t.columns, GENE_COLS), _pick(t.columns, SAMPLE_COLS)
    fusion_c = _pick(t.columns, FUSION_COLS)
    seen: set[tuple[str, str, str | None]] = set()
    for _, row in t.rows():
        sample, gene = row.get(sample_c or ""), row.get(gene_c or "")
        parsed = _split_fusion(row.get(fusion_c or "") or "")
        if _na(sample) or parsed is None:
            continue
        a, b = parsed
        if b is None and not _na(gene) and gene != a:
            a, b = gene, a
        key = (sample, *sorted((a, b or "")))  # type: ignore[arg-type]
        if key in seen:  # fusion files list a fusion once per gene
            continue
        seen.add(key)  # type: ignore[arg-type]
        _fusion(study, sample, a, b)  # type: ignore[arg-type]


def read_clinical(t: Table, study: Study) -> None:
    key = "SAMPLE_ID" if t.kind == "clinical_sample" else "PATIENT_ID"
    target = study.samples if t.kind == "clinical_sample" else study.patients
    for _, row in t.rows():
        ident = row.get(key)
        if _na(ident):
            continue
        target.setdefault(ident, {}).update({k: v for k, v in row.items() if not _na(v)})
        if t.kind == "clinical_sample":
            study.order.setdefault(study.s(ident), None)  # type: ignore[arg-type]


def read_panel_matrix(t: Table, study: Study) -> None:
    for _, row in t.rows():
        panel = row.get("mutations") or row.get("cna")
        if not _na(row.get("SAMPLE_ID")) and not _na(panel):
            study.sample_panel[row["SAMPLE_ID"]] = panel  # type: ignore[assignment]


READERS = {"mutations": read_mutations, "cna_long": read_cna_long,
           "cna_matrix": read_cna_matrix, "sv": read_sv, "fusions": read_fusions,
           "clinical_sample": read_clinical, "clinical_patient": read_clinical,
           "panel_matrix": read_panel_matrix}


def gather(folder: Path) -> Study:
    study = Study(folder)
    files = sorted(p for p in folder.iterdir() if p.is_file())
    tables = [t for t in map(classify, files) if t is not None]
    order = ["clinical_sample", "clinical_patient", "panel_matrix", "mutations", "cna_long",
             "cna_matrix", "sv", "fusions"]
    for t in sorted(tables, key=lambda t: order.index(t.kind)):
        READERS[t.kind](t, study)
    for p in files:
        panel = read_panel(p)
        if panel:
            study.panels[panel[0]] = frozenset(panel[1])
    return study


def _number(value: str | None, lo: float, hi: float) -> float | None:
    if _na(value):
        return None
    try:
        x = float(str(value).strip().lstrip("<>"))
    except ValueError:
        return None
    return x if lo <= x <= hi else None


def _msi(clin: dict[str, str]) -> str | None:
    for col in ("MSI_TYPE", "MSI_STATUS", "MSI"):
        v = MSI_TYPES.get(clin.get(col, "").strip().lower())
        if v:
            return v
    score = _number(clin.get("MSI_SCORE"), 0, 1000)
    if score is None:
        return None
    return "MSI-H" if score >= 10 else "MSS" if score < 3 else None  # MSIsensor cut-offs


def tested_genes(study: Study, sample: str, clin: dict[str, str]) -> list[str] | None:
    panel_id = study.sample_panel.get(sample) or clin.get("GENE_PANEL")
    if panel_id and panel_id in study.panels:
        return sorted(study.panels[panel_id])
    if study.matrix_genes is not None:
        return sorted(study.matrix_genes - study.matrix_missing.get(sample, frozenset()))
    return None


def _is_normal(clin: dict[str, str]) -> bool:
    return any(clin.get(c, "").strip().lower() == "normal"
               for c in ("SAMPLE_TYPE", "ONCOTREE_CODE", "CANCER_TYPE"))


def patient_dict(study: Study, sample: str) -> dict:
    """One sample as a patient.json profile."""
    clin = dict(study.patients.get(study.samples.get(sample, {}).get("PATIENT_ID", ""), {}))
    clin.update(study.samples.get(sample, {}))
    p: dict = {"id": sample}
    sex = clin.get("SEX", "").strip().lower()
    if sex in ("female", "male", "f", "m"):
        p["sex"] = {"f": "female", "m": "male"}.get(sex, sex)
    age = next((a for a in (_number(clin.get(c), 0, 130) for c in AGE_COLS) if a is not None),
               None)
    if age is not None:
        p["age"] = age
    code = clin.get("ONCOTREE_CODE")
    if code:
        p["diagnosis"] = {"oncotree": code, "text": clin.get("CANCER_TYPE_DETAILED")}
    bio: dict = {}
    tmb = next((t for t in (_number(clin.get(c), 0, 10000) for c in TMB_COLS)
                if t is not None), None)
    if tmb is not None:
        bio["tmb"] = tmb
    msi = _msi(clin)
    if msi:
        bio["msi"] = msi
    if bio:
        p["biomarkers"] = bio
    alts, seen = [], set()
    for kind, gene, protein, exon, origin, partner in study.alterations.get(sample, ()):
        key = (kind, gene, protein, exon, origin, partner)
        if key in seen:
            continue
        seen.add(key)
        a: dict = {"gene": gene, "type": kind}
        for name, value in (("protein", protein), ("exon", exon), ("origin", origin),
                            ("partner", partner)):
            if value is not None:
                a[name] = value
        alts.append(a)
    p["alterations"] = alts
    tested = tested_genes(study, sample, clin)
    if tested is not None:
        p["tested_genes"] = tested
    return p


def iter_study(folder: Path) -> Iterator[RawRecord]:
    """One record per tumour sample: clinical samples first, then samples only in data files."""
    study = gather(folder)
    for sample in study.order:
        clin = study.samples.get(sample, {})
        if _is_normal(clin):
            continue
        yield RawRecord(patient_dict(study, sample), f"{folder} sample {sample}", "")
        study.alterations.pop(sample, None)  # release what is done
