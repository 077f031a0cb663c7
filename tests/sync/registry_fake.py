"""A small fake of the registry's API v2 for tests: studies and pages of our own making.

`study(...)` writes a synthetic API v2 study (invented NCT numbers NCT9900xxxx, invented
text and sites); `FakeRegistry` serves them in pages from a `pytest-httpserver`, following
`pageToken`, and can be told to fail: a status code (with headers) or a body that is not
JSON, for a given page, a given number of times. It records every request's arguments.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response

from trialmatch.ingest.registry import STUDIES_PATH, RegistryClient

LUNG_TEXT = """Inclusion Criteria:

- Histologically confirmed non-small cell lung cancer, stage IV
- Tumour with an EGFR L858R mutation
- Age 18 years or older

Exclusion Criteria:

- Prior treatment with osimertinib
"""


def site(facility: str, city: str, country: str, lat: float | None, lon: float | None,
         status: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"facility": facility, "city": city, "country": country}
    if status:
        out["status"] = status
    if lat is not None:
        out["geoPoint"] = {"lat": lat, "lon": lon}
    return out


def study(nct: str, *, text: str = LUNG_TEXT, status: str = "RECRUITING",
          updated: str = "2026-11-02", title: str | None = None,
          conditions: tuple[str, ...] = ("Non-small Cell Lung Cancer",),
          sites: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    proto: dict[str, Any] = {
        "identificationModule": {"nctId": nct, "briefTitle": title or f"Synthetic study {nct}"},
        "statusModule": {"overallStatus": status,
                         "lastUpdatePostDateStruct": {"date": updated, "type": "ACTUAL"}},
        "conditionsModule": {"conditions": list(conditions)},
        "designModule": {"phases": ["PHASE2"]},
        "eligibilityModule": {"eligibilityCriteria": text, "sex": "ALL",
                              "minimumAge": "18 Years"},
    }
    if sites is not None:
        proto["contactsLocationsModule"] = {"locations": sites}
    return {"protocolSection": proto}


@dataclass
class FakeRegistry:
    pages: list[list[dict[str, Any]]]
    # page number (1-based) -> responses to give before the real page: an int status, a
    # (status, headers) pair, or "not json"
    failures: dict[int, list[Any]] = field(default_factory=dict)
    refuse_tokens: set[str] = field(default_factory=set)  # answered once with HTTP 400
    requests: list[dict[str, str]] = field(default_factory=list)

    def token(self, page: int) -> str:
        return f"tok-{page}"

    def page_of(self, token: str | None) -> int | None:
        if token is None:
            return 1
        if token.startswith("tok-") and token[4:].isdigit():
            return int(token[4:])
        return None

    def handle(self, request: Request) -> Response:
        args = dict(request.args)
        self.requests.append(args)
        token = args.get("pageToken")
        if token in self.refuse_tokens:
            self.refuse_tokens.discard(token)
            return Response("invalid pageToken", status=400, content_type="text/plain")
        page = self.page_of(token)
        if page is None or page > len(self.pages):
            return Response("invalid pageToken", status=400, content_type="text/plain")
        pending = self.failures.get(page) or []
        if pending:
            failure = pending.pop(0)
            if failure == "not json":
                return Response("<html><body>Service maintenance</body></html>",
                                status=200, content_type="text/html")
            status, headers = failure if isinstance(failure, tuple) else (failure, {})
            return Response("try later", status=status, headers=headers)
        body: dict[str, Any] = {"studies": self.pages[page - 1]}
        if page < len(self.pages):
            body["nextPageToken"] = self.token(page + 1)
        if "countTotal" in args:
            body["totalCount"] = sum(len(p) for p in self.pages)
        return Response(json.dumps(body), status=200, content_type="application/json")

    def serve(self, httpserver) -> str:
        httpserver.expect_request(STUDIES_PATH).respond_with_handler(self.handle)
        return httpserver.url_for("/").rstrip("/")


def quiet_client(base_url: str, sleeps: list[float] | None = None) -> RegistryClient:
    """A client that never really waits (its waits are recorded in `sleeps`)."""
    record = sleeps if sleeps is not None else []
    return RegistryClient(base_url, backoff_base=0.01, min_interval=0.0, timeout=10,
                          sleep=record.append)
