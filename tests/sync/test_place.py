"""`find` by trial status and by place: the default status filter, closed cohorts,
`--near` with `--within`, the nearest site in the results, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trialmatch.app.catalog import open_catalog, replace_trials
from trialmatch.app.find import find
from trialmatch.app.load import load_files
from trialmatch.cli.app import main
from trialmatch.errors import EXIT_USAGE, UsageError
from trialmatch.geo import haversine_km, resolve_place
from trialmatch.match.place import find_scope
from trialmatch.rules.dsl import parse_text
from trialmatch.rules.trial import Cohort, Trial
from trialmatch.store.db import Store
from trialmatch.store.schema import SCHEMA_VERSION

from .registry_fake import LUNG_TEXT, site, study

ROOT = Path(__file__).resolve().parents[2]
P0001 = ROOT / "examples" / "patients" / "P-0001.json"  # LUAD, EGFR L858R
PARIS = resolve_place("Paris, France")


def ids(report) -> list[str]:
    return [m["trial_id"] for m in report.results[0]["matches"]]


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    """The embedded trials plus synthetic registry studies with sites, loaded from a file."""
    folder = tmp_path_factory.mktemp("place")
    studies = [
        study("NCT99100001", sites=[site("Institut A", "Paris", "France", 48.84, 2.34),
                                    site("Centre B", "Lyon", "France", 45.75, 4.85)]),
        study("NCT99100002", sites=[site("Centre C", "Lyon", "France", 45.76, 4.84)]),
        study("NCT99100003", sites=[
            site("Hôpital D", "Paris", "France", 48.86, 2.36, status="COMPLETED"),
            site("Klinik E", "Berlin", "Germany", 52.52, 13.40, status="RECRUITING")]),
        study("NCT99100004", status="COMPLETED",
              sites=[site("Institut F", "Paris", "France", 48.85, 2.35)]),
        study("NCT99100005", status="UNKNOWN", sites=[]),
        study("NCT99100006", sites=[site("No geo point", "Paris", "France", None, None)]),
    ]
    trials = folder / "studies.json"
    trials.write_text(json.dumps({"studies": studies}))
    text = folder / "NCT99100009.txt"  # plain text: no status at all
    text.write_text(LUNG_TEXT)
    path = folder / "t.duckdb"
    summary = load_files([trials, text], path)
    assert summary.trials == 7 and not summary.problems
    return path


def test_haversine_against_known_distances():
    assert haversine_km(48.8566, 2.3522, 51.5074, -0.1278) == pytest.approx(343.5, abs=1.0)
    assert haversine_km(40.7128, -74.0060, 42.3601, -71.0589) == pytest.approx(306, abs=2)
    assert haversine_km(10, 20, 10, 20) == 0
    assert haversine_km(0, 0, 0, 180) == pytest.approx(20015.1, abs=1)


def test_by_default_only_recruiting_or_not_yet_recruiting_trials_are_shown(db):
    default = find(P0001, db=db)
    shown = ids(default)
    assert {"NCT99100001", "NCT99100002", "NCT99100003", "NCT99100006"} <= set(shown)
    assert "NCT99100004" not in shown  # COMPLETED
    assert "NCT99100005" not in shown  # the registry's UNKNOWN status
    assert "NCT99100009" in shown  # no status known: shown
    assert "TM-LUNG-001" in shown  # the README example still matches its trials
    every = ids(find(P0001, db=db, statuses=None))
    assert {"NCT99100004", "NCT99100005"} <= set(every)
    assert default.closed_trials >= 3  # the two above and TM-HEME-002


def test_a_closed_cohort_is_not_offered_while_its_trial_recruits(tmp_path, db):
    patient = tmp_path / "p.json"
    patient.write_text(json.dumps({
        "id": "P-MET", "age": 60, "sex": "male", "diagnosis": {"oncotree": "LUAD"}, "ecog": 1,
        "alterations": [{"gene": "MET", "type": "amplification"}],
        "tested_genes": ["MET", "EGFR"], "prior_therapies": []}))
    # TM-LUNG-006 recruits; its cohort B (MET amplification) is ACTIVE_NOT_RECRUITING
    assert "TM-LUNG-006" not in ids(find(patient, db=db))
    (m,) = [m for m in find(patient, db=db, statuses=None).results[0]["matches"]
            if m["trial_id"] == "TM-LUNG-006"]
    assert m["cohort"] == "B" and m["status"] == "eligible"


def test_cohort_and_trial_statuses_are_read_as_registry_enums(tmp_path):
    rule = parse_text("age >= 18")
    trials = [
        Trial("T-A", (Cohort("a", rule), Cohort("b", rule, status="suspended"),
                      Cohort("c", rule, status="Open to accrual"),
                      Cohort("d", rule, status="CLOSED"),
                      Cohort("e", rule, status="Not yet recruiting")), status="Recruiting"),
        Trial("T-B", (Cohort("x", rule),)),
        Trial("T-C", (Cohort("y", rule, status="RECRUITING"),), status="COMPLETED"),
    ]
    store, ont = open_catalog(tmp_path / "t.duckdb", curated=False)
    with store:
        replace_trials(store, ont, trials, "test")
        scope = find_scope(store.con)
        names = dict(store.con.execute(
            "SELECT cohort_key, trial_id || '/' || cohort_id FROM cohorts").fetchall())
        assert sorted(names[k] for k in scope.cohorts) == ["T-A/a", "T-A/c", "T-A/e", "T-B/x"]
        assert scope.closed_trials == 1  # T-C: a recruiting cohort of a completed trial
        assert find_scope(store.con, statuses=None).cohorts is None


def test_near_keeps_trials_with_a_recruiting_site_in_range_and_names_the_nearest(db):
    report = find(P0001, db=db, near=PARIS, within_km=50)
    matches = {m["trial_id"]: m for m in report.results[0]["matches"]}
    assert set(matches) == {"NCT99100001"}  # 03's Paris site completed; 04 completed
    site_ = matches["NCT99100001"]["nearest_site"]
    assert site_ == {"facility": "Institut A", "city": "Paris", "state": None,
                     "country": "France",
                     "distance_km": round(haversine_km(PARIS.lat, PARIS.lon, 48.84, 2.34), 1)}
    assert report.far_trials >= 3
    wide = {m["trial_id"]: m for m in find(P0001, db=db, near=PARIS,
                                             within_km=500).results[0]["matches"]}
    assert set(wide) == {"NCT99100001", "NCT99100002"}
    assert wide["NCT99100002"]["nearest_site"]["city"] == "Lyon"
    assert wide["NCT99100002"]["nearest_site"]["distance_km"] == pytest.approx(
        haversine_km(PARIS.lat, PARIS.lon, 45.76, 4.84), abs=0.05)
    anything = ids(find(P0001, db=db, near=PARIS, within_km=50, statuses=None))
    assert set(anything) == {"NCT99100001", "NCT99100003", "NCT99100004"}
    assert "nearest_site" not in find(P0001, db=db).results[0]["matches"][0]


def test_load_keeps_sites_when_the_new_record_has_none(tmp_path):
    first = tmp_path / "s.json"
    first.write_text(json.dumps(study("NCT99100007", sites=[site("G", "Oslo", "Norway",
                                                                  59.91, 10.75)])))
    again = tmp_path / "NCT99100007.txt"
    again.write_text(LUNG_TEXT)
    db = tmp_path / "t.duckdb"
    load_files([first], db)
    load_files([again], db)  # plain text carries no locations: the stored sites stay
    with Store(db) as s:
        assert s.con.execute("SELECT city FROM sites").fetchall() == [("Oslo",)]
    first.write_text(json.dumps(study("NCT99100007", sites=[])))
    load_files([first], db)  # the registry now lists none: they go
    with Store(db) as s:
        assert s.con.execute("SELECT count(*) FROM sites").fetchall() == [(0,)]


@pytest.mark.parametrize("text, where", [
    ("48.85,2.35", (48.85, 2.35)), (" -33.9 , 151.2 ", (-33.9, 151.2)),
    ("Boston", (42.3601, -71.0589)), ("sao paulo, brasil", (-23.5505, -46.6333)),
    ("Birmingham, UK", (52.4862, -1.8904)), ("new york city, USA", (40.7128, -74.006)),
])
def test_places_by_coordinates_or_city(text, where):
    place = resolve_place(text)
    assert (place.lat, place.lon) == where


@pytest.mark.parametrize("text, message", [
    ("Atlantis", "unknown city 'Atlantis' (did you mean 'Atlanta, United States'?)"),
    ("Paris, Texas", "unknown city"),
    ("Birmingham", "names several cities"),
    ("91,10", "latitude must be between -90 and 90"),
    ("45,181", "longitude must be between -180 and 180"),
    ("45.1.2,3", "malformed coordinates"), ("45,", "malformed coordinates"),
    ("1,2,3", "malformed coordinates"), ("  ", "empty place"),
])
def test_bad_places_are_usage_errors(text, message):
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("?", r"\?")):
        resolve_place(text)


def test_every_gazetteer_row_is_a_valid_place():
    from trialmatch.geo import gazetteer

    _, cities = gazetteer()
    assert 150 <= len(cities) <= 300
    assert len({(c.name, c.country) for c in cities}) == len(cities)
    for c in cities:
        assert -90 <= c.lat <= 90 and -180 <= c.lon <= 180
        assert resolve_place(f"{c.name}, {c.country}").label == f"{c.name}, {c.country}"


def run(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_near_within_json_and_table(db, capsys):
    code, out, err = run(["find", str(P0001), "--db", str(db), "--format", "json", "--near",
                          "Paris, France", "--within", "50"], capsys)
    assert code == 0, err
    (m,) = json.loads(out)["matches"]
    assert m["trial_id"] == "NCT99100001" and m["nearest_site"]["city"] == "Paris"
    assert "within 50 km of Paris, France" in err
    code, out, err = run(["find", str(P0001), "--db", str(db), "--format", "table", "--near",
                          "48.8566,2.3522"], capsys)
    words = " ".join(out.replace("│", " ").split())
    assert code == 0 and "nearest site:" in words and "Institut A," in words


@pytest.mark.parametrize("args, message", [
    (["--near", "Atlantis"], "unknown city"),
    (["--near", "95,10"], "latitude must be between"),
    (["--near", "12,abc"], "malformed coordinates"),
    (["--near", "Paris, France", "--within", "-5"], "--within"),
    (["--near", "Paris, France", "--within", "nan"], "--within"),
    (["--within", "10"], "--within needs --near"),
])
def test_cli_bad_place_options_exit_2_with_a_message(args, message, tmp_path, capsys):
    code, out, err = run(["find", str(P0001), "--db", str(tmp_path / "t.duckdb"),
                          "--format", "json", *args], capsys)
    assert code == EXIT_USAGE and message in err and out == ""
    assert "Traceback" not in err


def test_cli_any_status_shows_closed_trials(db, capsys):
    code, out, err = run(["find", str(P0001), "--db", str(db), "--format", "json"], capsys)
    assert code == 0 and "not recruiting were left out" in err
    assert "NCT99100004" not in {m["trial_id"] for m in json.loads(out)["matches"]}
    code, out, _ = run(["find", str(P0001), "--db", str(db), "--format", "json",
                        "--any-status"], capsys)
    assert code == 0 and "NCT99100004" in {m["trial_id"] for m in json.loads(out)["matches"]}


def test_a_version_5_database_gets_the_registry_tables(tmp_path):
    path = tmp_path / "db.duckdb"
    with Store(path) as s:
        for table in ("sites", "registry_records", "sync_state", "cohort_members",
                      "cancer_unstated"):
            s.con.execute(f"DROP TABLE {table}")
        s.set_meta("schema_version", "5")
    with Store(path) as s:
        assert s.get_meta("schema_version") == str(SCHEMA_VERSION)
        assert s.con.execute("SELECT count(*) FROM cohort_members").fetchall() == [(0,)]
        assert s.con.execute("SELECT count(*) FROM sites").fetchall() == [(0,)]


def test_a_full_registry_record_keeps_its_sites_and_is_found_near_one(tmp_path):
    from tests.conftest import shared

    record = shared("ctgov", "NCT02513394.json")
    db = tmp_path / "t.duckdb"
    assert load_files([record], db).trials == 1
    with Store(db) as s:
        n, with_geo = s.con.execute("SELECT count(*), count(lat) FROM sites").fetchall()[0]
        lat, lon = s.con.execute("SELECT lat, lon FROM sites WHERE lat IS NOT NULL "
                                 "ORDER BY facility LIMIT 1").fetchall()[0]
    assert n > 400 and with_geo >= n - 5  # a few registry sites lack a geo point
    near = resolve_place(f"{lat},{lon}")
    report = find(P0001, db=db, include_ineligible=True, statuses=None, near=near,
                  within_km=1)
    (m,) = [m for m in report.results[0]["matches"] if m["trial_id"] == "NCT02513394"]
    assert m["nearest_site"]["distance_km"] == 0.0
    # the record's overall status is not recruiting: by default it is not offered
    assert "NCT02513394" not in ids(find(P0001, db=db, include_ineligible=True))
