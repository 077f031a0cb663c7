"""The DuckDB file: where it is, opening it, schema versions, transactions, locking.

Path: `--db`, else `TRIALMATCH_DB`, else `<user data dir>/trialmatch/trialmatch.duckdb`.
DuckDB lets one process write a file at a time; a second writer gets a clear message
(after waiting up to `wait` seconds), never a corrupted database.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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


_LOCKED = re.compile(r"could not set lock|conflicting lock|being used by another process",
                     re.IGNORECASE)
_CORRUPT = re.compile(r"corrupt|checksum|could not read enough "
                      r"bytes|invalid block|serialization error", re.IGNORECASE)
_MAGIC = b"DUCK"  # DuckDB's file header carries these bytes at offset 8
READER_WAIT = 10.0  # seconds a reader (find, explain) waits by itself for a writer


def _is_lock_error(exc: Exception) -> bool:
    return bool(_LOCKED.search(str(exc)))


def is_corrupt_error(exc: BaseException) -> bool:
    """A DuckDB error that says the file is damaged (as opposed to busy or missing)."""
    return isinstance(exc, duckdb.Error) and bool(_CORRUPT.search(str(exc)))


def corrupt_message(path: Path | None) -> str:
    where = f"{path}: " if path else ""
    return (f"{where}the database file is corrupt; restore it from a backup, or delete it "
            "and run `trialmatch load` (and `bulk`) again to rebuild it")


def check_file(path: Path) -> None:
    """Refuse a file that exists but is not a DuckDB database (a .json, a .csv ...):
    DuckDB would otherwise keep the tables in memory and store nothing."""
    try:
        with path.open("rb") as fh:
            head = fh.read(12)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StoreError(f"{path}: cannot read the database file ({exc.strerror})") from None
    if not head:
        raise StoreError(f"{path}: an empty file, not a trialmatch database; delete it, or "
                         "give --db a new file name")
    if head[8:12] != _MAGIC:
        raise StoreError(f"{path}: not a trialmatch database (the file is not a DuckDB "
                         "database; give --db a new file name or an existing database)")


_REGISTERED = iter(range(1, 1 << 62))


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, table) -> Iterator[str]:
    """Hand an Arrow table (or DataFrame) to DuckDB under a fresh name, for the duration
    of the block: the SQL names what it reads, never a Python variable (connections are
    opened with replacement scans off, so a forgotten `register` fails loudly)."""
    name = f"tm_arrow_{next(_REGISTERED)}"
    con.register(name, table)
    try:
        yield name
    finally:
        # a result left open (a statement that failed half-way) blocks unregistering; the
        # name is unique, so the table then stays harmlessly until the connection closes
        with contextlib.suppress(duckdb.Error):
            con.unregister(name)


def _without_replacement_scans(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    con.execute("SET python_enable_replacements = false")
    return con


class NeedsWriter(Exception):
    """A read-only open is not enough: the file is missing, old, or cannot be shared."""


class Store:
    """An open trialmatch database. Use as a context manager, or call `close()`."""

    def __init__(self, path: str | Path | None = None, *, wait: float | None = None,
                 memory: bool = False, read_only: bool = False) -> None:
        """`read_only`: share the file with other readers (several `find` at once); the
        file must exist with the current schema, else `NeedsWriter` is raised."""
        self.path = None if memory else Path(path) if path else default_db_path()
        self.read_only = read_only and self.path is not None
        if self.read_only and self.path is not None and not self.path.is_file():
            raise NeedsWriter(f"{self.path}: no database yet")
        self._hint = wait is not None  # the command has a --wait option to name
        self.con = self._connect(wait or 0.0)
        self.prepared: set[str] = set()  # names of statements prepared on this connection
        # a read-only store's `meta` rows, read once: no process writes the file while it
        # is open read-only (DuckDB's lock), so they cannot change
        self._meta: dict[str, str] | None = None
        self.ensure_schema()

    def _connect(self, wait: float) -> duckdb.DuckDBPyConnection:
        if self.path is None:
            return _without_replacement_scans(duckdb.connect(":memory:"))
        if self.path.is_dir():
            raise StoreError(f"{self.path}: is a directory, expected a database file")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot create folder ({exc.strerror})") from None
        check_file(self.path)
        deadline = time.monotonic() + wait
        while True:
            try:
                return _without_replacement_scans(
                    duckdb.connect(str(self.path), read_only=self.read_only))
            except duckdb.Error as exc:
                if _is_lock_error(exc) and time.monotonic() < deadline:
                    time.sleep(0.5)
                    continue
                if _is_lock_error(exc):
                    waited = f" (waited {wait:g} s)" if wait else ""
                    hint = " (or pass --wait SECONDS)" if self._hint else " and try again"
                    raise StoreError(
                        f"{self.path}: the database is in use by another trialmatch process"
                        f"{waited}; wait for it to finish{hint}") from None
                if is_corrupt_error(exc):
                    raise StoreError(corrupt_message(self.path)) from None
                if self.read_only:
                    raise NeedsWriter(f"{self.path}: cannot open read-only ({exc})") from None
                raise StoreError(f"{self.path}: cannot open the database ({exc})") from None

    def ensure_schema(self) -> None:
        row = None
        try:
            if self.read_only:  # every row at once: `get_meta` answers from them
                self._meta = dict(self.con.execute("SELECT key, value FROM meta").fetchall())
                version = self._meta.get("schema_version")
                row = (version,) if version is not None else None
            else:
                rows = self.con.execute(
                    "SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
                row = rows[0] if rows else None
        except duckdb.CatalogException:
            if self._has_other_tables():
                self.close()
                raise StoreError(f"{self.path}: not a trialmatch database (a DuckDB file "
                                 "with other tables); give --db a new file name") from None
        except duckdb.Error as exc:
            if is_corrupt_error(exc):
                raise StoreError(corrupt_message(self.path)) from None
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
        elif not self.read_only:
            self._end_stale_runs()

    def scalar(self, sql: str, params: list[Any] | None = None) -> Any:
        """The first value of the one row of a query that always returns a row (count, max)."""
        row = self.con.execute(sql, params).fetchone()
        if row is None:
            raise StoreError("internal error: a one-row query returned no row")
        return row[0]

    def _has_other_tables(self) -> bool:
        return bool(self.scalar(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
            "AND NOT temporary"))

    def _end_stale_runs(self) -> None:
        """A bulk run still `running` when we hold the writer's lock was killed (DuckDB
        lets one process write): mark it interrupted, so no run looks alive forever."""
        self.con.execute("UPDATE runs SET state = 'interrupted', finished_at = "
                         "coalesce(finished_at, now()) WHERE state = 'running'")

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
        if self._meta is not None:
            return self._meta.get(key)
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
