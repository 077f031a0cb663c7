"""Fixtures of the ontology tests (helpers live in ontology_helpers.py)."""

from __future__ import annotations

import pytest
from ontology_helpers import embedded_or_mini

from trialmatch.ontology import Ontology


@pytest.fixture(scope="session")
def ontology() -> Ontology:
    return embedded_or_mini()
