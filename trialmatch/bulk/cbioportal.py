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

Each file is read with a polars lazy scan of only the columns used (a MAF has over 100;
a few are read), so a study of hundreds of MB streams through in bounded memory; values
are normalised once per distinct value, not per row. A study's files are organised by data
type, not by sample, so the alterations are gathered per sample first: as compact tuples
of interned strings (about 100 bytes per alteration), then yielded sample by sample.
Normal (germline reference) samples are skipped.

Bad input is an `InputError` (exit 2) naming the file and line: a mutation file missing a
required column, a CNA matrix with a cell that is not a number, a sample id twice in a
clinical file or a matrix header.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from trialmatch.errors import InputError
from trialmatch.patients.read import RawRecord
from trialmatch.rules.variants import read_patient_protein

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


def _need(t: Table, names: tuple[str, ...], what: str) -> str:
    """The column a reader cannot do without (an input error when the header lacks it)."""
    found = _pick(t.columns, names)
    if found is None:
        raise InputError(f"{t.path}:{t.header_line}: the header has no {what} column "
                         f"(such as {names[0]})")
    return found


@dataclass
class Table:
    """One tab-separated file: its header, and the line the header is on."""

    path: Path
    columns: list[str]
    kind: str
    header_line: int = 1

    def frame(self, columns: Sequence[str | None]) -> pl.DataFrame:
        """These columns (text, stripped, NA values as null) and each row's file line, read
        with a lazy scan that parses nothing else."""
        names = list(dict.fromkeys(c for c in columns if c))
        lf = pl.scan_csv(self.path, separator="\t", comment_prefix="#", infer_schema=False,
                         quote_char=None, truncate_ragged_lines=True, encoding="utf8-lossy",
                         raise_if_empty=False)
        na = sorted(NA)
        exprs = [pl.col(c).str.strip_chars() for c in names]
        cleaned = [pl.when(pl.col(c).str.to_lowercase().is_in(na)).then(None)
                   .otherwise(pl.col(c)).alias(c) for c in names]
        try:
            return (lf.select(exprs).with_row_index("_line", offset=self.header_line + 1)
                    .with_columns(cleaned).collect(engine="streaming"))
        except (pl.exceptions.PolarsError, OSError) as exc:
            raise InputError(f"{self.path}: cannot be read as a tab-separated table "
                             f"({type(exc).__name__})") from None


def _header(path: Path) -> tuple[list[str], int] | None:
    """The column names and the line they are on (comment lines skipped)."""
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            for lineno, line in enumerate(fh, 1):
                if line.startswith("#"):
                    continue
                if not line.strip() or "\t" not in line:
                    return None
                return [c.strip() for c in line.rstrip("\r\n").split("\t")], lineno
    except OSError:
        return None
    return None


MUTATION_NAME = re.compile(r"(data_mutations|.*\.maf$)", re.I)


def _check_columns(path: Path, cols: list[str], kind: str | None, line: int) -> None:
    """A file that names itself a mutation file must have the columns one needs; no table
    may name a sample twice (the second would silently be another sample)."""
    if kind != "mutations" and MUTATION_NAME.match(path.name):
        missing = [what for what, names in (("a gene column (Hugo_Symbol)", GENE_COLS),
                                            ("a sample column (Tumor_Sample_Barcode)",
                                             SAMPLE_COLS),
                                            ("a protein change or classification column "
                                             "(HGVSp_Short, Variant_Classification)",
                                             PROTEIN_COLS + CLASS_COLS))
                   if not _pick(cols, names)]
        raise InputError(f"{path}: a mutation (MAF) file without "
                         f"{' and '.join(missing) or 'the columns of one'} in its header "
                         f"(line {line})")
    named = [c for c in cols if c]
    if len(set(named)) != len(named):
        raise InputError(f"{path}:{line}: a column name appears twice in the header (a "
                         "sample id twice?)")


def classify(path: Path) -> Table | None:
    """What kind of study file this is, from its header (None: not one we read)."""
    if path.suffix.lower() not in (".txt", ".tsv", ".maf", ".tab") or path.name.startswith(
            "meta_"):
        return None
    found = _header(path)
    if not found:
        return None
    cols, line = found
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
        kind = None
    _check_columns(path, cols, kind, line)
    return Table(path, cols, kind, line) if kind else None


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
    matrix_sorted: list[str] | None = None
    order: dict[str, None] = field(default_factory=dict)
    _intern: dict[str, str] = field(default_factory=dict)

    def s(self, value: str) -> str:
        return self._intern.setdefault(value, value)

    def add(self, sample: str, alt: tuple) -> None:
        intern = self._intern.setdefault
        sample = intern(sample, sample)
        self.order.setdefault(sample, None)
        kind, gene, protein, exon, origin, partner = alt
        self.alterations.setdefault(sample, []).append((
            kind, intern(gene, gene), protein and intern(protein, protein), exon, origin,
            partner and intern(partner, partner)))


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


def _rows(df: pl.DataFrame, columns: Sequence[str | None]) -> Iterator[tuple]:
    """The rows of these columns (None for a column the file lacks)."""
    return df.select([pl.col(c) if c else pl.lit(None, pl.String).alias(f"_none{i}")
                      for i, c in enumerate(columns)]).iter_rows()


def read_mutations(t: Table, study: Study) -> None:
    gene_c, sample_c = _need(t, GENE_COLS, "gene"), _need(t, SAMPLE_COLS, "sample")
    prot_cols = [c for c in PROTEIN_COLS if c in t.columns]
    class_c, exon_c = _pick(t.columns, CLASS_COLS), _pick(t.columns, EXON_COLS)
    status_c = _pick(t.columns, STATUS_COLS)
    df = t.frame([gene_c, sample_c, *prot_cols, class_c, exon_c, status_c])
    df = df.filter(pl.col(gene_c).is_not_null() & pl.col(sample_c).is_not_null()
                   & (pl.col(gene_c) != "Unknown"))
    if class_c:
        df = df.filter(~pl.col(class_c).fill_null("").str.to_lowercase().is_in(
            sorted(SKIP_CLASSES)))
    if status_c:
        df = df.filter(~pl.col(status_c).fill_null("").str.to_lowercase().is_in(
            sorted(SKIP_STATUS)))
    proteins: dict[str | None, str | None] = {None: None}  # each distinct value read once
    exons: dict[str | None, int | None] = {None: None}
    for gene, sample, *rest in _rows(df, [gene_c, sample_c, *prot_cols, exon_c, status_c]):
        *prots, exon, status = rest
        protein = None
        for value in prots:
            if value not in proteins:
                proteins[value] = _protein(value)
            protein = proteins[value]
            if protein:
                break
        if exon not in exons:
            exons[exon] = _exon(exon)
        status = (status or "").lower()
        origin = status if status in ("somatic", "germline") else None
        study.add(sample, ("mutation", gene, protein, exons[exon], origin, None))


def _cna_kind(value: str | None) -> str | None:
    v = (value or "").strip().lower()
    return "amplification" if v in AMP else "deletion" if v in DEL else None


def read_cna_long(t: Table, study: Study) -> None:
    gene_c, sample_c = _need(t, GENE_COLS, "gene"), _need(t, SAMPLE_COLS, "sample")
    value_c = _need(t, CNA_COLS, "copy-number")
    df = t.frame([gene_c, sample_c, value_c]).drop_nulls([gene_c, sample_c, value_c])
    for gene, sample, value in _rows(df, [gene_c, sample_c, value_c]):
        kind = _cna_kind(value)
        if kind:
            study.add(sample, (kind, gene, None, None, None, None))


MATRIX_CHUNK = 2_000  # sample columns read per pass over a CNA matrix


def read_cna_matrix(t: Table, study: Study) -> None:
    """Genes x samples of discrete copy numbers (-2 .. 2); NA: the gene was not profiled.

    Read in passes of `MATRIX_CHUNK` sample columns, each turned into the few cells that
    matter (amplified, deleted, not profiled, not a number), so a matrix of tens of
    thousands of samples never sits in memory whole."""
    samples = [c for c in t.columns if c and c not in MATRIX_SKIP]
    genes: set[str] = set()
    missing: dict[str, set[str]] = {}
    for i in range(0, max(len(samples), 1), MATRIX_CHUNK):
        chunk = samples[i:i + MATRIX_CHUNK]
        df = t.frame(["Hugo_Symbol", *chunk]).filter(pl.col("Hugo_Symbol").is_not_null())
        genes.update(df.get_column("Hugo_Symbol").to_list())
        if not chunk:
            break
        cells = (df.unpivot(index=["_line", "Hugo_Symbol"], on=chunk, variable_name="sample",
                            value_name="value")
                 .with_columns(pl.col("value").cast(pl.Float64, strict=False).alias("n"))
                 .filter(pl.col("value").is_null() | pl.col("n").is_null()
                         | pl.col("n").is_in([2.0, -2.0])))
        del df
        bad = cells.filter(pl.col("value").is_not_null() & pl.col("n").is_null())
        if bad.height:
            line, sample = bad.sort("_line").select("_line", "sample").row(0)
            more = f", and {bad.height - 1} more" if bad.height > 1 else ""
            raise InputError(f"{t.path}:{line}: a CNA matrix cell that is not a number (column "
                             f"{t.columns.index(sample) + 1}; expected -2, -1, 0, 1, 2 or NA)"
                             f"{more}")
        for gene, sample, n in cells.filter(pl.col("n").is_not_null()).select(
                "Hugo_Symbol", "sample", "n").iter_rows():
            study.add(sample, ("amplification" if n > 0 else "deletion", gene, None, None,
                               None, None))
        for gene, sample in cells.filter(pl.col("value").is_null()).select(
                "Hugo_Symbol", "sample").iter_rows():
            missing.setdefault(sample, set()).add(gene)
    for s in samples:
        study.order.setdefault(study.s(s), None)
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
    sample_c = _need(t, SAMPLE_COLS, "sample")
    df = t.frame([sample_c, s1, s2]).drop_nulls([sample_c])
    for sample, a, b in _rows(df, [sample_c, s1, s2]):
        _fusion(study, sample, a, b)


def read_fusions(t: Table, study: Study) -> None:
    gene_c, sample_c = _pick(t.columns, GENE_COLS), _need(t, SAMPLE_COLS, "sample")
    fusion_c = _pick(t.columns, FUSION_COLS)
    seen: set[tuple[str, str, str | None]] = set()
    df = t.frame([sample_c, gene_c, fusion_c]).drop_nulls([sample_c])
    for sample, gene, fusion in _rows(df, [sample_c, gene_c, fusion_c]):
        parsed = _split_fusion(fusion or "")
        if parsed is None:
            continue
        a, b = parsed
        if b is None and not _na(gene) and gene != a:
            a, b = gene, a
        key = (sample, *sorted((a, b or "")))
        if key in seen:  # fusion files list a fusion once per gene
            continue
        seen.add(key)
        _fusion(study, sample, a, b)


def read_clinical(t: Table, study: Study) -> None:
    key = "SAMPLE_ID" if t.kind == "clinical_sample" else "PATIENT_ID"
    target = study.samples if t.kind == "clinical_sample" else study.patients
    df = t.frame(t.columns).drop_nulls([key])
    dup = df.filter(pl.col(key).is_duplicated()).sort("_line")
    if dup.height:
        what = "sample" if t.kind == "clinical_sample" else "patient"
        lines = dup.get_column("_line").to_list()
        raise InputError(f"{t.path}: the same {what} id on lines {lines[0]} and {lines[1]}"
                         + (f" ({dup.height - 2} more duplicate row(s))"
                            if dup.height > 2 else ""))
    names = [c for c in df.columns if c != "_line"]
    for row in df.select(names).iter_rows():
        values = {k: v for k, v in zip(names, row) if v is not None and k}
        ident = values[key]
        target[ident] = values
        if t.kind == "clinical_sample":
            study.order.setdefault(study.s(ident), None)


def read_panel_matrix(t: Table, study: Study) -> None:
    cols = [c for c in ("SAMPLE_ID", "mutations", "cna") if c in t.columns]
    df = t.frame(cols).drop_nulls(["SAMPLE_ID"])
    for sample, *panels in _rows(df, ["SAMPLE_ID", *cols[1:]]):
        panel = next((p for p in panels if p), None)
        if panel:
            study.sample_panel[sample] = panel


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
        missing = study.matrix_missing.get(sample)
        if missing is None:  # most samples: every gene of the matrix, sorted once
            if study.matrix_sorted is None:
                study.matrix_sorted = sorted(study.matrix_genes)
            return list(study.matrix_sorted)
        return sorted(study.matrix_genes - missing)
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
