"""`trialmatch sync` end to end against a local fake registry (no network).

Each test serves synthetic API v2 pages of our own making (`registry_fake`) from
`pytest-httpserver` and checks what the catalogue holds afterwards.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from trialmatch.app.catalog import open_catalog, replace_trials
from trialmatch.app.sync import SyncError, sync_registry
from trialmatch.cli.app import main
from trialmatch.errors import EXIT_PARTIAL, EXIT_USAGE, UsageError
from trialmatch.nlp.parse import parse_record
from trialmatch.rules.dsl import to_text
from trialmatch.store.db import Store

from .registry_fake import LUNG_TEXT, FakeRegistry, quiet_client, site, study

PARIS = site("Institut Exemple", "Paris", "France", 48.84, 2.34)
LYON = site("Centre Exemple", "Lyon", "France", 45.75, 4.85)


def two_pages():
    return [[study("NCT99000001", sites=[PARIS]), study("NCT99000002", sites=[LYON])],
            [study("NCT99000003", status="NOT_YET_RECRUITING", sites=[])]]


class Counting:
    """The real parser, counting calls (what "only changed records are parsed" means)."""

    def __init__(self):
        self.calls: list[str] = []

    def __call__(self, record, ontology=None):
        self.calls.append(record.nct_id)
        return parse_record(record, ontology)


def run(db, fake, httpserver, sleeps=None, **kw):
    url = fake.serve(httpserver)
    parse = kw.pop("parse", None) or Counting()
    summary = sync_registry(db, base_url=url, client=quiet_client(url, sleeps), parse=parse,
                            **kw)
    return summary, parse


def rows(db, sql, params=()):
    with Store(db) as s:
        return s.con.execute(sql, list(params)).fetchall()


def test_sync_asks_the_v2_api_and_stores_records_versions_and_sites(db, httpserver):
    fake = FakeRegistry(two_pages())
    summary, parse = run(db, fake, httpserver, condition="lung cancer", term="EGFR",
                         statuses=["recruiting", "Not yet recruiting"], page_size=2)
    assert (summary.pages, summary.fetched, summary.new, summary.total) == (2, 3, 3, 3)
    assert sorted(parse.calls) == ["NCT99000001", "NCT99000002", "NCT99000003"]
    first, second = fake.requests
    assert first["query.cond"] == "lung cancer" and first["query.term"] == "EGFR"
    assert first["filter.overallStatus"] == "RECRUITING,NOT_YET_RECRUITING"
    assert first["pageSize"] == "2" and "pageToken" not in first
    assert "filter.advanced" not in first  # the first sync of a query fetches everything
    fields = first["fields"].split(",")
    assert "protocolSection.eligibilityModule" in fields
    assert "protocolSection.contactsLocationsModule.locations" in fields
    assert second["pageToken"] == "tok-2"
    got = rows(db, "SELECT trial_id, version_date, length(record_hash), status "
               "FROM registry_records ORDER BY 1")
    assert got == [("NCT99000001", "2026-11-02", 16, "RECRUITING"),
                   ("NCT99000002", "2026-11-02", 16, "RECRUITING"),
                   ("NCT99000003", "2026-11-02", 16, "NOT_YET_RECRUITING")]
    assert rows(db, "SELECT trial_id, origin, status FROM trials WHERE origin = 'ctgov' "
                "ORDER BY 1") == [("NCT99000001", "ctgov", "RECRUITING"),
                                  ("NCT99000002", "ctgov", "RECRUITING"),
                                  ("NCT99000003", "ctgov", "NOT_YET_RECRUITING")]
    assert rows(db, "SELECT trial_id, facility, city, lat, lon FROM sites ORDER BY 1") == [
        ("NCT99000001", "Institut Exemple", "Paris", 48.84, 2.34),
        ("NCT99000002", "Centre Exemple", "Lyon", 45.75, 4.85)]
    (state,) = rows(db, "SELECT state, next_page_token, pages_done, last_success_date "
                    "FROM sync_state")
    yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    assert state == ("done", None, 2, yesterday)  # a day of overlap: US dates, UTC clock


def test_a_second_sync_is_incremental_and_parses_nothing_unchanged(db, httpserver):
    fake = FakeRegistry(two_pages())
    first, _ = run(db, fake, httpserver, condition="lung cancer")
    (last,) = rows(db, "SELECT last_success_date FROM sync_state")
    fake.requests.clear()
    summary, parse = run(db, fake, httpserver, condition="lung cancer")
    assert parse.calls == [] and summary.unchanged == 3 and summary.new == 0
    assert fake.requests[0]["filter.advanced"] == f"AREA[LastUpdatePostDate]RANGE[{last[0]},MAX]"
    assert summary.since == last[0]
    # an explicit --since wins over the last success
    fake.requests.clear()
    run(db, fake, httpserver, condition="lung cancer", since="2026-01-31")
    assert fake.requests[0]["filter.advanced"] == "AREA[LastUpdatePostDate]RANGE[2026-01-31,MAX]"


def test_a_status_change_keeps_the_parse_and_a_text_change_parses_again(db, httpserver):
    pages = [[study("NCT99000001", sites=[PARIS]), study("NCT99000002")]]
    fake = FakeRegistry(pages)
    run(db, fake, httpserver)
    before = rows(db, "SELECT doc FROM trials WHERE trial_id = 'NCT99000001'")[0][0]
    pages[0][0] = study("NCT99000001", status="SUSPENDED", updated="2026-11-20", sites=[LYON])
    pages[0][1] = study("NCT99000002", text=LUNG_TEXT.replace("L858R", "T790M"),
                        updated="2026-11-20")
    summary, parse = run(db, fake, httpserver)
    assert parse.calls == ["NCT99000002"]
    assert (summary.updated, summary.changed, summary.unchanged) == (1, 1, 0)
    after = rows(db, "SELECT doc, status FROM trials WHERE trial_id = 'NCT99000001'")[0]
    old, new = json.loads(before), json.loads(after[0])
    assert after[1] == "SUSPENDED" and new["status"] == "SUSPENDED"
    assert new["cohorts"] == old["cohorts"]  # the parse was kept
    assert rows(db, "SELECT city FROM sites WHERE trial_id = 'NCT99000001'") == [("Lyon",)]
    assert rows(db, "SELECT version_date FROM registry_records WHERE trial_id = "
                "'NCT99000001'") == [("2026-11-20",)]
    text = rows(db, "SELECT doc FROM trials WHERE trial_id = 'NCT99000002'")[0][0]
    assert "T790M" in text and "L858R" not in text


def test_a_curated_trial_keeps_its_rules_and_takes_the_registry_status(db, httpserver):
    from trialmatch.rules.dsl import parse_text
    from trialmatch.rules.trial import Cohort, Trial

    curated = Trial("NCT99000001", (Cohort("main", parse_text(
        "all(diagnosis(NSCLC), alteration(EGFR, mutation, variant=L858R))")),),
        "Curated by hand", "PHASE2", "RECRUITING")
    store, ont = open_catalog(db)
    with store:
        replace_trials(store, ont, [curated], "ctml")
    pages = [[study("NCT99000001", status="ACTIVE_NOT_RECRUITING", sites=[PARIS])]]
    fake = FakeRegistry(pages)
    summary, parse = run(db, fake, httpserver)
    assert parse.calls == [] and summary.curated == 1
    doc = json.loads(rows(db, "SELECT doc FROM trials WHERE trial_id = 'NCT99000001'")[0][0])
    assert doc["status"] == "ACTIVE_NOT_RECRUITING" and doc["title"] == "Curated by hand"
    assert to_text(Trial.from_dict(doc).cohorts[0].rule) == to_text(curated.cohorts[0].rule)
    assert rows(db, "SELECT origin FROM trials WHERE trial_id = 'NCT99000001'") == [("ctml",)]
    # the registry text changes: the curation is kept, and flagged for review
    pages[0][0] = study("NCT99000001", text=LUNG_TEXT + "- New criterion\n", sites=[PARIS])
    summary, parse = run(db, fake, httpserver)
    assert parse.calls == [] and summary.curated == 1
    assert any("curated rules (ctml) were kept" in n for n in summary.notes)


def test_a_page_that_is_not_json_stops_the_run_and_keeps_earlier_pages(db, httpserver):
    fake = FakeRegistry(two_pages(), failures={2: ["not json"]})
    with pytest.raises(SyncError) as err:
        run(db, fake, httpserver)
    assert err.value.exit_code == EXIT_PARTIAL
    assert "page 2" in str(err.value) and "not JSON" in str(err.value)
    assert rows(db, "SELECT trial_id FROM registry_records ORDER BY 1") == [
        ("NCT99000001",), ("NCT99000002",)]
    assert rows(db, "SELECT count(*) FROM trials WHERE trial_id = 'NCT99000003'") == [(0,)]
    assert rows(db, "SELECT state, next_page_token, pages_done FROM sync_state") == [
        ("failed", "tok-2", 1)]


def test_a_500_after_three_retries_fails_with_nothing_stored(db, httpserver):
    fake = FakeRegistry(two_pages(), failures={1: [500] * 4})
    sleeps: list[float] = []
    with pytest.raises(SyncError) as err:
        run(db, fake, httpserver, sleeps)
    assert len(fake.requests) == 4  # the first try and three retries
    assert sleeps == [0.01, 0.02, 0.04]  # exponential backoff from the configured base
    assert err.value.exit_code == EXIT_USAGE
    assert "page 1" in str(err.value) and "HTTP 500" in str(err.value)
    assert "after 3 retries" in str(err.value) and "nothing was stored" in str(err.value)
    assert rows(db, "SELECT count(*) FROM registry_records") == [(0,)]


def test_429_and_503_are_retried_honouring_retry_after(db, httpserver):
    fake = FakeRegistry(two_pages(), failures={1: [(429, {"Retry-After": "7"})], 2: [503]})
    sleeps: list[float] = []
    summary, _ = run(db, fake, httpserver, sleeps)
    assert summary.fetched == 3 and len(fake.requests) == 4
    assert sleeps == [7.0, 0.01]


def test_a_failed_run_resumes_at_the_failed_page(db, httpserver):
    pages = [[study("NCT99000001")], [study("NCT99000002")], [study("NCT99000003")]]
    fake = FakeRegistry(pages, failures={2: [500] * 4})
    with pytest.raises(SyncError) as err:
        run(db, fake, httpserver, condition="lung")
    assert err.value.exit_code == EXIT_PARTIAL and "page 2" in str(err.value)
    fake.requests.clear()
    summary, parse = run(db, fake, httpserver, condition="lung")
    assert [r.get("pageToken") for r in fake.requests] == ["tok-2", "tok-3"]
    assert summary.resumed_at_page == 2 and summary.pages == 2
    assert parse.calls == ["NCT99000002", "NCT99000003"]
    assert rows(db, "SELECT count(*) FROM registry_records") == [(3,)]
    assert rows(db, "SELECT state, pages_done FROM sync_state") == [("done", 3)]
    # another query has its own state: it starts from page 1
    fake.requests.clear()
    run(db, fake, httpserver, condition="breast")
    assert "pageToken" not in fake.requests[0]


def test_an_expired_page_token_starts_the_query_again(db, httpserver):
    pages = [[study("NCT99000001")], [study("NCT99000002")]]
    fake = FakeRegistry(pages, failures={2: [502] * 4})
    with pytest.raises(SyncError):
        run(db, fake, httpserver)
    fake.refuse_tokens.add("tok-2")
    fake.requests.clear()
    summary, parse = run(db, fake, httpserver)
    assert [r.get("pageToken") for r in fake.requests] == ["tok-2", None, "tok-2"]
    assert any("started again" in n for n in summary.notes)
    assert parse.calls == ["NCT99000002"]  # page 1 was stored before: not parsed again


def test_bad_options_are_usage_errors(db):
    with pytest.raises(UsageError, match="unknown registry status 'recruting'.*RECRUITING"):
        sync_registry(db, statuses=["recruting"])
    with pytest.raises(UsageError, match="--since"):
        sync_registry(db, since="last week")
    with pytest.raises(UsageError, match="--base-url"):
        sync_registry(db, base_url="ftp://example")
    with pytest.raises(UsageError, match="--page-size"):
        sync_registry(db, page_size=5000)


def test_cli_sync_prints_a_summary_and_exits_by_the_design_codes(db, httpserver, capsys):
    db = str(db)
    fake = FakeRegistry([[study("NCT99000001", sites=[PARIS]),
                          {"protocolSection": {"identificationModule": {}}}]])
    url = fake.serve(httpserver)
    code = main(["sync", "--base-url", url, "--db", db, "--condition", "lung",
                 "--status", "RECRUITING", "--format", "json"])
    out, err = capsys.readouterr()
    assert code == EXIT_PARTIAL  # one record rejected, listed with its page
    doc = json.loads(out)
    assert doc["new"] == 1 and doc["pages"] == 1
    assert "page 1, study 2: not a trial record" in err and "synced 2 registry records" in err
    bad = FakeRegistry([[study("NCT99000002")]], failures={1: ["not json"]})
    httpserver.clear()
    url = bad.serve(httpserver)
    code = main(["sync", "--base-url", url, "--db", db, "--condition", "breast"])
    _, err = capsys.readouterr()
    assert code == EXIT_USAGE
    assert "page 1 of the registry query" in err and "not JSON" in err
    assert "Traceback" not in err
    code = main(["sync", "--db", db, "--status", "OPEN"])
    _, err = capsys.readouterr()
    assert code == EXIT_USAGE and "unknown registry status" in err


def test_requests_are_paced_and_a_long_retry_after_is_not_waited_out(tmp_path, httpserver):
    from trialmatch.ingest.registry import PageError, RegistryClient

    fake = FakeRegistry(two_pages(), failures={1: [(503, {"Retry-After": "3600"})]})
    url = fake.serve(httpserver)
    sleeps: list[float] = []
    client = RegistryClient(url, min_interval=0.5, backoff_base=0.01, sleep=sleeps.append)
    with pytest.raises(PageError, match="asks to wait 3600 s"):
        client.page({"format": "json"}, 1)
    assert len(fake.requests) == 1 and sleeps == []
    client.page({"format": "json"}, 1)
    client.page({"format": "json", "pageToken": "tok-2"}, 2)
    assert len(sleeps) == 2 and all(0.3 < s <= 0.5 for s in sleeps)  # one request per 0.5 s


def test_retry_after_as_an_http_date():
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    from trialmatch.ingest.registry import RegistryClient

    class Answer:
        headers = {"Retry-After": format_datetime(datetime.now(UTC) + timedelta(seconds=30),
                                                  usegmt=True)}

    client = RegistryClient("http://localhost")
    assert 25 <= client._retry_after(Answer()) <= 31
    Answer.headers = {"Retry-After": "soon"}
    assert client._retry_after(Answer()) is None
    client.close()


def test_the_progress_bar_is_drawn_on_a_terminal_only(monkeypatch):
    import io

    from rich.console import Console

    from trialmatch.app.sync import SyncSummary
    from trialmatch.cli import output, sync_cmd

    monkeypatch.setattr(output, "err_console", Console(file=io.StringIO()))
    update, stop = sync_cmd._progress_bar()
    assert update is None
    stop()
    screen = io.StringIO()
    monkeypatch.setattr(output, "err_console", Console(file=screen, force_terminal=True,
                                                       width=80))
    update, stop = sync_cmd._progress_bar()
    update(SyncSummary(pages=1, fetched=5, total=10))
    stop()
    stop()  # stopping twice is harmless (error paths stop it before reporting)
    assert "5/10" in screen.getvalue()
