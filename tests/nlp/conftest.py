from pathlib import Path

import pytest

from tests.nlp.stub_ontology import STUB

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def ont():
    return STUB


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"shared data not found at {SHARED} (it sits beside the repository)")
    return SHARED
