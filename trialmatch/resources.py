"""Where the data shipped with the package lives: curated criteria, ontologies, examples.

In a wheel they sit in `trialmatch/_data/`; in a source checkout (editable install, tests)
they are the top-level `criteria/`, `ontologies/` and `examples/` folders.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """The folder `name` (criteria, ontologies, examples) of this installation."""
    packaged = _PACKAGE / "_data" / name
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parent / name


CURATED_SUFFIXES = (".yaml", ".yml")


def curated_files(folder: Path) -> list[Path]:
    """The curated trial files of an existing folder (*.yaml, *.yml), sorted by name."""
    return sorted((p for p in folder.iterdir() if p.suffix in CURATED_SUFFIXES and p.is_file()),
                  key=lambda p: p.name)
