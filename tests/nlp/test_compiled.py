"""The parser's modules may run compiled (mypyc, built by `pip install`): an edited source
newer than its compiled copy is reported, since Python would import the old compiled copy."""

from __future__ import annotations

import importlib.machinery
import os

from trialmatch.nlp import stale_compiled


def test_a_source_newer_than_its_compiled_copy_is_reported(tmp_path):
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    for name in ("tokens", "segment"):
        (tmp_path / f"{name}{suffix}").write_bytes(b"")
        (tmp_path / f"{name}.py").write_text("")
    os.utime(tmp_path / f"tokens{suffix}", (1_000, 1_000))
    os.utime(tmp_path / "tokens.py", (2_000, 2_000))
    os.utime(tmp_path / "segment.py", (1_000, 1_000))
    os.utime(tmp_path / f"segment{suffix}", (2_000, 2_000))
    assert stale_compiled(tmp_path) == ["tokens"]


def test_pure_python_sources_are_not_reported(tmp_path):
    (tmp_path / "tokens.py").write_text("")
    assert stale_compiled(tmp_path) == []


def test_an_installed_package_is_not_checked(tmp_path):
    folder = tmp_path / "site-packages" / "trialmatch" / "nlp"
    folder.mkdir(parents=True)
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    (folder / f"tokens{suffix}").write_bytes(b"")
    (folder / "tokens.py").write_text("")
    os.utime(folder / f"tokens{suffix}", (1_000, 1_000))
    assert stale_compiled(folder) == []
