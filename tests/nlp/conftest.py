import os
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


def pytest_collection_modifyitems(config, items):
    """Parser tests marked `slow` (the whole 4,868-trial corpus) run only when asked for:
    `pytest -m slow tests/nlp` or TRIALMATCH_SLOW=1."""
    if "slow" in (config.getoption("markexpr", "") or "") or os.environ.get("TRIALMATCH_SLOW"):
        return
    skip = pytest.mark.skip(reason="slow: run with `-m slow` or TRIALMATCH_SLOW=1")
    for item in items:
        if "slow" in item.keywords and HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(skip)
