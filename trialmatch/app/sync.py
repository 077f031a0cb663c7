"""`trialmatch sync`: keep the catalogue's ClinicalTrials.gov trials current, page by page.

Library first: `sync_registry(db, condition=..., term=..., statuses=..., since=...)` asks the
registry's API v2 (`registry.RegistryClient`) for the studies of one query, only the fields
trialmatch stores, and commits each page in its own transaction:

- every record is kept with its version date (`lastUpdatePostDate`) and two hashes in
  `registry_records`: of the record as fetched, and of the parser's inputs (eligibility text,
  title, conditions, ages, sex, summary);
- a record whose hash did not change is skipped; one whose parser inputs did not change
  keeps its parse (and its cohorts' rules) and only takes the new status, phase and sites;
  a new record, or one whose text changed, is parsed again;
- a stored trial that is curated (any origin other than `ctgov`: a curated YAML or CTML file
  with the NCT id) keeps its rules whatever the registry says; it takes the status, phase
  and sites, and when its text changed since the last sync a note says to review it.

The query's state lives in `sync_state`: a run that fails on a page (after the client's
retries) leaves the earlier pages committed and the failing page's token stored, and the
next run of the same query resumes there. Without `since`, a sync asks only for records
updated since the day before its last successful run started (the registry dates records in
US time; the first run fetches everything).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from trialmatch.errors import EXIT_PARTIAL, EXIT_USAGE, TrialmatchError, UsageError
from trialmatch.ingest.ctgov import study_record
from trialmatch.ingest.record import Record
from trialmatch.ingest.registry import DEFAULT_BASE_URL, FIELDS, PageError, RegistryClient

ORIGIN = "ctgov"
# the API v2 overall statuses (`filter.overallStatus`)
REGISTRY_STATUSES = ("ACTIVE_NOT_RECRUITING", "COMPLETED", "ENROLLING_BY_INVITATION",
                     "NOT_YET_RECRUITING", "RECRUITING", "SUSPENDED", "TERMINATED",
                     "WITHDRAWN", "AVAILABLE", "NO_LONGER_AVAILABLE",
                     "TEMPORARILY_NOT_AVAILABLE", "APPROVED_FOR_MARKETING", "WITHHELD",
                     "UNKNOWN")
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True, slots=True)
class SyncQuery:
    """What to ask the registry for; the same query (and base URL) shares one sync state."""

    base_url: str = DEFAULT_BASE_URL
    condition: str | None = None
    term: str | None = None
    statuses: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return json.dumps([self.base_url.rstrip("/"), self.condition, self.term,
                           sorted(self.statuses)])

    def params(self, since: str | None, page_size: int, token: str | None) -> dict[str, Any]:
        params: dict[str, Any] = {"format": "json", "pageSize": page_size,
                                  "fields": ",".join(FIELDS)}
        if self.condition:
            params["query.cond"] = self.condition
        if self.term:
            params["query.term"] = self.term
        if self.statuses:
            params["filter.overallStatus"] = ",".join(self.statuses)
        if since:
            params["filter.advanced"] = f"AREA[LastUpdatePostDate]RANGE[{since},MAX]"
        if token:
            params["pageToken"] = token
        else:
            params["countTotal"] = "true"
        return params


@dataclass
class SyncSummary:
    """What a sync did; `line()` is the summary printed on stderr."""

    since: str | None = None
    resumed_at_page: int | None = None
    pages: int = 0
    fetched: int = 0
    new: int = 0
    changed: int = 0  # parsed again: their text changed
    updated: int = 0  # status, phase or sites changed; parse kept
    unchanged: int = 0
    curated: int = 0  # curated trials that kept their rules
    skipped: int = 0  # records without eligibility text
    total: int | None = None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in (
            "since", "resumed_at_page", "pages", "fetched", "new", "changed", "updated",
            "unchanged", "curated", "skipped", "total", "problems", "notes")}

    def line(self) -> str:
        since = f" updated since {self.since}" if self.since else ""
        return (f"synced {self.fetched} registry record{'s' if self.fetched != 1 else ''}"
                f"{since} in {self.pages} page{'s' if self.pages != 1 else ''}: "
                f"{self.new} new, {self.changed} changed (parsed again), {self.updated} "
                f"updated (status, phase or sites), {self.unchanged} unchanged, "
                f"{self.curated} curated (rules kept), {self.skipped} without eligibility text")


class SyncError(TrialmatchError):
    """A page failed after retries. Exit 3 when this run committed earlier pages (they stay,
    and the next run resumes at the failed page), 2 when it committed nothing."""

    def __init__(self, error: PageError, summary: SyncSummary) -> None:
        committed = summary.pages
        tail = (f"; the {committed} page{'s' if committed != 1 else ''} before it "
                f"{'are' if committed != 1 else 'is'} stored" if committed
                else "; nothing was stored")
        super().__init__(f"{error}{tail}; run the same sync again to resume at page "
                         f"{error.page}")
        self.summary = summary
        self.exit_code = EXIT_PARTIAL if committed else EXIT_USAGE


# ----------------------------------------------------------------------------- options

def check_statuses(statuses: Iterable[str]) -> tuple[str, ...]:
    """API v2 status enums from user text ("recruiting", "Not yet recruiting")."""
    out: list[str] = []
    for raw in statuses:
        code = re.sub(r"[^A-Z0-9]+", "_", raw.strip().upper()).strip("_")
        if not code:
            continue
        if code not in REGISTRY_STATUSES:
            import difflib

            close = difflib.get_close_matches(code, REGISTRY_STATUSES, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise UsageError(f"--status: unknown registry status {raw.strip()!r}{hint}; one "
                             f"of {', '.join(REGISTRY_STATUSES)}")
        if code not in out:
            out.append(code)
    return tuple(out)


def check_since(since: str | date | None) -> str | None:
    if since is None or isinstance(since, date):
        return since.isoformat() if since else None
    try:
        return date.fromisoformat(since.strip()).isoformat()
    except ValueError:
        raise UsageError("--since: expected a date YYYY-MM-DD") from None


def check_base_url(url: str) -> str:
    if not re.match(r"^https?://[^/\s]+", url or ""):
        raise UsageError("--base-url: expected an http:// or https:// URL, such as "
                         f"{DEFAULT_BASE_URL}")
    return url.rstrip("/")


# ----------------------------------------------------------------------------- hashes

def _hash(obj: Any) -> str:
    text = json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def record_hash(study: Any) -> str:
    """Of the record as fetched: any change to a stored field changes it."""
    return _hash(study)


def text_hash(record: Record) -> str:
    """Of what the parser reads: when it is the same, the parse is the same."""
    return _hash([record.eligibility, record.title, list(record.conditions),
                  record.min_age_text, record.max_age_text, record.sex, record.summary])


def version_date(study: Any) -> str | None:
    try:
        value = study["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"]
    except (KeyError, TypeError):
        return None
    return value if isinstance(value, str) else None


# ----------------------------------------------------------------------------- state

@dataclass
class _Run:
    since: str | None
    started: str  # the day before the run began: the next incremental sync's `since`
    token: str | None
    pages_done: int
    page_size: int


def _state(store, query: SyncQuery) -> dict[str, Any] | None:
    rows = store.con.execute(
        "SELECT last_success_date, run_since, run_started, next_page_token, pages_done, "
        "state, query FROM sync_state WHERE query_key = ?", [query.key]).fetchall()
    if not rows:
        return None
    keys = ("last_success_date", "run_since", "run_started", "next_page_token", "pages_done",
            "state", "query")
    return dict(zip(keys, rows[0]))


def _save_state(store, query: SyncQuery, run: _Run, state: str,
                success: bool = False) -> None:
    doc = json.dumps({"base_url": query.base_url, "condition": query.condition,
                      "term": query.term, "statuses": list(query.statuses),
                      "page_size": run.page_size})
    prev = store.con.execute("SELECT last_success_date, last_success_at FROM sync_state "
                             "WHERE query_key = ?", [query.key]).fetchall()
    last_date, last_at = prev[0] if prev else (None, None)
    if success:
        last_date, last_at = run.started, datetime.now()
    store.con.execute("INSERT OR REPLACE INTO sync_state VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      [query.key, doc, last_date, last_at, run.since, run.started, run.token,
                       run.pages_done, state])


def _plan(store, query: SyncQuery, since: str | None, page_size: int,
          summary: SyncSummary) -> _Run:
    """Resume the query's interrupted run, or start one (since: given, else the day before
    the last successful run started)."""
    prev = _state(store, query)
    # the registry dates records in US time: starting a day early never misses one (records
    # fetched twice are skipped by their hash)
    today = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    if (prev and prev["state"] != "done" and prev["next_page_token"]
            and (since is None or since == prev["run_since"])):
        stored_size = json.loads(prev["query"] or "{}").get("page_size") or page_size
        run = _Run(prev["run_since"], prev["run_started"] or today, prev["next_page_token"],
                   prev["pages_done"] or 0, int(stored_size))
        summary.resumed_at_page = run.pages_done + 1
        summary.notes.append(f"resuming the interrupted sync at page {run.pages_done + 1}")
    else:
        if since is None and prev:
            since = prev["last_success_date"]
        run = _Run(since, today, None, 0, page_size)
    summary.since = run.since
    return run


# ----------------------------------------------------------------------------- one page

@dataclass
class _Item:
    record: Record
    study: Any
    record_hash: str
    text_hash: str


def _stored(con, ids: list[str]) -> dict[str, tuple]:
    """trial id -> (origin, doc, record_hash, text_hash) of the stored trials and records."""
    rows = con.execute(
        """SELECT i.id, t.origin, t.doc, r.record_hash, r.text_hash
           FROM (SELECT unnest(?::VARCHAR[]) AS id) i
           LEFT JOIN trials t ON t.trial_id = i.id
           LEFT JOIN registry_records r ON r.trial_id = i.id""", [ids]).fetchall()
    return {r[0]: r[1:] for r in rows}


def _read_page(studies: list[Any], page_no: int, summary: SyncSummary) -> list[_Item]:
    items: dict[str, _Item] = {}
    for i, study in enumerate(studies, start=1):
        record, problem = study_record(study, f"page {page_no}, study {i}")
        if problem:
            if problem.endswith("no eligibility text"):
                summary.skipped += 1
            else:
                summary.problems.append(f"page {page_no}, study {i}: {problem}")
            continue
        assert record is not None  # study_record returns a record or a problem
        items[record.nct_id] = _Item(record, study, record_hash(study), text_hash(record))
    return list(items.values())


def _store_page(store, ont, items: list[_Item], summary: SyncSummary, parse: Callable,
                query: SyncQuery, run: _Run) -> None:
    """Decide, parse what must be parsed, and write the page and the state: one transaction."""
    from trialmatch.app.catalog import store_trials
    from trialmatch.rules.trial import Trial
    from trialmatch.store.sites import replace_sites

    stored = _stored(store.con, [it.record.nct_id for it in items])
    parsed: list = []
    kept: dict[str, list] = {}  # origin -> trials rewritten with new status / phase
    written: list[_Item] = []
    for it in items:
        rec = it.record
        origin, doc, old_record, old_text = stored.get(rec.nct_id, (None,) * 4)
        if doc is not None and old_record == it.record_hash:
            summary.unchanged += 1
            continue
        if doc is not None and (origin != ORIGIN or old_text == it.text_hash):
            trial = Trial.from_dict(json.loads(doc))
            kept.setdefault(origin, []).append(replace(trial, status=rec.status,
                                                       phase=rec.phase or trial.phase))
            if origin != ORIGIN:
                summary.curated += 1
                if old_text is not None and old_text != it.text_hash:
                    summary.notes.append(
                        f"{rec.nct_id}: the registry's text changed since the last sync; the "
                        f"curated rules ({origin}) were kept, review them")
            else:
                summary.updated += 1
            written.append(it)
            continue
        try:
            trial = parse(rec, ont)
        except Exception as exc:  # one record's parser failure must not cost the page
            kind = str(exc) if isinstance(exc, TrialmatchError) else \
                f"internal error {type(exc).__name__}; this is a bug"
            summary.problems.append(f"{rec.source}: {rec.nct_id}: not parsed ({kind})")
            continue
        parsed.append(trial)
        written.append(it)
        if doc is None:
            summary.new += 1
        else:
            summary.changed += 1
    now = datetime.now()
    with store.transaction():
        if parsed:
            store_trials(store, parsed, ORIGIN)
        for origin, trials in kept.items():
            store_trials(store, trials, origin)
        replace_sites(store.con, {it.record.nct_id: it.record.sites or () for it in written})
        if written:
            store.con.execute(
                "INSERT OR REPLACE INTO registry_records SELECT unnest(?::VARCHAR[]), "
                "unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), "
                "unnest(?::VARCHAR[]), ?::TIMESTAMP",
                [[it.record.nct_id for it in written], [version_date(it.study) for it in written],
                 [it.record_hash for it in written], [it.text_hash for it in written],
                 [it.record.status for it in written], now])
        _save_state(store, query, run, "running")


# ----------------------------------------------------------------------------- the run

def sync_registry(db=None, *, condition: str | None = None, term: str | None = None,
                  statuses: Iterable[str] = (), since: str | date | None = None,
                  base_url: str = DEFAULT_BASE_URL, page_size: int = 200,
                  client: RegistryClient | None = None, wait: float = 0.0,
                  progress: Callable[[SyncSummary], None] | None = None,
                  parse: Callable | None = None) -> SyncSummary:
    """Fetch one registry query into the catalogue (see the module docstring).

    `client` replaces the default `RegistryClient(base_url)` (tests: no waiting);
    `progress(summary)` is called after each stored page. Raises `UsageError` for a bad
    option and `SyncError` when a page fails after retries."""
    from trialmatch.app.catalog import open_catalog, refresh_derived

    query = SyncQuery(check_base_url(base_url), (condition or "").strip() or None,
                      (term or "").strip() or None, check_statuses(statuses))
    since = check_since(since)
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise UsageError(f"--page-size: between 1 and {MAX_PAGE_SIZE}")
    if parse is None:
        from trialmatch.nlp.parse import parse_record

        parse = parse_record

    summary = SyncSummary()
    store, ont = open_catalog(db, wait=wait)
    try:
        with store.transaction():
            run = _plan(store, query, since, page_size, summary)
            _save_state(store, query, run, "running")
    finally:
        store.close()
    own_client = client is None
    client = client or RegistryClient(query.base_url)
    try:
        _fetch_all(db, wait, ont, query, run, client, summary, parse, progress)
    finally:
        if own_client:
            client.close()
    store, ont = open_catalog(db, wait=wait)
    try:
        with store.transaction():
            run.token = None
            _save_state(store, query, run, "done", success=True)
            refresh_derived(store, ont)
    finally:
        store.close()
    return summary


def _fetch_all(db, wait: float, ont, query: SyncQuery, run: _Run, client: RegistryClient,
               summary: SyncSummary, parse: Callable,
               progress: Callable[[SyncSummary], None] | None) -> None:
    """Fetch and store page after page; on a page error, record it and raise `SyncError`.

    The database is opened for each page only, so `find` can read between pages."""
    from trialmatch.store.db import Store

    restarted = False
    while True:
        page_no = run.pages_done + 1
        try:
            page = client.page(query.params(run.since, run.page_size, run.token), page_no)
        except PageError as exc:
            resumed_token_refused = (summary.resumed_at_page == page_no and not restarted
                                     and exc.status in (400, 404, 410))
            if resumed_token_refused:  # the stored page token expired: start the query again
                summary.notes.append(f"the registry refused the stored page token of page "
                                     f"{page_no}; the query was started again from page 1 "
                                     "(records already stored are skipped)")
                run.token, run.pages_done, restarted = None, 0, True
                continue
            with Store(db, wait=wait) as store, store.transaction():
                _save_state(store, query, run, "failed")
            raise SyncError(exc, summary) from None
        if page.total is not None and summary.total is None:
            summary.total = page.total
        items = _read_page(page.studies, page_no, summary)
        run.pages_done, run.token = page_no, page.next_token
        with Store(db, wait=wait) as store:
            _store_page(store, ont, items, summary, parse, query, run)
        summary.pages += 1
        summary.fetched += len(page.studies)
        if progress is not None:
            progress(summary)
        if not page.next_token:
            return
