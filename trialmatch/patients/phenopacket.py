"""GA4GH Phenopackets v2 (JSON) read as patient.json v1 profiles.

The document is parsed and validated with the `phenopackets` package (protobuf messages: an
unknown field or a wrong type rejects the record); a Cohort's members are one patient each.
What is read:

- subject: `sex`, `dateOfBirth`, else `timeAtLastEncounter` as an age in years;
- diseases: the first one not `excluded`, its term an NCIt code (our table,
  `patients.codes`) or an OncoTree code (`ONCOTREE:LUAD`), and its stage;
- interpretations -> genomicInterpretations -> variantInterpretation -> variationDescriptor:
  the gene (`geneContext`), the `hgvs.p` and `hgvs.c` expressions (an expression that is not
  HGVS rejects the record, naming its path), copy-number and fusion structural types;
- measurements: tumour markers and performance status by LOINC assay (our table);
- medicalActions: treatment agents and regimens as prior therapies (radiation therapy and
  procedures are not drugs: a warning each).

Anything else (phenotypic features, biosamples, allelic state, files) is a warning with its
path, never a value from the file.
"""

from __future__ import annotations

import re
from typing import Any

from trialmatch.patients.codes import lookup
from trialmatch.patients.fhir import _protein, drug_name
from trialmatch.patients.standard import Converted
from trialmatch.rules.variants import normalize_protein

_TRANSCRIPT = re.compile(r"^[A-Za-z]{2}_\d+(?:\.\d+)?(?:\([A-Za-z0-9-]+\))?:")
_CDNA = re.compile(r"^c\.[-*]?\d+([-+]\d+)?(_[-*]?\d+([-+]\d+)?)?"
                   r"([ACGT]>[ACGT]|del[ACGT]*|dup[ACGT]*|ins[ACGT]+|delins[ACGT]+|=)$")
_ISO_YEARS = re.compile(r"^P(\d+)Y")
_IGNORED = ("metaData", "id")


def _parse(data: dict, cohort: bool) -> tuple[Any, str | None]:
    """The protobuf message, or None and a problem naming a field (never a value)."""
    from google.protobuf.json_format import ParseDict, ParseError
    from phenopackets import Cohort, Phenopacket

    try:
        return ParseDict(data, Cohort() if cohort else Phenopacket()), None
    except ParseError as exc:
        m = re.search(r'has no field named "([^"]+)"', str(exc))
        where = f": unknown field {m.group(1)!r}" if m else ""
        return None, f"not a valid GA4GH Phenopacket v2{where}"
    except (TypeError, ValueError):
        return None, "not a valid GA4GH Phenopacket v2"


def read_phenopackets(data: dict, name: str) -> list[Converted]:
    cohort = isinstance(data.get("members"), list)
    message, problem = _parse(data, cohort)
    if message is None:
        return [Converted(None, [], f"/: {problem}")]
    from google.protobuf.json_format import MessageToDict

    if cohort:
        members = [MessageToDict(m) for m in message.members]
        return [PacketReader(m, f"/members/{i}").read(name) for i, m in enumerate(members)]
    return [PacketReader(MessageToDict(message), "").read(name)]


class PacketReader:
    def __init__(self, packet: dict, prefix: str) -> None:
        self.p = packet
        self.prefix = prefix
        self.warnings: list[str] = []

    def warn(self, pointer: str, message: str) -> None:
        self.warnings.append(f"{self.prefix}{pointer}: {message}")

    def read(self, name: str) -> Converted:
        p = self.p
        profile: dict[str, Any] = {"id": str(p.get("id") or (p.get("subject") or {}).get("id")
                                             or name)}
        self.subject(p.get("subject") or {}, profile)
        self.diseases(p.get("diseases") or [], profile)
        try:
            self.interpretations(p.get("interpretations") or [], profile)
        except _Bad as exc:
            return Converted(None, self.warnings, f"{self.prefix}{exc}")
        self.measurements(p.get("measurements") or [], profile)
        self.actions(p.get("medicalActions"), profile)
        for key in p:
            if key not in (*_IGNORED, "subject", "diseases", "interpretations",
                           "measurements", "medicalActions"):
                self.warn(f"/{key}", "not read by trialmatch; left out")
        from trialmatch.patients.fhir import _tidy

        _tidy(profile)
        return Converted(profile, self.warnings, None)

    def subject(self, s: dict, profile: dict) -> None:
        sex = s.get("sex")
        if sex in ("FEMALE", "MALE"):
            profile["sex"] = sex.lower()
        elif sex == "OTHER_SEX":
            self.warn("/subject/sex", "neither female nor male; sex left unknown")
        born = s.get("dateOfBirth")
        if isinstance(born, str) and re.match(r"\d{4}-\d{2}-\d{2}", born):
            profile["birth_date"] = born[:10]
            return
        age = ((s.get("timeAtLastEncounter") or {}).get("age") or {}).get("iso8601duration")
        m = _ISO_YEARS.match(age or "")
        if m:
            profile["age"] = int(m.group(1))
        elif s.get("timeAtLastEncounter"):
            self.warn("/subject/timeAtLastEncounter", "not an age in years; age left unknown")

    def diseases(self, diseases: list, profile: dict) -> None:
        chosen = False
        for i, d in enumerate(diseases):
            ptr = f"/diseases/{i}"
            if d.get("excluded"):
                self.warn(ptr, "an excluded disease: patient.json cannot say a disease is "
                               "absent; left out")
                continue
            if chosen:
                self.warn(ptr, "a further disease: the profile has one diagnosis; left out")
                continue
            term = d.get("term") or {}
            tid = str(term.get("id") or "")
            prefix, _, code = tid.partition(":")
            found = (code.upper() if prefix.lower() == "oncotree" else
                     lookup("ncit", code) if prefix.upper() == "NCIT" else None)
            if not found:
                self.warn(f"{ptr}/term", "disease code not in trialmatch's code table "
                                         "(NCIt or OncoTree); diagnosis left unknown")
                continue
            chosen = True
            diagnosis: dict[str, Any] = {"oncotree": found}
            if term.get("label"):
                diagnosis["text"] = str(term["label"])
            for stage in d.get("diseaseStage") or []:
                m = re.search(r"stage\s+([0IV]+[ABC]?\d?)\b", str(stage.get("label") or ""),
                              re.IGNORECASE)
                if m:
                    diagnosis["stage"] = m.group(1).upper()
                    break
            profile["diagnosis"] = diagnosis

    def interpretations(self, interps: list, profile: dict) -> None:
        for i, interp in enumerate(interps):
            gis = (interp.get("diagnosis") or {}).get("genomicInterpretations") or []
            for j, gi in enumerate(gis):
                ptr = f"/interpretations/{i}/diagnosis/genomicInterpretations/{j}"
                vd = (gi.get("variantInterpretation") or {}).get("variationDescriptor")
                if vd is None:
                    self.warn(ptr, "an interpretation without a variant (gene only); left out")
                    continue
                alt = self.variant(f"{ptr}/variantInterpretation/variationDescriptor", vd)
                if alt is not None:
                    profile.setdefault("alterations", []).append(alt)

    def variant(self, ptr: str, vd: dict) -> dict | None:
        gene_ctx = vd.get("geneContext") or {}
        gene = gene_ctx.get("symbol") or lookup("hgnc", gene_ctx.get("valueId"))
        if not gene:
            self.warn(f"{ptr}/geneContext", "no gene trialmatch can name; variant left out")
            return None
        alt: dict[str, Any] = {"gene": str(gene), "type": "mutation"}
        label = " ".join(str((vd.get("structuralType") or {}).get(k) or "")
                         for k in ("id", "label")).lower()
        if "gain" in label or "amplif" in label:
            alt["type"] = "amplification"
        elif "copy_number_loss" in label or "copy number loss" in label or \
                "deletion" in label and "copy" in label:
            alt["type"] = "deletion"
        elif "fusion" in label:
            alt["type"] = "fusion"
        for k, e in enumerate(vd.get("expressions") or []):
            eptr = f"{ptr}/expressions/{k}"
            syntax, value = e.get("syntax"), str(e.get("value") or "")
            change = _TRANSCRIPT.sub("", value.strip())
            if syntax == "hgvs.p":
                change = _protein(change)
                try:
                    if normalize_protein(change) is None:
                        raise ValueError
                except ValueError:
                    raise _Bad(f"{eptr}/value: unparseable HGVS protein expression") from None
                if alt["type"] == "mutation":
                    alt["protein"] = change
            elif syntax == "hgvs.c":
                if not _CDNA.match(change):
                    raise _Bad(f"{eptr}/value: unparseable HGVS coding DNA expression")
                if alt["type"] == "mutation":
                    alt["cdna"] = change
                    m = re.match(r"^(N[MR]_\d+(?:\.\d+)?)", value.strip())
                    if m:
                        alt["transcript"] = m.group(1)
            else:
                self.warn(eptr, "expression other than HGVS p. or c.; not used")
        if vd.get("allelicState"):
            self.warn(f"{ptr}/allelicState", "patient.json has no field for the allelic state; "
                                             "left out")
        return alt

    def measurements(self, ms: list, profile: dict) -> None:
        bio = profile.setdefault("biomarkers", {})
        for i, m in enumerate(ms):
            ptr = f"/measurements/{i}"
            assay = str((m.get("assay") or {}).get("id") or "")
            prefix, _, code = assay.partition(":")
            field = lookup("loinc", code) if prefix.upper() == "LOINC" else None
            if field is None:
                self.warn(f"{ptr}/assay", "assay not in trialmatch's code table; left out")
                continue
            value = m.get("value") or {}
            quantity = value.get("quantity")  # protobuf JSON leaves a value of 0 out
            number = quantity.get("value", 0) if isinstance(quantity, dict) else None
            label = str((value.get("ontologyClass") or {}).get("label") or "").lower()
            if field in ("ecog", "karnofsky") and number is not None:
                profile[field] = int(number)
            elif field in ("tmb", "pdl1_tps") and number is not None:
                bio[field] = float(number)
            elif field == "her2_ihc" and number in (0, 1, 2, 3):
                bio["her2_ihc"] = int(number)
            elif field == "msi" and label:
                bio["msi"] = ("MSI-H" if "high" in label else "MSI-L" if "low" in label
                              else "MSS")
            elif field in ("her2", "er", "pr") and label in ("positive", "negative"):
                bio[field] = label
            else:
                self.warn(f"{ptr}/value", f"{field} value not readable; left out")
        if not bio:
            profile.pop("biomarkers")

    def actions(self, actions: list | None, profile: dict) -> None:
        if actions is None:
            return
        drugs: list[str] = []
        for i, a in enumerate(actions):
            ptr = f"/medicalActions/{i}"
            if "treatment" in a:
                label = ((a["treatment"].get("agent") or {}).get("label") or "").strip()
                if label:
                    drugs.append(drug_name(label))
                else:
                    self.warn(f"{ptr}/treatment/agent", "agent without a name; left out")
            elif "therapeuticRegimen" in a:
                label = ((a["therapeuticRegimen"].get("ontologyClass") or {}).get("label")
                         or "").strip()
                if label:
                    drugs.append(label.lower())
                else:
                    self.warn(f"{ptr}/therapeuticRegimen", "regimen without a name; left out")
            else:
                self.warn(ptr, "radiation therapy or procedure: patient.json prior therapies "
                               "are drugs; left out")
        if drugs or any("treatment" in a or "therapeuticRegimen" in a for a in actions):
            profile["prior_therapies"] = list(dict.fromkeys(drugs))


class _Bad(Exception):
    """A record-level problem: the record is rejected with this message (a pointer)."""
