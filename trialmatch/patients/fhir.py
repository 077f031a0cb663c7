"""FHIR R4 Bundles (mCODE) read as patient.json v1 profiles.

Each entry's resource is validated with `fhir.resources` (its R4B models: version 8 of the
package has no plain R4 models, and R4B reads the R4 resources used here unchanged); one that
does not validate is left out with a warning naming its entry. What is read:

- Patient: `birthDate`, `gender` (the profile `id` is the Patient's id);
- the primary cancer Condition (mCODE PrimaryCancerCondition, else the first cancer
  Condition): SNOMED CT, ICD-O-3 or ICD-10 codes mapped to OncoTree with our table
  (`patients.codes`), its stage summary or else a TNM stage-group Observation; a Condition
  without a code rejects the record;
- genetic variant Observations (mCODE CancerGeneticVariant / genomics-reporting Variant):
  gene (HGNC), HGVS p. and c., variant and copy-number type, genomic source (origin);
- tumour marker Observations: HER2 (status, IHC score, ISH), ER, PR, PD-L1, MSI, TMB;
  ECOG and Karnofsky performance status;
- MedicationStatement / MedicationAdministration (and Medication resources they reference):
  the drug's ingredient name as a prior therapy (Procedures are surgery or radiotherapy, not
  drugs: a warning each).

Anything else in the bundle, or a field that cannot be mapped, is a warning with its JSON
pointer (never a value from the file).
"""

from __future__ import annotations

import re
from typing import Any

from trialmatch.patients.codes import lookup, oncotree_from_icdo3
from trialmatch.patients.standard import Converted
from trialmatch.rules.stages import ROMAN_OF_DIGIT

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
VARIANT_CODES = ("69548-6", "81247-9")  # genetic variant assessment, master HL7 variant
PRIMARY = "primary-cancer-condition"
SECONDARY = "secondary-cancer-condition"
_STATUS = {"positive": "positive", "pos": "positive", "negative": "negative", "neg": "negative",
           "10828004": "positive", "260385009": "negative", "LA6576-8": "positive",
           "LA6577-6": "negative", "detected": "positive", "not detected": "negative"}
_ORIGIN = {"LA6683-2": "germline", "LA6684-0": "somatic", "germline": "germline",
           "somatic": "somatic"}
_ALLELIC = ("53034-5",)
_SKIP_STATUS = ("not-taken", "entered-in-error", "cancelled", "not-done", "stopped-before")
_DOSE = re.compile(r"\s+(\d|oral\b|injection\b|injectable\b|tablet\b|capsule\b|solution\b|"
                   r"product\b|pill\b|\[).*$", re.IGNORECASE)
_TRANSCRIPT = re.compile(r"^[A-Z]{2}_\d+(?:\.\d+)?(?:\([A-Za-z0-9-]+\))?:")


def _codings(cc: Any) -> list[dict]:
    return [c for c in (cc or {}).get("coding") or [] if isinstance(c, dict)] \
        if isinstance(cc, dict) else []


def _codes(cc: Any, system: str | None = None) -> list[str]:
    return [str(c.get("code")) for c in _codings(cc)
            if c.get("code") and (system is None or c.get("system") == system)]


def _words(cc: Any) -> str:
    parts = [cc.get("text")] if isinstance(cc, dict) and cc.get("text") else []
    parts += [c.get("display") for c in _codings(cc) if c.get("display")]
    return " ".join(str(p) for p in parts).lower()


def _profiles(res: dict) -> str:
    return " ".join(str(p) for p in (res.get("meta") or {}).get("profile") or [])


def _validate(res: dict) -> str | None:
    """None when the resource validates as FHIR (R4B models), else the kind of problem."""
    from fhir.resources.R4B import get_fhir_model_class
    from pydantic import ValidationError

    try:
        model = get_fhir_model_class(res.get("resourceType"))
    except (KeyError, ValueError, TypeError, AttributeError):
        return "unknown resource type"
    try:
        model.model_validate(res)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = "/".join(str(x) for x in err["loc"]) or "the resource"
        return f"does not validate as FHIR ({err['type']} at {where})"
    return None


class BundleReader:
    """One bundle -> one profile per Patient (resources go to their subject's patient, or to
    the only patient)."""

    def __init__(self, data: dict) -> None:
        self.data = data
        self.warnings: list[str] = []
        self.error: str | None = None
        self.by_url: dict[str, dict] = {}  # fullUrl -> resource, for references

    def warn(self, pointer: str, message: str) -> None:
        self.warnings.append(f"{pointer}: {message}")

    def read(self, name: str) -> list[Converted]:
        entries = self.data.get("entry")
        if not isinstance(entries, list) or not entries:
            return [Converted(None, [], "/entry: a Bundle with no entries")]
        resources: list[tuple[str, dict]] = []
        for i, e in enumerate(entries):
            ptr = f"/entry/{i}"
            res = e.get("resource") if isinstance(e, dict) else None
            if not isinstance(res, dict):
                self.warn(ptr, "entry without a resource; left out")
                continue
            problem = _validate(res)
            if problem:
                self.warn(f"{ptr}/resource", f"{res.get('resourceType', 'resource')} {problem}; "
                                             "left out")
                continue
            resources.append((f"{ptr}/resource", res))
            if isinstance(e.get("fullUrl"), str):
                self.by_url[e["fullUrl"]] = res
        patients = [(p, r) for p, r in resources if r["resourceType"] == "Patient"]
        if len(patients) > 1:
            return self._many(patients, resources, name)
        return [self._one(patients[0] if patients else None, resources, name)]

    def _many(self, patients, resources, name) -> list[Converted]:
        out = []
        for ptr, pat in patients:
            ref = {f"Patient/{pat.get('id')}", f"urn:uuid:{pat.get('id')}"}
            mine = [(p, r) for p, r in resources if r["resourceType"] != "Patient"
                    and ((r.get("subject") or r.get("patient") or {}).get("reference") in ref)]
            reader = BundleReader(self.data)
            reader.by_url = self.by_url
            out.append(reader._one((ptr, pat), mine, name))
        for p, r in resources:
            refs = {f"{x}/{q.get('id')}" for _, q in patients for x in ("Patient", "urn:uuid")}
            subject = (r.get("subject") or r.get("patient") or {}).get("reference", "")
            if r["resourceType"] != "Patient" and subject.replace("urn:uuid/", "urn:uuid:") \
                    not in {s.replace("urn:uuid/", "urn:uuid:") for s in refs}:
                out[0].warnings.append(f"{p}: subject is none of the bundle's patients; "
                                       "left out")
        return out

    def _one(self, patient: tuple[str, dict] | None, resources: list[tuple[str, dict]],
             name: str) -> Converted:
        profile: dict[str, Any] = {}
        if patient is None:
            bundle_id = self.data.get("id")
            profile["id"] = str(bundle_id) if bundle_id else name
            self.warn("/entry", "no Patient resource; the profile is named after the bundle")
        else:
            self.patient(*patient, profile)
        self.conditions(resources, profile)
        if self.error:
            return Converted(None, self.warnings, self.error)
        meds: list[str] = []
        saw_meds = False
        medications = {f"Medication/{r.get('id')}": r for _, r in resources
                       if r["resourceType"] == "Medication"}
        medications.update({url: r for url, r in self.by_url.items()
                            if r.get("resourceType") == "Medication"})
        for ptr, res in resources:
            kind = res["resourceType"]
            if kind in ("Patient", "Condition", "Medication"):
                continue
            if kind == "Observation":
                self.observation(ptr, res, profile)
            elif kind in ("MedicationStatement", "MedicationAdministration"):
                saw_meds = True
                drug = self.medication(ptr, res, medications)
                if drug and drug not in meds:
                    meds.append(drug)
            elif kind == "Procedure":
                self.warn(ptr, "procedure (surgery or radiotherapy): patient.json prior "
                               "therapies are drugs; left out")
            else:
                self.warn(ptr, f"{kind} is not read by trialmatch; left out")
        if saw_meds:
            profile["prior_therapies"] = meds
        _tidy(profile)
        return Converted(profile, self.warnings, None)

    # -- Patient
    def patient(self, ptr: str, res: dict, profile: dict) -> None:
        profile["id"] = str(res.get("id") or ptr)
        birth = res.get("birthDate")
        if isinstance(birth, str):
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", birth):
                profile["birth_date"] = birth
            else:
                self.warn(f"{ptr}/birthDate", "partial date; age left unknown")
        gender = res.get("gender")
        if gender in ("female", "male"):
            profile["sex"] = gender
        elif gender is not None:
            self.warn(f"{ptr}/gender", "neither female nor male; sex left unknown")

    # -- Conditions
    def conditions(self, resources, profile: dict) -> None:
        conds = [(p, r) for p, r in resources if r["resourceType"] == "Condition"]
        for ptr, res in conds:
            if not _codings(res.get("code")) and not (res.get("code") or {}).get("text"):
                self.error = f"{ptr}/code: a Condition without a code (the cancer cannot be told)"
                return
        primary = [(p, r) for p, r in conds if PRIMARY in _profiles(r)]
        chosen = None
        for ptr, res in primary or conds:
            code = self.cancer_code(ptr, res)
            if code is not None:
                chosen = (ptr, res, code)
                break
            if primary:
                self.warn(f"{ptr}/code", "primary cancer code not in trialmatch's code table; "
                                         "diagnosis left unknown")
                break
        for ptr, res in conds:
            if chosen is not None and ptr == chosen[0]:
                continue
            if SECONDARY in _profiles(res):
                self.warn(ptr, "secondary (metastatic) cancer condition: patient.json has no "
                               "metastatic sites; left out")
            elif not (primary and (ptr, res) in primary):
                self.warn(ptr, "condition that is not the primary cancer; left out")
        if chosen is None:
            return
        ptr, res, code = chosen
        diagnosis: dict[str, Any] = {"oncotree": code}
        text = (res.get("code") or {}).get("text") or next(
            (c.get("display") for c in _codings(res.get("code")) if c.get("display")), None)
        if text:
            diagnosis["text"] = str(text)
        stage = next((s.get("summary") for s in res.get("stage") or []
                      if isinstance(s, dict) and s.get("summary")), None)
        stage_text = _stage(stage)
        if stage_text:
            diagnosis["stage"] = stage_text
        elif stage:
            self.warn(f"{ptr}/stage", "stage summary not readable as a stage group; left out")
        profile["diagnosis"] = diagnosis

    def cancer_code(self, ptr: str, res: dict) -> str | None:
        cc = res.get("code")
        for c in _codings(cc):
            system, code = str(c.get("system") or ""), str(c.get("code") or "")
            if "snomed" in system:
                found = lookup("snomed", code)
            elif "icd-o" in system.lower() or "icd-10" in system.lower() or "icd10" in system:
                morph = None
                for ext in res.get("extension") or []:
                    if "histology-morphology" in str(ext.get("url")):
                        morph = next(iter(_codes(ext.get("valueCodeableConcept"))), None)
                found = oncotree_from_icdo3(code, morph)
            elif "ncit" in system.lower() or "thesaurus" in system.lower():
                found = lookup("ncit", code)
            elif "oncotree" in system.lower():
                found = code.upper()
            else:
                found = None
            if found:
                return found
        return None

    # -- Observations
    def observation(self, ptr: str, res: dict, profile: dict) -> None:
        codes = _codes(res.get("code"), LOINC)
        prof = _profiles(res)
        if any(c in VARIANT_CODES for c in codes) or "genetic-variant" in prof or \
                "genomic-variant" in prof:
            self.variant(ptr, res, profile)
            return
        if any(c in STAGE_GROUPS for c in codes) or "stage-group" in prof:
            self.stage_group(ptr, res, profile)
            return
        fields = [f for f in (lookup("loinc", c) for c in codes) if f]
        if not fields:
            self.warn(ptr, "observation trialmatch does not read (not a variant, tumour marker "
                           "or performance status in its code table); left out")
            return
        self.marker(ptr, res, fields, profile)

    def stage_group(self, ptr: str, res: dict, profile: dict) -> None:
        stage = _stage(res.get("valueCodeableConcept"))
        diagnosis = profile.get("diagnosis")
        if stage is None:
            self.warn(f"{ptr}/valueCodeableConcept", "stage group not readable; left out")
        elif diagnosis is None:
            self.warn(ptr, "stage group without a primary cancer diagnosis; left out")
        elif "stage" in diagnosis:
            self.warn(ptr, "a further stage group: the diagnosis has its stage; left out")
        else:
            diagnosis["stage"] = stage

    def marker(self, ptr: str, res: dict, fields: list[str], profile: dict) -> None:
        bio = profile.setdefault("biomarkers", {})
        qty = res.get("valueQuantity") or {}
        number = qty.get("value") if isinstance(qty, dict) else None
        if number is None and isinstance(res.get("valueInteger"), int):
            number = res["valueInteger"]
        cc = res.get("valueCodeableConcept")
        words = _words(cc) + " " + " ".join(_codes(cc))
        interp = " ".join(_words(i) + " " + " ".join(_codes(i))
                          for i in res.get("interpretation") or [])
        status = _status(words) or _status(interp)
        field = "her2_ihc" if "her2_ihc" in fields and number is not None else fields[0]
        if field in ("ecog", "karnofsky"):
            value = number if number is not None else _leading_int(_words(cc))
            if value is None:
                self.warn(f"{ptr}/value[x]", f"{field} score not readable; left out")
            else:
                profile[field] = int(value)
            return
        if field in ("tmb", "pdl1_tps"):
            if number is None:
                self.warn(f"{ptr}/value[x]", f"{field} needs a number; left out")
            else:
                bio[field] = float(number)
            return
        if field == "her2_ihc":
            if number in (0, 1, 2, 3):
                bio["her2_ihc"] = int(number)
            elif status:
                bio["her2"] = status
            else:
                self.warn(f"{ptr}/value[x]", "HER2 IHC score not readable; left out")
            return
        if field == "her2_ish":
            if status:
                bio["her2_ish"] = "amplified" if status == "positive" else "not amplified"
            elif "amplif" in words:
                bio["her2_ish"] = "not amplified" if "not" in words else "amplified"
            else:
                self.warn(f"{ptr}/value[x]", "HER2 ISH result not readable; left out")
            return
        if field == "msi":
            msi = ("MSI-H" if "high" in words or "msi-h" in words else
                   "MSI-L" if "low" in words or "msi-l" in words else
                   "MSS" if "stable" in words or "mss" in words else None)
            if msi is None:
                self.warn(f"{ptr}/value[x]", "MSI result not readable; left out")
            else:
                bio["msi"] = msi
            return
        if status is None:
            self.warn(f"{ptr}/value[x]", f"{field} result not positive or negative; left out")
            return
        bio[field] = status

    def variant(self, ptr: str, res: dict, profile: dict) -> None:
        value = _codes(res.get("valueCodeableConcept"))
        if "LA9634-2" in value:  # Absent
            self.warn(ptr, "variant reported absent: patient.json lists findings; left out")
            return
        genes: list[str] = []
        alt: dict[str, Any] = {}
        kind = "mutation"
        for j, comp in enumerate(res.get("component") or []):
            cptr = f"{ptr}/component/{j}"
            code = next(iter(_codes(comp.get("code"), LOINC)), None) or \
                next(iter(_codes(comp.get("code"))), None)
            cc = comp.get("valueCodeableConcept")
            text = comp.get("valueString") or next(iter(_codes(cc)), None) or \
                (cc or {}).get("text")
            if code == "48018-6":
                gene = self.gene(cptr, cc)
                if gene:
                    genes.append(gene)
            elif code == "48005-3" and text:
                alt["protein"] = _protein(str(text))
            elif code == "48004-6" and text:
                alt["cdna"] = _TRANSCRIPT.sub("", str(text))
                m = re.match(r"^([NX]M_\d+(?:\.\d+)?)", str(text))
                if m:
                    alt["transcript"] = m.group(1)
            elif code == "48002-0":
                origin = next((_ORIGIN[c] for c in _codes(cc) + [_words(cc)] if c in _ORIGIN),
                              None)
                if origin:
                    alt["origin"] = origin
                else:
                    self.warn(cptr, "genomic source class not germline or somatic; left out")
            elif code in ("48019-4", "62378-5", "molecular-consequence", "69551-0"):
                kind = _variant_kind(_words(cc) + " " + " ".join(_codes(cc)), kind)
            elif code in _ALLELIC:
                self.warn(cptr, "allelic state: patient.json has no field for it; left out")
            elif code == "81252-9":
                self.discrete(cptr, cc, genes, alt)
            elif code == "81290-9":
                self.warn(cptr, "genomic (g.) HGVS not used: trialmatch matches genes and "
                                "protein changes")
            else:
                self.warn(cptr, "variant component trialmatch does not read; left out")
        if not genes:
            self.warn(ptr, "genetic variant without a gene trialmatch can name; left out")
            return
        if kind == "fusion":
            entry = {"gene": genes[0], "type": "fusion"}
            if len(genes) > 1:
                entry["partner"] = genes[1]
        else:
            entry = {"gene": genes[0], "type": kind}
            if kind == "mutation":
                entry.update({k: v for k, v in alt.items() if k in ("protein", "cdna",
                                                                    "transcript")})
            if "origin" in alt:
                entry["origin"] = alt["origin"]
        profile.setdefault("alterations", []).append(entry)

    def gene(self, ptr: str, cc: Any) -> str | None:
        for c in _codings(cc):
            code = str(c.get("code") or "")
            found = lookup("hgnc", code) if code.upper().startswith("HGNC:") else None
            if found:
                return found
            display = c.get("display")
            if isinstance(display, str) and re.fullmatch(r"[A-Z0-9-]{2,20}", display):
                return display
            if code and not code.upper().startswith("HGNC:") and \
                    re.fullmatch(r"[A-Z0-9-]{2,20}", code):
                return code
        text = (cc or {}).get("text") if isinstance(cc, dict) else None
        if isinstance(text, str) and re.fullmatch(r"[A-Z0-9-]{2,20}", text.strip()):
            return text.strip()
        self.warn(ptr, "gene given only as an HGNC id trialmatch's code table does not list")
        return None

    def discrete(self, ptr: str, cc: Any, genes: list[str], alt: dict) -> None:
        """`NM_000455.5(STK11):c.725G>A (p.Gly242Glu)`: gene and changes, when written so."""
        text = " ".join(str(c.get("display")) for c in _codings(cc) if c.get("display"))
        m = re.search(r"\(([A-Z0-9-]+)\):(c\.[^\s(]+)(?:\s*\((p\.[^)]+)\))?", text)
        if not m:
            return
        if not genes:
            genes.append(m.group(1))
        alt.setdefault("cdna", m.group(2))
        if m.group(3):
            alt.setdefault("protein", _protein(m.group(3)))

    # -- medications
    def medication(self, ptr: str, res: dict, medications: dict) -> str | None:
        if res.get("status") in _SKIP_STATUS:
            return None
        cc = res.get("medicationCodeableConcept")
        if cc is None and isinstance(res.get("medicationReference"), dict):
            med = medications.get(res["medicationReference"].get("reference"))
            cc = med.get("code") if med else None
        text = (cc or {}).get("text") or next(
            (c.get("display") for c in _codings(cc) if c.get("display")), None)
        if not text:
            self.warn(ptr, "medication without a name; left out")
            return None
        return drug_name(str(text))


def _tidy(profile: dict[str, Any]) -> None:
    """Drop an empty biomarkers object and alterations reported twice."""
    if not profile.get("biomarkers"):
        profile.pop("biomarkers", None)
    if "alterations" in profile:
        unique: list[dict] = []
        for a in profile["alterations"]:
            if a not in unique:
                unique.append(a)
        profile["alterations"] = unique


def drug_name(text: str) -> str:
    """The ingredient of an RxNorm-style name: "Paclitaxel 100 MG Injection" -> paclitaxel."""
    return _DOSE.sub("", text.strip()).strip().lower()


def _protein(text: str) -> str:
    """`NP_005219.2:p.(Leu858Arg)` -> `p.Leu858Arg` (the transcript and the brackets that mark
    a predicted change are dropped)."""
    change = _TRANSCRIPT.sub("", text.strip())
    m = re.fullmatch(r"p\.\((.+)\)", change)
    return f"p.{m.group(1)}" if m else change


def _status(words: str) -> str | None:
    for key in sorted(_STATUS, key=len, reverse=True):
        if re.search(rf"(?<![\w-]){re.escape(key.lower())}(?![\w-])", words.lower()):
            return _STATUS[key]
    return None


def _leading_int(text: str) -> int | None:
    m = re.match(r"\s*(\d+)", text)
    return int(m.group(1)) if m else None


def _variant_kind(words: str, default: str) -> str:
    if "wild" in words:
        return "wildtype"
    if "fusion" in words:
        return "fusion"
    if "gain" in words or "amplif" in words:
        return "amplification"
    if "copy_number_loss" in words or "copy number loss" in words or "homozygous del" in words:
        return "deletion"
    return default


_STAGE_WORDS = re.compile(r"\bstage\s+([0-4]|iv|i{1,3}|0)([abc]\d?)?\b", re.IGNORECASE)
_STAGE_CODE = re.compile(r"^[cpy]?([0-4]|IV|I{1,3})([ABC]\d?)?$", re.IGNORECASE)
STAGE_GROUPS = ("21908-9", "21902-2", "21914-7")  # clinical, pathological, other stage group


def _stage(summary: Any) -> str | None:
    """`Stage 3A (qualifier value)`, `c3A` or `IV` -> `IIIA` / `IV` (AJCC stage group)."""
    texts = [summary.get("text")] if isinstance(summary, dict) else []
    texts += [c.get("display") for c in _codings(summary)]
    for t in texts:
        m = _STAGE_WORDS.search(str(t or ""))
        if m:
            return ROMAN_OF_DIGIT.get(m.group(1), m.group(1).upper()) + (m.group(2) or "").upper()
    for code in _codes(summary):
        m = _STAGE_CODE.match(code.strip())
        if m:
            return ROMAN_OF_DIGIT.get(m.group(1), m.group(1).upper()) + (m.group(2) or "").upper()
    return None
