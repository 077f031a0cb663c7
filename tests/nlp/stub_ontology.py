"""A small in-memory ontology with the API the parser uses, so parser tests do not depend on
the contents of the embedded ontology files."""

from __future__ import annotations

GENES = ["EGFR", "ERBB2", "KRAS", "NRAS", "HRAS", "BRAF", "ALK", "ROS1", "RET", "MET", "NTRK1",
         "NTRK2", "NTRK3", "BRCA1", "BRCA2", "PALB2", "ATM", "TP53", "PIK3CA", "FLT3", "IDH1",
         "IDH2", "CD274", "ESR1", "PGR", "PTPN11", "STK11", "KEAP1", "CDKN2A", "FGFR2", "EML4",
         "BCR", "ABL1", "CD19", "MLH1", "MSH2", "MSH6", "PMS2", "CCNE1", "NF1", "RAD51C",
         "RAD51D", "ARID1A", "ARID1B"]
FAMILIES = {"RAS": ["KRAS", "NRAS", "HRAS"], "NTRK": ["NTRK1", "NTRK2", "NTRK3"],
            "BRCA": ["BRCA1", "BRCA2"]}
ALIASES = {"HER2": "ERBB2", "PD-L1": "CD274", "PDL1": "CD274"}
CANCERS = {"non-small cell lung cancer": "NSCLC", "nsclc": "NSCLC", "breast cancer": "BREAST",
           "melanoma": "MEL", "colorectal cancer": "COADREAD", "lung adenocarcinoma": "LUAD"}
DRUGS = {"osimertinib": "osimertinib", "egfr tki": "egfr_tki", "egfr-tki": "egfr_tki",
         "kras g12c inhibitor": "kras_g12c_inhibitor", "sotorasib": "sotorasib"}


class StubOntology:
    def gene_lexicon(self) -> dict[str, str]:
        lex = {g: g for g in GENES}
        lex.update({f: f for f in FAMILIES})
        lex.update(ALIASES)
        return lex

    def gene_symbol(self, text: str) -> str | None:
        return {k.lower(): v for k, v in self.gene_lexicon().items()}.get(text.lower())

    def cancer_lexicon(self) -> dict[str, str]:
        return dict(CANCERS)

    def cancer_code(self, text: str) -> str | None:
        return CANCERS.get(text.lower())

    def drug_lexicon(self) -> dict[str, str]:
        return dict(DRUGS)

    def drug_concept(self, text: str) -> str | None:
        return DRUGS.get(text.lower())

    def variant_group_lexicon(self, gene: str) -> dict[str, str]:
        return {}


STUB = StubOntology()
