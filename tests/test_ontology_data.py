"""Structural checks of the embedded ontology data files in ``ontologies/``.

These tests read the TSV files directly (standard library only, no trialmatch import) so that
they check the data itself, independently of the loader.  A second group of tests compares
our data with the official OncoTree and HGNC releases kept beside the project in
``../shared/data``; those tests are skipped, with a message, when that folder is absent.
"""

from __future__ import annotations

import csv
import json
import re
import warnings
from collections import Counter, defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGIES = ROOT / "ontologies"
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
ONCOTREE_JSON = SHARED_DATA / "oncotree" / "oncotree_2025_10_03.json"
HGNC_TSV = SHARED_DATA / "hgnc" / "hgnc_entries.tsv"

HEADERS = {
    "cancer_types.tsv": ["code", "name", "parent", "main_type", "tissue", "synonyms"],
    "genes.tsv": ["symbol", "name", "aliases", "previous", "families"],
    "gene_families.tsv": ["family", "name", "synonyms"],
    "drug_classes.tsv": ["id", "name", "parent", "synonyms"],
    "drugs.tsv": ["name", "brands", "classes", "targets", "synonyms"],
    "variant_groups.tsv": ["gene", "group", "name", "members", "synonyms"],
    "cancer_also.tsv": ["code", "also", "note"],
    "cancer_unspecified.tsv": ["code", "within", "note"],
    "cancer_stated.tsv": ["code", "note"],
    "cancer_defining.tsv": ["code", "gene", "type", "partner", "note"],
    "drug_class_also.tsv": ["id", "also", "note"],
}
MULTI_VALUED = {
    "cancer_types.tsv": ["synonyms"],
    "genes.tsv": ["aliases", "previous", "families"],
    "gene_families.tsv": ["synonyms"],
    "drug_classes.tsv": ["synonyms"],
    "drugs.tsv": ["brands", "classes", "targets", "synonyms"],
    "variant_groups.tsv": ["members", "synonyms"],
    "cancer_also.tsv": [],
    "cancer_unspecified.tsv": ["within"],
    "cancer_stated.tsv": [],
    "cancer_defining.tsv": [],
    "drug_class_also.tsv": [],
}
OUR_EXTRA_CODES = {"SOLID", "HEME"}
HEME_TISSUES = {"MYELOID", "LYMPH"}
SNAKE = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)*$")
MEMBER = re.compile(r"^(?:[A-Z]\d+(?:[A-Z]|X|fs)?|exon19del|exon20ins|exon14skip|ITD)$")


# --------------------------------------------------------------------------- helpers


def read_raw(name: str) -> tuple[list[str], list[list[str]]]:
    """Header and data rows of one TSV; '#' lines and blank lines are skipped."""
    text = (ONTOLOGIES / name).read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    header = lines[0].split("\t")
    return header, [ln.split("\t") for ln in lines[1:]]


def read_rows(name: str) -> list[dict[str, str]]:
    header, rows = read_raw(name)
    return [dict(zip(header, row)) for row in rows]


def split(cell: str) -> list[str]:
    return [v.strip() for v in cell.split("|")] if cell.strip() else []


def fold(text: str) -> str:
    return text.casefold()


def find_cycles(parent_of: dict[str, str]) -> list[str]:
    bad = []
    for start in parent_of:
        seen, node = set(), start
        while node:
            if node in seen:
                bad.append(start)
                break
            seen.add(node)
            node = parent_of.get(node, "")
    return bad


def duplicates(values) -> list:
    return sorted(v for v, n in Counter(values).items() if n > 1)


@pytest.fixture(scope="module")
def cancer():
    return read_rows("cancer_types.tsv")


@pytest.fixture(scope="module")
def genes():
    return read_rows("genes.tsv")


@pytest.fixture(scope="module")
def families():
    return read_rows("gene_families.tsv")


@pytest.fixture(scope="module")
def classes():
    return read_rows("drug_classes.tsv")


@pytest.fixture(scope="module")
def drugs():
    return read_rows("drugs.tsv")


@pytest.fixture(scope="module")
def variant_groups():
    return read_rows("variant_groups.tsv")


# --------------------------------------------------------------------------- file format


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_header_and_cells(name):
    header, rows = read_raw(name)
    assert header == HEADERS[name]
    problems = []
    for row in rows:
        if len(row) != len(header):
            problems.append(f"{len(row)} cells instead of {len(header)}: {row[:2]}")
            continue
        for col, cell in zip(header, row):
            if cell != cell.strip():
                problems.append(f"{row[0]}: surrounding whitespace in {col}")
        assert row[0], f"{name}: empty key cell in {row}"
        for col in MULTI_VALUED[name]:
            cell = row[header.index(col)]
            if not cell:
                continue
            values = cell.split("|")
            if any(not v.strip() or v != v.strip() for v in values):
                problems.append(f"{row[0]}: empty or padded value in {col}: {cell!r}")
            if duplicates(values):
                problems.append(f"{row[0]}: repeated value in {col}: {duplicates(values)}")
    assert not problems, f"{name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_utf8_without_bom_and_csv_readable(name):
    raw = (ONTOLOGIES / name).read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), "no byte-order mark"
    assert b"\r" not in raw, "Unix line endings"
    lines = [ln for ln in raw.decode("utf-8").splitlines() if ln and not ln.startswith("#")]
    reader = csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    widths = {len(r) for r in reader}
    assert widths == {len(HEADERS[name])}


def test_readme_exists():
    text = (ONTOLOGIES / "README.md").read_text(encoding="utf-8")
    for name in HEADERS:
        assert name in text
    assert "trialmatch ontology import" in text


# --------------------------------------------------------------------------- cancer types


def test_cancer_codes_unique_and_counted(cancer):
    codes = [r["code"] for r in cancer]
    assert not duplicates(codes)
    oncotree_codes = [c for c in codes if c not in OUR_EXTRA_CODES]
    assert len(oncotree_codes) >= 250, len(oncotree_codes)
    for code in codes:
        assert re.fullmatch(r"[A-Z0-9_/]+", code), code


def test_cancer_tree_shape(cancer):
    by_code = {r["code"]: r for r in cancer}
    roots = [r["code"] for r in cancer if not r["parent"]]
    assert roots == ["TISSUE"]
    missing = sorted(
        f"{r['code']}->{r['parent']}" for r in cancer if r["parent"] and r["parent"] not in by_code
    )
    assert not missing, f"unknown parents: {missing}"
    assert not find_cycles({r["code"]: r["parent"] for r in cancer})
    assert by_code["SOLID"]["parent"] == "TISSUE"
    assert by_code["HEME"]["parent"] == "TISSUE"
    tissues = {r["code"] for r in cancer if r["parent"] in OUR_EXTRA_CODES}
    assert tissues >= HEME_TISSUES
    children_of_tissue = [r["code"] for r in cancer if r["parent"] == "TISSUE"]
    assert sorted(children_of_tissue) == ["HEME", "SOLID"]
    for code in tissues:
        expected = "HEME" if code in HEME_TISSUES else "SOLID"
        assert by_code[code]["parent"] == expected, code


def test_cancer_tissue_column_matches_ancestry(cancer):
    by_code = {r["code"]: r for r in cancer}
    wrong = []
    for row in cancer:
        node, tissue = row["code"], ""
        while node and node not in ("TISSUE", *OUR_EXTRA_CODES):
            if by_code[node]["parent"] in OUR_EXTRA_CODES:
                tissue = node
            node = by_code[node]["parent"]
        if row["tissue"] != tissue:
            wrong.append(f"{row['code']}: tissue {row['tissue']!r}, expected {tissue!r}")
    assert not wrong, "\n".join(wrong)


def test_cancer_names_and_main_types_filled(cancer):
    for row in cancer:
        assert row["name"], row["code"]
        if row["code"] not in ("TISSUE", *OUR_EXTRA_CODES):
            assert row["main_type"], row["code"]


def test_cancer_synonyms_are_unambiguous(cancer):
    owner: dict[str, set[str]] = defaultdict(set)
    codes = {fold(r["code"]): r["code"] for r in cancer}
    # a code its own type does not list among its names is an internal id, not text: another
    # type may own it as a name ("PTCL" in trial text is the mature T-cell lymphomas, while
    # OncoTree's PTCL is only their NOS type); a patient file's code still reads as the code
    written = {fold(r["code"]) for r in cancer if fold(r["code"]) in {fold(s) for s in split(r["synonyms"])}}
    clashes = []
    for row in cancer:
        for syn in split(row["synonyms"]):
            owner[fold(syn)].add(row["code"])
            other = codes.get(fold(syn))
            if other and other != row["code"] and fold(syn) in written:
                clashes.append(f"{row['code']}: synonym {syn!r} is the code {other}")
    clashes += [f"{syn!r} used by {sorted(c)}" for syn, c in owner.items() if len(c) > 1]
    assert not clashes, "\n".join(sorted(clashes))


def test_common_cancer_types_present(cancer):
    codes = {r["code"] for r in cancer}
    expected = {
        "LUAD",
        "LUSC",
        "NSCLC",
        "SCLC",
        "BRCA",
        "IDC",
        "ILC",
        "COADREAD",
        "COAD",
        "READ",
        "AML",
        "MDS",
        "PCM",
        "DLBCLNOS",
        "CLLSLL",
        "GB",
        "MEL",
        "SKCM",
        "PAAD",
        "PRAD",
        "BLCA",
        "HCC",
        "CHOL",
        "STAD",
        "ESCA",
        "ESCC",
        "HGSOC",
        "UCEC",
        "CESC",
        "HNSC",
        "THPA",
        "RCC",
        "CCRCC",
        "GIST",
        "LMS",
        "PLMESO",
        "UM",
        "MCC",
        "NBL",
        "WT",
        "ES",
        "OS",
    }
    assert not expected - codes, sorted(expected - codes)


# --------------------------------------------------------------------------- genes and families


def test_gene_symbols_unique_and_counted(genes):
    symbols = [r["symbol"] for r in genes]
    assert not duplicates(symbols)
    assert not duplicates(fold(s) for s in symbols)
    assert len(symbols) >= 700, len(symbols)
    for row in genes:
        assert row["name"], row["symbol"]


def test_gene_aliases_do_not_shadow_other_genes(genes):
    symbols = {fold(r["symbol"]): r["symbol"] for r in genes}
    offenders = []
    for row in genes:
        for col in ("aliases", "previous"):
            for alias in split(row[col]):
                other = symbols.get(fold(alias))
                if other and other != row["symbol"]:
                    offenders.append(f"{row['symbol']} {col} {alias!r} is the symbol of {other}")
    assert not offenders, "\n".join(offenders)


def test_gene_aliases_are_unambiguous(genes):
    owner: dict[str, set[str]] = defaultdict(set)
    for row in genes:
        for alias in split(row["aliases"]) + split(row["previous"]):
            if fold(alias) != fold(row["symbol"]):
                owner[fold(alias)].add(row["symbol"])
    clashes = sorted(f"{a!r} used by {sorted(s)}" for a, s in owner.items() if len(s) > 1)
    assert not clashes, "\n".join(clashes)


def test_gene_families(genes, families):
    ids = [r["family"] for r in families]
    assert not duplicates(ids)
    known = set(ids)
    unknown = sorted({f for r in genes for f in split(r["families"])} - known)
    assert not unknown, f"families used by genes but not defined: {unknown}"
    members = Counter(f for r in genes for f in split(r["families"]))
    empty = sorted(f for f in known if not members[f])
    assert not empty, f"families without member genes: {empty}"
    gene_terms = {fold(r["symbol"]) for r in genes}
    gene_terms |= {fold(a) for r in genes for a in split(r["aliases"]) + split(r["previous"])}
    collisions = sorted(f for f in ids if fold(f) in gene_terms)
    assert not collisions, f"family ids equal to gene symbols/aliases: {collisions}"
    syn_owner: dict[str, set[str]] = defaultdict(set)
    for row in families:
        assert row["name"], row["family"]
        for syn in split(row["synonyms"]):
            syn_owner[fold(syn)].add(row["family"])
    clashes = sorted(f"{s!r}: {sorted(f)}" for s, f in syn_owner.items() if len(f) > 1)
    assert not clashes, clashes
    shadowing = sorted(s for s in syn_owner if s in gene_terms)
    assert not shadowing, f"family synonyms equal to gene symbols/aliases: {shadowing}"


def test_required_families(genes):
    members: dict[str, set[str]] = defaultdict(set)
    for row in genes:
        for fam in split(row["families"]):
            members[fam].add(row["symbol"])
    expected = {
        "RAS": {"KRAS", "NRAS", "HRAS"},
        "NTRK": {"NTRK1", "NTRK2", "NTRK3"},
        "BRCA": {"BRCA1", "BRCA2"},
        "FGFR": {"FGFR1", "FGFR2", "FGFR3", "FGFR4"},
        "IDH": {"IDH1", "IDH2"},
        "ERBB": {"EGFR", "ERBB2", "ERBB3", "ERBB4"},
        "MMR": {"MLH1", "MSH2", "MSH6", "PMS2"},
        "RAF": {"ARAF", "BRAF", "RAF1"},
        "CDK4_6": {"CDK4", "CDK6"},
        "AKT": {"AKT1", "AKT2", "AKT3"},
        "TSC": {"TSC1", "TSC2"},
        "NF": {"NF1", "NF2"},
        "HRR": {
            "BRCA1",
            "BRCA2",
            "ATM",
            "PALB2",
            "CHEK2",
            "RAD51C",
            "RAD51D",
            "BARD1",
            "BRIP1",
            "CDK12",
            "CHEK1",
            "FANCL",
            "RAD51B",
            "RAD54L",
        },
    }
    for fam, genes_expected in expected.items():
        assert members[fam] == genes_expected, (fam, sorted(members[fam] ^ genes_expected))


def test_key_gene_aliases(genes):
    aliases = {r["symbol"]: {fold(a) for a in split(r["aliases"])} for r in genes}
    previous = {r["symbol"]: set(split(r["previous"])) for r in genes}
    for symbol, alias in [
        ("ERBB2", "HER2"),
        ("CD274", "PD-L1"),
        ("PDCD1", "PD-1"),
        ("MET", "c-MET"),
        ("ERBB3", "HER3"),
        ("TACSTD2", "TROP2"),
        ("NTRK1", "TRKA"),
        ("ESR1", "ER"),
        ("PGR", "PR"),
    ]:
        assert fold(alias) in aliases[symbol], (symbol, alias)
    assert "MLL" in previous["KMT2A"]
    assert "WHSC1" in previous["NSD2"]
    assert "H3F3A" in previous["H3-3A"]


# --------------------------------------------------------------------------- drug classes and drugs


def test_drug_classes(classes):
    ids = [r["id"] for r in classes]
    assert not duplicates(ids)
    bad = [i for i in ids if not SNAKE.match(i)]
    assert not bad, bad
    known = set(ids)
    missing = sorted(
        f"{r['id']}->{r['parent']}" for r in classes if r["parent"] and r["parent"] not in known
    )
    assert not missing, missing
    assert not find_cycles({r["id"]: r["parent"] for r in classes})
    owner: dict[str, set[str]] = defaultdict(set)
    for row in classes:
        assert row["name"], row["id"]
        for syn in split(row["synonyms"]):
            owner[fold(syn)].add(row["id"])
    clashes = sorted(f"{s!r}: {sorted(c)}" for s, c in owner.items() if len(c) > 1)
    assert not clashes, "\n".join(clashes)


def test_required_drug_class_parents(classes):
    parent = {r["id"]: r["parent"] for r in classes}
    assert parent["third_gen_egfr_tki"] == "egfr_tki"
    assert parent["pd1_inhibitor"] == "pd1_pdl1_inhibitor"
    assert parent["pdl1_inhibitor"] == "pd1_pdl1_inhibitor"
    assert parent["pd1_pdl1_inhibitor"] == "immune_checkpoint_inhibitor"

    def ancestors(cid):
        out = []
        while parent.get(cid):
            cid = parent[cid]
            out.append(cid)
        return out

    for cid in ("aromatase_inhibitor", "serd", "antiandrogen"):
        assert "endocrine_therapy" in ancestors(cid), cid
    # "anti-estrogen therapy" in breast cancer trials takes the aromatase inhibitors too
    assert "antiestrogen" in ancestors("aromatase_inhibitor")
    for cid in (
        "platinum",
        "taxane",
        "anthracycline",
        "fluoropyrimidine",
        "antimetabolite",
        "alkylating_agent",
        "topoisomerase_inhibitor",
    ):
        assert "chemotherapy" in ancestors(cid), cid
    for cid in (
        "tki",
        "egfr_tki",
        "alk_inhibitor",
        "ros1_inhibitor",
        "ret_inhibitor",
        "trk_inhibitor",
        "met_inhibitor",
        "kras_g12c_inhibitor",
        "braf_inhibitor",
        "mek_inhibitor",
        "her2_targeted",
        "her2_adc",
        "anti_egfr_antibody",
        "ctla4_inhibitor",
        "parp_inhibitor",
        "cdk46_inhibitor",
        "pi3k_inhibitor",
        "akt_inhibitor",
        "mtor_inhibitor",
        "fgfr_inhibitor",
        "idh1_inhibitor",
        "idh2_inhibitor",
        "flt3_inhibitor",
        "menin_inhibitor",
        "bcl2_inhibitor",
        "btk_inhibitor",
        "hypomethylating_agent",
        "vegf_inhibitor",
        "anti_angiogenic",
        "multikinase_inhibitor",
        "antibody_drug_conjugate",
        "bispecific",
        "car_t",
        "kinase_inhibitor",
    ):
        assert cid in parent, cid


def test_drugs(drugs, classes, genes):
    names = [r["name"] for r in drugs]
    assert not duplicates(names)
    assert len(names) >= 300, len(names)
    assert all(n == n.lower() for n in names), [n for n in names if n != n.lower()]
    class_ids = {r["id"] for r in classes}
    symbols = {r["symbol"] for r in genes}
    problems = []
    for row in drugs:
        if not split(row["classes"]):
            problems.append(f"{row['name']}: no class")
        for cid in split(row["classes"]):
            if cid not in class_ids:
                problems.append(f"{row['name']}: unknown class {cid}")
        for target in split(row["targets"]):
            if target not in symbols:
                problems.append(f"{row['name']}: target {target} not in genes.tsv")
    assert not problems, "\n".join(problems)


def test_drug_terms_are_unambiguous(drugs, classes):
    names = {fold(r["name"]): r["name"] for r in drugs}
    owner: dict[str, set[str]] = defaultdict(set)
    for row in drugs:
        for term in [row["name"]] + split(row["brands"]) + split(row["synonyms"]):
            owner[fold(term)].add(row["name"])
    problems = [f"{t!r} used by {sorted(d)}" for t, d in owner.items() if len(d) > 1]
    for row in drugs:
        for brand in split(row["brands"]):
            other = names.get(fold(brand))
            if other and other != row["name"]:
                problems.append(f"brand {brand!r} of {row['name']} is the drug {other}")
    class_terms = {fold(r["id"]) for r in classes}
    class_terms |= {fold(s) for r in classes for s in split(r["synonyms"])}
    problems += [f"drug term {t!r} is also a drug class term" for t in owner if t in class_terms]
    assert not problems, "\n".join(sorted(problems))


def test_key_drugs(drugs):
    by_name = {r["name"]: r for r in drugs}
    assert "Tagrisso" in split(by_name["osimertinib"]["brands"])
    assert "AZD9291" in split(by_name["osimertinib"]["synonyms"])
    assert "third_gen_egfr_tki" in split(by_name["osimertinib"]["classes"])
    assert "EGFR" in split(by_name["osimertinib"]["targets"])
    assert "pd1_inhibitor" in split(by_name["pembrolizumab"]["classes"])
    assert "kras_g12c_inhibitor" in split(by_name["sotorasib"]["classes"])


# --------------------------------------------------------------------------- variant groups


def test_variant_groups(variant_groups, genes):
    symbols = {r["symbol"] for r in genes}
    keys = [(r["gene"], r["group"]) for r in variant_groups]
    assert not duplicates(keys)
    problems = []
    by_gene: dict[str, list[dict]] = defaultdict(list)
    for row in variant_groups:
        by_gene[row["gene"]].append(row)
        if row["gene"] not in symbols:
            problems.append(f"{row['gene']}: not in genes.tsv")
        if not SNAKE.match(row["group"]):
            problems.append(f"{row['gene']}/{row['group']}: group id is not lower_snake_case")
        if not row["name"]:
            problems.append(f"{row['gene']}/{row['group']}: no name")
        members = split(row["members"])
        if not members:
            problems.append(f"{row['gene']}/{row['group']}: no members")
        for member in members:
            if not MEMBER.match(member):
                problems.append(f"{row['gene']}/{row['group']}: bad member {member!r}")
    for gene, rows in by_gene.items():
        owner: dict[str, set[str]] = defaultdict(set)
        group_ids = {r["group"] for r in rows}
        for row in rows:
            for syn in split(row["synonyms"]):
                owner[fold(syn)].add(row["group"])
                if syn in group_ids and syn != row["group"]:
                    problems.append(f"{gene}/{row['group']}: synonym {syn!r} is another group id")
        problems += [
            f"{gene}: synonym {s!r} used by {sorted(g)}" for s, g in owner.items() if len(g) > 1
        ]
    assert not problems, "\n".join(problems)


def test_required_variant_groups(variant_groups):
    groups = {(r["gene"], r["group"]): set(split(r["members"])) for r in variant_groups}
    assert groups[("EGFR", "sensitizing")] == {"exon19del", "L858R", "G719X", "L861Q", "S768I"}
    assert groups[("EGFR", "common")] == {"exon19del", "L858R"}
    assert groups[("EGFR", "uncommon")] == {"G719X", "L861Q", "S768I"}
    assert groups[("EGFR", "exon20ins")] == {"exon20ins"}
    assert groups[("BRAF", "v600")] == {"V600"}
    assert groups[("KRAS", "g12c")] == {"G12C"}
    assert groups[("KRAS", "g12")] == {"G12"}
    assert groups[("IDH1", "r132")] == {"R132"}
    assert groups[("FLT3", "itd")] == {"ITD"}
    assert groups[("MET", "exon14")] == {"exon14skip"}
    assert {"E542K", "E545K", "H1047R"} <= groups[("PIK3CA", "hotspot")]


# --------------------------------------------------------------------------- official sources


def _flatten_oncotree(node: dict, out: dict) -> None:
    out[node["code"]] = node
    for child in (node.get("children") or {}).values():
        _flatten_oncotree(child, out)


@pytest.fixture(scope="module")
def oncotree():
    if not ONCOTREE_JSON.exists():
        pytest.skip(f"official OncoTree release not available ({ONCOTREE_JSON} is absent)")
    data = json.loads(ONCOTREE_JSON.read_text(encoding="utf-8"))
    nodes: dict[str, dict] = {}
    _flatten_oncotree(data["TISSUE"], nodes)
    return nodes


@pytest.fixture(scope="module")
def hgnc():
    if not HGNC_TSV.exists():
        pytest.skip(f"official HGNC table not available ({HGNC_TSV} is absent)")
    with HGNC_TSV.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    # the table also lists withdrawn symbols; only approved entries count
    return {r["Approved symbol"]: r for r in rows if r.get("Status", "Approved") == "Approved"}


def test_cancer_codes_exist_in_oncotree(cancer, oncotree):
    ours = [r["code"] for r in cancer if r["code"] not in OUR_EXTRA_CODES]
    unknown = sorted(c for c in ours if c not in oncotree)
    assert not unknown, f"codes not in OncoTree 2025: {unknown}"


def test_cancer_parents_match_oncotree(cancer, oncotree):
    wrong = []
    for row in cancer:
        code = row["code"]
        if code in OUR_EXTRA_CODES or code == "TISSUE" or code not in oncotree:
            continue
        if row["parent"] in OUR_EXTRA_CODES:  # our tissue nodes hang under SOLID / HEME
            if oncotree[code].get("parent") != "TISSUE":
                wrong.append(f"{code} is not a tissue in OncoTree")
            continue
        official = oncotree[code].get("parent")
        if row["parent"] != official:
            wrong.append(f"{code}: parent {row['parent']}, OncoTree says {official}")
    assert not wrong, "\n".join(wrong)


def test_cancer_names_resemble_oncotree(cancer, oncotree):
    """Our names are our own wording; a name sharing few words with the official one usually
    means the code was given the wrong meaning.  Reported as a warning, not a failure."""
    stop = {"the", "of", "and", "a", "with", "nos", "type", "or"}

    def words(text):
        return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in stop}

    odd = []
    for row in cancer:
        node = oncotree.get(row["code"])
        if node is None or row["code"] in OUR_EXTRA_CODES:
            continue
        ours, theirs = words(row["name"]), words(node.get("name") or "")
        if ours and theirs and len(ours & theirs) / len(ours | theirs) < 0.3:
            odd.append(f"{row['code']}: {row['name']!r} vs {node.get('name')!r}")
    if odd:
        warnings.warn("names far from OncoTree:\n" + "\n".join(odd), stacklevel=1)


def test_every_oncotree_tissue_present(cancer, oncotree):
    ours = {r["code"] for r in cancer}
    tissues = {c for c, n in oncotree.items() if n.get("parent") == "TISSUE"}
    assert not tissues - ours, sorted(tissues - ours)


def test_gene_symbols_are_approved_hgnc_symbols(genes, hgnc):
    not_approved = sorted(r["symbol"] for r in genes if r["symbol"] not in hgnc)
    assert not not_approved, f"not HGNC approved symbols: {not_approved}"


def test_previous_symbols_agree_with_hgnc(genes, hgnc):
    wrong = []
    for row in genes:
        entry = hgnc.get(row["symbol"])
        if entry is None:
            continue
        official = {s.strip() for s in (entry.get("Previous symbols") or "").split(",")}
        official |= {s.strip() for s in (entry.get("Alias symbols") or "").split(",")}
        for prev in split(row["previous"]):
            if prev not in official:
                wrong.append(f"{row['symbol']}: {prev} is not a previous/alias symbol in HGNC")
    assert not wrong, "\n".join(wrong)


def test_aliases_are_not_other_approved_symbols(genes, hgnc):
    approved = {fold(s): s for s in hgnc}
    offenders = []
    for row in genes:
        for alias in split(row["aliases"]) + split(row["previous"]):
            other = approved.get(fold(alias))
            if other and other != row["symbol"]:
                offenders.append(f"{row['symbol']}: {alias!r} is the approved symbol of {other}")
    assert not offenders, "\n".join(offenders)


def test_extra_is_a_links_stay_in_one_tissue(cancer):
    """`cancer_also.tsv`: each link joins two of our codes of one tissue that OncoTree keeps
    on separate branches, with a note saying why."""
    parent = {r["code"]: r["parent"] for r in cancer}
    tissue = {r["code"]: r["tissue"] for r in cancer}

    def chain(code):
        out = []
        while code:
            out.append(code)
            code = parent.get(code, "")
        return out
    rows = read_rows("cancer_also.tsv")
    assert len(rows) >= 10
    for row in rows:
        code, also = row["code"], row["also"]
        assert code in parent and also in parent, row
        assert also not in chain(code) and code not in chain(also), row
        assert tissue[code] == tissue[also], row
        assert len(row["note"].split()) >= 3, row
