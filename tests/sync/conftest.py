"""A fresh catalogue per test, copied from one built per session (the curated trials loaded
and derived tables current), so each test does not pay for building it."""

from __future__ import annotations

import shutil

import pytest


@pytest.fixture(scope="session")
def catalogue_template(tmp_path_factory):
    from trialmatch.app.catalog import open_catalog

    path = tmp_path_factory.mktemp("sync-template") / "catalogue.duckdb"
    store, _ = open_catalog(path)
    store.close()
    return path


@pytest.fixture
def db(catalogue_template, tmp_path):
    path = tmp_path / "t.duckdb"
    shutil.copy(catalogue_template, path)
    return path
