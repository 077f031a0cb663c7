"""The DuckDB file: where it is, opening it, schema versions, transactions, locking.

Path: `--db`, else `TRIALMATCH_DB`, else `<user data dir>/trialmatch/trialmatch.duckdb`.
DuckDB lets one process write a file at a time; a second writer gets a clear message
(after waiting up to `wait` seconds), never a corrupted database.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from trialmatch.errors import StoreError
from trialmatch.store.schema import DDL, SCHEMA_VERSION

ENV_VAR = "TRIALMATCH_DB"


def default_db_path() -> Path:
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("trialmatch", appauthor=False)) / "trialmatch.duckdb"


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text or "being used by another process" in text


class NeedsWriter(Exception):
    """A read-only open is not enough: the file is missing, old, or cannot be shared."""


class Store:
    """An open trialmatch database. Use as a context manager, or call `close()`."""

    def __init__(self, path: str | Path | None = None, *, wait: float = 0.0,
                 memory: bool = False, read_only: bool = False) -> None:
        """`read_only`: share the file with other readers (several `find` at once); the
        file must exist with the current schema, else `NeedsWriter` is raised."""
        self.path = None if memory else Path(path) if path else default_db_path()
        self.read_only = read_only and self.path is not None
        if self.read_only and not self.path.is_file():
            raise NeedsWriter(f"{self.path}: no database yet")
        self.con = self._connect(wait)
        self.prepared: set[str] = set()  # names of statements prepared on this connection
        self.ensure_schema()

    def _connect(self, wait: float) -> duckdb.DuckDBPyConnection:
        if self.path is None:
            return duckdb.connect(":memory:")
        if self.path.is_dir():
            raise StoreError(f"{self.path}: is a directory, expected a database file")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot create folder ({exc.strerror})") from None
        deadline = time.monotonic() + wait
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=self.read_only)
            except duckdb.Error as exc:
                if _is_lock_error(exc) and time.monotonic() < deadline:
                    time.sleep(0.5)
                    continue
                if _is_lock_error(exc):
                    raise StoreError(
                        f"{self.path}: the database is in use by another trialmatch process; "
                        "wait for it to finish (or pass --wait SECONDS)") from None
                if self.read_only:
                    raise NeedsWriter(f"{self.path}: cannot open read-only ({exc})") from None
                raise StoreError(f"{self.path}: cannot open the database ({exc})") from None

    def ensure_schema(self) -> None:
        row = None
        try:
            rows = self.con.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
            row = rows[0] if rows else None
        except duckdb.CatalogException:
            pass
        except duckdb.Error as exc:
            raise StoreError(f"{self.path}: not a trialmatch database ({exc})") from None
        if self.read_only and (row is None or int(row[0]) != SCHEMA_VERSION):
            self.close()
            raise NeedsWriter(f"{self.path}: the schema needs creating or upgrading")
        if row is not None and int(row[0]) != SCHEMA_VERSION:
            self._upgrade(int(row[0]))
        if row is None:
            with self.transaction():
                for ddl in DDL:
                    self.con.execute(ddl)
                self.set_meta("schema_version", str(SCHEMA_VERSION))

    def _upgrade(self, version: int) -> None:
        """Bring an older database to `SCHEMA_VERSION`, all steps in one transaction."""
        from trialmatch.store.migrate import STEPS

        if version > SCHEMA_VERSION or any(v not in STEPS for v in range(version,
                                                                         SCHEMA_VERSION)):
            raise StoreError(f"{self.path}: database schema version {version} is not "
                             f"{SCHEMA_VERSION} and cannot be upgraded; re-create it "
                             "(delete the file)")
        with self.transaction():
            for v in range(version, SCHEMA_VERSION):
                STEPS[v](self.con)
            self.set_meta("schema_version", str(SCHEMA_VERSION))

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All or nothing: on any exception the database is left as it was."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def get_meta(self, key: str) -> str | None:
        rows = self.con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchall()
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        self.con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
