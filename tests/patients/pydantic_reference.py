"""Reference only: the pydantic patient model that `trialmatch/patients/model.py` replaced.

`test_model_oracle.py` checks the new reader against it on generated profiles.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

AlterationType = Literal["mutation", "amplification", "deletion", "fusion", "wildtype"]

_MSI = {"MSI-H": "MSI-H", "MSIH": "MSI-H", "MSI-HIGH": "MSI-H", "MSI-L": "MSI-L",
        "MSIL": "MSI-L", "MSI-LOW": "MSI-L", "MSS": "MSS", "STABLE": "MSS"}
_MMR = {"DMMR": "dMMR", "DEFICIENT": "dMMR", "PMMR": "pMMR", "PROFICIENT": "pMMR"}
_CODEL = {"codeleted": True, "co-deleted": True, "codeletion": True, "intact": False,
          "non-codeleted": False, "not-codeleted": False, "retained": False}
_IHC = {"0": 0, "1+": 1, "2+": 2, "3+": 3, "1": 1, "2": 2, "3": 3}


def _strip_comments(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: v for k, v in data.items() if not (isinstance(k, str) and k.startswith("_"))}
    return data


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _comments(cls, data: Any) -> Any:
        return _strip_comments(data)


class AlterationIn(_Strict):
    gene: str = Field(min_length=1)
    type: AlterationType
    protein: str | None = None
    exon: int | None = Field(default=None, ge=1, le=200)
    origin: Literal["somatic", "germline"] | None = None
    partner: str | None = None
    vaf: float | None = Field(default=None, ge=0, le=1)
    cdna: str | None = None
    transcript: str | None = None

    @field_validator("type", "origin", mode="before")
    @classmethod
    def _lower(cls, v: Any) -> Any:
        return v.strip().lower() if isinstance(v, str) else v


class DiagnosisIn(_Strict):
    oncotree: str | None = None
    text: str | None = None
    stage: str | None = None

    @field_validator("oncotree", mode="before")
    @classmethod
    def _upper(cls, v: Any) -> Any:
        return v.strip().upper() if isinstance(v, str) else v


class BiomarkersIn(_Strict):
    tmb: float | None = Field(default=None, ge=0)
    msi: Literal["MSI-H", "MSI-L", "MSS"] | None = None
    mmr: Literal["dMMR", "pMMR"] | None = None
    pdl1_tps: float | None = Field(default=None, ge=0, le=100)
    pdl1_cps: float | None = Field(default=None, ge=0)
    her2_ihc: Literal[0, 1, 2, 3] | None = None
    her2_ish: Literal["amplified", "not amplified"] | None = None
    her2: Literal["positive", "negative", "low", "zero"] | None = None
    er: Literal["positive", "negative"] | None = None
    pr: Literal["positive", "negative"] | None = None
    hrd: bool | None = None
    loh: bool | None = None
    # whole-arm co-deletion of 1p and 19q: true codeleted, false intact (non-codeleted)
    codel_1p19q: bool | None = None
    # protein or gene expression markers by name (CD20, claudin 18.2, TROP2...): level
    expression: dict[str, Literal["positive", "negative", "high", "low"]] | None = None

    @field_validator("msi", mode="before")
    @classmethod
    def _msi(cls, v: Any) -> Any:
        return _MSI.get(v.strip().upper().replace(" ", "-"), v) if isinstance(v, str) else v

    @field_validator("mmr", mode="before")
    @classmethod
    def _mmr(cls, v: Any) -> Any:
        return _MMR.get(v.strip().upper(), v) if isinstance(v, str) else v

    @field_validator("codel_1p19q", mode="before")
    @classmethod
    def _codel(cls, v: Any) -> Any:
        if isinstance(v, str):
            return _CODEL.get(v.strip().lower().replace(" ", "-"), v)
        return v

    @field_validator("her2_ihc", mode="before")
    @classmethod
    def _ihc(cls, v: Any) -> Any:
        if isinstance(v, str):
            return _IHC.get(v.strip(), v)
        return v

    @field_validator("er", "pr", "her2", "her2_ish", mode="before")
    @classmethod
    def _status(cls, v: Any) -> Any:
        if isinstance(v, str):
            s = v.strip().lower()
            return {"pos": "positive", "+": "positive", "neg": "negative", "-": "negative"}.get(
                s, s)
        return v


class PatientIn(_Strict):
    id: str = Field(min_length=1, max_length=200)
    birth_date: date | None = None
    age: float | None = Field(default=None, ge=0, le=130)
    sex: Literal["female", "male"] | None = None
    diagnosis: DiagnosisIn | None = None
    ecog: int | None = Field(default=None, ge=0, le=5)
    karnofsky: int | None = Field(default=None, ge=0, le=100)
    # absent or null: no genomic result at all (an empty list is "none found")
    alterations: list[AlterationIn] | None = None
    biomarkers: BiomarkersIn = Field(default_factory=BiomarkersIn)
    tested_genes: list[str] | None = None
    prior_therapies: list[str] | None = None
    updated: date | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _id(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v

    @field_validator("sex", mode="before")
    @classmethod
    def _sex(cls, v: Any) -> Any:
        if isinstance(v, str):
            s = v.strip().lower()
            return {"f": "female", "m": "male"}.get(s, s)
        return v

    @field_validator("biomarkers", mode="before")
    @classmethod
    def _none_biomarkers(cls, v: Any) -> Any:
        return {} if v is None else v
