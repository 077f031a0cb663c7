"""Matching through the graph: is-a for cancer types, variant groups, drug classes and
gene families, with the SQL matcher and the reference evaluator agreeing on every case."""

from __future__ import annotations

from ontology_helpers import make_patient, statuses, trial

from trialmatch.ontology import HEME, SOLID


def test_an_nsclc_trial_matches_a_luad_patient(ontology):
    p = make_patient(ontology, diagnosis={"oncotree": "LUAD"})
    got = statuses(ontology, [trial("T-NSCLC", "diagnosis(NSCLC)")], [p])
    assert got[("P-T", "T-NSCLC")] == "eligible"
    assert ontology.cancer_path("LUAD", "NSCLC") == ["LUAD", "NSCLC"]


def test_a_subtype_oncotree_files_beside_its_type_still_counts_as_that_type(ontology):
    """`cancer_also.tsv`: a signet ring cell gastric carcinoma sits under the undifferentiated
    stomach adenocarcinoma, beside STAD; the epithelioid uterine leiomyosarcoma sits beside
    the uterine leiomyosarcoma."""
    ring = make_patient(ontology, id="P-RING", diagnosis={"oncotree": "SSRCC"})
    ulms = make_patient(ontology, id="P-ULMS", diagnosis={"oncotree": "UELMS"})
    got = statuses(ontology, [trial("T-STAD", "diagnosis(STAD)"),
                              trial("T-ULMS", "diagnosis(ULMS)"),
                              trial("T-DSTAD", "diagnosis(DSTAD)")], [ring, ulms])
    assert got[("P-RING", "T-STAD")] == "eligible"
    assert got[("P-ULMS", "T-ULMS")] == "eligible"
    assert got[("P-RING", "T-DSTAD")] == "ineligible"  # a sibling subtype stays apart
    assert got[("P-ULMS", "T-STAD")] == "ineligible"
    assert ontology.cancer_path("SSRCC", "STAD") == ["SSRCC", "USTAD", "STAD"]
    assert ontology.cancer_path("UELMS", "ULMS") == ["UELMS", "ULMS"]
    assert ontology.tissue_of("UELMS") == "UTERUS"  # the OncoTree chain decides the tissue


def test_skin_melanoma_subtypes_count_as_cutaneous_melanoma(ontology):
    """Acral and lentigo maligna melanomas sit beside the cutaneous melanoma in OncoTree, but
    they are melanomas of the skin; a mucosal melanoma is not."""
    patients = [make_patient(ontology, id=f"P-{code}", diagnosis={"oncotree": code})
                for code in ("ACRM", "SKLMM", "HNMUCM")]
    got = statuses(ontology, [trial("T-SKCM", "diagnosis(SKCM)")], patients)
    assert got[("P-ACRM", "T-SKCM")] == "eligible"
    assert got[("P-SKLMM", "T-SKCM")] == "eligible"
    assert got[("P-HNMUCM", "T-SKCM")] == "ineligible"


def test_extra_is_a_links_are_checked(ontology):
    from trialmatch.ontology.load import Row, table_problems
    from trialmatch.ontology.stored import embedded_tables

    def problems(*links):
        rows = [Row(i + 1, {"code": c, "also": a, "note": "test"}, "also.tsv")
                for i, (c, a) in enumerate(links)]
        return table_problems({**embedded_tables(), "cancer_also": rows})
    assert problems(("USTAD", "STAD")) == []
    assert "unknown cancer code 'NOPE'" in problems(("NOPE", "STAD"))[0]
    assert "already above" in problems(("LUAD", "NSCLC"))[0]
    assert "cycle" in problems(("USTAD", "STAD"), ("STAD", "USTAD"))[-1]
    assert "joins two tissues" in problems(("ULMS", "LMS"))[0]


def test_a_code_of_unstated_subtype_leaves_the_subtypes_of_its_group_unknown(ontology):
    """`cancer_unspecified.tsv`: "glioma, NOS" and "sarcoma, NOS" sit beside the subtypes
    they leave open; a trial asking for one of those subtypes cannot tell, one asking for
    another group or another tissue still excludes the patient."""
    glioma = make_patient(ontology, id="P-GNOS", diagnosis={"oncotree": "GNOS"})
    sarcoma = make_patient(ontology, id="P-SARC", diagnosis={"oncotree": "SARCNOS"})
    breast = make_patient(ontology, id="P-BRNOS", diagnosis={"oncotree": "BRCANOS"})
    got = statuses(ontology, [trial("T-EPM", "diagnosis(EPM)"),
                              trial("T-PAST", "diagnosis(PAST)"),
                              trial("T-MNGT", "diagnosis(MNGT)"),
                              trial("T-LMS", "diagnosis(LMS)"),
                              trial("T-ILC", "diagnosis(ILC)"),
                              trial("T-BRCA", "diagnosis(BRCA)")], [glioma, sarcoma, breast])
    assert got[("P-GNOS", "T-EPM")] == "possible"
    assert got[("P-GNOS", "T-PAST")] == "possible"
    assert got[("P-GNOS", "T-MNGT")] == "ineligible"  # a meningioma is no glioma
    assert got[("P-SARC", "T-LMS")] == "possible"
    assert got[("P-SARC", "T-ILC")] == "ineligible"
    assert got[("P-BRNOS", "T-ILC")] == "possible"
    assert got[("P-BRNOS", "T-BRCA")] == "eligible"
    assert got[("P-BRNOS", "T-LMS")] == "ineligible"
    assert ontology.cancer_link("ILC", "BRCANOS") == ("coarser", None)


def test_a_broader_code_is_not_a_subtype_records_always_name(ontology):
    """`cancer_stated.tsv`: a record that says only "AML" is not acute promyelocytic
    leukaemia, which is named whenever a patient has it: a trial ruling it out takes the
    patient, one requiring it does not (both matchers); other AML subtypes stay unknown."""
    aml = make_patient(ontology, id="P-AML", diagnosis={"oncotree": "AML"})
    apl = make_patient(ontology, id="P-APL", diagnosis={"oncotree": "APLPMLRARA"})
    got = statuses(ontology, [trial("T-NO-APL", "all(diagnosis(AML), not(diagnosis(APLPMLRARA)))"),
                              trial("T-APL", "diagnosis(APLPMLRARA)"),
                              trial("T-MRC", "diagnosis(AMLMRC)")], [aml, apl])
    assert got[("P-AML", "T-NO-APL")] == "eligible"
    assert got[("P-AML", "T-APL")] == "ineligible"
    assert got[("P-AML", "T-MRC")] == "possible"
    assert got[("P-APL", "T-NO-APL")] == "ineligible"
    assert got[("P-APL", "T-APL")] == "eligible"
    assert ontology.cancer_relation("APLPMLRARA", "AML") == 0
    assert ontology.cancer_link("APLPMLRARA", "AML") == ("unrelated", None)
    assert ("AML", "APLPMLRARA") in ontology.stated_rows()


def test_stated_subtypes_are_checked(ontology):
    from trialmatch.ontology.load import Row, table_problems
    from trialmatch.ontology.stored import embedded_tables

    def problems(*codes):
        rows = [Row(i, {"code": c, "note": "test"}, "s.tsv") for i, c in enumerate(codes, 1)]
        return table_problems({**embedded_tables(), "cancer_stated": rows})
    assert problems("APLPMLRARA") == []
    assert "unknown cancer code 'NOPE'" in problems("NOPE")[0]
    assert "listed twice" in problems("APLPMLRARA", "APLPMLRARA")[0]
    assert "no broader code" in problems("TISSUE")[0]


def test_codes_of_unstated_subtype_are_checked(ontology):
    from trialmatch.ontology.load import Row, table_problems
    from trialmatch.ontology.stored import embedded_tables

    def problems(code, *within):
        row = Row(1, {"code": code, "within": list(within), "note": "test"}, "u.tsv")
        return table_problems({**embedded_tables(), "cancer_unspecified": [row]})
    assert problems("GNOS", "DIFG", "ENCG") == []
    assert "unknown cancer code 'NOPE'" in problems("GNOS", "NOPE")[0]
    assert "names no group" in problems("GNOS")[0]
    assert "or above it" in problems("BRCA", "BRCA")[0]
    assert "or above it" in problems("BRCA", "IDC")[0]
    assert "two tissues" in problems("GNOS", "LMS")[0]


def test_a_patient_coded_more_coarsely_than_the_trial_is_possible(ontology):
    lung = make_patient(ontology, id="P-LUNG", diagnosis={"oncotree": "LUNG"})
    breast = make_patient(ontology, id="P-BRCA", diagnosis={"oncotree": "BRCA"})
    got = statuses(ontology, [trial("T-LUAD", "diagnosis(LUAD)"),
                              trial("T-LUNG", "diagnosis(LUNG)")], [lung, breast])
    assert got[("P-LUNG", "T-LUAD")] == "possible"
    assert got[("P-LUNG", "T-LUNG")] == "eligible"
    assert got[("P-BRCA", "T-LUAD")] == "ineligible"


def test_any_solid_tumour_matches_every_solid_tumour_and_no_leukaemia(ontology):
    solid = sorted(c for c in ontology.cancers
                   if SOLID in ontology.cancer_ancestors(c) and c != SOLID)
    heme = sorted(c for c in ontology.cancers
                  if HEME in ontology.cancer_ancestors(c) and c != HEME)
    assert len(solid) >= 5 and "AML" in heme
    people = [make_patient(ontology, id=c, diagnosis={"oncotree": c}) for c in solid + heme]
    got = statuses(ontology, [trial("T-SOLID", "diagnosis(SOLID)")], people)
    assert {c for c in solid if got[(c, "T-SOLID")] != "eligible"} == set()
    assert {c for c in heme if got[(c, "T-SOLID")] != "ineligible"} == set()


def test_egfr_sensitizing_mutation_matches_l858r_and_not_t790m(ontology):
    group = ontology.variant_group("EGFR", "sensitizing")
    assert group is not None and "L858R" in group
    people = [make_patient(ontology, id=f"P-{prot}", alterations=[
        {"gene": "EGFR", "type": "mutation", "protein": prot, "exon": exon}])
        for prot, exon in (("p.L858R", 21), ("p.E746_A750del", 19), ("p.T790M", 20))]
    got = statuses(ontology, [trial("T-SENS", "alteration(EGFR, mutation, "
                                              "variant=sensitizing)")], people)
    assert got[("P-p.L858R", "T-SENS")] == "eligible"
    assert got[("P-p.E746_A750del", "T-SENS")] == "eligible"
    assert got[("P-p.T790M", "T-SENS")] == "ineligible"


def test_prior_egfr_tki_matches_osimertinib_by_name_and_brand(ontology):
    people = [make_patient(ontology, id=f"P-{d}", prior_therapies=[d])
              for d in ("osimertinib", "Tagrisso", "carboplatin")]
    got = statuses(ontology, [trial("T-TKI", "prior(egfr_tki)"),
                              trial("T-NAIVE", "not(prior(egfr_tki))")], people)
    assert got[("P-osimertinib", "T-TKI")] == got[("P-Tagrisso", "T-TKI")] == "eligible"
    assert got[("P-carboplatin", "T-TKI")] == "ineligible"
    assert got[("P-osimertinib", "T-NAIVE")] == "ineligible"
    assert ontology.drug_class_path("osimertinib", "egfr_tki")[-1] == "egfr_tki"


def test_a_gene_family_matches_its_members(ontology):
    people = [
        make_patient(ontology, id="P-NTRK3", alterations=[
            {"gene": "NTRK3", "type": "fusion", "partner": "ETV6"}]),
        make_patient(ontology, id="P-KRAS", alterations=[
            {"gene": "KRAS", "type": "mutation", "protein": "p.G12C"}]),
        make_patient(ontology, id="P-NRAS", alterations=[
            {"gene": "NRAS", "type": "mutation", "protein": "p.Q61K"}]),
        make_patient(ontology, id="P-BRAF", alterations=[
            {"gene": "BRAF", "type": "mutation", "protein": "p.V600E"}]),
    ]
    got = statuses(ontology, [trial("T-NTRK", "fusion(NTRK)"),
                              trial("T-RAS", "alteration(RAS, mutation)")], people)
    assert got[("P-NTRK3", "T-NTRK")] == "eligible"
    assert got[("P-KRAS", "T-RAS")] == got[("P-NRAS", "T-RAS")] == "eligible"
    assert got[("P-BRAF", "T-RAS")] == "ineligible"
    assert got[("P-BRAF", "T-NTRK")] == "ineligible"


def test_unknown_codes_in_patients_and_trials_do_not_crash(ontology):
    from ontology_helpers import TODAY

    from trialmatch.patients import normalize_records
    from trialmatch.patients.read import RawRecord

    out = normalize_records([RawRecord({"id": "P-X", "diagnosis": {"oncotree": "LUADD"}},
                                       "p.json", "")], ontology, TODAY)
    (p,) = out.patients
    assert any("/diagnosis/oncotree" in w for w in out.warnings)
    got = statuses(ontology, [trial("T-XYZ", "diagnosis(NOSUCHCODE)"),
                              trial("T-LUAD", "diagnosis(LUAD)")], [p])
    # a code this ontology does not know may be a valid OncoTree type outside the embedded
    # subset: it neither meets nor violates a cancer-type criterion (the warning says why)
    assert got[("P-X", "T-XYZ")] == "possible"
    assert got[("P-X", "T-LUAD")] == "possible"


def test_drug_closures_walked_from_parent_links_are_the_graphs_descendants():
    """`drug_concepts` walks the is-a links without networkx; the graph agrees on every
    drug and class of the embedded ontology, and on a class added after the graph was built."""
    import networkx as nx

    from trialmatch.ontology import load_ontology
    from trialmatch.ontology.load import Row

    ont = load_ontology()
    graph = ont.graph
    for name in [*ont.drugs, *ont.drug_classes]:
        node = f"drug:{name}" if name in ont.drugs else f"class:{name}"
        reach = {n.split(":", 1)[1] for n in nx.descendants(graph, node)}
        assert ont.drug_concepts(name) == frozenset({name, *reach}), name
    assert sum(len(ont.drug_concepts(d)) > 1 for d in ont.drugs) > 10
    assert ont.drug_concepts("no such drug") == frozenset({"no such drug"})
    parent = next(iter(ont.drug_classes))
    ont.add_drug_class(Row(0, {"id": "test_subclass", "name": "test subclass",
                               "parent": parent, "synonyms": ()}))
    ont.index()
    assert ont.graph is not graph and ont.graph.has_edge("class:test_subclass",
                                                         f"class:{parent}")
    assert ont.drug_concepts("test_subclass") >= {"test_subclass", parent}


def test_anti_cd20_antibodies_count_as_immunotherapy_and_checkpoint_class_stays_narrow(ontology):
    """Lymphoma trials call rituximab-based treatment (chemo)immunotherapy; a checkpoint
    inhibitor requirement is not met by it."""
    for drug in ("rituximab", "obinutuzumab", "ofatumumab"):
        assert "immunotherapy" in ontology.drug_concepts(drug), drug
        assert "immune_checkpoint_inhibitor" not in ontology.drug_concepts(drug), drug
    assert "immunotherapy" not in ontology.drug_concepts("bendamustine")


def test_a_wide_word_another_row_claims_wins_over_a_narrow_nodes_name(ontology):
    # OncoTree names one grade "Meningioma"; in trial text the word means every grade
    assert ontology.cancer_code("meningioma") == "MNGT"
    assert ontology.cancer_code("Atypical meningioma") == "ATM"
    atypical = make_patient(ontology, id="P-ATM", diagnosis={"oncotree": "ATM"})
    glioma = make_patient(ontology, id="P-GB", diagnosis={"oncotree": "GB"})
    got = statuses(ontology, [trial("T-MEN", "diagnosis(MNGT)"),
                              trial("T-G1", "diagnosis(MNG)")], [atypical, glioma])
    assert got[("P-ATM", "T-MEN")] == "eligible"
    assert got[("P-ATM", "T-G1")] == "ineligible"
    assert got[("P-GB", "T-MEN")] == "ineligible"


def test_thrombopoietin_receptor_agonists_are_one_class(ontology):
    assert ontology.drug_concept("Nplate") == "romiplostim"
    assert "thrombopoietin_receptor_agonist" in ontology.drug_concepts("eltrombopag")


def test_ixabepilone_is_an_epothilone_and_plerixafor_a_cxcr4_inhibitor(ontology):
    """"Any earlier epothilone" rules out ixabepilone; "CXCR4 inhibitors" covers plerixafor,
    which stays a stem cell mobilizer (supportive care), not an anticancer therapy."""
    assert "epothilone" in ontology.drug_concepts("ixabepilone")
    assert "microtubule_inhibitor" in ontology.drug_concepts("ixabepilone")
    assert {"cxcr4_inhibitor", "stem_cell_mobilizer"} <= ontology.drug_concepts("plerixafor")
    assert "anticancer_therapy" not in ontology.drug_concepts("plerixafor")
    assert ontology.drug_concept("CXCR4 antagonists") == "cxcr4_inhibitor"


def test_a_change_whose_exon_the_profile_omits_is_placed_by_its_position(ontology):
    """`gene_exons.tsv`: an in-frame deletion at EGFR 746-750 is an exon 19 deletion and a
    duplication at 767-769 an exon 20 insertion, though the profile gives no exon; a change
    the table cannot place, which may still be the event, is unknown rather than unmet."""
    def egfr(pid, protein):
        return make_patient(ontology, id=pid, tested_genes=["EGFR", "FLT3"], alterations=[
            {"gene": pid.split("-")[1], "type": "mutation", "protein": protein}])
    pats = [egfr("P-EGFR-DEL", "p.E746_A750del"), egfr("P-EGFR-DUP", "p.A767_V769dup"),
            egfr("P-EGFR-SUB", "p.L858R"), egfr("P-FLT3-INS", "p.D600_L601insFREYEYD"),
            egfr("P-FLT3-SUB", "p.D835Y")]
    got = statuses(ontology, [trial("T-19", "alteration(EGFR, mutation, variant=exon19del)"),
                              trial("T-20", "alteration(EGFR, mutation, variant=exon20ins)"),
                              trial("T-E20", "alteration(EGFR, mutation, exon=20)"),
                              trial("T-ITD", "alteration(FLT3, mutation, variant=ITD)")], pats)
    assert got[("P-EGFR-DEL", "T-19")] == "eligible"
    assert got[("P-EGFR-DUP", "T-20")] == got[("P-EGFR-DUP", "T-E20")] == "eligible"
    assert got[("P-EGFR-SUB", "T-19")] == got[("P-EGFR-SUB", "T-E20")] == "ineligible"
    assert got[("P-EGFR-DEL", "T-20")] == "ineligible"  # placed in exon 19: not exon 20
    assert got[("P-FLT3-INS", "T-ITD")] == "possible"
    assert got[("P-FLT3-SUB", "T-ITD")] == "ineligible"
    assert ontology.exon_at("KRAS", 12) == 2 and ontology.exon_at("KRAS", 999) is None


def test_exon_ranges_are_checked(ontology):
    from trialmatch.ontology.load import Row, table_problems
    from trialmatch.ontology.stored import embedded_tables

    def problems(*rows):
        return table_problems({**embedded_tables(), "gene_exons": [
            Row(i, {"gene": g, "exon": e, "codons": c, "note": ""}, "e.tsv")
            for i, (g, e, c) in enumerate(rows, 1)]})
    assert problems(("EGFR", "19", "729-761"), ("EGFR", "20", "762-823")) == []
    assert "unknown gene 'NOPE'" in problems(("NOPE", "1", "1-5"))[0]
    assert "not a whole number" in problems(("EGFR", "19a", "729-761"))[0]
    assert "not first-last" in problems(("EGFR", "19", "761-729"))[0]
    assert "overlap" in problems(("EGFR", "19", "729-770"), ("EGFR", "20", "762-823"))[0]


def test_a_regimen_read_from_its_drugs_has_those_drugs(ontology):
    """A history of docetaxel, carboplatin and trastuzumab reads as the TCH regimen too; the
    regimen holds trastuzumab, so "any HER2 agent other than trastuzumab" does not catch it
    (a second HER2 drug does)."""
    import pytest

    if "docetaxel, carboplatin, and trastuzumab" not in ontology.drugs:
        pytest.skip("the mini ontology has no regimen rows")
    tch = make_patient(ontology, id="P-TCH",
                       prior_therapies=["docetaxel", "carboplatin", "trastuzumab"])
    more = make_patient(ontology, id="P-MORE",
                        prior_therapies=["docetaxel", "carboplatin", "trastuzumab", "pertuzumab"])
    rules = [trial("T-OTHER", 'not(prior(her2_targeted, excluding="trastuzumab"))'),
             trial("T-TRAS", "prior(trastuzumab)")]
    got = statuses(ontology, rules, [tch, more])
    assert got[("P-TCH", "T-OTHER")] == "eligible"
    assert got[("P-MORE", "T-OTHER")] == "ineligible"
    assert got[("P-TCH", "T-TRAS")] == "eligible"
    assert "trastuzumab" in ontology.drug_concepts("docetaxel, carboplatin, and trastuzumab")


def test_a_treatment_required_of_one_cancer_group_binds_that_group_only(ontology):
    """"Patients with APL must have had arsenic trioxide" is any(not(APL), the drug): an AML
    patient needs no arsenic, an APL patient without it is ineligible, one with no known
    history possible (both matchers)."""
    rule = 'all(any(diagnosis(AML), diagnosis(APLPMLRARA)), any(not(diagnosis(APLPMLRARA)), prior("arsenic trioxide")))'
    aml = make_patient(ontology, id="P-AML", diagnosis={"oncotree": "AML"}, prior_therapies=[])
    apl = make_patient(ontology, id="P-APL", diagnosis={"oncotree": "APLPMLRARA"},
                       prior_therapies=["tretinoin"])
    given = make_patient(ontology, id="P-ATO", diagnosis={"oncotree": "APLPMLRARA"},
                         prior_therapies=["tretinoin", "arsenic trioxide"])
    unknown = make_patient(ontology, id="P-UNK", diagnosis={"oncotree": "APLPMLRARA"})
    got = statuses(ontology, [trial("T-APL-ATO", rule)], [aml, apl, given, unknown])
    assert got[("P-AML", "T-APL-ATO")] == "eligible"
    assert got[("P-APL", "T-APL-ATO")] == "ineligible"
    assert got[("P-ATO", "T-APL-ATO")] == "eligible"
    assert got[("P-UNK", "T-APL-ATO")] == "possible"


def test_an_alteration_that_defines_the_type_is_the_patients(ontology):
    """`cancer_defining.tsv`: a CML carries the BCR-ABL1 fusion and an APL the PML-RARA one
    by definition, so a record naming the type without a test result meets a trial that
    requires the fusion and is ruled out by one that excludes it (both matchers); a type with
    no defining alteration leaves the fusion unknown."""
    import pytest

    if "CML" not in ontology.defining:
        pytest.skip("the mini ontology has no defining alterations")
    cml = make_patient(ontology, id="P-CML", diagnosis={"oncotree": "CML"})
    apl = make_patient(ontology, id="P-APL", diagnosis={"oncotree": "APLPMLRARA"},
                       alterations=[{"gene": "FLT3", "type": "mutation"}], tested_genes=["FLT3"])
    aml = make_patient(ontology, id="P-AML", diagnosis={"oncotree": "AML"})
    got = statuses(ontology, [trial("T-PH", "fusion(BCR, partner=ABL1)"),
                              trial("T-NO-PML", "not(fusion(PML, partner=RARA))")], [cml, apl, aml])
    assert got[("P-CML", "T-PH")] == "eligible"
    assert got[("P-AML", "T-PH")] == "possible"
    assert got[("P-APL", "T-NO-PML")] == "ineligible"
    assert got[("P-CML", "T-NO-PML")] == "possible"


def test_defining_alterations_are_checked():
    from trialmatch.ontology.load import Row, table_problems
    from trialmatch.ontology.stored import embedded_tables

    def problems(*rows):
        return table_problems({**embedded_tables(), "cancer_defining": [
            Row(i, {"code": c, "gene": g, "type": t, "partner": p, "note": ""}, "d.tsv")
            for i, (c, g, t, p) in enumerate(rows, 1)]})
    assert problems(("CML", "BCR", "fusion", "ABL1")) == []
    assert "unknown cancer code 'NOPE'" in problems(("NOPE", "BCR", "fusion", "ABL1"))[0]
    assert "unknown gene 'NOGENE'" in problems(("CML", "NOGENE", "fusion", ""))[0]
    assert "not one of" in problems(("CML", "BCR", "amplification", ""))[0]
    assert "for a fusion only" in problems(("AMLNPM1", "NPM1", "mutation", "BCR"))[0]


def test_hurthle_cell_thyroid_carcinoma_is_a_differentiated_thyroid_cancer(ontology):
    """`cancer_also.tsv`: OncoTree files the Hurthle (oncocytic) cell carcinoma beside the
    well-differentiated thyroid cancers, but a trial for differentiated thyroid cancer takes
    it; an anaplastic thyroid cancer stays apart."""
    patients = [make_patient(ontology, id=f"P-{code}", diagnosis={"oncotree": code})
                for code in ("THHC", "THAP")]
    got = statuses(ontology, [trial("T-WDTC", "diagnosis(WDTC)")], patients)
    assert got[("P-THHC", "T-WDTC")] == "eligible"
    assert got[("P-THAP", "T-WDTC")] == "ineligible"


def test_medulloblastoma_variants_count_as_medulloblastoma(ontology):
    """`cancer_also.tsv`: OncoTree files the desmoplastic/nodular and large cell/anaplastic
    medulloblastomas beside the medulloblastoma (under the embryonal tumours), but a trial
    for medulloblastoma takes them; an ATRT, another embryonal tumour, stays apart."""
    patients = [make_patient(ontology, id=f"P-{code}", diagnosis={"oncotree": code})
                for code in ("DMBL", "AMBL", "ATRT")]
    got = statuses(ontology, [trial("T-MBL", "diagnosis(MBL)")], patients)
    assert got[("P-DMBL", "T-MBL")] == "eligible"
    assert got[("P-AMBL", "T-MBL")] == "eligible"
    assert got[("P-ATRT", "T-MBL")] == "ineligible"


def test_inflammatory_breast_cancer_is_an_invasive_breast_carcinoma(ontology):
    """`cancer_also.tsv`: OncoTree files the inflammatory breast cancer beside the invasive
    breast carcinoma; a trial for breast cancer takes it, a trial for IBC takes no other
    breast cancer."""
    patients = [make_patient(ontology, id=f"P-{code}", diagnosis={"oncotree": code})
                for code in ("IBC", "IDC")]
    got = statuses(ontology, [trial("T-BRCA", "diagnosis(BRCA)"),
                              trial("T-IBC", "diagnosis(IBC)")], patients)
    assert got[("P-IBC", "T-BRCA")] == "eligible"
    assert got[("P-IDC", "T-IBC")] == "ineligible"


def test_biologic_therapy_covers_antibodies_and_immunotherapy_across_the_class_tree(ontology):
    """`drug_class_also.tsv`: "biologic therapy" names the therapeutic antibodies (filed under
    targeted therapy by their target), the conjugates and the immunotherapies; a kinase
    inhibitor or a cytotoxic drug is none of them."""
    people = [make_patient(ontology, id=f"P-{d}", prior_therapies=[d])
              for d in ("rituximab", "pembrolizumab", "bevacizumab", "trastuzumab emtansine",
                        "erlotinib", "docetaxel")]
    got = statuses(ontology, [trial("T-BIO", "prior(biologic_therapy)"),
                              trial("T-NOBIO", "not(prior(biologic_therapy))")], people)
    for drug in ("rituximab", "pembrolizumab", "bevacizumab", "trastuzumab emtansine"):
        assert got[(f"P-{drug}", "T-BIO")] == "eligible", drug
        assert got[(f"P-{drug}", "T-NOBIO")] == "ineligible", drug
    for drug in ("erlotinib", "docetaxel"):
        assert got[(f"P-{drug}", "T-BIO")] == "ineligible", drug
        assert got[(f"P-{drug}", "T-NOBIO")] == "eligible", drug
    # the extra link is one more way up, not a new parent: rituximab is still targeted therapy
    assert "targeted_therapy" in ontology.drug_concepts("rituximab")
    assert "biologic_therapy" in ontology.drug_concepts("immunotherapy")


def test_extra_class_links_are_checked(ontology):
    from trialmatch.ontology.load import Row, table_problems
    from trialmatch.ontology.stored import embedded_tables

    def problems(*links):
        rows = [Row(i + 1, {"id": c, "also": a, "note": "test"}, "class_also.tsv")
                for i, (c, a) in enumerate(links)]
        return table_problems({**embedded_tables(), "drug_class_also": rows})
    assert problems(("monoclonal_antibody", "biologic_therapy")) == []
    assert "unknown drug class 'nope'" in problems(("nope", "biologic_therapy"))[0]
    assert "already above" in problems(("taxane", "chemotherapy"))[0]
    assert "cycle" in problems(("chemotherapy", "taxane"))[-1]
    assert "listed twice" in problems(("cytokine", "chemotherapy"),
                                      ("cytokine", "chemotherapy"))[-1]



def test_receptor_and_interferon_classes_are_narrower_than_their_parents(ontology):
    """A VEGF receptor inhibitor is a kinase inhibitor or the anti-VEGFR2 antibody, not the
    anti-VEGF ligand antibody; interferon is one cytokine, interleukin-2 another."""
    people = [make_patient(ontology, id=f"P-{d}", prior_therapies=[d])
              for d in ("bevacizumab", "ramucirumab", "regorafenib", "interferon alfa-2b",
                        "aldesleukin")]
    got = statuses(ontology, [trial("T-NOVEGFR", "not(prior(vegfr_inhibitor))"),
                              trial("T-NOVEGF", "not(prior(vegf_inhibitor))"),
                              trial("T-NOIFN", "not(prior(interferon))"),
                              trial("T-NOCYT", "not(prior(cytokine))")], people)
    assert got[("P-bevacizumab", "T-NOVEGFR")] == "eligible"
    assert got[("P-bevacizumab", "T-NOVEGF")] == "ineligible"
    assert got[("P-ramucirumab", "T-NOVEGFR")] == "ineligible"
    assert got[("P-regorafenib", "T-NOVEGFR")] == "ineligible"
    assert got[("P-interferon alfa-2b", "T-NOIFN")] == "ineligible"
    assert got[("P-aldesleukin", "T-NOIFN")] == "eligible"
    assert got[("P-aldesleukin", "T-NOCYT")] == "ineligible"
