"""trialmatch: match cancer patients' genomic profiles to clinical trials, with reasons."""

__version__ = "0.1.0"
