"""Test-only hooks that run on Dask workers before each shard (`ClusterOptions.hook`).

Kept in a module of their own that imports nothing of the test suite: the workers receive
these functions by value, so they never import a test module (whose `conftest` imports would
resolve to whichever conftest is first on the worker's path)."""

from __future__ import annotations

import os
from pathlib import Path


def kill_once_then_record(marker: str, folder: str, shard: int) -> None:
    """Kill the worker that takes the first shard (once: the marker goes first), then note
    which worker process matched which shard."""
    try:
        os.remove(marker)
    except FileNotFoundError:
        Path(folder, f"{shard}-{os.getpid()}").touch()
        return
    os._exit(1)


def kill_always(shard: int) -> None:
    if shard == 0:
        os._exit(1)
