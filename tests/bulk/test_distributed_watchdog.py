"""A distributed run whose cluster has lost every worker fails instead of waiting for ever
(`DaskRun._wait`), checked without a cluster: the client is a stand-in."""

from __future__ import annotations

import contextlib

import pytest

from trialmatch.bulk import distributed
from trialmatch.bulk.distributed import ClusterError, DaskRun


class _NoWorkers:
    """A client whose scheduler knows no worker."""

    def as_current(self):
        return contextlib.nullcontext()

    def scheduler_info(self):
        return {"workers": {}}


class _Dask:
    """`distributed.wait` that never sees a future finish."""

    calls = 0

    def wait(self, futures, timeout=None, return_when=None):
        _Dask.calls += 1
        raise TimeoutError


def test_a_cluster_without_workers_fails_the_run_after_the_grace(monkeypatch):
    monkeypatch.setattr(distributed, "WAIT_STEP", 0.01)
    monkeypatch.setattr(distributed, "WORKERLESS_GRACE", 0.05)
    run = object.__new__(DaskRun)
    run.client, run.dd, run.pending = _NoWorkers(), _Dask(), {object(): 0}
    with pytest.raises(ClusterError, match="no Dask worker was left"):
        run._wait("ALL_COMPLETED")
    assert _Dask.calls >= 2, "it waited in steps before giving up"
