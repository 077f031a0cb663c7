"""The embedded ontology, built once per installation and kept in the user's cache folder.

Reading, validating and indexing the embedded TSV files costs a one-patient `find` about
0.05 s of its start-up (issue 12). The built `Ontology` (with the closures and fingerprint
every `find` asks for) is pickled to `<cache folder>/ontology-<key>.pickle`, where the key
hashes the bytes of the ontology files, the source of the modules whose objects the pickle
holds and the Python version: any change to one of them builds the ontology again. A cache
file that is missing, unreadable or not writable is not an error: the ontology is then
built from the files, as before.

The cache folder is `$TRIALMATCH_CACHE_DIR` if set (an empty value turns the cache off),
else the platform's per-user cache folder (`$XDG_CACHE_HOME/trialmatch`,
`~/.cache/trialmatch`, `~/Library/Caches/trialmatch`, `%LOCALAPPDATA%\\trialmatch\\Cache`).
Only files this user wrote are read: the folder is the user's own, like their installed
packages.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Callable
from pathlib import Path

from trialmatch.ontology.graph import Ontology

ENV_VAR = "TRIALMATCH_CACHE_DIR"
_FORMAT = b"trialmatch ontology cache 1"
# the modules that define the pickled objects and how they are built
_MODULES = ("graph.py", "load.py", "hgnc.py", "cache.py")


def cache_dir() -> Path | None:
    """The folder for cache files (None: caching is off)."""
    env = os.environ.get(ENV_VAR)
    if env is not None:
        return Path(env) if env.strip() else None
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA")
        return Path(base) / "trialmatch" / "Cache" if base else None
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "trialmatch"
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache") / "trialmatch"


def cache_key(folder: Path) -> str:
    """A hash of the ontology files in `folder`, of the code that reads and holds them,
    and of the Python version (a pickle holds classes by name, the code decides what
    they mean)."""
    h = hashlib.sha256(_FORMAT)
    h.update(f"{sys.version_info[0]}.{sys.version_info[1]}".encode())
    here = Path(__file__).resolve().parent
    for name in _MODULES:
        h.update(name.encode() + b"\0" + (here / name).read_bytes() + b"\0")
    for path in sorted(Path(folder).glob("*.tsv")):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:24]


KEEP = 8  # cache files kept (other checkouts or versions of the files share the folder)


def _prepared(ont: Ontology) -> Ontology:
    """Compute what every `find` asks for, so that the pickle holds it: the fingerprint
    (with the classes of every drug) and the ancestors of every cancer type."""
    if ont.fingerprint and ont.cancers:
        ont.cancer_ancestors(next(iter(ont.cancers)))
    return ont


def cached_ontology(folder: Path, build: Callable[[], Ontology]) -> Ontology:
    """The ontology of the files in `folder`: from the cache when it holds the same files
    (and code), else `build()` and written to the cache for the next process."""
    where = cache_dir()
    if where is None:
        return build()
    try:
        path = where / f"ontology-{cache_key(folder)}.pickle"
    except OSError:
        return build()
    import gc
    import pickle

    collecting = gc.isenabled()
    gc.disable()  # the pickle holds many small objects and no cycle: no collection needed
    try:
        with path.open("rb") as fh:
            found = pickle.load(fh)
        if isinstance(found, Ontology):
            return found
    except Exception:  # noqa: BLE001 - missing, truncated or from other code: build it
        pass
    finally:
        if collecting:
            gc.enable()
    ont = _prepared(build())
    try:
        where.mkdir(parents=True, exist_ok=True)
        others = sorted(where.glob("ontology-*.pickle"), key=lambda p: p.stat().st_mtime)
        for old in others[:max(0, len(others) - KEEP + 1)]:  # the least recent ones
            old.unlink(missing_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(pickle.dumps(ont, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(tmp, path)  # atomic: a reader sees the whole file or none
    except OSError:
        pass
    return ont
