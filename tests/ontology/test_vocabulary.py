"""Oncology vocabulary of the embedded ontology read from criteria text: drugs named by INN,
brand or research code, drug classes, and tumour types below the tissue level.

The criteria are written for these tests; they name the new words the way eligibility text
does, and the expected trees are what the parser makes of them with the embedded ontology."""

from __future__ import annotations

import pytest
from ontology_helpers import make_patient, statuses, trial

from trialmatch.nlp import parse_eligibility
from trialmatch.ontology import load_ontology
from trialmatch.rules import to_text


@pytest.fixture(scope="module")
def embedded():
    return load_ontology()


def tree(text: str, ont) -> str:
    parsed = parse_eligibility(text, ontology=ont)
    assert [c.id for c in parsed.cohorts] == ["main"]
    return to_text(parsed.cohorts[0].rule)


@pytest.mark.parametrize(("text", "expected"), [
    # a class and an example of it, the example by research code
    ("- No earlier treatment with an HSP90 inhibitor such as luminespib",
     "all(not(any(prior(hsp90_inhibitor), prior(luminespib))))"),
    ("- Prior AUY922 is not allowed", "all(not(prior(luminespib)))"),
    ("- Disease progressed on ganetespib", "all(prior(ganetespib))"),
    ("- No previous IGF-1R inhibitor", "all(not(prior(igf1r_inhibitor)))"),
    ("- No prior IDO1 inhibitor", "all(not(prior(ido1_inhibitor)))"),
    ("- No prior epothilone", "all(not(prior(epothilone)))"),
    ("- Previously treated with tivantinib", "all(prior(tivantinib))"),
    ("- No prior estramustine", "all(not(prior(estramustine)))"),
])
def test_new_drugs_and_classes_are_read(text, expected, embedded):
    assert tree(text, embedded) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("- Histologically confirmed inflammatory breast carcinoma", "all(diagnosis(IBC))"),
    ("- Confirmed diagnosis of AL amyloidosis", "all(diagnosis(MIDDA))"),
    ("- Nodular sclerosis Hodgkin lymphoma", "all(diagnosis(NSCHL))"),
    ("- Diagnosis of double-hit lymphoma", "all(diagnosis(HGBCLMYCBCL2))"),
    ("- Germinal center B-cell DLBCL", "all(diagnosis(GCB))"),
    ("- Epithelioid haemangioendothelioma", "all(diagnosis(EHAE))"),
    ("- Group 3 medulloblastoma", "all(diagnosis(MBLG3))"),
    ("- Rectal carcinoid", "all(diagnosis(RWDNET))"),
])
def test_new_tumour_types_are_read(text, expected, embedded):
    assert tree(text, embedded) == expected


# Names of the census of oncology records whose conditions gave no cancer type
# (benchmarks/dx_census.py): "<site> neoplasm" (the MeSH form of "<site> cancer", plurals
# read by the fuzzy matcher), the NCI order "lung small cell carcinoma", British spellings,
# each in a criterion of our own. The type is the one "<site> cancer" already gives. Names
# "<histology> of the <site>" are left to data/sites.yaml, which also reads lists of sites.
# No "<site> neoplasm" for sites that metastases often reach (brain and CNS, liver, peritoneum,
# bone, pleura): MeSH counts secondary tumours under them, and trials of brain or liver
# metastases list "Brain Neoplasms" or "Liver Neoplasms" (tests/nlp/test_conditions.py).
@pytest.mark.parametrize(("text", "code"), [
    ("- Adrenal gland neoplasm confirmed on imaging and biopsy", "ADRENAL_GLAND"),
    ("- Biopsy-proven adrenal neoplasm", "ADRENAL_GLAND"),
    ("- Unresectable biliary tract neoplasm", "BILIARY_TRACT"),
    ("- Bile duct neoplasm, proven by brushing cytology", "CHOL"),
    ("- Gallbladder neoplasm found after cholecystectomy", "GBC"),
    ("- Bladder neoplasm invading the detrusor muscle", "BLCA"),
    ("- Urinary bladder cancer after transurethral resection", "BLCA"),
    ("- Urinary bladder carcinoma of high grade", "BLCA"),
    ("- Primary urinary bladder neoplasm", "BLCA"),
    ("- Intestinal neoplasm seen on capsule endoscopy", "BOWEL"),
    ("- Colon neoplasm proven on colonoscopy", "COAD"),
    ("- Colonic cancer, stage III", "COAD"),
    ("- Resected colonic carcinoma", "COAD"),
    ("- Colonic neoplasm with liver spread", "COAD"),
    ("- Rectal neoplasm below the peritoneal reflection", "READ"),
    ("- Anal neoplasm confirmed on biopsy", "ANSC"),
    ("- Anus neoplasm, biopsy-proven", "ANSC"),
    ("- Breast ductal carcinoma, any receptor status", "IDC"),
    ("- Cervical neoplasm, FIGO stage IB or higher", "CERVIX"),
    ("- Uterine cervical neoplasm proven on cone biopsy", "CERVIX"),
    ("- Malignant brain tumor at first relapse", "BRAIN"),
    ("- Malignant brain tumour at first relapse", "BRAIN"),
    ("- Spinal cord tumor not amenable to surgery", "BRAIN"),
    ("- Spinal cord tumour not amenable to surgery", "BRAIN"),
    ("- Pituitary neoplasm with raised prolactin", "SELT"),
    ("- Brain stem tumor in a child, not biopsied", "BRAIN"),
    ("- Brain stem tumour in a child, not biopsied", "BRAIN"),
    ("- Brainstem tumor in a child, not biopsied", "BRAIN"),
    ("- Brainstem tumour in a child, not biopsied", "BRAIN"),
    ("- Solid malignant tumor refractory to standard care", "SOLID"),
    ("- Solid malignant tumour refractory to standard care", "SOLID"),
    ("- Peritoneal cavity cancer with ascites", "PERITONEUM"),
    ("- Primary peritoneal cavity cancer confirmed on biopsy", "PSEC"),
    ("- Ovarian epithelial cancer confirmed on biopsy", "OVT"),
    ("- Ovarian epithelial carcinoma confirmed on biopsy", "OVT"),
    ("- Esophageal neoplasm of the lower third", "STOMACH"),
    ("- Esophagus cancer, any histology", "STOMACH"),
    ("- Esophagus carcinoma, any histology", "STOMACH"),
    ("- Oesophageal neoplasm of the lower third", "STOMACH"),
    ("- Oesophagus cancer, any histology", "STOMACH"),
    ("- Oesophagus carcinoma, any histology", "STOMACH"),
    ("- Gastric neoplasm with peritoneal spread", "STAD"),
    ("- Stomach neoplasm with peritoneal spread", "STAD"),
    ("- Diffuse type gastric cancer with signet ring cells", "DSTAD"),
    ("- Diffuse-type gastric adenocarcinoma with signet ring cells", "DSTAD"),
    ("- Linitis plastica seen on endoscopy", "DSTAD"),
    ("- Eye neoplasm seen on fundus photography", "EYE"),
    ("- Eye tumor seen on fundus photography", "EYE"),
    ("- Eye tumour seen on fundus photography", "EYE"),
    ("- Ocular neoplasm seen on fundus photography", "EYE"),
    ("- Head and neck malignancy of any subsite", "HEAD_NECK"),
    ("- Head and neck neoplasm of any subsite", "HEAD_NECK"),
    ("- Mouth cancer, stage III or IV", "OCSC"),
    ("- Mouth neoplasm, stage III or IV", "OCSC"),
    ("- Oral carcinoma, stage III or IV", "OCSC"),
    ("- Oral cavity carcinoma, stage III or IV", "OCSC"),
    ("- Oral cavity neoplasm, stage III or IV", "OCSC"),
    ("- Oral neoplasm, stage III or IV", "OCSC"),
    ("- Tongue carcinoma, stage III or IV", "OCSC"),
    ("- Tongue neoplasm, stage III or IV", "OCSC"),
    ("- Oropharyngeal neoplasm, p16 status known", "OPHSC"),
    ("- Hypopharyngeal neoplasm, not resectable", "HPHSC"),
    ("- Laryngeal neoplasm, not resectable", "LXSC"),
    ("- Nasopharyngeal neoplasm, WHO type III", "NPC"),
    ("- Parotid gland cancer after parotidectomy", "SACA"),
    ("- Parotid neoplasm after parotidectomy", "SACA"),
    ("- Salivary gland neoplasm after parotidectomy", "SACA"),
    ("- Kidney neoplasm of any histology", "KIDNEY"),
    ("- Renal carcinoma of any histology", "KIDNEY"),
    ("- Clear cell renal carcinoma after nephrectomy", "CCRCC"),
    ("- Liver carcinoma with portal vein invasion", "LIVER"),
    ("- Lung non-small cell cancer, stage IV", "NSCLC"),
    ("- Lung non-small cell carcinoma, stage IV", "NSCLC"),
    ("- Lung small cell cancer, extensive stage", "SCLC"),
    ("- Lung small cell carcinoma, extensive stage", "SCLC"),
    ("- Lymphocytic leukaemia of any kind", "LYMPH"),
    ("- Lymphocytic leukemia of any kind", "LYMPH"),
    ("- Lymphoid leukaemia of any kind", "LYMPH"),
    ("- Lymphoid leukemia of any kind", "LYMPH"),
    ("- Myeloid leukaemia of any kind", "MYELOID"),
    ("- Myeloid leukemia of any kind", "MYELOID"),
    ("- Fallopian tube neoplasm of serous histology", "HGSFT"),
    ("- Pancreatic ductal carcinoma, borderline resectable", "PAAD"),
    ("- Penile neoplasm involving the glans", "PSCC"),
    ("- Skin neoplasm on sun-exposed skin", "SKIN"),
    ("- Soft tissue neoplasm of the thigh", "SOFT_TISSUE"),
    ("- Testicular neoplasm confirmed on pathology", "TESTIS"),
    ("- Thymic neoplasm in the anterior mediastinum", "THYMUS"),
    ("- Thymus neoplasm in the anterior mediastinum", "THYMUS"),
    ("- Thyroid neoplasm after thyroidectomy", "THYROID"),
    ("- Endometrial neoplasm after hysterectomy", "UCEC"),
    ("- Vaginal neoplasm confirmed on biopsy", "VULVA"),
    ("- Vulvar neoplasm confirmed on biopsy", "VULVA"),
])
def test_census_cancer_names_are_read(text, code, embedded):
    assert tree(text, embedded) == f"all(diagnosis({code}))"


def test_bare_name_of_an_antibody_drug_conjugate_is_the_conjugate(embedded):
    assert embedded.drug_concept("brentuximab") == "brentuximab vedotin"
    assert embedded.drug_concept("AUY922") == "luminespib"
    assert embedded.drug_concept("17-AAG") == "tanespimycin"


def test_a_drug_named_with_its_salt_or_form_is_the_drug(embedded):
    assert embedded.drug_concept("pemetrexed disodium") == "pemetrexed"
    assert embedded.drug_concept("Doxorubicin HCl") == "doxorubicin"
    assert embedded.drug_concept("radium-223 dichloride") == embedded.drug_concept("radium-223")
    assert embedded.drug_concept("sodium") is None  # (a salt word alone names no drug)
    assert embedded.drug_concept("unknownib mesylate") is None


def test_hsp90_exclusion_excludes_a_patient_treated_under_a_research_code(embedded):
    people = [make_patient(embedded, id=f"P-{d}", prior_therapies=[d])
              for d in ("AUY922", "onalespib", "carboplatin")]
    got = statuses(embedded, [trial("T-NO-HSP90", "not(prior(hsp90_inhibitor))")], people)
    assert got[("P-AUY922", "T-NO-HSP90")] == "ineligible"
    assert got[("P-onalespib", "T-NO-HSP90")] == "ineligible"
    assert got[("P-carboplatin", "T-NO-HSP90")] == "eligible"


def test_inflammatory_breast_cancer_is_a_breast_tumour_but_not_every_breast_carcinoma(embedded):
    ibc = make_patient(embedded, id="P-IBC", diagnosis={"oncotree": "IBC"})
    brca = make_patient(embedded, id="P-BRCA", diagnosis={"oncotree": "BRCA"})
    got = statuses(embedded, [trial("T-BREAST", "diagnosis(BREAST)"),
                              trial("T-INVASIVE", "diagnosis(BRCA)"),
                              trial("T-IBC", "diagnosis(IBC)"),
                              trial("T-NO-IBC", "not(diagnosis(IBC))")], [ibc, brca])
    assert got[("P-IBC", "T-BREAST")] == "eligible"
    # an inflammatory breast cancer is an invasive breast carcinoma (cancer_also.tsv) ...
    assert got[("P-IBC", "T-INVASIVE")] == "eligible"
    assert got[("P-IBC", "T-NO-IBC")] == "ineligible"
    # ... and a record names it whenever it is one (cancer_stated.tsv): a patient recorded
    # with an invasive breast carcinoma is not an inflammatory one
    assert got[("P-BRCA", "T-NO-IBC")] == "eligible"
    assert got[("P-BRCA", "T-IBC")] == "ineligible"


def test_radiotherapy_and_transplants_are_treatment_concepts(embedded):
    """A listed radiotherapy or transplant breaks a rule against it (a kind breaks a rule
    against the whole class; the class alone does not break a rule against one kind), through
    both matchers; a history without them meets such rules."""
    people = [make_patient(embedded, id=f"P-{k}", prior_therapies=therapies)
              for k, therapies in (("RT", ["radiotherapy"]), ("WBRT", ["whole brain radiotherapy"]),
                                   ("ALLO", ["carboplatin", "allogeneic stem cell transplant"]),
                                   ("AUTO", ["autologous stem cell transplantation"]),
                                   ("NONE", ["carboplatin"]))]
    trials = [trial("T-NO-RT", "not(prior(radiotherapy))"),
              trial("T-NO-WBRT", "not(prior(whole_brain_radiotherapy))"),
              trial("T-NO-ALLO", "not(prior(allogeneic_transplant))"),
              trial("T-NO-SCT", "not(prior(stem_cell_transplant))")]
    got = statuses(embedded, trials, people)
    assert got[("P-RT", "T-NO-RT")] == got[("P-WBRT", "T-NO-RT")] == "ineligible"
    assert got[("P-WBRT", "T-NO-WBRT")] == "ineligible"
    assert got[("P-RT", "T-NO-WBRT")] == "eligible"
    assert got[("P-ALLO", "T-NO-ALLO")] == got[("P-ALLO", "T-NO-SCT")] == "ineligible"
    assert got[("P-AUTO", "T-NO-ALLO")] == "eligible"
    assert got[("P-AUTO", "T-NO-SCT")] == "ineligible"
    assert all(got[("P-NONE", t.trial_id)] == "eligible" for t in trials)
    # radiotherapy is no systemic therapy: a rule against any anticancer drug leaves it
    assert statuses(embedded, [trial("T-NO-DRUG", "not(prior(anticancer_therapy))")],
                    people[:1])[("P-RT", "T-NO-DRUG")] == "eligible"


def test_orchiectomy_is_androgen_deprivation_but_no_gnrh_drug(embedded):
    """A listed orchiectomy breaks a rule against it and against androgen deprivation
    (surgical castration is one), through both matchers; it is no GnRH analogue (medical
    castration is), and a GnRH analogue is no orchiectomy."""
    people = [make_patient(embedded, id=f"P-{k}", prior_therapies=therapies)
              for k, therapies in (("ORX", ["bilateral orchidectomy"]), ("LHRH", ["leuprolide"]))]
    trials = [trial("T-NO-ORX", "not(prior(orchiectomy))"),
              trial("T-NO-ADT", "not(prior(androgen_deprivation_therapy))"),
              trial("T-NO-GNRH", "not(prior(gnrh_analog))")]
    got = statuses(embedded, trials, people)
    assert got[("P-ORX", "T-NO-ORX")] == got[("P-ORX", "T-NO-ADT")] == "ineligible"
    assert got[("P-ORX", "T-NO-GNRH")] == "eligible"
    assert got[("P-LHRH", "T-NO-ORX")] == "eligible"
    assert got[("P-LHRH", "T-NO-GNRH")] == "ineligible"


def test_erbb_family_class_covers_egfr_and_her2_drugs(embedded):
    """"erbB-targeting therapies" rule out EGFR- and HER2-directed drugs alike, and no
    other targeted drug."""
    people = [make_patient(embedded, id=f"P-{k}", prior_therapies=[drug])
              for k, drug in (("LAP", "lapatinib"), ("CET", "cetuximab"), ("BEV", "bevacizumab"))]
    got = statuses(embedded, [trial("T-NO-ERBB", "not(prior(erbb_targeted))")], people)
    assert got[("P-LAP", "T-NO-ERBB")] == got[("P-CET", "T-NO-ERBB")] == "ineligible"
    assert got[("P-BEV", "T-NO-ERBB")] == "eligible"
